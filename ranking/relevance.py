"""Relevance beyond keywords: the user's interest profile, embedded, against each listing's vector.

A profile item is a free-text interest, an example paper (by arXiv id, from the history or the
day's listing) or a BibTeX entry. A listing's semantic score is its highest cosine similarity to
any item, and that item is "the closest"; its calibrated score is that closeness in the item's own
units (ranking/learning.py), which is what keeps a paper once the history is large enough. Once the
reader has given enough feedback, a learned score (ranking/learning.py) joins them. The combined
score that orders the report is

    combined = keyword score + semantic_weight x (learned score, or else max(semantic score, 0))

with the keyword score of `filtering.match_paper` (100 per watched author, 10 per keyword in the
title, 1 per distinct keyword) and semantic_weight 20 by default: a 0.5 similarity weighs as one
keyword in the title, so a watched author still comes first and, among keyword matches, the
paper closer to the profile comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arxiv_domain.bibtex import read_bibtex
from ranking.vectors import listing_text


class ProfileError(ValueError):
    """A profile entry cannot be used (an example id found nowhere); the message names it."""


@dataclass(frozen=True)
class ProfileItem:
    kind: str  # interest | example | bibtex
    label: str  # what the report shows as "closest"
    text: str  # what is embedded


def build_profile(interests: list[str], examples: list[str], bibtex: str,
                  known_papers: dict[str, dict]) -> list[ProfileItem]:
    """Items in configuration order. `known_papers` {arxiv_id: {title, abstract}} holds the examples
    found in the history or the day's listing; an example missing from it is an error naming it."""
    items = [ProfileItem("interest", text.strip(), text.strip()) for text in interests if text.strip()]
    missing = [e for e in examples if e.strip() not in known_papers]
    if missing:
        raise ProfileError(f"[relevance].examples: {', '.join(missing)} not in the history nor in this day's listing "
                           "(backfill a day that lists them, or describe the interest in [relevance].interests)")
    for arxiv_id in examples:
        paper = known_papers[arxiv_id.strip()]
        items.append(ProfileItem("example", f"{arxiv_id.strip()} {' '.join(paper['title'].split())}",
                                 listing_text(paper["title"], paper["abstract"])))
    if bibtex:
        for entry in read_bibtex(Path(bibtex).expanduser()):
            items.append(ProfileItem("bibtex", entry.title, listing_text(entry.title, entry.abstract)))
    return items


def semantic_scores(listing_vectors: np.ndarray, profile_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(best cosine per listing, index of the closest profile item); unit-length rows in."""
    if len(profile_vectors) == 0 or len(listing_vectors) == 0:
        return np.zeros(len(listing_vectors), dtype=np.float32), np.zeros(len(listing_vectors), dtype=np.int64)
    similarity = listing_vectors @ profile_vectors.T
    return similarity.max(axis=1), similarity.argmax(axis=1)


def combined_score(keyword_score: int, semantic: float | None, weight: float, learned: float | None = None) -> float:
    closeness = learned if learned is not None else max(semantic or 0.0, 0.0)
    return float(keyword_score) + weight * closeness


@dataclass(frozen=True)
class Closeness:
    """How close one listing is to what the reader wants, every measure the keep rule may use."""

    similarity: float | None = None  # best cosine to a profile item (None: no profile)
    closest: str | None = None  # that item's label
    calibrated: float | None = None  # best z-score over the items (None: history too small to calibrate)
    learned: float | None = None  # learned probability that it is wanted (None: too few labels yet)
    liked: str | None = None  # title of the liked paper nearest to it
    disliked_twin: bool = False  # (nearly) a paper the reader disliked: similarity alone never keeps it


@dataclass(frozen=True)
class KeepRule:
    """When closeness alone keeps a paper that no keyword or watched author matched, and the kept papers'
    order: by combined score, new papers before new versions of papers announced earlier unless
    `updates_last` is off."""

    threshold: float  # raw cosine, while there is no calibration
    calibrated_threshold: float
    learned_threshold: float
    semantic_weight: float
    updates_last: bool = True

    def kept_by(self, c: Closeness) -> set[str]:
        if c.disliked_twin:
            return set()
        by = set()
        if c.calibrated is not None:
            semantic = c.calibrated >= self.calibrated_threshold
        else:
            semantic = c.similarity is not None and c.similarity >= self.threshold
        if semantic:
            by.add("semantic")
        if c.learned is not None and c.learned >= self.learned_threshold:
            by.add("learned")
        return by
