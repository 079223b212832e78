"""The console script and the Dagster code location, run as a user runs them (subprocesses)."""

import os
import subprocess
import sys
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
    from resources.replay.server import ReplayServer

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



def plant_runs(dagster_home: Path) -> tuple:
    """An instance like the repo's (pool limit 1, one run at a time) holding unfinished runs with the pid
    Dagster records for them: an `arxiv-monitor run` (in-process executor) whose process has ended, holding
    the `duckdb` pool slot (what SIGKILL or the OOM killer leaves); one of this live process (another
    terminal's backfill, say); two launched as the daemon/UI launch them ("Started process for run (pid:
    N)"), one whose worker has ended and one alive; and a run that ended but still holds the `arxiv_api`
    slot (what a SIGKILLed run worker left under `dagster-daemon`: Dagster marked the run failed, the slot
    stayed claimed and the queue waited on it). Returns (killed runs, live runs, dead pid)."""
    import dagster as dg
    from dagster._core.events import EngineEventData
    from dagster._core.storage.dagster_run import DagsterRun
    from dagster._core.utils import make_new_run_id

    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text((REPO / "dagster_home" / "dagster.yaml").read_text())
    pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                         check=True).stdout.strip()  # a process that has ended

    def run(day: str, status=dg.DagsterRunStatus.STARTED) -> DagsterRun:
        return DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), status=status,
                          tags={"dagster/partition": day})

    killed, live = run("2025-12-24"), run("2025-12-25")
    launched_killed, launched_live = run("2025-12-23"), run("2025-12-22")
    ended = run("2026-01-10", dg.DagsterRunStatus.FAILURE)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for planted in (killed, live, launched_killed, launched_live, ended):
            instance.add_run(planted)
        for planted, worker, message in ((killed, int(pid), "Executing steps in process"),
                                         (live, os.getpid(), "Executing steps in process"),
                                         (launched_killed, int(pid), "Started process for run"),
                                         (launched_live, os.getpid(), "Started process for run")):
            instance.report_engine_event(f"{message} (pid: {worker}).", planted, EngineEventData.in_process(worker))
        instance.event_log_storage.initialize_concurrency_limit_to_default("arxiv_api")
        assert instance.event_log_storage.claim_concurrency_slot("arxiv_api", ended.run_id, "raw_listings").is_claimed
        instance.event_log_storage.initialize_concurrency_limit_to_default("duckdb")  # as a run's executor does
        claim = instance.event_log_storage.claim_concurrency_slot("duckdb", killed.run_id, "raw_listings")
        assert claim.is_claimed
        assert instance.event_log_storage.get_concurrency_info("duckdb").active_slot_count == 1
    return (killed, launched_killed, ended), (live, launched_live), pid


def assert_released(dagster_home: Path, killed: tuple, live: tuple) -> None:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert [instance.get_run_by_id(r.run_id).status for r in killed] == [dg.DagsterRunStatus.FAILURE] * 3
        assert [instance.get_run_by_id(r.run_id).status for r in live] == [dg.DagsterRunStatus.STARTED] * 2
        assert instance.event_log_storage.get_concurrency_run_ids() == set()  # no slot held by anyone


def test_a_run_killed_outright_is_released_by_the_next_cli_run(tmp_path):
    """A run whose process died stays "started" for ever: Dagster's queue (max_concurrent_runs: 1) counts
    it as in progress and its pool slot stays claimed. The next CLI run marks it failed and frees it."""
    import dagster as dg

    from resources.replay.server import ReplayServer

    dagster_home = tmp_path / "dagster"
    killed, live, pid = plant_runs(dagster_home)
    with ReplayServer() as server:
        env = {"ARXIV_MONITOR_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(dagster_home),
               "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0"}
        out = cli("run", "--date", "2025-12-26", "--select", "raw_listings", env_extra=env)
    assert out.returncode == 0, out.stderr
    for run, day in zip(killed, ("2025-12-24", "2025-12-23")):
        assert f"released run {run.run_id[:8]} ({day}): its process (pid {pid}) ended" in out.stderr
    assert (f"released run {killed[2].run_id[:8]} (2026-01-10): ended (failure) but still held pool slots; "
            "they are freed") in out.stderr
    assert "2025-12-26 raw_listings: 5 rows" in out.stdout
    assert_released(dagster_home, killed, live)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        (cli_run,) = instance.get_runs(filters=dg.RunsFilter(tags={"arxiv_monitor/cli": "run"}))
        assert cli_run.status == dg.DagsterRunStatus.SUCCESS  # its own run, of a live process, not released


def test_the_daemon_sensor_releases_a_killed_run_too(tmp_path):
    """With `dagster dev` running and no CLI run coming, the sensor does the same each minute."""
    import dagster as dg

    from orchestration.sensors import release_orphaned_runs_sensor

    dagster_home = tmp_path / "dagster"
    killed, live, pid = plant_runs(dagster_home)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        result = release_orphaned_runs_sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message.startswith("released 3: run ")
    assert f"run {killed[2].run_id[:8]} (2026-01-10): ended (failure) but still held pool slots" in result.skip_message
    for run, day in zip(killed, ("2025-12-24", "2025-12-23")):
        assert f"run {run.run_id[:8]} ({day}): its process (pid {pid}) ended" in result.skip_message
    assert_released(dagster_home, killed, live)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:  # nothing left to release
        again = release_orphaned_runs_sensor(dg.build_sensor_context(instance=instance))
    assert again.skip_message == "no unfinished run of a process that is gone"
