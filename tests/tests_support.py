"""Paths and helpers shared by the tests."""

import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
DEMO = Path(__file__).resolve().parents[1] / "corpus" / "demo"


def ess_command(settings, *args: str, **env: str) -> tuple[list[str], dict[str, str]]:
    """The `ess` command line and environment for ``settings`` (no politeness delay on loopback)."""
    variables = {
        **os.environ,
        "ESS_DATA_DIR": str(settings.data_dir),
        "ESS_SOURCES": str(settings.sources),
        "ESS_CRAWL_DELAY": "0",
        "ESS_SPACY_MODEL": settings.spacy_model,
        **env,
    }
    return [sys.executable, "-m", "pipeline.cli", *args], variables


def run_ess(settings, *args: str, timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
    """The real `ess` command in a child process (Scrapy's reactor runs once per process)."""
    command, variables = ess_command(settings, *args, **env)
    return subprocess.run(command, env=variables, capture_output=True, text=True, timeout=timeout)


def run_ess_async(settings, *args: str, **env: str) -> subprocess.Popen:
    """Start the real `ess` command without waiting for it."""
    command, variables = ess_command(settings, *args, **env)
    return subprocess.Popen(command, env=variables, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
