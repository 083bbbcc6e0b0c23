"""Run one crawl of the registered sources in this process and return Scrapy's stats."""

from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.registry import Source
from crawler.spiders.sources import SourcesSpider

REDIS_SETTINGS = {
    "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,  # a process that finishes must not clear the frontier others still use
}


def scrapy_settings(overrides: dict, redis_url: str | None = None, frontier: str = "default") -> Settings:
    """Project defaults, the caller's overrides, and the shared Redis frontier when ``redis_url`` is set."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(overrides, priority="cmdline")
    if redis_url:
        settings.update(REDIS_SETTINGS, priority="cmdline")
        settings.set("REDIS_URL", redis_url, priority="cmdline")
        settings.set("SCHEDULER_QUEUE_KEY", f"ess:{frontier}:requests", priority="cmdline")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"ess:{frontier}:dupefilter", priority="cmdline")
    return settings


def run_crawl(sources: list[Source], settings: Settings, mode: str = "crawl", max_pages: int | None = None) -> dict:
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SourcesSpider)
    process.crawl(crawler, sources=sources, mode=mode, max_pages=max_pages)
    process.start()
    return dict(crawler.stats.get_stats())
