"""The order of the house: the import contracts (pyproject.toml, `lint-imports`) hold, no relative import hides
a layer, the `ess` entry point is the top package, and every SQL statement is run by a module that owns its
database (ruff's banned-api rule keeps `sqlite3`, `chromadb` and `tantivy` imports with their owners)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "crawler", "search_api")
SQL_OWNERS = ("pipeline/store/", "crawler/state.py", "search_api/watches.py")


def sources() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def test_the_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_relative_imports_hide_a_layer():
    relative = [
        str(path.relative_to(ROOT))
        for path in sources()
        if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    ]
    assert not relative


def test_the_entry_point_is_the_top_package():
    assert 'ess = "search_api.cli:app"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def sql_calls(path: Path) -> list[int]:
    """Lines of ``path`` that run SQL (``.execute``, ``.executemany``, ``.executescript``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"execute", "executemany", "executescript"}
    ]


def test_sql_runs_only_where_its_database_is_owned():
    outside = {
        relative: lines
        for path in sources()
        if not (relative := str(path.relative_to(ROOT))).startswith(SQL_OWNERS) and (lines := sql_calls(path))
    }
    assert not outside
