"""URL canonicalisation: one key per page, whatever tracking parameters or fragments a link carries."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|xtor|xts|at_medium|at_campaign|_hsenc|_hsmi|"
    r"igshid|yclid|mkt_tok|wt\.mc_id|ns_source|ns_mchannel|ns_campaign|sessionid|phpsessid|jsessionid|sid)$",
    re.I,
)
SESSION_PATH_PARAMETER = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/;?#]*", re.I)  # /page;jsessionid=…
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2083  # longer URLs are not requested (browsers' old limit, Scrapy's URLLENGTH_LIMIT)


def clean_url(url: str) -> str:
    """The URL to request: no fragment, no tracking or session parameters, lowercase scheme and host, no default
    port."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    netloc = host if parts.port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not TRACKING.match(k)]
    query = parts.query if len(kept) == len(pairs) else urlencode(kept)
    path = SESSION_PATH_PARAMETER.sub("", parts.path) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def canonical_url(url: str) -> str:
    """The key of a page: the clean URL with sorted parameters and no trailing slash (but the root's).

    Only a key: requests keep the clean URL, since ``/a`` and ``/a/`` may differ on the server.
    """
    parts = urlsplit(clean_url(url))
    path = parts.path.rstrip("/") or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
