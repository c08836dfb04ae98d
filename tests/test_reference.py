"""The key reference and JSON Schema in docs/ are exactly what the schema generates."""

from __future__ import annotations

import json
from pathlib import Path

from sim.scenario import reference

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_reference_is_up_to_date():
    assert (DOCS / "scenario-reference.md").read_text(encoding="utf-8") == reference.markdown(), (
        "run: python -m sim.scenario.reference"
    )


def test_json_schema_is_up_to_date():
    assert (DOCS / "scenario.schema.json").read_text(encoding="utf-8") == reference.json_schema()


def test_every_key_is_documented():
    text = reference.markdown()
    for _, model in reference.SECTIONS:
        for name, info in model.model_fields.items():
            assert f"`{info.alias or name}`" in text
            assert info.description, f"{model.__name__}.{name} has no description"


def test_schema_is_json():
    assert json.loads(reference.json_schema())["title"] == "Scenario"
