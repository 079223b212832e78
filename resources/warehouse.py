"""The DuckDB warehouse: one file, one writer at a time, short write transactions.

DuckDB lets one process hold the file read-write; a second process (writer *or* reader) fails to
open it while the first holds it. Dagster's `duckdb` pool keeps the runs it launches from writing at
once; DuckDB's own file lock is what every other process meets. So every write opens a connection
for one transaction only and closes it at once, and a writer or reader that finds the file locked
retries for a bounded time, then says that a run is writing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
from dagster_duckdb import DuckDBResource

import sql

# A connection that runs users' SQL reads the warehouse and nothing else: no file system
# (read_text, read_blob, read_csv, glob, COPY ... TO), no extensions installed or loaded, and the
# configuration locked so that a statement cannot turn any of it back on.
SEALED_CONFIG = {"enable_external_access": False, "autoinstall_known_extensions": False,
                 "autoload_known_extensions": False, "lock_configuration": True}


class WarehouseBusy(RuntimeError):
    """The database stayed locked by another process for longer than we were willing to wait."""


class MissingTable(duckdb.CatalogException):
    """A table the statement reads was never written: its asset has not been materialised here yet.
    Still DuckDB's catalog error (same message) for code that handles that."""

    def __init__(self, table: str, message: str):
        super().__init__(message)
        self.table = table


def _missing_table(exc: duckdb.CatalogException) -> str | None:
    found = re.search(r"Table with name (\w+) does not exist", str(exc))
    return found.group(1) if found else None


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's DuckDBResource (`database` path, `connection_config`) plus the project's
    partition writes and read-only access."""

    lock_timeout_seconds: float = 600.0

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextlib.contextmanager
    def writer(self, poll_seconds: float = 0.25) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection held only for the `with` block; while another process holds the
        file, retry for `lock_timeout_seconds`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_seconds
        while True:
            try:
                conn = duckdb.connect(str(self.path), config=dict(self.connection_config))
                break
            except duckdb.IOException as exc:
                if not _is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(f"another process has held {self.path} for {self.lock_timeout_seconds:.0f} s; "
                                        "try again when its run ends") from None
                time.sleep(poll_seconds)
        try:
            yield conn
        finally:
            conn.close()

    def ensure_schema(self) -> None:
        with self.writer() as conn:
            for statement in sql.schema_statements():
                conn.execute(statement)

    def write_partition(self, partition_date: dt.date, staged: Mapping[str, pa.Table],
                        reader: str | None = None) -> None:
        """Replace `partition_date` (of `reader`, in the tables kept per reader) in every table of `staged`
        ({table: rows}) in one transaction: readers see the old partition or the new one, never half of either."""
        params = {"partition_date": partition_date, "reader": reader}
        with self.writer() as conn:
            for statement in sql.schema_statements():
                conn.execute(statement)
            conn.execute("BEGIN TRANSACTION")
            try:
                for table, rows in staged.items():
                    view = f"staged_{table}"
                    conn.register(view, rows)
                    for statement in sql.statements(f"writes/{table}"):
                        conn.execute(statement, sql.params_for(statement, params))
                    conn.unregister(view)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def append(self, name: str, **params) -> None:
        """Run `sql/appends/<name>.sql` (rows added, none rewritten) in one transaction."""
        with self.writer() as conn:
            for statement in sql.schema_statements():
                conn.execute(statement)
            conn.execute("BEGIN TRANSACTION")
            try:
                for statement in sql.statements(f"appends/{name}"):
                    conn.execute(statement, sql.params_for(statement, params))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def reader(self, wait_seconds: float = 30.0, poll_seconds: float = 0.25,
               sealed: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; while a run holds the write lock, retry for `wait_seconds`.
        `sealed`: for statements written by users (SEALED_CONFIG): no file access, no extensions."""
        if not self.path.exists():
            raise FileNotFoundError(f"no database at {self.path}: run the pipeline first (arxiv-monitor run --date D)")
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                conn = duckdb.connect(str(self.path), read_only=True, config=SEALED_CONFIG if sealed else {})
                break
            except duckdb.IOException as exc:
                if not _is_lock_error(exc) or time.monotonic() >= deadline:
                    if _is_lock_error(exc):
                        raise WarehouseBusy(
                            f"a run is writing to {self.path}; waited {wait_seconds:.0f} s, try again when it ends"
                        ) from None
                    raise
                time.sleep(poll_seconds)
        try:
            yield conn
        except duckdb.CatalogException as exc:
            table = _missing_table(exc)
            if table is None:
                raise
            raise MissingTable(table, str(exc)) from None
        finally:
            conn.close()

    def query_rows(self, name: str, **params) -> list[dict]:
        """A saved query's rows as dicts (column name -> value)."""
        statement = sql.statements(f"queries/{name}")[0]
        with self.reader(sealed=True) as conn:
            cursor = conn.execute(statement, sql.params_for(statement, params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def query(self, name: str, **params) -> list[tuple]:
        """Run a saved query from sql/queries/ read-only."""
        statement = sql.statements(f"queries/{name}")[0]
        with self.reader(sealed=True) as conn:
            return conn.execute(statement, sql.params_for(statement, params)).fetchall()
