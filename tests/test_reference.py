"""The reference pages say what the code says: every setting has a line of help, the generated pages of docs/
(settings, commands, endpoints) are what `make docs` writes from the code now, and no page names a setting that
does not exist."""

from __future__ import annotations

import re
import subprocess
import sys

from pipeline.config import PROJECT_ROOT, Settings
from tests.reference import GENERATED

SETTING = re.compile(r"\bESS_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
NOT_SETTINGS = {"ESS_STRICT_SKIPS"}  # the test suite's own switch (.ci/run), not a setting of the product


def test_every_setting_has_a_line_of_help():
    undescribed = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert not undescribed


def test_the_generated_pages_are_what_the_code_says():
    check = [sys.executable, "-m", "cogapp", "-I", str(PROJECT_ROOT), "--check", *GENERATED]
    done = subprocess.run(check, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"run `make docs`: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def test_the_pages_name_only_settings_that_exist():
    known = {f"ESS_{name.upper()}" for name in Settings.model_fields} | NOT_SETTINGS
    pages = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    unknown = {page.name: sorted(set(SETTING.findall(page.read_text(encoding="utf-8"))) - known) for page in pages}
    assert not {page: names for page, names in unknown.items() if names}
