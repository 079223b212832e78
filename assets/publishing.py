"""The publishing stage of an announcement day: `daily_report` (the Markdown report), `report_site` (the static
site) and `report_delivery` (the digest to each channel), all from the stored rows (publishing/)."""

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from assets.partitions import clear_failures, daily_asset, partition_reader, per_reader_automation, start_step
from publishing.digests import DELIVERED, DELIVERIES_SCHEMA, deliver_day, digest
from publishing.lab import lab_context, render_lab
from publishing.report import render_report, report_context, write_atomically
from publishing.site import render_site
from resources.data_dir import DataDirResource
from resources.publish import PublishResource
from resources.reader import Member, ReaderResource
from resources.warehouse import WarehouseResource

DAILY_REPORT_SCHEMA = {"reader": pl.Utf8, "language": pl.Utf8, "path": pl.Utf8, "markdown": pl.Utf8, "papers": pl.Int32,
                       "failed": pl.Int32, "generated_at": pl.Datetime("us", "UTC")}


def similar_earlier(day: dt.date, arxiv_ids: list[str], limit: int, warehouse: WarehouseResource) -> dict:
    """{arxiv_id: up to `limit` most similar papers announced before `day`}; {} before any embedding."""
    if not arxiv_ids or limit < 1:
        return {}
    try:
        rows = warehouse.query_rows("similar_earlier", partition_date=day, arxiv_ids=arxiv_ids, limit=limit)
    except duckdb.CatalogException:  # listing_embeddings was never materialised
        return {}
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(row["paper"], []).append(row)
    return found


def stored_context(day: dt.date, warehouse: WarehouseResource, reader: ReaderResource,
                   member: Member | None = None) -> dict:
    """`member`'s (default: the first reader's) report context for `day`, from the stored rows (the Markdown
    report, the site and the digests)."""
    member = member or reader.members()[0]
    rows = warehouse.query_rows("report_papers", partition_date=day, reader=member.name, language=member.language)
    days = warehouse.query_rows("listing_day", partition_date=day)
    similar = similar_earlier(day, [r["arxiv_id"] for r in rows], reader.relevance.similar_papers, warehouse)
    return report_context(day, member.monitored, days[0] if days else None, rows, dt.datetime.now(dt.UTC), similar)


def stored_days(warehouse: WarehouseResource, member: Member) -> list[dict]:
    rows = warehouse.query_rows("site_days", reader=member.name)
    return [{**r, "day": r["partition_date"].isoformat()} for r in rows]


def member_url(base_url: str, member: Member) -> str:
    """Where `member`'s pages are served ("" when the site has no public address)."""
    return f"{base_url.rstrip('/')}/{member.folder}" if base_url and member.folder else base_url


def member_of(context, reader: ReaderResource) -> Member:
    """The reader of the step: the partition's (a lab's), or the only one."""
    name = partition_reader(context.partition_key)
    if name is None:
        return reader.members()[0]
    try:
        return reader.member(name)
    except KeyError as exc:
        raise dg.Failure(exc.args[0], allow_retries=False) from None


