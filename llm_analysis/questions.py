"""One question per request: how `paper_summaries` asks a small model for an analysis.

Each question is asked with the paper's title and authors and the paper's own sentences that section is
written from (llm_analysis/passages.py: the introduction's for the motivation, the method sections' for
the method, …), so that every statement's sources are known by construction. Each answer is free text,
checked on its own as it comes (cut off, too short, the question echoed, the abstract copied, another
section repeated, a name or a number its passages lack) and asked again once with what was wrong. An
answer that still fails makes the paper `rejected`, naming the gate: nothing is dressed up. Then each
sentence of an accepted answer is a statement, shown only when it stands on its section's passages
(llm_analysis/claims.py) and says nothing an earlier section said; the rest are dropped and counted.
"""

from __future__ import annotations

import hashlib
import re
import time
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import openai

from arxiv_domain.acronyms import defined_acronyms
from llm_analysis.answers import AnalysisOutcome, complete_sentences
from llm_analysis.claims import statements_of
from llm_analysis.gates import (
    COPY_LIMIT,
    ECHO_LIMIT,
    ECHO_MARKS,
    LANGUAGE_LIMIT,
    MIN_TLDR_WORDS,
    MIN_WORDS,
    REPEAT_LIMIT,
    Quality,
    assess,
    containment,
    invented,
    joined,
    ngrams,
    script_share,
    size,
)
from llm_analysis.passages import SectionRequest

PROMPTS = Path(__file__).resolve().parent / "prompts"
# Asked in this order: the overview first, so that later sections are checked against it for repetition.
PROSE_ORDER = ("summary", "motivation", "contributions", "method", "experiments")
QUESTIONS = (*PROSE_ORDER, "tldr", "keywords")
# The answers made of statements about the paper, each shown on the passages it rests on.
STATED = (*PROSE_ORDER, "tldr")
# Tokens one answer may take (a cut answer keeps its complete sentences, or is asked again).
MAX_TOKENS = {"summary": 140, "motivation": 110, "contributions": 120, "method": 160, "experiments": 140,
              "tldr": 60, "keywords": 40}
# Sampling per model family: a small Qwen loops without a light repeat penalty; SmolLM2 needs more.
SAMPLING = {
    "qwen2": {"temperature": 0.2, "top_p": 0.9, "repeat_penalty": 1.1},
    "smollm2": {"temperature": 0.2, "top_p": 0.9, "repeat_penalty": 1.3},
    "vllm": {"temperature": 0.2, "top_p": 0.9, "repetition_penalty": 1.05},
}
# An answer a fifth of whose n-grams are its own question's restates the question instead of answering it
# ("方法包括接收输入，经过多个关键模块或步骤，产生输出"); real answers measured here stay under 0.13.
QUESTION_ECHO_LIMIT = 0.2
# A repair is sampled more freely: at the first attempt's temperature the model says the same thing again.
REPAIR_SAMPLING = {"temperature": 0.7, "seed": 7}
# Text that reports an experiment: a percentage, a comparison, a dataset or benchmark, an evaluation.
_EXPERIMENTAL = re.compile(
    r"\d+(?:\.\d+)?\s?(?:%|percent|x\b|×)|\b(?:experiment|evaluat|benchmark|dataset|outperform|baseline|accuracy|"
    r"state[- ]of[- ]the[- ]art|ablation|we (?:show|demonstrate|achieve)|results? (?:show|demonstrate)|achiev)",
    re.IGNORECASE)
_TAGGED_NAME = re.compile(r"<(?!/?paper\b)([A-Za-z][\w.\-]*)>")  # "<ActionFlow>"; the prompt's own tag stays
_HEADING = re.compile(r"^\s*(?:#+\s*)?(?:\*\*)?\s*[\w\u4e00-\u9fff /&-]{0,14}?\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*")


