"""Loading scenario files: TOML, ``extends`` with deep override, validation, clear errors.

Scripts and the command line load scenarios through the front door, :func:`sim.load` and
:func:`sim.from_dict` (module :mod:`sim.api`), which add the checks of the lever parameters and
of whether a case can finish at all. The functions here are the scenario layer's own machinery,
kept importable for the sweep code and the reforms; they are internal otherwise.

A scenario file is TOML read with the standard library's ``tomllib``. A file may say
``extends = "baseline.toml"`` (a path relative to itself): the base is loaded first, then this
file's tables are merged over it key by key (tables merge, anything else replaces), so a variant
is a few lines on top of a baseline.

Validation happens once, here, against the schema of :mod:`sim.scenario.schema`, and every problem
of the file is collected before anything is raised: a :class:`ScenarioError` carries them all, each
as ``file: key.path: what is wrong (valid: ...)``. Nothing downstream re-checks or fills defaults.

Inputs are untrusted, so reading is bounded: only regular files are opened (never a device, a
pipe or a folder), at most :data:`MAX_FILE_BYTES` each, tables and lists nested at most
:data:`MAX_DEPTH` deep, ``extends`` chains at most :data:`MAX_EXTENDS` files long, and ``extends``
and CSV paths may not leave the folder tree of the scenario file that is loaded (its *root*)
unless the caller allows it. Messages never quote a file that is not a scenario or a CSV of
arrival dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import os
import re
import stat
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.feasibility import workload_problems
from sim.scenario.schema import ListArrivals, Scenario, policy_problems

MAX_FILE_BYTES = 10 * 2**20
"""Largest scenario or CSV file read (10 MiB; the Pukou baseline is about 60 KB)."""

MAX_DEPTH = 32
"""Deepest nesting of tables and lists (a scenario needs about 8)."""

MAX_EXTENDS = 16
"""Most files in one ``extends`` chain (the Pukou files use 3)."""

MAX_LIST = 1_000_000
"""Longest list (the arrival days of a year of a million cases)."""

MAX_NODES = 2_000_000
"""Most values (tables, lists and leaves) in one scenario (the Pukou baseline has about 2,000)."""

MAX_PROBLEMS = 100
"""Most problems one error reports; the rest are counted, not listed."""

MAX_ARRIVAL_DAYS = 36_500
"""Latest arrival a CSV may list, in days after the start (the longest horizon)."""


def inert(text: str, limit: int) -> str:
    """``text`` made safe to print: control characters escaped, at most ``limit`` characters.

    Scenario keys and values are untrusted; a message quoting them must not carry terminal
    escape sequences or line breaks, nor grow with the input.
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any, limit: int = 60) -> str:
    """A short, inert ``repr`` of a value a user wrote, for messages."""
    return inert(repr(value), limit)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (file and key path) and what.

    All three are made inert (see :func:`inert`): a file name of at most 300 characters, a key
    path of at most 200 and a message of at most 800, whatever the input was.
    """

    file: str
    path: str
    message: str

    def __post_init__(self) -> None:
        for name, limit in (("file", 300), ("path", 200), ("message", 800)):
            object.__setattr__(self, name, inert(str(getattr(self, name)), limit))

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.path}: {self.message}"
            if self.path
            else (f"{self.file}: {self.message}")
        )


class ScenarioError(ValueError):
    """A scenario could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]):
        found = list(problems)
        if len(found) > MAX_PROBLEMS:
            more = len(found) - MAX_PROBLEMS + 1
            first = found[0]
            found = [*found[: MAX_PROBLEMS - 1], Problem(first.file, "", f"... and {more:,} more")]
        self.problems = found
        super().__init__("\n".join(str(p) for p in self.problems))


def _fail(file: str, path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(file, path, message)])


# --------------------------------------------------------------------------- plain data


def _join(path: Iterable[Any]) -> str:
    out = ""
    for comp in path:
        if isinstance(comp, int):
            out += f"[{comp}]"
        else:
            out += ("." if out else "") + str(comp)
    return out


