"""Quality gates on a model's analysis: plain functions, no model, no network.

An answer can be valid JSON with every field filled and still be junk: one paragraph under every
heading, the prompt echoed back, "2,486 words." as a method, the abstract pasted in. The bundled
135M model writes exactly that (tests/fixtures/smollm2_answers.json). The junk gates reject such an
answer (after one repair attempt it is stored `rejected`, the gate named, and never rendered as an
analysis). The language gate is not junk: an analysis in the wrong language is shown, marked.

Measures, each stored per analysis (`paper_summaries.quality`):
- repetition: the largest share of one prose field's n-grams found in another field (word 4-grams;
  character 4-grams for CJK text, which has no spaces);
- echo: the share of a field's n-grams found in the prompt's instructions, plus any tag, JSON key or
  `<paper>` in any form;
- short: prose fields with too few words (or CJK characters) to say anything;
- copied abstract: a field whose n-grams are almost all the abstract's;
- language: the share of letters in the requested script (CJK for zh, Latin for en);
- invented: a name (acronym, CamelCase, a name with digits) or a number above 10 that the text the model
  was given does not contain: junk, since the reader cannot tell it from the paper's own;
- grounding: the share of numbers, and of named terms (acronyms, CamelCase, names with digits),
  that also appear in the source text.

Each fact once: an answer that passed keeps only what the sections before it did not say (`said_once`):
a sentence restating an earlier one is taken out, and so is one restating a result figure that two
earlier sections state; `repeats` counts both in a whole analysis (analysis_quality records it).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field

import polars as pl

PROSE_FIELDS = ("summary", "motivation", "contributions", "method", "experiments")
ALL_FIELDS = ("tldr", *PROSE_FIELDS)
JUNK_GATES = ("repeated_sections", "prompt_echo", "too_short", "copies_abstract", "invented")

REPEAT_LIMIT = 0.5  # a field sharing more than half of its n-grams with another field repeats it
ECHO_LIMIT = 0.5  # more than half of a field's n-grams are the instructions'
COPY_LIMIT = 0.9  # a field is (almost) all abstract
LANGUAGE_LIMIT = 0.5  # under half of the letters in the requested script: the language was not used
MIN_WORDS = {"en": 6, "zh": 6}  # words, or for zh: CJK characters / 2 (a CJK character is about half a word)
MIN_TLDR_WORDS = 4

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")
# Tags, JSON keys and template markers a model copies from its prompt or the request, and markup copied from
# the paper's text (a hostile abstract's `<script>alert("x")</def><img src=1 onerror=…>`, answered by SmolLM2).
ECHO_MARKS = re.compile(
    r"<\s*/?\s*paper\b|‹\s*/?\s*paper|&lt;\s*/?\s*paper|\"(?:tldr|summary|motivation|contributions|method|"
    r"experiments|keywords|cited_sections)\"\s*:|\{\{|\}\}|<\|im_(?:start|end)\|>|\bTitle:\s|\bAbstract:\s|"
    r"</[A-Za-z]|<[A-Za-z]+\s+[A-Za-z-]+\s*=|\bon(?:error|load|click|mouseover)\s*=|javascript:|alert\s*\(",
    re.IGNORECASE)
# Named terms: acronyms (VLA, STLDM), CamelCase (OpenVLA, ResNet, mIoU), names with digits (GPT-4, Qwen3-8B).
# ASCII boundaries rather than \b: in Chinese text a name touches CJK characters, which \b counts as word characters.
_TERM = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{2,}[A-Za-z0-9]*|[A-Z][a-z]+[A-Z][A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*|"
                   r"[A-Za-z]+-?\d+[A-Za-z0-9.-]*)"
                   r"(?![A-Za-z0-9])")
# Numbers as a reader sees them, also beside CJK characters ("2.55倍"); in names ("OpenVLA-7B") they are not.
_FIGURE = re.compile(r"(?<![A-Za-z0-9.])\d+(?:,\d{3})*(?:\.\d+)?(?![A-Za-z0-9])")
_ANY_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_COMMON_TERMS = {"AI", "ML", "DL", "NLP", "LLM", "LLMS", "CV", "RL", "API", "JSON", "TLDR", "URL", "PDF",
                 # architecture families and hardware, named by a paraphrase ("convolutional network" -> CNN)
                 "CNN", "CNNS", "RNN", "RNNS", "GPU", "GPUS", "CPU", "CPUS", "TPU"}
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_TITLE_WORD = r"[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
_TITLE_PHRASE = re.compile(rf"(?<![A-Za-z0-9-]){_TITLE_WORD}(?:\s+{_TITLE_WORD})+(?![A-Za-z0-9])")
_QUOTED = re.compile(r"[\"“「]([A-Za-z][A-Za-z0-9 .,:'-]{3,80})[\"”」]")


def _cjk_text(text: str) -> bool:
    return len(_CJK.findall(text)) > len(_LATIN.findall(text)) / 4


def ngrams(text: str, n: int = 4) -> set:
    """Word n-grams of Latin text; character n-grams of the CJK characters of CJK text."""
    text = text or ""
    if _cjk_text(text):
        chars = "".join(_CJK.findall(text))
        return {chars[i:i + n] for i in range(len(chars) - n + 1)}
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def containment(part: str, whole: str | set, n: int = 4) -> float:
    """Share of `part`'s n-grams that are also in `whole` (0 when `part` has none)."""
    mine = ngrams(part, n)
    if not mine:
        return 0.0
    theirs = whole if isinstance(whole, set) else ngrams(whole, n)
    return len(mine & theirs) / len(mine)


