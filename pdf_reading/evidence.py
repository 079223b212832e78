"""The paper's own key sentences, quoted verbatim with the section they come from, without any model.

Three kinds, found by cue phrases in the sections where papers state them:
- contribution: "we propose / introduce / present …", "our contributions are", "this paper …";
- result: a sentence with a figure (a %, a ×, a decimal, a score) and a result verb, in the abstract,
  the experiments, the results or the conclusion;
- limitation: "limitation", "future work", "fails to", "does not …", in the conclusion, the discussion
  or a limitations section.
A paper whose full text was not read gets its evidence from the abstract alone. Rules rather than an
extractive summariser (TextRank, LexRank): they say *why* a sentence was picked, and a sentence is
picked only when it states the thing it is shown as (bench `evidence` measures both on the real PDFs).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

KINDS = ("contribution", "result", "limitation")
PER_KIND = 2
MAX_CHARS = 400  # a quote longer than this is not a key sentence but a paragraph the splitter missed
MIN_WORDS = 6

# Where each kind is looked for, best first ("abstract" is the listing's abstract).
WHERE = {
    "contribution": ("abstract", "introduction", "conclusion", "front"),
    "result": ("abstract", "results", "experiments", "conclusion"),
    "limitation": ("conclusion", "results", "other", "experiments", "introduction"),
}
_CUES = {
    "contribution": re.compile(
        r"\b(?:we|this (?:paper|work|article|study)|our (?:work|paper|approach|method))\s+"
        r"(?:also\s+|further\s+|first\s+)?(?:propose|introduce|present|develop|design|contribute|describe|formulate|"
        r"show|demonstrate|release|build|construct)s?\b|\bour (?:main |key )?contributions?\b"
        r"|\bwe make the following\b",
        re.IGNORECASE),
    "result": re.compile(
        r"\b(?:achiev|outperform|improv|surpass|reach|obtain|attain|reduc|increas|exceed|establish|beat|"
        r"yield|boost|gain)\w*\b|\bsets? a new\b", re.IGNORECASE),
    "limitation": re.compile(
        r"\blimitations?\b|\bfuture (?:work|research|direction)|\bfails? to\b|\bdoes not (?:yet )?(?:handle|scale|"
        r"support|generalize|generalise|address|capture)|\bremains? (?:an open|challenging|limited|unclear)|"
        r"\bleave\w* (?:for|to) future\b|\bis limited (?:to|by)\b|\bshortcoming", re.IGNORECASE),
}
# A figure: a percentage, a multiplier, a decimal, or a number next to a score word.
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s?(?:%|×|x\b|points?\b|pp\b)|\b\d+\.\d+\b|\b(?:BLEU|F1|mIoU|AUC|accuracy|"
                     r"top-1|IoU|FID|MAE|RMSE|MSE|success rate)\b[^.]{0,40}\d", re.IGNORECASE)
# Sentence ends: ". " / "? " / "! " before a capital or a digit, not after common abbreviations.
_SPLIT = re.compile(r"(?<!\b[A-Za-z]\.)(?<!\bet al\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bFig\.)"
                    r"(?<!\bEq\.)(?<!\bSec\.)(?<!\bNo\.)(?<=[.!?])\s+(?=[A-Z0-9“\"(])")


@dataclass(frozen=True)
class Evidence:
    kind: str  # contribution | result | limitation
    section: str  # the section's own heading, or "Abstract"
    text: str  # verbatim from the paper (whitespace folded)

    def as_row(self) -> dict:
        return asdict(self)


def sentences(text: str) -> list[str]:
    """The text's sentences, whitespace folded; a hyphen broken across lines is kept as the PDF has it."""
    folded = re.sub(r"\s+", " ", text or "").strip()
    return [s.strip() for s in _SPLIT.split(folded) if s.strip()]


def usable(sentence: str) -> bool:
    """A whole sentence of prose: not a table row run together (mostly numbers), not cut at its start."""
    words = sentence.split()
    numeric = sum(bool(re.fullmatch(r"[\d.,±%()+\-–]+", w)) for w in words)
    return (len(words) >= MIN_WORDS and len(sentence) <= MAX_CHARS and sentence[-1] in ".!?"
            and re.match(r"[A-Z“\"]", sentence) is not None and numeric <= len(words) * 0.2
            and not re.search(r"https?://|@", sentence))


def matches(kind: str, sentence: str) -> bool:
    """Whether `sentence` states a `kind` (its cue, and for a result a figure)."""
    if not _CUES[kind].search(sentence):
        return False
    return kind != "result" or bool(_FIGURE.search(sentence))


def extract_evidence(abstract: str, sections: list[dict] | None = None, per_kind: int = PER_KIND) -> list[Evidence]:
    """Up to `per_kind` quotes of each kind, from the abstract and the full text's sections
    ({title, kind, text}, as paper_fulltext stores them); the same sentence is never quoted twice."""
    places: list[tuple[str, str, str]] = [("abstract", "Abstract", abstract or "")]
    for section in sections or []:
        if section.get("kind") in ("references", "appendix", "related_work", "abstract"):
            continue  # others' work, supplementary material, or the abstract again
        places.append((section.get("kind") or "other", section.get("title") or "", section.get("text") or ""))
    # Each place's usable sentences, split once (every kind looks through them).
    whole = [(kind, title, [x for x in sentences(text) if usable(x)]) for kind, title, text in places]
    found: list[Evidence] = []
    seen: set[str] = set()
    for kind in KINDS:
        picked = 0
        for where in WHERE[kind]:
            for place_kind, title, found_in in whole:
                if place_kind != where:
                    continue
                for sentence in found_in:
                    if picked < per_kind and sentence.lower() not in seen and matches(kind, sentence):
                        seen.add(sentence.lower())
                        found.append(Evidence(kind, title or where.replace("_", " ").title(), sentence))
                        picked += 1
    return found
