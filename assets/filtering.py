"""`filtered_papers`: the day's listings that match the user's interests, scored for the report."""

import json
import re
import unicodedata
from dataclasses import dataclass

import dagster as dg
import numpy as np
import polars as pl

from arxiv_domain.calendar import parse_day
from arxiv_domain.revision import compare
from arxiv_domain.venue import parse_venue
from assets.learning import calibrated_scores, train
from assets.partitions import clear_failures, daily_asset
from assets.relevance import (
    Closeness,
    KeepRule,
    ProfileError,
    build_profile,
    combined_score,
    semantic_scores,
)
from resources.data_dir import DataDirResource
from resources.embedder import EmbedderResource, EmbeddingError
from resources.monitor import MonitorResource
from resources.warehouse import WarehouseResource

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
              keyword_categories=None) -> "FilterRules":
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


def filter_listings(rows: list[dict], rules: FilterRules, closeness: dict | None = None,
                    keep: KeepRule = NO_PROFILE) -> list[dict]:
    """Kept rows in report order (combined score descending, then id), with their matches.
    `closeness` {(arxiv_id, version): Closeness}: None when there is no profile and no feedback."""
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
            "calibrated_score": _rounded(c.calibrated), "learned_score": _rounded(c.learned),
            "closest_liked": c.liked, **_venue(row), "revision_of": None, "revision_kind": None, "revision": None,
        })
    kept.sort(key=lambda r: (-r["combined_score"], r["arxiv_id"], r["version"]))
    for rank, row in enumerate(kept, start=1):
        row["rank"] = rank
    return kept


def add_revisions(kept: list[dict], listing: list[dict], warehouse: WarehouseResource, day) -> None:
    """Each kept new version against the latest earlier version stored (arxiv_domain/revision.py)."""
    updates = [r for r in kept if r["version"] > 1]
    if not updates:
        return
    earlier: dict[str, list[dict]] = {}
    for e in warehouse.query_rows("earlier_versions", arxiv_ids=[r["arxiv_id"] for r in updates], partition_date=day):
        earlier.setdefault(e["arxiv_id"], []).append(e)
    listed = {(r["arxiv_id"], r["version"]): r for r in listing}
    for row in updates:
        before = [e for e in earlier.get(row["arxiv_id"], []) if e["version"] < row["version"]]
        if not before:
            continue  # no earlier version in the history: nothing to compare with
        revision = compare(max(before, key=lambda e: e["version"]), listed[(row["arxiv_id"], row["version"])])
        row.update(revision_of=revision.from_version, revision_kind=revision.kind,
                   revision=json.dumps(revision.as_row(), ensure_ascii=False))


def _venue(row: dict) -> dict:
    venue = parse_venue(row.get("comment"), row.get("journal_ref"))
    return {"venue": venue.label if venue else None, "venue_year": venue.year if venue else None,
            "venue_status": venue.status if venue else None}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def rules_from(monitor: MonitorResource) -> FilterRules:
    return FilterRules.build(monitor.keywords, monitor.exclude, monitor.watch_authors, monitor.announce_types,
                             monitor.keyword_categories)


HISTORY_SAMPLE = 1000  # background vectors from earlier days: the calibration's reference, the learner's negatives


def keep_rule(monitor: MonitorResource) -> KeepRule:
    return KeepRule(monitor.threshold, monitor.calibrated_threshold, monitor.learned_threshold,
                    monitor.semantic_weight)


def closeness_of(day, listing: list[dict], monitor: MonitorResource, warehouse: WarehouseResource,
                 embedder: EmbedderResource) -> tuple[dict | None, dict]:
    """({(arxiv_id, version): Closeness} of the day's listings, what it was computed from); None when
    there is neither a profile nor feedback. Every profile problem is raised before any embedding."""
    has_profile = bool(monitor.interests or monitor.examples or monitor.bibtex)
    if not listing:  # no announcement: nothing to compare, and maybe no vector stored yet at all
        return ({} if has_profile else None), {}
    rated = warehouse.query_rows("feedback_vectors", profile=monitor.profile, model=embedder.identity)
    if not (has_profile or rated):
        return None, {}
    profile = []
    if has_profile:
        known = {r["arxiv_id"]: r for r in warehouse.query_rows("example_papers", arxiv_ids=list(monitor.examples))}
        known.update({r["arxiv_id"]: r for r in listing if r["arxiv_id"] in monitor.examples})
        profile = build_profile(monitor.interests, monitor.examples, monitor.bibtex, known)
    stored = {(r["arxiv_id"], r["version"]): r["embedding"]
              for r in warehouse.query_rows("partition_embeddings", partition_date=day, model=embedder.identity)}
    keys = [(r["arxiv_id"], r["version"]) for r in listing]
    missing = [k for k in keys if k not in stored]
    if missing:
        raise EmbeddingError(f"{len(missing)} of the day's {len(keys)} listings have no {embedder.identity} vector "
                             f"(first: {missing[0][0]}v{missing[0][1]}): materialise listing_embeddings for this day")
    vectors = _matrix([stored[k] for k in keys])
    history = _matrix([r["embedding"] for r in warehouse.query_rows(
        "background_vectors", model=embedder.identity, partition_date=day, limit=HISTORY_SAMPLE)])
    background = np.vstack([m for m in (history, vectors) if len(m)])
    width = vectors.shape[1]
    profile_vectors = embedder.embed([item.text for item in profile]) if profile else np.zeros((0, width))
    best, closest = semantic_scores(vectors, profile_vectors)
    calibrated = calibrated_scores(vectors, profile_vectors, background) if profile else None
    liked = [r for r in rated if r["rating"] == "up"]
    disliked = [r for r in rated if r["rating"] == "down"]
    ranking = train(_matrix([r["embedding"] for r in liked], width), [r["title"] for r in liked],
                    _matrix([r["embedding"] for r in disliked], width), profile_vectors, background,
                    monitor.learn_after) if rated else None
    learned = ranking.scores(vectors) if ranking else None
    liked_titles = ranking.closest_liked(vectors) if ranking else [None] * len(keys)
    twins = ranking.near_disliked(vectors) if ranking else np.zeros(len(keys), dtype=bool)
    disliked_ids = {r["arxiv_id"] for r in disliked}
    closeness = {k: Closeness(
        similarity=float(best[i]) if profile else None, closest=profile[closest[i]].label if profile else None,
        calibrated=None if calibrated is None else float(calibrated[i]),
        learned=None if learned is None else float(learned[i]), liked=liked_titles[i],
        disliked_twin=bool(twins[i]) or k[0] in disliked_ids) for i, k in enumerate(keys)}
    info = {"profile_items": len(profile), "history_sample": len(history), "calibrated": calibrated is not None,
            "liked": len(liked), "disliked": len(disliked), "learned": ranking is not None}
    return closeness, info


