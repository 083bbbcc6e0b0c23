"""Snippets: a one-line window around the query's words, escaped, the words marked."""

from pipeline.index.analysis import query_terms
from search_api.snippets import plain, snippet, window


def test_a_snippet_is_a_one_line_window_around_the_first_query_word():
    text = "Début.\n" + "mot " * 200 + "Coorace  et\tses adhérents. " + "fin " * 200
    cut = window(text, set(query_terms("Coorace")), size=100)
    assert cut.startswith("… ") and cut.endswith(" …") and "Coorace et ses" in cut and "\n" not in cut
    assert len(cut) < 130
    assert snippet("Court texte.", "absent") == "Court texte."


def test_query_words_are_marked_whatever_their_case_and_accents():
    marked = snippet("La COOPÉRATION territoriale et la cooperation locale.", "coopération")
    assert marked == "La <mark>COOPÉRATION</mark> territoriale et la <mark>cooperation</mark> locale."


def test_other_forms_of_a_query_word_are_marked_as_the_keyword_index_matched_them():
    marked = snippet("Les coopératives de la coopération.", "la coopération")
    assert marked == "Les <mark>coopératives</mark> de la <mark>coopération</mark>."


def test_function_words_elided_words_and_parts_of_words_are_not_marked():
    marked = snippet("Qu'est-ce que l'ESS ? Une économie, pas l'économétrie.", "qu'est-ce que l'économie ?")
    assert marked == "Qu&#x27;est-ce que l&#x27;ESS ? Une <mark>économie</mark>, pas l&#x27;économétrie."


def test_crawled_markup_is_escaped_and_only_our_marks_remain():
    text = 'Le <script>alert("x")</script> Coorace <img src=x onerror=alert(1)> & co.'
    marked = snippet(text, "Coorace script")
    assert "<script>" not in marked and "<img" not in marked
    assert marked.count("<mark>") == 3  # script, script, Coorace
    assert "&lt;<mark>script</mark>&gt;" in marked and "&amp; co." in marked
    assert plain(marked) == text
