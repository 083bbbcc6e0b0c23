"""WARC files: request and response records, rotation by size, records read back by offset."""

from __future__ import annotations

from warcio.archiveiterator import ArchiveIterator

from pipeline.archive.warc_writer import Exchange, WarcArchive, read_response_body


def exchange(n: int) -> Exchange:
    body = (f"<html><body>page {n} " + "é" * 3000 + "</body></html>").encode()
    return Exchange(
        f"http://127.0.0.1:1/p{n}?x=1",
        200,
        "OK",
        [("User-Agent", "test")],
        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        body,
        "2026-11-28T10:00:00Z",
        {"ESS-Source": "s", "ESS-Role": "page"},
    )


def test_rotation_and_reading_back(tmp_path):
    archive = WarcArchive(tmp_path, max_bytes=2000)
    places = [archive.write(exchange(n)) for n in range(5)]
    archive.close()
    assert len({name for name, _ in places}) > 1, "files rotate past max_bytes"
    for n, (name, offset) in enumerate(places):
        assert read_response_body(tmp_path, name, offset).startswith(f"<html><body>page {n} ".encode())


def test_records_pair_a_request_with_its_response(tmp_path):
    archive = WarcArchive(tmp_path, max_bytes=10**6)
    name, _ = archive.write(exchange(1))
    archive.close()
    with open(tmp_path / name, "rb") as stream:
        records = list(ArchiveIterator(stream))
    response, request = records
    assert response.rec_type == "response" and request.rec_type == "request"
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header("WARC-Record-ID")
    assert request.http_headers.protocol == "GET" and "/p1?x=1" in request.http_headers.statusline
    assert response.http_headers.get_header("Content-Encoding") is None  # the stored body is decoded
    assert response.rec_headers.get_header("ESS-Source") == "s"