# Each fact once per analysis: a sentence sharing this share of its bigrams (sentence_grams) with one sentence
# said before says it again (the demo day's restated sentences share 0.59-0.65, different sentences on the
# same paper 0.33-0.46); a result figure is stated in at most this many sections.
SENTENCE_REPEAT_LIMIT = 0.55
FIGURE_SECTIONS = 2
_SENTENCE_BREAK = re.compile(r"(?<=[。！？!?；])\s*|(?<=[^\d]\.)\s+")
# A result figure: a decimal, a percentage, a factor ("2.55x", "3倍") or a number above 10 ("512").
_RESULT_FIGURE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|x|×|倍)?(?![A-Za-z0-9])")


def sentence_grams(sentence: str) -> set:
    """What a sentence is compared by: CJK character bigrams and its Latin words (names), or word bigrams of
    Latin text. Bigrams, not the 4-grams of the section gates: a restated sentence reorders its words."""
    words = [w.lower() for w in _WORD.findall(sentence or "")]
    if _cjk_text(sentence):
        chars = "".join(_CJK.findall(sentence))
        return {chars[i:i + 2] for i in range(len(chars) - 1)} | set(words)
    return {tuple(words[i:i + 2]) for i in range(len(words) - 1)}


def says_again(grams: set, said: list[set]) -> bool:
    return bool(grams) and any(len(grams & other) / len(grams) >= SENTENCE_REPEAT_LIMIT for other in said)


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_BREAK.split(text or "") if part and part.strip()]


def joined(parts: list[str], like: str) -> str:
    """Sentences of `like` joined back as it joins them: CJK text has no space between sentences."""
    return ("" if _cjk_text(like) else " ").join(parts)


def result_figures(text: str) -> set[str]:
    found = set()
    for match in _RESULT_FIGURE.finditer(text or ""):
        number = match.group(1).replace(",", "")
        if match.group(2) or "." in number or float(number) > 10:
            found.add(number)
    return found


def said_before(earlier: tuple[str, ...] | list[str]) -> tuple[list[set], Counter]:
    """What the sections before say: each sentence's grams, and how many of them state each result figure."""
    return ([sentence_grams(s) for section in earlier for s in sentences(section)],
            Counter(f for section in earlier for f in result_figures(section)))


def restates(sentence: str, said: list[set], stated: Counter) -> bool:
    """Whether `sentence` says again a sentence of `said`, or a result figure FIGURE_SECTIONS sections state."""
    return says_again(sentence_grams(sentence), said) or any(stated[f] >= FIGURE_SECTIONS
                                                             for f in result_figures(sentence))