@dataclass(frozen=True)
class SectionPrompts:
    system: str
    questions: dict[str, str]
    unsupported: str
    unverifiable: str
    withheld: str  # {problem}, where used: the repair note's words for the repeat ("与「论文概要」一节重复")
    first_person_section: str  # a section left out for speaking as the paper's authors
    restated_section: str  # a section left with nothing once what earlier sections said is taken out
    unsupported_section: str  # a section left with nothing once statements its passages do not support are dropped
    first_person: re.Pattern  # what speaks as the authors ("我们", "we")
    repair: dict[str, str]
    version: str
    sampling: dict = field(default_factory=dict)  # per-language sampling ([sampling] of the prompt file)

    def all_text(self) -> str:
        return self.system + "\n" + "\n".join(self.questions.values())


@cache
def section_prompts(language: str) -> SectionPrompts:
    path = PROMPTS / f"sections_{language}.toml"
    if not path.exists():
        raise ValueError(f"no prompt for language {language!r} ({path})")
    raw = path.read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    unsupported = data["unsupported_experiments"]
    questions = {k: v.format(unsupported=unsupported) for k, v in data["questions"].items()}
    return SectionPrompts(data["system"], questions, unsupported, data["unverifiable_experiments"],
                          data["withheld_section"], data["first_person_section"], data["restated_section"],
                          data["unsupported_section"], re.compile(data["first_person"]), data["repair"],
                          f"{language}-q{hashlib.sha256(raw).hexdigest()[:11]}", data.get("sampling", {}))


def named_long_forms(paper: dict) -> dict[str, str]:
    """{abbreviation: long form} the title and abstract define for names, a long form with a capital
    ("Stage-Aware Reinforcement (STARE)"); common terms ("behavioral cloning (BC)") are left out."""
    defined = defined_acronyms(f"{paper.get('title', '')}. {paper.get('abstract', '')}")
    return {short: long for short, long in defined.items() if any(w[:1].isupper() for w in long.split())}


def messages_for(prompts: SectionPrompts, request: SectionRequest, question: str) -> list[dict]:
    return [{"role": "system", "content": prompts.system},
            {"role": "user", "content": f"{request.block(question)}\n\n{prompts.questions[question]}"}]


def clean_answer(text: str, question: str) -> str:
    """The answer as prose: a heading the model put first ("论文概要：", "**Method:**"), Markdown emphasis
    and tag-like brackets around a name ("<ActionFlow>", after the prompt's <paper> tags) removed,
    whitespace folded. The prompt's own tags stay, for the echo gate."""
    text = (text or "").strip()
    if question not in ("keywords",):
        text = _HEADING.sub("", text, count=1) if _HEADING.match(text) and len(text) > 20 else text
    text = re.sub(r"\*\*|__|^#+\s*", "", text, flags=re.MULTILINE)
    text = _TAGGED_NAME.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip().strip('"“”')


def reports_experiments(text: str) -> bool:
    """Whether the text the model reads reports any experiment; when not, 实验说明 says so in words and no
    question is asked (a small model asked anyway makes one up)."""
    return bool(_EXPERIMENTAL.search(text or ""))


def keywords_from(text: str) -> list[str]:
    parts = re.split(r"[,，、;；\n]+", re.sub(r"^[^:：]{0,12}[:：]", "", text or ""))
    words = [re.sub(r"^[\d.\-*•\s]+", "", p).strip(" .。") for p in parts]
    return [w for w in words if 1 < len(w) <= 60][:6]


