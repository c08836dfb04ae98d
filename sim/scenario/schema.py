"""The scenario schema: one frozen tree that describes a world of departments, items and cases.

A scenario is a *description*, never an instance: nothing downstream (the model, a reform, a
report) may change it. Reforms return new scenarios built with ``model_copy``; the SimPy model
keeps every mutable thing (queues, counters, case state) in its own objects.

This module is the single source of truth for what a scenario file may say. Every key has a type,
a range, a default and a description here, and from these the loader validates files, the JSON
Schema for editors is exported, and the human-readable key reference is generated
(``docs/scenario-reference.md``), so the three cannot drift apart.

Cross-references (an item's department, ``requires`` edges, a case type's items) and cycles are
checked after the per-key validation by :func:`sim.scenario.load.check_references`, so that every
problem of a file is reported at once.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.scenario.distributions import Deterministic, Distribution

_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$",
        max_length=100,
        description="An identifier: a letter, then letters, digits, '_' or '-' (at most 100).",
    ),
]


class Names(BaseModel):
    """A display name in Chinese and English; a plain string sets both."""

    model_config = _FROZEN
    zh: str | None = Field(default=None, description="Chinese name.")
    en: str | None = Field(default=None, description="English name.")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"zh": value, "en": value}
        return value

    def get(self, lang: str = "en") -> str:
        """The name in ``lang``, falling back to the other language."""
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first or second or ""


FlagTest = Annotated[
    str,
    Field(
        pattern=r"^!?[A-Za-z][A-Za-z0-9_\-]*$",
        description="A case flag the case must have, or '!flag': a flag it must not have.",
    ),
]

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_office_hours(text: str) -> tuple[tuple[float, float], ...] | None:
    """Parse ``"09:00-12:00,13:30-17:30"`` into hour intervals; ``"always"`` gives ``None``.

    Raises ``ValueError`` with the valid form when the text is not understood.
    """
    if text.strip() == "always":
        return None
    spans = []
    for part in text.split(","):
        m = _HOURS.match(part)
        if not m:
            raise ValueError(
                f"cannot read office hours {text!r} "
                "(valid: 'always' or 'HH:MM-HH:MM[,HH:MM-HH:MM]')"
            )
        h1, m1, h2, m2 = map(int, m.groups())
        a, b = h1 + m1 / 60, h2 + m2 / 60
        if not (0 <= a < b <= 24 and m1 < 60 and m2 < 60):
            raise ValueError(f"office hours {part.strip()!r} must run forward within 00:00-24:00")
        if spans and a < spans[-1][1]:
            raise ValueError(f"office hours {text!r} must be in order and must not overlap")
        spans.append((a, b))
    return tuple(spans)


class Department(BaseModel):
    """A department: staff who work only in office hours on working days."""

    model_config = _FROZEN
    name: Names = Field(default_factory=Names, description="Display name (zh and en).")
    staff: int = Field(
        ge=1, le=10_000, description="Number of staff, each serving one task at a time."
    )
    office_hours: str = Field(
        default="09:00-12:00,13:30-17:30",
        description="Daily opening hours on working days, e.g. '09:00-12:00,13:30-17:30'; "
        "'always' means round the clock every day (for queueing-theory checks).",
    )
    location: Literal["zone", "office"] = Field(
        default="office",
        description="'zone': in the one-stop zone of the service hall (submissions there on one "
        "day share one trip); 'office': its own office (each submission is a trip).",
    )
    transfer_days: float = Field(
        default=0.0,
        ge=0,
        le=365,
        description="Working days a paper file takes to travel from this department to the next "
        "one after each of its items (0 in the zone or online).",
    )

    @field_validator("office_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_office_hours(value)
        return value

    @property
    def hours(self) -> tuple[tuple[float, float], ...] | None:
        """Office hours as ``(start, end)`` hour pairs, or ``None`` for round the clock."""
        return parse_office_hours(self.office_hours)


class Step(BaseModel):
    """One handling step of an item: staff ``effort`` (hours) or an elapsed ``delay``."""

    model_config = _FROZEN
    name: str = Field(min_length=1, description="What the step is: intake, review, notice...")
    effort: Distribution | None = Field(
        default=None,
        description="Staff hours of work; holds one staff member of the item's department.",
    )
    delay: Distribution | None = Field(
        default=None,
        description="Elapsed time that holds nobody (public notice, expert panel, site visit); "
        "unit working_days (default), calendar_days or hours.",
    )
    department: str | None = Field(
        default=None,
        description="Department whose staff do this effort, if not the item's (e.g. an agent "
        "of the 1+N agency team preparing the submission).",
    )
    clock: bool = Field(
        default=True,
        description="Whether the step counts on the statutory clock; expert review, hearings, "
        "tendering, auction, testing and appraisal do not (行政许可法 Art. 45).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        if (self.effort is None) == (self.delay is None):
            raise ValueError("a step needs exactly one of 'effort' or 'delay'")
        if self.department is not None and self.effort is None:
            raise ValueError("only an 'effort' step can name a department")
        if self.effort is not None and self.effort.unit not in (None, "hours"):
            raise ValueError(
                f"effort is counted in staff hours (got unit {self.effort.unit!r}; valid: hours)"
            )
        return self


class Correction(BaseModel):
    """The file comes back for correction (补正): the applicant fixes it, it is reviewed again."""

    model_config = _FROZEN
    probability: float = Field(
        ge=0, le=1, description="Chance that a review sends the file back, at each attempt."
    )
    turnaround: Distribution = Field(
        default_factory=lambda: Deterministic(value=5, unit="working_days"),
        description="Applicant's time to correct and resubmit (default 5 working days).",
    )
    max_rounds: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Safety cap: at most this many corrections per visit of the item, after "
        "which the file passes and the run reports the case as capped (default: no cap).",
    )
    from_step: str | None = Field(
        default=None,
        description="Name of the step the corrected file restarts from (default: the first).",
    )


class Rework(BaseModel):
    """The case is sent back to an earlier item (e.g. a failed fire review forces a redesign)."""

    model_config = _FROZEN
    probability: float = Field(ge=0, le=1, description="Chance, after this item, of going back.")
    to: str = Field(
        description="The earlier item to redo; it and every item between it and "
        "this one are handled again."
    )
    max_rounds: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Safety cap: at most this many send-backs from this item per case; the run "
        "reports a case that hits it as capped (default: no cap).",
    )


# --------------------------------------------------------------------------- routing as data


class Route(BaseModel):
    """One branch of an item's exclusive choice after it is issued (like a BPMN XOR gateway)."""

    model_config = _FROZEN
    to: Identifier = Field(
        description="The item the case goes to: the item itself or an earlier one (a loop: it and "
        "every item between it and this one are handled again), or a later one (a branch: the "
        "later items named in this list but not chosen are skipped)."
    )
    probability: float = Field(
        ge=0, le=1, description="Chance of this branch, drawn afresh at every visit."
    )


