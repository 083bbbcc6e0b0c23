"""The data layer and the offline processing, in subpackages by concern (bottom to top; a subpackage imports
only those below it, checked by the import contracts in pyproject.toml):

- ``config``, ``records``, ``locks``: the one settings object and the data directory's layout, the domain
  records (plain dataclasses, no I/O), the file locks;
- ``archive``: WARC records, URL canonicalisation, feeds and sitemaps;
- ``entities``: what an entity is called: canonical keys, the gazetteer, the analysts' decisions;
- ``store``: every SQL statement on ``ess.sqlite`` (the writer, the read side, schema and migrations);
- ``extract``, ``nlp``, ``embed``, ``index``: text and metadata of a page, its entities, its vectors, the
  vector and keyword indexes;
- ``processing``: batches, the incremental run, workers, ingest, duplicates, consistency;
- ``cli``: the pipeline's ``ess`` sub-commands.
"""
