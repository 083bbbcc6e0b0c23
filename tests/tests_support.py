"""Paths shared by the tests."""

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
DEMO = Path(__file__).resolve().parents[1] / "corpus" / "demo"
