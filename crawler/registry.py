"""The sources registry: one TOML table per source, read by the spider and by the ``ess`` command."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

KINDS = ("network", "media", "public", "foundation", "research")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class RegistryError(ValueError):
    """The registry file cannot be used; the message says which source and field."""


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    kind: str
    homepage: str
    start_urls: tuple[str, ...]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_depth: int = 3
    max_pages: int = 2000
    allow_private: bool = False
    hosts: frozenset[tuple[str, int]] = field(default=frozenset(), compare=False)

    def owns(self, url: str) -> bool:
        """True when ``url`` is on one of the source's sites (same port, host or a subdomain of it)."""
        host, port = host_and_port(url)
        return any(port == p and (host == h or host.endswith("." + h)) for h, p in self.hosts)

    def roots(self) -> list[str]:
        """Scheme and authority of every site of the source, e.g. ``https://www.avise.org``."""
        seen = {}
        for url in (self.homepage, *self.start_urls):
            parts = urlsplit(url)
            seen.setdefault(f"{parts.scheme}://{parts.netloc}", None)
        return list(seen)


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    host = (parts.hostname or "").lower()
    return (host[4:] if host.startswith("www.") else host), (parts.port or default)


def _strings(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RegistryError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _check_urls(urls: tuple[str, ...], where: str) -> None:
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise RegistryError(f"{where}: '{url}' is not an http(s) URL")


def _check_patterns(patterns: tuple[str, ...], where: str) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise RegistryError(f"{where}: bad regular expression {pattern!r}: {exc}") from None


def parse_source(table: dict, index: int) -> Source:
    where = f"source #{index + 1} ({table.get('name', 'unnamed')})"
    for key in ("name", "title", "kind", "homepage"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise RegistryError(f"{where}: '{key}' is required")
    if not SLUG.match(table["name"]):
        raise RegistryError(f"{where}: name must be a lowercase slug")
    if table["kind"] not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {', '.join(KINDS)}")
    lists = {key: _strings(table, key, where) for key in ("start_urls", "feeds", "sitemaps", "allow", "deny")}
    start_urls = lists.pop("start_urls") or (table["homepage"],)
    _check_urls((table["homepage"], *start_urls, *lists["feeds"], *lists["sitemaps"]), where)
    _check_patterns(lists["allow"] + lists["deny"], where)
    hosts = frozenset(host_and_port(url) for url in (table["homepage"], *start_urls))
    return Source(
        name=table["name"],
        title=table["title"],
        kind=table["kind"],
        homepage=table["homepage"],
        start_urls=start_urls,
        max_depth=int(table.get("max_depth", 3)),
        max_pages=int(table.get("max_pages", 2000)),
        allow_private=bool(table.get("allow_private", False)),
        hosts=hosts,
        **lists,
    )


def load_registry(path: Path) -> list[Source]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"sources registry not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: invalid TOML: {exc}") from None
    sources = [parse_source(table, i) for i, table in enumerate(data.get("source", []))]
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RegistryError(f"{path}: duplicate source names: {', '.join(duplicates)}")
    return sources
