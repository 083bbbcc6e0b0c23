"""The analysts' decisions about entities: recorded in order, resolved through merges and aliases."""

from __future__ import annotations

import json

import pytest

from pipeline.entities.curation import Curation, CurationError, Decision, record
from pipeline.entities.gazetteer import entity_key


def test_a_found_entity_resolves_through_merges_aliases_rejects_and_types():
    curation = Curation(
        [
            Decision("merge", "Coorace", "COORACE national"),
            Decision("alias", "Coorace", "Fédération Coorace"),
            Decision("merge", "Coorace", "Coorace Occitanie"),
            Decision("merge", "Coorace Occitanie", "Coorace Toulouse"),  # merged into a merged one: follows it
            Decision("reject", "Mme"),
            Decision("retype", "Coorace", "MISC"),
        ]
    )
    for found in ("le COORACE national", "Fédération Coorace", "Coorace Toulouse"):
        resolved = curation.resolve(entity_key(found), found, "ORG")
        assert (resolved.key, resolved.name, resolved.label, resolved.curated) == ("coorace", "Coorace", "MISC", True)
    assert curation.resolve("mme", "Mme", "PER") is None
    untouched = curation.resolve(entity_key("RTES"), "RTES", "ORG")
    assert (untouched.key, untouched.label, untouched.curated) == ("rtes", "ORG", False)
    assert [d.action for d in curation.about("coorace")] == ["merge", "alias", "merge", "merge", "retype"]


def test_a_merge_back_and_forth_does_not_loop():
    curation = Curation([Decision("merge", "A", "B"), Decision("merge", "B", "A")])
    assert curation.resolve("a", "A", "ORG") is not None and curation.resolve("b", "B", "ORG") is not None


@pytest.mark.parametrize(
    "decision, message",
    [
        (Decision("split", "A"), "unknown action"),
        (Decision("merge", "A"), "second name"),
        (Decision("merge", "Le Coorace", "coorace"), "already the same"),
        (Decision("retype", "A", "DATE"), "not one of"),
        (Decision("reject", "  "), "name"),
    ],
)
def test_a_decision_that_cannot_be_taken_is_refused(tmp_path, decision, message):
    with pytest.raises(CurationError, match=message):
        record(tmp_path / "curation.json", decision)
    assert not (tmp_path / "curation.json").exists()


def test_decisions_are_appended_in_order_with_their_time(tmp_path):
    path = tmp_path / "curation.json"
    record(path, Decision("merge", "Coorace", "COORACE national"))
    record(path, Decision("retype", "Coorace", "ORG"))
    rows = json.loads(path.read_text())
    assert [(r["action"], r["other"]) for r in rows] == [("merge", "COORACE national"), ("retype", "ORG")]
    assert all(r["at"].endswith("Z") for r in rows) and len(Curation.load(path).decisions) == 2
    path.write_text('{"not": "a list"}')
    with pytest.raises(CurationError, match="not a list"):
        Curation.load(path)