def problems_of(question: str, text: str, earlier: dict[str, str], request: SectionRequest,
                prompts: SectionPrompts, headings: dict[str, str]) -> list[tuple[str, str]]:
    """(gate, what was wrong) for one answer; empty: it passes."""
    found = []
    least = MIN_TLDR_WORDS if question == "tldr" else MIN_WORDS[request.language]
    if size(text) < least:
        found.append(("too_short", prompts.repair["short"]))
    if ECHO_MARKS.search(text) or containment(text, ngrams(prompts.all_text())) > ECHO_LIMIT \
            or containment(text, ngrams(prompts.questions[question])) > QUESTION_ECHO_LIMIT:
        found.append(("prompt_echo", prompts.repair["echo"]))
    if size(text) >= 12 and containment(text, request.abstract) >= COPY_LIMIT:
        found.append(("copies_abstract", prompts.repair["abstract"]))
    elif size(text) >= 6 and containment(text, request.source(question)) >= COPY_LIMIT:
        found.append(("copies_abstract", prompts.repair["copies"]))
    if prompts.first_person.search(text):
        found.append(("first_person", prompts.repair["first_person"]))
    share = script_share(text, request.language)
    if share is not None and share < LANGUAGE_LIMIT:
        found.append(("language", prompts.repair["language"]))
    mine = ngrams(text)
    for other, earlier_text in earlier.items():
        theirs = ngrams(earlier_text)
        smaller = min(len(mine), len(theirs))
        if question in PROSE_ORDER and smaller and len(mine & theirs) / smaller > REPEAT_LIMIT:
            found.append(("repeated_sections", prompts.repair["repeats"].format(other=headings.get(other, other))))
            break
    made_up = invented(text, request.source(question))
    if made_up:
        found.append(("invented", prompts.repair["invented"].format(items=", ".join(made_up[:6]))))
    return found


@dataclass
class Tally:
    """What a paper's questions cost and returned so far, and its outcome from them."""

    tokens_in: int = 0
    tokens_out: int = 0
    attempts: int = 0
    busy: float = 0.0
    finish: str | None = None
    raw_parts: list[str] = field(default_factory=list)

    def outcome(self, status: str, analysis: dict | None, error: str | None, *, quality: Quality | None = None,
                finish: str | None = None, retryable: bool = False) -> AnalysisOutcome:
        return AnalysisOutcome(status, analysis, error, self.tokens_in, self.tokens_out, self.busy,
                               finish or self.finish, "\n\n".join(self.raw_parts) or None, self.attempts,
                               retryable=retryable, quality=quality)


class ServerFailed(Exception):
    """The server did not answer a question: the paper ends with this outcome."""

    def __init__(self, outcome: AnalysisOutcome):
        super().__init__(outcome.error)
        self.outcome = outcome


async def ask(client, model: str, messages: list[dict], limit: int, options: dict, tally: Tally,
              label: str) -> tuple[str, str | None]:
    """One request: (the answer's raw text, its finish reason), counted in `tally`."""
    started = time.perf_counter()
    try:
        response = await client.chat.completions.create(model=model, messages=messages, max_tokens=limit, **options)
    except (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError,
            openai.APIStatusError) as exc:
        tally.busy += time.perf_counter() - started
        tally.attempts += 1
        # the server refusing this request (HTTP 400: longer than its context) would refuse it again; a
        # passing cause is asked again by the next run
        raise ServerFailed(tally.outcome("failed", None, f"{type(exc).__name__}: {str(exc)[:300]}",
                                         retryable=not isinstance(exc, openai.BadRequestError))) from None
    tally.busy += time.perf_counter() - started
    tally.attempts += 1
    usage = response.usage
    tally.tokens_in += getattr(usage, "prompt_tokens", 0) or 0
    tally.tokens_out += getattr(usage, "completion_tokens", 0) or 0
    choice = response.choices[0]
    raw, tally.finish = choice.message.content or "", choice.finish_reason
    tally.raw_parts.append(f"[{label}] {raw}")
    return raw, tally.finish


