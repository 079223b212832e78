"""Keyword, author and announce-type rules, and the kept rows of a day in report order."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from arxiv_domain.revision import compare
from arxiv_domain.venue import parse_venue
from ranking.relevance import Closeness, KeepRule, combined_score

# Space, hyphen (ASCII and Unicode), underscore or nothing may separate a keyword's words.
_SEPARATOR = r"[\s\-\u2010\u2011\u2012\u2013\u2014_]*"


_SPLIT = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014_]+")


FILTERED_SCHEMA = {
    "arxiv_id": pl.Utf8, "version": pl.Int32, "announce_type": pl.Utf8, "is_update": pl.Boolean,
    "title": pl.Utf8, "primary_category": pl.Utf8, "matched_keywords": pl.List(pl.Utf8),
    "matched_authors": pl.List(pl.Utf8), "matched_in": pl.List(pl.Utf8), "matches": pl.Utf8,
    "score": pl.Int32, "rank": pl.Int32, "semantic_score": pl.Float64, "closest_interest": pl.Utf8,
    "kept_by": pl.List(pl.Utf8), "combined_score": pl.Float64, "calibrated_score": pl.Float64,
    "learned_score": pl.Float64, "closest_liked": pl.Utf8, "venue": pl.Utf8, "venue_year": pl.Int32,
    "venue_status": pl.Utf8, "revision_of": pl.Int32, "revision_kind": pl.Utf8, "revision": pl.Utf8,
    "reader": pl.Utf8,
}


def keyword_tokens(keyword: str) -> tuple[str, ...]:
    return tuple(t for t in _SPLIT.split(keyword.strip().casefold()) if t)


def keyword_pattern(keyword: str) -> re.Pattern:
    """Case-insensitive, hyphen/space/no-space-insensitive, on word boundaries, simple plurals:
    `vla` matches "VLA" and "VLAs", not "Vladimir" or "OpenVLA"; "Vision Language Action" matches
    "vision-language-action" and "Vision-Language Action"."""
    tokens = keyword_tokens(keyword)
    if not tokens:
        raise ValueError(f"empty keyword {keyword!r}")
    body = _SEPARATOR.join(re.escape(t) for t in tokens)
    return re.compile(rf"(?<!\w){body}(?:s|es)?(?!\w)", re.IGNORECASE)


# Letters that Unicode does not decompose into a base letter plus an accent.
_UNDECOMPOSED = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE",
                               "æ": "ae", "Œ": "OE", "œ": "oe", "ı": "i"})


def normalise_name(name: str) -> str:
    """'Łukasz  Kaiser' == 'Lukasz Kaiser' == 'lukasz kaiser'."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace(".", " ").split())


@dataclass(frozen=True)
class KeywordRule:
    label: str
    pattern: re.Pattern
    categories: frozenset[str] | None  # None: any category


@dataclass(frozen=True)
class FilterRules:
    keywords: tuple[KeywordRule, ...]
    exclude: tuple[KeywordRule, ...]
    authors: dict[str, str]  # normalised name -> name as configured
    announce_types: frozenset[str]

    @classmethod
    def build(cls, keywords, exclude=(), authors=(), announce_types=("new", "cross", "replace", "replace-cross"),
              keyword_categories=None) -> FilterRules:
        restrictions = {keyword_tokens(k): frozenset(v) for k, v in (keyword_categories or {}).items()}

        def rules(words) -> tuple[KeywordRule, ...]:
            seen: dict[tuple[str, ...], KeywordRule] = {}
            for word in words:
                tokens = keyword_tokens(word)
                if tokens and tokens not in seen:  # "Vision Language Action " == "Vision-Language-Action"
                    seen[tokens] = KeywordRule(word.strip(), keyword_pattern(word), restrictions.get(tokens))
            return tuple(seen.values())

        return cls(rules(keywords), rules(exclude), {normalise_name(a): a.strip() for a in authors if a.strip()},
                   frozenset(announce_types))


@dataclass
class Match:
    kept: bool
    matches: list[dict]
    score: int
    reason: str


