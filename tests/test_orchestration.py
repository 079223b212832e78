"""Dagster wiring: the schedule's tick, the job's assets, the partitions, a CLI run's lines."""

import datetime as dt
import re

import dagster as dg

from assets.partitions import announcement_days
from orchestration.definitions import build_definitions
from orchestration.runner import materialize_stretch
from orchestration.schedules import daily_schedule
from tests.conftest import settings_for


def test_schedule_tick_requests_the_days_partition_after_the_announcement():
    # 02:00 ET on Thursday 2025-12-25 = 07:00 UTC: the feed of the 25th was announced at 20:00 ET on the 24th.
    tick = dt.datetime(2025, 12, 25, 7, 0, tzinfo=dt.UTC)
    schedule = build_definitions(settings_for()).get_schedule_def(daily_schedule.name)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = list(schedule.evaluate_tick(context).run_requests)
    assert [r.partition_key for r in requests] == ["2025-12-25"]
    assert schedule.execution_timezone == "America/New_York" and schedule.cron_schedule == "0 2 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_job_covers_the_whole_graph():
    job = build_definitions(settings_for()).resolve_job_def("daily_digest")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries", "daily_report",
        "report_site", "report_delivery"}


def test_partitions_are_announcement_days_in_new_york():
    days = announcement_days(dt.date(2025, 12, 1))
    assert days.timezone == "America/New_York"
    assert "2025-12-27" in days.get_partition_keys()  # weekends stay partitions
    assert days.get_first_partition_key() == "2025-12-01"


def test_the_first_partition_follows_the_setting():
    definitions = build_definitions(settings_for(ARXIV_MONITOR_START_DATE="2025-12-22"))
    job = definitions.resolve_job_def("daily_digest")
    assert job.partitions_def.get_first_partition_key() == "2025-12-22"


def test_a_cli_runs_lines_say_each_message_and_materialisation_as_they_happen():
    """The lines a CLI run writes (orchestration/progress.py): what an asset logs, then its stage line from
    its metadata, each stamped with the time and the partition; a failure says what failed."""
    days = dg.DailyPartitionsDefinition(start_date="2025-12-01")

    @dg.asset(partitions_def=days)
    def daily_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        context.log.info("1/2 STLDM (abstract): ok, 40 s; about 40 s left")
        return dg.MaterializeResult(metadata={"papers": 2, "failed": 0, "path": "reports/2025-12-25.md"})

    @dg.asset(partitions_def=days, deps=[daily_report])
    def report_site(context: dg.AssetExecutionContext) -> None:
        raise dg.Failure(description="the site folder cannot be written")

    lines: list[str] = []
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize_stretch([daily_report, report_site], [], dt.date(2025, 12, 25), {}, instance, quiet,
                                     write=lines.append)
    assert not result.success
    assert all(re.match(r"\d\d:\d\d:\d\d 2025-12-25 ", line) for line in lines), lines
    said = [line.split(" ", 2)[2] for line in lines]
    assert said[:2] == ["daily_report: 1/2 STLDM (abstract): ok, 40 s; about 40 s left",
                        "daily_report: 2 papers with analyses, 0 without a usable one → reports/2025-12-25.md"]
    assert any(s.startswith("report_site: ") and "failed" in s for s in said[2:]), said
