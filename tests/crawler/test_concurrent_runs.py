"""Two writers on one data directory: the second is refused at once with a clear message, the first finishes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time

import pytest

from crawler.sitehost import SiteHandler, SiteHost
from pipeline.archive.warc_writer import read_response_body
from tests_support import run_ess_async

pytestmark = pytest.mark.slow  # concurrent crawls and runs

PAGES = 20
HELD = "/p7.html"
REFUSED_WITHIN = 10  # seconds


class HeldSite(SiteHandler):
    """A slow site (0.15 s per response) whose page HELD, once ``hold`` is set, waits for ``release``.

    Holding one page keeps a recrawl running (and holding its lock) for as long as the test needs; the other
    pages are served meanwhile, so the recrawl ends as soon as the page is released.
    """

    hold, held, release = threading.Event(), threading.Event(), threading.Event()

    def respond(self, send_body: bool) -> None:
        time.sleep(0.15)
        if self.path == HELD and self.hold.is_set():
            self.held.set()
            self.release.wait(timeout=120)
        super().respond(send_body)


def archived_rows(settings) -> list[sqlite3.Row]:
    db = sqlite3.connect(settings.crawl_db)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM pages WHERE role = 'page' AND warc_file IS NOT NULL").fetchall()
    finally:
        db.close()


def lock_holder(settings) -> str:
    path = settings.data_dir / ".lock"
    return path.read_text() if path.exists() else ""


def test_second_writer_is_refused_while_a_recrawl_runs(tmp_path, base_settings, registry, ess):
    site = tmp_path / "site"
    site.mkdir()
    for n in range(PAGES):
        (site / f"p{n}.html").write_text(f"<html><body><h1>Page {n}</h1><p>{'texte ' * 50}{n}</p></body></html>")
    (site / "index.html").write_text("".join(f'<a href="/p{n}.html">{n}</a>' for n in range(PAGES)))
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    for event in (HeldSite.hold, HeldSite.held, HeldSite.release):
        event.clear()
    with SiteHost([(site, 0)], handler=HeldSite) as host:
        settings = registry(settings, {"slow": host.urls()[0]})
        first = ess(settings, "crawl", "--json")
        assert first.returncode == 0, first.stderr[-2000:]
        assert len(archived_rows(settings)) == PAGES + 1
        warc_files = sorted(settings.raw_dir.glob("*.warc.gz"))

        HeldSite.hold.set()  # the recrawl runs, and holds the lock, until the held page is released
        try:
            recrawl = run_ess_async(settings, "recrawl", "--json", ESS_CRAWL_TIMEOUT="180")
            deadline = time.monotonic() + 60
            while not ("ess recrawl" in lock_holder(settings) and HeldSite.held.is_set()) and recrawl.poll() is None:
                assert time.monotonic() < deadline, "the recrawl never took the lock or never asked for the page"
                time.sleep(0.05)
            assert recrawl.poll() is None, recrawl.communicate()[1][-2000:]

            for command in ("recrawl", "process"):
                started = time.monotonic()
                refused = ess(settings, command, "--json", timeout=60)
                elapsed = time.monotonic() - started
                assert refused.returncode != 0, f"a second `ess {command}` ran: {refused.stdout[-2000:]}"
                assert elapsed < REFUSED_WITHIN, f"`ess {command}` took {elapsed:.1f} s to be refused"
                assert str(settings.data_dir) in refused.stderr, refused.stderr[-2000:]
                assert "in use by `ess recrawl`" in refused.stderr, refused.stderr[-2000:]
                assert "Traceback" not in refused.stderr, refused.stderr[-2000:]
                assert refused.stdout == ""
            assert recrawl.poll() is None  # the refused commands did not disturb the one running
        finally:
            HeldSite.release.set()
            HeldSite.hold.clear()
        out, err = recrawl.communicate(timeout=120)
        assert recrawl.returncode == 0, err[-2000:]
        summary = json.loads(out)["slow"]
        assert summary["fetched"] == PAGES + 1
        assert summary["not_modified"] == PAGES + 1

        assert not settings.store_db.exists()  # the refused `ess process` wrote nothing
        assert sorted(settings.raw_dir.glob("*.warc.gz")) == warc_files  # nor did the refused recrawl
        rows = archived_rows(settings)
        assert len(rows) == PAGES + 1
        for row in rows:
            body = read_response_body(settings.raw_dir, row["warc_file"], row["warc_offset"])
            assert hashlib.sha256(body).hexdigest() == row["content_hash"], row["url"]

        again = ess(settings, "recrawl", "--json")  # the lock was released
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["slow"]["not_modified"] == PAGES + 1
