"""Every SQL statement of the project lives in this folder; Python loads it from here.

`schema/` creates tables, `views/` the views users query, `writes/` replaces one partition of one
table (delete then insert from a staged Arrow table, run in one transaction), `queries/` are
saved, parameterised queries: the pipeline's own, and the users' (first line `-- saved: what it
answers`), which `arxiv-monitor query --saved NAME` runs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
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


def table_names() -> list[str]:
    """The tables, one per file of schema/."""
    return sorted(path.stem for path in (SQL_DIR / "schema").glob("*.sql"))


# Tables created by their first write rather than by schema/: their shape comes from the staged data
# (listing_embeddings: a FLOAT[n] whose n is the embedding model's width).
CREATED_BY_WRITE = ("listing_embeddings",)


def all_table_names() -> list[str]:
    """Every table the project can hold; the CREATED_BY_WRITE ones exist from their first write on."""
    return sorted([*table_names(), *CREATED_BY_WRITE])


def schema_statements() -> list[str]:
    """Tables, then the views over them (views/ in dependency order: VIEW_ORDER)."""
    tables = [s for name in table_names() for s in statements(f"schema/{name}")]
    return tables + [s for name in VIEW_ORDER for s in statements(f"views/{name}")]


# A view is created after the views it reads.
VIEW_ORDER = ("kept_papers", "paper_versions", "papers", "matches", "papers_with_code", "analyses", "statements",
              "daily_counts", "feedback_state")


# ---------------------------------------------------------------- saved queries (users')

_PARAM = re.compile(r"^--\s*param\s+(\w+)\s*:\s*(text|date|int)\s*(?:=\s*(\S+))?\s*$", re.M)
_CASTS = {"text": str, "int": int, "date": dt.date.fromisoformat}


class SavedQueryError(ValueError):
    """A saved query that does not exist, or a parameter that is missing, unknown or malformed."""


@dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str
    params: tuple[tuple[str, str, str | None], ...]  # (name, type, default or None = required)
    statement: str

    def bind(self, given: dict[str, str]) -> dict:
        """Typed parameter values from `--param k=v` strings; every problem names the parameter."""
        known = {p[0] for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise SavedQueryError(
                f"saved query {self.name!r} has no parameter {', '.join(unknown)}; its parameters: {self.usage()}"
            )
        values = {}
        for name, kind, default in self.params:
            raw = given.get(name, default)
            if raw is None:
                raise SavedQueryError(
                    f"saved query {self.name!r} needs --param {name}=<{kind}>; its parameters: {self.usage()}"
                )
            try:
                values[name] = _CASTS[kind](raw)
            except ValueError:
                raise SavedQueryError(
                    f"parameter {name}={raw!r} of saved query {self.name!r} is not a valid {kind}"
                    + (" (YYYY-MM-DD)" if kind == "date" else "")
                ) from None
        return values

    def usage(self) -> str:
        return " ".join(f"{n}=<{k}>" if d is None else f"[{n}={d}]" for n, k, d in self.params) or "(none)"


def saved_names() -> list[str]:
    """The users' saved queries: files of queries/ whose first line is `-- saved: ...`."""
    return sorted(
        p.stem for p in (SQL_DIR / "queries").glob("*.sql") if load(f"queries/{p.stem}").startswith("-- saved:")
    )


def saved(name: str) -> SavedQuery:
    if name not in saved_names():
        raise SavedQueryError(f"no saved query {name!r}; saved queries: {', '.join(saved_names())}")
    text = load(f"queries/{name}")
    description = text.splitlines()[0].removeprefix("-- saved:").strip()
    params = tuple((n, k, d or None) for n, k, d in _PARAM.findall(text))
    return SavedQuery(name, description, params, statements(f"queries/{name}")[0])
