"""What every lever shares: the parameter base class, the account, and scenario edits.

A lever is a module with ``NAME`` (used in ``[reforms.<NAME>]``), ``ZH`` (the report's name for
it), ``SUMMARY`` (one line), a ``Params`` model and two functions:

* ``check(scenario, params) -> list[(key, message)]`` — references that must exist (departments,
  items, case types), so that a bad lever parameter gets the same located error as any scenario
  problem;
* ``transform(scenario, params) -> (scenario, changes)`` — the pure transformation and the list of
  changes it made, in words: each a :class:`Note` (English and Chinese) or a plain English string.

The :class:`Account` keeps the changes in both languages (``changes`` in English, ``changes_zh`` in
Chinese, one per change, in the same order) so that a briefing can render it in either.

:func:`apply` ties them together for one lever; ``sim.reforms.apply_all`` applies the levers a
scenario declares, in file order. Scenarios are frozen, so every edit returns a new one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.scenario.load import (
    Problem,
    ScenarioError,
    check_references,
    reachable,
    validation_problems,
)
from sim.scenario.schema import CaseType, Item, Scenario, Step


class LeverParams(BaseModel):
    """Base of every lever's parameters: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Note:
    """One change a lever made, in English and in Chinese."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Account:
    """What one lever changed, in words a planner can check, in English and Chinese.

    ``changes`` and ``changes_zh`` list the same changes in the same order; ``name_zh`` is the
    report's name for the lever and ``mechanism`` / ``mechanism_zh`` say in one line what the
    lever changes in the model (and nothing else).
    """

    lever: str
    changes: tuple[str, ...]
    changes_zh: tuple[str, ...] = ()
    name_zh: str = ""
    mechanism: str = ""
    mechanism_zh: str = ""

    @property
    def zh(self) -> tuple[str, ...]:
        """Every change in Chinese (empty when a lever gave no Chinese for some change)."""
        return (
            self.changes_zh
            if len(self.changes_zh) == len(self.changes) and all(self.changes_zh)
            else ()
        )

    @property
    def en(self) -> tuple[str, ...]:
        """Every change in English."""
        return self.changes

    def lines(self, lang: str = "en") -> tuple[str, ...]:
        """The changes in ``lang`` ('zh' falls back to English where no Chinese was given)."""
        if lang != "zh":
            return self.changes
        return tuple(zh or en for en, zh in zip(self.changes, self._zh(), strict=True))

    def _zh(self) -> tuple[str, ...]:
        return (
            self.changes_zh
            if len(self.changes_zh) == len(self.changes)
            else ("",) * len(self.changes)
        )

    def __str__(self) -> str:
        body = "\n".join(f"  - {c}" for c in self.changes) or "  - (nothing to change)"
        return f"{self.lever}:\n{body}"


# --------------------------------------------------------------------------- checks


def unknown(kind: str, names: Iterable[str], known: Iterable[str]) -> list[str]:
    """Messages for every name not among ``known``."""
    known = sorted(known)
    out = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            out.append(f"unknown {kind} {name!r}{hint} (valid: {listed})")
    return out


def check_names(
    key: str, kind: str, names: Iterable[str] | None, known: Iterable[str]
) -> list[tuple[str, str]]:
    """``(key, message)`` pairs for names in a lever parameter that do not exist."""
    return [(key, m) for m in unknown(kind, names or (), known)]


# --------------------------------------------------------------------------- edits


def edit_items(sc: Scenario, updates: Mapping[str, Item]) -> Scenario:
    """A scenario with some items replaced or added (in the original order, new ones last)."""
    items = {iid: updates.get(iid, it) for iid, it in sc.items.items()}
    items.update({iid: it for iid, it in updates.items() if iid not in sc.items})
    return sc.model_copy(update={"items": items})


def add_to_case_types(sc: Scenario, new_for: Callable[[tuple[str, ...]], list[str]]) -> Scenario:
    """Add items to case types: ``new_for(items)`` names the items to append for each type."""
    types: dict[str, CaseType] = {}
    for cid, ct in sc.case_types.items():
        extra = [i for i in new_for(ct.items) if i not in ct.items]
        types[cid] = ct.model_copy(update={"items": ct.items + tuple(extra)}) if extra else ct
    return sc.model_copy(update={"case_types": types})


def scale_step(step: Step, factor: float) -> Step:
    """A step whose effort or delay is ``factor`` times as long."""
    if step.effort is not None:
        return step.model_copy(update={"effort": step.effort.scaled(factor)})
    return step.model_copy(update={"delay": step.delay.scaled(factor)})


def descendants(sc: Scenario, roots: Iterable[str]) -> set[str]:
    """Every item that comes after any of ``roots`` (through requires and after), roots too."""
    succ: dict[str, set[str]] = {i: set() for i in sc.items}
    for iid, it in sc.items.items():
        for p in (*it.requires, *it.after):
            succ[p].add(iid)
    return reachable(roots, succ)


def type_requires(sc: Scenario, case_type: str) -> Mapping[str, tuple[str, ...]]:
    """The extra prerequisites that hold only in ``case_type``'s chain (none if not declared)."""
    extra = getattr(sc.case_types[case_type], "requires", None) or {}
    return {k: tuple(v) for k, v in extra.items()}


