"""A raw response becomes text and metadata: HTML (trafilatura), PDF reports, the article rule, language
identification and chunks. Reads bytes, writes nothing. Imports ``nlp.dates`` (dates in PDF reports),
``records`` and ``config``."""
