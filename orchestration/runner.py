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


# Who started a run: a run whose process was killed outright (SIGKILL, the OOM killer) stays "started"
# in Dagster's storage and keeps its pool slot claimed, so every later run waits on that slot forever.
RUN_TAG_HOST = "arxiv_monitor/host"
RUN_TAG_PID = "arxiv_monitor/pid"
RUN_TAG_PROCESS_STARTED = "arxiv_monitor/process_started"
UNFINISHED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def process_tags() -> dict[str, str]:
    """Tags naming this process: its host, pid and start time (a pid alone can be re-used)."""
    import os
    import socket

    import psutil

    return {RUN_TAG_HOST: socket.gethostname(), RUN_TAG_PID: str(os.getpid()),
            RUN_TAG_PROCESS_STARTED: f"{psutil.Process().create_time():.2f}"}


def _process_alive(pid: int, started: str) -> bool:
    import psutil

    try:
        return f"{psutil.Process(pid).create_time():.2f}" == started
    except psutil.NoSuchProcess:
        return False


def release_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed, and free the pool slots of, this host's unfinished runs whose process is gone.
    Runs of live processes (another terminal's backfill) and runs started elsewhere are left alone.
    Returns one line per released run."""
    import socket

    host = socket.gethostname()
    released = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED, tags={RUN_TAG_HOST: host})):
        pid, started = run.tags.get(RUN_TAG_PID), run.tags.get(RUN_TAG_PROCESS_STARTED)
        if not pid or not pid.isdigit() or not started or _process_alive(int(pid), started):
            continue
        message = f"its process (pid {pid}) ended without finishing the run (killed?); its pool slots are freed"
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(f"run {run.run_id[:8]} ({run.tags.get('dagster/partition', '?')}): {message}")
    return released
