"""A crawl killed with SIGKILL loses nothing it archived, and the next run goes on from there."""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.sitehost import SiteHandler, SiteHost
from pipeline.archive.warc_reader import latest_pages
from pipeline.archive.warc_writer import read_response_body
from tests_support import run_ess_async

pytestmark = pytest.mark.slow  # crawls killed mid-run

PAGES = 24


class SlowSite(SiteHandler):
    def respond(self, send_body: bool) -> None:
        time.sleep(0.15)
        super().respond(send_body)


def article(n: int) -> str:
    """A page long enough to be processed as an article (well over 120 words), with its own numbers."""
    sentences = " ".join(
        f"La coopérative {n} du quartier {i} a réuni {n + i} bénévoles autour du projet {i * 7 + n} cette année."
        for i in range(14)
    )
    return f"<html><body><h1>Page {n}</h1><p>{sentences}</p></body></html>"


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


def assert_readable(settings, rows: list[sqlite3.Row]) -> None:
    """Every page the state knows is readable in the archive, with the content it recorded."""
    for row in rows:
        body = read_response_body(settings.raw_dir, row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["content_hash"], row["url"]


def record_length(path: Path, offset: int) -> int:
    """The length of the (gzip member of the) record at ``offset`` of ``path``."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        records = ArchiveIterator(stream)
        next(records)
        return records.get_record_length()


def places(pages) -> dict[str, tuple[str, int, str]]:
    return {key: (page.warc_file, page.offset, page.raw_hash) for key, page in pages.items()}


def test_kill_then_rerun(tmp_path, base_settings, registry, ess, caplog):
    site = tmp_path / "site"
    site.mkdir()
    for n in range(PAGES):
        (site / f"p{n}.html").write_text(article(n))
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
        assert_readable(settings, before)
        assert len(latest_pages(settings.raw_dir)) >= len(before)

        # What a kill in the middle of writing a record leaves: the first half of a record at the end of the file.
        damaged = max(settings.raw_dir.glob("*.warc.gz"), key=lambda path: path.stat().st_mtime)
        row = next(row for row in reversed(before) if row["warc_file"] == damaged.name)
        intact = latest_pages(settings.raw_dir)
        data = damaged.read_bytes()
        cut = data[row["warc_offset"] : row["warc_offset"] + record_length(damaged, row["warc_offset"]) // 2]
        with open(damaged, "ab") as stream:
            stream.write(cut)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="pipeline.archive.warc_reader"):
            assert places(latest_pages(settings.raw_dir)) == places(intact)  # the cut record is skipped
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(damaged.name in message for message in warnings), warnings
        assert_readable(settings, before)
        files, damaged_bytes = set(settings.raw_dir.glob("*.warc.gz")), damaged.read_bytes()

        again = ess(settings, "crawl", "--json")  # the lock died with the process
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)["slow"]
    assert summary["not_modified"] >= len(before) - 1  # what was archived is only confirmed
    after = archived_rows(settings)
    assert len(after) == PAGES + 1
    assert_readable(settings, after)
    assert damaged.read_bytes() == damaged_bytes  # the rerun writes to a new file, not after the damage
    new_files = {path.name for path in set(settings.raw_dir.glob("*.warc.gz")) - files}
    assert new_files
    known = {row["url"] for row in before}
    assert all(row["warc_file"] in new_files for row in after if row["url"] not in known)

    processed = ess(settings, "process", "--json")
    assert processed.returncode == 0, processed.stderr[-2000:]
    counts = json.loads(processed.stdout)
    assert counts.get("processed", 0) >= PAGES, counts
    assert damaged.name in processed.stderr  # the damage is reported, not fatal
