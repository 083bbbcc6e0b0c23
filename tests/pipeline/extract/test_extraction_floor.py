"""Our extraction loses nothing to bare trafilatura on real French pages (../shared/eval, skipped where absent)."""

from __future__ import annotations

import pytest

from tests.eval import extraction
from tests.eval.floors import EXTRACTION_ACCURACY, EXTRACTION_MARGIN
from tests.eval.shared import absent


@pytest.fixture(scope="module")
def systems():
    reason = absent(extraction.DATA)
    if reason:
        pytest.skip(reason)
    return extraction.evaluate(rounds=1)["systems"]


def test_our_extraction_is_not_worse_than_bare_trafilatura(systems):
    assert systems["ours"]["accuracy"] >= systems["bare trafilatura"]["accuracy"] - EXTRACTION_MARGIN


def test_our_extraction_clears_the_absolute_floor(systems):
    assert systems["ours"]["accuracy"] >= EXTRACTION_ACCURACY
