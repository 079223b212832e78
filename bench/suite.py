"""`test_suite`: how long `make test` and `make test-fast` take on this box, as recorded runs.

Runs pytest as the Makefile does (the full suite, then the fast lane, each in a fresh process with
the same environment) and records wall time, pytest's own time and the outcome. Not part of the
default `make bench` (it takes ~13 minutes): `python -m bench.run test_suite`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LANES = {"make_test": [], "make_test_fast": ["-m", "not llm"]}


def _lane(args: list[str]) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=REPO,
                         capture_output=True, text=True)
    wall = time.perf_counter() - started
    last = [line for line in out.stdout.splitlines() if " in " in line and ("passed" in line or "failed" in line)]
    summary = last[-1].strip("= ") if last else out.stdout[-300:]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|errors?|deselected|skipped)", summary)}
    pytest_seconds = re.search(r" in ([\d.]+)s", summary)
    return {"returncode": out.returncode, "summary": summary, **counts,
            "pytest_seconds": float(pytest_seconds.group(1)) if pytest_seconds else None,
            "wall_seconds": round(wall, 1)}


def test_suite() -> dict:
    lanes = {name: _lane(args) for name, args in LANES.items()}
    return {"benchmark": "test_suite", **lanes,
            "target": "make_test pytest_seconds <= 720 (12 min); make_test_fast pytest_seconds <= 180 (3 min)",
            "met": {"make_test": (lanes["make_test"]["pytest_seconds"] or 1e9) <= 720,
                    "make_test_fast": (lanes["make_test_fast"]["pytest_seconds"] or 1e9) <= 180}}
