"""The one partitions definition: arXiv announcement days in America/New_York.

`end_offset=1` exposes today's partition: the feed dated D is complete from 20:00 ET on D-1, so by
midnight starting D its listing exists. Weekends and holidays stay partitions (not exclusions):
they materialise as explicit "no announcement" days, so a backfill over a range has no holes.
"""

import warnings

import dagster as dg

from resources.settings import load_settings

announcement_days = dg.DailyPartitionsDefinition(
    start_date=load_settings().start_date.isoformat(),
    timezone="America/New_York",
    end_offset=1,
)

# `backfill_policy` on @asset is "beta" in Dagster 1.13; it is the documented way to batch partitions.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

# What every asset of the pipeline shares: one partition per announcement day, one day per backfill
# run (per-day retries and visibility; the LLM server is shared across runs by reuse).
DAILY_ASSET = {
    "partitions_def": announcement_days,
    "backfill_policy": dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
}
