"""The sources registry: valid tables load, every mistake is reported with the source and field."""

from __future__ import annotations

import re

import pytest

from crawler.registry import RegistryError, load_registry, parse_source
from pipeline.config import PROJECT_ROOT

VALID = {"name": "labo-ess", "title": "Le Labo de l'ESS", "kind": "network", "homepage": "https://www.lelabo-ess.org/"}


def test_defaults_and_domain_ownership():
    source = parse_source(VALID, 0)
    assert source.start_urls == ("https://www.lelabo-ess.org/",) and source.max_depth == 3
    assert source.owns("https://lelabo-ess.org/actualites/x") and source.owns("https://blog.lelabo-ess.org/")
    assert not source.owns("https://lelabo-ess.org.evil.example/") and not source.owns("https://avise.org/")
    assert not source.owns("https://www.lelabo-ess.org:8443/")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"name": "Labo ESS"}, "slug"),
        ({"kind": "blog"}, "kind must be one of"),
        ({"homepage": "ftp://x.org/"}, "not an http(s) URL"),
        ({"deny": ["("]}, "bad regular expression"),
        ({"feeds": "https://x.org/rss"}, "must be a list"),
        ({"title": ""}, "'title' is required"),
    ],
)
def test_mistakes_are_named(change, message):
    with pytest.raises(RegistryError, match=re.escape(message)):
        parse_source({**VALID, **change}, 0)


def test_duplicates_and_bad_toml_are_refused(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "a"\ntitle = "A"\nkind = "media"\nhomepage = "https://a.fr/"\n' * 2)
    with pytest.raises(RegistryError, match="duplicate source names: a"):
        load_registry(path)
    path.write_text("[[source]\n")
    with pytest.raises(RegistryError, match="invalid TOML"):
        load_registry(path)
    with pytest.raises(RegistryError, match="not found"):
        load_registry(tmp_path / "missing.toml")


def test_the_demo_registry_loads_and_matches_its_folders():
    sources = load_registry(PROJECT_ROOT / "corpus" / "demo" / "sources.toml")
    assert len(sources) >= 5
    for source in sources:
        assert (PROJECT_ROOT / "corpus" / "demo" / source.name / "robots.txt").is_file()
        assert source.allow_private
