"""What the spider hands to the item pipelines: fetched responses, uninterpreted, and failures."""

from dataclasses import dataclass

from pipeline.archive.warc_writer import Exchange


@dataclass
class FetchedResponse:
    """An HTTP exchange to archive, with its place in the crawl."""

    source: str
    key: str  # canonical URL: the crawl-state key
    role: str  # page | feed | sitemap
    depth: int
    exchange: Exchange


@dataclass
class FetchFailure:
    source: str
    key: str
    url: str
    error: str
    fetched_at: str


def count(stats, source: str, what: str) -> None:
    """One more ``what`` for ``source`` in Scrapy's stats (``ess/<source>/<what>``), as run summaries read them."""
    stats.inc_value(f"ess/{source}/{what}")
