"""Fuzzing the command line: whatever a careless or hostile user types, the outcome is a valid run
or a clean error — never a traceback, a hang, or a file of theirs deleted or changed.

Command lines are drawn from the subcommands with options whose values come from the classes of
issue 12: valid small values, negative and huge numbers, ``nan``/``inf``, text where numbers
belong, empty strings; scenario paths that are missing, folders, devices, binary files, broken
fixtures; output folders that are new, foreign, files, the current folder, unwritable or with
overlong names; unknown and repeated levers. Each example runs in a sandbox folder holding files
"of the user's", which must be byte-for-byte unchanged afterwards. Bounded: a fixed number of
examples and an alarm per example.

It tries :data:`EXAMPLES` (60) command lines, derandomized, in about 11 s of wall time and 12 s of
CPU (user + sys, measured alone on 2 cores: ``/usr/bin/time -v python -m pytest
tests/test_cli_fuzz.py``); with the 1312 inputs of ``tests/scenario/test_fuzz.py`` (about 8 s of
CPU) the suite fuzzes 1372 inputs.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "experiment" / "tiny.toml"
INVALID = ROOT / "tests" / "scenario" / "invalid" / "missing_department.toml"
EXAMPLES = 60
SECONDS_PER_EXAMPLE = 60

VALID_NUMBERS = ["1", "2", "3"]
BAD_NUMBERS = ["0", "-1", "-5", "1e9", "999999999999", "9223372036854775808"]
NOT_NUMBERS = ["nan", "inf", "-inf", "", " ", "x", "1.5", "0x10", "٣"]
# about half of the values are valid, so that whole runs happen as well as refusals
numbers = st.sampled_from(VALID_NUMBERS * 5 + BAD_NUMBERS + NOT_NUMBERS)
shares = st.sampled_from(["0.2", "0.5"] * 4 + ["0", "1", "-0.1", "nan", "inf", "1e-300", "", "abc"])
scenarios = st.sampled_from(
    # /dev/zero and other devices are refused by the loader (the safety branch, issue 12.6)
    ["tiny"] * 8 + ["missing.toml", "folder", "/dev/null", "binary.toml", "invalid"]
)
outs = st.sampled_from(
    ["new", "sub/dir/new"] * 4
    + ["foreign", "a-file.txt", ".", "/proc/approvalsim-x", "x" * 300, "", "new"]
)
levers = st.sampled_from(
    [
        "online",
        "colocation:departments=[desk]",
        "colocation:departments=[nowhere]",
        "teleport",
        ":",
        "staffing:add={desk=1}",
        "online:bogus=1",
        "agency:agents=-3",
    ]
)


def _option(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return values.map(lambda v: [flag, v])


run_options = st.lists(
    st.one_of(
        _option("--seed", numbers),
        _option("-r", numbers),
        _option("-j", numbers),
        _option("--precision", shares),
        _option("--max-replications", numbers),
        _option("--reform", levers),
        _option("--warmup", st.sampled_from(["scenario", "mser5", "auto"])),
        _option("--tables", st.sampled_from(["all", "cases", "none", "some"])),
        _option("--table-format", st.sampled_from(["parquet", "csv", "xlsx"])),
        _option("--scheduler", st.sampled_from(["garbage", "tcp://127.0.0.1:9"])),
        st.just(["--overwrite"]),
        st.just(["--force-jobs"]),
    ),
    max_size=5,
)


@st.composite
def command_lines(draw) -> tuple[list[str], str, str]:
    command = draw(st.sampled_from(["run"] * 4 + ["compare", "check", "explain", "sweep", "brief"]))
    scenario = draw(scenarios)
    out = draw(outs)
    opts = [x for pair in draw(run_options) for x in pair]
    if command == "check":
        return ["check", "@scenario"], scenario, out
    if command == "explain":
        extra = draw(st.lists(levers, max_size=2))
        return (
            ["explain", "@scenario", *[x for lv in extra for x in ("--reform", lv)]],
            scenario,
            out,
        )
    if command == "sweep":
        jobs = draw(st.sampled_from([[], ["-j", "1"], ["-j", "0"], ["-j", "x"]]))
        return ["sweep", "@sweep", "-o", "@out", "-q", *jobs], scenario, out
    common = _without(opts, ("--reform", "--warmup", "--tables", "--table-format"))
    if command == "brief":
        lang = draw(st.sampled_from(["en", "en", "fr"]))
        return (
            ["brief", "@scenario", "--lang", lang, "-r", "1", "-o", "@out", *common],
            scenario,
            out,
        )
    if command == "compare":
        return ["compare", "@scenario", "@alt", "-o", "@out", *common], scenario, out
    return ["run", "@scenario", "-o", "@out", *opts], scenario, out


def _without(opts: list[str], flags: tuple[str, ...]) -> list[str]:
    """The options without the given flags and their values."""
    out: list[str] = []
    skip = False
    for x in opts:
        if skip:
            skip = False
            continue
        if x in flags:
            skip = True
            continue
        out.append(x)
    return out


def sandbox(root: Path) -> dict[str, bytes]:
    """A folder of the user's: files that must survive every command line unchanged."""
    (root / "notes.txt").write_text("my notes", encoding="utf-8")
    (root / "foreign").mkdir(exist_ok=True)
    (root / "foreign" / "thesis.docx").write_bytes(b"years of work")
    (root / "a-file.txt").write_text("not a folder", encoding="utf-8")
    (root / "folder").mkdir(exist_ok=True)
    (root / "binary.toml").write_bytes(bytes(range(256)) * 8)
    (root / "s.toml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "alt.toml").write_text(
        TINY.read_text(encoding="utf-8").replace('name = "tiny"', 'name = "alt"'), encoding="utf-8"
    )
    (root / "sweep.toml").write_text(
        '[sweep]\nname = "fz"\nbase = "s.toml"\nreplications = 1\n'
        '[grid]\n"departments.desk.staff" = [1, 2]\n',
        encoding="utf-8",
    )
    return snapshot(root)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not _ours(p.relative_to(root))
    }


def _ours(rel: Path) -> bool:
    """Files approvalsim may create: results folders under new names."""
    return (
        rel.parts[0] in ("new", "sub", "results", "fz")
        or rel.parts[0].startswith((".approvalsim", "x"))
        or (rel.parts[0] == "foreign" and rel.name != "thesis.docx")
    )


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"a command line ran longer than {SECONDS_PER_EXAMPLE} s")


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(line=command_lines())
def test_every_command_line_is_a_run_or_a_clean_error(line, tmp_path_factory, capsys, monkeypatch):
    argv, scenario, out = line
    root = tmp_path_factory.mktemp("fuzz")
    before = sandbox(root)
    monkeypatch.chdir(root)
    paths = {
        "tiny": "s.toml",
        "invalid": str(INVALID),
        "folder": "folder",
        "missing.toml": "missing.toml",
    }
    argv = [
        {
            "@scenario": paths.get(scenario, scenario),
            "@alt": "alt.toml",
            "@sweep": "sweep.toml",
            "@out": out,
        }.get(a, a)
        for a in argv
    ]
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_EXAMPLE)
    try:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    captured = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, captured.err)
    assert "Traceback" not in captured.err, (argv, captured.err)
    if code != 0:
        assert captured.err.strip(), (argv, "an error must say what is wrong")
    assert snapshot(root) == before, (argv, "a file of the user's changed or vanished")
    assert not [p for p in root.iterdir() if p.name.startswith(".approvalsim-tmp-")], argv
    assert os.getcwd() == str(root)
