"""What an answer of the model is: its fields, its outcome, the complete sentences it may keep, and the
paper's text made inert before it is put in a prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llm_analysis.gates import Quality

ANALYSIS_FIELDS = ("tldr", "summary", "motivation", "contributions", "method", "experiments")
# A full stop right after a digit is not taken for a sentence end: in a cut answer it is a decimal point whose
# digits never came ("平均 8." of "平均 8.0%").
_SENTENCE_MARK = r"(?:[。！？!?]|(?<!\d)\.)"
_SENTENCE_END = re.compile(rf"(?:{_SENTENCE_MARK}|[…」』”\"')）)\]])\s*$")


def complete_sentences(text: str) -> str:
    """The text up to its last complete sentence; a field with none is rejected. This is what
    keeps an analysis from ending mid-sentence when the model or a length limit stops early."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if not text:
        raise ValueError("empty")
    if _SENTENCE_END.search(text):
        return text
    cut = max((m.start() for m in re.finditer(_SENTENCE_MARK, text)), default=-1)
    if cut < len(text) * 0.3:  # keeping less than a third would be a different, shorter answer
        raise ValueError(f"ends mid-sentence: …{text[-40:]!r}")
    return text[: cut + 1]


_PAPER_TAG = re.compile(r"<(/?\s*paper\s*)>", re.IGNORECASE)


def inert(text: str) -> str:
    """Untrusted text cannot close the <paper> block and speak as the prompt: its tags are defused."""
    return _PAPER_TAG.sub(r"‹\1›", text or "")


# ---------------------------------------------------------------- fitting the context

def estimate_tokens(text: str) -> int:
    """Conservative estimate when the server cannot count: ~3 characters a token for English."""
    return len(text) // 3 + 1


@dataclass
class FittedText:
    body: str
    basis: str  # fulltext | fulltext_trimmed | abstract
    dropped: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- citations


# ---------------------------------------------------------------- requests


@dataclass
class AnalysisOutcome:
    status: str  # ok | rejected (junk by a quality gate, after one repair) | failed
    analysis: dict | None
    error: str | None
    tokens_in: int
    tokens_out: int
    latency_seconds: float
    finish_reason: str | None
    raw_output: str | None
    attempts: int
    retryable: bool = False  # failed for a passing reason: a later run should ask again
    quality: Quality | None = None
    served_by: str | None = None  # the base URL of the server that answered


