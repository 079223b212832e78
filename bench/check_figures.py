"""Fail when a measured figure in README.md, docs/*.md or bench/README.md matches no recorded result.

A *measured figure* is a number with a unit of measurement — seconds, minutes, MB/KB/bytes,
percent, a ratio (`×`), a rate (`/s`, `tokens/s`, `pages/s`) — outside fenced code blocks. It must
equal (at the precision written) some number held by a file under `bench/results/` (the latest
runs and `history/`), either as written or converted (MB ↔ bytes, % ↔ share, min ↔ s). Targets and
settings are not measurements: a number right after `≤ ≥ < > ~`, or in a phrase in ALLOWED (each with
the reason it is not a measurement), is skipped.

Usage: `python -m bench.check_figures` (exit 1 and a list of the unmatched figures), also run by
`tests/test_figures.py`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md")
RESULTS = ROOT / "bench" / "results"

_NUMBER = r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
FIGURE = re.compile(_NUMBER + r"\s?(ms|s\b|min\b|MB|KB|GiB|GB|bytes|%|×|x\b|tokens/s|pages/s|listings/s|s/paper|s/day)")
TARGET = re.compile(r"(≤|≥|<|>|~|target|under|at most|about|cap|limit|up to)\s*$", re.IGNORECASE)
# Phrases whose numbers are settings, limits or facts about other software, not measurements.
ALLOWED = [
    "5 minutes on 2 cores",  # llama.cpp's compile time, as pip's build takes it (said before it starts)
    "20 KB", "20,000 bytes", "40,000 characters", "256 KB",  # the platforms' documented limits
    "min_free_megabytes", "50 MB",  # settings
    "0.40",  # the threshold (a setting; its choice is traced to relevance.json in the text)
    "H100 80 GB", "0.90 of 80 GB", "~55 GB", "55 GB hold", "4.50 GiB",  # GPU arithmetic, no GPU here
    "200 MB PDF", "2 bytes that are not a PDF", "60 MB, and HTTP 404",  # sizes of injected faults
    "(`--wait`, 30 s)",  # a command-line default
    "100 × watched", "10 × keywords",  # the score's formula
    "(90% of its n-grams)",  # a quality gate's threshold
    "× 2 bytes", "24 GB GPU",  # BF16 arithmetic; a GPU size
    "roughly 0.5–1 GB",  # an estimate from the sizes stated beside it, said to be one
    "95 % bootstrap interval",  # the interval's level, a choice
    "1,117,320,768 bytes", "491,400,064 bytes",  # the registry's model sizes, checked by every pull
]


def recorded_numbers(results: Path = RESULTS) -> dict[str, set[float]]:
    """{benchmark: every number its recorded runs hold} (`<name>.json` and `history/<name>/*.json`)."""
    by_benchmark: dict[str, set[float]] = {}

    def walk(value, found: set[float]):
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            found.add(float(value))
        elif isinstance(value, str):
            for m in re.finditer(r"-?\d+(?:\.\d+)?", value.replace(",", "")):
                found.add(float(m.group()))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, found)
        elif isinstance(value, list):
            for v in value:
                walk(v, found)

    for path in results.rglob("*.json"):
        name = path.parent.name if path.parent.parent.name == "history" else path.stem
        walk(json.loads(path.read_text(encoding="utf-8")), by_benchmark.setdefault(name, set()))
    return by_benchmark


def cited_benchmarks(line: str, names: set[str]) -> set[str]:
    """Benchmarks a line names (`relevance`, bench/results/relevance.json, history/demo_day/)."""
    return {n for n in names if re.search(rf"(`{n}`|results/{n}\.json|history/{n}\b|\b{n}\.json)", line)}


def _candidates(value: float, unit: str) -> list[float]:
    """The recorded forms a written figure may come from."""
    forms = [value]
    if unit == "%":
        forms.append(value / 100)
    if unit == "min":
        forms.append(value * 60)
    if unit in ("MB", "GB", "GiB", "KB"):
        scale = {"KB": 2**10, "MB": 2**20, "GB": 2**30, "GiB": 2**30}[unit]
        forms += [value * scale, value * 1000 ** {"KB": 1, "MB": 2, "GB": 3, "GiB": 3}[unit]]
        if unit == "MB":
            forms.append(value / 1024)
        if unit in ("GB", "GiB"):
            forms.append(value * 1024)
    return forms


def matches(written: str, unit: str, recorded: set[float] | frozenset[float]) -> bool:
    value = float(written.replace(",", ""))
    decimals = len(written.split(".")[1]) if "." in written else 0
    if value == 0:
        return any(abs(r) <= 0.5 * 10 ** -decimals for r in recorded)
    for form in _candidates(value, unit):
        tolerance = 0.5 * 10 ** -decimals * abs(form / value)
        # A figure written with fewer digits than recorded matches its rounding; byte counts written
        # in MB match the recorded bytes within the written precision.
        if any(abs(r - form) <= tolerance + 1e-9 for r in recorded):
            return True
    return False


def _paragraphs(text: str):
    """(first line number, lines) of each paragraph outside fenced code (a table row is its own paragraph)."""
    block, start, in_code = [], 0, False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        if not line.strip() or line.startswith("|"):
            if block:
                yield start, block
            block = []
            if line.startswith("|"):
                yield number, [line]
            continue
        if not block:
            start = number
        block.append(line)
    if block:
        yield start, block


def unmatched_figures(documents=DOCUMENTS, results: Path = RESULTS) -> list[str]:
    """Each figure must match a recorded run of a benchmark its paragraph names (`name`,
    bench/results/name.json, history/name/)."""
    by_benchmark = recorded_numbers(results)
    problems = []
    for document in documents:
        for start, lines in _paragraphs(Path(document).read_text(encoding="utf-8")):
            paragraph = " ".join(lines)
            cited = cited_benchmarks(paragraph, set(by_benchmark))
            recorded = frozenset().union(*(by_benchmark[n] for n in cited)) if cited else frozenset()
            for offset, line in enumerate(lines):
                for m in FIGURE.finditer(line):
                    before = line[: m.start()]
                    if TARGET.search(before) or any(phrase in line for phrase in ALLOWED if m.group(0) in phrase):
                        continue
                    written = ("-" if before.endswith(("−", "-")) else "") + m.group(1)
                    if not matches(written, m.group(2), recorded):
                        where = f" of {', '.join(sorted(cited))}" if cited else " (its paragraph names no benchmark)"
                        name = Path(document).relative_to(ROOT) if Path(document).is_relative_to(ROOT) else document
                        problems.append(f"{name}:{start + offset}: {m.group(0)!r} matches no "
                                        f"recorded result{where}")
    return problems


def main() -> int:
    problems = unmatched_figures()
    for p in problems:
        print(p)
    print(f"{len(problems)} unmatched figure(s)" if problems else "every figure matches a recorded result")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
