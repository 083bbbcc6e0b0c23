"""Processing spread over Celery workers on a Redis broker: the workers make batches ready
(``pipeline.processing.batch``: extraction, the article rule, entities, chunks, vectors); the coordinator,
``ess process --distributed``, stays the one writer of the store and the indexes
(``pipeline.processing.run.Processor``).

Shared between machines: the broker (``ESS_BROKER_URL``) and the raw archive (a worker reads each page at the WARC
file and offset the coordinator sends, under its own ``ESS_DATA_DIR``/raw: a network folder or a copy). The same
on every machine: the ``recipe`` (embedder, spaCy model, gazetteer, article thresholds), which each task carries
and a worker refuses to make a batch without. Not shared: the store, the indexes and the crawl state, which only
the coordinator opens; it loads no model.

Pages and batches travel as JSON (vectors as base64 float32), never as pickles.

Nothing lost, nothing twice: a task is acknowledged once its result is stored (``acks_late``) and put back when
the worker process running it dies (``reject_on_worker_lost``); a batch whose result has not come within
``ESS_BATCH_TIMEOUT_SECONDS`` (its machine lost) is sent again. Results are written by the coordinator only,
one batch at a time and in order, under document and chunk ids: a batch made twice is written once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult
from celery.signals import worker_process_init
from kombu.exceptions import OperationalError
from redis import Redis
from redis.exceptions import RedisError

from pipeline.archive.warc_reader import RawPage
from pipeline.config import Settings
from pipeline.embed.embedder import embedder_name
from pipeline.extract.article_rule import Thresholds
from pipeline.processing.batch import Batch, BatchMaker, batch_from_json, batch_to_json, document_id

log = logging.getLogger(__name__)
QUEUE = "ess-batches"
ATTEMPTS = 3  # sendings of one batch before the run stops


def celery_app(broker_url: str | None) -> Celery:
    """The Celery application of the coordinator and the workers (tasks and results in the same Redis)."""
    app = Celery("ess", broker=broker_url, backend=broker_url)
    app.conf.update(
        task_serializer="json",  # pages and batches travel as JSON (``batch_to_json``), never as pickles
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds one batch at a time: a lost worker loses one batch
        task_default_queue=QUEUE,
        result_extended=True,  # a result names the worker that made it
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=3,
    )
    app.task(name="ess.make_batch")(make_batch)
    return app


def recipe(settings: Settings) -> dict:
    """What a batch's result depends on besides its pages: every worker must have the coordinator's."""
    return {
        "embedder": embedder_name(settings),
        "spaCy model": settings.spacy_model,
        "gazetteer (sha256)": hashlib.sha256(settings.gazetteer.read_bytes()).hexdigest(),
        "article thresholds": asdict(Thresholds.from_settings(settings)),
    }


class RecipeMismatch(ValueError):
    """This worker would make batches unlike the coordinator's; the message names what differs."""


class ArchiveMissing(FileNotFoundError):
    """This worker cannot read the raw archive the coordinator's pages are in; the message names a file."""


_maker: BatchMaker | None = None
_recipe: dict = {}


@worker_process_init.connect
def load_models(**_) -> None:
    """Each worker process loads its models when it starts, before it takes a batch, on one thread."""
    global _maker, _recipe
    from pipeline.embed.embedder import get_embedder

    started = time.perf_counter()
    settings = Settings()
    _maker, _recipe = BatchMaker(settings, get_embedder(settings, threads=1)), recipe(settings)
    log.info("models loaded in %.1f s (%s): ready for batches", time.perf_counter() - started, _maker.embedder.name)


def make_batch(pages: list[dict], listed: dict[str, str], included: list[str], wanted: dict) -> dict:
    """One batch made ready on this worker (``batch_to_json``), if it has the coordinator's recipe."""
    if differences := [f"{k}: {_recipe.get(k)} here, {v} there" for k, v in wanted.items() if _recipe.get(k) != v]:
        raise RecipeMismatch("this worker's settings differ from the coordinator's: " + "; ".join(differences))
    raw = _maker.settings.raw_dir
    if missing := sorted({page["warc_file"] for page in pages if not (raw / page["warc_file"]).is_file()}):
        raise ArchiveMissing(
            f"this worker has no {raw / missing[0]} ({len(missing)} WARC files of the batch missing): give it the "
            "coordinator's raw archive under its ESS_DATA_DIR (a shared folder or a copy)"
        )
    log.info("batch of %d pages, first %s", len(pages), pages[0]["url"] if pages else "-")
    batch = _maker.prepare([RawPage(**page) for page in pages], dict(listed), set(included))
    return batch_to_json(_maker.embed(batch) if batch.docs else batch)