def build_daily_report(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(**daily_asset(partitions), deps=["paper_summaries"], pool="duckdb", kinds={"duckdb", "markdown"},
              group_name="publish", automation_condition=per_reader_automation(partitions),
              check_specs=[dg.AssetCheckSpec("mentions_every_filtered_paper", asset="daily_report")])
    @clear_failures
    def daily_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource, reader: ReaderResource,
                     data_dir: DataDirResource) -> dg.MaterializeResult:
        """The reader's Markdown report of the day (zh or en): overview, index table, each paper's details, abstract
        and AI analysis (full text or abstract basis stated), failures apart, provenance; also in
        $ARXIV_MONITOR_HOME/reports/YYYY-MM-DD.md (a lab's reader: reports/readers/NAME/) and the daily_report
        table."""
        day = start_step(context, data_dir)
        member = member_of(context, reader)
        ctx = stored_context(day, warehouse, reader, member)
        text = render_report(ctx)
        path = data_dir.reports_dir / member.folder / f"{day.isoformat()}.md"
        write_atomically(path, text)
        row = {"reader": member.name, "language": member.language, "path": str(path), "markdown": text,
               "papers": len(ctx["papers"]), "failed": len(ctx["failed"]), "generated_at": dt.datetime.now(dt.UTC)}
        warehouse.write_partition(day, {"daily_report": pl.DataFrame([row], schema=DAILY_REPORT_SCHEMA).to_arrow()},
                                  reader=member.name)
        missing = [p["arxiv_id"] for p in ctx["papers"] + ctx["failed"]
                   if f"{p['arxiv_id']}v{p['version']}" not in text]
        return dg.MaterializeResult(
            metadata={"papers": len(ctx["papers"]), "failed": len(ctx["failed"]), "reader": member.name,
                      "path": dg.MetadataValue.path(str(path)), "report": dg.MetadataValue.md(text)},
            check_results=[dg.AssetCheckResult(check_name="mentions_every_filtered_paper", passed=not missing,
                                               metadata={"missing": ", ".join(missing)})])

    return daily_report


def publish_lab(day: dt.date, warehouse: WarehouseResource, reader: ReaderResource, site: Path, base_url: str,
                now: dt.datetime) -> None:
    """The lab's pages: the day's papers any reader kept with who kept them, the index of days and readers."""
    readers = [{"name": m.name, "display_name": m.display_name, "folder": m.folder} for m in reader.members()]
    rows = warehouse.query_rows("lab_papers", partition_date=day, language=reader.monitor.language)
    render_lab(site, lab_context(day, rows, readers), reader.monitor.language, warehouse.query_rows("lab_days"),
               base_url, now)


