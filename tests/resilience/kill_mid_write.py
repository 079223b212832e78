"""`python -m tests.resilience.kill_mid_write TABLE ARGS...`: `arxiv-monitor ARGS...`, except that
this process SIGKILLs itself when the write of TABLE has run its DELETE and INSERT and is about to
COMMIT: a machine losing power in the middle of a partition write (resilience scenario 6)."""

import contextlib
import os
import signal
import sys

from resources.warehouse import WarehouseResource


class _KillAtCommit:
    """The real DuckDB connection, but COMMIT of a transaction that staged `table` kills the process."""

    def __init__(self, conn, table: str):
        self._conn, self._table, self._armed = conn, table, False

    def register(self, name, rows):
        self._armed = self._armed or name == f"staged_{self._table}"
        return self._conn.register(name, rows)

    def execute(self, statement, *args):
        if self._armed and statement.strip().upper() == "COMMIT":
            print(f"kill_mid_write: SIGKILL before COMMIT of {self._table}", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return self._conn.execute(statement, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def main() -> int:
    table, argv = sys.argv[1], sys.argv[2:]
    real_writer = WarehouseResource.writer

    @contextlib.contextmanager
    def writer(self):
        with real_writer(self) as conn:
            yield _KillAtCommit(conn, table)

    WarehouseResource.writer = writer
    from orchestration.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
