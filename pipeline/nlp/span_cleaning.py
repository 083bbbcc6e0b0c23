"""The model's entity spans made fit to show: boundaries shed prepositions and articles, non-names are dropped.

The French models were trained on text with straight apostrophes, so the text they read has ’ replaced
by ' (one character for one: offsets do not move; replacing non-breaking spaces too lost correct
names). Their spans still break in known ways on real press: a name cut before an elided article
("Le Labo de l'"), a title cut at a preposition ("Président de"), a preposition taken in ("En
Bretagne"), a weekday or a sentence-initial common noun taken for a name ("Lundi", "Reprise"), a named
pole or network tagged as a place, a line of page furniture taken whole. Gazetteer spans are the
analysts' own names and are never changed here.
"""

from __future__ import annotations

import re
from functools import cached_property

from spacy.attrs import IDX, IS_LOWER, IS_TITLE, ORTH
from spacy.lang.fr.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span

PREPOSITIONS = {
    "en",
    "à",
    "au",
    "aux",
    "dans",
    "chez",
    "vers",
    "depuis",
    "pour",
    "par",
    "sur",
    "avec",
    "selon",
    "entre",
    "contre",
    "sans",
    "sous",
    "après",
    "avant",
    "pendant",
    "lors",
    "via",
}
OF = {"de", "du", "des", "d'"}
LOWERCASE_ARTICLES = {"le", "la", "les", "l'"}  # a name's own article is capitalised ("Le Havre", "La Poste")
SEPARATORS = {
    "|",
    "\n",
    "•",
    "·",
}  # page-furniture separators: a name never runs across them
TRAILING = PREPOSITIONS | OF | {"l'", "le", "la", "les", "un", "une", "et", "ou", "qu'", "que", "-", ",", "(", "«"}
WEEKDAYS_MONTHS = {
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "janvier",
    "février",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "decembre",
}
ARTICLES = {"le", "la", "les", "l'"}
ORG_HEADS = {
    "pôle",
    "association",
    "fédération",
    "union",
    "collectif",
    "réseau",
    "coopérative",
    "mutuelle",
    "fondation",
    "syndicat",
    "comité",
    "conseil",
    "chambre",
    "institut",
    "agence",
    "société",
    "groupe",
    "caisse",
    "banque",
    "ministère",
    "université",
    "confédération",
    "observatoire",
    "communauté",
    "scop",
    "scic",
    "ptce",
    "cress",
}
TITLES = {  # functions that open the model's spans ("ministre de la Santé"): people's roles, not names
    "ministre",
    "président",
    "présidente",
    "secrétaire",
    "directeur",
    "directrice",
    "maire",
    "préfet",
    "préfète",
    "député",
    "députée",
    "sénateur",
    "sénatrice",
    "délégué",
    "déléguée",
    "conseiller",
    "conseillère",
    "porte-parole",
}
DETERMINERS = {"les", "des", "aux", "un", "une", "ces", "nos", "vos", "leurs", "deux", "trois", "quelques"}
DEMONYM = re.compile(r"(?:ais|aise|ois|oise|ien|ienne|ain|aine|on|onne|and|ande)s?$")
SENTENCE_END = set('.!?:;…«»"“”—–-•·|*(\n')
TITLE_WORD = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ'-]+$")


class Lexicon:
    """French common words from the lemmatizer tables the spaCy model ships (lemmas by part of speech, and
    inflected and irregular forms), and French function words. Nouns and adjectives of these tables are
    also names ("paris", "rennes", "orange"): a document must confirm their common use. A verb or adverb
    form ("Abonnez", "Concrètement") needs no confirmation."""

    def __init__(self, lookups):
        tables = (
            {name: lookups.get_table(name) for name in ("lemma_index", "lemma_lookup", "lemma_exc")} if lookups else {}
        )
        index, exceptions = tables.get("lemma_index", {}), tables.get("lemma_exc", {})
        self.nominal = frozenset(w for pos in ("noun", "adj") if pos in index for w in index[pos])
        self.verbal = frozenset(w for pos in ("verb", "adv") if pos in index for w in index[pos])
        self.forms = tables.get("lemma_lookup", {})  # a spaCy Table: looked up by string
        self.verb_forms = exceptions.get("verb", {}) if exceptions else {}

    def lemma(self, word: str) -> str:
        lower = word.lower()
        return (self.verb_forms.get(lower) or self.forms.get(lower) or [lower])[0]

    def common(self, word: str) -> bool:
        return self.verbal_form(word) or self.lemma(word) in self.nominal or word.lower() in self.nominal

    def verbal_form(self, word: str) -> bool:
        """A verb or adverb form that is no noun or adjective ("Abonnez", "Concrètement"; not "Orange")."""
        lower = word.lower()
        verbal = lower in self.verb_forms or self.lemma(word) in self.verbal or lower in self.verbal
        nominal = lower in self.nominal or (self.forms.get(lower) or [lower])[0] in self.nominal
        return verbal and not nominal

    @staticmethod
    def function_word(word: str) -> bool:
        return word.lower() in STOP_WORDS


def sentence_initial(text: str, char: int, window: int = 16) -> bool:
    """Whether the text before ``char`` ends a sentence, a line or a quotation (or there is none); only the
    last ``window`` characters are read, so that a document's tokens cost linear time."""
    before = text[max(0, char - window) : char].rstrip(" \t")
    return not before or before[-1] in SENTENCE_END


