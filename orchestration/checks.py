"""Checks that the day's report was built from complete inputs, read from what is stored.

They are checks of `daily_report`, the product: re-materialising the report of a day (cheap: no
network, no LLM) re-checks that day's stored tables, and a row lost or changed after a run shows
up there. The checks that can only be judged while an asset runs (a short page, the report's
text) are `check_specs` of that asset.
"""

import datetime as dt

import dagster as dg

from assets.partitions import partition_day
from resources.warehouse import WarehouseResource


def missing_rows(warehouse: WarehouseResource, day: dt.date, table: str) -> list[str]:
    """`arxiv_id`v`version` of the day's filtered papers that have no row in `table`."""
    query = {"paper_fulltext": "check_missing_fulltext", "paper_summaries": "check_missing_summaries"}[table]
    return [f"{r['arxiv_id']}v{r['version']}" for r in warehouse.query_rows(query, partition_date=day)]


def incomplete_analyses(warehouse: WarehouseResource, day: dt.date) -> list[str]:
    """Analyses stored as ok that stopped at the token limit, have an empty section or failed a junk gate."""
    return [f"{r['arxiv_id']}v{r['version']}: {r['problem']}"
            for r in warehouse.query_rows("check_incomplete_analyses", partition_date=day)]


def _result(problems: list[str], what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=not problems, metadata={
        "problems": len(problems), what: dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")})


def build_checks(daily_report: dg.AssetsDefinition) -> list[dg.AssetChecksDefinition]:
    """The stored-data checks of `daily_report` (checks are bound to the asset, so built with it)."""

    def every_filtered_paper_has_a_row(name: str, table: str, description: str) -> dg.AssetChecksDefinition:
        @dg.asset_check(asset=daily_report, pool="duckdb", name=name, description=description)
        def check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
            return _result(missing_rows(warehouse, partition_day(context.partition_key), table), "missing")

        return check

    every_filtered_paper_read = every_filtered_paper_has_a_row(
        "every_filtered_paper_read", "paper_fulltext",
        "Every filtered paper of the day has a paper_fulltext row (ok or with its failure status).")
    every_filtered_paper_analysed = every_filtered_paper_has_a_row(
        "every_filtered_paper_analysed", "paper_summaries",
        "Every filtered paper of the day has a paper_summaries row (ok, rejected or failed with a reason).")

    @dg.asset_check(
        asset=daily_report,
        pool="duckdb",
        description="No analysis stored as ok stopped at the token limit (finish_reason length), has an empty "
        "section, or failed a junk gate.",
    )
    def analyses_complete(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return _result(incomplete_analyses(warehouse, partition_day(context.partition_key)), "incomplete")

    return [every_filtered_paper_read, every_filtered_paper_analysed, analyses_complete]
