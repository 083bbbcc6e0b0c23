"""The API's pool of read-only store connections: reused while the file is the same, dropped once replaced."""

from __future__ import annotations

from types import SimpleNamespace

import anyio
import pytest

from pipeline.records import Document
from pipeline.store.schema import SchemaError
from pipeline.store.writer import Store
from search_api.deps import StorePool, get_store


def write_store(path, doc_id: str) -> None:
    store = Store(path)
    store.save_document(
        Document(id=doc_id, url=f"http://x/{doc_id}", source="s", kind="html", text="t", raw_hash="h"), [], []
    )
    store.close()


def lent(pool):
    taken = pool.take()
    pool.give_back(taken)
    store = taken[0] if taken else None
    return store, [row[0] for row in store.db.execute("SELECT id FROM documents")] if store else None


def test_no_store_yet_lends_nothing(tmp_path):
    assert lent(StorePool(tmp_path / "ess.sqlite")) == (None, None)


def test_a_connection_is_reused_until_the_file_is_replaced(tmp_path):
    path = tmp_path / "ess.sqlite"
    write_store(path, "first")
    pool = StorePool(path)
    store, ids = lent(pool)
    assert ids == ["first"] and lent(pool)[0] is store
    for leftover in tmp_path.glob("ess.sqlite*"):  # what `ess process --rebuild` does before writing again
        leftover.unlink()
    write_store(path, "rebuilt")
    again, ids = lent(pool)
    assert again is not store and ids == ["rebuilt"]
    pool.close()


def test_another_schema_version_is_refused_at_the_loan(tmp_path):
    path = tmp_path / "ess.sqlite"
    write_store(path, "first")
    pool = StorePool(path)
    lent(pool)
    writer = Store(path)
    writer.db.execute("PRAGMA user_version = 1")
    writer.close()
    with pytest.raises(SchemaError, match="ess process"):
        lent(pool)
    pool.close()


def test_requests_beyond_the_pool_size_wait_for_a_connection(tmp_path):
    """50 concurrent requests through the API's dependency share 3 connections: the others wait, none fails."""
    path = tmp_path / "ess.sqlite"
    write_store(path, "first")
    resources = SimpleNamespace(stores=StorePool(path, size=3))
    opened, holding, most = set(), 0, 0

    async def request():
        nonlocal holding, most
        loan = get_store(resources)
        store = await anext(loan)
        opened.add(id(store))
        holding += 1
        most = max(most, holding)
        assert store.db.execute("SELECT id FROM documents").fetchone()[0] == "first"
        await anyio.sleep(0.01)
        holding -= 1
        with pytest.raises(StopAsyncIteration):
            await anext(loan)

    async def clients():
        async with anyio.create_task_group() as group:
            for _ in range(50):
                group.start_soon(request)

    anyio.run(clients)
    assert most == 3 and len(opened) == 3
    resources.stores.close()
