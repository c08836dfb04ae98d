"""Fuzzing the front door: whatever a scenario says, the outcome is a Scenario or a clean error.

Mutations start from valid files (the bundled default, the Pukou baseline and the Pukou 2023
reform with its lever tables, merged through ``extends``): values replaced by values of other
types, huge and non-finite numbers, long strings, binary text and deep nesting; keys deleted,
unknown keys added; arrivals pointed at CSV files that are devices, binary or outside the
scenario's folder; and at file level, ``extends`` pointed at devices, pipes, folders, cycles and
far-away files, binary bytes spliced into the text, and the text cut short.

Every outcome must be a valid :class:`sim.Scenario` or a :class:`sim.ScenarioError` whose
problems each name the file and say what is wrong, within :data:`LIMIT_S` seconds (an alarm
turns a hang into a failure). The number of inputs tried is :data:`INPUTS` (1312); the module
takes about 8 s of CPU time. ``APPROVALSIM_FUZZ_SCALE=20`` multiplies the counts for a long hunt.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sim
from sim.scenario.load import read_tree

ROOT = Path(__file__).resolve().parents[2]
FILES = {
    "default": ROOT / "scenarios" / "default.toml",
    "pukou": ROOT / "scenarios" / "pukou" / "baseline.toml",
    "pukou_2023": ROOT / "scenarios" / "pukou" / "reform_2023.toml",
}
DATA = {name: read_tree(path)[0] for name, path in FILES.items()}
TEXT = FILES["default"].read_text(encoding="utf-8")

LIMIT_S = 10
"""Longest any single load may take before the test calls it a hang."""

SCALE = int(os.environ.get("APPROVALSIM_FUZZ_SCALE", "1"))
"""Multiplies every example count (e.g. 20 for a long hunt before a release)."""

EXAMPLES = {
    "replaced": 400 * SCALE,
    "deleted": 200 * SCALE,
    "unknown": 150 * SCALE,
    "table": 150 * SCALE,
    "csv": 100 * SCALE,
    "extends": 92,  # every combination of the 23 targets, two flags and two bodies
    "bytes": 120 * SCALE,
    "truncated": 100 * SCALE,
}
INPUTS = sum(EXAMPLES.values())
"""Fuzzed inputs the module tries (1312 at scale 1)."""

FUZZ = {"deadline": 2000, "suppress_health_check": [HealthCheck.too_slow]}


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for n, v in enumerate(node):
            out += paths(v, (*prefix, n))
    return out


def get(data: Any, path: tuple) -> Any:
    node = data
    for k in path:
        node = node[k]
    return node


ALL_PATHS = [(name, p) for name, data in DATA.items() for p in paths(data)]
TABLE_PATHS = [(name, p) for name, p in ALL_PATHS if isinstance(get(DATA[name], p), dict)]


def nested(depth: int) -> Any:
    value: Any = 1
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


numbers = st.sampled_from(
    [
        math.inf,
        -math.inf,
        math.nan,
        1e308,
        -1e308,
        1e300,
        1e30,
        1e9,
        -1,
        0,
        0.0,
        5e-324,
        2**63,
        2**64,
        10**400,
        1.0000001,
    ]
)
long_strings = st.sampled_from(["x" * 20_000, "长" * 5_000, "a" * 256, "\x1b[31m" * 100])
binary_strings = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=["Cs"]),
    min_size=1,
    max_size=40,
)
garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    numbers,
    st.text(max_size=20),
    long_strings,
    binary_strings,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.integers(20, 120).map(nested),
    st.sampled_from(
        [
            "",
            "always",
            "zone",
            "nowhere",
            "gamma",
            "09:00-08:00",
            "00:00-00:01",
            "-1",
            "NaN",
            "/dev/zero",
            "../../etc/passwd",
            {"dist": "gamma", "mean": 1e6, "cv": 10},
            {"dist": "gamma", "mean": 1.0, "cv": 1e-300},
            {"dist": "lognormal", "mean": 1e-300, "cv": 10},
            {"dist": "triangular", "low": 0, "mode": 0, "high": 5e-324},
            {"dist": "empirical", "values": [1e6] * 3},
            {"process": "poisson", "per_year": 1e6},
            {"process": "list", "days": [0.0] * 50_000},
        ]
    ),
)


class Hang(Exception):
    """A load that took longer than LIMIT_S."""


def _alarm(signum: int, frame: Any) -> None:
    raise Hang(f"a load took more than {LIMIT_S} s")


def clean(call: Callable[[], sim.Scenario], file: str | None) -> None:
    """Run one load: a Scenario or a ScenarioError naming ``file``; nothing else, no hang."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT_S)
    try:
        sc = call()
    except sim.ScenarioError as exc:
        assert exc.problems, "a ScenarioError must carry at least one problem"
        for p in exc.problems:
            assert p.message and "\n" not in p.message, p
            if file is not None:
                assert p.file == file or p.file.endswith(".toml"), p
            assert len(str(p)) < 2000, f"a message of {len(str(p))} characters"
    else:
        assert isinstance(sc, sim.Scenario)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def from_data(data: dict, base_dir: Path | None = None) -> None:
    before = copy.deepcopy(data)
    clean(lambda: sim.from_dict(data, source="fuzz.toml", base_dir=base_dir), "fuzz.toml")
    assert data == before or _has_nan(before), "the caller's data was changed"