def predecessors(sc: Scenario, case_type: str | None = None) -> dict[str, set[str]]:
    """Every item's direct prerequisites (requires and after), with a case type's own edges."""
    preds = {iid: set(it.requires) | set(it.after) for iid, it in sc.items.items()}
    if case_type is not None:
        for iid, extra in type_requires(sc, case_type).items():
            preds[iid] |= set(extra)
    return preds


def descendants_of(roots: Iterable[str], preds: Mapping[str, set[str]]) -> set[str]:
    """Every item after any of ``roots`` in the graph ``preds`` (roots included)."""
    succ: dict[str, set[str]] = {i: set() for i in preds}
    for iid, ps in preds.items():
        for p in ps:
            succ.setdefault(p, set()).add(iid)
    return reachable(roots, succ)


def ancestors_of(roots: Iterable[str], preds: Mapping[str, set[str]]) -> set[str]:
    """Every item before any of ``roots`` in the graph ``preds`` (roots included)."""
    return reachable(roots, {i: set(ps) for i, ps in preds.items()})


def with_flag(when: tuple[str, ...], flag: str) -> tuple[str, ...]:
    """A ``when`` list with ``flag`` added (a negated flag is written ``!flag``)."""
    return when if flag in when else (*when, flag)


def names_zh(sc: Scenario, ids: Iterable[str], kind: str = "items") -> str:
    """Chinese display names of items (or 'departments', 'case_types'), joined with 、."""
    table = getattr(sc, kind)
    out = [(table[i].name.zh or i) if i in table else i for i in ids]
    return "、".join(out) if out else "无"


def fmt(names: Iterable[str]) -> str:
    """A readable list of names."""
    names = list(names)
    return ", ".join(names) if names else "none"


# --------------------------------------------------------------------------- applying


def params_of(
    lever: ModuleType, table: Mapping[str, Any], file: str, prefix: str
) -> tuple[LeverParams | None, list[Problem]]:
    """Validate a lever's parameter table; problems are located under ``prefix``."""
    try:
        return lever.Params.model_validate(dict(table)), []
    except ValidationError as exc:
        problems = validation_problems(exc, dict(table), file, model=lever.Params)
        return None, [
            Problem(p.file, f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in problems
        ]


def apply(
    lever: ModuleType,
    sc: Scenario,
    params: LeverParams | Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[Scenario, Account]:
    """Apply one lever to a scenario: validate the parameters, transform, record the lineage."""
    if not isinstance(params, LeverParams):
        table = {**(params or {}), **kwargs}
        params, problems = params_of(lever, table, f"<{lever.NAME}>", f"reforms.{lever.NAME}")
        if problems:
            raise ScenarioError(problems)
    problems = [
        Problem(f"<{lever.NAME}>", f"reforms.{lever.NAME}.{k}", m)
        for k, m in lever.check(sc, params)
    ]
    if problems:
        raise ScenarioError(problems)
    new, changes = lever.transform(sc, params)
    notes = [c if isinstance(c, Note) else Note(str(c), "") for c in changes]
    new = new.model_copy(update={"applied": (*sc.applied, lever.NAME)})
    broken = check_references(new, f"<after {lever.NAME}>")
    if broken:  # the lever's own checks did not foresee this scenario: say so, located
        what = "; ".join(f"{p.path}: {p.message}" for p in broken)
        raise ScenarioError(
            [
                Problem(
                    f"<{lever.NAME}>",
                    f"reforms.{lever.NAME}",
                    f"the lever makes an inconsistent scenario: {what}",
                )
            ]
        )
    return new, Account(
        lever.NAME,
        tuple(n.en for n in notes),
        tuple(n.zh for n in notes),
        name_zh=getattr(lever, "ZH", ""),
        mechanism=getattr(lever, "MECHANISM", getattr(lever, "SUMMARY", "")),
        mechanism_zh=getattr(lever, "MECHANISM_ZH", ""),
    )
