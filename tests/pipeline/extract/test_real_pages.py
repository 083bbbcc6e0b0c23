"""The article rule on real pages written by others (tests/fixtures/real_pages): the floors of its held-out split,
pinned in tests/eval/floors.py, and the rule before it doing worse on the articles."""

from __future__ import annotations

import pytest

from tests.eval import floors, real_pages


@pytest.fixture(scope="module")
def held_out():
    return real_pages.evaluate()["held-out"]


def test_real_articles_are_kept(held_out):
    assert real_pages.share(held_out, "articles kept", "articles") >= floors.REAL_PAGES_ARTICLES_KEPT
    marked = real_pages.share(held_out, "articles with article markup kept", "articles with article markup")
    assert marked >= floors.REAL_PAGES_MARKED_ARTICLES_KEPT
    assert held_out["articles kept"] > held_out["rule before: articles kept"]


def test_real_non_articles_are_skipped(held_out):
    skipped = 1 - real_pages.share(held_out, "non-articles kept", "non-articles")
    assert skipped >= floors.REAL_PAGES_OTHERS_SKIPPED
