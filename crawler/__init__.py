"""Scrapy project that fetches the registered sources into a WARC archive."""
