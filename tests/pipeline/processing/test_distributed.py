"""`ess process --distributed`: two real Celery workers over a real redis-server make the batches, the
coordinator writes them, and the result equals a single-process run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from pipeline.archive.listings import ANNOUNCED, MAPPED
from pipeline.archive.warc_reader import RawPage
from pipeline.index.vectors import VectorIndex
from pipeline.processing.batch import document_id
from pipeline.processing.workers import own_entries
from pipeline.store.reader import StoreReader
from tests.eval.shared import SHARED_EVAL, absent
from tests_support import ess_command, redis_server, run_ess, snapshot, stop_groups, unprocessed_copy

pytestmark = pytest.mark.slow  # real Celery workers over a real redis-server


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("broker")) as url:
        yield url


@contextmanager
def workers(settings, broker: str, count: int, logs, **variables: str):
    """``count`` real `ess worker` processes on ``settings``' data directory (where they read the archive)."""
    command, env = ess_command(settings, "worker", ESS_BROKER_URL=broker, **variables)
    started = [
        subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(logs / f"worker{n}.log", "w"),
            start_new_session=True,
        )
        for n in range(count)
    ]
    try:
        yield started
    finally:
        stop_groups(started)


def vectors(settings, embedder) -> dict[str, np.ndarray]:
    found = VectorIndex(settings, embedder.name, embedder.dim).collection.get(include=["embeddings"])
    return dict(zip(found["ids"], found["embeddings"], strict=True))


def test_two_workers_make_what_one_process_makes(processed, embedder, broker, tmp_path):
    settings = unprocessed_copy(processed, tmp_path / "data")
    with workers(settings, broker, 2, tmp_path):
        done = run_ess(  # batches of 4 pages: several, for both workers
            settings,
            "process",
            "--distributed",
            "--json",
            timeout=600,
            ESS_BROKER_URL=broker,
            ESS_BATCH_TIMEOUT_SECONDS="120",
            ESS_BATCH_DOCUMENTS="4",
        )
    assert done.returncode == 0, done.stderr[-3000:]
    logs = "".join(path.read_text() for path in tmp_path.glob("worker*.log"))
    assert logs.count("batch of") >= 2, "both workers' logs name the batches they made"
    progress = re.findall(
        r"batch (\d+)/(\d+) from \S*ess-\S+: \d+ documents, \d+ skipped; (\d+) of (\d+) pages", done.stderr
    )
    assert progress and [int(p[0]) for p in progress] == list(range(1, int(progress[0][1]) + 1)), done.stderr[-2000:]
    assert progress[-1][2] == progress[-1][3], "the last line counts every page"
    assert snapshot(settings, embedder) == snapshot(processed[0], embedder)
    checked = run_ess(settings, "check", timeout=300)
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    ours, reference = vectors(settings, embedder), vectors(processed[0], embedder)
    cosines = [float(np.dot(ours[key], reference[key])) for key in reference]
    # int8 activations are quantised per call: batches of 4 pages here, of 16 in the reference (about 0.998)
    assert min(cosines) > 0.995, min(cosines)


def test_a_message_carries_only_its_own_pages_listed_and_included_entries():
    """A page listed in a feed, or forced in, is judged by that on a worker: its batch carries that fact, and
    only its own pages' facts, however large the archive."""
    pages = [
        RawPage(f"https://a.fr/{name}", f"https://a.fr/{name}", "a", 200, "text/html", "", "f.warc.gz", 0, "h")
        for name in ("listed", "forced", "plain")
    ]
    listed = {"https://a.fr/listed": ANNOUNCED} | {f"https://a.fr/other{n}": MAPPED for n in range(1000)}
    included = {document_id("https://a.fr/forced"), document_id("https://a.fr/other1")}
    own = own_entries(pages, listed, included)
    assert own == ({"https://a.fr/listed": ANNOUNCED}, [document_id("https://a.fr/forced")])


