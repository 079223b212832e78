"""A statement of an analysis against the passages of the paper it rests on: plain functions, no model.

A statement is shown only when it stands on its sources: it has at least one; every name and number in
it occurs in them (not merely somewhere in the paper); a quantity its sources qualify keeps the
direction of the comparison ("less than a second" is not "几秒钟", "up to 2.55x" is not "2.55x"); and a
change its sources state keeps its direction ("reduce memory" is not "需要更多的内存"). The words of a
comparison and of a change, in the paper and in each report language, are in comparisons.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from llm_analysis.gates import MIN_WORDS, each_fact_once, invented, joined, sentences, size

COMPARISONS = Path(__file__).resolve().parent / "comparisons.toml"
_QUANTITY = r"(?P<amount>an?|one|\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<unit>[A-Za-z]+|×|%)?"


@dataclass(frozen=True)
class Comparison:
    """A qualified quantity in a source: its direction (below, above, up_to), amount and unit."""

    direction: str
    amount: str  # "1" for "a second"
    unit: str | None
    said: str  # as the source says it


@cache
def comparison_words() -> dict:
    return tomllib.loads(COMPARISONS.read_text(encoding="utf-8"))


@cache
def comparison_patterns() -> dict[str, re.Pattern]:
    """{direction: the pattern of its phrases followed by a quantity}, compiled once."""
    return {direction: re.compile(rf"\b(?:{'|'.join(map(re.escape, phrases))})\s+{_QUANTITY}", re.IGNORECASE)
            for direction, phrases in comparison_words()["source"].items()}


def comparisons_in(source: str) -> list[Comparison]:
    """Every "less than a second", "up to 2.55x", "at least 3 runs" in `source`."""
    found = []
    for direction, pattern in comparison_patterns().items():
        for match in pattern.finditer(source or ""):
            amount = match.group("amount").lower().replace(",", "")
            unit = (match.group("unit") or "").lower().removesuffix("s") or None
            found.append(Comparison(direction, "1" if amount in ("a", "an", "one") else amount,
                                    "x" if unit in ("×", "time") else unit, match.group(0)))
    return found


def mentions(statement: str, comparison: Comparison, language: str) -> bool:
    """Whether `statement` states the quantity of `comparison`: its amount (a figure other than 1), or,
    for "a second"-like amounts, the unit in the statement's language (a Latin unit as a whole word:
    "day" is not in "today")."""
    if comparison.amount != "1":
        return re.search(rf"(?<![\d.]){re.escape(comparison.amount)}(?![\d])", statement) is not None
    units = comparison_words()["units"].get(comparison.unit or "", {}).get(language, [])
    return any(re.search(rf"(?<![a-z]){re.escape(u)}s?(?![a-z])", statement.lower()) for u in units)


def turned(statement: str, comparisons: list[Comparison], language: str) -> list[str]:
    """The comparisons (of the statement's sources, `comparisons_in`) whose quantity `statement` states
    without a word of the same direction."""
    markers = comparison_words()[language]
    lowered = statement.lower()
    return [c.said for c in comparisons
            if mentions(statement, c, language) and not any(m in lowered for m in markers[c.direction])]


CHANGE_WINDOW = 6  # words between a change and what changes ("reduce memory size and accesses")


def changes_in(source: str) -> dict[str, set[str]]:
    """{what changes: the directions the source states for it} ("reduce memory" → {"memory": {"less"}})."""
    words, found = re.findall(r"[a-z]+", (source or "").lower()), {}
    change, things = comparison_words()["change"]["source"], comparison_words()["things"]
    for i, word in enumerate(words):
        for direction, verbs in change.items():
            if word in verbs:
                near = words[i + 1:i + 1 + CHANGE_WINDOW]
                for thing, names in things.items():
                    if set(names["source"]) & set(near):
                        found.setdefault(thing, set()).add(direction)
    return found


def changes_turned(statement: str, sources: list[str], language: str) -> list[str]:
    """What the sources say changes one way only and `statement` says changes the other way: a word of the
    other direction before the thing within a few characters ("需要更多的计算资源和内存访问" for "reduce
    memory"), none of the same direction."""
    words = comparison_words()
    stated: dict[str, set[str]] = {}
    for source in sources:
        for thing, directions in changes_in(source).items():
            stated.setdefault(thing, set()).update(directions)
    lowered, turned_things = statement.lower(), []
    for thing, directions in stated.items():
        if len(directions) != 1:
            continue  # the sources state both: nothing to hold the statement to
        (direction,) = directions
        other = "more" if direction == "less" else "less"
        for name in words["things"][thing][language]:
            for at in (m.start() for m in re.finditer(re.escape(name), lowered)):
                before = lowered[max(0, at - 12):at]
                if any(w in before for w in words["change"][language][other]) and not any(
                        w in before for w in words["change"][language][direction]):
                    turned_things.append(thing)
    return sorted(set(turned_things))


def problems(statement: str, sources: list[str], language: str) -> list[str]:
    """Why `statement` may not be shown on `sources` (empty: it stands on them)."""
    if not sources:
        return ["no source"]
    found = [f"not in its sources: {item}" for item in invented(statement, "\n".join(sources))]
    comparisons = [c for source in sources for c in comparisons_in(source)]
    found += [f"comparison turned around: {said!r}" for said in turned(statement, comparisons, language)]
    found += [f"change turned around: {thing}" for thing in changes_turned(statement, sources, language)]
    return found


def comparisons_kept(text: str, source: str, language: str) -> tuple[str, int]:
    """`text` without its sentences that turn a comparison of `source` around; and how many that left out."""
    comparisons = comparisons_in(source)
    kept = [s for s in sentences(text) if not turned(s, comparisons, language)]
    return joined(kept, text), len(sentences(text)) - len(kept)


def checked_section(text: str, earlier: list[str], source: str, language: str, restated: str,
                    distorted: str) -> str:
    """A section's accepted answer as shown: without what earlier sections said (gates.each_fact_once) and
    without a sentence turning a comparison of the text it was written from around; when that leaves
    too little to say anything, the sentence saying why the section is left out."""
    kept, dropped = comparisons_kept(text, source, language)
    if dropped and size(kept) < MIN_WORDS[language]:
        return distorted
    return each_fact_once(kept, earlier, language, restated)
