"""Offline processing: batches made ready (extraction, entities, chunks, vectors), the incremental run that
writes them, Celery workers, ingest of analysts' files, duplicates and the consistency check. The top of
the pipeline: imports every subpackage below it."""
