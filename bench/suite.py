"""`test_suite`: how long `make test` and `make test-fast` take on this box, as recorded runs.

Runs pytest as the Makefile does (the full suite, then the fast lane, in fresh processes with the
same environment) and records wall time, pytest's own time and the outcome. Not part of the
default `make bench` (it takes ~13 minutes): `python -m bench.run test_suite`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# As the Makefile runs them: `make test` is the LLM-free tests on both cores, then the LLM tests serially
# (one LLM server at a time); `make test-fast` is the first of the two.
LANES = {"make_test": [["-n", "2", "-m", "not llm"], ["-m", "llm"]], "make_test_fast": [["-n", "2", "-m", "not llm"]]}


def pytest_outcome(output: str) -> dict:
    """Counts and pytest's own seconds summed over every pytest summary line in `output`."""
    summaries = [line.strip("= ") for line in output.splitlines()
                 if re.search(r"\d+ (passed|failed)", line) and re.search(r" in [\d.]+s", line)]
    counts: dict[str, int] = {}
    for summary in summaries:
        for value, key in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary):
            counts[key] = counts.get(key, 0) + int(value)
    seconds = [float(m) for summary in summaries for m in re.findall(r" in ([\d.]+)s", summary)]
    return {"summary": " + ".join(summaries) or output[-300:], **counts,
            "pytest_seconds": round(sum(seconds), 2) if seconds else None}


def _lane(invocations: list[list[str]]) -> dict:
    started = time.perf_counter()
    output, returncode = "", 0
    for args in invocations:
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=REPO,
                             capture_output=True, text=True)
        output += out.stdout
        returncode = returncode or out.returncode
        if out.returncode:  # as make stops at the first failing command
            break
    return {"returncode": returncode, **pytest_outcome(output), "wall_seconds": round(time.perf_counter() - started, 1)}


def test_suite() -> dict:
    lanes = {name: _lane(invocations) for name, invocations in LANES.items()}
    return {"benchmark": "test_suite", **lanes,
            "target": "make_test pytest_seconds <= 720 (12 min); make_test_fast pytest_seconds <= 180 (3 min)",
            "met": {"make_test": (lanes["make_test"]["pytest_seconds"] or 1e9) <= 720,
                    "make_test_fast": (lanes["make_test_fast"]["pytest_seconds"] or 1e9) <= 180}}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()


