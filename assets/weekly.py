"""The weekly stage: `weekly_digest` and `weekly_delivery`, a week (Monday to Sunday, America/New_York) built
from its daily partitions (publishing/weekly.py)."""

import datetime as dt

import dagster as dg
import polars as pl

from assets.partitions import clear_failures, partition_day, week_of_days
from assets.publishing import DeliveryConfig, deliver_to_member, member_of, member_url, stored_days
from publishing.digests import DELIVERIES_SCHEMA
from publishing.report import write_atomically
from publishing.site import FEED_DAYS, refresh_feed, render_page
from publishing.weekly import (
    PREVIOUS_WEEKS,
    STOP_WORDS,
    WEEKLY_PAPERS_SCHEMA,
    WEEKLY_TOPICS_SCHEMA,
    render_trends,
    render_week,
    rising_topics,
    week_context,
    week_papers,
    week_window,
    weekly_digest_message,
)
from publishing.wording import WEEKLY
from resources.data_dir import DataDirResource
from resources.publish import PublishResource
from resources.reader import Member, ReaderResource
from resources.warehouse import WarehouseResource

WHOLE_HISTORY = {"start": dt.date(2000, 1, 1), "end": dt.date(2999, 12, 31)}


def publish_week(site, start: dt.date, context: dict, warehouse: WarehouseResource, member: Member, base_url: str,
                 now: dt.datetime) -> int:
    """The week's page, the list of weeks, the trends page and the feed of the reader's pages (`site`); returns the
    trends page's bytes."""
    language = member.language
    render_week(site, start, context)
    weeks = warehouse.query_rows("site_weeks", reader=member.name)
    page = render_page("weeks.html.j2", language, root="", title=WEEKLY[language]["weeks"], weeks=weeks)
    write_atomically(site / "weeks.html", page)
    trends_bytes = render_trends(site, warehouse.query_rows("weekly_trends", **WHOLE_HISTORY, reader=member.name),
                                 warehouse.query_rows("rising_topics", **WHOLE_HISTORY), language, weeks)
    refresh_feed(site, stored_days(warehouse, member),
                 warehouse.query_rows("feed_titles", days=FEED_DAYS, reader=member.name), base_url, now, weeks)
    return trends_bytes


def build_weekly_digest(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """Over weeks (a single reader) or weeks × readers, from the days (× the same reader) of the week."""
    @dg.asset(partitions_def=partitions, pool="duckdb", kinds={"duckdb", "html"}, group_name="weekly",
              deps=[dg.AssetDep("daily_report", partition_mapping=week_of_days(partitions))])
    @clear_failures
    def weekly_digest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, reader: ReaderResource,
                      publish: PublishResource, data_dir: DataDirResource) -> dg.MaterializeResult:
        """The reader's digest of the week from its daily partitions: the most relevant papers by the daily ranking,
        counts per keyword, interest and category, the rising topics; its page (with a chart), the trends page and
        the feed on the reader's pages."""
        data_dir.check()
        member = member_of(context, reader)
        start, end = week_window(partition_day(context.partition_key).isoformat())
        terms = warehouse.query_rows("week_terms", start=start - dt.timedelta(days=7 * PREVIOUS_WEEKS), end=end,
                                     stop_words=STOP_WORDS)
        topics = rising_topics(terms, start)
        candidates = warehouse.query_rows("week_papers", start=start, end=end, reader=member.name,
                                          language=member.language)
        papers = week_papers(candidates, reader.weekly.weekly_papers, member.language, reader.relevance.updates_last)
        reported = sorted((d for d in stored_days(warehouse, member) if start <= d["partition_date"] < end),
                          key=lambda d: d["partition_date"])
        listings = next((int(r["listings"]) for r in terms if r["week"] == start), 0)
        now = dt.datetime.now(dt.UTC)
        summary = {"days_reported": len(reported), "listings": listings, "kept": len(candidates),
                   "shown": len(papers), "language": member.language, "generated_at": now}
        warehouse.write_partition(start, {
            "weekly_digests": pl.DataFrame([summary]).to_arrow(),
            "weekly_papers": pl.DataFrame([{k: p[k] for k in WEEKLY_PAPERS_SCHEMA} for p in papers],
                                          schema=WEEKLY_PAPERS_SCHEMA).to_arrow(),
            "weekly_topics": pl.DataFrame(topics, schema=WEEKLY_TOPICS_SCHEMA).to_arrow(),
        }, reader=member.name)
        last = end - dt.timedelta(days=1)
        trends = lambda first: warehouse.query_rows("weekly_trends", start=first, end=last,  # noqa: E731
                                                    reader=member.name)
        page = week_context(start, papers, trends(start), topics, [d["day"] for d in reported], len(candidates),
                            listings, trends(start - dt.timedelta(days=7 * 11)), member.language)
        site = data_dir.site_dir / member.folder
        trends_bytes = publish_week(site, start, page, warehouse, member, member_url(publish.base_url, member), now)
        return dg.MaterializeResult(metadata={
            "days_reported": len(reported), "listings": listings, "kept": len(candidates), "shown": len(papers),
            "rising_topics": ", ".join(t["term"] for t in topics) or "none", "reader": member.name,
            "page": dg.MetadataValue.path(str(site / "weeks" / f"{start.isoformat()}.html")),
            "trends_page_bytes": trends_bytes,
        })

    return weekly_digest


def build_weekly_delivery(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(partitions_def=partitions, deps=["weekly_digest"], pool="duckdb", kinds={"email", "python"},
              group_name="weekly")
    @clear_failures
    def weekly_delivery(context: dg.AssetExecutionContext, config: DeliveryConfig, warehouse: WarehouseResource,
                        reader: ReaderResource, publish: PublishResource,
                        data_dir: DataDirResource) -> dg.MaterializeResult:
        """The reader's digest of the week to each of their channels, once per content (a re-run sends nothing)."""
        data_dir.check()
        member = member_of(context, reader)
        start, _ = week_window(partition_day(context.partition_key).isoformat())
        papers = warehouse.query_rows("weekly_papers_of", partition_date=start, reader=member.name)
        summary = warehouse.query_rows("weekly_digest_of", partition_date=start, reader=member.name)
        if not summary:
            raise dg.Failure(f"weekly_digest for {context.partition_key} is not materialised; materialise it first",
                             allow_retries=False)
        message = weekly_digest_message(start, [{**p, "why_short": p["why"]} for p in papers], summary[0]["kept"],
                                        member.language, member_url(publish.base_url, member))
        previous = {r["channel"]: r for r in warehouse.query_rows("week_deliveries", partition_date=start,
                                                                  reader=member.name)}
        rows = deliver_to_member(message, member, publish, previous, config, context, dt.datetime.now(dt.UTC))
        warehouse.write_partition(start, {"weekly_deliveries": pl.DataFrame(rows, schema=DELIVERIES_SCHEMA).to_arrow()},
                                  reader=member.name)
        statuses = {s: sum(r["status"] == s for r in rows) for s in {r["status"] for r in rows}}
        return dg.MaterializeResult(metadata={"channels": sum(r["kind"] != "none" for r in rows), "reader": member.name,
                                              **{f"status_{k}": v for k, v in statuses.items()}})

    return weekly_delivery
