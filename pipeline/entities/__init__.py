"""What an entity is called: canonical keys, the gazetteer file (corpus/entities.toml) and the analysts'
decisions about entities (the curation file). Plain data and files, no spaCy and no SQL: the store, the
NLP and the API all read it. Imports only ``config``."""
