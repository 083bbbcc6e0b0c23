"""Paths shared by the tests."""

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
DEMO = Path(__file__).resolve().parents[1] / "corpus" / "demo"


def run_ess_async(settings, *args: str, **env: str):
    """Start the real `ess` command without waiting for it (see conftest.run_ess)."""
    import os
    import subprocess
    import sys

    variables = {
        **os.environ,
        "ESS_DATA_DIR": str(settings.data_dir),
        "ESS_SOURCES": str(settings.sources),
        "ESS_CRAWL_DELAY": "0",
        "ESS_SPACY_MODEL": settings.spacy_model,
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
