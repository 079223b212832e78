"""`arxiv-monitor query`: read-only SQL over the warehouse, streamed in four formats, and `export`.

Read-only twice over: a statement is parsed first and anything but a read (SELECT, EXPLAIN, a
read-only PRAGMA) is refused before the database is opened; then the database is opened
`read_only`, so nothing that slipped through could write to it either.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import duckdb

import sql

FORMATS = ("table", "csv", "json", "markdown")
READ_ONLY_PRAGMAS = {"table_info", "show_tables", "show_tables_expanded", "show", "database_size", "version",
                     "storage_info", "functions", "collations", "metadata_info", "platform", "user_agent"}
BATCH = 1000


class QueryRefused(ValueError):
    """A statement that would write, or more than one statement."""


# Table and scalar functions that reach the file system; DuckDB itself refuses them on a sealed
# connection (resources.warehouse.SEALED_CONFIG), this list only names the one in the message.
FILE_FUNCTIONS = ("read_text", "read_blob", "read_csv", "read_csv_auto", "read_parquet", "parquet_scan",
                  "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
                  "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson",
                  "read_ndjson_auto", "read_ndjson_objects", "sniff_csv", "glob", "read_xlsx",
                  "sqlite_scan", "postgres_scan", "iceberg_scan", "delta_scan", "read_duckdb")


def file_access_refusal(statement: str) -> str:
    """The one-line refusal for a statement DuckDB stopped from touching files, naming the function."""

    used = [f for f in FILE_FUNCTIONS if re.search(rf"\b{f}\s*\(", statement, re.IGNORECASE)]
    where = used[0] if used else "a file or an extension"
    return f"file access is disabled in query: {where}; the query command reads the warehouse's tables and views only"


def read_statement(text: str) -> str:
    """The one statement in `text` if it only reads; QueryRefused naming what it does otherwise.
    A syntax error raises DuckDB's own ParserException."""
    parsed = duckdb.connect().extract_statements(text)
    if len(parsed) != 1:
        raise QueryRefused(f"one statement at a time ({len(parsed)} given)")
    statement = parsed[0]
    kind = statement.type.name
    if kind in ("SELECT", "EXPLAIN"):
        return statement.query
    if kind == "PRAGMA":
        name = statement.query.strip().split(None, 1)[1].split("(", 1)[0].split("=", 1)[0].strip().strip(";").lower()
        if name in READ_ONLY_PRAGMAS:
            return statement.query
        raise QueryRefused(f"refused: PRAGMA {name} is not a read-only pragma; the query command only reads")
    raise QueryRefused(f"refused: {kind} statement; the query command is read-only (it runs SELECT, EXPLAIN "
                       "and read-only PRAGMAs); nothing was changed")


def _plain(value):
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(value)


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterable[list[tuple]]:
    while batch := cursor.fetchmany(BATCH):
        yield batch


def write_result(cursor: duckdb.DuckDBPyConnection, fmt: str, out: IO[str], max_cell: int = 80) -> int:
    """Stream the cursor's rows to `out` in `fmt`, BATCH rows at a time; returns the row count.
    `table` sizes its columns from the first batch (later wider cells are cut with '…')."""
    names = [d[0] for d in cursor.description]
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for batch in _batches(cursor):
            writer.writerows([_text(v) for v in row] for row in batch)
            count += len(batch)
    elif fmt == "json":  # one JSON array, written element by element
        out.write("[")
        for batch in _batches(cursor):
            for row in batch:
                out.write(("\n" if count == 0 else ",\n") + json.dumps(dict(zip(names, map(_plain, row))),
                                                                      ensure_ascii=False))
                count += 1
        out.write("\n]\n" if count else "]\n")
    elif fmt == "markdown":
        def cell(v) -> str:
            return _text(v).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
        out.write("| " + " | ".join(names) + " |\n|" + "---|" * len(names) + "\n")
        for batch in _batches(cursor):
            for row in batch:
                out.write("| " + " | ".join(cell(v) for v in row) + " |\n")
            count += len(batch)
    elif fmt == "table":
        def cut(v) -> str:
            s = _text(v).replace("\n", " ")
            return s if len(s) <= max_cell else s[: max_cell - 1] + "…"
        widths = None
        for batch in _batches(cursor):
            cells = [[cut(v) for v in row] for row in batch]
            if widths is None:
                widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
                out.write("  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip() + "\n")
                out.write("  ".join("─" * w for w in widths) + "\n")
            for r in cells:
                out.write("  ".join((c if len(c) <= w else c[: w - 1] + "…").ljust(w)
                                    for c, w in zip(r, widths)).rstrip() + "\n")
            count += len(batch)
        if widths is None:
            out.write("  ".join(names) + "\n")
        out.write(f"({count} row{'s' if count != 1 else ''})\n")
    else:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    return count


def export_parquet(conn: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Every table as Parquet, hive-partitioned by partition_date (target/<table>/partition_date=D/*.parquet;
    a table not kept by day, feedback, as target/<table>/data.parquet).
    Written beside the target first and swapped in per table, so a failed export leaves the last one whole."""
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=target))
    counts = {}
    try:
        existing = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for table in [t for t in sql.all_table_names() if t in existing]:
            rows = conn.table(table)
            counts[table] = rows.count("*").fetchall()[0][0]
            if counts[table] and "partition_date" in rows.columns:
                rows.write_parquet(str(staging / table), partition_by=["partition_date"], compression="zstd")
            else:  # empty, or not kept by day (feedback): one file, or none
                (staging / table).mkdir()
                if counts[table]:
                    rows.write_parquet(str(staging / table / "data.parquet"), compression="zstd")
        for table in counts:
            old = target / table
            if old.exists():
                shutil.rmtree(old)
            os.replace(staging / table, old)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counts
