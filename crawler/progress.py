"""A live progress line while crawling: pages fetched and what they turned out to be."""

from __future__ import annotations

import sys

from scrapy import signals
from twisted.internet import task

SHOWN = ("fetched", "new", "changed", "unchanged", "not_modified", "gone", "robots_blocked")


class Progress:
    def __init__(self, crawler, interval: float):
        self.crawler, self.interval = crawler, interval
        self.loop = task.LoopingCall(self.show)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getfloat("ESS_PROGRESS_SECONDS"))

    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(SHOWN, 0)
        for key, value in self.crawler.stats.get_stats().items():
            parts = key.split("/")
            if parts[0] == "ess" and len(parts) >= 3:
                what = "errors" if parts[2] == "errors" else parts[2]
                totals[what] = totals.get(what, 0) + value
        return totals

    def line(self) -> str:
        totals = self.totals()
        shown = [f"{name.replace('_', ' ')} {totals[name]}" for name in SHOWN]
        return "crawl: " + " | ".join(shown) + f" | errors {totals.get('errors', 0)}"

    def show(self) -> None:
        if sys.stderr.isatty():
            sys.stderr.write("\r" + self.line())
            sys.stderr.flush()

    def opened(self, spider) -> None:
        if self.interval > 0:
            self.loop.start(self.interval, now=False)

    def closed(self, spider) -> None:
        if self.loop.running:
            self.loop.stop()
        if sys.stderr.isatty():
            sys.stderr.write("\r" + self.line() + "\n")
