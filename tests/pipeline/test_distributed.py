"""`ess process --distributed`: two real Celery workers over a real redis-server make the batches, the
coordinator writes them, and the result equals a single-process run."""

from __future__ import annotations

import subprocess
from contextlib import contextmanager

import numpy as np
import pytest

from pipeline.index import VectorIndex
from tests_support import ess_command, redis_server, run_ess, snapshot, unprocessed_copy


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("broker")) as url:
        yield url


@contextmanager
def workers(settings, broker: str, count: int, logs):
    """``count`` real `ess worker` processes on ``settings``' data directory (where they read the archive)."""
    command, env = ess_command(settings, "worker", ESS_BROKER_URL=broker)
    started = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=open(logs / f"worker{n}.log", "w"))
        for n in range(count)
    ]
    try:
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=60)


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
    assert snapshot(settings, embedder) == snapshot(processed[0], embedder)
    ours, reference = vectors(settings, embedder), vectors(processed[0], embedder)
    cosines = [float(np.dot(ours[key], reference[key])) for key in reference]
    # int8 activations are quantised per call: batches of 4 pages here, of 16 in the reference (about 0.998)
    assert min(cosines) > 0.995, min(cosines)


def test_without_a_broker_the_run_says_so_at_once(processed, tmp_path):
    settings = unprocessed_copy(processed, tmp_path / "data")
    unset = run_ess(settings, "process", "--distributed", timeout=120)
    assert unset.returncode == 1 and "ESS_BROKER_URL" in unset.stderr
    gone = run_ess(settings, "process", "--distributed", timeout=120, ESS_BROKER_URL="redis://127.0.0.1:9/0")
    assert gone.returncode == 1 and "cannot reach the broker at redis://127.0.0.1:9/0" in gone.stderr
