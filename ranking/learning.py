"""Relevance a reader can teach: a classifier on the stored embeddings, and a semantic score that does not
depend on how an interest happens to be worded.

Learned score (arxiv-sanity's recipe, on our vectors): a linear classifier (scikit-learn's logistic
regression, classes balanced) with the papers the reader liked plus the profile's example and BibTeX
papers as positives, and the papers they disliked plus a sample of the history as negatives. Its
probability that a listing is wanted is the learned score; it exists once the profile has `learn_after`
labels, at least one positive.

Calibrated semantic score: a raw cosine depends on the wording (a long precise interest scores everything
lower than a short one). Each profile item's cosines over a background of listings (the history's sample
and the day's) give its own mean and spread; a listing's calibrated score is its best z-score over the
items: how unusually close it is to that interest, in that interest's own units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_BACKGROUND = 30  # fewer background listings than this: the spread is noise, the raw cosine decides
NEAR_DUPLICATE = 0.95  # a listing this close to a disliked paper is that paper again (a new version, a twin)


def calibrated_scores(listing: np.ndarray, profile: np.ndarray, background: np.ndarray) -> np.ndarray | None:
    """Best z-score per listing over the profile items (unit rows in); None when the background is too small."""
    if len(background) < MIN_BACKGROUND or len(profile) == 0:
        return None
    reference = background @ profile.T
    mean, spread = reference.mean(axis=0), reference.std(axis=0)
    spread = np.where(spread < 1e-6, 1e-6, spread)
    return ((listing @ profile.T - mean) / spread).max(axis=1) if len(listing) else np.zeros(0)


@dataclass
class LearnedRanking:
    """A trained classifier, and the labelled papers it came from (to say why, and to drop twins)."""

    classifier: object
    liked_titles: list[str]
    liked: np.ndarray
    disliked: np.ndarray
    labels: int = 0
    negatives: int = 0
    trained_on: dict = field(default_factory=dict)

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Probability that each listing is one the reader wants."""
        if len(vectors) == 0:
            return np.zeros(0)
        return self.classifier.predict_proba(vectors)[:, 1]

    def closest_liked(self, vectors: np.ndarray) -> list[str | None]:
        """Title of the liked paper nearest to each listing (None: nothing liked)."""
        if len(self.liked) == 0:
            return [None] * len(vectors)
        return [self.liked_titles[i] for i in (vectors @ self.liked.T).argmax(axis=1)]

    def near_disliked(self, vectors: np.ndarray) -> np.ndarray:
        """True where a listing is (nearly) a paper the reader disliked."""
        if len(self.disliked) == 0 or len(vectors) == 0:
            return np.zeros(len(vectors), dtype=bool)
        return (vectors @ self.disliked.T).max(axis=1) >= NEAR_DUPLICATE


def train(liked: np.ndarray, liked_titles: list[str], disliked: np.ndarray, examples: np.ndarray,
          background: np.ndarray, learn_after: int) -> LearnedRanking | None:
    """The classifier, or None while the profile has fewer than `learn_after` labels (likes, dislikes,
    examples) or no positive at all: the interests alone decide then."""
    from sklearn.linear_model import LogisticRegression

    positives = np.vstack([m for m in (liked, examples) if len(m)]) if len(liked) + len(examples) else np.zeros((0, 0))
    labels = len(liked) + len(disliked) + len(examples)
    if len(positives) == 0 or labels < max(learn_after, 1):
        return None
    negatives = [m for m in (disliked, _without(background, positives)) if len(m)]
    if not negatives:
        return None
    negative = np.vstack(negatives)
    x = np.vstack([positives, negative]).astype(np.float64)
    y = np.r_[np.ones(len(positives)), np.zeros(len(negative))]
    classifier = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(x, y)
    return LearnedRanking(classifier, liked_titles, liked, disliked, labels=labels, negatives=len(negative),
                          trained_on={"liked": len(liked), "disliked": len(disliked), "examples": len(examples),
                                      "background": len(negative) - len(disliked)})


def _without(background: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """The background minus the positives themselves (a liked paper is also in the history)."""
    if len(background) == 0 or len(positives) == 0:
        return background
    return background[(background @ positives.T).max(axis=1) < 0.999]
