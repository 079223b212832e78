"""Where a paper was accepted or published, read from arXiv's free-text `comment` and `journal_ref`.

Rules, in order (the first that applies wins):
1. `journal_ref` set: published there; the year is the last year it names.
2. The comment says so: "Accepted to/at/by/for (publication in) X", "To appear in/at X", "To be
   published in X", "Published at/in X", "Presented at X", "Camera-ready (version) for X",
   "In Proceedings of X": accepted (published for "Published"/"In Proceedings").
3. The comment *names* a conference, symposium, workshop or journal with a year and no other verb
   ("2021 IEEE International Conference on … (AITest)"): the venue, status "named".
"Submitted to", "under review at" and "extended version of" are not venues: nothing is returned.
The name is the venue's acronym when the text gives one ("(ICST 2025)" -> ICST), else the phrase
itself, cut at the end of its clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")
_SHORT_YEAR = re.compile(r"['’](\d{2})\b")
_NOT_A_VENUE = re.compile(r"\b(submitted|under review|under submission|in submission|extended version of|"
                          r"full version of|earlier version|previously circulated)\b", re.IGNORECASE)
_TRIGGERS = [
    ("published", re.compile(r"\b(?:published\s+(?:at|in|by)|in\s+proceedings\s+of|in\s+proc\.)\s+(?:the\s+)?",
                             re.IGNORECASE)),
    ("accepted", re.compile(r"\b(?:accepted(?:\s+for\s+publication)?(?:\s+(?:to|at|by|for|in|on))|"
                            r"to\s+appear\s+(?:in|at)|to\s+be\s+published\s+in:?|presented\s+at|"
                            r"camera[\s-]ready(?:\s+version)?\s+(?:for|of))\s+(?:the\s+)?", re.IGNORECASE)),
]
_NAMED = re.compile(r"\b(conference|symposium|workshop|journal|transactions|proceedings)\b", re.IGNORECASE)
# An acronym in brackets, optionally with its year: (ICST 2025), (ISSTA), (RET'16), (SBFT@ICSE 2024), (ICST) 2021
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9@\-]*?)(?:\s*['’]?\s*(\d{2}|\d{4}))?\s*\)")
# A leading acronym with a year: "CVPR 2026", "ICRA'26", "ICST2023"
_LEADING = re.compile(r"^([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9@\-]*?)\s*['’]?\s*(\d{4}|\d{2})\b")
_CLAUSE_END = re.compile(r"(?<!\bvs)(?<!\bet al)(?<!\bProc)(?<!\bInt)(?<!\bConf)\.\s+(?=[A-Z(\d])|;|\n| / | - |"
                         r",?\s+(?:January|February|March|April|May|June|July|August|September|October|November|"
                         r"December)\b")
_PAGES = re.compile(r"^(?:[^,;:]*?\b\d+\s*(?:pages?|figures?|tables?)\b[,;:.]?\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Venue:
    name: str  # ICST, or the phrase when no acronym is given
    year: int | None
    status: str  # published | accepted | named
    source: str  # journal_ref | comment
    text: str  # the phrase it was read from

    @property
    def label(self) -> str:
        return f"{self.name} {self.year}" if self.year and str(self.year) not in self.name else self.name


def _year(text: str, short: str | None = None) -> int | None:
    if short:
        return int(short) if len(short) == 4 else 2000 + int(short)
    years = _YEAR.findall(text)
    if years:
        return int(years[-1])
    found = _SHORT_YEAR.search(text)
    return 2000 + int(found.group(1)) if found else None


def _clause(text: str) -> str:
    return _CLAUSE_END.split(text, maxsplit=1)[0].strip(" ,.:\"'“”")


def _name(phrase: str) -> tuple[str, int | None]:
    leading = _LEADING.match(phrase)
    if leading:
        return leading.group(1), _year(phrase, leading.group(2))
    acronym = _ACRONYM.search(phrase)
    if acronym:
        return acronym.group(1), _year(phrase, acronym.group(2))
    name = re.sub(r"\s+", " ", phrase)
    return (name[:117] + "…" if len(name) > 118 else name), _year(phrase)


def parse_venue(comment: str | None, journal_ref: str | None) -> Venue | None:
    if journal_ref and journal_ref.strip():
        ref = " ".join(journal_ref.split())
        name, year = _name(ref)
        return Venue(name, year, "published", "journal_ref", ref)
    if not comment or not comment.strip():
        return None
    text = " ".join(comment.split())
    for status, trigger in _TRIGGERS:
        found = trigger.search(text)
        if found:
            before = text[max(0, found.start() - 40):found.start()]
            if _NOT_A_VENUE.search(before):
                continue
            phrase = _clause(text[found.end():])
            if phrase:
                name, year = _name(phrase)
                if year is None:  # the date often follows the name after a comma ("…, July 11-17, 2021")
                    year = _year(text[found.end():found.end() + len(phrase) + 40])
                return Venue(name, year, status, "comment", phrase)
    if _NOT_A_VENUE.search(text):
        return None
    for part in re.split(r"(?<=[.;])\s+", text):
        clause = _clause(_PAGES.sub("", part))
        dated = _YEAR.search(clause) or _LEADING.match(clause) or any(a.group(2) for a in _ACRONYM.finditer(clause))
        if clause and _NAMED.search(clause) and dated:
            name, year = _name(clause)
            return Venue(name, year, "named", "comment", clause)
    return None
