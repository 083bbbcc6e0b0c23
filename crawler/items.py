"""What the spider hands to the item pipelines: one fetched response, uninterpreted."""

from dataclasses import dataclass


@dataclass
class FetchedResponse:
    source: str
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    role: str  # page | feed | sitemap
    depth: int
    fetched_at: str
