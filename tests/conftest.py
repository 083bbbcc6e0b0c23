"""Session fixtures: models loaded once, the fixture sites crawled and processed once over real HTTP."""

from __future__ import annotations

import json
import os

import pytest

from crawler.sitehost import SiteHost
from pipeline.config import Settings
from tests_support import SITES, run_ess

TEST_SPACY_MODEL = "fr_core_news_sm"


def registry_toml(urls: dict[str, str], **fields) -> str:
    """A registry with one source per {name: base URL}; ``fields`` override the table's defaults."""
    defaults = {"max_depth": 3, "max_pages": 50, "allow_private": True, **fields}
    tables = []
    for name, url in urls.items():
        lines = [f'name = "{name}"', f'title = "{name.title()}"', 'kind = "media"', f'homepage = "{url}/"']
        lines += [f"{key} = {json.dumps(value)}" for key, value in defaults.items()]
        tables.append("[[source]]\n" + "\n".join(lines) + "\n")
    return "\n".join(tables)


def with_registry(settings: Settings, urls: dict[str, str], **fields) -> Settings:
    """``settings`` on a registry written into its data directory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "sources.toml"
    path.write_text(registry_toml(urls, **fields))
    return settings.model_copy(update={"sources": path})


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory) -> Settings:
    """Settings on an empty temporary data directory; models are shared with the project's cache. The API looks
    for a changed index on every request, so a test reads what it has just written."""
    data = tmp_path_factory.mktemp("data")
    curation = tmp_path_factory.mktemp("curation") / "curation.json"  # never the project's own decisions
    return Settings(data_dir=data, spacy_model=TEST_SPACY_MODEL, index_refresh_seconds=0, curation=curation)


@pytest.fixture(scope="session")
def embedder(base_settings):
    from pipeline.embed.embedder import get_embedder

    return get_embedder(base_settings)


@pytest.fixture(scope="session")
def torch_embedder(base_settings):
    """The same model on torch fp32 (sentence-transformers): the reference the int8 engine is held to."""
    from pipeline.embed.embedder import get_embedder

    return get_embedder(base_settings.model_copy(update={"embedding_engine": "torch"}))


@pytest.fixture(scope="session")
def fixture_sites():
    """The two fixture sites, alpha and beta, served on free loopback ports."""
    with SiteHost([(SITES / "alpha", 0), (SITES / "beta", 0)]) as host:
        yield host


@pytest.fixture(scope="session")
def crawled(base_settings, fixture_sites):
    """The fixture sites crawled by the real `ess crawl` into the temporary data directory."""
    settings = with_registry(base_settings, dict(zip(("alpha", "beta"), fixture_sites.urls(), strict=True)))
    done = run_ess(settings, "crawl", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    return settings, json.loads(done.stdout)


@pytest.fixture(scope="session")
def processed(crawled, embedder):
    """The crawled fixture sites run through the real pipeline; returns (settings, first run report)."""
    from pipeline.processing.run import process

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


@pytest.fixture(scope="session")
def ess():
    """Run the real `ess` command: ``ess(settings, "crawl", "--json", ESS_X="1")``."""
    return run_ess


@pytest.fixture(scope="session")
def registry():
    """Write a registry for {name: base URL} into a settings' data directory: ``registry(settings, urls, **fields)``."""
    return with_registry


@pytest.fixture(scope="session")
def demo_processed(tmp_path_factory):
    """The demo sites served on free ports, crawled by the real `ess crawl` and processed by `ess process`.

    Returns (settings, {"crawl": ..., "process": ...}), as ``tests.eval.retrieval.build_demo`` builds them.
    """
    from tests.eval.retrieval import build_demo

    return build_demo(Settings(data_dir=tmp_path_factory.mktemp("demo"), spacy_model=TEST_SPACY_MODEL))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ESS_STRICT_SKIPS=1 (set by .ci/run) a skipped test fails: in CI a missing browser, Redis, Chroma
    server or shared evaluation data is a broken machine, not a line in the summary."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("ESS_STRICT_SKIPS") == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome, report.longrepr = "failed", f"skipped where nothing may be: {reason}"