def _has_nan(data: Any) -> bool:  # nan != nan, so such data cannot compare equal to itself
    if isinstance(data, float):
        return math.isnan(data)
    if isinstance(data, dict):
        return any(_has_nan(v) for v in data.values())
    if isinstance(data, list):
        return any(_has_nan(v) for v in data)
    return False


# --------------------------------------------------------------------------- data mutations


@settings(max_examples=EXAMPLES["replaced"], **FUZZ)
@given(where=st.sampled_from(ALL_PATHS), value=garbage)
def test_replaced_value(where, value):
    name, path = where
    data = copy.deepcopy(DATA[name])
    get(data, path[:-1])[path[-1]] = value
    from_data(data)


@settings(max_examples=EXAMPLES["deleted"], **FUZZ)
@given(where=st.sampled_from(ALL_PATHS))
def test_deleted_key(where):
    name, path = where
    data = copy.deepcopy(DATA[name])
    del get(data, path[:-1])[path[-1]]
    from_data(data)


@settings(max_examples=EXAMPLES["unknown"], **FUZZ)
@given(where=st.sampled_from(TABLE_PATHS), key=st.text(min_size=1, max_size=8), value=garbage)
def test_unknown_key(where, key, value):
    name, path = where
    data = copy.deepcopy(DATA[name])
    get(data, path)[key] = value
    from_data(data)


