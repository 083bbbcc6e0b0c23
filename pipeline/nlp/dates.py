"""French dates: a spaCy component tags them DATE (spaCy's French models have none); dateparser normalises.

Tagged: "13 avril 2012", "lundi 25 juin", "juin 2012", "17/02/2012", "1er octobre 2024", "2012".
Normalised to ISO with the granularity of the expression: "2012-04-13" (day), "2012-06" (month),
"2012" (year). A date without a year takes the year of the document's date.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

MONTHS = r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|novembre|d[ée]cembre"
WEEKDAYS = r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
YEAR = r"(?:1[89]|20)\d{2}"
DAY = r"(?:1er|[12]\d|3[01]|0?[1-9])"
DATE = re.compile(
    rf"\b(?:(?:{WEEKDAYS})\s+)?{DAY}\s+(?:{MONTHS})(?:\s+{YEAR})?\b"  # (lundi) 25 juin (2012)
    rf"|\b(?:{MONTHS})\s+{YEAR}\b"  # juin 2012
    rf"|\b(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|1[0-2])[/.]{YEAR}\b"  # 17/02/2012
    rf"|(?<![\d\s][\s\u00a0\u202f])(?<![\d,.])\b{YEAR}\b(?![\s\u00a0\u202f]?\d)",  # 2012, not "2 400" or "1 2012"
    re.IGNORECASE,
)
HAS_YEAR = re.compile(rf"\b{YEAR}\b")
GRANULARITY = {"day": 10, "month": 7, "year": 4}


@Language.component("french_dates")
def french_dates(doc: Doc) -> Doc:
    """Add DATE entities where no other entity already covers the text."""
    spans = [doc.char_span(m.start(), m.end(), label="DATE", alignment_mode="expand") for m in DATE.finditer(doc.text)]
    if not any(spans):  # reading doc.ents builds a Token for every token of the doc
        return doc
    taken = list(doc.ents)
    fresh = [s for s in spans if s is not None and not any(s.start < e.end and e.start < s.end for e in taken)]
    doc.ents = filter_spans(taken + fresh)
    return doc


@lru_cache(maxsize=1)
def _parser():
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["fr"], settings={"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first"})


def normalise_date(text: str, reference: str | None) -> str | None:
    """ISO value of a French date expression ("2012-04-13", "2012-06" or "2012"); None if it is no date.

    ``reference`` is the document's date (ISO); its year completes a date written without one.
    """
    expression = " ".join(text.split())
    if not HAS_YEAR.search(expression):
        if not reference:
            return None
        expression = f"{expression} {reference[:4]}"
    return iso_value(expression)


@lru_cache(maxsize=4096)
def iso_value(expression: str) -> str | None:
    """dateparser's reading of an expression with its year: the same every time, and a press corpus writes the
    same few hundred expressions ("2012", "juin 2012") again and again."""
    found = _parser().get_date_data(expression)
    if found.date_obj is None or found.period not in GRANULARITY:
        return None
    return found.date_obj.date().isoformat()[: GRANULARITY[found.period]]