def test_suite_fresh_clone(runs: int | None = None) -> dict:
    """`make test` on fresh clones of the committed HEAD, `runs` times in a row (two by default: one pass can be luck).

    Each run clones into the same sibling folder of this checkout (so `../shared` resolves as in CI),
    after deleting the previous clone: a new venv every time; pip's own cache is kept, as on a CI
    box with a warm cache, so llama.cpp is not recompiled. Uncommitted changes are not in the clone.
    Not part of the default `make bench` (~15 min a run): `python -m bench.run test_suite_fresh_clone`.
    """
    import os
    import shutil

    runs = runs or int(os.environ.get("BENCH_RUNS", "2"))
    commit = _git("rev-parse", "HEAD")
    clone = REPO.parent / "fresh-clone-bench"
    results = []
    for attempt in range(1, runs + 1):
        shutil.rmtree(clone, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "checkout", "-q", commit], cwd=clone, check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "ARXIV_MONITOR", "DAGSTER"))}
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
        started = time.perf_counter()
        out = subprocess.run(["make", "test"], cwd=clone, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        failures = [line for line in out.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        outcome = pytest_outcome(out.stdout)
        # `make test` prints the slowest LLM tests (--durations): where the suite's time goes.
        slowest = re.findall(r"^([\d.]+)s (call|setup|teardown) +(\S+)$", out.stdout, re.MULTILINE)
        results.append({"run": attempt, "returncode": out.returncode, **outcome, "failures": failures,
                        "make_test_wall_seconds": round(wall, 1),
                        "slowest_llm_tests": [{"seconds": float(s), "phase": p, "test": t} for s, p, t in slowest]})
        print(f"fresh clone run {attempt}/{runs}: {outcome['summary']}", file=sys.stderr, flush=True)
    shutil.rmtree(clone, ignore_errors=True)
    return {"benchmark": "test_suite_fresh_clone", "commit": commit,
            "how": f"{runs} fresh clones of {commit[:10]} in a row, each `make test` (new venv; pip cache warm)",
            "runs": results, "passed_in_a_row": all(r["returncode"] == 0 for r in results),
            "target": "make test passes on every fresh clone in a row; pytest_seconds <= 720",
            "met": all(r["returncode"] == 0 and (r["pytest_seconds"] or 1e9) <= 720 for r in results)}


def _screenshot(page: Path, target: Path) -> None:
    """The demo day's site page as a reader sees it (headless Debian chromium), kept for the README."""
    import shutil
    import tempfile

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not page.exists():
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([found, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        f"--user-data-dir={profile}", "--window-size=1100,1500", f"--screenshot={target}",
                        f"file://{page}"], capture_output=True, timeout=120)


def demo_fresh_clone() -> dict:
    """`make demo` as a new user runs it: a fresh clone of the committed HEAD, a new venv, pip's cache
    bypassed (so llama.cpp is compiled) and an empty model cache (so the default model is pulled), then
    `arxiv-monitor demo` again, warm. Targets: the first ≤ 15 min, the warm one ≤ 10 s.
    Not part of the default `make bench` (~15 min): `python -m bench.run demo_fresh_clone`.
    """
    import os
    import shutil
    import tempfile

    commit = _git("rev-parse", "HEAD")
    clone = REPO.parent / "fresh-clone-demo"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "checkout", "-q", commit], cwd=clone, check=True)
    with tempfile.TemporaryDirectory() as models:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "ARXIV_MONITOR", "DAGSTER"))}
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
        env.update({"PIP_NO_CACHE_DIR": "1", "ARXIV_MONITOR_MODEL_CACHE": models})
        import threading

        from bench.analysis_quality import _server_rates, _server_sampler

        stop, peak = threading.Event(), {}
        sampler = threading.Thread(target=_server_sampler, args=(stop, peak), daemon=True)
        sampler.start()
        started = time.perf_counter()
        cold, arrivals = _run_watched(["make", "demo"], clone, env)
        cold_seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        report = clone / "data" / "reports" / "2025-12-25.md"
        report_text = report.read_text(encoding="utf-8") if report.exists() else ""
        rates = _server_rates(clone / "data" / "logs" / "llm-server-llama-cpp.log")
        per_paper = _seconds_per_paper(clone / "data" / "arxiv.duckdb")
        started = time.perf_counter()
        warm = subprocess.run(["make", "demo"], cwd=clone, env=env, capture_output=True, text=True)
        warm_seconds = time.perf_counter() - started
    _screenshot(clone / "data" / "site" / "days" / "2025-12-25.html", REPO / "docs" / "demo-day.png")
    shutil.rmtree(clone, ignore_errors=True)
    # Each asset's own line comes last of its lines (the analysis' per-paper lines come before it).
    stages = {m.group(1): m.group(0) for m in re.finditer(r"^(?:\d\d:\d\d:\d\d )?\d{4}-\d\d-\d\d (\w+): .*$",
                                                          cold.stdout, re.MULTILINE)}
    llm = re.search(r"in ([\d.]+) s$", stages.get("paper_summaries", ""))
    analysed = re.search(r"paper_summaries: (\d+) analysed", cold.stdout)
    return {"benchmark": "demo_fresh_clone", "commit": commit,
            "how": "fresh clone, new venv, PIP_NO_CACHE_DIR=1 (llama.cpp compiled), empty model cache (pulled), "
                   "`make demo`; then `make demo` again (warm)",
            "cold_returncode": cold.returncode, "cold_seconds": round(cold_seconds, 1),
            "llm_stage_seconds": float(llm.group(1)) if llm else None,
            "papers_with_an_analysis": int(analysed.group(1)) if analysed else None,
            "stage_lines": list(stages.values()), "cold_output_tail": cold.stdout[-3000:],
            **_line_delays(arrivals),
            "cold_stderr_tail": cold.stderr[-1500:],
            "server_peak_rss_mb": round(peak["rss"] / 2**20) if peak.get("rss") else None, **rates, **per_paper,
            "report": report_text,  # the README's excerpt is taken from here
            "warm_returncode": warm.returncode, "warm_seconds": round(warm_seconds, 1),
            "warm_output_tail": warm.stdout[-1500:],
            "target": "cold <= 900 s (15 min); warm <= 10 s; at least 7 of 9 papers with an analysis",
            "met": {"cold": cold.returncode == 0 and cold_seconds <= 900, "warm": warm.returncode == 0 and
                    warm_seconds <= 10, "analyses": bool(analysed) and int(analysed.group(1)) >= 7}}


def _run_watched(command: list[str], cwd: Path, env: dict) -> tuple[subprocess.CompletedProcess, list]:
    """`command` with its output in a pipe, as redirected to a file: (its result, (arrival time, line) of
    every line of its standard output)."""
    import datetime as dt
    import threading

    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    reader.start()
    arrivals = [(dt.datetime.now(), line.rstrip("\n")) for line in process.stdout]
    process.wait()
    reader.join()
    return (subprocess.CompletedProcess(command, process.returncode, "\n".join(l for _, l in arrivals) + "\n",
                                        "".join(errors)), arrivals)


def _line_delays(arrivals: list) -> dict:
    """How late the timed lines of a run reached its output: arrival minus the time the line states, and
    the analysis' per-paper lines with the seconds between them."""
    import datetime as dt

    delays, papers = [], []
    for arrived, line in arrivals:
        stamp = re.match(r"(\d\d):(\d\d):(\d\d) ", line)
        if stamp:
            said = arrived.replace(hour=int(stamp[1]), minute=int(stamp[2]), second=int(stamp[3]), microsecond=0)
            delays.append((arrived - said) % dt.timedelta(days=1))
            if re.search(r"paper_summaries: \d+/\d+ ", line):
                papers.append(arrived)
    return {"timed_lines": len(delays),
            "max_line_delay_seconds": round(max(delays).total_seconds(), 1) if delays else None,
            "per_paper_lines": len(papers),
            "seconds_between_per_paper_lines": [round((b - a).total_seconds(), 1) for a, b in zip(papers, papers[1:])]}


def _seconds_per_paper(database: Path) -> dict:
    """The LLM's seconds per paper, from its full text and from its abstract, as the demo stored them."""
    import duckdb

    if not database.exists():
        return {}
    with duckdb.connect(str(database), read_only=True) as conn:
        rows = conn.execute("SELECT basis, latency_seconds, status FROM paper_summaries").fetchall()
    result = {}
    for basis in ("fulltext", "abstract"):
        seconds = [s for b, s, _ in rows if (b or "").startswith(basis) and s is not None]
        result[f"seconds_per_paper_{basis}"] = round(sum(seconds) / len(seconds), 1) if seconds else None
    result["statuses"] = {status: sum(r[2] == status for r in rows) for status in {r[2] for r in rows}}
    return result