def build_report_site(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(**daily_asset(partitions), deps=["daily_report"], pool="duckdb", kinds={"html"}, group_name="publish",
              automation_condition=per_reader_automation(partitions))
    @clear_failures
    def report_site(context: dg.AssetExecutionContext, warehouse: WarehouseResource, reader: ReaderResource,
                    publish: PublishResource, data_dir: DataDirResource) -> dg.MaterializeResult:
        """The reader's pages in $ARXIV_MONITOR_HOME/site/ (a lab's reader: site/readers/NAME/): this day's page, and
        the index, search index and Atom feed over every materialised day (open index.html, or `arxiv-monitor
        serve`); in a lab, also the lab's page of the day and its index."""
        day = start_step(context, data_dir)
        member, now = member_of(context, reader), dt.datetime.now(dt.UTC)
        figures = {r["arxiv_id"]: r["figure_png"] for r in warehouse.query_rows("day_figures", partition_date=day)}
        site = data_dir.site_dir / member.folder
        stored = stored_days(warehouse, member)
        sizes = render_site(site, stored_context(day, warehouse, reader, member), member.language, stored,
                            warehouse.query_rows("site_search", reader=member.name, language=member.language),
                            member_url(publish.base_url, member), now,
                            warehouse.query_rows("saved_papers", profile=member.name), figures,
                            warehouse.query_rows("site_weeks", reader=member.name))
        if member.folder:
            publish_lab(day, warehouse, reader, data_dir.site_dir, publish.base_url, now)
        page = site / "days" / f"{day.isoformat()}.html"
        return dg.MaterializeResult(metadata={
            "page": dg.MetadataValue.path(str(page)), "reader": member.name,
            "index": dg.MetadataValue.path(str(site / "index.html")),
            "days_in_index": len(stored), "search_index_bytes": sizes["search-index.js"],
            "page_bytes": sizes[f"days/{day.isoformat()}.html"],
        })

    return report_site


class DeliveryConfig(dg.Config):
    """What one run of report_delivery does (the launchpad's run config; `arxiv-monitor run` sets it)."""

    backfill: bool = False  # one day of a range (`run --to`); Dagster's own backfills are known by their tag
    deliver: bool = False   # deliver even in a backfill
    resend: bool = False    # deliver again where this content was already delivered


def delivery_mode(config: DeliveryConfig, tags: dict, publish: PublishResource) -> tuple[bool, bool]:
    """(deliver at all, force a resend) for a run with `config` and `tags`."""
    backfill = config.backfill or "dagster/backfill" in tags
    return (not backfill) or publish.deliver_backfills or config.deliver or config.resend, config.resend


def deliveries_preview(rows: list[dict]) -> str:
    lines = ["| channel | kind | status | attempts | papers | response |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['channel']} | {r['kind']} | {r['status']} | {r['attempts']} | {r['papers_sent']} | "
              f"{(r['response'] or '')[:80].replace('|', '/')} |" for r in rows]
    return "\n".join(lines)


def member_channels(member: Member, publish: PublishResource) -> list:
    """Where the reader's digests go: their channels (a single reader's: every configured channel)."""
    return [c for c in publish.channels if member.channels is None or c.name in member.channels]


def deliver_to_member(message: dict, member: Member, publish: PublishResource, previous: dict, config: DeliveryConfig,
                      context: dg.AssetExecutionContext, now: dt.datetime) -> list[dict]:
    """The rows of one reader's digest sent (or not) to each of their channels, once per content. A lab's reader
    with no channel reads the site: nothing is sent or recorded for them."""
    if member.channels == ():
        return []
    deliver, resend = delivery_mode(config, dict(context.run.tags), publish)
    return deliver_day(message, member_channels(member, publish), publish.send, publish.send_empty, previous, deliver,
                       resend, now, context.log)


def build_report_delivery(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(**daily_asset(partitions), deps=["daily_report"], pool="duckdb", kinds={"email", "python"},
              group_name="publish", automation_condition=per_reader_automation(partitions),
              check_specs=[dg.AssetCheckSpec("every_channel_delivered", asset="report_delivery")])
    @clear_failures
    def report_delivery(context: dg.AssetExecutionContext, config: DeliveryConfig, warehouse: WarehouseResource,
                        reader: ReaderResource, publish: PublishResource,
                        data_dir: DataDirResource) -> dg.MaterializeResult:
        """The reader's digest of the day to each of their channels (a single reader: every `[[delivery.channels]]`;
        email, Slack, Feishu, DingTalk, webhook), once per content; a backfill delivers only when asked. Undelivered
        channels fail the check, not the others."""
        day = start_step(context, data_dir)
        member = member_of(context, reader)
        previous = {r["channel"]: r for r in warehouse.query_rows("day_deliveries", partition_date=day,
                                                                  reader=member.name)}
        now = dt.datetime.now(dt.UTC)
        d = digest(stored_context(day, warehouse, reader, member), member_url(publish.base_url, member))
        rows = deliver_to_member(d, member, publish, previous, config, context, now)
        staged = pl.DataFrame([{**r, "reader": member.name} for r in rows],
                              schema={**DELIVERIES_SCHEMA, "reader": pl.Utf8}).to_arrow()
        warehouse.write_partition(day, {"report_deliveries": staged}, reader=member.name)
        undelivered = [r["channel"] for r in rows if r["status"] == "failed"]
        statuses = {s: sum(r["status"] == s for r in rows) for s in {r["status"] for r in rows}}
        return dg.MaterializeResult(
            metadata={"channels": sum(r["kind"] != "none" for r in rows), "reader": member.name,
                      **{f"status_{k}": v for k, v in statuses.items()},
                      "sent_now": sum(r["status"] in DELIVERED and r.get("sent_at") == now for r in rows),
                      "preview": dg.MetadataValue.md(deliveries_preview(rows))},
            check_results=[dg.AssetCheckResult(check_name="every_channel_delivered", passed=not undelivered,
                                               metadata={"undelivered": ", ".join(undelivered)})])

    return report_delivery
