"""Snippets: a one-line window around the query's words, escaped, the words marked."""

from search_api.snippets import plain, snippet, window


def test_a_snippet_is_a_one_line_window_around_the_first_query_word():
    text = "Début.\n" + "mot " * 200 + "Coorace  et\tses adhérents. " + "fin " * 200
    cut = window(text, {"coorace"}, size=100)
    assert cut.startswith("… ") and cut.endswith(" …") and "Coorace et ses" in cut and "\n" not in cut
    assert len(cut) < 130
    assert snippet("Court texte.", "absent") == "Court texte."


def test_query_words_are_marked_whatever_their_case_and_accents():
    marked = snippet("La COOPÉRATION territoriale et la cooperation locale.", "coopération")
    assert marked == "La <mark>COOPÉRATION</mark> territoriale et la <mark>cooperation</mark> locale."


def test_function_words_and_parts_of_words_are_not_marked():
    marked = snippet("Les coopératives de la coopération.", "la coopération")
    assert marked == "Les coopératives de la <mark>coopération</mark>."


def test_crawled_markup_is_escaped_and_only_our_marks_remain():
    text = 'Le <script>alert("x")</script> Coorace <img src=x onerror=alert(1)> & co.'
    marked = snippet(text, "Coorace script")
    assert "<script>" not in marked and "<img" not in marked
    assert marked.count("<mark>") == 3  # script, script, Coorace
    assert "&lt;<mark>script</mark>&gt;" in marked and "&amp; co." in marked
    assert plain(marked) == text
