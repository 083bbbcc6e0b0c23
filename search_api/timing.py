"""How long each stage of a request took, sent back as a ``Server-Timing`` header: browsers' developer tools
show it, and the latency bench (`tests/bench/latency.py`) reads it to say where a search spends its time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from fastapi import Request

_stages: ContextVar[dict[str, float] | None] = ContextVar("stages", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the time spent in the block to the current request's stage ``name`` (nothing outside a request)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        stages = _stages.get()
        if stages is not None:
            stages[name] = stages.get(name, 0.0) + (time.perf_counter() - started) * 1000


async def server_timing(request: Request, call_next):
    """Collect the request's stages; the dict is shared with the thread that runs a sync endpoint, which
    receives a copy of this context."""
    stages: dict[str, float] = {}
    token = _stages.set(stages)
    try:
        response = await call_next(request)
    finally:
        _stages.reset(token)
    if stages:
        response.headers["Server-Timing"] = ", ".join(f"{name};dur={ms:.2f}" for name, ms in stages.items())
    return response


def parse_server_timing(header: str) -> dict[str, float]:
    """``{"embed": 4.1, ...}`` from a ``Server-Timing`` header written by ``server_timing``."""
    stages = {}
    for part in filter(None, (p.strip() for p in header.split(","))):
        name, _, duration = part.partition(";dur=")
        stages[name] = float(duration)
    return stages
