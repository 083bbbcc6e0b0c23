"""Lower layers never import upper ones: crawler < pipeline < search_api (the `ess` command composes them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"crawler": {"pipeline", "search_api"}, "pipeline": {"search_api"}, "search_api": {"crawler"}}
COMPOSITION_ROOT = ROOT / "pipeline" / "cli.py"


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if path != COMPOSITION_ROOT
    }
    assert not {path: names for path, names in offenders.items() if names}
