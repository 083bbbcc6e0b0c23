"""Crawl and recrawl speed: `ess crawl` beside a do-nothing Scrapy spider on three synthetic sites, then a recrawl.

    python -m tests.bench.crawl [--pages N] [--rounds R] [--process]

``N`` articles (default: the BENCH_SIZE environment variable, else 1000) are written by
`tests.bench.sitegen` across three sites served on loopback ports. Each round runs a bare Scrapy
spider (the three home pages, following links, nothing else) then the project's crawl (WARC, state,
sitemaps, feeds, all checks) into a fresh data directory; both use the project's Scrapy settings with
the politeness delay at zero. The figure that matters is the ratio, since these machines are noisy.

Then the project's recrawl runs on the data directory of the last round, the sites unchanged: the
articles, listed in the sitemaps with a ``lastmod`` older than their fetch, are not asked at all; the
pages in no sitemap (home, listings, tags, legal pages) are asked conditionally and answer 304;
nothing is archived again. It should take a small share of the first crawl's time. With
``--process`` (slow: it embeds every chunk), ``ess process`` runs after the first crawl and again
after the recrawl, which must embed nothing.

Every step is a child process (Scrapy's reactor runs once per process) whose peak RSS is reported.
Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from crawler.sitehost import SiteHost
from pipeline.config import PROJECT_ROOT, Settings
from tests.bench.sitegen import write_sites
from tests.tests_support import ess_command

RECRAWL_TARGET = 0.10  # recrawl seconds / first crawl seconds

# Runs a command and reports, as its last line on stderr, the peak RSS of that command (in kB on Linux).
MEASURED = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
print(json.dumps({"peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)
sys.exit(code)
"""

BARE = """
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from crawler.run import scrapy_settings
from pipeline.config import Settings

class Bare(scrapy.Spider):
    name = "bare"
    allowed_domains = ["127.0.0.1"]  # the share buttons link to social networks
    start_urls = [url + "/" for url in json.loads(sys.argv[1])]
    links = LinkExtractor()
    def parse(self, response):
        for link in self.links.extract_links(response):
            yield response.follow(link.url)

settings = scrapy_settings(Settings(crawl_delay=0), "crawl", {"LOG_LEVEL": "ERROR", "ITEM_PIPELINES": {},
                           "EXTENSIONS": {}, "DOWNLOADER_MIDDLEWARES": {}})
process = CrawlerProcess(settings)
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
print(json.dumps(crawler.stats.get_stats(), default=str))
"""

# The crawl `ess crawl` and `ess recrawl` run (crawler.commands.crawl_sources), returning Scrapy's stats;
# an optional fourth argument holds Scrapy settings to override (JSON).
ESS = """
import json, sys
from pathlib import Path
from crawler.run import run_crawl
from pipeline.config import Settings
from crawler.run import scrapy_settings
from pipeline.locks import data_lock
from tests.bench.sitegen import bench_sources

mode, settings = sys.argv[1], Settings(data_dir=Path(sys.argv[2]), crawl_delay=0)
scrapy = scrapy_settings(settings, mode)
scrapy.set("LOG_LEVEL", "ERROR")
scrapy.set("ESS_PROGRESS_SECONDS", 0)
scrapy.update(json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}, priority="cmdline")
with data_lock(settings.data_dir, mode):
    stats = run_crawl(bench_sources(json.loads(sys.argv[3])), scrapy, mode=mode)
print(json.dumps(stats, default=str))
"""


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def measured(command: list[str], env: dict | None = None, timeout: float | None = None) -> tuple[str, float]:
    """Run ``command`` in a child; return its stdout and its peak RSS in MB. Its stderr goes to ours."""
    wrapped = [sys.executable, "-c", MEASURED, *command]
    done = subprocess.run(wrapped, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    *logs, last = done.stderr.rstrip("\n").split("\n")
    if logs:
        say("\n".join(logs[-40:]))
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… failed with exit {done.returncode}")
    return done.stdout, round(json.loads(last)["peak_rss_kb"] / 1024, 1)


def scrapy_run(script: str, *args: str) -> dict:
    """A Scrapy child: pages fetched, seconds, answers by status and peak RSS, with its stats."""
    out, rss = measured([sys.executable, "-c", script, *args])
    stats = json.loads(out.strip().splitlines()[-1])
    pages, seconds = stats.get("response_received_count", 0), stats["elapsed_time_seconds"]
    prefix = "downloader/response_status_count/"
    statuses = {k.removeprefix(prefix): v for k, v in sorted(stats.items()) if k.startswith(prefix)}
    summary = {"pages": pages, "seconds": round(seconds, 2), "pages_per_s": round(pages / seconds, 1)}
    return summary | {"statuses": statuses, "peak_rss_mb": rss, "stats": stats}


def summaries(stats: dict) -> dict[str, dict]:
    from crawler.pipelines import source_summaries

    return source_summaries(stats)


def raw_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in (data / "raw").glob("*.warc.gz"))


def one_round(urls: str, data: Path) -> dict:
    bare = scrapy_run(BARE, urls)
    ess = scrapy_run(ESS, "crawl", str(data), urls)
    archived = sum(c.get("new", 0) for c in summaries(ess.pop("stats")).values())
    bare.pop("stats")
    return {
        "bare": bare,
        "ess": ess | {"archived": archived},
        "ratio": round(ess["pages_per_s"] / bare["pages_per_s"], 3),
    }