class Item(BaseModel):
    """An approval, public-service, assessment, intermediary or applicant item of the chain."""

    model_config = _FROZEN
    name: Names = Field(default_factory=Names, description="Display name (zh and en).")
    stage: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Stage of the item, 1-based into the scenario's 'stages' list (without that "
        "list: stages are numbered 1..N by the largest used); may be left out only for applicant "
        "items.",
    )
    department: str | None = Field(
        default=None, description="Department that handles it; not for applicant items."
    )
    kind: Literal["approval", "public_service", "assessment", "intermediary", "applicant"] = Field(
        default="approval",
        description="approval, public_service (utility connection), assessment, intermediary "
        "(paid technical service), or applicant (the applicant's own work, e.g. construction).",
    )
    steps: tuple[Step, ...] = Field(min_length=1, description="Ordered handling steps.")
    requires: tuple[str, ...] = Field(default=(), description="Hard prerequisites (items).")
    after: tuple[str, ...] = Field(
        default=(), description="Ordering imposed by practice, which parallel approval removes."
    )
    correction: Correction | None = Field(default=None, description="Correction (补正) loop.")
    rework: Rework | None = Field(default=None, description="Send-back to an earlier item.")
    submitted_online: bool = Field(
        default=False, description="Submitted online: no trip, no file transfer time."
    )
    in_zone: bool = Field(
        default=False,
        description="Received at the one-stop zone's windows even if its department is not in "
        "the zone: same-day zone submissions share a trip, no file transfer time.",
    )
    needs_trip: bool = Field(
        default=True, description="Whether an in-person submission costs the applicant a trip."
    )
    background: bool = Field(
        default=False,
        description="Work that does not hold the case (e.g. a post-verification): the case can "
        "finish while it is still in progress.",
    )
    probability: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Share of cases that need this item (drawn per case); the others skip it.",
    )
    assessed_steps: tuple[Step, ...] | None = Field(
        default=None,
        description="Steps instead of 'steps' for cases whose site is covered by a regional "
        "assessment ([] = skipped); only for items flagged 'regional'.",
    )
    online: bool = Field(default=False, description="Flag: can be handled fully online.")
    regional: bool = Field(default=False, description="Flag: replaceable by regional assessment.")
    commitment_eligible: bool = Field(
        default=False, description="Flag: may be issued on the applicant's commitment (告知承诺)."
    )
    pre_reviewable: bool = Field(
        default=False, description="Flag: may be reviewed before the land is acquired."
    )
    tags: tuple[str, ...] = Field(default=(), description="Free labels that reforms may read.")

    # -- routing, caps, statutory clock and reform indicators (engine, contract A) -------------
    next: tuple[Route, ...] = Field(
        default=(),
        description="Exclusive choice after the item is issued, drawn afresh at every visit: "
        "[{ to = <item>, probability = p }, ...]; probabilities (with 'rework') sum to at most "
        "1, and the remainder carries on along 'requires'/'after'. A route to an item that a "
        "case type does not list carries on for that case type.",
    )
    max_visits: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Safety cap on the visits of this item per case: a loop that would hand it "
        "in more often carries on instead, and the run reports the case as capped (default: "
        "no cap).",
    )
    clock: bool | None = Field(
        default=None,
        description="Whether the item's handling counts on the statutory clock; default: by its "
        "kind, as [clock] kinds says (e.g. true for a commissioned intermediary counted by the "
        "province).",
    )
    time_limit_wd: float | None = Field(
        default=None,
        gt=0,
        le=10_000,
        description="Promised time limit (承诺时限) in working days: a visit whose working days "
        "on the item's own statutory clock exceed it is overdue.",
    )
    submitted_by: Literal["applicant", "agent"] = Field(
        default="applicant",
        description="Who hands the file in: the applicant (trips counted in 'trips') or an agent "
        "of the 1+N agency team (counted in 'agent_trips').",
    )
    when: tuple[FlagTest, ...] = Field(
        default=(),
        description="Case flags (see case_types.<id>.flags) a case must all have to need this "
        "item; '!name' means the case must not have the flag (e.g. the ordinary chain beside a "
        "variant for flagged cases). 'probability' applies on top.",
    )

    @model_validator(mode="after")
    def _kind_rules(self) -> Item:
        if self.kind == "applicant":
            if any(s.effort is not None for s in self.steps):
                raise ValueError("an applicant item has only 'delay' steps (no department staff)")
        else:
            if self.department is None:
                raise ValueError(f"a {self.kind} item needs a 'department'")
            if self.stage is None:
                raise ValueError(f"a {self.kind} item needs a 'stage' (1 or more)")
        if self.assessed_steps is not None and not self.regional:
            raise ValueError("'assessed_steps' is only for items flagged 'regional'")
        if self.kind == "applicant" and any(
            s.effort is not None for s in self.assessed_steps or ()
        ):
            raise ValueError("an applicant item has only 'delay' steps (no department staff)")
        names = [s.name for s in self.steps]
        if self.correction and self.correction.from_step is not None:
            if self.correction.from_step not in names:
                raise ValueError(
                    f"correction.from_step {self.correction.from_step!r} is not a step of this "
                    f"item (valid: {', '.join(names)})"
                )
        return self

    @model_validator(mode="after")
    def _routing(self) -> Item:
        targets = [r.to for r in self.next]
        dupes = sorted({t for t in targets if targets.count(t) > 1})
        if dupes:
            raise ValueError(f"'next' names {', '.join(dupes)} more than once")
        if self.rework is not None and self.rework.to in targets:
            raise ValueError(f"'next' and 'rework' both send the case to {self.rework.to!r}")
        total = sum(r.probability for r in self.next)
        total += self.rework.probability if self.rework is not None else 0.0
        if total > 1 + 1e-9:
            raise ValueError(
                f"the probabilities of 'next' (and 'rework') add up to {total:g}; they must add "
                "up to at most 1 (the remainder carries on along 'requires'/'after')"
            )
        return self


