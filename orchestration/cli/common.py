"""What every command shares: the demo day, the project's Dagster instance, a one-line error."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

import dagster as dg

from orchestration.runner import fail_runs_of_dead_processes
from resources.settings import REPO_ROOT, load_settings
from resources.warehouse import WarehouseResource

DEMO_DAY = "2025-12-25"


# The project's Dagster instance configuration (pools, run queue, run monitoring), copied into a
# DAGSTER_HOME that has none.
INSTANCE_CONFIG = REPO_ROOT / "dagster_home" / "dagster.yaml"


DEMO_WATCH_AUTHORS = "Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio"


def fail(message: str) -> int:
    print(f"arxiv-monitor: error: {message}", file=sys.stderr)
    return 2


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def open_warehouse(settings=None, lock_timeout_seconds: float = 600.0):
    """The configured warehouse, for the commands that run without Dagster (queries, marks)."""
    return WarehouseResource(database=str((settings or load_settings()).database_path),
                             lock_timeout_seconds=lock_timeout_seconds)


def dagster_instance():
    """The Dagster instance of $DAGSTER_HOME (default: the repository's dagster_home), configured by the
    project's dagster.yaml when the folder has none: the CLI, the schedule and the UI share one
    instance configuration (pools, run queue, run monitoring)."""
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "dagster_home"))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
    stores = ("history", "schedules", "storage")  # SQLite: runs, schedules, event logs
    if not all((home / name).exists() for name in stores):
        # Two first runs on a new home would both create and stamp its SQLite databases, and corrupt them
        # ("more than one head"): each run creates them aside and moves each into place, atomically;
        # the first to arrive wins, the others use it.
        staging = Path(tempfile.mkdtemp(prefix=".init-", dir=home))
        try:
            shutil.copyfile(home / "dagster.yaml", staging / "dagster.yaml")
            with dg.DagsterInstance.from_config(str(staging)):
                pass
            for name in stores:
                try:
                    (staging / name).rename(home / name)
                except OSError:
                    pass  # another run's is in place
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    instance = dg.DagsterInstance.get()
    for run_id in fail_runs_of_dead_processes(instance):
        print(f"arxiv-monitor: run {run_id[:8]} was still marked started, but its process is gone: marked failed, "
              "its pool slots freed", file=sys.stderr)
    return instance