def check_depth(data: Any, file: str, limit: int = MAX_DEPTH) -> None:
    """Raise a located ScenarioError if ``data`` is too deep, too long or too big to handle.

    Tables and lists may nest at most ``limit`` deep, a list may have at most
    :data:`MAX_LIST` entries and the whole at most :data:`MAX_NODES` values. The walk is
    depth first and without recursion, so no input can exhaust the interpreter's stack, and a
    structure that contains itself (possible only from Python) is found at once as too deep.
    """
    # each entry: (value, depth, link), where link = (parent link, key) spells the key path
    todo: list[tuple[Any, int, Any]] = [(data, 0, None)]
    seen = 0

    def where(link: Any) -> str:
        keys = []
        while link is not None:
            link, key = link
            keys.append(key)
        return _join(reversed(keys[-limit:]))

    while todo:
        node, depth, link = todo.pop()
        seen += 1
        if depth > limit:
            raise _fail(file, where(link), f"tables and lists are nested more than {limit} deep")
        if seen > MAX_NODES:
            raise _fail(file, "", f"has more than {MAX_NODES:,} values")
        if isinstance(node, Mapping):
            todo.extend((v, depth + 1, (link, k)) for k, v in node.items())
        elif isinstance(node, list | tuple):
            if len(node) > MAX_LIST:
                raise _fail(
                    file, where(link), f"a list of {len(node):,} entries, more than {MAX_LIST:,}"
                )
            todo.extend((v, depth + 1, (link, n)) for n, v in enumerate(node))


def _plain_copy(value: Any) -> Any:
    """A copy of nested tables and lists (call :func:`check_depth` first); leaves are shared."""
    if isinstance(value, Mapping):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_copy(v) for v in value]
    return value


def _non_finite(data: Any, file: str, prefix: tuple[Any, ...]) -> list[Problem]:
    """Problems for every ``inf`` or ``nan`` under ``data`` (tables the schema does not type)."""
    out = []
    todo: list[tuple[Any, tuple[Any, ...]]] = [(data, prefix)]
    while todo:
        node, path = todo.pop()
        if isinstance(node, float) and not math.isfinite(node):
            out.append(Problem(file, _join(path), f"must be a finite number (got {node})"))
        elif isinstance(node, Mapping):
            todo.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list | tuple):
            todo.extend((v, (*path, n)) for n, v in enumerate(node))
    return sorted(out, key=lambda p: p.path)


def deep_merge(
    base: Mapping[str, Any], override: Mapping[str, Any], _depth: int = 0
) -> dict[str, Any]:
    """Merge ``override`` over ``base`` into a new dict: tables merge, other values replace.

    Neither argument is changed and the result shares no table or list with them. Nesting
    deeper than :data:`MAX_DEPTH` is a ScenarioError.
    """
    if _depth == 0:
        check_depth(base, "<scenario>")
        check_depth(override, "<overrides>")
    out = {k: _plain_copy(v) for k, v in base.items()} if _depth == 0 else dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value, _depth + 1)
        else:
            out[key] = _plain_copy(value)
    return out