class PoissonArrivals(BaseModel):
    """Projects arrive at random, at a constant yearly rate."""

    model_config = _FROZEN
    process: Literal["poisson"] = Field(default="poisson", description="Which arrival process.")
    per_year: float = Field(
        gt=0,
        le=1e6,
        description="Mean arrivals per year (365 days); at most a million (about 4,000 a working "
        "day), and the whole scenario at most 2 million items handled in one run.",
    )


class CsvArrivals(BaseModel):
    """Projects arrive on the dates listed in a CSV file (one row per case)."""

    model_config = _FROZEN
    process: Literal["csv"] = Field(default="csv", description="Which arrival process.")
    file: str = Field(description="CSV path, relative to the scenario file that is loaded.")
    column: str = Field(default="date", description="Column with ISO dates or date-times.")


class ListArrivals(BaseModel):
    """Projects arrive at the listed times, in days after the scenario start (tests, what-ifs)."""

    model_config = _FROZEN
    process: Literal["list"] = Field(default="list", description="Which arrival process.")
    days: tuple[Annotated[float, Field(ge=0, le=36_500)], ...] = Field(
        min_length=1,
        max_length=1_000_000,
        description="Arrival times in calendar days after the start (each at most 36,500).",
    )


Arrivals = Annotated[PoissonArrivals | CsvArrivals | ListArrivals, Field(discriminator="process")]


