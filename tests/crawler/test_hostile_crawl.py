"""One real `ess crawl` of hostile sites: every trap and broken answer is a counted outcome, the good pages
of the same site are kept, the crawl stops at its limits and its memory stays bounded.

The sites are ``tests/fixtures/bad/site`` (static files) plus answers made up here; the big ones (a 64 MB
gzip bomb, a 50 MB page, a 3 MB robots.txt, 100,000 links) are generated on the fly, never committed.
See ``tests/fixtures/bad/README.md`` for the list of kinds and their expected outcomes.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sqlite3
import subprocess
import time
import zlib
from functools import cache
from urllib.parse import urlsplit

import pytest

from crawler.sitehost import SiteHandler, SiteHost
from tests_support import FIXTURES, ess_command

SITE = FIXTURES / "bad" / "site"
MAX_MB = 4  # ESS_CRAWL_MAX_MB of this crawl
PEAK_RSS_MB = 300  # the crawl's process stays under this (~180 MB), bombs and 100,000 links included
CHUNK = b" " * 65536


def page(title: str, links: list[str] = ()) -> bytes:
    paragraph = f"<p>{title} : la coopérative réunit salariés, bénévoles et élus du territoire.</p>" * 20
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    return (
        f"<html><head><title>{title}</title></head><body><article>{paragraph}{anchors}</article></body></html>".encode()
    )


@cache
def gzip_bomb() -> bytes:
    """About 64 KB of gzip that inflates to 64 MB, sixteen times ESS_CRAWL_MAX_MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b"<html><body><p>")]
    parts += [compressor.compress(CHUNK) for _ in range(64 * 16)]
    return b"".join(parts) + compressor.compress(b"</p></body></html>") + compressor.flush()


@cache
def big_robots() -> bytes:
    """A 3 MB robots.txt: rules at the top, a rule only after 500 KiB that must be ignored (RFC 9309 2.5)."""
    head = "User-agent: *\nDisallow: /prive/\nSitemap: __SITE__/sitemap-laughs.xml\nSitemap: __SITE__/sitemap-xxe.xml\n"
    filler = "".join(f"# commentaire de remplissage numéro {i:07d} " + "-" * 40 + "\n" for i in range(36_000))
    return (head + filler + "User-agent: *\nDisallow: /apres-la-limite/\n").encode()


@cache
def farm_index() -> bytes:
    """A page of 100,000 in-site links (2.4 MB), after one to a path its robots.txt disallows."""
    links = "".join(f'<a href="/p/{i}">{i}</a>\n' for i in range(100_000))
    return f'<html><body><a href="/prive/x.html">privé</a>{links}</body></html>'.encode()


