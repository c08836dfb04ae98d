"""Small service-hall scenarios for the citizen tests (built as dicts, loaded as a user would)."""

from __future__ import annotations

from typing import Any

import sim


def hall(
    groups: dict[str, dict[str, Any]],
    items: dict[str, dict[str, Any]],
    case_types: dict[str, dict[str, Any]],
    horizon_days: float = 30,
    warmup_days: float = 2,
    drain_days: float = 10,
    office_hours: Any = "always",
    at_close: str = "carry",
    abandonment: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> sim.Scenario:
    """One location ('hall', level 'district') with the given window groups."""
    deps = sorted({it["department"] for it in items.values()})
    data: dict[str, Any] = {
        "scenario": {
            "name": "hall-test",
            "start": "2023-01-02",
            "horizon_days": horizon_days,
            "warmup_days": warmup_days,
            "drain_days": drain_days,
        },
        "network": {"levels": ["district"]},
        "departments": {d: {} for d in deps},
        "locations": {
            "hall": {
                "level": "district",
                "office_hours": office_hours,
                "at_close": at_close,
                "windows": groups,
            }
        },
        "items": items,
        "case_types": case_types,
    }
    if abandonment is not None:
        data["abandonment"] = abandonment
    for key, value in (extra or {}).items():
        data[key] = value
    return sim.from_dict(data)


def window_item(department: str, minutes: Any, **more: Any) -> dict[str, Any]:
    """A service item of one present step of ``minutes`` (a distribution table)."""
    return {
        "kind": "service",
        "department": department,
        "steps": [{"name": "intake", "present": True, "effort": minutes}],
        **more,
    }