async def answer_question(client, model: str, question: str, limit: int, options: tuple[dict, dict],
                          request: SectionRequest, prompts: SectionPrompts, headings: dict[str, str],
                          analysis: dict, tally: Tally) -> tuple[object, list[tuple[str, str]], str]:
    """(the accepted answer or None, the gates its last attempt failed, its raw text): asked once, and once
    more with what was wrong when an answer fails a gate."""
    messages = messages_for(prompts, request, question)
    accepted, found, raw = None, [], ""
    for attempt in range(2):
        raw, finish = await ask(client, model, messages, limit, options[attempt], tally, f"{question}#{attempt + 1}")
        text = clean_answer(raw, question)
        if question == "keywords":
            accepted = keywords_from(text) or []
            return (accepted[:-1] if finish == "length" else accepted), [], raw  # the last may be cut mid-word
        found = []
        if finish == "length":
            try:
                text = complete_sentences(text)
            except ValueError:
                found.append(("cut_off", prompts.repair["cut"].format(limit=limit)))
        if not found:
            found = problems_of(question, text, {k: analysis[k] for k in PROSE_ORDER if k in analysis},
                                request, prompts, headings)
        if not found or (attempt and {g for g, _ in found} <= {"language", "invented"}):
            # in another language after a repair: shown, marked by the language measure; still naming what its
            # passages lack: the statements naming it are dropped (statements_of), the rest stand
            return text, found, raw
        messages = messages_for(prompts, request, question)
        if {g for g, _ in found} == {"first_person"}:
            # Shown its own answer, the model copies it back word for word (measured on the demo day):
            # asked afresh instead, the third person right after the question.
            messages[1]["content"] += "\n" + prompts.repair["third_person"]
        else:
            note = prompts.repair["note"].format(problems="; ".join(p for _, p in found))
            messages += [{"role": "assistant", "content": raw}, {"role": "user", "content": note}]
    return accepted, found, raw


async def analyse_sections(client, model: str, sampling: dict, request: SectionRequest, prompts: SectionPrompts,
                           headings: dict[str, str], backend: str, max_tokens_cap: int = 0) -> AnalysisOutcome:
    """All questions of one paper, in order; one repair per question. Never raises for the server's
    answers; connection errors end the paper as `failed` (retryable). `max_tokens_cap` (> 0) caps every
    answer ([llm].max_output_tokens: the suite's plumbing runs)."""
    analysis: dict = {}
    tally = Tally()
    withheld = False  # a section was already left out as a repeat or for its voice
    if request.logit_bias:
        sampling = {**sampling, "logit_bias": {**sampling.get("logit_bias", {}), **request.logit_bias}}
    options = (sampling_options(backend, sampling), sampling_options(backend, {**sampling, **REPAIR_SAMPLING}))
    for question in QUESTIONS:
        if question == "experiments" and not reports_experiments(request.source_text):
            analysis[question] = prompts.unsupported
            continue
        limit = min(MAX_TOKENS[question], max_tokens_cap) if max_tokens_cap > 0 else MAX_TOKENS[question]
        try:
            accepted, found, raw = await answer_question(client, model, question, limit, options, request, prompts,
                                                         headings, analysis, tally)
        except ServerFailed as failed:
            return failed.outcome
        gates = {g for g, _ in found}
        left_out = None if accepted is not None else left_out_sentence(question, found, prompts, withheld)
        if left_out:
            withheld = withheld or bool(gates & {"repeated_sections", "first_person"})
            analysis[question] = left_out
            continue
        heading = headings.get(question, question)
        if accepted is None and gates == {"cut_off"}:  # a limit too small: not the model's junk
            return tally.outcome("failed", None, f"finish_reason length: {heading} cut off at {limit} tokens twice")
        if accepted is None:
            detail = "; ".join(p for _, p in found)
            quality = Quality(junk=sorted(gates), problems=[f"{heading}: {detail}"],
                              language_share=script_share(raw, request.language))
            return tally.outcome("rejected", None, f"rejected by {', '.join(sorted(gates))}: {heading}: {detail}"[:500],
                                 quality=quality)
        if question in STATED:
            accepted = shown_statements(question, accepted, request, prompts, analysis)
        if accepted is not None:
            analysis[question] = accepted
    analysis.setdefault("statements", [])
    analysis.setdefault("dropped_statements", [])
    analysis["cited_sections"] = list(dict.fromkeys(
        p["section"] for s in analysis["statements"] for p in s["sources"] if p["section"] != "Abstract"))
    quality = assess(analysis, language=request.language, source=request.source_text, abstract=request.abstract,
                     instructions=prompts.all_text())
    if not quality.passed:  # the whole answer seen together (every pair of sections): the same gates
        return tally.outcome("rejected", None, f"rejected by {', '.join(quality.junk)}: "
                             f"{'; '.join(quality.problems)}"[:500], quality=quality)
    # Every shown answer ends where a sentence or a keyword ends (one stopped by its token limit is trimmed
    # to that): nothing shown stopped at the limit.
    return tally.outcome("ok", analysis, None, quality=quality, finish="stop")


