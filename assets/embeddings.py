"""`listing_embeddings`: one vector per listed (arxiv_id, version), from its title and abstract."""


import datetime as dt
import hashlib

import dagster as dg
import duckdb
import numpy as np
import pyarrow as pa

from arxiv_domain.calendar import parse_day
from assets.partitions import clear_failures, daily_asset
from resources.data_dir import DataDirResource
from resources.embedder import EmbedderResource, EmbeddingError
from resources.monitor import MonitorResource
from resources.warehouse import WarehouseResource


def listing_text(title: str, abstract: str) -> str:
    """What is embedded: title and abstract with their hard line wraps undone."""
    return " ".join((title or "").split()) + "\n" + " ".join((abstract or "").split())


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def stored_models(warehouse: WarehouseResource) -> dict[str, int]:
    """{model: vector width} of the embeddings in the history; {} before the first write."""
    try:
        return {r["model"]: r["width"] for r in warehouse.query_rows("stored_embedding_models")}
    except (duckdb.CatalogException, FileNotFoundError):
        return {}


def embedding_table(rows: list[dict], width: int) -> pa.Table:
    """Rows {arxiv_id, version, text_hash, model, embedding, cached, embedded_at} as Arrow, the vectors
    as a fixed-size list (DuckDB stores it as FLOAT[width])."""
    vectors = np.array([r["embedding"] for r in rows], dtype=np.float32).reshape(len(rows), width)
    return pa.table({
        "arxiv_id": pa.array([r["arxiv_id"] for r in rows], pa.string()),
        "version": pa.array([r["version"] for r in rows], pa.int32()),
        "text_hash": pa.array([r["text_hash"] for r in rows], pa.string()),
        "model": pa.array([r["model"] for r in rows], pa.string()),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel(), pa.float32()), width),
        "cached": pa.array([r["cached"] for r in rows], pa.bool_()),
        "embedded_at": pa.array([r["embedded_at"] for r in rows], pa.timestamp("us", "UTC")),
    })


def embed_listings(listing: list[dict], cache: dict[tuple, list[float]], embedder: EmbedderResource,
                   now: dt.datetime) -> tuple[list[dict], int]:
    """One row per listing, vectors from `cache` {(id, version, text_hash): vector} where present;
    the rest embedded in one call. Returns (rows, how many were embedded now)."""
    rows, missing = [], []
    for item in listing:
        digest = text_hash(listing_text(item["title"], item["abstract"]))
        vector = cache.get((item["arxiv_id"], item["version"], digest))
        rows.append({"arxiv_id": item["arxiv_id"], "version": item["version"], "text_hash": digest,
                     "model": embedder.identity, "embedding": vector, "cached": vector is not None, "embedded_at": now})
        if vector is None:
            missing.append((len(rows) - 1, listing_text(item["title"], item["abstract"])))
    if missing:
        vectors = embedder.embed([text for _, text in missing])
        for (index, _), vector in zip(missing, vectors):
            rows[index]["embedding"] = vector
    return rows, len(missing)


def build_listing_embeddings(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The listing_embeddings asset over `partitions`."""

    @dg.asset(
        **daily_asset(partitions),
        deps=["raw_listings"],
        pool="duckdb",
        kinds={"duckdb", "python"},
        group_name="ingest",
    )
    @clear_failures
    def listing_embeddings(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                           monitor: MonitorResource, embedder: EmbedderResource,
                           data_dir: DataDirResource) -> dg.MaterializeResult:
        """A vector for the title and abstract of every listing of the day (the semantic keep rule,
        ranking and "similar papers" read them), cached by (id, version, text hash, model)."""
        data_dir.check()
        day = parse_day(context.partition_key)
        listing = warehouse.query_rows("partition_listings", partition_date=day)
        stored = stored_models(warehouse)
        cache = {}
        if listing and embedder.identity in stored:
            cache = {(r["arxiv_id"], r["version"], r["text_hash"]): r["embedding"] for r in warehouse.query_rows(
                "embedding_cache", model=embedder.identity, arxiv_ids=sorted({r["arxiv_id"] for r in listing}))}
        try:
            rows, embedded = embed_listings(listing, cache, embedder, dt.datetime.now(dt.UTC))
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
