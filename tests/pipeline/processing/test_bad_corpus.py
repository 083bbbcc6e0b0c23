"""The bad-input corpus through `ess ingest` and processing: every broken file, line or record is a counted
outcome, the good documents of the same batch are all processed, nothing raises and memory stays bounded.

The small files are ``tests/fixtures/bad/ingest``; the big ones (a sparse 50 MB page, a 12 MB page, HTML nested
100,000 levels deep, 100,000 links, a PDF and a WARC decompression bomb) are written here at test time.
See ``tests/fixtures/bad/README.md`` for the list of kinds and their expected outcomes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import zlib

import pytest

from pipeline.processing.ingest import MAX_FILE_BYTES
from pipeline.store.reader import StoreReader
from tests_support import FIXTURES, ess_command

BAD = FIXTURES / "bad" / "ingest"
INGEST_PEAK_MB = 300  # `ess ingest` stays under this (it would need over 400 MB to read the WARC bomb whole)
EXTRACT_PEAK_MB = 650  # so does the extraction of every page: imports ~300 MB, pypdf stops a stream at 75 MB
PARAGRAPHS = [
    "La ressourcerie du canton a collecté cette année plus de deux cents tonnes d'objets, revendus à petit prix "
    "après réparation par des salariés en insertion encadrés par deux techniciens.",
    "Les communes voisines financent une partie des postes, et un bailleur social prête un entrepôt où les "
    "habitants peuvent déposer meubles, vélos et appareils ménagers chaque samedi matin.",
    "La directrice veut maintenant ouvrir un atelier de couture et former des jeunes du quartier aux métiers du "
    "réemploi, avec l'appui du réseau régional des ressourceries et de la mission locale.",
    "Le conseil d'administration réunit des salariés, des bénévoles, des élus et des usagers, comme le prévoit "
    "le statut de société coopérative d'intérêt collectif adopté au printemps dernier.",
    "Un bilan sera présenté aux sociétaires en décembre, avec les comptes de l'année et les projets de la suivante.",
]
ARTICLE = "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS)


def html(title: str, inner: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body>{inner}</body></html>".encode()


def stream_gzip(path, head: bytes, filler_mb: int) -> None:
    """Write ``head`` followed by ``filler_mb`` MB of zeros as one gzip member, without holding them in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * 2**20
    with open(path, "wb") as out:
        out.write(compressor.compress(head))
        for _ in range(filler_mb):
            out.write(compressor.compress(chunk))
        out.write(compressor.flush())


def pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (1 0 obj is the catalog), with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def flate_bomb_pdf() -> bytes:
    """One page whose content stream is 200 KB of deflate inflating to 200 MB (pypdf stops at 75 MB)."""
    compressor = zlib.compressobj(9)
    spaces = b" " * 2**20
    data = compressor.compress(b"BT /F1 11 Tf 50 750 Td (") + b"".join(compressor.compress(spaces) for _ in range(200))
    data += compressor.compress(b") Tj ET") + compressor.flush()
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
    page += b" /Resources << /Font << /F1 5 0 R >> >> >>"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def write_generated(folder) -> None:
    """The big kinds, made at test time (not committed)."""
    with open(folder / "over-50-mb.html", "wb") as sparse:  # no disk used: `ess ingest` must not read it
        sparse.truncate(MAX_FILE_BYTES + 1)
    paragraph = "<p>" + " ".join(PARAGRAPHS) + "</p>\n"
    (folder / "twelve-mb.html").write_bytes(html("Douze mégaoctets", paragraph * (12 * 2**20 // len(paragraph))))
    depth = 100_000
    (folder / "deep-100k.html").write_bytes(html("Profond", "<div>" * depth + ARTICLE + "</div>" * depth))
    depth = 20_000  # under the tag limit: lxml (which stops at 256 levels) and trafilatura read it
    (folder / "deep-20k.html").write_bytes(
        html("Profond mais lisible", f"<article>{ARTICLE}</article>" + "<div>" * depth + "</div>" * depth)
    )
    links = "".join(f'<a href="/p/{i}">page {i}</a> ' for i in range(100_000))
    (folder / "links-100k.html").write_bytes(html("Ferme de liens", ARTICLE + links))
    (folder / "flate-bomb.pdf").write_bytes(flate_bomb_pdf())
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    size = len(http) + 200 * 2**20
    warc = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-00000000b0b0>\r\n"
        b"WARC-Target-URI: http://archive.example/bombe\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n" % size
    )
    stream_gzip(folder / "bomb.warc.gz", warc + http, 200)  # a 200 MB record in 200 KB (without its \r\n\r\n end)


REPORT_PEAK = """
import atexit, re, sys
def report_peak():  # VmHWM: the peak of this program alone (ru_maxrss would count the forking parent too)
    with open("/proc/self/status") as status:
        sys.stderr.write("\\nESS_PEAK_KB " + re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1) + "\\n")
atexit.register(report_peak)
"""
RUN_ESS = (
    REPORT_PEAK
    + """
import runpy
sys.argv = ["ess", *sys.argv[1:]]
runpy.run_module("search_api.cli", run_name="__main__")
"""
)
EXTRACT_ALL = (
    REPORT_PEAK
    + """
from collections import Counter
from pipeline.config import Settings
from pipeline.extract.main_text import ExtractionError
from pipeline.processing.batch import extract
from pipeline.archive.warc_reader import latest_pages, read_body
settings, outcomes = Settings(), Counter()
for page in latest_pages(settings.raw_dir).values():
    try:
        outcomes[extract(page, read_body(settings.raw_dir, page))[0]] += 1
    except ExtractionError:
        outcomes["skipped"] += 1
print(dict(outcomes))
"""
)


def run_with_peak(code: str, args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run Python ``code`` with ``args`` in a child; return it completed and its peak resident memory in MB."""
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300)
    peak = re.search(r"ESS_PEAK_KB (\d+)", done.stderr)
    return done, int(peak.group(1)) / 1024 if peak else float("inf")


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory, base_settings, embedder):
    folder = tmp_path_factory.mktemp("bad-files")
    shutil.copytree(BAD, folder, dirs_exist_ok=True)
    write_generated(folder)
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("bad-corpus-data")})
    args = ["ingest", str(folder), "--source", "dossier", "--no-process", "--json"]
    _, env = ess_command(settings)
    started = time.monotonic()
    ingested, ingest_peak = run_with_peak(RUN_ESS, args, env)
    assert ingested.returncode == 0, ingested.stderr[-3000:]
    extracted, extract_peak = run_with_peak(EXTRACT_ALL, [], env)
    assert extracted.returncode == 0, extracted.stderr[-3000:]
    from pipeline.processing.run import process

    report = process(settings)  # in this process, where the models are already loaded
    elapsed = time.monotonic() - started
    return settings, json.loads(ingested.stdout), report.counts, (ingest_peak, extract_peak), elapsed


def documents(settings) -> dict[str, dict]:
    store = StoreReader(settings.store_db)
    rows = {row["url"].rsplit("/", 1)[-1]: dict(row) for row in store.db.execute("SELECT * FROM documents")}
    store.close()
    return rows


def test_every_bad_input_of_ingest_is_counted(bad_corpus):
    _, counts, _, _, _ = bad_corpus
    expected = {
        "skipped: over 50 MB": 1,
        "skipped: line 2: not JSON (UnicodeDecodeError)": 1,  # invalid UTF-8
        "skipped: line 3: no 'text'": 1,  # a JSON array
        "skipped: line 4: no 'text'": 1,  # a number
        "skipped: line 5: no 'text'": 1,  # a string
        "skipped: line 6: no 'text'": 1,  # "text" is a number
        "skipped: line 7: no 'text'": 1,  # "text" is a list
        "skipped: line 8: no 'text'": 1,  # "text" is blank
        "skipped: line 14: not JSON (JSONDecodeError)": 1,  # the last line, cut
        "field dropped: line 9: 'title' is not a string or holds control characters": 1,
        "field dropped: line 9: 'url' is not a string or holds control characters": 1,
        "field dropped: line 9: 'source' is not a string or holds control characters": 1,
        "field dropped: line 9: 'published' is not a string or holds control characters": 1,
        "repaired: line 10: NUL or lone surrogate in 'text'": 1,  # "\\ud800"
        "field dropped: line 11: 'url' is not a string or holds control characters": 1,  # CR LF: WARC header injection
        "field dropped: line 11: 'source' is not a string or holds control characters": 1,
        "repaired: line 12: NUL or lone surrogate in 'text'": 1,  # "\\u0000"
        "skipped: not a WARC file (neither gzip nor WARC/1.x)": 1,
        "skipped: damaged WARC, a record cut short": 1,  # the first two records are kept
        "skipped: WARC response not 200": 1,  # a garbage HTTP status line; the record after it is kept
        "skipped: WARC record over 50 MB": 1,  # 200 KB of gzip inflating to 200 MB, read no further
        # 5 HTML, 1 text, 5 PDF, 4 generated HTML, 1 generated PDF, 6 + 2 JSONL lines, 2 + 1 WARC records
        "archived": 27,
    }
    assert {key: counts.get(key, 0) for key in expected} == expected, counts


def test_every_bad_input_of_processing_is_counted(bad_corpus):
    _, _, report, _, _ = bad_corpus
    expected = {
        "skipped: page over 10 MB": 1,
        "skipped: page of over 50000 tags": 2,  # 100,000 levels deep, 100,000 links
        "skipped: unreadable PDF: Detected cyclic page references.": 1,  # /Kids pointing back to its parent
        "skipped: encrypted PDF (a password is needed)": 1,
        "skipped: decompression bomb (a stream inflates past pypdf's limits)": 1,
    }
    assert {key: report.get(key, 0) for key in expected} == expected, report
    unreadable = [key for key in report if key.startswith("skipped: unreadable PDF")]
    assert len(unreadable) == 3, report  # the page loop, the truncated PDF, the PDF whose stream /Length lies


def test_the_good_documents_of_the_batch_are_all_processed(bad_corpus):
    settings, _, report, _, _ = bad_corpus
    docs = documents(settings)
    good = ["good-article.html", "good-note.txt", "good-report.pdf", "cooperative", "mutuelle", "apres-le-dechet"]
    good += ["nul-bytes.html", "mixed-encodings.html", "wrong-charset-says-utf8.html"]
    good += ["wrong-charset-says-latin1.html", "deep-20k.html"]
    assert not [name for name in good if name not in docs], sorted(docs)
    jsonl = [row for row in docs.values() if row["url"].startswith("urn:ess:")]
    assert sorted(row["url"].rsplit(":", 1)[1] for row in jsonl) == [
        "77",
        "bom1",
        "bom2",
        "inject",
        "j1",
        "j2",
        "nul",
        "surrogate",
    ]
    assert report["processed"] == len(docs) == len(good) + len(jsonl) == 19


def test_broken_text_comes_out_readable(bad_corpus):
    settings, _, _, _, _ = bad_corpus
    docs = documents(settings)
    assert not [name for name, row in docs.items() if "\x00" in row["text"] or "\ufffd\ufffd" in row["text"]]
    assert "L'épicerie solidaire" in docs["nul-bytes.html"]["text"]  # NULs dropped, not the page
    mixed = docs["mixed-encodings.html"]["text"]
    assert "Après deux années d'activité" in mixed and "Cœur du projet" in mixed and "L'épicerie" in mixed
    assert "Jeu de mots sur l'été" == docs["wrong-charset-says-utf8.html"]["title"]
    assert "Cœur du projet" in docs["wrong-charset-says-latin1.html"]["text"]
    assert "Ã" not in docs["wrong-charset-says-latin1.html"]["text"]
    by_id = {row["url"].rsplit(":", 1)[1]: row for row in docs.values() if row["url"].startswith("urn:ess:")}
    assert by_id["77"]["title"] is None and by_id["77"]["source"] == "dossier"  # wrong-typed fields dropped
    assert by_id["inject"]["source"] == "dossier" and "\r" not in by_id["inject"]["url"]
    assert "\ufffd" in by_id["surrogate"]["text"] and by_id["bom1"]["title"] == "Export avec BOM"


def test_memory_and_time_stay_bounded(bad_corpus):
    _, _, _, (ingest_peak, extract_peak), elapsed = bad_corpus
    assert ingest_peak < INGEST_PEAK_MB and extract_peak < EXTRACT_PEAK_MB, (ingest_peak, extract_peak)
    assert elapsed < 240
