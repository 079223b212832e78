"""The ingest stage of an announcement day: `raw_listings` (what arXiv announced), `listing_embeddings` (a vector
per listing) and `filtered_papers` (what each reader keeps, in their report order)."""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from assets.partitions import clear_failures, daily_asset, start_step
from ranking.closeness import MissingVectors, closeness_of
from ranking.keywords import FILTERED_SCHEMA, add_revisions, filter_listings
from ranking.relevance import ProfileError
from ranking.vectors import embed_listings, embedding_table
from resources.arxiv_api import ArxivAPIResource, ArxivQueryError
from resources.arxiv_listing import FuturePartition, fetch_day_listing, listing_preview
from resources.data_dir import DataDirResource
from resources.embedder import EmbedderResource, EmbeddingError
from resources.reader import Member, ReaderResource
from resources.warehouse import WarehouseResource


class ListingsConfig(dg.Config):
    refresh: bool = False  # ignore the raw HTTP cache and ask arXiv again


def listing_checks(listing, duplicates: list) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(check_name="no_duplicate_versions", passed=not duplicates,
                            metadata={"duplicates": len(duplicates)}),
        dg.AssetCheckResult(check_name="listing_complete", passed=listing.complete,
                            severity=dg.AssetCheckSeverity.WARN, metadata={"note": listing.note or ""}),
    ]


def listing_metadata(listing, rejected: int) -> dict:
    calendar = listing.calendar
    return {
        "rows": len(listing.rows), **{f"rows_{t.replace('-', '_')}": n for t, n in listing.counts.items()},
        "announces": calendar.announces, "reason": calendar.reason,
        "window": f"{calendar.window_start} → {calendar.window_end}" if calendar.announces else "none",
        "requests": listing.requests, "cache_hits": listing.cache_hits, "rejected_entries": rejected,
        "complete": listing.complete, "note": listing.note or "",
        "preview": dg.MetadataValue.md(listing_preview(listing.rows)),
    }


def build_raw_listings(days: dg.PartitionsDefinition, step_retry_delay_seconds: float) -> dg.AssetsDefinition:
    """`raw_listings` over `days`; a failed step is retried once after `step_retry_delay_seconds` (the client
    already retries each request; this covers arXiv being down for minutes)."""

    @dg.asset(
        **daily_asset(days), pool="arxiv_api", kinds={"duckdb", "python"}, group_name="ingest",
        retry_policy=dg.RetryPolicy(max_retries=1, delay=step_retry_delay_seconds, backoff=dg.Backoff.EXPONENTIAL),
        check_specs=[
            dg.AssetCheckSpec("no_duplicate_versions", asset="raw_listings",
                              description="no (arxiv_id, version) is stored twice in a partition"),
            dg.AssetCheckSpec("listing_complete", asset="raw_listings",
                              description="every page was full and the day was fetched after arXiv's index caught up"),
        ],
    )
    @clear_failures
    def raw_listings(context: dg.AssetExecutionContext, config: ListingsConfig, arxiv_api: ArxivAPIResource,
                     warehouse: WarehouseResource, reader: ReaderResource,
                     data_dir: DataDirResource) -> dg.MaterializeResult:
        """Papers announced on this day (America/New_York), one row per (arxiv_id, version), classified
        new / cross / replace / replace-cross. Weekends and holidays store zero rows and no request."""
        day = start_step(context, data_dir)
        client = arxiv_api.client(data_dir.http_cache_dir)
        try:
            listing = fetch_day_listing(day, reader.monitor.categories, client, holidays=reader.calendar.holiday_dates,
                                        index_grace_hours=reader.calendar.index_grace_hours, refresh=config.refresh,
                                        max_replacement_pages=arxiv_api.max_replacement_pages)
        except (FuturePartition, ArxivQueryError) as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        warehouse.write_partition(day, listing.tables())
        if client.rejected:
            context.log.warning(f"{day}: skipped {len(client.rejected)} feed entries: {'; '.join(client.rejected)}")
        return dg.MaterializeResult(
            metadata=listing_metadata(listing, len(client.rejected)),
            check_results=listing_checks(listing, warehouse.query("duplicate_versions", partition_date=day)))

    return raw_listings


def stored_models(warehouse: WarehouseResource) -> dict[str, int]:
    """{model: vector width} of the embeddings in the history; {} before the first write."""
    try:
        return {r["model"]: r["width"] for r in warehouse.query_rows("stored_embedding_models")}
    except (duckdb.CatalogException, FileNotFoundError):
        return {}