def said_once(text: str, earlier: list[str]) -> tuple[str, int]:
    """`text` without its sentences that say again what a sentence of `earlier` (the sections before it) or
    of itself already said, and without those restating a result figure that FIGURE_SECTIONS earlier
    sections state; and how many sentences that left out."""
    said, stated = said_before(earlier)
    kept = []
    for sentence in sentences(text):
        if not restates(sentence, said, stated):
            kept.append(sentence)
            said.append(sentence_grams(sentence))
    return joined(kept, text), len(sentences(text)) - len(kept)


def each_fact_once(text: str, earlier: list[str], language: str, restated: str) -> str:
    """A section's accepted answer without what the sections before it already said (`said_once`); when
    too little is left to say anything, `restated`: the sentence saying the section only restated them."""
    kept, dropped = said_once(text, earlier)
    if dropped and size(kept) < MIN_WORDS[language]:
        return restated
    return kept if dropped else text


def repeats(analysis: dict, fields: tuple[str, ...] = PROSE_FIELDS) -> dict:
    """How often an analysis says a thing twice: sentences of a section that nearly repeat a sentence of an
    earlier section, and result figures stated in more than FIGURE_SECTIONS sections."""
    said, repeated, stated = [], 0, Counter()
    for name in fields:
        mine = [sentence_grams(s) for s in sentences(analysis.get(name) or "")]
        repeated += sum(says_again(m, said) for m in mine)
        said += mine
        stated.update(result_figures(analysis.get(name) or ""))
    return {"repeated_sentences": repeated,
            "figures_in_more_sections": sorted(f for f, n in stated.items() if n > FIGURE_SECTIONS)}


def size(text: str) -> float:
    """Words in Latin text; half the CJK characters (a CJK character is about half a word)."""
    return len(_WORD.findall(text or "")) + len(_CJK.findall(text or "")) / 2


# The script each report language is written in.
SCRIPTS = {"zh": "cjk", "en": "latin"}


def script_share(text: str, language: str) -> float | None:
    """Share of the letters that are in `language`'s script (None: no letters at all)."""
    letters = {"cjk": len(_CJK.findall(text or "")), "latin": len(_LATIN.findall(text or ""))}
    if not sum(letters.values()):
        return None
    return round(letters[SCRIPTS[language]] / sum(letters.values()), 3)


def number_grounding(texts: list[str], source: str) -> float | None:
    """Share of the numbers in `texts` that also appear in the source (None: no numbers). Small
    integers (list markers, counts) say little and are left out."""
    numbers = {n.replace(",", "") for t in texts for n in _NUMBER.findall(t or "")} - {str(i) for i in range(11)}
    if not numbers:
        return None
    found = {n.replace(",", "") for n in _NUMBER.findall(source or "")}
    return round(len(numbers & found) / len(numbers), 3)


def named_terms(text: str) -> set[str]:
    return {t.rstrip(".-") for t in _TERM.findall(text or "") if t.upper() not in _COMMON_TERMS}


def invented(text: str, source: str) -> list[str]:
    """Names (acronyms, CamelCase, names with digits, Title Case or quoted phrases) and numbers above 10
    in `text` that `source`, the text the model was given, does not contain: a dataset, metric, baseline
    or figure made up. Matched ignoring case, a plural "s", spaces and hyphens."""
    lowered = (source or "").lower()
    compact = _NOT_ALNUM.sub("", lowered)  # "BNN7" in Chinese prose is the paper's "BNN 7(x faster)"

    def known_name(term: str) -> bool:
        term = term.lower()
        return term in lowered or term.removesuffix("s") in lowered or _NOT_ALNUM.sub("", term) in compact

    missing = sorted(t for t in named_terms(text) if not known_name(t))
    # Multi-word names: Title Case ("Whole-Body Manipulation Dataset") or quoted Latin phrases.
    for phrase in _TITLE_PHRASE.findall(text or "") + _QUOTED.findall(text or ""):
        phrase = phrase.strip()
        if not known_name(phrase) and phrase not in missing:
            missing.append(phrase)
    known = set(_ANY_NUMBER.findall((source or "").replace(",", "")))
    for figure in _FIGURE.findall(text or ""):
        value = figure.replace(",", "")
        if value not in known and value.rstrip("0").rstrip(".") not in known and not (
                value.isdigit() and int(value) <= 10) and figure not in missing:
            missing.append(figure)
    return missing


