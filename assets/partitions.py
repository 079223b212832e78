"""The partitions: arXiv announcement days in America/New_York, weeks of them, and for a lab's readers, day × reader
and week × reader.

`end_offset=1` exposes today's partition: the feed dated D is complete from 20:00 ET on D-1, so by
midnight starting D its listing exists. Weekends and holidays stay partitions (not exclusions):
they materialise as explicit "no announcement" days, so a backfill over a range has no holes.

The first day is a setting (`[calendar].start_date`), so the definition is built by a function the
definitions call, never at import. So are the readers (`[[readers]]`): the reader dimension is built from the
configuration each time the definitions load, so it is always in step with it. A single reader has no reader
dimension: their assets stay partitioned by day, as they always were.
"""

import datetime as dt
import functools
import warnings

import dagster as dg

from arxiv_domain.calendar import parse_day
from resources.data_dir import DataDirResource
from resources.warehouse import MissingTable


def announcement_days(start_date: dt.date) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start_date.isoformat(), timezone="America/New_York", end_offset=1)


def daily_asset(partitions: dg.PartitionsDefinition) -> dict:
    """What every asset of the pipeline shares: one partition per announcement day, one day per
    backfill run (per-day retries and visibility; the LLM server is shared across runs by reuse)."""
    # `backfill_policy` on @asset is "beta" in Dagster 1.13; it is the documented way to batch partitions.
    warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)
    return {"partitions_def": partitions, "backfill_policy": dg.BackfillPolicy.multi_run(max_partitions_per_run=1)}


# The start of a step's failure message when Ctrl-C or SIGTERM stopped it (the CLI stops there too).
INTERRUPTED = "interrupted by Ctrl-C or SIGTERM"


# Tables named otherwise than the asset that writes them.
WRITTEN_BY = {"listing_days": "raw_listings", "report_deliveries": "report_delivery"}


def clear_failures(compute):
    """An asset body whose expected failures end the step with one line and no retry:
    - Ctrl-C or SIGTERM stops it for good. Dagster retries a step interrupted under a retry policy
      (meant for preempted containers), after the policy's delay; a user's Ctrl-C means stop. What the
      body stored before it stopped stays.
    - An upstream table that was never written (a selection with a gap, on a new data directory) names
      the upstream asset and the day, instead of DuckDB's catalog error."""
    @functools.wraps(compute)
    def body(context, *args, **kwargs):
        try:
            return compute(context, *args, **kwargs)
        except (KeyboardInterrupt, dg.DagsterExecutionInterruptedError):
            raise dg.Failure(f"{INTERRUPTED}; a re-run continues from what was stored", allow_retries=False) from None
        except MissingTable as exc:
            day, asset = partition_day(context.partition_key), WRITTEN_BY.get(exc.table, exc.table)
            raise dg.Failure(f"{asset} for {day} is not materialised; materialise it first "
                             f"(arxiv-monitor run --date {day} --select {asset})", allow_retries=False) from None

    return body


def weekly_partitions(start_date: dt.date) -> dg.WeeklyPartitionsDefinition:
    """Weeks from the Monday on or before the first announcement day; a week is a partition once it ended."""
    monday = start_date - dt.timedelta(days=start_date.weekday())
    return dg.WeeklyPartitionsDefinition(start_date=monday.isoformat(), day_offset=1, timezone="America/New_York")


def per_reader(partitions: dg.PartitionsDefinition, readers: list[str] | None) -> dg.PartitionsDefinition:
    """`partitions` × the readers (a lab's `[[readers]]` names), or `partitions` itself for a single reader."""
    if not readers:
        return partitions
    time = "week" if isinstance(partitions, dg.WeeklyPartitionsDefinition) else "day"
    return dg.MultiPartitionsDefinition({time: partitions, "reader": dg.StaticPartitionsDefinition(readers)})


def per_reader_automation(partitions: dg.PartitionsDefinition) -> dg.AutomationCondition | None:
    """A reader's day is materialised once the shared stages of the day are (the daemon's automation sensor,
    `orchestration/definitions.py`): the schedule runs the shared day, each reader's partitions follow it."""
    return dg.AutomationCondition.eager() if isinstance(partitions, dg.MultiPartitionsDefinition) else None


def week_of_days(weeks: dg.PartitionsDefinition) -> dg.PartitionMapping:
    """A week's partition depends on its seven days' partitions (of the same reader, per reader)."""
    if not isinstance(weeks, dg.MultiPartitionsDefinition):
        return dg.TimeWindowPartitionMapping()
    # "beta" in Dagster 1.13; it is the documented mapping between two multi-partitioned assets.
    warnings.filterwarnings("ignore", message=".*MultiPartitionMapping.*", category=dg.BetaWarning)
    return dg.MultiPartitionMapping({"day": dg.DimensionPartitionMapping("week", dg.TimeWindowPartitionMapping()),
                                     "reader": dg.DimensionPartitionMapping("reader", dg.IdentityPartitionMapping())})


def partition_day(key: str) -> dt.date:
    """The announcement day (or week's Monday) of a partition key: "2025-12-25" or, per reader, "2025-12-25|lin"."""
    if isinstance(key, dg.MultiPartitionKey):
        return parse_day(next(v for k, v in key.keys_by_dimension.items() if k != "reader"))
    return parse_day(key)


def partition_reader(key: str) -> str | None:
    """The reader of a per-reader partition key; None for a key of a day (or a week) alone."""
    return key.keys_by_dimension["reader"] if isinstance(key, dg.MultiPartitionKey) else None


def start_step(context: dg.AssetExecutionContext, data_dir: DataDirResource) -> dt.date:
    """The partition's announcement day, once the data directory is known to take the step's output: a full
    or read-only disk stops the step here, before any work."""
    data_dir.check()
    return partition_day(context.partition_key)
