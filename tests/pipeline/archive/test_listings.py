"""What sitemaps list: every page of a urlset, each with whether it is a news entry; nothing for an index,
a damaged gzip or a DTD entity."""

from __future__ import annotations

import gzip

from pipeline.archive.listings import sitemap_pages

URLSET = (
    b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
    b"<url><loc> https://a.fr/articles/1 </loc></url>"
    b"<url><loc>https://a.fr/articles/2</loc><news:news><news:title>T</news:title></news:news></url>"
    b"</urlset>"
)


def test_a_urlset_lists_its_pages_and_says_which_are_news():
    assert sitemap_pages(URLSET) == [("https://a.fr/articles/1", False), ("https://a.fr/articles/2", True)]
    assert sitemap_pages(gzip.compress(URLSET)) == sitemap_pages(URLSET)


def test_an_index_a_damaged_gzip_and_entities_list_nothing():
    index = b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://a.fr/s.xml</loc>'
    assert sitemap_pages(index + b"</sitemap></sitemapindex>") == []
    assert sitemap_pages(gzip.compress(URLSET)[:40]) == []
    assert sitemap_pages(b'<!DOCTYPE x [<!ENTITY e "x">]>' + URLSET) == []
