"""Crawls as the `ess` command runs them: ESS settings into Scrapy settings, a lock, a summary per source."""

from __future__ import annotations

from collections import Counter

from crawler.pipelines import source_summaries
from crawler.registry import Source
from crawler.run import run_crawl, scrapy_settings
from pipeline.config import Settings
from pipeline.locks import data_lock

COLUMNS = ("fetched", "new", "changed", "unchanged", "not_modified", "gone", "robots_blocked")


class CrawlFailed(RuntimeError):
    """Nothing could be fetched; the message gives the errors seen."""


def crawl_sources(
    settings: Settings, sources: list[Source], mode: str, max_pages: int | None = None, then_process: bool = False
) -> tuple[dict, dict | None]:
    """Crawl (and process, if asked) under one data-directory lock; return the crawl's {source: counters}
    and the processing counters."""
    with data_lock(settings.data_dir, mode):
        stats = run_crawl(sources, scrapy_settings(settings, mode), mode=mode, max_pages=max_pages)
        found = source_summaries(stats)
        summaries = {source.name: found.get(source.name, {}) for source in sources}
        errors = Counter()
        for counts in summaries.values():
            errors.update({k: v for k, v in counts.items() if k.startswith("errors/")})
        if errors and not any(s.get("fetched") for s in summaries.values()):
            raise CrawlFailed(
                f"nothing could be fetched from {len(sources)} source(s) (network down, or hosts unknown?); "
                f"errors: {dict(errors)}"
            )
        processed = None
        if then_process:
            from pipeline.processing.run import process_locked  # loads spaCy and torch: only when processing follows

            processed = dict(process_locked(settings).counts)
    return summaries, processed


def summary_table(summaries: dict[str, dict]) -> str:
    """One line per source with the main counters, then pages left unasked, skips and errors by reason."""
    header = f"{'source':<24}" + "".join(f"{c.replace('_', ' '):>15}" for c in COLUMNS)
    lines = [header]
    for source, counts in sorted(summaries.items()):
        lines.append(f"{source:<24}" + "".join(f"{counts.get(c, 0):>15}" for c in COLUMNS))
        details = {k: v for k, v in counts.items() if k.startswith(("skipped/", "errors/", "unchanged/"))}
        if details:
            lines.append("    " + ", ".join(f"{k} {v}" for k, v in sorted(details.items())))
    return "\n".join(lines)
