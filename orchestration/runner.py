"""Running selected assets for one announcement day, as the CLI and the benchmarks both do.

Dagster orders a run's steps by the dependencies among the *selected* assets only; a selection with
a gap in the chain (e.g. listings + report) would run both at once. So a selection is split into
contiguous stretches of the chain, one run each, in chain order, and each run carries the checks of
its own assets.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable

import dagster as dg

from orchestration.progress import run_lines_logger


def stretches(selected: list[dg.AssetsDefinition], chain: list[dg.AssetsDefinition]) -> list[list[dg.AssetsDefinition]]:
    """`selected` (any order) split into runs of consecutive assets of `chain` with one partitions definition (a
    lab's readers' assets apart from the day's shared ones), in chain order."""
    indices = sorted(chain.index(a) for a in selected)
    runs: list[list[dg.AssetsDefinition]] = []
    for index in indices:
        last = runs[-1][-1] if runs else None
        if last and chain.index(last) == index - 1 and last.partitions_def == chain[index].partitions_def:
            runs[-1].append(chain[index])
        else:
            runs.append([chain[index]])
    return runs


def checks_of(stretch: list[dg.AssetsDefinition], checks: list[dg.AssetChecksDefinition]) -> list:
    """The checks whose assets all run in `stretch`."""
    keys = {a.key for a in stretch}
    return [c for c in checks if {k.asset_key for k in c.check_keys} <= keys]


# A run executed in this process says so: its tags name the host and the process.
HOST_TAG, PROCESS_TAG = "arxiv-monitor/host", "arxiv-monitor/pid"
UNFINISHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


# The job a CLI run executes in its own process (as `dg.materialize` would, with the run's lines logger).
CLI_JOB = "cli_run"


def materialize_stretch(stretch: list[dg.AssetsDefinition], checks: list, day: dt.date, resources: dict,
                        instance: dg.DagsterInstance, run_config: dict | None = None,
                        write: Callable[[str], None] | None = None,
                        key: dg.MultiPartitionKey | None = None) -> dg.ExecuteInProcessResult:
    """One Dagster run of `stretch` and its checks for `day` (`key`: a reader's partition of it), in this process;
    never raises for a failed step. Its steps take their pools' slots like any run's, so a concurrent run's steps
    wait for them. `write` gets the run's lines as they happen (orchestration/progress.py)."""
    loggers, run_config = {"console": dg.colored_console_logger}, dict(run_config or {})
    if write is not None:
        # Dagster starts only the loggers a run's config names, when it names any.
        loggers["run_lines"] = run_lines_logger(write)
        run_config["loggers"] = {**run_config.get("loggers", {}), "run_lines": {}}
    defs = dg.Definitions(assets=[*stretch, *checks_of(stretch, checks)], resources=resources, loggers=loggers,
                          jobs=[dg.define_asset_job(CLI_JOB)])
    return defs.resolve_job_def(CLI_JOB).execute_in_process(
        run_config=run_config, instance=instance, partition_key=key or day.isoformat(), raise_on_error=False,
        tags={HOST_TAG: socket.gethostname(), PROCESS_TAG: str(os.getpid())})


def fail_runs_of_dead_processes(instance: dg.DagsterInstance) -> list[str]:
    """Runs executed in a process of this host that is gone (killed outright, SIGKILL or the OOM killer) while
    Dagster still sees them started: each is reported failed and the pool slots it held are freed, as the
    daemon's run monitoring does for the runs it launched. Returns their ids."""
    failed = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: socket.gethostname()})):
        run = record.dagster_run
        pid = int(run.tags.get(PROCESS_TAG, "0"))
        if pid and not process_alive(pid):
            instance.report_run_failed(run, message=f"its process (pid {pid}) is gone: killed before the run ended")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            failed.append(run.run_id)
    return failed


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """{asset name: its materialization's metadata values} of a run."""
    return {e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}
