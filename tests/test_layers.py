"""The layers of DESIGN.md: each imports only the layers above it (checked in fresh interpreters),
and no module draws from a global random generator.

Order: scenario -> reforms -> model -> analysis -> experiment -> report -> commands (the public
API the command line calls) -> cli. ``tests/test_imports.py`` checks the same graph for cycles.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "sim.scenario": [
        "simpy",
        "matplotlib",
        "sim.model",
        "sim.reforms",
        "sim.experiment",
        "sim.analysis",
        "sim.report",
        "sim.commands",
        "sim.cli",
    ],
    "sim.reforms": [
        "simpy",
        "matplotlib",
        "sim.model",
        "sim.experiment",
        "sim.report",
        "sim.commands",
        "sim.cli",
    ],
    "sim.model": [
        "matplotlib",
        "sim.reforms",
        "sim.experiment",
        "sim.analysis",
        "sim.report",
        "sim.commands",
        "sim.cli",
    ],
    "sim.analysis": ["matplotlib", "sim.experiment", "sim.report", "sim.commands", "sim.cli"],
    "sim.experiment.runner": ["matplotlib", "sim.report", "sim.commands", "sim.cli"],
    "sim.experiment.store": ["matplotlib", "sim.report", "sim.commands", "sim.cli"],
    "sim.experiment.sweep": ["matplotlib", "sim.report", "sim.commands", "sim.cli"],
    "sim.report": ["sim.commands", "sim.cli"],
    "sim.commands": ["matplotlib", "sim.cli"],
    "sim.cli": ["pandas", "matplotlib", "pyarrow", "sim.experiment.results", "sim.report"],
}


@pytest.mark.parametrize("layer", list(FORBIDDEN))
def test_layer_imports_nothing_below_it(layer):
    code = (
        f"import sys, {layer}; bad = [m for m in {FORBIDDEN[layer]!r} if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{layer} pulled in {out.stdout.strip()}"


def test_no_global_randomness():
    pattern = re.compile(
        r"^\s*(import random|from random import)|np\.random\.(?!SeedSequence|"
        r"Generator|PCG64)\w+\(",
        re.M,
    )
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "sim").rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_print_in_the_library():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "sim").rglob("*.py")
        if p.name != "cli.py" and re.search(r"^\s*print\(", p.read_text(), re.M)
    ]
    assert offenders == []


def test_import_sim_is_light():
    """Issue 11.4: ``import sim`` under 40 MB; the heavy packages load only when used."""
    heavy = ["numpy", "pandas", "matplotlib", "pyarrow", "scipy", "SALib", "simpy"]
    code = (
        "import resource, sys; before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "import sim; after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        f"print((after - before) / 1024, ','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    grown, loaded = out.stdout.split(" ", 1)
    assert loaded.strip() == "", f"import sim loaded {loaded.strip()}"
    assert float(grown) < 40, f"import sim grew the resident set by {grown} MB"
