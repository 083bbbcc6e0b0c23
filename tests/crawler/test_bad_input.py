"""Hostile or broken sites: each problem is a counted, logged outcome and the crawl goes on."""

from __future__ import annotations

import json
import time

import pytest

from crawler.sitehost import SiteHandler, SiteHost
from tests_support import DEMO, FIXTURES

pytestmark = pytest.mark.slow  # crawls of hostile and broken sites

FRENCH = "Économie sociale : cœur d’un territoire, été 2025."


class BadSite(SiteHandler):
    """The bad site: static files plus answers that misbehave on purpose."""

    hits: dict[str, int] = {}

    def respond(self, send_body: bool) -> None:
        path = self.path.split("?")[0]
        self.hits[path] = self.hits.get(path, 0) + 1
        route = ROUTES.get(path)
        if route is None:
            super().respond(send_body)
        else:
            route(self)

    def send(self, status: int, body: bytes, content_type: str | None = "text/html", **headers) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def page(title: str, text: str) -> str:
    paragraph = f"<p>{text} " * 40
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraph}</article></body></html>"
    )


def throttled(handler: BadSite) -> None:
    if handler.hits["/throttled.html"] == 1:
        handler.send(429, b"slow down", Retry_After="1")
    else:
        handler.send(200, page("Après attente", "Le serveur a demandé une pause avant de répondre.").encode())


def slow(handler: BadSite) -> None:
    time.sleep(2)
    handler.send(200, b"<html><body>trop tard</body></html>")


ROUTES = {
    "/cp1252.html": lambda h: h.send(200, page("Encodage hérité", FRENCH).encode("cp1252"), "text/html"),
    "/empty.html": lambda h: h.send(200, b""),
    "/huge.html": lambda h: h.send(200, b"<html><body>" + b"x" * (2 * 1024 * 1024) + b"</body></html>"),
    "/loop-a": lambda h: h.send(302, b"", None, Location="/loop-b"),
    "/loop-b": lambda h: h.send(302, b"", None, Location="/loop-a"),
    "/slow.html": slow,
    "/error500.html": lambda h: h.send(500, b"panne"),
    "/throttled.html": throttled,
    "/logo": lambda h: h.send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
    "/rapport-mal-type": lambda h: h.send(
        200, (DEMO / "observatoire-ess" / "publications" / "rapport-emploi-ess-2025.pdf").read_bytes(), "text/html"
    ),
}


class RobotsFails(SiteHandler):
    def respond(self, send_body: bool) -> None:
        if self.path == "/robots.txt":
            self.send_error(500, "robots.txt is broken")
        else:
            super().respond(send_body)


@pytest.fixture(scope="module")
def bad_crawl(tmp_path_factory, base_settings, ess, registry, embedder):
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("bad-data")})
    with (
        SiteHost([(FIXTURES / "bad_site", 0)], handler=BadSite) as bad,
        SiteHost([(FIXTURES / "plain_site", 0)]) as plain,
        SiteHost([(FIXTURES / "plain_site", 0)], handler=RobotsFails) as failing,
    ):
        urls = {"bad": bad.urls()[0], "plain": plain.urls()[0], "failing": failing.urls()[0]}
        settings = registry(settings, urls)
        started = time.monotonic()
        done = ess(settings, "crawl", "--json", ESS_CRAWL_MAX_MB="1", ESS_CRAWL_TIMEOUT="1")
        elapsed = time.monotonic() - started
        logs = {"bad": bad.requests(), "plain": plain.requests(), "failing": failing.requests()}
    assert done.returncode == 0, done.stderr[-3000:]
    from pipeline.processing.run import process

    return settings, json.loads(done.stdout), logs, process(settings), elapsed


def test_every_problem_is_counted(bad_crawl):
    _, summary, _, _, _ = bad_crawl
    bad = summary["bad"]
    expected = [
        "skipped/empty_body",
        "skipped/content_type:image/png",
        "skipped/off_source_link",
        "skipped/truncated_sitemap",
        "skipped/truncated_feed",
        "skipped/bad_sitemap",
        "skipped/too_large",
        "skipped/redirect_to_known_url",
        "errors/http_500",
        "errors/timeout",
        "not_found",
    ]
    missing = [name for name in expected if not bad.get(name)]
    assert not missing, (missing, bad)


def test_the_crawl_goes_on_and_keeps_the_good_pages(bad_crawl):
    _, summary, _, _, elapsed = bad_crawl
    assert summary["bad"]["new"] >= 4  # home, malformed, cp1252, throttled, the PDF, sitemap and feed
    assert summary["plain"]["new"] == 2  # no robots.txt (404): everything allowed
    assert elapsed < 60


def test_429_waits_for_retry_after(bad_crawl):
    _, _, logs, _, _ = bad_crawl
    times = [at for at, _, path, _ in logs["bad"] if path == "/throttled.html"]
    assert len(times) == 2 and times[1] - times[0] >= 0.9


def test_robots_txt_answered_with_500_blocks_the_site(bad_crawl):
    _, summary, logs, _, _ = bad_crawl
    assert [path for _, _, path, _ in logs["failing"] if path != "/robots.txt"] == []
    assert summary["failing"]["robots_blocked"] >= 1


def test_pages_come_out_readable_after_processing(bad_crawl):
    from pipeline.store.reader import StoreReader

    settings, _, _, report, _ = bad_crawl
    store = StoreReader(settings.store_db)
    texts = {row["url"].rsplit("/", 1)[1]: row for row in store.db.execute("SELECT url, kind, text FROM documents")}
    store.close()
    assert FRENCH in texts["cp1252.html"]["text"]
    assert "conserverie solidaire" in texts["malformed.html"]["text"]
    assert texts["rapport-mal-type"]["kind"] == "pdf"
    assert report.counts["processed"] >= 4