def match_paper(row: dict, rules: FilterRules, semantic_hit: bool = False) -> Match:
    """Which rules a listing row matches, where, and its relevance score: watched authors first,
    then title matches, then the number of distinct keywords. `semantic_hit`: the paper reaches the
    interest profile's threshold, which keeps it without a keyword (negative keywords and announce
    types still apply)."""
    if row["announce_type"] not in rules.announce_types:
        return Match(False, [], 0, f"announce type {row['announce_type']} not kept")
    fields = {"title": row["title"] or "", "abstract": row["abstract"] or ""}
    categories = set(row.get("categories") or [])
    matches = []
    for rule in rules.keywords:
        if rule.categories is not None and not categories & rule.categories:
            continue
        for field, text in fields.items():
            found = rule.pattern.search(text)
            if found:
                matches.append({"rule": rule.label, "kind": "keyword", "field": field, "text": found.group(0)})
    for author in row.get("authors") or []:
        watched = rules.authors.get(normalise_name(author))
        if watched:
            matches.append({"rule": watched, "kind": "author", "field": "authors", "text": author})
    authors = {m["rule"] for m in matches if m["kind"] == "author"}
    if not matches and not semantic_hit:
        return Match(False, [], 0, "no keyword or watched author")
    excluded = [r.label for r in rules.exclude for text in fields.values() if r.pattern.search(text)]
    if excluded and not authors:
        return Match(False, matches, 0, f"excluded by {sorted(set(excluded))}")
    in_title = {m["rule"] for m in matches if m["kind"] == "keyword" and m["field"] == "title"}
    keywords = {m["rule"] for m in matches if m["kind"] == "keyword"}
    score = 100 * len(authors) + 10 * len(in_title) + len(keywords)
    return Match(True, matches, score, "kept")


NO_PROFILE = KeepRule(threshold=1.0, calibrated_threshold=float("inf"), learned_threshold=float("inf"),
                      semantic_weight=0.0)


def report_order(row: dict, updates_last: bool = True) -> tuple:
    """A kept paper's place in the report: new papers first, then new versions of papers announced earlier
    (a watched author's ten-year-old paper's v7 does not lead the day's new work), each by combined score;
    by combined score alone when `updates_last` is off."""
    return (updates_last and row["is_update"], -row["combined_score"], row["arxiv_id"], row["version"])


def filter_listings(rows: list[dict], rules: FilterRules, closeness: dict | None = None,
                    keep: KeepRule = NO_PROFILE) -> list[dict]:
    """Kept rows in report order (`report_order`), with their matches. `closeness` {(arxiv_id, version):
    Closeness}: None when there is no profile and no feedback."""
    kept = []
    for row in rows:
        c = (closeness or {}).get((row["arxiv_id"], row["version"]), Closeness())
        close_by = keep.kept_by(c)
        result = match_paper(row, rules, bool(close_by))
        if not result.kept:
            continue
        keyword_matches = [m for m in result.matches if m["kind"] == "keyword"]
        kept_by = sorted({m["kind"] for m in result.matches} | close_by)
        similarity = c.similarity
        kept.append({
            "arxiv_id": row["arxiv_id"], "version": row["version"], "announce_type": row["announce_type"],
            "is_update": row["version"] > 1 or row["announce_type"].startswith("replace"),
            "title": row["title"], "primary_category": row["primary_category"],
            "matched_keywords": sorted({m["rule"] for m in keyword_matches}),
            "matched_authors": sorted({m["rule"] for m in result.matches if m["kind"] == "author"}),
            "matched_in": sorted({m["field"] for m in result.matches}),
            "matches": json.dumps(result.matches, ensure_ascii=False), "score": result.score,
            "semantic_score": None if similarity is None else round(float(similarity), 4),
            "closest_interest": c.closest, "kept_by": kept_by,
            "combined_score": round(combined_score(result.score, similarity, keep.semantic_weight, c.learned), 4),
            "calibrated_score": rounded(c.calibrated), "learned_score": rounded(c.learned),
            "closest_liked": c.liked, **_venue(row), "revision_of": None, "revision_kind": None, "revision": None,
        })
    kept.sort(key=lambda r: report_order(r, keep.updates_last))
    for rank, row in enumerate(kept, start=1):
        row["rank"] = rank
    return kept


def _venue(row: dict) -> dict:
    venue = parse_venue(row.get("comment"), row.get("journal_ref"))
    return {"venue": venue.label if venue else None, "venue_year": venue.year if venue else None,
            "venue_status": venue.status if venue else None}


def rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def add_revisions(kept: list[dict], listing: list[dict], earlier_versions: list[dict]) -> None:
    """Each kept new version against the latest earlier version stored (arxiv_domain/revision.py);
    `earlier_versions`: the history's rows of the kept updates (earlier_versions.sql)."""
    earlier: dict[str, list[dict]] = {}
    for e in earlier_versions:
        earlier.setdefault(e["arxiv_id"], []).append(e)
    listed = {(r["arxiv_id"], r["version"]): r for r in listing}
    for row in (r for r in kept if r["version"] > 1):
        before = [e for e in earlier.get(row["arxiv_id"], []) if e["version"] < row["version"]]
        if not before:
            continue  # no earlier version in the history: nothing to compare with
        revision = compare(max(before, key=lambda e: e["version"]), listed[(row["arxiv_id"], row["version"])])
        row.update(revision_of=revision.from_version, revision_kind=revision.kind,
                   revision=json.dumps(revision.as_row(), ensure_ascii=False))
