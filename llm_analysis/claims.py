"""A statement of an analysis against the passages of the paper it rests on: plain functions, no model.

A statement is shown only when it stands on its sources: it has at least one; every name and number in
it occurs in them (not merely somewhere in the paper); a quantity its sources qualify keeps the
direction of the comparison ("less than a second" is not "几秒钟", "up to 2.55x" is not "2.55x"); and a
change its sources state keeps its direction ("reduce memory" is not "需要更多的内存"); and what they only expect
stays expected ("is expected to improve power-efficiency" is not "提高了功率效率"); a claim to be better
("优于") or absolute ("任何") rests on a sentence saying as much. The words of a comparison, a
change and a hedge, in the paper and in each report language, are in comparisons.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from llm_analysis.gates import (
    invented,
    named_terms,
    restates,
    result_figures,
    said_before,
    sentence_grams,
    sentences,
)
from llm_analysis.passages import PER_SECTION, Passage

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


@cache
def _word(word: str, suffix: str = "") -> re.Pattern:
    """`word` (lower case) as a whole word, with `suffix` (a pattern: its endings); a CJK word is matched anywhere,
    having no word boundaries."""
    return re.compile(rf"(?<![a-z]){re.escape(word)}{suffix}(?![a-z])" if re.match(r"[a-z]", word)
                      else re.escape(word))


def _said(word: str, lowered: str, suffix: str = "") -> bool:
    return _word(word, suffix).search(lowered) is not None


def mentions(statement: str, comparison: Comparison, language: str) -> bool:
    """Whether `statement` states the quantity of `comparison`: its amount (a figure other than 1), or,
    for "a second"-like amounts, the unit in the statement's language (a Latin unit as a whole word:
    "day" is not in "today")."""
    if comparison.amount != "1":
        return re.search(rf"(?<![\d.]){re.escape(comparison.amount)}(?![\d])", statement) is not None
    units = comparison_words()["units"].get(comparison.unit or "", {}).get(language, [])
    return any(_said(u, statement.lower(), "s?") for u in units)


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


def changes_turned(statement: str, stated: dict[str, set[str]], language: str) -> list[str]:
    """What the sources say changes one way only (`stated`: changes_in of each, merged) and `statement` says
    changes the other way: a word of the other direction before the thing within a few characters
    ("需要更多的计算资源和内存访问" for "reduce memory"), none of the same direction."""
    words = comparison_words()
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


def hedged_things(sources: list[str]) -> set[str]:
    """The things of comparisons.toml the sources name only within a few words after a hedge ("is expected to
    substantially improve power-efficiency"), never plainly."""
    words = comparison_words()
    hedged, plain = set(), set()
    for source in sources:
        tokens = re.findall(r"[a-z]+", (source or "").lower())
        text, covered = " ".join(tokens), set()
        for phrase in words["hedge"]["source"]:
            for match in re.finditer(rf"\b{re.escape(phrase)}\b", text):
                start = text[:match.start()].count(" ")
                covered.update(range(start, start + len(phrase.split()) + CHANGE_WINDOW))
        for i, token in enumerate(tokens):
            for thing, names in words["things"].items():
                if token in names["source"]:
                    (hedged if i in covered else plain).add(thing)
    return hedged - plain


def hedges_dropped(statement: str, hedged: frozenset[str], language: str) -> list[str]:
    """The things the sources only hedge (`hedged_things`) that `statement` states without a hedge word of its
    language."""
    words, lowered = comparison_words(), statement.lower()
    if any(hedge in lowered for hedge in words["hedge"][language]):
        return []
    return sorted(thing for thing in hedged
                  if any(name in lowered for name in words["things"][thing][language]))


@dataclass(frozen=True)
class SourceFacts:
    """What a statement is held to, read once from the sentences it rests on."""

    text: str  # the sources (and the context), for names and numbers
    comparisons: tuple[Comparison, ...]
    changes: dict[str, set[str]]  # {thing: the directions the sources state}
    hedged: frozenset[str]  # the things the sources only expect


def source_facts(sources: list[str], context: str = "") -> SourceFacts:
    changes: dict[str, set[str]] = {}
    for source in sources:
        for thing, directions in changes_in(source).items():
            changes.setdefault(thing, set()).update(directions)
    return SourceFacts("\n".join([context, *sources]), tuple(c for s in sources for c in comparisons_in(s)),
                       changes, frozenset(hedged_things(sources)))


def problems(statement: str, sources: list[str], language: str, context: str = "",
             facts: SourceFacts | None = None) -> list[str]:
    """Why `statement` may not be shown on `sources` (empty: it stands on them). `context`: what the model
    was told besides them (the title and authors): a statement may name what they name. `facts`: the
    sources read once, for the statements of one section."""
    if not sources:
        return ["no source"]
    facts = facts or source_facts(sources, context)
    found = [f"not in its sources: {item}" for item in invented(statement, facts.text)]
    found += [f"comparison turned around: {said!r}" for said in turned(statement, facts.comparisons, language)]
    found += [f"change turned around: {thing}" for thing in changes_turned(statement, facts.changes, language)]
    found += [f"hedge dropped: {thing}" for thing in hedges_dropped(statement, facts.hedged, language)]
    return found


CLAIMS = ("superior", "absolute", "compared")  # tables of comparisons.toml


def claimed(statement: str, language: str) -> dict[str, str]:
    """{kind: the word} of the claims in `statement` that need a sentence saying as much: better than something
    ("优于"), or for every case ("任何"); and a comparison ("相比"), whose sentence is cited when there is one."""
    words, lowered = comparison_words(), statement.lower()
    found = {}
    for kind in CLAIMS:
        word = next((w for w in words[kind][language] if _said(w, lowered)), None)
        if word:
            found[kind] = word
    return found


@cache
def states(kind: str, source: str) -> bool:
    """Whether a source sentence says a claim of `kind` ("outperforms", "entirely"), in any of its forms. Cached:
    a section's sentences are asked about for each of its statements."""
    lowered, words = source.lower(), comparison_words()[kind]
    qualified = tuple(words.get("source_qualified", ()))
    return any(not lowered[:match.start()].rstrip().endswith(qualified)
               for w in words["source"] for match in _word(w, "(?:s|es|ed|ing|ly)?").finditer(lowered))


def backed(statement: str, sources: tuple[Passage, ...], passages: list[Passage], language: str,
           context: str = "") -> tuple[tuple[Passage, ...], list[str]]:
    """(the sources with any sentence added that backs a claim of `statement`, the claims nothing backs). A claim
    to be better, or absolute, rests on a cited sentence saying as much, or on another of the section's sentences
    that says it and states one of the statement's names (which is then cited too); a comparison's sentence is
    cited the same way when there is one, and none is required (`backing_required = false`)."""
    names = own_names(statement, context)[1]
    unbacked = []
    for kind, word in claimed(statement, language).items():
        if any(states(kind, p.text) for p in sources):
            continue
        extra = next((p for p in passages if states(kind, p.text) and any(n in p.text.lower() for n in names)),
                     None)
        if extra is None:
            if comparison_words()[kind].get("backing_required", True):
                unbacked.append(f"{kind} claim not in its sources: {word}")
        else:
            sources = tuple(sorted({*sources, extra}, key=passages.index))
    return sources, unbacked


@dataclass(frozen=True)
class Statement:
    """A sentence of an analysis with the paper's sentences it rests on."""

    section: str  # the section of the analysis ("method")
    text: str
    sources: tuple[Passage, ...]

    def as_row(self) -> dict:
        return {"section": self.section, "text": self.text, "sources": [p.as_row() for p in self.sources]}


def own_names(statement: str, context: str = "") -> tuple[set[str], set[str]]:
    """(every name and figure of `statement`, those of them not in `context`: the title's aside), lower case."""
    named = {i.lower() for i in named_terms(statement) | result_figures(statement)}
    return named, {i for i in named if i not in context.lower()}


def checkable(passages: list[Passage] | tuple[Passage, ...] | None) -> tuple[Passage, ...]:
    """`passages` as a citation, when a reader can check it: at least one, and no more than a section is given
    (PER_SECTION); a footnote of all of a long abstract checks nothing."""
    return tuple(passages) if passages and len(passages) <= PER_SECTION else ()


def cited(statement: str, passages: list[Passage], context: str = "",
          default: list[Passage] | None = None) -> tuple[Passage, ...]:
    """The passages `statement` rests on: the fewest that state every name and figure of it that any states
    (the title's aside); for one naming only the paper's own names (its title's), the sentences stating them;
    for one naming nothing of them, `default` (the sentences chosen for its section). Empty when that is not a
    citation a reader can check (`checkable`): then the statement is not shown."""
    named, items = own_names(statement, context)
    if not items:
        return checkable([p for p in passages if any(n in p.text.lower() for n in named)]) or checkable(default)
    covers = {p: {item for item in items if item in p.text.lower()} for p in passages}
    chosen, left = [], set().union(*covers.values()) if covers else set()
    while left:  # the fewest passages stating all of them: the one stating most of what is left, first
        best = max(passages, key=lambda p: len(covers[p] & left))
        chosen.append(best)
        left -= covers[best]
    chosen.sort(key=passages.index)
    return tuple(chosen) or checkable(default)


def statements_of(section: str, text: str, passages: list[Passage], language: str, context: str = "",
                  earlier: tuple[str, ...] = (), default: list[Passage] | None = None
                  ) -> tuple[list[Statement], list[dict]]:
    """(the statements of a section's accepted answer that may be shown, each with its sources; the ones
    dropped, each with why). A statement is dropped when it does not stand on the passages the section was
    written from (`problems`), or says again what `earlier` sections or itself said (gates.restates), or claims
    to be better or absolute where no sentence it rests on does (`backed`), or names nothing of its sources while
    its section has no particular sentences to cite (`default` empty: the overview, written from the whole
    abstract)."""
    said, stated = said_before(earlier)
    texts = [p.text for p in passages]
    facts = source_facts(texts, context)
    shown, dropped = [], []
    for sentence in sentences(text):
        why = problems(sentence, texts, language, context, facts)
        if not why and restates(sentence, said, stated):
            why = ["said before"]
        if why:
            dropped.append({"section": section, "text": sentence, "reason": "; ".join(why)})
            continue
        sources, unbacked = backed(sentence, cited(sentence, passages, context, default), passages, language,
                                   context)
        if not sources:
            unbacked = ["names nothing its sources state"]
        if unbacked:
            dropped.append({"section": section, "text": sentence, "reason": "; ".join(unbacked)})
            continue
        said.append(sentence_grams(sentence))
        shown.append(Statement(section, sentence, sources))
    return shown, dropped

