"""The daily schedule: 02:00 America/New_York runs that day's partition.

The feed dated D is announced at 20:00 ET on D-1; at 02:00 on D six hours have passed, more than
the index grace (`index_grace_hours`, 4), so the listing is complete. With `end_offset=1` the newest
partition at 02:00 on D is D itself. Weekend ticks materialise the "no announcement" days. In a lab the schedule
runs the day's shared stages, and the automation sensor (`orchestration/definitions.py`) then materialises each
reader's partitions of the day; the weekly schedule asks each reader's week.
"""

import dagster as dg

from orchestration.jobs import daily_digest, weekly_digest


def daily_schedule_of(job) -> dg.ScheduleDefinition:
    return dg.build_schedule_from_partitioned_job(
        job, hour_of_day=2, minute_of_hour=0, default_status=dg.DefaultScheduleStatus.RUNNING,
    )


daily_schedule = daily_schedule_of(daily_digest)


# Monday 04:00 America/New_York: the week that just ended (its last daily runs are done by then).
weekly_schedule = dg.build_schedule_from_partitioned_job(
    weekly_digest, hour_of_day=4, minute_of_hour=0, day_of_week=1, default_status=dg.DefaultScheduleStatus.RUNNING,
)
