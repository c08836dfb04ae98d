"""Staffing: add, remove or move staff between departments (what-if analysis)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sim.reforms.base import LeverParams, Note, check_names
from sim.scenario.schema import Scenario

NAME = "staffing"
ZH = "人员调配"
SUMMARY = "add, remove or move staff between departments"


class Move(BaseModel):
    """Staff moved from one department to another."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    staff: int = Field(default=1, ge=1)


class Params(LeverParams):
    """Staff changes; ``add`` may be negative to remove staff."""

    add: dict[str, int] = Field(
        default_factory=dict, description="Department -> staff to add (negative removes)."
    )
    set: dict[str, int] = Field(default_factory=dict, description="Department -> new staff.")
    move: tuple[Move, ...] = Field(default=(), description="Staff moved between departments.")


def _new_staff(sc: Scenario, p: Params) -> dict[str, int]:
    staff = {d: dep.staff for d, dep in sc.departments.items()}
    for d, n in p.set.items():
        staff[d] = n
    for d, n in p.add.items():
        staff[d] = staff.get(d, 0) + n
    for m in p.move:
        staff[m.from_] = staff.get(m.from_, 0) - m.staff
        staff[m.to] = staff.get(m.to, 0) + m.staff
    return staff


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("add", "department", p.add, sc.departments)
    out += check_names("set", "department", p.set, sc.departments)
    for k, m in enumerate(p.move):
        out += check_names(f"move[{k}]", "department", (m.from_, m.to), sc.departments)
    if not out:
        for d, n in _new_staff(sc, p).items():
            if n < 1:
                out.append(
                    ("add", f"department {d!r} would be left with {n} staff (valid: at least 1)")
                )
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    staff = _new_staff(sc, p)
    deps, changes = {}, []
    for d, dep in sc.departments.items():
        if staff[d] != dep.staff:
            changes.append(
                Note(
                    f"{d}: {dep.staff} -> {staff[d]} staff",
                    f"{dep.name.zh or d}：人员{dep.staff}→{staff[d]}",
                )
            )
            dep = dep.model_copy(update={"staff": staff[d]})
        deps[d] = dep
    return sc.model_copy(update={"departments": deps}), changes
