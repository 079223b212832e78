"""What is embedded of a listing, and the stored table of vectors."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import numpy as np
import pyarrow as pa


def listing_text(title: str, abstract: str) -> str:
    """What is embedded: title and abstract with their hard line wraps undone."""
    return " ".join((title or "").split()) + "\n" + " ".join((abstract or "").split())


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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


def embed_listings(listing: list[dict], cache: dict[tuple, list[float]], embed: Callable[[list[str]], np.ndarray],
                   model: str, now: dt.datetime) -> tuple[list[dict], int]:
    """One row per listing, vectors from `cache` {(id, version, text_hash): vector} where present;
    the rest embedded in one call. Returns (rows, how many were embedded now)."""
    rows, missing = [], []
    for item in listing:
        digest = text_hash(listing_text(item["title"], item["abstract"]))
        vector = cache.get((item["arxiv_id"], item["version"], digest))
        rows.append({"arxiv_id": item["arxiv_id"], "version": item["version"], "text_hash": digest,
                     "model": model, "embedding": vector, "cached": vector is not None, "embedded_at": now})
        if vector is None:
            missing.append((len(rows) - 1, listing_text(item["title"], item["abstract"])))
    if missing:
        vectors = embed([text for _, text in missing])
        for (index, _), vector in zip(missing, vectors):
            rows[index]["embedding"] = vector
    return rows, len(missing)
