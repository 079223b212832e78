"""Resilience: the scenarios that need no LLM: arXiv misbehaving, a bad data directory,
two runs of one day. Real replay server, real recordings, real DuckDB file. `make chaos` runs this
folder alone and shows what each scenario injected and checked."""

import datetime as dt
import subprocess
import sys

import dagster as dg
import pytest

from tests.conftest import DEMO_DAY, REPO, cli, pipeline_for, replay_env, stored
from tests.resilience import say


def listing_rows(home) -> list[tuple]:
    return stored(home, "select * exclude (fetched_at) from raw_listings order by all")


def materialise(server, home, refresh=False, env: dict | None = None, **api):
    pipeline = pipeline_for(home, server, resources={"arxiv_api": {
        "backoff_seconds": 0.01, "max_retries": 2, "timeout_seconds": 3, **api}}, **(env or {}))
    return dg.materialize([pipeline.asset("raw_listings")], partition_key=DEMO_DAY, resources=pipeline.resources,
                          raise_on_error=False,
                          run_config={"ops": {"raw_listings": {"config": {"refresh": refresh}}}})


def request_times(server) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(r["at"]) for r in server.state.requests if "/api/query" in r["path"]]


def test_1_503_then_429_with_retry_after_then_the_day_completes(server, home):
    server.inject({"kind": "status", "status": 503, "retry_after": "1", "times": 1},
                  {"kind": "status", "status": 429, "retry_after": "1", "times": 1})
    result = materialise(server, home)
    assert result.success
    meta = result.asset_materializations_for_node("raw_listings")[0].metadata
    assert meta["rows"].value == 19 and meta["complete"].value is True
    times = request_times(server)
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert gaps[0] >= 0.95 and gaps[1] >= 0.95  # both Retry-After waits honoured (backoff alone is 0.01 s)
    say("1", "HTTP 503 Retry-After: 1, then HTTP 429 Retry-After: 1",
        f"day complete with 19 rows; waits of {gaps[0]:.2f} s and {gaps[1]:.2f} s before the retries")


@pytest.mark.parametrize("fault", [{"kind": "reset"}, {"kind": "truncate"}, {"kind": "slow", "delay": 5}])
def test_2_a_broken_page_is_retried_and_if_it_never_recovers_the_run_fails_naming_the_url(
        server, home, fault):
    server.inject({**fault, "times": 1})
    assert materialise(server, home).success  # recovered on retry
    before = listing_rows(home)
    assert len(before) == 19
    server.inject({**fault, "times": -1})
    result = materialise(server, home, refresh=True)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "/api/query?search_query=" in str(failure.event_specific_data.error)
    assert listing_rows(home) == before
    say("2", f"{fault['kind']} once, then on every request",
        "once: retried, 19 rows; forever: step failed naming the URL, the 19 stored rows unchanged")


def test_3_an_empty_page_in_a_paginated_day_is_retried_and_never_stored_as_complete(server, home):
    server.inject({"kind": "empty", "match": "start=5&", "times": 1})
    result = materialise(server, home, page_size=5)
    assert result.success
    assert result.asset_materializations_for_node("raw_listings")[0].metadata["rows"].value == 19
    before = listing_rows(home)
    server.inject({"kind": "empty", "match": "start=5&", "times": -1})
    result = materialise(server, home, refresh=True, page_size=5)
    assert not result.success and listing_rows(home) == before
    say("3", "page 2 (start=5, page size 5) answered with no entries but the same totalResults",
        "once: retried, 19 rows complete; forever: step failed, stored rows unchanged")


def test_9_read_only_or_full_data_directory_fails_before_any_work(tmp_path, server):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    out = cli("run", "--date", DEMO_DAY, env_extra=replay_env(server, not_a_folder / "home",
                                                               DAGSTER_HOME=str(tmp_path / "dagster")))
    assert out.returncode == 2 and "is not writable" in out.stderr
    full = cli("run", "--date", DEMO_DAY, env_extra=replay_env(server, tmp_path / "home",
                                                                ARXIV_MONITOR_MIN_FREE_MB="1e12"))
    assert full.returncode == 2 and "MB free, less than" in full.stderr and "nothing was done" in full.stderr
    assert not server.api_requests  # no request was made
    assert not (tmp_path / "home" / "arxiv.duckdb").exists()
    say("9", "a data directory under a regular file; a free-space floor above the disk's free space",
        "both refused with a message naming the directory, 0 requests, no database created")


def test_9_in_dagster_the_asset_fails_without_retries(server, home):
    result = materialise(server, home, env={"ARXIV_MONITOR_MIN_FREE_MB": "1e12"})
    assert not result.success and not server.api_requests
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "less than" in str(failure.event_specific_data.error)
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)


