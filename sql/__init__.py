"""Every SQL statement of the project lives in this folder; Python loads it from here.

`schema/` creates tables, `writes/` replaces one partition of one table (delete then insert from
a staged Arrow table, run in one transaction), `queries/` are saved, parameterised queries.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent


@cache
def load(name: str) -> str:
    """`load("writes/raw_listings")` -> the file's text."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR not in path.parents:
        raise ValueError(f"not a SQL file of this project: {name!r}")
    return path.read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The file's statements, comments dropped (statements here never contain ';' in strings)."""
    text = re.sub(r"--[^\n]*", "", load(name))
    return [s.strip() for s in text.split(";") if s.strip()]


def params_for(statement: str, params: dict) -> dict:
    """Only the named parameters the statement uses: DuckDB rejects unused ones."""
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", statement)}


def schema_statements() -> list[str]:
    return [s for path in sorted((SQL_DIR / "schema").glob("*.sql")) for s in statements(f"schema/{path.stem}")]
