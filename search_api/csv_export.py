"""CSV exports: search hits and an entity's mentions, as analysts open them in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from fastapi.responses import Response

from search_api.schemas import SearchResponse
from search_api.snippets import plain

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv."}}
SEARCH_COLUMNS = ["rank", "id", "title", "source", "published", "author", "kind", "url", "score", "gone", "also_on"]
SEARCH_COLUMNS += ["entities", "snippet"]
MENTION_COLUMNS = ["document", "title", "source", "published", "url", "surface", "label", "start", "end", "sentence"]


def csv_response(header: list[str], rows: Iterable[list], filename: str) -> Response:
    """A CSV download; a byte-order mark first, so spreadsheets read the accents as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    safe_name = re.sub(r"[^A-Za-z0-9.]+", "-", filename).strip("-")
    disposition = f'attachment; filename="{safe_name}"'
    return Response(out.getvalue(), media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": disposition})


def mention_rows(mentions: list[dict]) -> Iterable[list]:
    return ([m[column] for column in MENTION_COLUMNS] for m in mentions)


def search_rows(result: SearchResponse) -> Iterable[list]:
    for rank, hit in enumerate(result.hits, result.offset + 1):
        yield [
            rank,
            hit.id,
            hit.title,
            hit.source,
            hit.published,
            hit.author,
            hit.kind,
            hit.url,
            hit.score,
            int(hit.gone),
            " ".join(a.url for a in hit.also_on),
            "; ".join(e.name for e in hit.entities),
            plain(hit.snippet),
        ]
