"""Chunks: sentence boundaries, bounded sizes, a small overlap, exact character offsets."""

from __future__ import annotations

from pipeline.extract.chunks import MAX_WORDS, TARGET_WORDS, chunk_spans

SENTENCE = "Le pôle territorial réunit des entreprises, des associations et la commune autour de projets communs. "


def test_short_text_is_one_chunk():
    assert chunk_spans("Une phrase. Deux phrases.") == [(0, 25)]
    assert chunk_spans("") == [] and chunk_spans("   \n ") == []


def test_long_text_is_cut_at_sentence_ends_with_overlap():
    text = SENTENCE * 60
    spans = chunk_spans(text)
    assert len(spans) > 3
    for start, end in spans:
        piece = text[start:end]
        assert piece.endswith(".") and piece[0].isupper()
        assert len(piece.split()) <= MAX_WORDS + TARGET_WORDS // 4
    assert all(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1)), "consecutive chunks overlap"
    assert spans[0][0] == 0 and spans[-1][1] == len(text.rstrip())


def test_a_sentence_longer_than_a_chunk_is_split_at_words():
    text = "mot " * 700
    spans = chunk_spans(text)
    assert [len(text[s:e].split()) for s, e in spans] == [300, 300, 100]


def test_paragraph_breaks_end_sentences():
    text = "Titre sans point\nPremier paragraphe. Suite."
    assert [text[s:e] for s, e in chunk_spans(text)] == [text]
