"""Dagster wiring: the schedule's tick, the job's assets, the partitions."""

import datetime as dt

import dagster as dg

from assets.partitions import announcement_days
from orchestration.definitions import build_definitions
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
