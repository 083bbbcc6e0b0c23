"""French named entities with spaCy: the pipeline is loaded once per process, only NER enabled."""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language

from pipeline.store import Mention

LABELS = {"PER", "ORG", "LOC", "MISC"}
MAX_ENTITY_CHARS = 80
HAS_LETTER = re.compile(r"[^\W\d_]")
PIECE_CHARS = 100_000


@lru_cache(maxsize=2)
def load_nlp(model: str) -> Language:
    """The spaCy pipeline with only what NER needs (a shared tok2vec stays if NER listens to it)."""
    nlp = spacy.load(model, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler", "senter"])
    if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
        nlp.disable_pipe("tok2vec")
    return nlp


def pieces(text: str, size: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """Split long text at paragraph breaks into (offset, piece) no longer than ``size`` where possible."""
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        out.append((start, text[start:end]))
        start = end
    return out


def keep(name: str, label: str) -> bool:
    return label in LABELS and 1 < len(name) <= MAX_ENTITY_CHARS and bool(HAS_LETTER.search(name))


def entities(nlp: Language, texts: list[str], batch_size: int = 16) -> list[list[Mention]]:
    """Mentions for each text, offsets in the text's characters."""
    jobs = [(i, offset, piece) for i, text in enumerate(texts) for offset, piece in pieces(text)]
    found: list[list[Mention]] = [[] for _ in texts]
    docs = nlp.pipe((piece for _, _, piece in jobs), batch_size=batch_size)
    for (i, offset, _), doc in zip(jobs, docs, strict=True):
        found[i].extend(
            Mention(ent.text, ent.label_, offset + ent.start_char, offset + ent.end_char)
            for ent in doc.ents
            if keep(ent.text.strip(), ent.label_)
        )
    return found