class CaseType(BaseModel):
    """A kind of case: a project category or a citizen's life event."""

    model_config = _FROZEN
    name: Names = Field(default_factory=Names, description="Display name (zh and en).")
    arrivals: Arrivals = Field(description="How cases of this type arrive.")
    items: tuple[str, ...] = Field(min_length=1, description="The items every case needs.")
    size: Distribution = Field(
        default_factory=lambda: Deterministic(value=1.0),
        description="Multiplier on every effort of the case, drawn once per case.",
    )
    priority: int = Field(
        default=0,
        ge=-100,
        le=100,
        description="Higher is served first at every department (a green channel), without "
        "interrupting work in hand.",
    )
    assessed_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of cases whose site lies in a regionally assessed area (drawn per "
        "case); they use the 'assessed_steps' of regional items.",
    )

    # -- case flags (engine, contract A) ------------------------------------------------------
    flags: dict[Identifier, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description="Attributes drawn once per case with the given share, e.g. { riverside = "
        "0.25 }; items with 'when' are needed only by cases that have all their flags. The flag "
        "'assessed' is the regionally assessed area (the same as 'assessed_share').",
    )

    requires: dict[Identifier, tuple[Identifier, ...]] = Field(
        default_factory=dict,
        description="Hard prerequisites that hold in this case type's chain only, { item = "
        '["earlier item", ...] } (e.g. government-invested projects get their land after the '
        "feasibility approval); both ends must be items of this case type.",
    )

    @model_validator(mode="after")
    def _assessed_once(self) -> CaseType:
        if "assessed" in self.flags and self.assessed_share > 0:
            raise ValueError(
                "give the assessed area either as 'assessed_share' or as the flag 'assessed', "
                "not both"
            )
        return self

    @property
    def flag_shares(self) -> dict[str, float]:
        """Every flag with its share, the regionally assessed area included as 'assessed'."""
        out = dict(self.flags)
        if self.assessed_share > 0:
            out["assessed"] = self.assessed_share
        return out


