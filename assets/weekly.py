"""The weekly stage: `weekly_digest` and `weekly_delivery`, a week (Monday to Sunday, America/New_York) built
from its daily partitions (publishing/weekly.py)."""

import datetime as dt

import dagster as dg
import polars as pl

from assets.partitions import clear_failures
from assets.publishing import DeliveryConfig, delivery_mode, stored_days
from publishing.digests import DELIVERIES_SCHEMA, deliver_day
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
    """The week's page, the list of weeks, the trends page and the feed; returns the trends page's bytes."""
    language = member.language
    render_week(site, start, context)
    weeks = warehouse.query_rows("site_weeks")
    page = render_page("weeks.html.j2", language, root="", title=WEEKLY[language]["weeks"], weeks=weeks)
    write_atomically(site / "weeks.html", page)
    trends_bytes = render_trends(site, warehouse.query_rows("weekly_trends", **WHOLE_HISTORY),
                                 warehouse.query_rows("rising_topics", **WHOLE_HISTORY), language, weeks)
    if not member.folder:  # a lab's feed is the lab's days (publishing/lab.py)
        refresh_feed(site, stored_days(warehouse, member),
                     warehouse.query_rows("feed_titles", days=FEED_DAYS, reader=member.name), base_url, now, weeks)
    return trends_bytes


def build_weekly_digest(days: dg.PartitionsDefinition, weeks: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(partitions_def=weeks, pool="duckdb", kinds={"duckdb", "html"}, group_name="weekly",
              deps=[dg.AssetDep("daily_report", partition_mapping=dg.TimeWindowPartitionMapping())])
    @clear_failures
    def weekly_digest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, reader: ReaderResource,
                      publish: PublishResource, data_dir: DataDirResource) -> dg.MaterializeResult:
        """The week's digest from its daily partitions: the most relevant papers by the daily ranking, counts
        per keyword, interest and category, the rising topics; its page (with a chart), the trends page and
        the feed on the site."""
        data_dir.check()
        start, end = week_window(context.partition_key)
        terms = warehouse.query_rows("week_terms", start=start - dt.timedelta(days=7 * PREVIOUS_WEEKS), end=end,
                                     stop_words=STOP_WORDS)
        topics = rising_topics(terms, start)
        candidates = warehouse.query_rows("week_papers", start=start, end=end)
        papers = week_papers(candidates, reader.weekly.weekly_papers, reader.language, reader.relevance.updates_last)
        first = reader.members()[0]
        reported = sorted((d for d in stored_days(warehouse, first) if start <= d["partition_date"] < end),
                          key=lambda d: d["partition_date"])
        listings = next((int(r["listings"]) for r in terms if r["week"] == start), 0)
        now = dt.datetime.now(dt.UTC)
        summary = {"days_reported": len(reported), "listings": listings, "kept": len(candidates),
                   "shown": len(papers), "language": reader.language, "generated_at": now}
        warehouse.write_partition(start, {
            "weekly_digests": pl.DataFrame([summary]).to_arrow(),
            "weekly_papers": pl.DataFrame([{k: p[k] for k in WEEKLY_PAPERS_SCHEMA} for p in papers],
                                          schema=WEEKLY_PAPERS_SCHEMA).to_arrow(),
            "weekly_topics": pl.DataFrame(topics, schema=WEEKLY_TOPICS_SCHEMA).to_arrow(),
        })
        last = end - dt.timedelta(days=1)
        page = week_context(start, papers, warehouse.query_rows("weekly_trends", start=start, end=last), topics,
                            [d["day"] for d in reported], len(candidates), listings,
                            warehouse.query_rows("weekly_trends", start=start - dt.timedelta(days=7 * 11), end=last),
                            reader.language)
        trends_bytes = publish_week(data_dir.site_dir, start, page, warehouse, first, publish.base_url, now)
        return dg.MaterializeResult(metadata={
            "days_reported": len(reported), "listings": listings, "kept": len(candidates), "shown": len(papers),
            "rising_topics": ", ".join(t["term"] for t in topics) or "none",
            "page": dg.MetadataValue.path(str(data_dir.site_dir / "weeks" / f"{start.isoformat()}.html")),
            "trends_page_bytes": trends_bytes,
        })

    return weekly_digest


def build_weekly_delivery(weeks: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(partitions_def=weeks, deps=["weekly_digest"], pool="duckdb", kinds={"email", "python"},
              group_name="weekly")
    @clear_failures
    def weekly_delivery(context: dg.AssetExecutionContext, config: DeliveryConfig, warehouse: WarehouseResource,
                        reader: ReaderResource, publish: PublishResource,
                        data_dir: DataDirResource) -> dg.MaterializeResult:
        """The week's digest to each `[[delivery.channels]]`, once per content (a re-run sends nothing)."""
        data_dir.check()
        start, _ = week_window(context.partition_key)
        papers = warehouse.query_rows("weekly_papers_of", partition_date=start)
        summary = warehouse.query_rows("weekly_digest_of", partition_date=start)
        if not summary:
            raise dg.Failure(f"weekly_digest for {start} is not materialised; materialise it first",
                             allow_retries=False)
        message = weekly_digest_message(start, [{**p, "why_short": p["why"]} for p in papers], summary[0]["kept"],
                                        reader.language, publish.base_url)
        previous = {r["channel"]: r for r in warehouse.query_rows("week_deliveries", partition_date=start)}
        deliver, resend = delivery_mode(config, dict(context.run.tags), publish)
        rows = deliver_day(message, publish.channels, publish.send, publish.send_empty, previous,
                           deliver, resend, dt.datetime.now(dt.UTC), context.log)
        warehouse.write_partition(start, {"weekly_deliveries": pl.DataFrame(rows, schema=DELIVERIES_SCHEMA).to_arrow()})
        statuses = {s: sum(r["status"] == s for r in rows) for s in {r["status"] for r in rows}}
        return dg.MaterializeResult(metadata={"channels": len(publish.channels),
                                              **{f"status_{k}": v for k, v in statuses.items()}})

    return weekly_delivery
