"""Crawl speed: `ess crawl` (WARC, state, all checks) beside a do-nothing Scrapy spider, same site, same run.

    python -m tests.bench.crawl [PAGES] [REPEATS]

Both crawls use the project's Scrapy settings with the politeness delay at zero; the figure that
matters is the ratio, since these machines are noisy.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from crawler.sitehost import SiteHost
from tests.bench.sitegen import write_site

BARE = """
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from crawler.run import scrapy_settings

class Bare(scrapy.Spider):
    name = "bare"
    start_urls = [sys.argv[1] + "/"]
    links = LinkExtractor()
    def parse(self, response):
        for link in self.links.extract_links(response):
            yield response.follow(link.url)

settings = scrapy_settings({"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_START_DELAY": 0.1, "LOG_LEVEL": "ERROR",
                            "ITEM_PIPELINES": {}, "EXTENSIONS": {}, "DOWNLOADER_MIDDLEWARES": {}})
process = CrawlerProcess(settings)
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
print(json.dumps({"pages": stats.get("response_received_count", 0), "seconds": stats["elapsed_time_seconds"]}))
"""

OURS = """
import json, sys
from pathlib import Path
from crawler.registry import parse_source
from crawler.run import run_crawl
from pipeline.config import Settings
from pipeline.crawling import crawler_settings

settings = Settings(data_dir=Path(sys.argv[2]), crawl_delay=0)
source = parse_source({"name": "bench", "title": "Bench", "kind": "media", "homepage": sys.argv[1] + "/",
                       "max_pages": 100000, "allow_private": True}, 0)
scrapy = crawler_settings(settings, "crawl")
scrapy.set("LOG_LEVEL", "ERROR")
scrapy.set("ESS_PROGRESS_SECONDS", 0)
stats = run_crawl([source], scrapy)
print(json.dumps({"pages": stats.get("response_received_count", 0), "seconds": stats["elapsed_time_seconds"]}))
"""


def run(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_round(site: Path, data: Path) -> dict:
    with SiteHost([(site, 0)]) as host:
        url = host.urls()[0]
        bare = run(BARE, url)
        ours = run(OURS, url, str(data))
    rates = {name: round(r["pages"] / r["seconds"], 1) for name, r in (("bare", bare), ("ess", ours))}
    return {"pages": ours["pages"], **rates, "ratio": round(rates["ess"] / rates["bare"], 3)}


def main(pages: int, repeats: int) -> dict:
    """Alternate bare and ess crawls ``repeats`` times on one site; report every round and the medians."""
    with tempfile.TemporaryDirectory() as tmp:
        write_site(Path(tmp) / "site", pages)
        rounds = [one_round(Path(tmp) / "site", Path(tmp) / f"data{i}") for i in range(repeats)]
    medians = {key: statistics.median(r[key] for r in rounds) for key in ("bare", "ess", "ratio")}
    return {"site_pages": rounds[0]["pages"], "rounds": rounds, "median": medians}


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*(arguments + [1000, 3][len(arguments) :])), indent=1))
