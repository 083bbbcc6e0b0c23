"""Evaluation data written by others lives beside the project in ../shared/eval; it is read there, never copied."""

from __future__ import annotations

from pathlib import Path

SHARED_EVAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "eval"


def absent(folder: Path) -> str | None:
    """Why ``folder`` cannot be evaluated, or None when it is there."""
    if folder.is_dir():
        return None
    return f"../shared/eval/{folder.name} not found ({folder.resolve()}); a fresh clone has no ../shared"
