"""Exports for spreadsheets: search hits and an entity's mentions, as CSV or as an Excel workbook (xlsx).

The CSV starts with a byte-order mark, so that spreadsheets read its accents as UTF-8. The workbook keeps the
types: numbers as numbers, full publication dates as dates (a year or a month alone stays text), its header
row frozen; a text that starts with "=" stays text, never a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable
from typing import Literal

from fastapi.responses import Response

from search_api.schemas import SearchResponse
from search_api.snippets import plain

Format = Literal["json", "csv", "xlsx"]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_RESPONSES = {
    200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "JSON; CSV or xlsx with format."}
}
SEARCH_COLUMNS = ["rank", "id", "title", "source", "published", "author", "kind", "url", "score", "gone", "also_on"]
SEARCH_COLUMNS += ["entities", "snippet"]
MENTION_COLUMNS = ["document", "title", "source", "published", "url", "surface", "label", "start", "end", "sentence"]
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def table_response(header: list[str], rows: Iterable[list], stem: str, form: Format) -> Response:
    """A download of the table as ``stem``.csv or ``stem``.xlsx."""
    if form == "xlsx":
        return download(workbook(header, rows, stem), XLSX_MEDIA_TYPE, f"{stem}.xlsx")
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return download(out.getvalue().encode("utf-8"), CSV_MEDIA_TYPE, f"{stem}.csv")


def download(body: bytes, media_type: str, filename: str) -> Response:
    safe_name = re.sub(r"[^A-Za-z0-9.]+", "-", filename).strip("-")
    disposition = f'attachment; filename="{safe_name}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


def workbook(header: list[str], rows: Iterable[list], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", "-", title)[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            typed_cell(sheet.cell(row=number, column=column), header[column - 1], value, ILLEGAL_CHARACTERS_RE)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def typed_cell(cell, column: str, value, illegal: re.Pattern) -> None:
    """``value`` into ``cell``: a full publication date as a date, text as text (without the characters a
    workbook cannot hold, ``illegal``), numbers as they are."""
    if column == "published" and isinstance(value, str) and FULL_DATE.fullmatch(value):
        try:
            cell.value, cell.number_format = datetime.date.fromisoformat(value), "yyyy-mm-dd"
            return
        except ValueError:
            pass
    if isinstance(value, str):
        cell.value = illegal.sub("", value)
        cell.data_type = "s"  # "=..." stays text, not a formula
    else:
        cell.value = value


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
