"""Run one crawl of the registered sources in this process and return Scrapy's stats."""

from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.registry import Source
from crawler.spiders.sources import SourcesSpider
from pipeline.config import Settings as EssSettings

REDIS_SETTINGS = {
    "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,  # a process that finishes must not clear the frontier others still use
}


def scrapy_settings(ess: EssSettings, command: str = "crawl", overrides: dict | None = None) -> Settings:
    """Project defaults, what the ESS settings decide, the caller's overrides, and the shared Redis frontier
    when ``ess.redis_url`` is set. The ESS settings object itself travels as ``ESS_SETTINGS``."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(from_ess(ess, command), priority="cmdline")
    settings.update(overrides or {}, priority="cmdline")
    if ess.redis_url:
        settings.update(REDIS_SETTINGS, priority="cmdline")
        settings.set("REDIS_URL", ess.redis_url, priority="cmdline")
        settings.set("SCHEDULER_QUEUE_KEY", f"ess:{ess.crawl_frontier}:requests", priority="cmdline")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"ess:{ess.crawl_frontier}:dupefilter", priority="cmdline")
    return settings


def from_ess(ess: EssSettings, command: str) -> dict:
    return {
        "ESS_SETTINGS": ess,
        "ESS_COMMAND": command,
        "DOWNLOAD_DELAY": ess.crawl_delay,
        "AUTOTHROTTLE_START_DELAY": max(ess.crawl_delay, 0.1),
        "DOWNLOAD_MAXSIZE": ess.crawl_max_mb * 1024 * 1024,
        "DOWNLOAD_TIMEOUT": ess.crawl_timeout,
        "USER_AGENT": ess.user_agent,
    }


def run_crawl(sources: list[Source], settings: Settings, mode: str = "crawl", max_pages: int | None = None) -> dict:
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SourcesSpider)
    process.crawl(crawler, sources=sources, mode=mode, max_pages=max_pages)
    process.start()
    return dict(crawler.stats.get_stats())
