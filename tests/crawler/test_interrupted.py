"""A crawl killed with SIGKILL loses nothing it archived, and the next run goes on from there."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import time

from crawler.archive import read_response_body
from crawler.sitehost import SiteHandler, SiteHost
from pipeline.warc import latest_pages
from tests_support import run_ess_async

PAGES = 24


class SlowSite(SiteHandler):
    def respond(self, send_body: bool) -> None:
        time.sleep(0.15)
        super().respond(send_body)


def archived_rows(settings) -> list[sqlite3.Row]:
    """Archived pages in the crawl state ([] while the crawl is still creating it)."""
    db = sqlite3.connect(settings.crawl_db)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM pages WHERE role = 'page' AND warc_file IS NOT NULL").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def test_kill_then_rerun(tmp_path, base_settings, registry, ess):
    site = tmp_path / "site"
    site.mkdir()
    for n in range(PAGES):
        (site / f"p{n}.html").write_text(f"<html><body><h1>Page {n}</h1><p>{'texte ' * 50}{n}</p></body></html>")
    (site / "index.html").write_text("".join(f'<a href="/p{n}.html">{n}</a>' for n in range(PAGES)))
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with SiteHost([(site, 0)], handler=SlowSite) as host:
        settings = registry(settings, {"slow": host.urls()[0]})
        crawl = run_ess_async(settings, "crawl", "--json")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not settings.crawl_db.exists() or len(archived_rows(settings)) < 6):
            time.sleep(0.05)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(timeout=30)
        before = archived_rows(settings)
        assert 6 <= len(before) < PAGES + 1

        for row in before:  # every page the state knows is readable in the archive, as it was
            body = read_response_body(settings.raw_dir, row["warc_file"], row["warc_offset"])
            assert hashlib.sha256(body).hexdigest() == row["content_hash"]
        assert len(latest_pages(settings.raw_dir)) >= len(before)

        again = ess(settings, "crawl", "--json")  # the lock died with the process
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)["slow"]
    assert summary["not_modified"] >= len(before) - 1  # what was archived is only confirmed
    assert len(archived_rows(settings)) == PAGES + 1