def build_listing_embeddings(days: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(**daily_asset(days), deps=["raw_listings"], pool="duckdb", kinds={"duckdb", "python"},
              group_name="ingest")
    @clear_failures
    def listing_embeddings(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                           embedder: EmbedderResource, data_dir: DataDirResource) -> dg.MaterializeResult:
        """A vector for the title and abstract of every listing of the day (the semantic keep rule,
        ranking and "similar papers" read them), cached by (id, version, text hash, model)."""
        day = start_step(context, data_dir)
        listing = warehouse.query_rows("partition_listings", partition_date=day)
        stored = stored_models(warehouse)
        cache = {}
        if listing and embedder.identity in stored:
            cache = {(r["arxiv_id"], r["version"], r["text_hash"]): r["embedding"] for r in warehouse.query_rows(
                "embedding_cache", model=embedder.identity, arxiv_ids=sorted({r["arxiv_id"] for r in listing}))}
        try:
            rows, embedded = embed_listings(listing, cache, embedder.embed, embedder.identity, dt.datetime.now(dt.UTC))
        except EmbeddingError as exc:
            raise dg.Failure(description=str(exc)) from None
        width = len(rows[0]["embedding"]) if rows else next(iter(stored.values()), 0)
        other = {m: w for m, w in stored.items() if w != width}
        if rows and other:
            raise dg.Failure(allow_retries=False, description=(
                f"[embeddings] model {embedder.identity} gives {width}-d vectors, but the history holds "
                f"{', '.join(f'{w}-d vectors of {m}' for m, w in other.items())}; one table holds one width. "
                "Go back to that model, or move the old database aside and backfill."))
        if rows or stored:  # an empty day before the first vector has nothing to replace
            warehouse.write_partition(day, {"listing_embeddings": embedding_table(rows, width)})
        return dg.MaterializeResult(metadata={
            "listings": len(listing), "embedded": embedded, "from_cache": len(rows) - embedded,
            "model": embedder.identity, "dimensions": width,
        })

    return listing_embeddings


def kept_preview(kept: list[dict]) -> str:
    lines = ["| # | arXiv id | type | score | semantic | matched | title |", "|---|---|---|---|---|---|---|"]
    for r in kept:
        matched = ", ".join(r["matched_keywords"] + [f"author: {a}" for a in r["matched_authors"]])
        semantic_cell = "" if r["semantic_score"] is None else f"{r['semantic_score']:.2f}"
        title = r["title"][:80].replace("|", "/")
        lines.append(f"| {r['rank']} | {r['arxiv_id']}v{r['version']} | {r['announce_type']} | "
                     f"{r['combined_score']:g} | {semantic_cell} | {matched} | {title} |")
    return "\n".join(lines)


def reader_kept(day: dt.date, listing: list[dict], member: Member, reader: ReaderResource,
                warehouse: WarehouseResource, embedder: EmbedderResource) -> tuple[list[dict], dict]:
    """One reader's kept rows of the day in their report order, and what their closeness was computed from."""
    try:
        closeness, basis = closeness_of(day, listing, member.interests, warehouse.query_rows, embedder.embed,
                                        embedder.identity)
    except (ProfileError, EmbeddingError, MissingVectors) as exc:
        raise dg.Failure(description=str(exc) if member.folder == "" else f"reader {member.name!r}: {exc}",
                         allow_retries=False) from None
    kept = filter_listings(listing, member.rules, closeness, reader.keep_rule())
    updates = [r["arxiv_id"] for r in kept if r["version"] > 1]
    if updates:
        add_revisions(kept, listing, warehouse.query_rows("earlier_versions", arxiv_ids=updates, partition_date=day))
    return [{**r, "reader": member.name} for r in kept], basis


def kept_metadata(listing: list[dict], kept: list[dict], bases: dict[str, dict], members: list[Member]) -> dict:
    """The step's counts; what each reader's closeness was computed from (`bases`: by reader) under
    relevance_KEY, a lab's reader's under relevance_NAME_KEY."""
    union = {(r["arxiv_id"], r["version"]): r for r in kept}.values()
    lab = {f"kept_by_{m.name}": sum(r["reader"] == m.name for r in kept) for m in members} if len(members) > 1 else {}
    return {
        "listings": len(listing), "kept": len(union), "updates": sum(r["is_update"] for r in union),
        "kept_by_semantic_only": sum(r["kept_by"] == ["semantic"] for r in kept),
        "kept_by_learned": sum("learned" in r["kept_by"] for r in kept), "readers": len(members), **lab,
        **{f"relevance_{name + '_' if len(members) > 1 else ''}{k}": v
           for name, basis in bases.items() for k, v in basis.items()},
        "preview": dg.MetadataValue.md("\n\n".join(
            (f"**{m.name}**\n\n" if len(members) > 1 else "") + kept_preview([r for r in kept if r["reader"] == m.name])
            for m in members)),
    }


def build_filtered_papers(days: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(**daily_asset(days), deps=["raw_listings", "listing_embeddings"], pool="duckdb",
              kinds={"duckdb", "python"}, group_name="ingest")
    @clear_failures
    def filtered_papers(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        reader: ReaderResource, embedder: EmbedderResource,
                        data_dir: DataDirResource) -> dg.MaterializeResult:
        """Each reader's papers of the day: matching their keywords (case, hyphen and plural insensitive, on word
        boundaries), written by an author they watch, or close to their interests, minus their negative keywords;
        ordered by the combined score (ranking/). One row per (reader, paper): the stages after it read each
        paper once."""
        day = start_step(context, data_dir)
        listing = warehouse.query_rows("partition_listings", partition_date=day)
        kept, bases, members = [], {}, reader.members()
        for member in members:
            rows, bases[member.name] = reader_kept(day, listing, member, reader, warehouse, embedder)
            kept += rows
        warehouse.write_partition(day, {"filtered_papers": pl.DataFrame(kept, schema=FILTERED_SCHEMA).to_arrow()})
        return dg.MaterializeResult(metadata=kept_metadata(listing, kept, bases, members))

    return filtered_papers
