"""Crawler safety: schemes, source boundaries, private addresses (also through redirects and DNS)."""

from __future__ import annotations

import json

import pytest

from crawler.middlewares import is_private_address, resolves_to_private, retry_after_seconds
from crawler.sitehost import SiteHandler, SiteHost
from pipeline.archive.urls import canonical_url, clean_url
from tests_support import FIXTURES

TARGETS = {
    "/to-metadata": "http://169.254.169.254/latest/meta-data/",
    "/to-private": "http://10.0.0.1/admin",
    "/to-file": "file:///etc/passwd",
    "/to-other-port": "http://127.0.0.1:9/elsewhere.html",
}


class Redirector(SiteHandler):
    def respond(self, send_body: bool) -> None:
        target = TARGETS.get(self.path)
        if target is None:
            super().respond(send_body)
            return
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.mark.parametrize(
    "address, private",
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("169.254.169.254", True),
        ("192.168.1.2", True),
        ("::1", True),
        ("fe80::1", True),
        ("100.64.0.1", True),
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2a00:1450::1", False),
    ],
)
def test_private_addresses(address, private):
    assert is_private_address(address) is private


def test_names_that_resolve_to_private_addresses_are_private():
    assert resolves_to_private("localhost") and resolves_to_private("127.0.0.1")
    assert not resolves_to_private("name.that.does.not.resolve.invalid")


def test_canonical_urls():
    assert (
        clean_url("HTTPS://WWW.Avise.org:443/Actu/?utm_source=x&b=2&a=1#top") == "https://www.avise.org/Actu/?b=2&a=1"
    )
    assert canonical_url("https://www.avise.org/Actu/?b=2&a=1&fbclid=z") == "https://www.avise.org/Actu?a=1&b=2"
    assert canonical_url("http://x.org") == canonical_url("http://x.org:80/#x") == "http://x.org/"
    assert clean_url("http://x.org/p?q=a%20b") == "http://x.org/p?q=a%20b"  # untouched when nothing is removed


def test_retry_after_values():
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None


@pytest.fixture(scope="module")
def guarded_crawl(tmp_path_factory, base_settings, ess, registry):
    """A source with allow_private = true whose pages redirect out; and one on localhost without it."""
    site = tmp_path_factory.mktemp("redirecting")
    links = "".join(f'<a href="{path}">{path}</a>' for path in TARGETS)
    (site / "index.html").write_text(f"<html><body><h1>Liens</h1>{links}</body></html>")
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("safety-data")})
    with (
        SiteHost([(site, 0)], handler=Redirector) as redirecting,
        SiteHost([(FIXTURES / "plain_site", 0)], host="127.0.0.1") as private,
    ):
        local = private.urls()[0].replace("127.0.0.1", "localhost")
        settings = registry(settings, {"redirecting": redirecting.urls()[0]})
        text = settings.sources.read_text() + (
            f'\n[[source]]\nname = "private"\ntitle = "Private"\nkind = "media"\nhomepage = "{local}/"\n'
        )
        settings.sources.write_text(text)
        done = ess(settings, "crawl", "--json")
        requested = [path for _, _, path, _ in private.requests()]
    return done, requested


def test_redirects_out_of_the_source_are_refused(guarded_crawl):
    done, _ = guarded_crawl
    assert done.returncode == 0, done.stderr[-2000:]
    counts = json.loads(done.stdout)["redirecting"]
    assert counts["skipped/off_source"] == 3  # metadata address, private network, another port
    assert counts["skipped/redirect_not_followed"] == 1  # file://: Scrapy follows only http(s) redirects


def test_a_name_resolving_to_loopback_is_refused_without_allow_private(guarded_crawl):
    done, requested = guarded_crawl
    assert requested == []
    assert json.loads(done.stdout)["private"]["skipped/private_address"] >= 1


def test_unreachable_sources_fail_quickly_and_clearly(tmp_path, base_settings, ess):
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data", "sources": tmp_path / "s.toml"})
    settings.sources.write_text(
        '[[source]]\nname = "nowhere"\ntitle = "Nowhere"\nkind = "media"\nhomepage = "https://ess.invalid/"\n'
    )
    done = ess(settings, "crawl", timeout=60)
    assert done.returncode == 1
    assert "nothing could be fetched" in done.stderr and "dns_lookup" in done.stderr