def trimmed(span: Span) -> Span | None:
    """The span within its first line, without leading prepositions or lowercase articles (nor an elided
    article before a place or an acronym: "L'Europe", "l'AG"), nor trailing prepositions and articles."""
    doc, start, end = span.doc, span.start, span.end
    breaks = [t.i for t in span if t.text.strip() in SEPARATORS or "\n" in t.text]
    end = breaks[0] if breaks and breaks[0] > start else end
    leading = PREPOSITIONS if span.label_ == "PER" else PREPOSITIONS | OF
    while start < end and (sheds_first(doc[start], leading) or elided_article(span.label_, doc, start, end)):
        start += 1
    while end > start and doc[end - 1].lower_ in TRAILING:
        end -= 1
    if start == end:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(doc, start, end, label=span.label_)


def sheds_first(token, leading: set[str]) -> bool:
    return token.lower_ in leading or token.is_space or token.text in LOWERCASE_ARTICLES


def elided_article(label: str, doc: Doc, start: int, end: int) -> bool:
    """ "L'Europe" (places never start with an elided article) and "l'AG" (nor do acronyms)."""
    if doc[start].lower_ not in ("l'", "d'") or start + 1 >= end:
        return False
    return label == "LOC" or doc[start + 1].text.isupper()


def relabelled(span: Span) -> Span:
    """A place whose name starts with an organisation's head noun ("Pôle Sud-Rhône-Alpes") is an ORG."""
    if span.label_ == "LOC" and len(span) > 1 and span[0].lower_ in ORG_HEADS:
        return Span(span.doc, span.start, span.end, label="ORG")
    return span


class SpanCleaner:
    """Cleans the non-gazetteer spans of one document; says why a span is dropped."""

    def __init__(self, doc: Doc, lexicon: Lexicon):
        self.doc, self.lexicon, self.text = doc, lexicon, doc.text  # Doc.text is rebuilt on every access

    @cached_property
    def words(self) -> list[tuple[str, bool, bool, int]]:
        """Each token's text, whether it is titlecase, whether lowercase, and its offset: read from the doc's
        arrays, not through a Token object each (half the cleaner's time), and only for a span that asks."""
        strings = self.doc.vocab.strings
        rows = self.doc.to_array([ORTH, IS_TITLE, IS_LOWER, IDX]).tolist()
        return [(strings[orth], bool(title), bool(lower), idx) for orth, title, lower, idx in rows]

    @cached_property
    def mid_sentence(self) -> set[str]:
        """The titlecase words the document writes inside a sentence."""
        return {text for text, title, _, idx in self.words if title and not sentence_initial(self.text, idx)}

    @cached_property
    def lowercase(self) -> set[str]:
        """The words the document writes in lowercase."""
        return {text for text, _, lower, _ in self.words if lower}

    def clean(self, span: Span) -> Span | str:
        """The span to keep (its boundaries perhaps moved), or the reason it is dropped."""
        if span.ent_id_ or span.label_ == "DATE":
            return span
        kept = trimmed(span)
        if kept is None:
            return "only prepositions and articles"
        words = [t.lower_ for t in kept if t.lower_ not in ARTICLES]
        if words and all(w in WEEKDAYS_MONTHS for w in words):
            return "weekday or month"
        cut = kept.end < span.end and self.doc[kept.end].lower_ in TRAILING  # "Président de"
        if len(kept) == 1 and cut and self.common_word(kept[0]):
            return "common noun cut from a phrase"
        if self.common_phrase(kept) and self.only_sentence_initial(kept):
            return "sentence-initial common words"
        if self.whole_line(kept) and (kept.label_ == "MISC" or self.lone_common_word(kept)):
            return "page furniture line"
        if kept[0].lower_ in TITLES and kept[0].is_lower:
            return "function title"
        if self.demonym(kept):
            return "demonym"
        return relabelled(kept)

    def common_word(self, token) -> bool:
        return bool(TITLE_WORD.match(token.text)) and self.lexicon.common(token.text)

    def common_phrase(self, span: Span) -> bool:
        """A capitalised common word followed only by lowercase words ("Reprise", "Suite à l'appel"), the word
        a function word or one the document also writes in lowercase."""
        first, lexicon = span[0], self.lexicon
        confirmed = (
            lexicon.function_word(first.text) or lexicon.verbal_form(first.text) or first.lower_ in self.lowercase
        )
        return confirmed and self.common_word(first) and not any(t.text[:1].isupper() for t in span[1:])

    def only_sentence_initial(self, span: Span) -> bool:
        """Capitalised only where a sentence starts: at this place, and wherever else the text repeats it."""
        if not sentence_initial(self.text, span.start_char):
            return False
        if len(span) == 1:
            return span.text not in self.mid_sentence
        found = self.text.find(span.text)
        while found >= 0:
            if not sentence_initial(self.text, found):
                return False
            found = self.text.find(span.text, found + 1)
        return True

    def lone_common_word(self, span: Span) -> bool:
        """One common word ("Horaires", "Crédits") that the document never capitalises inside a sentence."""
        return len(span) == 1 and self.common_word(span[0]) and span.text not in self.mid_sentence

    def demonym(self, span: Span) -> bool:
        """ "les Lyonnais", "Français": inhabitants, not a place (nor an organisation or a person)."""
        token = span[0]
        if len(span) > 1 or not DEMONYM.search(token.lower_) or not TITLE_WORD.match(token.text):
            return False
        before = self.doc[token.i - 1].lower_ if token.i > 0 else ""
        return before in DETERMINERS or (self.lexicon.common(token.text) and token.lower_ in self.lowercase)

    def whole_line(self, span: Span) -> bool:
        text = self.text
        line_start = text.rfind("\n", 0, span.start_char) + 1
        line_end = text.find("\n", span.end_char)
        return text[line_start : len(text) if line_end < 0 else line_end].strip() == span.text.strip()
