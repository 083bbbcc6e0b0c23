"""The loopback site server used by the demo and the crawl tests."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from crawler.sitehost import SiteHost


@pytest.fixture()
def site(tmp_path):
    (tmp_path / "sitemap.xml").write_text("<urlset><url><loc>__SITE__/a.html</loc></url></urlset>")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("<html><body>é</body></html>")
    with SiteHost([(tmp_path, 0)]) as host:
        yield host.urls()[0]


def test_placeholder_becomes_the_site_url(site):
    body = urllib.request.urlopen(site + "/sitemap.xml").read().decode()
    assert f"<loc>{site}/a.html</loc>" in body


def test_directories_serve_their_index_and_missing_files_404(site):
    assert "é" in urllib.request.urlopen(site + "/a/").read().decode()
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(site + "/nope.html")
    assert error.value.code == 404


def test_conditional_requests_get_304(site):
    first = urllib.request.urlopen(site + "/a/")
    etag = first.headers["ETag"]
    request = urllib.request.Request(site + "/a/", headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request)
    assert error.value.code == 304


def test_a_taken_port_is_an_error_with_nothing_left_open(tmp_path, site):
    port = int(site.rsplit(":", 1)[1])
    host = SiteHost([(tmp_path, 0), (tmp_path, port)])
    with pytest.raises(OSError):
        host.start()
    assert host.servers == []
