"""A scenario as compact plain data: only what differs from the schema's defaults.

What a generated scenario file (a calibration's, say) holds: a reader sees the values that matter,
and :func:`scenario_data` checks that the data validates back into the very same scenario.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.schema import Scenario

_TAGS = ("dist", "process")  # the keys that say which kind a table is: always written


def _restore_tags(full: Any, compact: Any) -> Any:
    if isinstance(full, dict) and isinstance(compact, dict):
        out = {}
        for k, v in full.items():
            if k in compact:
                out[k] = _restore_tags(v, compact[k])
            elif k in _TAGS:
                out[k] = v
        return out
    if isinstance(full, list) and isinstance(compact, list) and len(full) == len(compact):
        return [_restore_tags(a, b) for a, b in zip(full, compact, strict=True)]
    return compact


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario's plain data without default values (the full data if that would differ)."""
    from sim.api import from_dict

    dump = {"mode": "json", "by_alias": True, "exclude_none": True}
    full = scenario.model_dump(**dump)
    compact = _restore_tags(full, scenario.model_dump(**dump, exclude_defaults=True))
    compact.pop("applied", None)
    full.pop("applied", None)
    try:
        same = from_dict(compact) == scenario.model_copy(update={"applied": ()})
    except Exception:  # a default the compact form cannot leave out: keep everything
        same = False
    return compact if same else full