def test_without_a_broker_the_run_says_so_at_once(processed, tmp_path):
    settings = unprocessed_copy(processed, tmp_path / "data")
    unset = run_ess(settings, "process", "--distributed", timeout=120)
    assert unset.returncode == 1 and "ESS_BROKER_URL" in unset.stderr
    gone = run_ess(settings, "process", "--distributed", timeout=120, ESS_BROKER_URL="redis://127.0.0.1:9/0")
    assert gone.returncode == 1 and "cannot reach the broker at redis://127.0.0.1:9/0" in gone.stderr


def test_a_batch_whose_worker_is_killed_is_made_by_another(processed, embedder, broker, tmp_path):
    """One worker is killed (its whole process group, as a lost machine) while it makes a batch: the
    coordinator sends that batch again after its timeout, the other worker makes it, and the result is the
    single-process one."""
    settings = unprocessed_copy(processed, tmp_path / "data")
    command, env = ess_command(
        settings, "process", "--distributed", "--json", ESS_BROKER_URL=broker, ESS_BATCH_TIMEOUT_SECONDS="30",
        ESS_BATCH_DOCUMENTS="4",
    )  # fmt: skip
    with workers(settings, broker, 2, tmp_path) as started:
        coordinator = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        victim = tmp_path / "worker0.log"
        deadline = time.monotonic() + 120
        while "batch of" not in victim.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "batch of" in victim.read_text(), "worker 0 never took a batch"
        os.killpg(started[0].pid, signal.SIGKILL)
        out, err = coordinator.communicate(timeout=600)
    assert coordinator.returncode == 0, err[-3000:]
    assert "no result in 30 s" in err and json.loads(out)["processed"] == processed[1].counts["processed"]
    assert snapshot(settings, embedder) == snapshot(processed[0], embedder)


def test_a_broker_stopped_mid_run_is_a_clear_error_and_a_rerun_finishes_the_work(processed, embedder, tmp_path):
    settings = unprocessed_copy(processed, tmp_path / "data")
    with redis_server(tmp_path / "gone") as lost:
        command, env = ess_command(settings, "process", "--distributed", ESS_BROKER_URL=lost, ESS_BATCH_DOCUMENTS="2")
        with workers(settings, lost, 1, tmp_path):
            coordinator = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while "batch of" not in (tmp_path / "worker0.log").read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
    # the broker is gone: the coordinator says so and stops, with what it wrote kept
    _, err = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 1 and re.search(f"(cannot reach|lost) the broker at {lost}", err), err[-2000:]
    with redis_server(tmp_path / "back") as broker, workers(settings, broker, 1, tmp_path):
        again = run_ess(settings, "process", "--distributed", timeout=600, ESS_BROKER_URL=broker)
    assert again.returncode == 0, again.stderr[-2000:]
    assert snapshot(settings, embedder) == snapshot(processed[0], embedder)


def wait_for(log, text: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while text not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert text in log.read_text(), f"{log.name} never said {text!r}"


def test_a_batch_whose_worker_process_dies_is_put_back_at_once(processed, embedder, broker, tmp_path):
    """Only the process making a batch is killed (its worker stays up and starts another): the message goes
    back to the queue at once (late acknowledgement, rejected on a lost worker), not after the batch timeout."""
    settings = unprocessed_copy(processed, tmp_path / "data")
    queue = broker.rsplit("/", 1)[0] + "/2"  # a database of its own: no message left by another test
    with workers(settings, queue, 2, tmp_path) as started:
        for n in range(2):
            wait_for(tmp_path / f"worker{n}.log", "ready for batches")
        command, env = ess_command(
            settings, "process", "--distributed", "--json", ESS_BROKER_URL=queue, ESS_BATCH_DOCUMENTS="4"
        )
        coordinator = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(tmp_path / "worker0.log", "batch of")
        pid = started[0].pid
        child = int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])  # its pool process
        os.kill(child, signal.SIGKILL)
        out, err = coordinator.communicate(timeout=300)
        log = (tmp_path / "worker0.log").read_text()
    assert coordinator.returncode == 0, err[-3000:]
    assert "WorkerLostError" in log and "no result in" not in err, "put back by the worker, not resent on timeout"
    assert json.loads(out)["processed"] == processed[1].counts["processed"]
    assert snapshot(settings, embedder) == snapshot(processed[0], embedder)