def truncated_gzip() -> bytes:
    body = gzip.compress(page("Tronquée", [f"/tronquee/{i}" for i in range(200)]))
    return body[: len(body) // 2]


def deep_page() -> bytes:
    depth = 100_000
    return (
        page("Page imbriquée")[: -len(b"</article></body></html>")]
        + b"<div>" * depth
        + b'<a href="/au-fond.html">au fond</a>'
        + b"</div>" * depth
        + b"</article></body></html>"
    )


def nul_page() -> bytes:
    return page("Octets NUL", ["/sans-nul.html"]).replace(b"coop", b"co\x00op")


class Hostile(SiteHandler):
    """Serves ``tests/fixtures/bad/site`` and answers the hostile paths itself."""

    routes: dict = {}
    prefixes: dict = {}

    def respond(self, send_body: bool) -> None:
        path = self.path.split("?")[0].split(";")[0]
        route = self.routes.get(path) or next((r for p, r in self.prefixes.items() if path.startswith(p)), None)
        try:
            route(self) if route else super().respond(send_body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up on a body it did not want: that is the point

    def send(self, status: int, body: bytes, content_type: str | None = "text/html", length=None, **headers) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def text(self, body: bytes) -> bytes:
        return body.replace(b"__SITE__", self.site_url.encode())

    # --- answers ------------------------------------------------------------------------------------

    def stream(self, head: bytes, total: int, length: int | None = None, content_type="text/html") -> None:
        """``head`` then filler up to ``total`` bytes, with or without a Content-Length (then until close)."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(head)
        sent = len(head)
        while sent < total:
            self.wfile.write(CHUNK)
            sent += len(CHUNK)

    def not_http(self) -> None:
        self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not an HTTP answer\r\n\r\n")
        self.close_connection = True

    def lying_length(self) -> None:
        self.send(200, page("Coupée")[:500], length=100_000)
        self.close_connection = True

    def calendar(self) -> None:
        month = self.path.partition("mois=")[2][:7] or "2025-06"
        year, number = int(month[:4]), int(month[5:7])
        before = f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"
        after = f"{year + (number == 12)}-{number % 12 + 1:02d}"
        self.send(200, page(f"Agenda {month}", [f"/agenda?mois={before}", f"/agenda?mois={after}"]))

    def session(self) -> None:
        token = f"{random.getrandbits(64):016X}"
        links = [
            f"/session/suite;jsessionid={token}",
            f"/session/suite?PHPSESSID={token}",
            f"/session/suite?sid={token}",
        ]
        self.send(200, page("Session", links))

    def sitemap_chain(self) -> None:
        number = int(self.path.rsplit("/", 1)[1].split(".")[0])
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.site_url}/sitemap-chain/{number + 1}.xml</loc></sitemap></sitemapindex>"
        )
        self.send(200, body.encode(), "application/xml")

    def redirect_chain(self) -> None:
        number = int(self.path.rsplit("/", 1)[1])
        self.send(302, b"", None, Location=f"/redirect-chain/{number + 1}")


Hostile.routes = {
    "/robots.txt": lambda h: h.send(200, h.text(big_robots()), "text/plain"),
    "/gzip-truncated.html": lambda h: h.send(200, truncated_gzip(), Content_Encoding="gzip"),
    "/gzip-bomb.html": lambda h: h.send(200, gzip_bomb(), Content_Encoding="gzip"),
    "/huge-stream.html": lambda h: h.stream(b"<html><body><p>", 50 * 2**20),
    "/content-length-lies.html": Hostile.lying_length,
    "/not-http.html": Hostile.not_http,
    "/huge-header.html": lambda h: h.send(200, page("En-tête"), X_Padding="a" * 100_000),
    "/deep.html": lambda h: h.send(200, deep_page()),
    "/nul.html": lambda h: h.send(200, nul_page()),
    "/sans-nul.html": lambda h: h.send(200, page("Après les NUL")),
    "/agenda": Hostile.calendar,
    "/session/": Hostile.session,
    "/session/suite": Hostile.session,
}
Hostile.prefixes = {"/sitemap-chain/": Hostile.sitemap_chain, "/redirect-chain/": Hostile.redirect_chain}


class Farm(Hostile):
    """100,000 links on the home page, and a robots.txt that never ends (no Content-Length); nothing else."""

    def respond(self, send_body: bool) -> None:
        path = self.path.split("?")[0]
        if path in self.routes or any(path.startswith(p) for p in self.prefixes):
            super().respond(send_body)
        else:
            self.send_error(404, "Not Found")

    routes = {
        "/robots.txt": lambda h: h.stream(b"User-agent: *\nDisallow: /prive/\n", 50 * 2**20, None, "text/plain"),
        "/": lambda h: h.send(200, farm_index()),
        "/index.html": lambda h: h.send(200, farm_index()),
    }
    prefixes = {"/p/": lambda h: h.send(200, page("Page de la ferme"))}


class GiantRobots(Farm):
    """A robots.txt announcing 50 MB: over the size limit, so the site is treated as unreachable (RFC 9309)."""

    routes = {"/robots.txt": lambda h: h.stream(b"User-agent: *\n", 50 * 2**20, 50 * 2**20, "text/plain")}
    prefixes = {}


RUN_ESS_REPORTING_PEAK = """
import atexit, re, runpy, sys
def report_peak():  # VmHWM: the peak of this program alone (ru_maxrss would count the forking parent too)
    with open("/proc/self/status") as status:
        sys.stderr.write("\\nESS_PEAK_KB " + re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1) + "\\n")
atexit.register(report_peak)
sys.argv = ["ess", *sys.argv[1:]]
runpy.run_module("search_api.cli", run_name="__main__")
"""


def run_ess_with_peak(settings, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run `ess` like ``run_ess``; return it completed and its peak resident memory in MB."""
    command, variables = ess_command(settings, *args, **env)
    command = [command[0], "-c", RUN_ESS_REPORTING_PEAK, *args]
    done = subprocess.run(command, env=variables, capture_output=True, text=True, timeout=300)
    peak = re.search(r"ESS_PEAK_KB (\d+)", done.stderr)
    return done, int(peak.group(1)) / 1024 if peak else float("inf")


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory, base_settings, registry):
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("hostile-data")})
    with (
        SiteHost([(SITE, 0)], handler=Hostile) as hostile,
        SiteHost([(SITE, 0)], handler=Farm) as farm,
        SiteHost([(SITE, 0)], handler=GiantRobots) as giant,
    ):
        urls = {"hostile": hostile.urls()[0], "farm": farm.urls()[0], "giant": giant.urls()[0]}
        settings = registry(settings, urls)
        started = time.monotonic()
        done, peak_mb = run_ess_with_peak(
            settings, "crawl", "--json", ESS_CRAWL_MAX_MB=str(MAX_MB), ESS_CRAWL_TIMEOUT="5"
        )
        elapsed = time.monotonic() - started
        logs = {"hostile": hostile.requests(), "farm": farm.requests(), "giant": giant.requests()}
    assert done.returncode == 0, done.stderr[-3000:]
    return settings, json.loads(done.stdout), logs, done.stderr, peak_mb, elapsed


