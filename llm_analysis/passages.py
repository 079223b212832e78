"""The paper's own sentences each section of an analysis can rest on, chosen before the model is asked:
a statement written from them has its sources known by construction, and can be checked against them
(llm_analysis/claims.py) and shown beside them.

Each section looks where papers say that thing — the motivation in the introduction, the method in the
method sections, the experiments in the experiments and results — and falls back to the abstract when
the full text was not read or has no such part. Within a place, sentences that state the thing (its cue
words) come first, then the others in the paper's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pdf_reading.evidence import matches, sentences, usable

PER_SECTION = 6

# Where each section of the analysis is looked for, best first ("abstract": the listing's abstract).
WHERE = {
    "summary": ("abstract",),
    "motivation": ("introduction", "abstract"),
    "contributions": ("abstract", "introduction", "conclusion"),
    "method": ("method", "abstract"),
    "experiments": ("experiments", "results", "abstract"),
}
_CUES = {
    "motivation": re.compile(r"\b(?:however|challeng\w*|limit\w*|lack\w*|difficult\w*|requires?|problem\w*|existing|"
                             r"despite|costly|expensive|bottleneck|suffer\w*|need\w*)\b", re.IGNORECASE),
    "method": re.compile(r"\b(?:consists?|architecture|module|layer|loss|network|train\w*|encoder|decoder|"
                         r"we (?:use|apply|compute|define|design|build))\b", re.IGNORECASE),
    "experiments": re.compile(r"\b(?:dataset|benchmark|evaluat\w*|experiment\w*|baseline|metric|accuracy|"
                              r"compared?)\b", re.IGNORECASE),
}


@dataclass(frozen=True)
class Passage:
    section: str  # the section's own heading, or "Abstract"
    text: str  # verbatim from the paper (whitespace folded)


def states(question: str, sentence: str) -> bool:
    if question == "contributions":
        return matches("contribution", sentence)
    if question == "experiments" and matches("result", sentence):
        return True
    return question in _CUES and _CUES[question].search(sentence) is not None


def passages_for(question: str, abstract: str, sections: list[dict] | None = None,
                 per_section: int = PER_SECTION) -> list[Passage]:
    """Up to `per_section` sentences of the paper for one section of the analysis, from the first place of
    WHERE[question] that has any (`sections`: {title, kind, text} as paper_fulltext stores them)."""
    places = {"abstract": [("Abstract", abstract or "")]}
    for section in sections or []:
        if section.get("kind") != "abstract":
            places.setdefault(section.get("kind") or "other", []).append(
                (section.get("title") or "", section.get("text") or ""))
    for where in WHERE[question]:
        found = [Passage(title or where.title(), s) for title, text in places.get(where, [])
                 for s in sentences(text) if usable(s)]
        if found:
            found.sort(key=lambda p: not states(question, p.text))  # stable: the paper's order otherwise
            return found[:per_section]
    return []
