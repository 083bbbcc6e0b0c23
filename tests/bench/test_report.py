"""docs/bench.md from docs/bench.json: targets judged, tables and plots written, the analysis kept."""

from __future__ import annotations

import pytest

report = pytest.importorskip("tests.bench.report", reason="matplotlib is not installed (pip install -e .[dev])")


def rates(ours: float, bare: float, unit: str = "docs/s") -> dict:
    return {"ours": ours, "bare": bare, "ratio": round(ours / bare, 3), "unit": unit, "peak MB": 400}


def latency(chunks: int, hybrid_p95: float) -> dict:
    row = {"p50": hybrid_p95 / 2, "p95": hybrid_p95, "p99": hybrid_p95 + 1}
    return {
        "index": {"chunks": chunks, "documents": chunks // 4, "build": {"blended_vectors": 0}},
        "api": {"hybrid": row, "semantic": row, "keyword": row},
        "bare": {"embed + chroma n=10": row},
    }


SIDES = ("one worker, one core", "two workers, a core each")
KEYS = ("docs/s", "docs/hour per worker", "coordinator share of CPU", "coordinator cores busy")


def quartile(median: float) -> dict:
    return {"median": median, "q1": median, "q3": median}


def worker_run(docs_per_second: float) -> dict:
    sizes = {"chunks": 900, "MB per 100k chunks": {"vector index (Chroma)": 300}}
    pool = [{"PSS MB": 200, "pool": [{"peak MB": 1200, "PSS MB": 1000}]}]
    seconds = round(300 / docs_per_second, 2)
    return {"processed": 300, "chunks": 900, "seconds processing": seconds, "docs/s": docs_per_second,
            "cpu seconds": {"coordinator": 9.0, "workers": 280.0, "redis-server": 1.0},
            "coordinator share of CPU": 0.03, "coordinator CPU ms per document, processing": 20.0, "workers": pool,
            "sizes": sizes}  # fmt: skip


RESULTS = {
    "date": "2026-11-29",
    "size": 1000,
    "machine": {"cpu": "CPU", "cores": 2, "memory GiB": 24, "python": "3.11", "versions": {"scrapy": "2.19"}},
    "parts": {
        "stages": {"extraction": rates(90, 80), "indexing": rates(600, 730, "chunks/s")},
        "crawl": {
            "html_pages": 1100,
            "rounds": [{}],
            "median": {"bare": 50.0, "ess": 46.0, "ratio": 0.92},
            "peak_rss_mb": {"ess_crawl": 95},
            "recrawl": {
                "first_crawl_seconds": 20.0,
                "seconds": 1.5,
                "ratio": 0.075,
                "not_modified_304": 40,
                "ok_200": 3,
                "re_archived": 0,
                "by_source": {"a": {"unchanged/sitemap_lastmod": 1000}},
            },
            "process": {"re-embedded chunks": 0},
        },  # fmt: skip
        "endtoend": {"error": "Traceback …\nRuntimeError: `ess process` failed"},
        "workers": {
            "pages": 300,
            "runs": [
                {side: worker_run(docs_per_second) for side, docs_per_second in zip(SIDES, (2.0, 3.9), strict=True)}
            ],
            **{side: {key: quartile(0.1) for key in KEYS} for side in SIDES},
            "ratio": quartile(1.95),
        },
        "latency": [latency(1000, 40.0), latency(100_000, 120.0), {"error": "a run that failed"}],
    },
}


def test_targets_are_judged_and_failures_are_one_line(tmp_path):
    report.write(RESULTS, tmp_path)
    page = (tmp_path / "bench.md").read_text()
    assert "| extraction ≥ 0.87 of bare | 1.12 | met |" in page
    assert "| indexing ≥ 0.87 of bare | 0.82 | **missed** |" in page
    assert "| hybrid p95 ≤ 50 ms at 100,000 chunks | 120.0 ms | **missed** |" in page
    assert "| recrawl ≤ 0.10 of first crawl | 0.075 | met |" in page
    assert "| articles not asked (sitemap lastmod) | 1,000 |" in page
    assert "End to end: RuntimeError: `ess process` failed." in page
    assert "| two workers on a core each ≥ 1.8× one worker | 1.95 (1.95–1.95) | met |" in page
    row = "| 1 | two workers, a core each | 300 | 900 | 76.92 | 3.9 | 9.0 / 280.0 / 1.0 | 0.03 | 20.0 | 200 + 1000 |"
    assert row in page
    assert "vector index (Chroma) 300." in page
    assert "Load test: not run yet." in page
    assert (tmp_path / report.THROUGHPUT_PLOT).stat().st_size > 1000
    assert (tmp_path / report.LATENCY_PLOT).stat().st_size > 1000


def test_the_analysis_around_the_measured_part_is_kept(tmp_path):
    (tmp_path / "bench.md").write_text("# Benchmarks\n\nOur analysis.\n")
    report.write(RESULTS, tmp_path)
    report.write(RESULTS, tmp_path)
    page = (tmp_path / "bench.md").read_text()
    assert page.startswith("# Benchmarks\n\nOur analysis.\n")
    assert page.count(report.BEGIN) == page.count(report.END) == 1