def test_10_runs_of_the_same_day_take_turns_and_equal_a_single_run(tmp_path, server):
    select = "raw_listings,listing_embeddings,filtered_papers,paper_fulltext"

    def env(name):
        return replay_env(server, tmp_path / name, PYTHONUNBUFFERED="1")  # its lines arrive as printed

    def start(name):
        return subprocess.Popen([sys.executable, "-m", "orchestration.cli", "run", "--date", DEMO_DAY, "--select",
                                 select], cwd=REPO, env=env(name), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    # Three runs started together (on a fresh DAGSTER_HOME too): all succeed; Dagster's pools (the project's
    # dagster.yaml, op granularity) hold each step until the same pool's step of another run has ended; the
    # tables equal a single run's.
    runs = [start("together") for _ in range(3)]
    outputs = [r.communicate(timeout=600) for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0], outputs
    single = cli("run", "--date", DEMO_DAY, "--select", select, env_extra=env("once"))
    assert single.returncode == 0

    def tables(name):
        return {t: stored(tmp_path / name, f"select * exclude ({drop}) from {t} order by all")
                for t, drop in (("raw_listings", "fetched_at"), ("filtered_papers", "partition_date"),
                                ("paper_fulltext", "extract_seconds, from_cache"))}
    assert tables("together") == tables("once")
    steps, blocked = pool_steps(env("together")["DAGSTER_HOME"])
    assert len({run for run, _, _, _ in steps}) == 3 and len(steps) == 3 * len(select.split(","))
    for run, pool, begun, ended in steps:  # a step never ran while another run's step of its pool did
        assert not [other for other in steps if other[0] != run and other[1] == pool
                    and other[2] < ended and begun < other[3]], (run, pool)
    assert blocked  # Dagster held a step back: the mechanism did the work, not DuckDB's lock
    say("10", "three `arxiv-monitor run` of the same day started together on a fresh DAGSTER_HOME",
        f"the three runs succeeded; Dagster held {blocked} step(s) back by pool, no two steps of one pool "
        "overlapped; tables equal a single run's row for row")


def pool_steps(dagster_home: str) -> tuple[list[tuple[str, str, float, float]], int]:
    """([(run id, pool, step start, step end)], how many times a step was blocked by its pool's limit) of
    every run of an instance."""
    pools = {a.key.to_user_string(): a.op.pool for a in pipeline_for().assets}
    steps, blocked = [], 0
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        for record in instance.get_run_records():
            begun: dict[str, float] = {}
            for event in instance.all_logs(record.dagster_run.run_id):
                blocked += "blocked by limit for pool" in (event.message or "")
                kind, step = event.dagster_event_type, event.step_key
                if kind == dg.DagsterEventType.STEP_START:
                    begun[step] = event.timestamp
                elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                    steps.append((record.dagster_run.run_id, pools[step], begun[step], event.timestamp))
    return steps, blocked


def test_7_queries_during_a_five_day_backfill_answer_or_say_a_run_is_writing(tmp_path, server):
    env = replay_env(server, tmp_path / "home")
    backfill = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "run", "--date", "2025-12-22", "--to",
                                 "2025-12-26", "--select",
                                 "raw_listings,listing_embeddings,filtered_papers,paper_fulltext"],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Days are written whole, in order (5, 5, 5, 19, 5 rows): a reader sees a sum of whole days, never part of one.
    whole_days = {0, 5, 10, 15, 34, 39}
    answered = busy = no_database = during = 0
    seen_counts = set()
    while backfill.poll() is None or (answered == 0 and backfill.returncode == 0):
        running = backfill.poll() is None
        out = subprocess.run([sys.executable, "-m", "orchestration.cli", "query",
                              "select count(*) as n from raw_listings", "--wait", "0.2", "--format", "csv"],
                             cwd=REPO, env=env, capture_output=True, text=True)
        if out.returncode == 0:
            assert out.stdout.splitlines()[0] == "n"
            count = int(out.stdout.splitlines()[1])
            assert count in whole_days, count
            seen_counts.add(count)
            answered += 1
        elif "no database at" in out.stderr:
            no_database += 1
        else:
            assert "a run is writing" in out.stderr, out.stderr
            busy += 1
        if running and backfill.poll() is None and "no database at" not in out.stderr:
            during += 1  # this query met the database while the backfill was still writing days
    stdout, stderr = backfill.communicate()
    assert backfill.returncode == 0, stderr
    per_day = stored(tmp_path / "home",
                     "select partition_date::varchar, count(*) from raw_listings group by 1 order by 1")
    (duplicates,) = stored(
        tmp_path / "home",
        "select count(*) from (select partition_date, arxiv_id, version "
        "from raw_listings group by all having count(*) > 1)",
    )[0]
    assert per_day == [("2025-12-22", 5), ("2025-12-23", 5), ("2025-12-24", 5), ("2025-12-25", 19), ("2025-12-26", 5)]
    assert duplicates == 0
    assert during >= 1, (answered, busy, no_database)  # the queries really overlapped the backfill
    say(
        "7",
        "`arxiv-monitor query` in a loop while a 5-day backfill writes",
        f"{answered} queries answered (row counts seen: {sorted(seen_counts)}, each a sum of whole days), {busy} "
        f"said a run is writing, {no_database} found no database yet, {during} overlapped the backfill; backfill "
        "complete, 39 rows, no duplicates",
    )