class ScenarioInfo(BaseModel):
    """The scenario's name and time frame."""

    model_config = _FROZEN
    name: str = Field(
        min_length=1, max_length=200, description="Name used in results folders and charts."
    )
    description: str = Field(default="", description="What the scenario represents.")
    title: Names | None = Field(
        default=None,
        description="Display name for briefings and charts, { zh = ..., en = ... } (default: "
        "the name).",
    )
    start: dt.date = Field(description="First day (ISO date); the clock starts at 00:00.")
    horizon_days: float = Field(
        gt=0, le=36_500, description="Cases arrive during this many calendar days."
    )
    warmup_days: float = Field(
        default=0,
        ge=0,
        le=36_500,
        description="Cases arriving before this day are left out of the statistics.",
    )
    milestones: dict[Identifier, str | tuple[str, ...]] = Field(
        default_factory=dict,
        description="Named milestones: the (last) finish of an item, recorded per case as the "
        'column <name>_h (e.g. completion = "construction"); a list names variants of one '
        'event (e.g. land = ["land_supply", "land_supply_early"]): the last finish of whichever '
        "of them the case handled; a skipped item sets nothing. [intervals] measure between "
        "them.",
    )

    def milestone_items(self, name: str) -> tuple[str, ...]:
        """The items whose finish marks milestone ``name``."""
        value = self.milestones[name]
        return (value,) if isinstance(value, str) else tuple(value)

    drain_days: float = Field(
        default=1095,
        ge=0,
        le=36_500,
        description="After the horizon, keep running at most this long for cases in progress to "
        "finish; cases still open then are reported as unfinished.",
    )

    @model_validator(mode="after")
    def _warmup(self) -> ScenarioInfo:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be less than horizon_days "
                f"({self.horizon_days})"
            )
        return self


class Problems(BaseModel):
    """Blocking problems (e.g. a land or utility dispute) that stall a case at a stage's start."""

    model_config = _FROZEN
    probability: dict[
        Annotated[str, Field(pattern=r"^[1-9][0-9]?$")], Annotated[float, Field(ge=0, le=1)]
    ] = Field(
        default_factory=dict,
        description="Chance, per stage ('1', '2', ...), that a case hits a problem on entering it.",
    )
    stall: Distribution = Field(
        default_factory=lambda: Deterministic(value=20, unit="working_days"),
        description="How long a problem stalls the stage if nobody escalates it.",
    )
    cap_days: float | None = Field(
        default=None,
        ge=0,
        le=36_500,
        description="With problem coordination: a stall is escalated and ends after at most "
        "this many working days (none: no cap).",
    )


# --------------------------------------------------------------------------- policy as data

CASE_MEASURES = (
    "lead_wd",
    "lead_days",
    "approval_wd",
    "clock_wd",
    "trips",
    "agent_trips",
    "corrections",
    "reworks",
    "problems",
    "visits",
)
"""Per-case measures of the cases table that a target may name (besides stages and intervals)."""


class Interval(BaseModel):
    """A span measured per case between two events, reported as a column and a metric."""

    model_config = _FROZEN
    name: Names = Field(default_factory=Names, description="Display name (zh and en).")
    from_: str = Field(
        default="arrival",
        alias="from",
        description="Where it starts: 'arrival' or the name of a milestone.",
    )
    to: str = Field(default="finish", description="Where it ends: 'finish' or a milestone.")
    unit: Literal["working_days", "calendar_days"] = Field(
        default="working_days", description="working_days (statutory) or calendar_days."
    )


ClockStop = Literal["corrections", "problems", "unclocked_steps", "transfers"]


class ClockRules(BaseModel):
    """The statutory clock (法定时限): what counts on it and what stops it.

    The clock of a case runs while at least one of its counted items is in the government's
    hands: queued or in work, in an elapsed step, or its file in transfer, minus the stops.
    The defaults follow the Administrative Licensing Law (行政许可法): working days (Art. 82);
    hearings, tendering, auction, testing, expert review are not counted (Art. 45, steps with
    ``clock = false``); the applicant's corrections are the applicant's time (Art. 32).
    """

    model_config = _FROZEN
    kinds: tuple[
        Literal["approval", "public_service", "assessment", "intermediary", "applicant"], ...
    ] = Field(
        default=("approval", "assessment", "public_service"),
        description="Item kinds whose handling counts (an item's own 'clock' overrides).",
    )
    stops: tuple[ClockStop, ...] = Field(
        default=("corrections", "problems", "unclocked_steps"),
        description="What stops the clock: 'corrections' (the applicant's turnaround), "
        "'problems' (blocking-problem stalls), 'unclocked_steps' (steps with clock = false), "
        "'transfers' (paper files between departments).",
    )
    source: str = Field(default="", description="Where the rules come from (law, notice, URL).")


class Target(BaseModel):
    """A national or provincial target the briefing draws against a per-case measure."""

    model_config = _FROZEN
    name: Names = Field(default_factory=Names, description="Display name (zh and en).")
    metric: str = Field(
        description="The per-case measure: a column of the cases table such as 'clock_wd' or "
        "'lead_wd', a stage ('stage2_wd') or an interval name."
    )
    value: float = Field(ge=0, le=1e6, description="The target value, in the measure's unit.")
    source: str = Field(min_length=1, description="The document that sets it (title, URL).")


