"""The one partitions definition: arXiv announcement days in America/New_York.

`end_offset=1` exposes today's partition: the feed dated D is complete from 20:00 ET on D-1, so by
midnight starting D its listing exists. Weekends and holidays stay partitions (not exclusions):
they materialise as explicit "no announcement" days, so a backfill over a range has no holes.
"""

import dagster as dg

from resources.settings import load_settings

announcement_days = dg.DailyPartitionsDefinition(
    start_date=load_settings().start_date.isoformat(),
    timezone="America/New_York",
    end_offset=1,
)
