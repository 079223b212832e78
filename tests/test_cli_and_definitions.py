"""The console script and the Dagster code location, run as a user runs them (subprocesses)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, cli

BIN = Path(sys.executable).parent


def test_definitions_validate(tmp_path):
    out = subprocess.run([str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"], cwd=REPO,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stdout + out.stderr


def test_demo_then_query_answers(demo):
    env, demo = demo
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "2025-12-25 raw_listings: 19 rows (new 6, cross 7, replace 4, replace-cross 2)" in demo.stdout
    assert "2025-12-25 filtered_papers: kept 9 of 19 listings" in demo.stdout
    assert "paper_fulltext: 9 papers, 34 pages" in demo.stdout and "ok 3, download_failed 6" in demo.stdout
    assert "report: " in demo.stdout
    # The demo writes the site too and says where it is.
    site = Path(env["ARXIV_MONITOR_HOME"]) / "site"
    assert f"site:   {site / 'index.html'}" in demo.stdout
    assert (site / "days" / "2025-12-25.html").is_file() and "2025-12-25" in (site / "index.html").read_text()
    query = cli("query", "select announce_type, count(*) from raw_listings group by 1 order by 1", "--format", "csv",
                env_extra=env)
    assert query.returncode == 0, query.stderr
    assert query.stdout.splitlines()[1:] == ["cross,7", "new,6", "replace,4", "replace-cross,2"]


STAGES = ["raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries", "daily_report"]


def test_demo_says_each_stage_as_it_ends_and_each_paper_as_it_is_analysed(demo):
    """Redirected to a file, the demo writes each stage's line when that stage ends (against the time
    Dagster recorded its materialisation) and a line per analysed paper while the analysis runs."""
    import dagster as dg

    env, demo = demo
    assert demo.returncode == 0, demo.stdout + demo.stderr
    day = "2025-12-25"
    stage_lines = {stage: [t for t, line in demo.arrivals if f" {day} {stage}: " in line] for stage in STAGES}
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        for stage in STAGES:
            ended = instance.fetch_materializations(dg.AssetKey(stage), limit=1).records[0].timestamp
            said = stage_lines[stage][-1]  # the stage's own line comes last of its lines
            assert 0 <= said - ended < 60, (stage, said - ended)
    order = [stage_lines[stage][-1] for stage in STAGES]
    assert order == sorted(order)

    papers = [(t, line) for t, line in demo.arrivals if "paper_summaries: " in line and "/9 " in line]
    assert [line.split("paper_summaries: ")[1].split(" ")[0] for _, line in papers] == [f"{k}/9" for k in range(1, 10)]
    # Each as it happens: between the full text's line and the analysis stage's own, not all at once.
    assert stage_lines["paper_fulltext"][-1] <= papers[0][0] < papers[-1][0] <= stage_lines["paper_summaries"][-1]
    bases = [line.split("(")[-1].split(")")[0] for _, line in papers]
    assert sorted(bases) == ["abstract"] * 6 + ["full text"] * 3
    assert all(" s left" in line or " min left" in line for _, line in papers[:-1])


@pytest.mark.parametrize("args, message", [
    (["run", "--date", "2025-02-30"], "malformed date '2025-02-30'"),
    (["run", "--date", "2099-01-05"], "2099-01-05 is in the future"),
    (["run", "--date", "2020-01-06"], "before the first partition"),
    (["run", "--date", "2025-12-25", "--select", "nope"], "unknown asset(s): nope"),
])
def test_bad_input_is_refused_before_any_request(tmp_path, args, message):
    out = cli(*args, env_extra={"ARXIV_MONITOR_HOME": str(tmp_path), "ARXIV_API_URL": "http://127.0.0.1:9/none"})
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert not (tmp_path / "arxiv.duckdb").exists()


def test_unknown_category_from_environment_is_named(tmp_path):
    # Pointed at a port nothing listens on: a regression that let the run start could never reach arXiv.
    out = cli("run", "--date", "2025-12-25", env_extra={"ARXIV_MONITOR_CATEGORIES": "cs.AI,cs.FOO",
                                                        "ARXIV_MONITOR_HOME": str(tmp_path),
                                                        "ARXIV_API_URL": "http://127.0.0.1:9/api/query",
                                                        "ARXIV_PDF_URL": "http://127.0.0.1:9/pdf"})
    assert out.returncode == 2 and "unknown arXiv category: cs.FOO" in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_backfill_over_three_days_including_a_weekend(tmp_path):
    from replay.server import ReplayServer

    with ReplayServer() as server:
        env = {"ARXIV_MONITOR_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster"),
               "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0"}
        out = cli("run", "--date", "2025-12-26", "--to", "2025-12-28", "--select",
                  "raw_listings,listing_embeddings,filtered_papers",
                  env_extra=env)
    assert out.returncode == 0, out.stderr
    assert "2025-12-26 raw_listings: 5 rows" in out.stdout
    assert "2025-12-27 raw_listings: no announcement (weekend)" in out.stdout
    assert "2025-12-28 raw_listings: no announcement (weekend)" in out.stdout
    query = cli("query", "select partition_date, announces from listing_days order by 1", "--format", "csv",
                env_extra=env)
    assert query.stdout.splitlines()[1:] == ["2025-12-26,True", "2025-12-27,False", "2025-12-28,False"]



def test_a_selection_with_a_gap_names_the_missing_asset_and_day(tmp_path):
    """On a new data directory, filtered_papers without listing_embeddings: one line, no traceback."""
    from replay.server import ReplayServer

    with ReplayServer() as server:
        env = {"ARXIV_MONITOR_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster"),
               "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0"}
        out = cli("run", "--date", "2025-12-25", "--select", "raw_listings,filtered_papers", env_extra=env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "2025-12-25 raw_listings: 19 rows" in out.stdout
    failed = [line for line in out.stdout.splitlines() if "FAILED" in line]
    assert failed == ["2025-12-25: FAILED listing_embeddings for 2025-12-25 is not materialised; materialise it "
                      "first (arxiv-monitor run --date 2025-12-25 --select listing_embeddings)"], out.stdout
    assert "Traceback" not in out.stdout + out.stderr and "CatalogException" not in out.stdout + out.stderr


def graphql(port: int, query: str, variables: dict) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", method="POST",
                                     data=json.dumps({"query": query, "variables": variables}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def launch(port: int, day: str) -> str:
    params = {"selector": {"repositoryLocationName": "arxiv_monitor", "repositoryName": "__repository__",
                           "jobName": "__ASSET_JOB", "assetSelection": [{"path": ["raw_listings"]}]},
              "executionMetadata": {"tags": [{"key": "dagster/partition", "value": day}]}}
    answer = graphql(port, LAUNCH, {"params": params})["data"]["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return answer["run"]["runId"]


def wait_for(condition, seconds: float, what: str):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"after {seconds} s: {what}")


def test_a_run_worker_killed_outright_does_not_hold_the_queue_under_dagster_dev(tmp_path):
    """Under `dagster dev` with the project's dagster.yaml (its monitoring interval shortened here): a run
    queued behind another of the same pool waits; the first run's worker is SIGKILLed mid-step; Dagster
    marks that run failed and launches the queued one. Nothing of the project's code takes part."""
    import re
    import signal
    import socket

    import dagster as dg
    import yaml

    from replay.server import ReplayServer

    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    config = yaml.safe_load((REPO / "dagster_home" / "dagster.yaml").read_text())
    config["run_monitoring"].update(poll_interval_seconds=1)
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with ReplayServer() as server:
        server.inject({"kind": "slow", "delay": 600, "times": -1})  # every arXiv request hangs: mid-step
        env = {**os.environ, "ARXIV_MONITOR_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(dagster_home),
               "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0",
               "ARXIV_TIMEOUT": "900"}
        dev = subprocess.Popen([str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-p", str(port)], cwd=REPO,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(lambda: _answers(port), 120, "dagster dev did not start")
            with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
                def status(run_id):
                    return instance.get_run_by_id(run_id).status

                first = launch(port, "2025-12-25")
                wait_for(lambda: status(first) == dg.DagsterRunStatus.STARTED, 120, "the first run never started")
                second = launch(port, "2025-12-26")
                time.sleep(8)  # several dequeue ticks: the pool (arxiv_api, limit 1) keeps it queued
                assert status(second) == dg.DagsterRunStatus.QUEUED
                pids = wait_for(lambda: [int(m) for e in instance.all_logs(first)
                                         for m in re.findall(r"pid: (\d+)", e.message or "")], 60, "no worker pid")
                os.kill(pids[0], signal.SIGKILL)
                wait_for(lambda: status(first) == dg.DagsterRunStatus.FAILURE, 120,
                         "the killed run was never marked failed")
                wait_for(lambda: status(second) in (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED), 120,
                         "the queued run stayed behind the killed one")
        finally:
            os.killpg(dev.pid, signal.SIGTERM)
            dev.wait(timeout=60)


def _answers(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
            return True
    except OSError:
        return False