def recrawl(urls: str, data: Path, first: dict, overrides: dict | None = None) -> dict:
    """The project's recrawl of the unchanged sites, on the data directory ``first`` crawled."""
    before = raw_bytes(data)
    again = scrapy_run(ESS, "recrawl", str(data), urls, json.dumps(overrides or {}))
    counts = summaries(again.pop("stats"))
    changed = sum(c.get(k, 0) for c in counts.values() for k in ("new", "changed", "gone"))
    ratio = round(again["seconds"] / first["seconds"], 3)
    return again | {
        "first_crawl_seconds": first["seconds"],
        "ratio": ratio,
        "target_ratio": RECRAWL_TARGET,
        "meets_target": ratio <= RECRAWL_TARGET,
        "not_modified_304": again["statuses"].get("304", 0),
        "ok_200": again["statuses"].get("200", 0),
        "re_archived": changed,
        "raw_bytes_added": raw_bytes(data) - before,
        "by_source": counts,
    }


def recrawls(urls: str, data: Path, first: dict) -> dict:
    """The recrawl as ``ess recrawl`` runs it, then again without AutoThrottle.

    AutoThrottle lowers a download slot's delay only on a 200 answer. A recrawl answered by 304s
    keeps it near AUTOTHROTTLE_START_DELAY (0.1 s), halved only by its few 200s (the robots.txt
    files), where the first crawl's 200s bring it down to the server's latency within a few pages.
    Scrapy keys slots by host name, port aside: the three sites, all on 127.0.0.1, share one slot.
    The second run shows what the recrawl costs without that pacing.
    """
    again = recrawl(urls, data, first)
    unthrottled = recrawl(urls, data, first, {"AUTOTHROTTLE_ENABLED": False})
    keys = ("seconds", "pages_per_s", "ratio", "not_modified_304", "ok_200", "re_archived", "peak_rss_mb")
    return again | {"without_autothrottle": {k: unthrottled[k] for k in keys}}


def ess_process(data: Path, timeout: float) -> dict:
    """`ess process --json` on ``data``: its report, with its peak RSS."""
    command, env = ess_command(Settings(data_dir=data), "process", "--json")
    out, rss = measured(command, env, timeout)
    return {"report": json.loads(out), "peak_rss_mb": rss}


def medians(rounds: list[dict]) -> dict:
    return {
        "bare": statistics.median(r["bare"]["pages_per_s"] for r in rounds),
        "ess": statistics.median(r["ess"]["pages_per_s"] for r in rounds),
        "ratio": statistics.median(r["ratio"] for r in rounds),
    }


def peaks(rounds: list[dict], again: dict, processed: dict | None) -> dict:
    found = {
        "bare_crawl": max(r["bare"]["peak_rss_mb"] for r in rounds),
        "ess_crawl": max(r["ess"]["peak_rss_mb"] for r in rounds),
        "recrawl": max(again["peak_rss_mb"], again["without_autothrottle"]["peak_rss_mb"]),
    }
    if processed:
        found["process"] = max(processed["first"]["peak_rss_mb"], processed["second"]["peak_rss_mb"])
    return found


def serve(sites: list[Path]) -> SiteHost:
    return SiteHost([(site, 0) for site in sites]).start()


def main(pages: int, rounds: int = 3, process: bool = False) -> dict:
    """Alternate bare and ess crawls ``rounds`` times on the three sites, then recrawl (and process) the last."""
    load = [os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="ess-bench-crawl-") as tmp:
        sites = write_sites(Path(tmp) / "sites", pages)
        files = sum(1 for site in sites for p in site.rglob("*.html"))
        with serve(sites) as host:
            urls = json.dumps(host.urls())
            done = []
            for i in range(rounds):
                done.append(one_round(urls, Path(tmp) / f"data{i}"))
                say(f"round {i + 1}/{rounds}: {round_line(done[-1])}")
            data = Path(tmp) / f"data{rounds - 1}"
            processed = {"first": ess_process(data, 600 + 5 * pages)} if process else None
            again = recrawls(urls, data, done[-1]["ess"])
            say(f"recrawl: {again['seconds']} s, 304: {again['not_modified_304']}, re-archived {again['re_archived']}")
            if processed:
                processed["second"] = ess_process(data, 600 + 5 * pages)
                processed["re-embedded chunks"] = processed["second"]["report"].get("chunks", 0)
    load.append(os.getloadavg())
    return {
        "articles": pages,
        "html_pages": files,
        "rounds": done,
        "median": medians(done),
        "recrawl": again,
        "process": processed,
        "peak_rss_mb": peaks(done, again, processed),
        "load_average": [[round(x, 2) for x in sample] for sample in load],
    }


def round_line(r: dict) -> str:
    return f"bare {r['bare']['pages_per_s']} pages/s, ess {r['ess']['pages_per_s']} pages/s, ratio {r['ratio']}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=int(os.environ.get("BENCH_SIZE", 1000)), help="Articles.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating bare and ess crawls (default 3).")
    parser.add_argument("--process", action="store_true", help="Also `ess process` before and after the recrawl.")
    args = parser.parse_args()
    print(json.dumps(main(args.pages, args.rounds, args.process), indent=1))
