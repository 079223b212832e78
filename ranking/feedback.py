"""What a reader tells the monitor about a paper: 👍 / 👎, saved to the reading list, read.

Signals are appended to the `feedback` table (sql/schema/feedback.sql) by the command line, the served
site and the digest's links, and never rewritten; `feedback_state` (a view) adds them up per paper.
"""

from __future__ import annotations

import re

from arxiv_domain.ids import ARXIV_ID

SIGNALS = ("up", "down", "unrate", "save", "unsave", "read", "clear")
SOURCES = ("cli", "site", "email")
_VERSION = re.compile(r"v\d+$")


class FeedbackError(ValueError):
    """A signal that cannot be stored (unknown paper or signal); the message names what is wrong."""


def paper_id(text: str) -> str:
    """`2512.20014`, `2512.20014v2`, `arXiv:2512.20014` or an abs URL -> `2512.20014`; anything else is an error."""
    candidate = (text or "").strip()
    candidate = candidate.rsplit("/abs/", 1)[-1].removeprefix("arXiv:").removeprefix("arxiv:")
    candidate = _VERSION.sub("", candidate)
    if not ARXIV_ID.match(candidate):
        raise FeedbackError(f"{text!r} is not an arXiv id (e.g. 2512.20014 or hep-th/9901001)")
    return candidate


def check_signal(signal: str) -> str:
    if signal not in SIGNALS:
        raise FeedbackError(f"unknown signal {signal!r}: one of {', '.join(SIGNALS)}")
    return signal


def record(warehouse, profile: str, arxiv_id: str, signal: str, source: str) -> dict:
    """Append one signal for a paper of the history; returns the paper's state after it."""
    arxiv_id = paper_id(arxiv_id)
    check_signal(signal)
    if source not in SOURCES:
        raise FeedbackError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    if not warehouse.query_rows("paper_title", arxiv_id=arxiv_id):
        raise FeedbackError(f"{arxiv_id} is not in the history (no stored day lists it): run the day that "
                            "announced it first")
    warehouse.append("feedback", profile=profile, arxiv_id=arxiv_id, signal=signal, source=source)
    return states(warehouse, profile, arxiv_id).get(arxiv_id, {"arxiv_id": arxiv_id, "rating": None, "saved": False,
                                                               "read": False})


def states(warehouse, profile: str, arxiv_id: str = "") -> dict[str, dict]:
    """{arxiv_id: {rating, saved, read, changed_at, title}} of every paper the profile said something about
    (of that one paper only, given `arxiv_id`)."""
    return {r["arxiv_id"]: r for r in warehouse.query_rows("feedback_state", profile=profile, arxiv_id=arxiv_id)}
