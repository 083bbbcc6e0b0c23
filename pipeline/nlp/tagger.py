"""The French NLP pipeline, built once per process: gazetteer (``pipeline.nlp.gazetteer_ruler``) -> spaCy NER
-> our dates."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.entities import gazetteer
from pipeline.entities.gazetteer import Entry, entity_key, load_gazetteer, model_text
from pipeline.nlp import (
    dates,  # noqa: F401 - registers the "french_dates" component
    gazetteer_ruler,  # noqa: F401 - registers the "gazetteer_ruler" component
)
from pipeline.nlp.dates import normalise_date
from pipeline.nlp.span_cleaning import Lexicon, SpanCleaner
from pipeline.records import Mention

LABELS = {*gazetteer.LABELS, "DATE"}  # what becomes a mention
MAX_ENTITY_CHARS = 80
MAX_ENTITY_TOKENS = 10
PIECE_CHARS = 100_000
HAS_LETTER = re.compile(r"[^\W\d_]")
PRONOUNS = {
    "il",
    "elle",
    "ils",
    "elles",
    "on",
    "nous",
    "vous",
    "je",
    "tu",
    "lui",
    "eux",
    "celui",
    "celle",
    "ceux",
    "celles",
    "cela",
    "ça",
    "ca",
    "ceci",
    "moi",
    "toi",
    "soi",
    "leur",
    "leurs",
}


class GazetteerNames:
    """Gives the gazetteer's name and type to entities the model found under a gazetteer spelling
    ("PACA" tagged ORG by the model becomes the LOC Provence-Alpes-Côte d'Azur)."""

    def __init__(self, entries: list[Entry]):
        self.exact = {s: e for e in entries if e.case_sensitive for s in e.spellings()}
        self.folded = {entity_key(s): e for e in entries if not e.case_sensitive for s in e.spellings()}

    def __call__(self, doc: Doc) -> Doc:
        doc.ents = [self.named(span) for span in doc.ents]
        return doc

    def named(self, span: Span) -> Span:
        if span.ent_id_ or span.label_ == "DATE":
            return span
        entry = self.exact.get(span.text) or self.folded.get(entity_key(span.text))
        return Span(span.doc, span.start, span.end, label=entry.type, span_id=entry.name) if entry else span


@Language.factory("gazetteer_names", default_config={"path": ""})
def make_gazetteer_names(nlp: Language, name: str, path: str) -> GazetteerNames:
    return GazetteerNames(load_gazetteer(Path(path)))


class EntityCleaner:
    """After the model: its spans cleaned (pipeline.nlp.span_cleaning); what is dropped is counted in
    ``doc.user_data``."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        cleaner, kept, dropped = SpanCleaner(doc, self.lexicon), [], Counter()
        for span in doc.ents:
            outcome = cleaner.clean(span)
            if isinstance(outcome, str):
                dropped[outcome] += 1
            else:
                kept.append(outcome)
        doc.ents = kept
        doc.user_data["dropped"] = dropped
        return doc


@Language.factory("entity_cleaner")
def make_entity_cleaner(nlp: Language, name: str) -> EntityCleaner:
    """The lexicon comes from the model's lemmatizer tables (loaded, never run)."""
    lookups = nlp.get_pipe("lemmatizer").lookups if "lemmatizer" in nlp.component_names else None
    return EntityCleaner(Lexicon(lookups))


def statistical_ner(model: str) -> Language:
    """The model with its NER on and what NER listens to (parser, lemmatizer, morphologizer off)."""
    nlp = spacy.load(model, exclude=["parser", "morphologizer", "attribute_ruler", "senter"], disable=["lemmatizer"])
    if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
        nlp.disable_pipe("tok2vec")
    return nlp


@lru_cache(maxsize=2)
def load_nlp(model: str, gazetteer: str) -> Language:
    """The model with only NER on: the gazetteer's names before it; span cleaning, its places and our dates
    after it."""
    nlp = statistical_ner(model)
    nlp.add_pipe("gazetteer_ruler", before="ner", config={"path": gazetteer})
    nlp.add_pipe("entity_cleaner", after="ner")
    # Places only fill what the model left untagged: "Paris" must not cut "Disneyland Paris" in two.
    nlp.add_pipe(
        "gazetteer_ruler", name="place_ruler", after="entity_cleaner", config={"path": gazetteer, "places": True}
    )
    nlp.add_pipe("gazetteer_names", after="place_ruler", config={"path": gazetteer})
    nlp.add_pipe("french_dates", after="gazetteer_names")
    return nlp


def pieces(text: str, size: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """Split long text at paragraph breaks into (offset, piece) no longer than ``size`` where possible."""
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        out.append((start, text[start:end]))
        start = end
    return out


def drop_reason(span) -> str | None:
    """Why a predicted entity is an obvious false positive, or None to keep it."""
    text = span.text.strip()
    if not HAS_LETTER.search(text):
        return "no letters"
    if text.casefold() in PRONOUNS:
        return "pronoun"
    if len(span) == 1 and text.islower():
        return "lone lowercase word"
    if len(text) == 1:
        return "single letter"
    if text[0] in "@#" or "://" in text or text.lower().startswith("www."):
        return "handle, hashtag or address"
    if len(text) > MAX_ENTITY_CHARS or len(span) > MAX_ENTITY_TOKENS:
        return "overlong span"
    return None


def to_mention(span, text: str, offset: int, reference: str | None) -> Mention | str:
    """A Mention (its surface read from ``text``, the piece as written), or the reason the span is dropped."""
    start, end = offset + span.start_char, offset + span.end_char
    surface = text[span.start_char : span.end_char]
    if span.label_ == "DATE":
        value = normalise_date(span.text, reference)
        if value is None:
            return "date not understood"
        return Mention(surface, "DATE", start, end, value=value)
    reason = drop_reason(span)
    if reason:
        return reason
    return Mention(surface, span.label_, start, end, entity=span.ent_id_ or None)


def entities(
    nlp: Language, texts: list[str], references: list[str | None], batch_size: int = 16
) -> tuple[list[list[Mention]], Counter]:
    """Mentions for each text (offsets in the text) and the counts of dropped spans by reason.

    ``references`` are the documents' dates, which complete dates written without a year.
    """
    jobs = [(i, offset, piece) for i, text in enumerate(texts) for offset, piece in pieces(text)]
    found: list[list[Mention]] = [[] for _ in texts]
    dropped: Counter = Counter()
    docs = nlp.pipe((model_text(piece) for _, _, piece in jobs), batch_size=batch_size)
    for (i, offset, piece), doc in zip(jobs, docs, strict=True):
        dropped.update(doc.user_data.get("dropped", {}))
        for span in doc.ents:
            if span.label_ not in LABELS:
                continue
            outcome = to_mention(span, piece, offset, references[i])
            if isinstance(outcome, str):
                dropped[outcome] += 1
            else:
                found[i].append(outcome)
    return found, dropped