def term_grounding(texts: list[str], source: str) -> float | None:
    """Share of the named terms in `texts` that appear in the source (None: no terms)."""
    terms = set().union(*(named_terms(t) for t in texts)) if texts else set()
    if not terms:
        return None
    lowered = (source or "").lower()
    return round(sum(t.lower() in lowered for t in terms) / len(terms), 3)


QUALITY_STRUCT = pl.Struct({
    "junk": pl.List(pl.Utf8), "problems": pl.List(pl.Utf8), "max_repetition": pl.Float64, "max_echo": pl.Float64,
    "short_fields": pl.List(pl.Utf8), "copied_fields": pl.List(pl.Utf8), "language_share": pl.Float64,
    "language_ok": pl.Boolean, "number_grounding": pl.Float64, "term_grounding": pl.Float64,
})


@dataclass
class Quality:
    """The gates' measures for one answer; `junk` names the junk gates it failed."""

    junk: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one readable line per failed gate
    max_repetition: float = 0.0
    max_echo: float = 0.0
    short_fields: list[str] = field(default_factory=list)
    copied_fields: list[str] = field(default_factory=list)
    language_share: float | None = None
    language_ok: bool = True
    number_grounding: float | None = None
    term_grounding: float | None = None

    @property
    def passed(self) -> bool:
        return not self.junk

    def as_row(self) -> dict:
        return asdict(self)


def assess(analysis: dict, *, language: str, source: str, abstract: str, instructions: str) -> Quality:
    """Every gate on one parsed answer (fields as in llm_analysis.answers.ANALYSIS_FIELDS)."""
    quality = Quality()
    texts = {name: re.sub(r"\s+", " ", analysis.get(name) or "").strip() for name in ALL_FIELDS}

    grams = {name: ngrams(texts[name]) for name in PROSE_FIELDS}
    worst, pair = 0.0, None
    for i, a in enumerate(PROSE_FIELDS):
        for b in PROSE_FIELDS[i + 1:]:
            smaller = min(len(grams[a]), len(grams[b]))
            if smaller:
                shared = len(grams[a] & grams[b]) / smaller
                if shared > worst:
                    worst, pair = shared, (a, b)
    quality.max_repetition = round(worst, 3)
    if worst > REPEAT_LIMIT:
        quality.junk.append("repeated_sections")
        quality.problems.append(f"{pair[0]} and {pair[1]} repeat each other ({worst:.0%} shared n-grams)")

    instruction_grams = ngrams(instructions)
    echoes = {name: containment(texts[name], instruction_grams) for name in ALL_FIELDS}
    marked = [name for name in ALL_FIELDS if ECHO_MARKS.search(texts[name])]
    quality.max_echo = round(max(echoes.values()), 3)
    echoed = sorted({*marked, *(n for n, share in echoes.items() if share > ECHO_LIMIT)})
    if echoed:
        quality.junk.append("prompt_echo")
        quality.problems.append(f"the prompt or its tags echoed in {', '.join(echoed)}")

    quality.short_fields = [name for name in ALL_FIELDS
                            if size(texts[name]) < (MIN_TLDR_WORDS if name == "tldr" else MIN_WORDS[language])]
    if quality.short_fields:
        quality.junk.append("too_short")
        quality.problems.append(f"too short to say anything: {', '.join(quality.short_fields)}")

    abstract_grams = ngrams(abstract)
    quality.copied_fields = [name for name in PROSE_FIELDS
                             if size(texts[name]) >= 12 and containment(texts[name], abstract_grams) >= COPY_LIMIT]
    if quality.copied_fields:
        quality.junk.append("copies_abstract")
        quality.problems.append(f"only copies the abstract: {', '.join(quality.copied_fields)}")

    made_up = sorted({item for name in ALL_FIELDS for item in invented(texts[name], source)})
    if made_up:
        quality.junk.append("invented")
        quality.problems.append(f"names or numbers the source text lacks: {', '.join(made_up[:8])}")

    quality.language_share = script_share(" ".join(texts.values()), language)
    quality.language_ok = quality.language_share is not None and quality.language_share >= LANGUAGE_LIMIT
    prose = list(texts.values())
    quality.number_grounding = number_grounding(prose, source)
    quality.term_grounding = term_grounding(prose, source)
    return quality
