"""Layers, bottom to top: pipeline < crawler < search_api. A lower package never imports an upper one, and no
file is exempted: the `ess` command is composed in the top package (search_api/cli.py mounts the crawler's
and the pipeline's sub-commands). Code the crawler and the pipeline share (the WARC record format, URL
canonicalisation, reading feeds) lives in the pipeline, the lower of the two."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"pipeline": {"crawler", "search_api"}, "crawler": {"search_api"}, "search_api": set()}


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
    }
    assert not {path: names for path, names in offenders.items() if names}


def test_no_relative_imports_hide_a_layer():
    relative = [
        str(path.relative_to(ROOT))
        for package in FORBIDDEN
        for path in (ROOT / package).rglob("*.py")
        if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    ]
    assert not relative


def test_the_entry_point_is_the_top_package():
    assert 'ess = "search_api.cli:app"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def import_map(root: Path) -> dict[str, dict[str, list[str]]]:
    """Package -> each other project package it imports -> the files that import it."""
    edges: dict[str, dict[str, list[str]]] = {package: {} for package in FORBIDDEN}
    for package in FORBIDDEN:
        for path in sorted((root / package).rglob("*.py")):
            for imported in sorted(imported_packages(path) & set(FORBIDDEN) - {package}):
                edges[package].setdefault(imported, []).append(str(path.relative_to(root / package)))
    return edges


if __name__ == "__main__":  # python tests/test_layers.py [checkout]: the map of imports between packages
    for package, imports in import_map(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT).items():
        for imported, files in imports.items():
            print(f"{package} -> {imported} ({len(files)} files): {', '.join(files)}")
