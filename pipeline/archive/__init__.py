"""The raw archive: WARC files written and read back, URL canonicalisation, what feeds and sitemaps list.
Shared by the crawler (which writes it) and the processing (which reads it). Imports only ``config``."""
