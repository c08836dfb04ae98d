"""Shared builders: small scenarios as plain data, validated through the public API."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import sim
from sim.scenario.load import deep_merge


def base_data(**over: Any) -> dict[str, Any]:
    """A one-department, one-item scenario open round the clock (queueing-theory ready)."""
    data: dict[str, Any] = {
        "scenario": {"name": "t", "start": "2025-03-03", "horizon_days": 100, "drain_days": 60},
        "departments": {"desk": {"staff": 1, "office_hours": "always"}},
        "items": {
            "job": {
                "stage": 1,
                "department": "desk",
                "steps": [{"name": "serve", "effort": {"dist": "exponential", "mean": 1.0}}],
            }
        },
        "case_types": {
            "c": {"arrivals": {"process": "poisson", "per_year": 100}, "items": ["job"]}
        },
    }
    merged = deep_merge(data, over) if over else data
    # an arrivals table replaces the default one (its keys depend on the process)
    for cid, ct in (over.get("case_types") or {}).items():
        if "arrivals" in ct:
            merged["case_types"][cid]["arrivals"] = ct["arrivals"]
    return merged


def build(data: dict[str, Any]) -> sim.Scenario:
    return sim.from_dict(copy.deepcopy(data))


@pytest.fixture
def make():
    return build


# Statistical and end-to-end tests in files other helpers own, marked slow here so that their files
# stay untouched while they work on them; each owner may move the marker into the file itself
# (``@pytest.mark.slow``) and delete the line. The fast loop is ``python -m pytest -m "not slow"``.
SLOW_ELSEWHERE = (
    "tests/test_notebooks.py::",  # executes every notebook (end to end)
    "tests/theory/test_queueing.py::test_mm1_mean_wait_matches_theory",  # long statistical runs
    "tests/theory/test_queueing.py::test_mmc_mean_wait_matches_erlang_c",
    "tests/theory/test_queueing.py::test_md1_mean_wait_matches_pollaczek_khinchine",
    "tests/theory/test_queueing.py::test_littles_law_on_the_queue",
    "tests/pukou/test_pukou.py::test_reform_2023_cuts_mean_approval_time_by_about_30_percent",
    "tests/report/test_report.py::test_english_briefing_has_its_pages_and_headline",
    "tests/report/test_report.py::test_chinese_briefing_is_chinese_and_misses_no_glyph",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_ELSEWHERE` slow."""
    for item in items:
        if item.nodeid.startswith(SLOW_ELSEWHERE):
            item.add_marker(pytest.mark.slow)