@dataclass(frozen=True)
class KeepPreview:
    """What the keep rule keeps of a stored day and the listings it just misses; nothing is written."""

    listings: int
    kept: list[dict]  # filter_listings rows, report order
    near: list[dict]  # not kept, closest to the profile first: arxiv_id, version, title, semantic/calibrated score
    basis: dict  # closeness_of's: profile items, history sample, calibrated or not


def preview_keep(day, monitor: MonitorResource, warehouse: WarehouseResource, embedder: EmbedderResource,
                 near: int = 5) -> KeepPreview:
    """The day's keep decision under `monitor` (e.g. another wording of the interests), computed as the
    asset computes it, from the stored listings and vectors."""
    listing = warehouse.query_rows("partition_listings", partition_date=day)
    closeness, basis = closeness_of(day, listing, monitor, warehouse, embedder)
    kept = filter_listings(listing, rules_from(monitor), closeness, keep_rule(monitor))
    taken = {(r["arxiv_id"], r["version"]) for r in kept}
    missed = []
    for row in listing:
        c = (closeness or {}).get((row["arxiv_id"], row["version"]))
        if (row["arxiv_id"], row["version"]) in taken or c is None or c.similarity is None:
            continue
        missed.append({"arxiv_id": row["arxiv_id"], "version": row["version"], "title": row["title"],
                       "semantic_score": round(c.similarity, 4), "calibrated_score": _rounded(c.calibrated),
                       "closest_interest": c.closest})
    missed.sort(key=lambda r: -(r["calibrated_score"] if r["calibrated_score"] is not None else r["semantic_score"]))
    return KeepPreview(len(listing), kept, missed[:near], basis)


def _matrix(rows: list, width: int = 0) -> np.ndarray:
    if not rows:
        return np.zeros((0, width), dtype=np.float32)
    return np.array(rows, dtype=np.float32).reshape(len(rows), -1)


def build_filtered_papers(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The filtered_papers asset over `partitions`."""

    @dg.asset(
        **daily_asset(partitions),
        deps=["raw_listings", "listing_embeddings"],
        pool="duckdb",
        kinds={"duckdb", "python"},
        group_name="ingest",
    )
    @clear_failures
    def filtered_papers(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        monitor: MonitorResource, embedder: EmbedderResource,
                        data_dir: DataDirResource) -> dg.MaterializeResult:
        """The day's papers matching the keywords (case, hyphen and plural insensitive, on word
        boundaries), written by a watched author, or close to the interest profile, minus negative
        keywords; ordered by the combined score (assets/relevance.py)."""
        data_dir.check()  # a full or read-only disk stops the run here, before any work
        day = parse_day(context.partition_key)
        listing = warehouse.query_rows("partition_listings", partition_date=day)
        try:
            closeness, basis = closeness_of(day, listing, monitor, warehouse, embedder)
        except (ProfileError, EmbeddingError) as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        kept = filter_listings(listing, rules_from(monitor), closeness, keep_rule(monitor))
        add_revisions(kept, listing, warehouse, day)
        warehouse.write_partition(day, {"filtered_papers": pl.DataFrame(kept, schema=FILTERED_SCHEMA).to_arrow()})
        lines = ["| # | arXiv id | type | score | semantic | matched | title |", "|---|---|---|---|---|---|---|"]
        for r in kept:
            matched = ", ".join(r["matched_keywords"] + [f"author: {a}" for a in r["matched_authors"]])
            semantic_cell = "" if r["semantic_score"] is None else f"{r['semantic_score']:.2f}"
            title = r["title"][:80].replace("|", "/")
            lines.append(f"| {r['rank']} | {r['arxiv_id']}v{r['version']} | {r['announce_type']} | "
                         f"{r['combined_score']:g} | {semantic_cell} | {matched} | {title} |")
        return dg.MaterializeResult(metadata={
            "listings": len(listing), "kept": len(kept), "updates": sum(r["is_update"] for r in kept),
            "kept_by_semantic_only": sum(r["kept_by"] == ["semantic"] for r in kept),
            "kept_by_learned": sum("learned" in r["kept_by"] for r in kept),
            **{f"relevance_{k}": v for k, v in basis.items()},
            "preview": dg.MetadataValue.md("\n".join(lines)),
        })

    return filtered_papers
