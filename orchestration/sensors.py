"""Housekeeping the daemon does: runs left "started" by a process that was killed outright (a CLI run,
or a run the daemon or the UI launched).

Such a run counts as in progress for Dagster's run queue (`max_concurrent_runs: 1` in
dagster_home/dagster.yaml), so the schedule's and the UI's runs would stay queued behind it for ever.
The CLI releases them when it starts; this sensor does the same while `dagster dev` runs.
"""

import dagster as dg

from orchestration.runner import release_orphaned_runs


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def release_orphaned_runs_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Marks failed, and frees the pool slots of, unfinished runs whose arxiv-monitor process is gone."""
    released = release_orphaned_runs(context.instance)
    for line in released:
        context.log.warning(f"released {line}")
    return dg.SkipReason(f"released {len(released)}: " + "; ".join(released) if released
                         else "no unfinished run of a process that is gone")
