"""The SQLite store ``ess.sqlite``: every SQL statement on it lives here. ``writer`` is the pipeline's one
writer, ``queries`` the read side the API and the commands use, ``schema`` its versions and migrations,
``readonly`` connections that never write to a database's folder. Imports ``entities``, ``records`` and
``config``."""