app = celery_app(os.environ.get("ESS_BROKER_URL"))  # what `ess worker` runs


class BrokerUnavailable(RuntimeError):
    """The broker does not answer; the message names it."""


class BatchFailed(RuntimeError):
    """A batch failed on a worker, or came back from none after every attempt; the message names it."""


def own_entries(pages: list[RawPage], listed: dict[str, str], included: set[str]) -> tuple[dict[str, str], list[str]]:
    """Of the archive's listed URLs and forced-in document ids, those of these pages: what a batch's message
    carries, so that it stays the size of its pages however large the archive."""
    keys = {page.key for page in pages}
    own_listed = {key: listed[key] for key in sorted(keys & listed.keys())}
    return own_listed, sorted({document_id(key) for key in keys} & included)


@dataclass
class Progress:
    """How far a run is: what each received batch logs."""

    batches: int
    pages: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)

    def received(self, number: int, pages: list[RawPage], batch: Batch, worker: str) -> str:
        self.done += len(pages)
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.pages - self.done)
        return (
            f"batch {number}/{self.batches} from {worker}: {len(batch.docs)} documents, {len(batch.skipped)} "
            f"skipped; {self.done} of {self.pages} pages in {elapsed:.0f} s, about {left:.0f} s left"
        )


class Dispatcher:
    """Sends batches to the workers and gives their results back in the order they were sent, with at most
    ``in_flight`` batches sent and not yet received."""

    def __init__(self, settings: Settings, listed: dict[str, str], included: set[str]):
        if not settings.broker_url:
            raise BrokerUnavailable("distributed processing needs a broker: set ESS_BROKER_URL (redis://...)")
        try:  # at once, rather than after Celery's own reconnection attempts
            Redis.from_url(settings.broker_url, socket_connect_timeout=5, socket_timeout=5).ping()
        except RedisError as exc:
            raise BrokerUnavailable(f"cannot reach the broker at {settings.broker_url}: {exc}") from None
        self.settings, self.app, self.recipe = settings, celery_app(settings.broker_url), recipe(settings)
        self.listed, self.included = listed, included

    def results(self, batches: list[list[RawPage]]) -> Iterator[Batch]:
        """Each batch made, in sending order; batches are numbered from 1 in logs and errors."""
        self.progress = Progress(len(batches), sum(len(pages) for pages in batches))
        sent: deque[tuple[int, list[RawPage], AsyncResult]] = deque()
        for number, pages in enumerate(batches, start=1):
            sent.append((number, pages, self.send(number, pages)))
            if len(sent) >= self.settings.batches_in_flight:
                yield self.receive(*sent.popleft())
        while sent:
            yield self.receive(*sent.popleft())

    def send(self, number: int, pages: list[RawPage]) -> AsyncResult:
        try:
            arguments = ([asdict(page) for page in pages], *own_entries(pages, self.listed, self.included), self.recipe)
            return self.app.send_task("ess.make_batch", args=arguments, retry=False)
        except (OperationalError, RedisError) as exc:
            raise BrokerUnavailable(f"cannot reach the broker at {self.settings.broker_url}: {exc}") from None

    def receive(self, number: int, pages: list[RawPage], result: AsyncResult) -> Batch:
        """Batch ``number``'s result; sent again when none comes within the batch timeout."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                batch = batch_from_json(result.get(timeout=self.settings.batch_timeout_seconds))
            except CeleryTimeout:
                log.warning("batch %d (%s…): no result in %d s, attempt %d", number, pages[0].url,
                            self.settings.batch_timeout_seconds, attempt)  # fmt: skip
                result.revoke()  # a worker that receives the lost sending later skips it
                result = self.send(number, pages)
                continue
            except (OperationalError, RedisError) as exc:
                raise BrokerUnavailable(f"lost the broker at {self.settings.broker_url}: {exc}") from None
            except RuntimeError as exc:  # Celery's result consumer gave up reconnecting
                if "result store" not in str(exc):
                    raise
                raise BrokerUnavailable(
                    f"lost the broker at {self.settings.broker_url}: {' '.join(str(exc).split())}"
                ) from None
            except Exception as exc:  # noqa: BLE001 - the worker's error, named with its batch
                raise BatchFailed(f"batch {number} ({pages[0].url}…) failed on a worker: {exc!r}") from None
            log.info(self.progress.received(number, pages, batch, result.worker or "a worker"))
            return batch
        raise BatchFailed(f"batch {number} ({pages[0].url}…): no worker returned it in {ATTEMPTS} attempts")
