"""Scrapy settings: polite defaults; what the ESS settings object decides is set from it (crawler.run)."""

BOT_NAME = "ess_press_search"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BASE_WAIT = 1.0  # seconds before the first retry of a 429/503 without Retry-After, doubled each time
RETRY_MAX_WAIT = 60.0  # a longer Retry-After is not honoured in this run: the URL is given up
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SourceGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.StrictRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.PoliteRetryMiddleware": 550,
    "crawler.middlewares.TruncatedGzipMiddleware": 595,  # sees responses before HttpCompressionMiddleware (590)
}
ITEM_PIPELINES = {"crawler.pipelines.WarcArchivePipeline": 300}
EXTENSIONS = {"crawler.progress.Progress": 500}

# The delay, timeout, largest body, User-Agent, data directory and recrawl policy come from the one settings
# object (pipeline.config.Settings), which crawler.run.scrapy_settings passes whole as ESS_SETTINGS.
ESS_COMMAND = "crawl"
ESS_PROGRESS_SECONDS = 2.0
