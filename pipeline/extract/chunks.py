"""Sentence-aware chunks of about 200-300 words, with one sentence of overlap, as character spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+[»”\"')\]]*|\n|$)")
TARGET_WORDS = 220
MAX_WORDS = 300


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    words: int


def sentences(text: str) -> list[Span]:
    spans = []
    for match in SENTENCE.finditer(text):
        piece = match.group()
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append(Span(match.start() + lead, match.start() + len(piece.rstrip()), len(piece.split())))
    return spans


def split_long(span: Span, text: str) -> list[Span]:
    """A sentence longer than MAX_WORDS is cut at word boundaries."""
    if span.words <= MAX_WORDS:
        return [span]
    words = list(re.finditer(r"\S+", text[span.start : span.end]))
    out = []
    for i in range(0, len(words), MAX_WORDS):
        group = words[i : i + MAX_WORDS]
        out.append(Span(span.start + group[0].start(), span.start + group[-1].end(), len(group)))
    return out


def _carry(current: list[Span]) -> list[Span]:
    """The overlap: the last sentence is repeated at the start of the next chunk when it is short."""
    return current[-1:] if current[-1].words < TARGET_WORDS // 4 else []


def chunk_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the chunks of ``text``."""
    chunks: list[tuple[int, int]] = []
    current: list[Span] = []
    fresh = False  # current holds sentences not yet in any chunk
    for unit in (piece for span in sentences(text) for piece in split_long(span, text)):
        if fresh and sum(u.words for u in current) + unit.words > MAX_WORDS:
            chunks.append((current[0].start, current[-1].end))
            current, fresh = _carry(current), False
        current.append(unit)
        fresh = True
        if sum(u.words for u in current) >= TARGET_WORDS:
            chunks.append((current[0].start, current[-1].end))
            current, fresh = _carry(current), False
    if fresh:
        chunks.append((current[0].start, current[-1].end))
    return chunks