def _leaf_paths(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterable[tuple[str, ...]]:
    for key, value in data.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(value, Mapping):
            yield from _leaf_paths(value, path)


# --------------------------------------------------------------------------- reading files


def _display(path: Path) -> str:
    """A path as the user would write it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.as_posix()
    return path.as_posix() if rel.startswith("..") else rel


def _resolve(path: Path) -> Path:
    """``path`` made absolute with symbolic links followed; a ScenarioError if it cannot be."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        msg = "contains a NUL byte" if isinstance(exc, ValueError) else "cannot be resolved"
        raise _fail(_display(path), "", f"is not a usable file name: it {msg}") from None


def read_bounded(path: Path, file: str, key: str, what: str) -> str:
    """The text of a regular UTF-8 file of at most :data:`MAX_FILE_BYTES` bytes.

    Problems are reported at ``file``/``key`` (the place that named the file). The file is
    opened without blocking and checked before a byte is read, so a FIFO, a device such as
    ``/dev/zero`` or a folder is refused at once; the message never quotes the file's content.
    """
    name = _display(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _fail(file, key, f"no such file: {name}") from None
    except ValueError:
        raise _fail(file, key, f"{what} name {name!r} contains a NUL byte") from None
    except OSError as exc:
        raise _fail(file, key, f"cannot read {name}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _fail(
            file, key, f"{name} is not a regular file (a folder, device or pipe cannot be a {what})"
        )
    with os.fdopen(fd, "rb") as fh:
        limit = f"more than the {MAX_FILE_BYTES // 2**20} MiB a {what} may have"
        if info.st_size > MAX_FILE_BYTES:
            raise _fail(file, key, f"{name} is {info.st_size:,} bytes, {limit}")
        try:
            raw = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise _fail(file, key, f"cannot read {name}: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(file, key, f"{name} grew while it was read, to {limit}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(file, key, f"{name} is not UTF-8 text, so it cannot be a {what}") from None


def _top_level_keys() -> set[str]:
    return {f.alias or n for n, f in Scenario.model_fields.items()} | {"extends"}


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(name, "", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise _fail(name, "", f"tables and lists are nested more than {MAX_DEPTH} deep") from None
    check_depth(data, name)
    if data and not set(data) & _top_level_keys():
        raise _fail(
            name,
            "",
            "is not a scenario file: none of its top-level keys is one of "
            + ", ".join(sorted(_top_level_keys())),
        )
    return data


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def read_tree(
    path: str | Path, *, root: Path | None = None, allow_outside: bool = False
) -> tuple[dict[str, Any], dict]:
    """Read a scenario file and its ``extends`` chain into one merged dict.

    Returns the merged data and, for every key path, the file that set it last (used to say
    which file of a chain a problem comes from). ``extends`` paths are relative to the file
    that names them and must stay inside ``root`` (default: the folder of ``path``) unless
    ``allow_outside``.
    """
    here = _resolve(Path(path))
    root = here.parent if root is None else _resolve(Path(root))
    layers: list[tuple[dict[str, Any], str]] = []
    chain: list[Path] = []
    named_by: tuple[str, str] | None = None  # (file, key) that named the current file
    while True:
        name = _display(here)
        if here in chain:
            cycle = " -> ".join(p.name for p in (*chain, here))
            raise _fail(
                _display(chain[0]), "extends", f"files extend each other in a cycle: {cycle}"
            )
        if len(chain) >= MAX_EXTENDS:
            raise _fail(
                _display(chain[0]),
                "extends",
                f"the extends chain is longer than {MAX_EXTENDS} files",
            )
        if named_by is not None and not allow_outside and not _inside(here, root):
            raise _fail(
                *named_by,
                f"{name} is outside the scenario's folder tree {root.as_posix()} "
                "(allow_outside=True, or --allow-outside on the command line, permits it)",
            )
        where = named_by or (name, "")
        data = _parse(read_bounded(here, where[0], where[1], "scenario file"), name)
        chain.append(here)
        parent = data.pop("extends", None)
        layers.append((data, name))
        if parent is None:
            break
        if not isinstance(parent, str):
            raise _fail(
                name, "extends", f"must be a file name (a string), got {type(parent).__name__}"
            )
        named_by = (name, "extends")
        try:
            here = _resolve(here.parent / parent)
        except ScenarioError:
            raise _fail(name, "extends", f"{shown(parent)} is not a usable file name") from None
    merged: dict[str, Any] = {}
    origins: dict[tuple, str] = {}
    for data, name in reversed(layers):
        merged = deep_merge(merged, data)
        origins.update({p: name for p in _leaf_paths(data)})
    return merged, origins


# --------------------------------------------------------------------------- error formatting


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


def _model_at(
    path: list[Any], data: Any, root: type[BaseModel] = Scenario
) -> type[BaseModel] | None:
    ann: Any = root
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


def _message(
    err: Mapping[str, Any], path: list[Any], data: Any, root: type[BaseModel] = Scenario
) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], data, root)
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
            f"{shown(ctx.get('tag'))} (valid: {ctx.get('expected_tags')})"
        )
    if kind == "union_tag_not_found":
        ctx = err.get("ctx", {})
        return f"needs a {ctx.get('discriminator', 'tag')} key to say which kind it is"
    if kind == "literal_error":
        return f"{shown(err['input'])} is not allowed (valid: {err['ctx']['expected']})"
    if kind == "finite_number":
        return f"must be a finite number (got {shown(err.get('input'))})"
    if kind.startswith("value_error"):
        msg = msg.removeprefix("Value error, ")
        return msg
    got = err.get("input")
    what = shown(got) if not isinstance(got, Mapping | list | tuple) else type(got).__name__
    return f"{msg[0].lower()}{msg[1:]} (got {what})"


def first_error(exc: ValidationError) -> str:
    """The first error of ``exc`` in one short, inert line (for objects built by code)."""
    err = exc.errors()[0]
    where = _join(err["loc"])
    return f"{exc.title}{'.' + where if where else ''}: {_message(err, [], None)}"


def _origin(path: list[Any], origins: Mapping[tuple, str], default: str) -> str:
    keys = tuple(str(c) for c in path if not isinstance(c, int))
    while keys:
        if keys in origins:
            return origins[keys]
        keys = keys[:-1]
    return default


def validation_problems(
    exc: ValidationError,
    data: Any,
    file: str,
    origins: Mapping[tuple, str] | None = None,
    model: type[BaseModel] = Scenario,
) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` of ``model`` validating ``data`` into located problems.

    ``model`` is the class that validated ``data`` (the valid keys of an unknown one are read
    from it): a scenario by default, a lever's parameters or a sweep file otherwise.
    """
    raw = exc.errors(include_url=False)
    errors = [
        (err, _clean_loc(tuple(err["loc"]), data, missing=err["type"] == "missing"))
        for err in raw[: MAX_PROBLEMS - 1]
    ]
    out = []
    for err, path in errors:
        if err["type"] == "too_short" and any(
            len(other) > len(path) and other[: len(path)] == path for _, other in errors
        ):
            continue  # a list emptied by its own broken elements: those are the real problems
        out.append(
            Problem(
                _origin(path, origins or {}, file), _join(path), _message(err, path, data, model)
            )
        )
    # the same problem reported through two union members is said once
    out = list(dict.fromkeys(out))
    if len(raw) > MAX_PROBLEMS - 1:
        out.append(Problem(file, "", f"... and {len(raw) - MAX_PROBLEMS + 1:,} more"))
    return out


# --------------------------------------------------------------------------- cross references


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(known) if len(known) <= 12 else ", ".join(known[:12]) + ", ..."
    return f"unknown {kind} {shown(name)}{hint} (valid: {listed})"


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
    for name in sc.scenario.milestones:
        for iid in sc.scenario.milestone_items(name):
            if iid not in items:
                out.append(
                    Problem(file, f"scenario.milestones.{name}", _unknown("item", iid, items))
                )
    for cid, ct in sc.case_types.items():
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

_HEADER_CELL = re.compile(r"^[\w .()\-]{1,40}$")
_DATE_CELL = re.compile(r"^[\w :+\-./]{1,32}$")


def _excerpt(text: str, pattern: re.Pattern[str]) -> str | None:
    """``text`` quoted if it is short and harmless (matches ``pattern``), else ``None``."""
    return repr(text) if pattern.match(text) else None


def _csv_days(
    text: str, name: str, column: str, start: dt.date
) -> tuple[list[float], str | None, str]:
    """Arrival days of a CSV text, or the problem (key suffix, message) that stops reading."""
    origin = dt.datetime.combine(start, dt.time())
    rows = csv.reader(io.StringIO(text, newline=""))
    days: list[float] = []
    try:
        header = next(rows, None)
        if header is None:
            return [], "file", f"{name} is empty (valid: a header line, then one date a line)"
        names = [h.strip() for h in header]
        if column not in names:
            if len(names) <= 20 and all(_HEADER_CELL.match(h) for h in names):
                return [], "column", f"{name} has no column {column!r} (valid: {', '.join(names)})"
            return (
                [],
                "column",
                (
                    f"{name} has no column {column!r}, and its first line is not a header of "
                    "column names: is it a CSV of arrival dates?"
                ),
            )
        col = names.index(column)
        for row in rows:
            n = rows.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            cell = row[col].strip() if col < len(row) else ""
            try:
                when = dt.datetime.fromisoformat(cell)
            except ValueError:
                shown = _excerpt(cell, _DATE_CELL)
                what = f"{shown} is not an ISO date" if shown else "the value is not an ISO date"
                return [], "file", f"{name} line {n}: {what} (valid: e.g. 2025-03-05)"
            if when.tzinfo is not None:
                return [], "file", f"{name} line {n}: a date with a time zone (valid: local time)"
            delta = (when - origin).total_seconds() / 86400
            if delta < 0:
                return [], "file", f"{name} line {n}: {when} is before the scenario start {start}"
            if delta > MAX_ARRIVAL_DAYS:
                return (
                    [],
                    "file",
                    (
                        f"{name} line {n}: {when} is more than {MAX_ARRIVAL_DAYS:,} days after the "
                        "start"
                    ),
                )
            days.append(delta)
            if len(days) > 1_000_000:
                return [], "file", f"{name} lists more than 1,000,000 arrivals"
    except csv.Error:
        return [], "file", f"{name} line {rows.line_num}: not a readable CSV line"
    if not days:
        return [], "file", f"{name} lists no arrivals"
    return days, None, ""


def _csv_to_days(
    data: dict[str, Any],
    base_dir: Path | None,
    file: str,
    root: Path | None = None,
    allow_outside: bool = False,
) -> list[Problem]:
    """Replace CSV arrivals by the list of arrival days, so the model never reads files.

    ``file`` paths are relative to ``base_dir`` and must stay inside ``root`` (default:
    ``base_dir``) unless ``allow_outside``. Without a ``base_dir`` a CSV cannot be read, which
    is a problem rather than a scenario the model would fail on.
    """
    problems: list[Problem] = []
    info = data.get("scenario")
    start = info.get("start") if isinstance(info, Mapping) else None
    case_types = data.get("case_types")
    for cid, ct in (case_types if isinstance(case_types, Mapping) else {}).items():
        arr = ct.get("arrivals") if isinstance(ct, Mapping) else None
        if not (isinstance(arr, Mapping) and arr.get("process") == "csv"):
            continue
        key = f"case_types.{cid}.arrivals"
        if base_dir is None:
            problems.append(
                Problem(
                    file,
                    f"{key}.file",
                    "a CSV of arrivals is read relative to a scenario's folder, and none was "
                    'given (valid: sim.from_dict(..., base_dir=folder), or process = "list")',
                )
            )
            continue
        column = arr.get("column", "date")
        if not isinstance(arr.get("file"), str) or not isinstance(start, dt.date):
            continue  # the schema reports these
        if not isinstance(column, str):
            continue
        try:
            path = _resolve(Path(base_dir) / arr["file"])
            top = _resolve(Path(root if root is not None else base_dir))
        except ScenarioError:
            problems.append(Problem(file, f"{key}.file", "is not a usable file name"))
            continue
        if not allow_outside and not _inside(path, top):
            problems.append(
                Problem(
                    file,
                    f"{key}.file",
                    f"{_display(path)} is outside the scenario's folder tree "
                    f"{top.as_posix()} (allow_outside=True, or --allow-outside on the command "
                    "line, permits it)",
                )
            )
            continue
        try:
            text = read_bounded(path, file, f"{key}.file", "CSV file")
        except ScenarioError as exc:
            problems += exc.problems
            continue
        days, where, message = _csv_days(text, path.name, column, start)
        if where is not None:
            problems.append(Problem(file, f"{key}.{where}", message))
            continue
        ct["arrivals"] = ListArrivals(days=tuple(sorted(days))).model_dump()
    return problems


# --------------------------------------------------------------------------- internal API


Check = Callable[[Scenario, str], list[Problem]]


def from_dict(
    data: Mapping[str, Any],
    *,
    source: str = "<scenario>",
    origins: Mapping[tuple, str] | None = None,
    base_dir: Path | None = None,
    checks: Iterable[Check] = (),
    root: Path | None = None,
    allow_outside: bool = False,
) -> Scenario:
    """Validate a scenario given as plain data (as read from TOML). Raises ScenarioError.

    Internal: scripts use :func:`sim.from_dict`, which passes the lever checks. ``data`` is
    never changed. CSV arrivals are read relative to ``base_dir`` (a CSV without one is a
    problem). ``checks`` are further validators run, in order, on the valid scenario until one
    finds problems (the front door passes the check of ``[reforms]`` parameters here, so the
    scenario layer need not know reforms).
    """
    if not isinstance(data, Mapping):
        raise _fail(source, "", f"a scenario is a table of keys, got {type(data).__name__}")
    check_depth(data, source)
    data = _plain_copy(data)  # never mutate the caller's dict
    problems = _non_finite(data.get("reforms"), source, ("reforms",))
    problems += _csv_to_days(data, base_dir, source, root, allow_outside)
    if problems:
        raise ScenarioError(problems)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, data, source, origins)) from None
    except RecursionError:  # pragma: no cover - depth is checked above
        raise _fail(source, "", f"tables and lists are nested more than {MAX_DEPTH} deep") from None
    problems = check_references(sc, source)
    if not problems:
        problems = [Problem(source, key, msg) for key, msg in workload_problems(sc)]
    for check in checks:
        if problems:
            break
        problems = list(check(sc, source))
    if problems:
        raise ScenarioError(problems)
    return sc


def load(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    checks: Iterable[Check] = (),
    *,
    allow_outside: bool = False,
) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file.

    Internal: scripts use :func:`sim.load`. ``overrides`` is merged over the file's data (same
    shape, e.g. ``{"experiment": {"seed": 7}}``) before validation. ``extends`` and CSV paths
    may not leave the folder tree of ``path`` unless ``allow_outside``.
    """
    data, origins = read_tree(path, allow_outside=allow_outside)
    if overrides:
        data = deep_merge(data, overrides)
    resolved = _resolve(Path(path))
    return from_dict(
        data,
        source=_display(resolved),
        origins=origins,
        base_dir=resolved.parent,
        checks=checks,
        root=resolved.parent,
        allow_outside=allow_outside,
    )
