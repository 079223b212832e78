"""Running selected assets for one announcement day, as the CLI and the benchmarks both do.

Dagster orders a run's steps by the dependencies among the *selected* assets only; a selection with
a gap in the chain (e.g. listings + report) would run both at once. So a selection is split into
contiguous stretches of the chain, one run each, in chain order, and each run carries the checks of
its own assets.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg


def stretches(selected: list[dg.AssetsDefinition], chain: list[dg.AssetsDefinition]) -> list[list[dg.AssetsDefinition]]:
    """`selected` (any order) split into runs of consecutive assets of `chain`, in chain order."""
    indices = sorted(chain.index(a) for a in selected)
    runs: list[list[dg.AssetsDefinition]] = []
    for index in indices:
        if runs and chain.index(runs[-1][-1]) == index - 1:
            runs[-1].append(chain[index])
        else:
            runs.append([chain[index]])
    return runs


def checks_of(stretch: list[dg.AssetsDefinition], checks: list[dg.AssetChecksDefinition]) -> list:
    """The checks whose assets all run in `stretch`."""
    keys = {a.key for a in stretch}
    return [c for c in checks if {k.asset_key for k in c.check_keys} <= keys]


def materialize_stretch(stretch: list[dg.AssetsDefinition], checks: list, day: dt.date, resources: dict,
                        instance: dg.DagsterInstance, run_config: dict | None = None,
                        tags: dict | None = None) -> dg.ExecuteInProcessResult:
    """One Dagster run of `stretch` and its checks for `day`; never raises for a failed step."""
    return dg.materialize([*stretch, *checks_of(stretch, checks)], partition_key=day.isoformat(),
                          resources=resources, instance=instance, run_config=run_config or {},
                          raise_on_error=False, tags=tags)


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """{asset name: its materialization's metadata values} of a run."""
    return {e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}


# A run whose process was killed outright (SIGKILL, the OOM killer) stays "started" in Dagster's storage
# for ever; the run queue counts it as in progress and its pool slots stay claimed.
UNFINISHED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def _process_gone(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the process Dagster recorded as executing `run` — the run worker's "Started process for
    run (pid: N)", or the in-process executor's, as in `arxiv-monitor run` — when that process has ended:
    its pid is free, or re-used by a process that started after it was recorded. None while it runs, or
    before any pid is recorded. Runs are local: Dagster's default launcher and the CLI run on this host."""
    import psutil

    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = record.dagster_event.event_specific_data if record.dagster_event else None
        pid = (getattr(data, "metadata", None) or {}).get("pid")
        if pid is not None and str(pid.value).isdigit():
            try:
                alive = psutil.Process(int(pid.value)).create_time() <= record.timestamp + 1.0
            except psutil.NoSuchProcess:
                alive = False
            return None if alive else int(pid.value)
    return None


def release_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed, and free the pool slots of, unfinished runs whose process is gone; free the slots
    runs that ended still hold. Runs of live processes (another terminal's backfill, a run the UI
    launched) are left alone. One line per released run."""
    released = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED)):
        pid = _process_gone(instance, run)
        if pid is None:
            continue
        message = f"its process (pid {pid}) ended without finishing the run (killed?); its pool slots are freed"
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(f"run {run.run_id[:8]} ({run.tags.get('dagster/partition', '?')}): {message}")
    # A run that has ended can still hold pool slots: Dagster's code server marks a killed run worker's run
    # failed, but the slot its step claimed stays, and the queue waits on it. Free them, as Dagster's own
    # run monitoring would (free_slots_after_run_end_seconds), since the CLI runs without the daemon.
    holding = instance.event_log_storage.get_concurrency_run_ids()
    runs = {r.run_id: r for r in instance.get_runs(filters=dg.RunsFilter(run_ids=list(holding)))} if holding else {}
    for run_id in sorted(holding):
        run = runs.get(run_id)
        if run is not None and run.status not in FINISHED:
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        state = f"ended ({run.status.value.lower()})" if run else "no longer exists"
        partition = run.tags.get("dagster/partition", "?") if run else "?"
        released.append(f"run {run_id[:8]} ({partition}): {state} but still held pool slots; they are freed")
    return released
