"""Loading scenario files: TOML, ``extends`` with deep override, validation, clear errors.

A scenario file is TOML read with the standard library's ``tomllib``. A file may say
``extends = "baseline.toml"`` (a path relative to itself): the base is loaded first, then this
file's tables are merged over it key by key (tables merge, anything else replaces), so a variant
is a few lines on top of a baseline.

Validation happens once, here, against the schema of :mod:`sim.scenario.schema`, and every problem
of the file is collected before anything is raised: a :class:`ScenarioError` carries them all, each
as ``file: key.path: what is wrong (valid: ...)``. Nothing downstream re-checks or fills defaults.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import os
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.schema import ListArrivals, Scenario, policy_problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (file and key path) and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.path}: {self.message}"
            if self.path
            else (f"{self.file}: {self.message}")
        )


class ScenarioError(ValueError):
    """A scenario could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- reading and merging


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` over ``base``: tables merge recursively, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _leaf_paths(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterable[tuple[str, ...]]:
    for key, value in data.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(value, Mapping):
            yield from _leaf_paths(value, path)


def _display(path: Path) -> str:
    """A path as the user would write it: relative to the working folder when inside it."""
    rel = os.path.relpath(path)
    return path.as_posix() if rel.startswith("..") else rel


def read_tree(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict]:
    """Read a scenario file and its ``extends`` chain into one merged dict.

    Returns the merged data and, for every key path, the file that set it last (used to say
    which file of a chain a problem comes from).
    """
    path = path.resolve()
    shown = _display(path)
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(
            [
                Problem(
                    _display(_chain[0]), "extends", f"files extend each other in a cycle: {cycle}"
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = (_display(_chain[-1]), "extends") if _chain else (shown, "")
        raise ScenarioError([Problem(where[0], where[1], f"no such file: {path}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(shown, "", f"cannot read the file: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(shown, "", f"not valid TOML: {exc}")]) from None
    origins = {p: shown for p in _leaf_paths(data)}
    parent = data.pop("extends", None)
    if parent is None:
        return data, origins
    if not isinstance(parent, str):
        raise ScenarioError(
            [
                Problem(
                    shown, "extends", f"must be a file name (a string), got {type(parent).__name__}"
                )
            ]
        )
    base, base_origins = read_tree(path.parent / parent, (*_chain, path))
    return deep_merge(base, data), {**base_origins, **origins}


# --------------------------------------------------------------------------- error formatting


def _join(path: Iterable[Any]) -> str:
    out = ""
    for comp in path:
        if isinstance(comp, int):
            out += f"[{comp}]"
        else:
            out += ("." if out else "") + str(comp)
    return out


def _clean_loc(loc: tuple[Any, ...], data: Any, missing: bool) -> list[Any]:
    """Drop the union-tag components pydantic adds, keeping the keys that exist in ``data``."""
    out: list[Any] = []
    node = data
    for i, comp in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, Mapping) and comp in node:
            out.append(comp)
            node = node[comp]
        elif isinstance(node, list | tuple) and isinstance(comp, int) and comp < len(node):
            out.append(comp)
            node = node[comp]
        elif last and missing and isinstance(node, Mapping):
            out.append(comp)
        # anything else is a tag pydantic put in the location (a union member's name)
    return out


def _unwrap(ann: Any, node: Any) -> Any:
    """Reduce an annotation to the class that validates ``node`` (through Annotated, unions)."""
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(ann) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if len(members) == 1:
                ann = members[0]
                continue
            if not models or not isinstance(node, Mapping):
                return None
            for m in models:
                for tag in ("dist", "process"):
                    if tag in m.model_fields and node.get(tag) == m.model_fields[tag].default:
                        return m
            return None
        else:
            return ann


def _fields_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(path: list[Any], data: Any) -> type[BaseModel] | None:
    ann: Any = Scenario
    node = data
    for comp in path:
        ann = _unwrap(ann, node)
        if ann is None:
            return None
        origin = typing.get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields = {f.alias or n: f for n, f in ann.model_fields.items()}
            if comp not in fields:
                return None
            ann = fields[comp].annotation
        elif origin is dict:
            ann = typing.get_args(ann)[1]
        elif origin in (tuple, list):
            ann = typing.get_args(ann)[0]
        else:
            return None
        node = node[comp] if isinstance(node, Mapping | list | tuple) else None
    ann = _unwrap(ann, node)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _message(err: Mapping[str, Any], path: list[Any], data: Any) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], data)
        valid = f" (valid: {', '.join(_fields_of(model))})" if model else ""
        hint = ""
        if model:
            close = difflib.get_close_matches(str(path[-1]), _fields_of(model), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key{hint}{valid}"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return (
            f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} "
            f"{ctx.get('tag')!r} (valid: {ctx.get('expected_tags')})"
        )
    if kind == "union_tag_not_found":
        ctx = err.get("ctx", {})
        return f"needs a {ctx.get('discriminator', 'tag')} key to say which kind it is"
    if kind == "literal_error":
        return f"{err['input']!r} is not allowed (valid: {err['ctx']['expected']})"
    if kind.startswith("value_error"):
        msg = msg.removeprefix("Value error, ")
        return msg
    got = err.get("input")
    shown = repr(got) if not isinstance(got, Mapping | list) else type(got).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg[0].lower()}{msg[1:]} (got {shown})"


def _origin(path: list[Any], origins: Mapping[tuple, str], default: str) -> str:
    keys = tuple(str(c) for c in path if not isinstance(c, int))
    while keys:
        if keys in origins:
            return origins[keys]
        keys = keys[:-1]
    return default


def validation_problems(
    exc: ValidationError, data: Any, file: str, origins: Mapping[tuple, str] | None = None
) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems."""
    errors = [
        (err, _clean_loc(tuple(err["loc"]), data, missing=err["type"] == "missing"))
        for err in exc.errors()
    ]
    out = []
    for err, path in errors:
        if err["type"] == "too_short" and any(
            len(other) > len(path) and other[: len(path)] == path for _, other in errors
        ):
            continue  # a list emptied by its own broken elements: those are the real problems
        out.append(
            Problem(_origin(path, origins or {}, file), _join(path), _message(err, path, data))
        )
    # the same problem reported through two union members is said once
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- cross references


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(known) if len(known) <= 12 else ", ".join(known[:12]) + ", ..."
    return f"unknown {kind} {name!r}{hint} (valid: {listed})"


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Return one cycle of the graph ``node -> predecessors`` as a node list, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and nxt in edges:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in edges:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def reachable(starts: Iterable[Any], edges: Any) -> set[Any]:
    """Every node reachable from ``starts`` (included) along ``edges[node]``."""
    seen = set(starts)
    todo = list(seen)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def ancestors(item: str, scenario: Scenario) -> set[str]:
    """Every item that must finish before ``item`` (through ``requires`` and ``after``)."""
    preds = {
        i: [p for p in (*it.requires, *it.after) if p in scenario.items]
        for i, it in scenario.items.items()
    }
    return reachable([item], preds) - {item}


def check_references(sc: Scenario, file: str) -> list[Problem]:
    """Every reference to a department or item must exist, and precedence must be acyclic."""
    out: list[Problem] = []
    deps, items = sc.departments, sc.items
    for iid, it in items.items():
        if it.department is not None and it.department not in deps:
            out.append(
                Problem(
                    file, f"items.{iid}.department", _unknown("department", it.department, deps)
                )
            )
        for variant in ("steps", "assessed_steps"):
            for k, step in enumerate(getattr(it, variant) or ()):
                if step.department is not None and step.department not in deps:
                    out.append(
                        Problem(
                            file,
                            f"items.{iid}.{variant}[{k}].department",
                            _unknown("department", step.department, deps),
                        )
                    )
        for key in ("requires", "after"):
            for k, pre in enumerate(getattr(it, key)):
                if pre not in items:
                    out.append(
                        Problem(file, f"items.{iid}.{key}[{k}]", _unknown("item", pre, items))
                    )
                elif pre == iid:
                    out.append(
                        Problem(file, f"items.{iid}.{key}[{k}]", "an item cannot come after itself")
                    )
    for name, target in sc.scenario.milestones.items():
        for k, iid in enumerate([target] if isinstance(target, str) else target):
            key = f"scenario.milestones.{name}" + ("" if isinstance(target, str) else f"[{k}]")
            if iid not in items:
                out.append(Problem(file, key, _unknown("item", iid, items)))
    for cid, ct in sc.case_types.items():
        for iid, extra in ct.requires.items():
            if iid not in items:
                out.append(
                    Problem(file, f"case_types.{cid}.requires.{iid}", _unknown("item", iid, items))
                )
            for k, pre in enumerate(extra):
                if pre not in items:
                    out.append(
                        Problem(
                            file,
                            f"case_types.{cid}.requires.{iid}[{k}]",
                            _unknown("item", pre, items),
                        )
                    )
        for k, iid in enumerate(ct.items):
            if iid not in items:
                out.append(
                    Problem(file, f"case_types.{cid}.items[{k}]", _unknown("item", iid, items))
                )
        if all(i in items and items[i].background for i in ct.items):
            out.append(
                Problem(
                    file,
                    f"case_types.{cid}.items",
                    "needs at least one item that "
                    "is not background work (a case would never finish)",
                )
            )
        dupes = sorted({i for i in ct.items if ct.items.count(i) > 1})
        if dupes:
            out.append(
                Problem(file, f"case_types.{cid}.items", f"lists {', '.join(dupes)} more than once")
            )
    if out:
        return out
    cycle = find_cycle({iid: (*it.requires, *it.after) for iid, it in items.items()})
    if cycle:
        out.append(
            Problem(
                file,
                f"items.{cycle[0]}",
                "requires/after edges form a cycle: " + " -> ".join(reversed(cycle)),
            )
        )
        return out
    for cid, ct in sc.case_types.items():
        if not ct.requires:
            continue
        edges = {
            iid: (*it.requires, *it.after, *ct.requires.get(iid, ())) for iid, it in items.items()
        }
        cycle = find_cycle(edges)
        if cycle:
            out.append(
                Problem(
                    file,
                    f"case_types.{cid}.requires",
                    "with this case type's own edges the chain has a cycle: "
                    + " -> ".join(reversed(cycle)),
                )
            )
    if out:
        return out
    for iid, it in items.items():
        if it.rework is not None:
            if it.rework.to not in items:
                out.append(
                    Problem(file, f"items.{iid}.rework.to", _unknown("item", it.rework.to, items))
                )
            elif it.rework.to not in ancestors(iid, sc):
                out.append(
                    Problem(
                        file,
                        f"items.{iid}.rework.to",
                        f"{it.rework.to!r} is not an earlier item of {iid!r} (valid: "
                        f"{', '.join(sorted(ancestors(iid, sc))) or 'none'})",
                    )
                )
    out.extend(Problem(file, path, message) for path, message in policy_problems(sc))
    return out


# --------------------------------------------------------------------------- arrivals from CSV


def _csv_to_days(data: dict[str, Any], base_dir: Path, file: str) -> list[Problem]:
    """Replace CSV arrivals by the list of arrival days, so the model never reads files."""
    problems: list[Problem] = []
    start = data.get("scenario", {}).get("start")
    for cid, ct in (data.get("case_types") or {}).items():
        arr = ct.get("arrivals") if isinstance(ct, Mapping) else None
        if not (isinstance(arr, Mapping) and arr.get("process") == "csv"):
            continue
        key = f"case_types.{cid}.arrivals"
        if not isinstance(arr.get("file"), str) or not isinstance(start, dt.date):
            continue  # the schema reports these
        path = base_dir / arr["file"]
        column = arr.get("column", "date")
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except OSError as exc:
            problems.append(Problem(file, f"{key}.file", f"cannot read {path}: {exc.strerror}"))
            continue
        days = []
        for n, row in enumerate(rows, start=2):
            if column not in row:
                problems.append(
                    Problem(
                        file,
                        f"{key}.column",
                        f"{path.name} has no column {column!r} (valid: {', '.join(row)})",
                    )
                )
                break
            try:
                when = dt.datetime.fromisoformat(row[column].strip())
            except (ValueError, AttributeError):
                problems.append(
                    Problem(
                        file,
                        f"{key}.file",
                        f"{path.name} line {n}: {row[column]!r} is not an ISO date",
                    )
                )
                break
            origin = dt.datetime.combine(start, dt.time())
            delta = (when - origin).total_seconds() / 86400
            if delta < 0:
                problems.append(
                    Problem(
                        file,
                        f"{key}.file",
                        f"{path.name} line {n}: {when} is before the scenario start {start}",
                    )
                )
                break
            days.append(delta)
        if not days and not problems:
            problems.append(Problem(file, f"{key}.file", f"{path.name} lists no arrivals"))
        if days:
            ct["arrivals"] = ListArrivals(days=tuple(sorted(days))).model_dump()
    return problems


# --------------------------------------------------------------------------- public API


def from_dict(
    data: Mapping[str, Any],
    *,
    source: str = "<scenario>",
    origins: Mapping[tuple, str] | None = None,
    base_dir: Path | None = None,
    checks: Iterable[Callable[[Scenario, str], list[Problem]]] = (),
) -> Scenario:
    """Validate a scenario given as plain data (as read from TOML). Raises ScenarioError.

    ``checks`` are further validators run on the valid scenario (the reform layer passes the
    check of ``[reforms]`` parameters here, so the scenario layer need not know reforms).
    """
    data = deep_merge({}, data)  # never mutate the caller's dict
    if base_dir is not None:
        csv_problems = _csv_to_days(data, base_dir, source)
        if csv_problems:
            raise ScenarioError(csv_problems)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, data, source, origins)) from None
    problems = check_references(sc, source)
    for check in () if problems else checks:
        problems.extend(check(sc, source))
    if problems:
        raise ScenarioError(problems)
    return sc


def load(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    checks: Iterable[Callable[[Scenario, str], list[Problem]]] = (),
) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file.

    ``overrides`` is merged over the file's data (same shape, e.g.
    ``{"experiment": {"seed": 7}}``) before validation.
    """
    path = Path(path)
    data, origins = read_tree(path)
    if overrides:
        data = deep_merge(data, overrides)
    resolved = path.resolve()
    return from_dict(
        data, source=_display(resolved), origins=origins, base_dir=resolved.parent, checks=checks
    )
