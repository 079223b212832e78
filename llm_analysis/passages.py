"""The paper's own sentences each section of an analysis is written from, chosen before the model is asked:
a statement written from them has its sources known by construction, and is checked against them
(llm_analysis/claims.py) and shown beside them.

Each section looks where papers say that thing — the motivation in the introduction, the method in the
method sections, the experiments in the experiments and results — and falls back to the abstract when
the full text was not read or has no such part. Within a place, sentences that state the thing (its cue
words) come first, then the others in the paper's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llm_analysis.answers import inert
from pdf_reading.evidence import matches, sentences, usable

PER_SECTION = 6
ABSTRACT = "Abstract"  # the section a sentence of the listing's abstract is cited from
# The overview reads the whole abstract (most have fewer sentences than this).
PER_QUESTION = {"summary": 12}
MIN_ABSTRACT_WORDS = 4

# Where each section of the analysis is looked for, best first ("abstract": the listing's abstract).
WHERE = {
    "summary": ("abstract",),
    "motivation": ("introduction", "abstract"),
    "contributions": ("abstract", "introduction", "conclusion"),
    "method": ("method", "abstract"),
    "experiments": ("experiments", "results", "abstract"),
}
# Questions written from another's passages: the one-line summary and the keywords from the overview's.
SAME_PASSAGES = {"tldr": "summary", "keywords": "summary"}
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

    def as_row(self) -> dict:
        return {"section": self.section, "text": self.text}


def heading_words(section: str) -> str:
    """A heading without its number ("4 Experiments" → "Experiments"): a model reads "(4 Experiments)" as
    "in 4 experiments"."""
    return re.sub(r"^[\dIVX]+(?:\.\d+)*\.?\s+", "", section) or section


def states(question: str, sentence: str) -> bool:
    if question == "contributions":
        return matches("contribution", sentence)
    if question == "experiments" and matches("result", sentence):
        return True
    return question in _CUES and _CUES[question].search(sentence) is not None


def _abstract_sentence(sentence: str) -> bool:
    """The abstract is the listing's clean prose: any sentence of a few words (a formula or a cut start
    does not make it a table row)."""
    return len(sentence.split()) >= MIN_ABSTRACT_WORDS and not re.search(r"https?://|@", sentence)


def passages_for(question: str, abstract: str, sections: list[dict] | None = None,
                 per_section: int | None = None) -> list[Passage]:
    """Up to `per_section` sentences of the paper for one section of the analysis, from the first place of
    WHERE[question] that has any (`sections`: {title, kind, text} as paper_fulltext stores them)."""
    limit = per_section or PER_QUESTION.get(question, PER_SECTION)
    places = {"abstract": [(ABSTRACT, abstract or "")]}
    for section in sections or []:
        if section.get("kind") != "abstract":
            places.setdefault(section.get("kind") or "other", []).append(
                (section.get("title") or "", section.get("text") or ""))
    for where in WHERE[question]:
        keep = _abstract_sentence if where == "abstract" else usable
        found = [Passage(title or where.title(), s) for title, text in places.get(where, [])
                 for s in sentences(text) if keep(s)]
        if found:
            found.sort(key=lambda p: not states(question, p.text))  # stable: the paper's order otherwise
            return found[:limit]
    return []


def passages_of_paper(abstract: str, sections: list[dict] | None = None) -> dict[str, list[Passage]]:
    """{section of the analysis: its passages} for every section WHERE names."""
    return {question: passages_for(question, abstract, sections) for question in WHERE}


def read_kinds() -> set[str]:
    """The kinds of a paper's sections any section of the analysis is written from."""
    return {where for places in WHERE.values() for where in places}


@dataclass
class SectionRequest:
    key: str
    header: str  # the paper's title and authors, as the model reads them before the passages
    passages: dict[str, list[Passage]]  # {section of the analysis: the paper's sentences it is written from}
    abstract: str
    language: str
    logit_bias: dict = field(default_factory=dict)  # {token id: bias} for this paper's questions only

    def passages_of(self, question: str) -> list[Passage]:
        return self.passages.get(SAME_PASSAGES.get(question, question)) or []

    def from_full_text(self, question: str) -> list[Passage]:
        """The question's own sentences beyond the abstract: the full text's, where it was read."""
        return [p for p in self.passages_of(question) if p.section != ABSTRACT]

    def read_for(self, question: str) -> list[Passage]:
        """Every sentence the model reads for `question`, in the order it reads them: the abstract (the same for
        every question, so the server evaluates it once), then the full text's sentences for the question."""
        return [*self.passages.get("summary", []), *self.from_full_text(question)]

    def cited_by_default(self, question: str) -> list[Passage]:
        """What a statement naming nothing particular cites: the sentences chosen for its question (claims.cited
        cites them only when they are few enough to check)."""
        return self.from_full_text(question) or self.passages_of(question)

    def block(self, question: str) -> str:
        """What the model reads for `question`, inside <paper>: the header, the abstract's sentences, the full
        text's sentences for the question, numbered on."""
        abstract = self.passages.get("summary", [])
        lines = [self.header, "", "Abstract:", *(f"[{n}] {inert(p.text)}" for n, p in enumerate(abstract, 1))]
        more = self.from_full_text(question)
        if more:
            lines += ["", "From the paper:", *(f"[{n}] ({inert(heading_words(p.section))}) {inert(p.text)}"
                                               for n, p in enumerate(more, len(abstract) + 1))]
        return "<paper>\n" + "\n".join(lines) + "\n</paper>"

    def source(self, question: str) -> str:
        """Exactly what the model reads for `question`: its names and numbers are checked against it."""
        return "\n".join([self.header, *(p.text for p in self.read_for(question))])

    @property
    def source_text(self) -> str:
        """Everything the model read for this paper."""
        seen = dict.fromkeys(p.text for passages in self.passages.values() for p in passages)
        return "\n".join([self.header, *seen])


def paper_header(paper: dict) -> str:
    return f"Title: {inert(paper['title'])}\nAuthors: {inert(', '.join(paper.get('authors') or []))}"