def left_out_sentence(question: str, found: list[tuple[str, str]], prompts: SectionPrompts,
                      withheld: bool) -> str | None:
    """The sentence that stands for a section whose repaired answer still failed, when the paper can do
    without it (None: the paper is rejected). The failing answer is never shown; the sections that passed
    stand on their own: a later section that only repeats an earlier one, or a section written as the
    paper's authors ("我们提出…", a translated abstract: "we" would be wrong in a report), one of these per
    paper."""
    gates = {g for g, _ in found}
    if question in PROSE_ORDER[1:] and "first_person" in gates and not withheld \
            and gates <= {"first_person", "language"}:
        return prompts.first_person_section
    if question != "summary" and not withheld and "repeated_sections" in gates \
            and gates <= {"repeated_sections", "language"}:
        return prompts.withheld.format(problem=next(p for g, p in found if g == "repeated_sections"))
    return None


def shown_statements(question: str, text: str, request: SectionRequest, prompts: SectionPrompts,
                     analysis: dict) -> str | None:
    """An accepted answer as shown: its statements that stand on the question's passages and say nothing an
    earlier section said (claims.statements_of), added with their sources to analysis["statements"], the
    others to analysis["dropped_statements"]. When too little stands, the sentence saying why the section is
    left out; for the one-line summary, the first statement of the overview (else of the contributions)."""
    earlier = tuple(s["text"] for s in analysis.get("statements", [])) if question in PROSE_ORDER else ()
    shown, dropped = statements_of(question, text, request.read_for(question), request.language, request.header,
                                   earlier, request.cited_by_default(question))
    analysis.setdefault("dropped_statements", []).extend(dropped)
    kept = joined([s.text for s in shown], text)
    if size(kept) >= (MIN_TLDR_WORDS if question == "tldr" else MIN_WORDS[request.language]):
        analysis.setdefault("statements", []).extend(s.as_row() for s in shown)
        return kept
    analysis["dropped_statements"].extend({"section": question, "text": s.text, "reason": "too little left"}
                                          for s in shown)
    reasons = [d["reason"] for d in dropped]
    if question == "tldr":  # the first statement standing of the overview, else of the contributions, with its sources
        first = next((s for section in ("summary", "contributions") for s in analysis.get("statements", [])
                      if s["section"] == section), None)
        if first:
            analysis["statements"].append({**first, "section": "tldr"})
        return first["text"] if first else None
    if reasons and all(r == "said before" for r in reasons):
        return prompts.restated_section
    if question == "experiments" and reasons and all(r.startswith("not in its sources") for r in reasons):
        return prompts.unverifiable
    return prompts.unsupported_section


def sampling_options(backend: str, sampling: dict) -> dict:
    """llama.cpp takes its sampling fields at the top level of the body; vLLM takes the OpenAI ones plus
    extras (repetition_penalty, chat_template_kwargs) through extra_body."""
    standard = {k: sampling[k] for k in ("temperature", "top_p", "seed") if k in sampling}
    standard.setdefault("seed", 42)
    extra = {k: v for k, v in sampling.items() if k not in standard}
    if backend == "llama-cpp":
        return {**standard, "extra_body": extra}
    return {**standard, "extra_body": {**extra, "chat_template_kwargs": {"enable_thinking": False}}}
