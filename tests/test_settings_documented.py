"""Every setting has a line of help and appears in the README's configuration table."""

from __future__ import annotations

from pipeline.config import PROJECT_ROOT, Settings


def test_every_setting_is_described_and_documented():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"`ESS_{name.upper()}`" in readme, f"ESS_{name.upper()} is missing from the README"
