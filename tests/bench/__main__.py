"""`make bench`: every benchmark, each part in its own child process; results in docs/bench.json and docs/bench.md.

    python -m tests.bench [--size N] [--only PART,...] [--report-only]

Parts: crawl (and recrawl), stages (extraction, NLP, embedding, indexing beside their bare libraries),
embedding (torch fp32 beside ONNX int8), endtoend (both cores vs one), workers (`ess process --distributed`: two
workers pinned to a core each beside one), latency (1k, 10k and 100k chunks), loadtest, indexcopy (a reader's
private copy of a 100k-chunk index), keywords (SQLite FTS5 beside tantivy at 100k chunks), keywordlatency
(keyword `/search` at 100k chunks, over random vectors: built in minutes). ``--size`` is the number of synthetic
article pages (default: the BENCH_SIZE environment variable, else 1000). A part that fails is recorded with its
error and the others go on; results of parts not run this time are kept from the previous docs/bench.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from pipeline.config import PROJECT_ROOT
from tests.bench import report
from tests.bench.sitegen import write_sites

RESULTS = PROJECT_ROOT / "docs" / "bench.json"
LATENCY_SIZES = (1_000, 10_000, 100_000)
PARTS = (
    "crawl", "stages", "embedding", "endtoend", "workers", "latency", "loadtest", "indexcopy", "keywords",
    "keywordlatency",
)  # fmt: skip
LIBRARIES = ("scrapy", "trafilatura", "spacy", "sentence-transformers", "torch", "chromadb", "fastapi", "uvicorn")


# The instruction sets int8 and fp32 kernels choose between (onnxruntime, oneDNN): what makes a ratio portable.
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def cpuinfo(field: str) -> str:
    return next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith(field)), "")


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    flags = set(cpuinfo("flags").split())
    return {
        "cpu": cpuinfo("model name"),
        "flags": [flag for flag in CPU_FLAGS if flag in flags],
        "cores": os.cpu_count(),
        "memory GiB": round(memory, 1),
        "python": platform.python_version(),
        "versions": {name: metadata.version(name) for name in LIBRARIES},
    }


def run_json(module: str, *args: str, timeout: int = 4 * 3600) -> dict:
    """Run ``python -m module args``; the JSON it prints last on stdout."""
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode not in (0, 1):  # the load test exits 1 when a request failed: its JSON says which
        raise RuntimeError(f"{module} exited {done.returncode}: {done.stderr[-1500:]}")
    start = done.stdout.find("{")
    return json.loads(done.stdout[start:]) if start >= 0 else {"error": done.stderr[-1500:]}


def commands(size: int, site: Path) -> dict[str, list[tuple[str, ...]]]:
    """Per part, the module runs that make it (module then arguments)."""
    return {
        "crawl": [("tests.bench.crawl", "--pages", str(size), "--rounds", "3", "--process")],
        "stages": [("tests.bench.stages", "--site", str(site), "--docs", "100", "--rounds", "10")],
        "embedding": [("tests.bench.embedding", "--passages", "300", "--rounds", "10", "--queries", "300")],
        "endtoend": [("tests.bench.endtoend", "--pages", "300", "--runs", "3")],
        "workers": [("tests.bench.workers", "--pages", "300", "--runs", "3")],
        "latency": [("tests.bench.latency", "--chunks", str(n), "--queries", "200") for n in LATENCY_SIZES],
        "loadtest": [
            ("tests.bench.loadtest", "--synthetic", "10000", "--clients", "50", "--seconds", "60", "--workers", "2")
        ],
        "indexcopy": [("tests.bench.indexcopy", "--chunks", "100000", "--rounds", "6")],
        "keywords": [("tests.bench.keywords", "--chunks", "100000", "--queries", "400")],
        "keywordlatency": [
            ("tests.bench.latency", "--chunks", "100000", "--queries", "400", "--warmup", "100", "--random-vectors")
        ],
    }


def run_part(runs: list[tuple[str, ...]]) -> tuple[dict | list, dict]:
    """The part's results, and when, where and under what load it ran."""
    when = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine()}
    when["load average before (1, 5, 15 min)"] = [round(v, 2) for v in os.getloadavg()]
    started = time.perf_counter()
    try:
        results = [run_json(*run) for run in runs]
    except Exception as exc:  # noqa: BLE001 - one part failing must not lose the others
        results = [{"error": str(exc)}]
    when["seconds"] = round(time.perf_counter() - started)
    when["load average after (1, 5, 15 min)"] = [round(v, 2) for v in os.getloadavg()]
    print(f"  done in {when['seconds']} s", file=sys.stderr, flush=True)
    return (results if len(results) > 1 else results[0]), when


def main(size: int, only: list[str], report_only: bool) -> None:
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"parts": {}}
    if not report_only:
        with tempfile.TemporaryDirectory(prefix="ess-bench-") as tmp:
            site = Path(tmp) / "sites"
            if "stages" in only:  # the pages the stage benchmark reads
                write_sites(site, 200)
            for part in only:
                print(f"{part}…", file=sys.stderr, flush=True)
                saved["parts"][part], saved.setdefault("runs", {})[part] = run_part(commands(size, site)[part])
                saved.update(date=datetime.date.today().isoformat(), machine=machine(), size=size)
                RESULTS.write_text(json.dumps(saved, ensure_ascii=False, indent=1))
    report.write(saved, RESULTS.parent)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SIZE", 1000)))
    parser.add_argument("--only", default=",".join(PARTS), help=f"Comma-separated parts among {', '.join(PARTS)}.")
    parser.add_argument("--report-only", action="store_true", help="Rewrite docs/bench.md from docs/bench.json.")
    args = parser.parse_args()
    parts = [p for p in args.only.split(",") if p]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    main(args.size, parts, args.report_only)