@settings(max_examples=EXAMPLES["table"], **FUZZ)
@given(
    name=st.sampled_from(sorted(DATA)),
    table=st.sampled_from(
        ["scenario", "departments", "items", "case_types", "experiment", "problems", "reforms"]
    ),
    value=garbage,
)
def test_replaced_table(name, table, value):
    data = copy.deepcopy(DATA[name])
    data[table] = value
    from_data(data)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A scenario folder with good, binary, huge and strange CSV files, and a FIFO."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "ok.csv").write_text("date\n2025-03-05\n2025-04-01T10:00\n", encoding="utf-8")
    (root / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (root / "nul.csv").write_bytes(b"date\n2025-03-05\x00\n")
    (root / "wide.csv").write_text("date\n" + "9" * 200_000 + "\n", encoding="utf-8")
    (root / "huge.csv").write_bytes(b"date\n" + b"2025-03-05\n" * (11 * 2**20 // 11))
    (root / "latin1.csv").write_bytes("date\n2025-03-05\nd\xe9j\xe0\n".encode("latin-1"))
    (root / "tz.csv").write_text("date\n2025-03-05T10:00+08:00\n", encoding="utf-8")
    (root / "far.csv").write_text("date\n9999-12-31\n", encoding="utf-8")
    (root / "empty.csv").write_text("", encoding="utf-8")
    (root / "folder.csv").mkdir()
    os.mkfifo(root / "fifo.csv")
    (root / "sub").mkdir()
    return root


CSV_NAMES = [
    "ok.csv",
    "binary.csv",
    "nul.csv",
    "wide.csv",
    "huge.csv",
    "latin1.csv",
    "tz.csv",
    "far.csv",
    "empty.csv",
    "folder.csv",
    "fifo.csv",
    "missing.csv",
    "/dev/urandom",
    "/dev/zero",
    "/dev/null",
    "/etc/passwd",
    "../outside.csv",
    "sub/../ok.csv",
    "",
    "\u0000",
    "x" * 5000,
]


@settings(max_examples=EXAMPLES["csv"], **FUZZ)
@given(
    name=st.sampled_from(sorted(DATA)),
    file=st.sampled_from(CSV_NAMES),
    column=st.sampled_from(["date", "when", "", "\u0000", "x" * 300]),
    base=st.booleans(),
)
def test_csv_arrivals(folder, name, file, column, base):
    data = copy.deepcopy(DATA[name])
    ct = next(iter(data["case_types"].values()))
    ct["arrivals"] = {"process": "csv", "file": file, "column": column}
    from_data(data, base_dir=folder if base else None)


# --------------------------------------------------------------------------- file mutations

EXTENDS = [
    "/dev/zero",
    "/dev/urandom",
    "/dev/null",
    "/dev/stdin",
    "/proc/self/environ",
    "/etc/passwd",
    "/",
    ".",
    "..",
    "",
    "fifo.toml",
    "folder.toml",
    "self.toml",
    "loop_a.toml",
    "binary.toml",
    "big.toml",
    "deep.toml",
    "base.toml",
    "../base.toml",
    "sub/../base.toml",
    "missing.toml",
    "x" * 5000,
    "\\u0000",
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A scenario folder whose files extend devices, pipes, folders, each other and themselves."""
    root = tmp_path_factory.mktemp("extends")
    (root / "base.toml").write_text(TEXT, encoding="utf-8")
    (root / "self.toml").write_text('extends = "self.toml"\n', encoding="utf-8")
    (root / "loop_a.toml").write_text('extends = "loop_b.toml"\n', encoding="utf-8")
    (root / "loop_b.toml").write_text('extends = "loop_a.toml"\n', encoding="utf-8")
    (root / "binary.toml").write_bytes(bytes(range(256)) * 16)
    (root / "big.toml").write_bytes(b"# " + b"x" * (11 * 2**20) + b"\n")
    (root / "deep.toml").write_text("a = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    (root / "folder.toml").mkdir()
    os.mkfifo(root / "fifo.toml")
    (root / "sub").mkdir()
    return root


@settings(max_examples=EXAMPLES["extends"], **FUZZ)
@given(target=st.sampled_from(EXTENDS), allow=st.booleans(), tail=st.sampled_from(["", TEXT]))
def test_bad_extends(tree, target, allow, tail):
    top = tree / "sub" / "top.toml"
    body = TEXT if tail else '[scenario]\nname = "top"\n'
    top.write_text(f'extends = "{target}"\n{body}', encoding="utf-8")
    clean(lambda: sim.load(top, allow_outside=allow), None)


@settings(max_examples=EXAMPLES["bytes"], **FUZZ)
@given(
    at=st.integers(0, len(TEXT.encode())),
    junk=st.binary(min_size=1, max_size=64),
    cut=st.booleans(),
)
def test_binary_bytes_in_the_file(tmp_path_factory, at, junk, cut):
    raw = TEXT.encode()
    raw = raw[:at] + junk + (b"" if cut else raw[at:])
    path = tmp_path_factory.mktemp("bytes") / "s.toml"
    path.write_bytes(raw)
    clean(lambda: sim.load(path), None)


@settings(max_examples=EXAMPLES["truncated"], **FUZZ)
@given(cut=st.integers(0, len(TEXT)))
@example(cut=0)
@example(cut=len(TEXT))
def test_truncated_text(tmp_path_factory, cut):
    """Cut anywhere: a Scenario or a clean error naming the file. A cut before the first case
    type leaves no case type at all, so it must be an error (not a scenario that runs nothing);
    the whole text is the valid default."""
    path = tmp_path_factory.mktemp("fuzz") / "cut.toml"
    path.write_text(TEXT[:cut], encoding="utf-8")
    clean(lambda: sim.load(path), str(path))
    if cut <= TEXT.index("[case_types."):
        with pytest.raises(sim.ScenarioError):
            sim.load(path)
    elif cut == len(TEXT):
        assert isinstance(sim.load(path), sim.Scenario)


def test_the_bases_are_valid():
    """The mutations start from valid scenarios (else every outcome would be an error)."""
    for data in DATA.values():
        assert isinstance(sim.from_dict(data), sim.Scenario)
    assert tomllib.loads(TEXT)
