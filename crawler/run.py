"""Run one crawl of the registered sources in this process and return Scrapy's stats."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.registry import Source
from crawler.spiders.sources import SourcesSpider


def scrapy_settings(data_dir: Path, delay: float, user_agent: str, log_level: str = "INFO") -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("ESS_DATA_DIR", str(data_dir), priority="cmdline")
    settings.set("DOWNLOAD_DELAY", delay, priority="cmdline")
    settings.set("AUTOTHROTTLE_START_DELAY", max(delay, 0.1), priority="cmdline")
    settings.set("USER_AGENT", user_agent, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    return settings


def run_crawl(sources: list[Source], settings: Settings) -> dict:
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SourcesSpider)
    process.crawl(crawler, sources=sources)
    process.start()
    return dict(crawler.stats.get_stats())
