"""What the spider hands to the item pipelines: fetched responses, uninterpreted, and failures."""

from dataclasses import dataclass


@dataclass
class FetchedResponse:
    source: str
    key: str  # canonical URL: the crawl-state key
    url: str
    status: int
    reason: str
    request_headers: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    role: str  # page | feed | sitemap
    depth: int
    fetched_at: str


@dataclass
class FetchFailure:
    source: str
    key: str
    url: str
    error: str
    fetched_at: str
