"""A 3-day backfill through Dagster's Python API with the real llama.cpp server, and the stored-data
checks: they pass on what the pipeline wrote and fail, naming the paper, on planted bad data."""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from orchestration.checks import incomplete_analyses, missing_rows
from tests.conftest import SHORT_ANSWERS, pipeline_for, with_fields

DAYS = ["2025-12-24", "2025-12-25", "2025-12-26"]
# One paper a day keeps the LLM part short: one recorded entry on the 24th and 26th, one seed paper on the 25th.
KEYWORDS = ["pose estimation", "precipitation nowcasting", "digital twins"]


@pytest.fixture
def backfilled(server, home, llm, llm_resource):
    pipeline = pipeline_for(home, server, ARXIV_MONITOR_KEYWORDS=",".join(KEYWORDS), ARXIV_MONITOR_LANGUAGE="en",
                            ARXIV_MONITOR_WATCH_AUTHORS="", ARXIV_MONITOR_INTERESTS="[]")  # keywords only
    resources = {**pipeline.resources, "llm_server": with_fields(llm_resource, **SHORT_ANSWERS)}
    instance = dg.DagsterInstance.ephemeral()
    results = {day: dg.materialize([*pipeline.assets, *pipeline.checks], partition_key=day, resources=resources,
                                   instance=instance) for day in DAYS}
    return pipeline, resources, instance, results


def check_outcomes(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def run_checks(pipeline, resources, instance, day) -> dict[str, dg.AssetCheckEvaluation]:
    """Re-materialise only the report: its checks re-read the day's stored tables."""
    result = dg.materialize(
        [*pipeline.assets, *pipeline.checks],
        partition_key=day,
        resources=resources,
        instance=instance,
        selection=dg.AssetSelection.assets("daily_report"),
    )
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == ["daily_report"]
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_three_day_backfill_through_the_python_api_then_checks_catch_planted_bad_data(backfilled, home):
    pipeline, resources, instance, results = backfilled
    assert all(r.success for r in results.values())
    every_check = {
        "no_duplicate_versions",
        "listing_complete",
        "mentions_every_filtered_paper",
        "every_filtered_paper_read",
        "every_filtered_paper_analysed",
        "analyses_complete",
        "every_channel_delivered",
    }
    for day, result in results.items():
        assert check_outcomes(result) == {name: True for name in every_check}, day
    # Dagster recorded each partition of each asset.
    for asset in pipeline.assets:
        assert instance.get_materialized_partitions(asset.key) == set(DAYS)
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        filtered = conn.execute("select partition_date::varchar, arxiv_id from filtered_papers order by 1").fetchall()
        summaries = conn.execute(
            "select partition_date::varchar, arxiv_id, status from paper_summaries order by 1"
        ).fetchall()
    assert filtered == [("2025-12-24", "2502.09460"), ("2025-12-25", "2512.21118"), ("2025-12-26", "2012.06822")]
    assert [(d, i) for d, i, _ in summaries] == filtered
    for day, arxiv_id in filtered:
        report = (home / "reports" / f"{day}.md").read_text()
        assert arxiv_id in report

    # The stored-data checks fail on planted bad data and name the paper.
    warehouse = resources["warehouse"]
    day = dt.date(2025, 12, 25)
    assert missing_rows(warehouse, day, "paper_fulltext") == [] and incomplete_analyses(warehouse, day) == []
    with duckdb.connect(str(home / "arxiv.duckdb")) as conn:
        conn.execute("delete from paper_fulltext where partition_date = '2025-12-25'")
        conn.execute(
            "update paper_summaries set status = 'ok', finish_reason = 'length', quality = NULL, "
            "tldr = coalesce(tldr, 'x'), summary = coalesce(summary, 'x'), motivation = coalesce(motivation, 'x'),"
            "contributions = coalesce(contributions, 'x'), method = coalesce(method, 'x'), "
            "experiments = coalesce(experiments, 'x') where partition_date = '2025-12-25'"
        )
        conn.execute("delete from paper_summaries where partition_date = '2025-12-26'")
    checks = run_checks(pipeline, resources, instance, "2025-12-25")
    assert not checks["every_filtered_paper_read"].passed
    assert checks["every_filtered_paper_read"].metadata["problems"].value == 1
    assert "2512.21118v1" in checks["every_filtered_paper_read"].metadata["missing"].value
    assert not checks["analyses_complete"].passed
    assert "2512.21118v1: stopped at the token limit" in checks["analyses_complete"].metadata["incomplete"].value
    assert checks["every_filtered_paper_analysed"].passed
    other = run_checks(pipeline, resources, instance, "2025-12-26")
    assert not other["every_filtered_paper_analysed"].passed
    assert "2012.06822v" in other["every_filtered_paper_analysed"].metadata["missing"].value
    assert other["every_filtered_paper_read"].passed and other["analyses_complete"].passed
    # An empty section is incomplete too.
    with duckdb.connect(str(home / "arxiv.duckdb")) as conn:
        conn.execute(
            "update paper_summaries set finish_reason = 'stop', method = ' ' where partition_date = '2025-12-25'"
        )
    assert incomplete_analyses(warehouse, day) == ["2512.21118v1: a section is empty"]
