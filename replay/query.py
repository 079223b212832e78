"""The subset of arXiv's API query language the replay server evaluates over its corpus: `cat:`,
`submittedDate:[A TO B]`, `lastUpdatedDate:[A TO B]`, `all:`/`ti:`/`abs:`/`au:` words, `id:`,
AND/OR/ANDNOT and parentheses."""

from __future__ import annotations

import datetime as dt
import re

_TOKEN = re.compile(r'\(|\)|\w+:\[[^\]]*\]|\w+:"[^"]*"|[^\s()]+')


class QueryError(ValueError):
    pass


def _parse_range(value: str) -> tuple[dt.datetime, dt.datetime]:
    match = re.fullmatch(r"\[\s*(\d{8,14})\s+TO\s+(\d{8,14})\s*\]", value)
    if not match:
        raise QueryError(f"bad date range {value}")

    def stamp(digits: str, end: bool) -> dt.datetime:
        digits = digits.ljust(12, "0")[:12]
        moment = dt.datetime.strptime(digits, "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
        return moment + dt.timedelta(minutes=1) if end else moment  # inclusive to the minute

    return stamp(match[1], False), stamp(match[2], True)


def _atom(token: str):
    field, _, value = token.partition(":")
    if not value:
        field, value = "all", token
    value = value.strip('"')
    if field == "cat":
        return lambda e: value in e.categories
    if field in ("submittedDate", "lastUpdatedDate"):
        lo, hi = _parse_range(value)
        attr = "published" if field == "submittedDate" else "updated"
        return lambda e: lo <= getattr(e, attr) < hi
    if field == "id":
        return lambda e: e.arxiv_id == value
    words = value.lower()
    texts = {"ti": lambda e: e.title, "abs": lambda e: e.abstract, "au": lambda e: " ".join(e.authors),
             "all": lambda e: " ".join([e.title, e.abstract, *e.authors])}
    if field not in texts:
        raise QueryError(f"unsupported field {field!r}")
    return lambda e: words in texts[field](e).lower()


def compile_query(query: str):
    tokens = _TOKEN.findall(query)
    pos = 0

    def term():
        nonlocal pos
        if pos >= len(tokens):
            raise QueryError("query ends early")
        token = tokens[pos]
        pos += 1
        if token == "(":
            inner = expr()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise QueryError("unbalanced parentheses")
            pos += 1
            return inner
        return _atom(token)

    def expr():
        nonlocal pos
        left = term()
        while pos < len(tokens) and tokens[pos] in ("AND", "OR", "ANDNOT"):
            op = tokens[pos]
            pos += 1
            right = term()
            left = {"AND": lambda a, b: lambda e: a(e) and b(e),
                    "OR": lambda a, b: lambda e: a(e) or b(e),
                    "ANDNOT": lambda a, b: lambda e: a(e) and not b(e)}[op](left, right)
        return left

    predicate = expr()
    if pos != len(tokens):
        raise QueryError(f"unexpected {tokens[pos]!r}")
    return predicate
