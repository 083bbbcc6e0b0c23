"""Session fixtures: models loaded once, the fixture sites crawled and processed once over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.sitehost import SiteHost
from pipeline.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
TEST_SPACY_MODEL = "fr_core_news_sm"


def registry_toml(urls: dict[str, str]) -> str:
    tables = []
    for name, url in urls.items():
        tables.append(
            f'[[source]]\nname = "{name}"\ntitle = "{name.title()}"\nkind = "media"\nhomepage = "{url}/"\n'
            f"max_depth = 3\nmax_pages = 50\nallow_private = true\n"
        )
    return "\n".join(tables)


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory) -> Settings:
    """Settings on an empty temporary data directory; models are shared with the project's cache."""
    return Settings(data_dir=tmp_path_factory.mktemp("data"), spacy_model=TEST_SPACY_MODEL)


@pytest.fixture(scope="session")
def embedder(base_settings):
    from pipeline.embed import get_embedder

    return get_embedder(base_settings)


@pytest.fixture(scope="session")
def fixture_sites():
    """The two fixture sites served on free loopback ports: {name: base URL}."""
    with SiteHost([(SITES / "alpha", 0), (SITES / "beta", 0)]) as host:
        yield dict(zip(("alpha", "beta"), host.urls(), strict=True))


def crawl_with_cli(settings: Settings) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ESS_DATA_DIR": str(settings.data_dir),
        "ESS_SOURCES": str(settings.sources),
        "ESS_CRAWL_DELAY": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "crawl", "--json"], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="session")
def crawled(base_settings, fixture_sites):
    """The fixture sites crawled by the real `ess crawl` into the temporary data directory."""
    registry = base_settings.data_dir / "sources.toml"
    registry.write_text(registry_toml(fixture_sites))
    settings = base_settings.model_copy(update={"sources": registry})
    done = crawl_with_cli(settings)
    assert done.returncode == 0, done.stderr[-3000:]
    return settings, json.loads(done.stdout)


@pytest.fixture(scope="session")
def processed(crawled, embedder):
    """The crawled fixture sites run through the real pipeline; returns (settings, first run report)."""
    from pipeline.run import process

    settings, _ = crawled
    return settings, process(settings)


@pytest.fixture(scope="session")
def client(processed):
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    settings, _ = processed
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def queries() -> list[dict]:
    return json.loads((SITES / "queries.json").read_text(encoding="utf-8"))
