"""The DuckDB warehouse: partition replacement in one transaction, read-only access under a writer."""

import datetime as dt
import subprocess
import sys
import textwrap

import duckdb
import polars as pl
import pytest

import sql
from resources.arxiv_listing import RAW_LISTINGS_SCHEMA
from resources.warehouse import WarehouseBusy, WarehouseResource

D1, D2 = dt.date(2025, 12, 24), dt.date(2025, 12, 25)
NOW = dt.datetime(2025, 12, 25, tzinfo=dt.UTC)


def listing_rows(n: int, prefix: str) -> pl.DataFrame:
    return pl.DataFrame([{
        "arxiv_id": f"{prefix}.{i:05d}", "version": 1, "announce_type": "new", "title": f"t{i}", "authors": ["a"],
        "abstract": "x", "primary_category": "cs.AI", "categories": ["cs.AI"], "published": NOW, "updated": NOW,
        "comment": None, "journal_ref": None, "doi": None, "abs_url": None, "pdf_url": None, "fetched_at": NOW,
    } for i in range(n)], schema=RAW_LISTINGS_SCHEMA)


@pytest.fixture
def warehouse(tmp_path):
    return WarehouseResource(database=str(tmp_path / "w.duckdb"))


def count(warehouse, day):
    with warehouse.reader() as conn:
        return conn.execute("select count(*) from raw_listings where partition_date = ?", [day]).fetchone()[0]


def test_write_replaces_only_its_partition(warehouse):
    warehouse.write_partition(D1, {"raw_listings": listing_rows(3, "2512").to_arrow()})
    warehouse.write_partition(D2, {"raw_listings": listing_rows(5, "2512").to_arrow()})
    warehouse.write_partition(D2, {"raw_listings": listing_rows(2, "2512").to_arrow()})
    assert (count(warehouse, D1), count(warehouse, D2)) == (3, 2)


def test_a_failing_write_rolls_back_and_keeps_the_old_partition(warehouse):
    warehouse.write_partition(D2, {"raw_listings": listing_rows(4, "2512").to_arrow()})
    broken = listing_rows(2, "2512").drop("title")  # a column the insert needs is missing
    with pytest.raises(duckdb.Error):
        warehouse.write_partition(
            D2, {"raw_listings": listing_rows(9, "2512").to_arrow(), "listing_days": broken.to_arrow()}
        )
    assert count(warehouse, D2) == 4


def test_reader_waits_then_says_a_run_is_writing(warehouse):
    warehouse.ensure_schema()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import duckdb, sys, time
        conn = duckdb.connect({str(warehouse.path)!r})
        print("locked", flush=True)
        time.sleep(30)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusy, match="a run is writing to .*w.duckdb"), warehouse.reader(wait_seconds=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()
    with warehouse.reader(wait_seconds=5) as conn:  # free again once the writer is gone
        assert conn.execute("select count(*) from raw_listings").fetchone() == (0,)


def test_sql_statements_are_loaded_from_files_only():
    assert sql.statements("writes/raw_listings")[0].startswith("DELETE FROM raw_listings")
    with pytest.raises(ValueError, match="not a SQL file"):
        sql.load("../../etc/passwd")
    assert sql.params_for("select $a, $ab", {"a": 1, "ab": 2, "c": 3}) == {"a": 1, "ab": 2}