def paths(log) -> list[str]:
    return [path for _, _, path, _ in log]


def test_every_hostile_answer_is_a_counted_outcome(hostile_crawl):
    _, summary, _, _, _, _ = hostile_crawl
    expected = {
        "hostile": {
            "errors/truncated_gzip": 1,  # Content-Encoding: gzip cut in half
            "skipped/too_large": 2,  # the gzip bomb (inflated size) and the 50 MB page without Content-Length
            "errors/data_loss": 1,  # Content-Length 100,000 for 500 bytes
            "errors/DownloadFailedError": 2,  # an answer that is not HTTP, a 100 KB header line
            "skipped/max_redirections_reached": 1,  # /redirect-chain/1 -> 2 -> 3 -> ...
            "skipped/xml_entities": 4,  # billion laughs and XXE, in a sitemap and in a feed each
            "skipped/sitemap_already_read": 1,  # the sitemap index that lists itself
            "skipped/sitemap_too_deep": 1,  # the endless chain of sitemap indexes
            "skipped/url_too_long": 2,  # a 10,000-character URL in a link and in a sitemap
            "skipped/max_depth": 2,  # the endless calendar, both ways
            "robots_blocked": 1,  # /prive/, disallowed at the top of a 3 MB robots.txt
        },
        "farm": {"skipped/too_many_links": 1, "skipped/max_pages": 1, "robots_blocked": 1},
        "giant": {"robots_blocked": 1},
    }
    missing = {
        (site, key): (summary[site].get(key, 0), at_least)
        for site, counters in expected.items()
        for key, at_least in counters.items()
        if summary[site].get(key, 0) < at_least
    }
    assert not missing, (missing, summary)


def test_the_good_pages_of_the_hostile_site_are_kept(hostile_crawl):
    settings, summary, _, _, _, _ = hostile_crawl
    db = sqlite3.connect(settings.crawl_db)
    rows = {
        urlsplit(url).path: (status, error)
        for url, status, error in db.execute("SELECT url, status, last_error FROM pages")
    }
    db.close()
    kept = ["/article-cooperative.html", "/article-mutuelle.html", "/nul.html", "/sans-nul.html", "/deep.html"]
    kept += ["/apres-la-limite/page.html", "/session/suite"]  # a rule past 500 KiB of robots.txt is not read
    assert {path: rows.get(path, (None, None))[0] for path in kept} == dict.fromkeys(kept, 200)
    assert rows["/gzip-truncated.html"] == (None, "errors/truncated_gzip")  # recorded as a failure, nothing archived
    assert "/gzip-bomb.html" not in rows and "/huge-stream.html" not in rows
    assert summary["hostile"]["fetched"] >= 10 and summary["farm"]["fetched"] >= 10


def test_crawl_traps_stop_at_the_limits(hostile_crawl):
    _, _, logs, _, _, _ = hostile_crawl
    hostile, farm = paths(logs["hostile"]), paths(logs["farm"])
    assert len([p for p in hostile if p.startswith("/agenda")]) == 5  # 2025-06 at depth 1, two months each way
    assert [p for p in hostile if p.startswith("/session/suite")] == ["/session/suite"]  # session ids dropped
    assert not [p for p in hostile if "sessionid" in p.lower() or "sid=" in p.lower()]
    assert hostile.count("/sitemap.xml") == 1
    assert [p for p in hostile if p.startswith("/sitemap-chain/")] == ["/sitemap-chain/1.xml", "/sitemap-chain/2.xml"]
    assert len([p for p in hostile if p.startswith("/redirect-chain/")]) == 11  # REDIRECT_MAX_TIMES + 1
    assert not [p for p in hostile if len(p) > 2083]
    assert 10 <= len([p for p in farm if p.startswith("/p/")]) <= 50  # max_pages of the registry


def test_no_entity_is_expanded_and_no_local_file_read(hostile_crawl):
    settings, _, logs, _, _, _ = hostile_crawl
    requested = paths(logs["hostile"])
    assert not [p for p in requested if p.startswith(("/laughs", "/xxe"))]
    archived = b"".join(path.read_bytes() for path in settings.raw_dir.glob("*.warc.gz"))
    assert b"root:x:0:0" not in gzip.decompress(archived)


def test_robots_txt_is_read_to_500_kib_and_an_oversized_one_blocks_the_site(hostile_crawl):
    _, _, logs, stderr, _, _ = hostile_crawl
    assert "/prive/secret.html" not in paths(logs["hostile"]) and "/prive/x.html" not in paths(logs["farm"])
    assert paths(logs["giant"]) == ["/robots.txt"]
    assert stderr.count("has a robots.txt over") == 2 and "announces a robots.txt over the size limit" in stderr


def test_memory_and_time_stay_bounded(hostile_crawl):
    _, _, _, _, peak_mb, elapsed = hostile_crawl
    assert peak_mb < PEAK_RSS_MB, f"the crawl peaked at {peak_mb:.0f} MB"
    assert elapsed < 120
