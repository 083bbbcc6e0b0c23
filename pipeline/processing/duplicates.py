"""Duplicates: the same text (hash) or nearly the same (MinHash LSH over word 5-grams, datasketch).

A press release syndicated on three sites stays three documents, linked in one cluster: the cluster is
named by the first document that had that text, and search shows one of them with "also on: …".
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import MinHash, MinHashLSH

PERMUTATIONS = 128
THRESHOLD = 0.8  # estimated Jaccard similarity of word 5-grams above which two texts are duplicates
SHINGLE = 5
SCHEME = "affine32"  # datasketch's hashing scheme: stored signatures are only comparable within one scheme
WORDS = re.compile(r"\w+")


def text_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.casefold().split()).encode("utf-8")).hexdigest()


def minhash(text: str) -> MinHash:
    words = WORDS.findall(text.casefold())
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    signature = MinHash(num_perm=PERMUTATIONS, scheme=SCHEME)
    signature.update_batch([s.encode("utf-8") for s in shingles])
    return signature


def to_blob(signature: MinHash) -> bytes:
    return signature.hashvalues.astype(np.uint64).tobytes()


def from_blob(blob: bytes) -> MinHash:
    return MinHash(num_perm=PERMUTATIONS, hashvalues=np.frombuffer(blob, dtype=np.uint64), scheme=SCHEME)


class DuplicateFinder:
    """Finds, for a new text, the cluster of an earlier document with the same or nearly the same text."""

    def __init__(self, known: list[tuple[str, str, str, bytes]]):
        """``known``: (doc id, cluster, text hash, MinHash blob) of the documents already stored."""
        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS)
        self.cluster_of: dict[str, str] = {}
        self.by_hash: dict[str, str] = {}
        for doc_id, cluster, digest, blob in known:
            self.add(doc_id, cluster or doc_id, digest, from_blob(blob))

    def add(self, doc_id: str, cluster: str, digest: str, signature: MinHash) -> None:
        if doc_id in self.cluster_of:
            self.lsh.remove(doc_id)
        self.lsh.insert(doc_id, signature)
        self.cluster_of[doc_id] = cluster
        self.by_hash.setdefault(digest, cluster)

    def assign(self, doc_id: str, text: str) -> tuple[str, str, MinHash]:
        """(cluster, text hash, signature) of a document, registering it for the documents that follow."""
        digest, signature = text_hash(text), minhash(text)
        cluster = self.by_hash.get(digest)
        if cluster is None:
            similar = sorted(d for d in self.lsh.query(signature) if d != doc_id)
            cluster = self.cluster_of[similar[0]] if similar else doc_id
        self.add(doc_id, cluster, digest, signature)
        return cluster, digest, signature
