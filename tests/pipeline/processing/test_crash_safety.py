"""`kill -9` of `ess process` at points across extraction, NLP, embedding and indexing: a rerun ends with the
store and the indexes of an uninterrupted run (same documents, chunk ids and counts; nothing orphaned)."""

from __future__ import annotations

import os
import re
import signal

import pytest

from tests_support import run_ess_async, snapshot, unprocessed_copy

pytestmark = pytest.mark.slow  # processes killed mid-run

# (log line the kill follows, occurrence): after extraction, after NLP, after embedding, between a document's
# vectors and its store transaction, after some documents were stored (before their keyword rows), and after a
# batch's keyword rows.
KILL_POINTS = [
    ("extracted", 1),
    ("tagged", 1),
    ("embedded", 1),
    ("indexed", 1),
    ("stored", 5),
    ("keyword rows", 1),
]


def kill_after(settings, line: str, occurrence: int) -> int:
    """Run `ess process -v` and SIGKILL it right after the ``occurrence``-th log line saying ``line``."""
    process = run_ess_async(settings, "process", "-v")
    seen = 0
    for text in process.stderr:
        if re.search(rf" pipeline\.processing\.(run|batch): {line}\b", text):
            seen += 1
            if seen == occurrence:
                os.kill(process.pid, signal.SIGKILL)
                break
    process.wait(timeout=120)
    return process.returncode


@pytest.mark.parametrize(("line", "occurrence"), KILL_POINTS, ids=[f"{p}-{n}" for p, n in KILL_POINTS])
def test_a_rerun_after_kill_9_equals_an_uninterrupted_run(processed, embedder, tmp_path, line, occurrence):
    from pipeline.processing.run import process

    reference = snapshot(processed[0], embedder)
    settings = unprocessed_copy(processed, tmp_path / "data")
    assert kill_after(settings, line, occurrence) == -signal.SIGKILL, "the process ended before the kill point"
    process(settings)
    assert snapshot(settings, embedder) == reference
