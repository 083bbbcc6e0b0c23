"""The indexes derived from the store: the Chroma vector index, the tantivy keyword index with its French
analysis, and the private copies read-only processes open. Imports ``entities``, ``locks`` and ``config``."""
