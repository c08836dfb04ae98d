"""The scenario key reference and JSON Schema, generated from the schema so they cannot drift.

``python -m sim.scenario.reference`` rewrites ``docs/scenario-reference.md`` and
``docs/scenario.schema.json``; a test fails when the committed files differ from what the
schema generates.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario import distributions as d
from sim.scenario import feasibility as f
from sim.scenario import load as ld
from sim.scenario import schema as s

# (table heading in a scenario file, model)
SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("[scenario]", s.ScenarioInfo),
    ("[departments.<id>]", s.Department),
    ("[items.<id>]", s.Item),
    ("items.<id>.steps[]", s.Step),
    ("items.<id>.correction", s.Correction),
    ("items.<id>.rework", s.Rework),
    ("[case_types.<id>]", s.CaseType),
    ('arrivals, process = "poisson"', s.PoissonArrivals),
    ('arrivals, process = "csv"', s.CsvArrivals),
    ('arrivals, process = "list"', s.ListArrivals),
    ("[experiment]", s.Experiment),
    ("[problems]", s.Problems),
    ("name (any display name)", s.Names),
]
DISTS: list[type[BaseModel]] = [
    d.Exponential,
    d.LogNormal,
    d.Gamma,
    d.Triangular,
    d.Uniform,
    d.Deterministic,
    d.Empirical,
]


def _type_name(ann: Any) -> str:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        inner = typing.get_args(ann)[0]
        if typing.get_origin(inner) in (typing.Union, types.UnionType) and all(
            isinstance(a, type) and issubclass(a, d._Dist) for a in typing.get_args(inner)
        ):
            return "distribution"
        return _type_name(inner)
    if origin is typing.Literal:
        return " \\| ".join(f'"{v}"' for v in typing.get_args(ann))
    if origin in (typing.Union, types.UnionType):
        parts = [_type_name(a) for a in typing.get_args(ann) if a is not type(None)]
        return " \\| ".join(parts)
    if origin is dict:
        return f"table of {_type_name(typing.get_args(ann)[1])}"
    if origin in (tuple, list):
        return f"list of {_type_name(typing.get_args(ann)[0])}"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "table" if ann is not s.Names else "name"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(
        ann, getattr(ann, "__name__", str(ann))
    )


def _range(info: FieldInfo) -> str:
    parts = []
    for m in info.metadata:
        for attr, sym in (
            ("ge", ">="),
            ("gt", ">"),
            ("le", "<="),
            ("lt", "<"),
            ("min_length", "length >="),
            ("max_length", "length <="),
        ):
            v = getattr(m, attr, None)
            if v is not None:
                parts.append(f"{sym} {v}")
    return ", ".join(parts)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        value = info.default_factory()
    elif info.default is PydanticUndefined:
        return ""
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return (
            "`" + json.dumps(value.model_dump(mode="json", by_alias=True, exclude_none=True)) + "`"
        )
    return f"`{json.dumps(value, default=str)}`"


def _table(model: type[BaseModel]) -> list[str]:
    lines = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        desc = (info.description or "").replace("|", "\\|")
        lines.append(
            f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | "
            f"{_range(info)} | {desc} |"
        )
    return lines


def markdown() -> str:
    """The whole reference as Markdown."""
    out = [
        "# Scenario file reference",
        "",
        "Generated from the schema in `sim/scenario/schema.py` by "
        "`python -m sim.scenario.reference`; do not edit by hand. A JSON Schema of the same "
        "content is in `scenario.schema.json` beside this file, for editors that check TOML.",
        "",
        "Top level: `extends` (optional: a scenario file this one is laid over, path relative to "
        "this file; tables merge key by key, other values replace) and the tables below. "
        "`[reforms.<lever>]` tables switch levers on (see `approvalsim reforms`). Unknown keys "
        "are errors.",
        "",
    ]
    out += [
        "## Limits",
        "",
        "Every number must be finite (`inf` and `nan` are refused everywhere, in `[reforms]` "
        "tables too) and lie in the range its table below states. Beyond the per-key ranges:",
        "",
        f"- a scenario file, and a CSV of arrival dates, is a regular UTF-8 file of at most "
        f"{ld.MAX_FILE_BYTES // 2**20} MiB (a folder, device or pipe is refused before "
        "anything is read);",
        f"- tables and lists nest at most {ld.MAX_DEPTH} deep, a list has at most "
        f"{ld.MAX_LIST:,} entries and a scenario at most {ld.MAX_NODES:,} values; an `extends` "
        f"chain has at most {ld.MAX_EXTENDS} files;",
        "- `extends` and CSV paths are relative to the file that names them (CSV: to the "
        "scenario file that is loaded) and may not leave that scenario file's folder tree, "
        "unless `--allow-outside` (Python: `allow_outside=True`) is given;",
        f"- a CSV lists at most 1,000,000 arrivals, each at most {ld.MAX_ARRIVAL_DAYS:,} days "
        "after the start;",
        f"- one replication handles at most {f.MAX_ITEMS_PER_RUN:,} items (arrivals in the "
        "horizon times the items of their case type; about 2 KB of memory each);",
        "- every case type must be able to finish: the expected time of its longest chain of "
        "items (with no queueing), on the scenario its levers produce, may not exceed "
        "`horizon_days + drain_days`.",
        "",
    ]
    for heading, model in SECTIONS:
        out += [f"## `{heading}`", "", (model.__doc__ or "").strip(), "", *_table(model), ""]
    out += [
        "## Distributions",
        "",
        'Written `{ dist = "<name>", ... }`; a bare number means `deterministic`. Effort is '
        "in staff hours; delays and turnarounds take `unit` = `working_days` (default), "
        "`calendar_days` or `hours`.",
        "",
    ]
    for model in DISTS:
        tag = model.model_fields["dist"].default
        out += [f"### `{tag}`", "", (model.__doc__ or "").strip(), "", *_table(model), ""]
    return "\n".join(out).rstrip() + "\n"


def json_schema() -> str:
    """The JSON Schema of a scenario file, as text."""
    schema = s.Scenario.model_json_schema(by_alias=True)
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Scenario file this one is laid over.",
    }
    return json.dumps(schema, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write(folder: Path) -> None:
    """Write both files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario-reference.md").write_text(markdown(), encoding="utf-8")
    (folder / "scenario.schema.json").write_text(json_schema(), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
