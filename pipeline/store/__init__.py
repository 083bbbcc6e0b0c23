"""The SQLite store ``ess.sqlite``: every SQL statement on it lives here. ``writer.Store`` is the pipeline's one
writer; ``reader.StoreReader`` a read-only connection with the reads of documents and chunks, ``queries`` the
other reads (entities, facets, counts) the API and the commands make; ``curation`` applies the analysts'
decisions; ``schema`` holds the versions and migrations (and the one migration helper the crawl state and the
watches use too); ``readonly`` opens databases without ever writing to their folder. Imports ``entities``,
``records`` and ``config``."""
