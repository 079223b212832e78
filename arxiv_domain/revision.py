"""What a new version of a paper changed against the version already stored, and whether it matters.

The rule: a revision is **major** when its title changed, when at least MAJOR_ABSTRACT_SHARE of its
abstract's words changed, or when its page count (from the comments, "12 pages") moved by at least
MAJOR_PAGE_SHARE and by two pages or more; otherwise it is **minor** (a typo, a reference, a new venue
in the comments: the paper says the same), and its stored analysis still describes it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from arxiv_domain.venue import parse_venue

MAJOR_ABSTRACT_SHARE = 0.10
MAJOR_PAGE_SHARE = 0.20
_PAGES = re.compile(r"(\d+)\s*(?:pages|pp\.)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")


@dataclass(frozen=True)
class Revision:
    from_version: int
    to_version: int
    kind: str  # minor | major
    title_changed: bool
    abstract_changed: float  # share of the abstract's words changed, 0..1
    new_sentences: list[str] = field(default_factory=list)  # sentences of the new abstract not in the old one
    venue_added: str | None = None  # a venue the new comments / journal-ref name and the old did not
    pages: tuple[int | None, int | None] = (None, None)
    reasons: list[str] = field(default_factory=list)  # what made it major (empty: minor)

    def as_row(self) -> dict:
        return {"from_version": self.from_version, "to_version": self.to_version, "kind": self.kind,
                "title_changed": self.title_changed, "abstract_changed": self.abstract_changed,
                "new_sentences": self.new_sentences, "venue_added": self.venue_added,
                "pages_before": self.pages[0], "pages_after": self.pages[1], "reasons": self.reasons}


def _words(text: str | None) -> list[str]:
    return " ".join((text or "").split()).split(" ") if (text or "").strip() else []


def _pages(comment: str | None) -> int | None:
    found = _PAGES.search(comment or "")
    return int(found.group(1)) if found else None


def compare(old: dict, new: dict) -> Revision:
    """`old`, `new`: {version, title, abstract, comment, journal_ref} of two versions of one paper."""
    title_changed = " ".join(_words(old["title"])).casefold() != " ".join(_words(new["title"])).casefold()
    before, after = _words(old["abstract"]), _words(new["abstract"])
    changed = round(1 - difflib.SequenceMatcher(None, before, after, autojunk=False).ratio(), 3)
    old_sentences = {" ".join(s.split()) for s in _SENTENCE.split(old["abstract"] or "")}
    fresh = [" ".join(s.split()) for s in _SENTENCE.split(new["abstract"] or "")
             if " ".join(s.split()) not in old_sentences and s.strip()]
    venue_before = parse_venue(old.get("comment"), old.get("journal_ref"))
    venue_after = parse_venue(new.get("comment"), new.get("journal_ref"))
    venue_added = venue_after.label if venue_after and (not venue_before or venue_before.label != venue_after.label) \
        else None
    pages = (_pages(old.get("comment")), _pages(new.get("comment")))
    reasons = []
    if title_changed:
        reasons.append("title")
    if changed >= MAJOR_ABSTRACT_SHARE:
        reasons.append("abstract")
    if None not in pages and abs(pages[1] - pages[0]) >= max(2, MAJOR_PAGE_SHARE * pages[0]):
        reasons.append("pages")
    return Revision(old["version"], new["version"], "major" if reasons else "minor", title_changed, changed,
                    fresh[:3], venue_added, pages, reasons)