class Experiment(BaseModel):
    """Replications and the root seed."""

    model_config = _FROZEN
    replications: int = Field(default=10, ge=1, le=100_000, description="Independent runs.")
    seed: int = Field(
        default=20230920, ge=0, le=2**63 - 1, description="Root seed of all randomness."
    )


class Scenario(BaseModel):
    """A whole scenario: the world, the cases, the experiment, and the reforms to apply."""

    model_config = _FROZEN
    scenario: ScenarioInfo = Field(description="Name and time frame.")
    departments: dict[Identifier, Department] = Field(min_length=1, description="Departments.")
    items: dict[Identifier, Item] = Field(min_length=1, description="Items of the chain.")
    case_types: dict[Identifier, CaseType] = Field(min_length=1, description="Kinds of case.")
    experiment: Experiment = Field(default_factory=Experiment, description="Replications, seed.")
    problems: Problems = Field(default_factory=Problems, description="Blocking problems.")
    reforms: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Levers to apply, in file order: [reforms.<name>] with the lever's "
        "parameters (see 'approvalsim reforms').",
    )
    applied: tuple[str, ...] = Field(
        default=(),
        description="Reforms already applied to this scenario (set by the tool; lineage).",
    )

    # -- policy as data (engine, contract A.4) ------------------------------------------------
    stages: tuple[Names, ...] = Field(
        default=(),
        description="The approval stages in order, e.g. [{ zh = ..., en = ... }, ...]; "
        "items' 'stage' is 1-based into it. Without it, stages are numbered 1..N by the "
        "largest used.",
    )
    intervals: dict[Identifier, Interval] = Field(
        default_factory=dict,
        description="[intervals.<name>]: a per-case column <name> and a summary metric <name> "
        "(mean over the cases that reached both ends).",
    )
    clock: ClockRules = Field(
        default_factory=ClockRules, description="The statutory-clock rules (column clock_wd)."
    )
    targets: tuple[Target, ...] = Field(
        default=(), description="[[targets]]: national or provincial targets for the briefing."
    )

    @property
    def n_stages(self) -> int:
        """The number of stages: declared, or the largest an item uses."""
        if self.stages:
            return len(self.stages)
        return max((it.stage or 0 for it in self.items.values()), default=0)

    def stage_name(self, n: int, lang: str = "en") -> str:
        """Display name of stage ``n`` (1-based); 'stage n' when the stages are not declared."""
        if 1 <= n <= len(self.stages):
            name = self.stages[n - 1].get(lang)
            if name:
                return name
        return f"第{n}阶段" if lang == "zh" else f"stage {n}"

    def display_name(self, lang: str = "en") -> str:
        """The scenario's title in ``lang``, falling back to its name."""
        info = self.scenario
        return (info.title.get(lang) if info.title is not None else "") or info.name