def test_a_worker_whose_settings_differ_is_refused(processed, broker, tmp_path):
    """A worker with another embedding engine and another gazetteer would make other vectors and entities: the
    run stops, naming both, and no vector enters the index."""
    settings = unprocessed_copy(processed, tmp_path / "data")
    gazetteer = tmp_path / "gazetteer.toml"
    gazetteer.write_text(settings.gazetteer.read_text() + "\n# a local edit\n")
    queue = broker.rsplit("/", 1)[0] + "/3"
    with workers(settings, queue, 1, tmp_path, ESS_EMBEDDING_ENGINE="torch", ESS_GAZETTEER=str(gazetteer)):
        done = run_ess(settings, "process", "--distributed", timeout=600, ESS_BROKER_URL=queue)
    assert done.returncode == 1
    assert "this worker's settings differ from the coordinator's" in done.stderr, done.stderr[-2000:]
    assert re.search(r"embedder: \S+ here, \S+ \[onnx-int8\] there", done.stderr)
    assert "gazetteer (sha256)" in done.stderr and "spaCy model" not in done.stderr
    assert not settings.chroma_dir.exists(), "no vector was written"


PIAF = SHARED_EVAL / "retrieval-piaf" / "corpus.jsonl"


@pytest.mark.skipif(absent(PIAF.parent) is not None, reason=str(absent(PIAF.parent)))
def test_a_slice_of_real_french_passages_gives_the_single_process_result(processed, embedder, broker, tmp_path):
    """60 PIAF passages (French Wikipedia, written by others) ingested, then processed once by one process and
    once by two workers: the same documents, chunks, mentions, clusters and keyword rows; vectors within 0.995."""
    rows = [json.loads(line) for line in PIAF.read_text(encoding="utf-8").splitlines()[:60]]
    passages = tmp_path / "piaf.jsonl"
    documents = [{"id": r["_id"], "title": r["title"], "text": r["text"]} for r in rows]
    passages.write_text("\n".join(json.dumps(document, ensure_ascii=False) for document in documents))
    single = processed[0].model_copy(update={"data_dir": tmp_path / "single"})
    ingested = run_ess(single, "ingest", str(passages), "--source", "piaf", "--no-process", timeout=300)
    assert ingested.returncode == 0, ingested.stderr[-2000:]
    shared = unprocessed_copy((single,), tmp_path / "distributed")
    assert run_ess(single, "process", timeout=600).returncode == 0
    queue = broker.rsplit("/", 1)[0] + "/4"
    with workers(shared, queue, 2, tmp_path):
        done = run_ess(shared, "process", "--distributed", timeout=600, ESS_BROKER_URL=queue, ESS_BATCH_DOCUMENTS="8")
    assert done.returncode == 0, done.stderr[-3000:]
    reference = snapshot(single, embedder)
    assert len(reference["documents"]) == 60 and reference["mentions"], "the passages became tagged documents"
    assert snapshot(shared, embedder) == reference
    ours, theirs = vectors(shared, embedder), vectors(single, embedder)
    assert min(float(np.dot(ours[key], theirs[key])) for key in theirs) > 0.995


def test_a_worker_without_the_archive_says_which_file_it_lacks(processed, broker, tmp_path):
    """A worker whose data directory lacks the coordinator's raw archive stops the run with the file it lacks,
    and nothing is recorded as skipped: the pages are judged again once the archive is shared."""
    settings = unprocessed_copy(processed, tmp_path / "data")
    elsewhere = settings.model_copy(update={"data_dir": tmp_path / "worker-data"})
    queue = broker.rsplit("/", 1)[0] + "/5"
    with workers(elsewhere, queue, 1, tmp_path):
        done = run_ess(settings, "process", "--distributed", timeout=600, ESS_BROKER_URL=queue)
    assert done.returncode == 1
    assert f"this worker has no {elsewhere.raw_dir}/" in done.stderr, done.stderr[-2000:]
    assert "give it the coordinator's raw archive" in done.stderr
    store = StoreReader(settings.store_db)
    assert store.db.execute("SELECT count(*) FROM skipped").fetchone()[0] == 0
    store.close()
