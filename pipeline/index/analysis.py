"""French keyword analysis: the terms the keyword index holds for a text and a query asks for.

A word loses its elided article or pronoun ("l'économie", "qu'est"), function words go, and what is left is
reduced to its Snowball French stem with case and accents folded, so that "coopératives", "Coopérative" and
"coopération" meet and "économie" matches "economie".
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pipeline.entities.gazetteer import strip_accents

WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS_FILE = Path("lang", "fr", "stop_words.py")  # in the spacy package, a plain list without imports
ELIDED = re.compile(r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]$", re.IGNORECASE)


@lru_cache(maxsize=1)
def french_stop_words() -> frozenset[str]:
    """spaCy's French function words, case and accents folded. Their module is loaded on its own: importing
    the spacy package takes seconds and, through thinc, imports torch, which the API need not load."""
    origin = importlib.util.find_spec("spacy").origin
    spec = importlib.util.spec_from_file_location("ess_french_stop_words", Path(origin).parent / STOP_WORDS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(fold(w) for w in module.STOP_WORDS)


@lru_cache(maxsize=1)
def french_stemmer():
    import Stemmer

    return Stemmer.Stemmer("french")


def fold(word: str) -> str:
    """Case and accents folded."""
    return strip_accents(word.casefold())


@lru_cache(maxsize=200_000)  # words recur: every chunk and every snippet is analysed word by word
def term(word: str) -> str | None:
    """The indexed form of one word; None for a function word or a single character."""
    if len(word) < 2 or fold(word) in french_stop_words():
        return None
    return strip_accents(french_stemmer().stemWord(word.casefold()))


def words(text: str) -> Iterator[re.Match]:
    """The words of ``text``; an elided article or pronoun before an apostrophe ("l'", "qu'") is no word."""
    for match in WORD.finditer(text):
        if not ELIDED.match(text, match.start(), match.end() + 1):
            yield match


def terms(text: str) -> list[str]:
    """The terms of ``text`` in order, repeats kept (what the keyword index holds)."""
    return [t for match in words(text) if (t := term(match.group()))]


def query_terms(text: str) -> list[str]:
    """The terms of a query in order, without repeats."""
    return list(dict.fromkeys(terms(text)))