def policy_problems(sc: Scenario) -> list[tuple[str, str]]:
    """Cross-references of routing, flags, stages, intervals and targets, as (key path, message).

    The scenario loader turns these into located problems beside its own reference checks.
    """
    out: list[tuple[str, str]] = []
    items = sc.items
    n_stages = sc.n_stages
    if sc.stages:
        for iid, it in items.items():
            if it.stage is not None and it.stage > len(sc.stages):
                out.append(
                    (
                        f"items.{iid}.stage",
                        f"stage {it.stage} is not declared (valid: 1..{len(sc.stages)}, "
                        "the 'stages' list)",
                    )
                )
    for key in sc.problems.probability:
        if int(key) > max(n_stages, 1):
            out.append(
                (
                    f"problems.probability.{key}",
                    f"stage {key} does not exist (valid: 1..{max(n_stages, 1)})",
                )
            )
    flags = {f for ct in sc.case_types.values() for f in ct.flag_shares}
    for iid, it in items.items():
        for k, test in enumerate(it.when):
            flag = test.removeprefix("!")
            if flag not in flags:
                known = ", ".join(sorted(flags)) or "none: declare case_types.<id>.flags"
                out.append((f"items.{iid}.when[{k}]", f"unknown flag {flag!r} (valid: {known})"))
        for k, route in enumerate(it.next):
            if route.to not in items:
                out.append(
                    (
                        f"items.{iid}.next[{k}].to",
                        f"unknown item {route.to!r} (valid: {', '.join(sorted(items))})",
                    )
                )
    preds = {i: [p for p in (*it.requires, *it.after) if p in items] for i, it in items.items()}
    out += _case_type_requires(sc, preds)
    succs: dict[str, list[str]] = {i: [] for i in items}
    for i, ps in preds.items():
        for p in ps:
            succs[p].append(i)
    for iid, it in items.items():
        for k, route in enumerate(it.next):
            if route.to not in items or route.to == iid:
                continue
            if route.to not in _walk(iid, preds) and route.to not in _walk(iid, succs):
                out.append(
                    (
                        f"items.{iid}.next[{k}].to",
                        f"{route.to!r} is neither an earlier nor a later item of {iid!r} through "
                        "requires/after (a route loops back or branches forward)",
                    )
                )
    milestones = sc.scenario.milestones
    reserved = {
        "case",
        "case_type",
        "k",
        "arrival_h",
        "finish_h",
        "arrival",
        "finished",
        "in_window",
        "capped",
        "items_timed",
        "items_overdue",
        "items_handled",
        "items_one_trip",
        *(f"flag_{f}" for f in flags),
        *CASE_MEASURES,
        *(f"{m}_h" for m in milestones),
        *(f"stage{n}_wd" for n in range(1, n_stages + 1)),
    }
    for name, iv in sc.intervals.items():
        if name in reserved:
            out.append((f"intervals.{name}", f"{name!r} is already a column of the cases table"))
        if iv.from_ != "arrival" and iv.from_ not in milestones:
            valid = ", ".join(["arrival", *milestones])
            out.append(
                (f"intervals.{name}.from", f"unknown milestone {iv.from_!r} (valid: {valid})")
            )
        if iv.to != "finish" and iv.to not in milestones:
            valid = ", ".join(["finish", *milestones])
            out.append((f"intervals.{name}.to", f"unknown milestone {iv.to!r} (valid: {valid})"))
    measures = [
        *CASE_MEASURES,
        *(f"stage{n}_wd" for n in range(1, n_stages + 1)),
        *sc.intervals,
    ]
    for k, target in enumerate(sc.targets):
        if target.metric not in measures:
            out.append(
                (
                    f"targets[{k}].metric",
                    f"unknown measure {target.metric!r} (valid: {', '.join(measures)})",
                )
            )
    return out


def _case_type_requires(sc: Scenario, preds: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Problems of ``case_types.<id>.requires``: both ends in the type, no cycle with the rest."""
    out: list[tuple[str, str]] = []
    for cid, ct in sc.case_types.items():
        if not ct.requires:
            continue
        mine = set(ct.items)
        valid = ", ".join(sorted(mine))
        edges = {i: list(ps) for i, ps in preds.items()}
        for iid, pres in ct.requires.items():
            if iid not in mine:
                out.append(
                    (
                        f"case_types.{cid}.requires.{iid}",
                        f"{iid!r} is not an item of case type {cid!r} (valid: {valid})",
                    )
                )
                continue
            for k, pre in enumerate(pres):
                if pre not in mine:
                    out.append(
                        (
                            f"case_types.{cid}.requires.{iid}[{k}]",
                            f"{pre!r} is not an item of case type {cid!r} (valid: {valid})",
                        )
                    )
                elif pre == iid:
                    out.append(
                        (f"case_types.{cid}.requires.{iid}[{k}]", "an item cannot require itself")
                    )
                else:
                    edges[iid].append(pre)
        if _has_cycle(edges):
            out.append(
                (
                    f"case_types.{cid}.requires",
                    "these prerequisites form a cycle with the items' requires/after edges",
                )
            )
    return out


def _has_cycle(edges: dict[str, list[str]]) -> bool:
    """Whether the graph ``node -> predecessors`` has a cycle (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for root in edges:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(edges[root]))]
        while stack:
            node, todo = stack[-1]
            for nxt in todo:
                if nxt not in edges:
                    continue
                if state.get(nxt) == 1:
                    return True
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(edges[nxt])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return False


def _walk(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(edges[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges[node])
    return seen
