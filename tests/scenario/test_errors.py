"""Every kind of scenario error, pinned by one broken fixture file in ``invalid/``.

Each fixture says what its message must contain in ``# expect:`` lines at its top. The test
asserts that loading fails with a ScenarioError whose every line names the file, and that each
expected fragment (key path, what is wrong, the valid alternatives) is in the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim

HERE = Path(__file__).parent
FIXTURES = sorted((HERE / "invalid").glob("*.toml"))


def expectations(path: Path) -> list[str]:
    return [
        line.removeprefix("# expect:").strip()
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.startswith("# expect:")
    ]


def test_the_base_of_the_fixtures_is_valid():
    sim.load(HERE / "invalid" / "base" / "valid.toml")


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_broken_fixture_gives_a_located_message(path):
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(path)
    message = str(info.value)
    assert expectations(path), f"{path.name} has no '# expect:' lines"
    for fragment in expectations(path):
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    for problem in info.value.problems:
        assert problem.file.endswith(".toml")
        assert str(problem).startswith(problem.file)


def test_all_problems_are_reported_at_once():
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(HERE / "invalid" / "several_problems.toml")
    assert len(info.value.problems) == 3
