"""How close each listing of a day is to the reader: the interest profile, the calibration against the
history and the ranking learned from feedback, computed from stored vectors; and the preview of a keep rule.

The stored rows are read through `query` (a warehouse's `query_rows`: a named SQL file and its parameters),
the profile embedded through `embed`; nothing here knows where either lives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ranking.keywords import FilterRules, filter_listings, rounded
from ranking.learning import calibrated_scores, train
from ranking.relevance import Closeness, KeepRule, build_profile, semantic_scores

Query = Callable[..., list[dict]]


class MissingVectors(ValueError):
    """A listing of the day has no stored vector of the configured model."""


@dataclass(frozen=True)
class Interests:
    """What the reader described and taught: the profile's items and the marks' owner."""

    interests: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    bibtex: str = ""
    profile: str = "default"
    learn_after: int = 3

    @property
    def described(self) -> bool:
        return bool(self.interests or self.examples or self.bibtex)


HISTORY_SAMPLE = 1000  # background vectors from earlier days: the calibration's reference, the learner's negatives



def closeness_of(day, listing: list[dict], reader: Interests, query: Query, embed: Callable[[list[str]], np.ndarray],
                 model: str) -> tuple[dict | None, dict]:
    """({(arxiv_id, version): Closeness} of the day's listings, what it was computed from); None when
    there is neither a profile nor feedback. Every profile problem is raised before any embedding."""
    has_profile = reader.described
    if not listing:  # no announcement: nothing to compare, and maybe no vector stored yet at all
        return ({} if has_profile else None), {}
    rated = query("feedback_vectors", profile=reader.profile, model=model)
    if not (has_profile or rated):
        return None, {}
    profile = []
    if has_profile:
        known = {r["arxiv_id"]: r for r in query("example_papers", arxiv_ids=list(reader.examples))}
        known.update({r["arxiv_id"]: r for r in listing if r["arxiv_id"] in reader.examples})
        profile = build_profile(list(reader.interests), list(reader.examples), reader.bibtex, known)
    stored = {(r["arxiv_id"], r["version"]): r["embedding"]
              for r in query("partition_embeddings", partition_date=day, model=model)}
    keys = [(r["arxiv_id"], r["version"]) for r in listing]
    missing = [k for k in keys if k not in stored]
    if missing:
        raise MissingVectors(f"{len(missing)} of the day's {len(keys)} listings have no {model} vector "
                             f"(first: {missing[0][0]}v{missing[0][1]}): materialise listing_embeddings for this day")
    vectors = _matrix([stored[k] for k in keys])
    history = _matrix([r["embedding"] for r in query(
        "background_vectors", model=model, partition_date=day, limit=HISTORY_SAMPLE)])
    background = np.vstack([m for m in (history, vectors) if len(m)])
    width = vectors.shape[1]
    profile_vectors = embed([item.text for item in profile]) if profile else np.zeros((0, width))
    best, closest = semantic_scores(vectors, profile_vectors)
    calibrated = calibrated_scores(vectors, profile_vectors, background) if profile else None
    liked = [r for r in rated if r["rating"] == "up"]
    disliked = [r for r in rated if r["rating"] == "down"]
    ranking = train(_matrix([r["embedding"] for r in liked], width), [r["title"] for r in liked],
                    _matrix([r["embedding"] for r in disliked], width), profile_vectors, background,
                    reader.learn_after) if rated else None
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


def preview_keep(day, reader: Interests, rules: FilterRules, keep: KeepRule, query: Query,
                 embed: Callable[[list[str]], np.ndarray], model: str, near: int = 5) -> KeepPreview:
    """The day's keep decision for `reader` (e.g. another wording of the interests), computed as the
    asset computes it, from the stored listings and vectors."""
    listing = query("partition_listings", partition_date=day)
    closeness, basis = closeness_of(day, listing, reader, query, embed, model)
    kept = filter_listings(listing, rules, closeness, keep)
    taken = {(r["arxiv_id"], r["version"]) for r in kept}
    missed = []
    for row in listing:
        c = (closeness or {}).get((row["arxiv_id"], row["version"]))
        if (row["arxiv_id"], row["version"]) in taken or c is None or c.similarity is None:
            continue
        missed.append({"arxiv_id": row["arxiv_id"], "version": row["version"], "title": row["title"],
                       "semantic_score": round(c.similarity, 4), "calibrated_score": rounded(c.calibrated),
                       "closest_interest": c.closest})
    missed.sort(key=lambda r: -(r["calibrated_score"] if r["calibrated_score"] is not None else r["semantic_score"]))
    return KeepPreview(len(listing), kept, missed[:near], basis)


def _matrix(rows: list, width: int = 0) -> np.ndarray:
    if not rows:
        return np.zeros((0, width), dtype=np.float32)
    return np.array(rows, dtype=np.float32).reshape(len(rows), -1)
