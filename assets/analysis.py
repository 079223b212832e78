"""Plain functions behind `paper_summaries`: prompts, fitting a paper into the context, one
schema-bound request per paper, validation that never accepts a cut-off answer, grounding."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ValidationError, field_validator

from assets.quality import Quality, assess

PROMPTS = Path(__file__).resolve().parent / "prompts"
ANALYSIS_FIELDS = ("tldr", "summary", "motivation", "contributions", "method", "experiments")
# Section priority when a paper does not fit: dropped first to last.
DROP_ORDER = ("references", "appendix", "related_work")
# A full stop right after a digit is not taken for a sentence end: in a cut answer it is a decimal point whose
# digits never came ("平均 8." of "平均 8.0%").
_SENTENCE_MARK = r"(?:[。！？!?]|(?<!\d)\.)"
_SENTENCE_END = re.compile(rf"(?:{_SENTENCE_MARK}|[…」』”\"')）)\]])\s*$")


class PaperAnalysis(BaseModel):
    tldr: str
    summary: str
    motivation: str
    contributions: str
    method: str
    experiments: str
    keywords: list[str]
    cited_sections: list[str] = []

    @field_validator(*ANALYSIS_FIELDS)
    @classmethod
    def _real_text(cls, value: str) -> str:
        value = re.sub(r"\s+", " ", value or "").strip()
        if not re.search(r"[^\W\d_]{2}", value):
            raise ValueError("no words")
        if "{{" in value or "}}" in value or "<|" in value:
            raise ValueError(f"template junk instead of an answer: {value[:60]!r}")
        return value

    @field_validator("keywords", "cited_sections")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip() for k in value if isinstance(k, str) and k.strip()]
        return cleaned[:8]


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


def close_cut_fields(analysis: dict, field_max_chars: int) -> dict:
    """A field that reached the schema's maxLength was stopped by the grammar, not by the model:
    keep it only up to its last complete sentence (complete_sentences raises if there is none)."""
    for name in ANALYSIS_FIELDS:
        if field_max_chars > 0 and len(analysis[name]) >= field_max_chars * 0.95:
            analysis[name] = complete_sentences(analysis[name])
    return analysis


def analysis_schema(field_max_chars: int) -> dict:
    """The JSON schema the server constrains the answer to. `field_max_chars` 0: no `maxLength` on
    the prose fields (a string maxLength is reported to slow vLLM's xgrammar badly; max_tokens and
    the validation bound the answer instead)."""
    text = {"type": "string", "minLength": 1}
    if field_max_chars > 0:
        text["maxLength"] = field_max_chars
    return {
        "type": "object",
        "properties": {**{name: text for name in ANALYSIS_FIELDS},
                       "keywords": {"type": "array", "items": {"type": "string", "maxLength": 60},
                                    "minItems": 1, "maxItems": 6},
                       "cited_sections": {"type": "array", "items": {"type": "string", "maxLength": 100},
                                          "maxItems": 8}},
        "required": [*ANALYSIS_FIELDS, "keywords", "cited_sections"],
        "additionalProperties": False,
    }


@cache
def prompt(language: str) -> tuple[str, str]:
    """(instructions, version): the version is derived from the file's content."""
    path = PROMPTS / f"analysis_{language}.md"
    if not path.exists():
        raise ValueError(f"no prompt for language {language!r} ({path})")
    text = path.read_text(encoding="utf-8")
    return text, f"{language}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


_PAPER_TAG = re.compile(r"<(/?\s*paper\s*)>", re.IGNORECASE)


def inert(text: str) -> str:
    """Untrusted text cannot close the <paper> block and speak as the prompt: its tags are defused."""
    return _PAPER_TAG.sub(r"‹\1›", text or "")


def paper_block(paper: dict, body: str) -> str:
    header = [f"Title: {inert(paper['title'])}", f"Authors: {inert(', '.join(paper.get('authors') or []))}",
              f"Categories: {inert(', '.join(paper.get('categories') or []))}"]
    return "<paper>\n" + "\n".join(header) + f"\n\nAbstract: {inert(paper['abstract'])}\n\n{inert(body)}\n</paper>"


def parse_lenient(content: str) -> dict:
    """JSON from a small model: raw newlines inside strings (strict=False), text around the object."""
    content = content.strip()
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    return json.loads(content[start: end + 1], strict=False)


# ---------------------------------------------------------------- fitting the context

def estimate_tokens(text: str) -> int:
    """Conservative estimate when the server cannot count: ~3 characters a token for English."""
    return len(text) // 3 + 1


@dataclass
class FittedText:
    body: str
    basis: str  # fulltext | fulltext_trimmed | abstract
    dropped: list[str] = field(default_factory=list)


def fit_sections(sections: list[dict], budget_tokens: int, count: Callable[[str], int] = estimate_tokens) -> FittedText:
    """The paper's sections within `budget_tokens`: drop references, then appendix, then related
    work, then shorten the longest remaining section (at a sentence end) until it fits."""
    if not sections:
        return FittedText("", "abstract")
    kept = [dict(s) for s in sections if s.get("text")]

    def render(parts):
        return "\n\n".join(f"## {p['title']}\n{p['text']}" if p.get("title") else p["text"] for p in parts)

    dropped: list[str] = []
    for kind in DROP_ORDER:
        if count(render(kept)) <= budget_tokens:
            break
        if any(s["kind"] == kind for s in kept):
            kept = [s for s in kept if s["kind"] != kind]
            dropped.append(kind)
    shortened = False
    for _ in range(200):
        if count(render(kept)) <= budget_tokens or not kept:
            break
        longest = max(kept, key=lambda s: len(s["text"]))
        cut = longest["text"][: int(len(longest["text"]) * 0.75)]
        end = max(cut.rfind(". "), cut.rfind("。"))
        longest["text"] = (cut[: end + 1] if end > len(cut) // 2 else cut) + " […]"
        shortened = True
    body = render(kept)
    trimmed = bool(dropped) or shortened
    return FittedText(body, "fulltext_trimmed" if trimmed else "fulltext", dropped)


# ---------------------------------------------------------------- citations

def _heading_key(title: str) -> str:
    """'3.1 Method.' == 'method': numbering, case and punctuation left out."""
    return re.sub(r"[^a-z\u4e00-\u9fff]", "", re.sub(r"^[\dIVXivx.\s]+", "", title.lower()))


def citation_share(cited: list[str], section_titles: list[str]) -> float | None:
    """Share of the sections the model says it drew on that exist in the paper (the abstract always
    does; None: it named none)."""
    if not cited:
        return None
    known = {_heading_key(t) for t in [*section_titles, "Abstract"]} - {""}
    found = [c for c in cited if (key := _heading_key(c)) and any(key == k or (len(key) >= 4 and key in k)
                                                                 or (len(k) >= 4 and k in key) for k in known)]
    return round(len(found) / len(cited), 3)


# ---------------------------------------------------------------- requests

@dataclass
class AnalysisRequest:
    key: str
    messages: list[dict]
    max_tokens: int
    source_text: str
    abstract: str = ""
    language: str = "en"
    section_titles: list[str] = field(default_factory=list)

    @property
    def instructions(self) -> str:
        return self.messages[0]["content"]


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
    citation_share: float | None = None


def request_options(backend: str, schema: dict, attempt: int) -> dict:
    """The structured-output shape per server, and sampling that keeps a small model from looping."""
    if backend == "llama-cpp":
        return {"response_format": {"type": "json_object", "schema": schema},
                "temperature": 0.2 if attempt == 0 else 0.0,
                "seed": 42 + attempt,  # reproducible on the CPU server
                "extra_body": {"repeat_penalty": 1.3 if attempt == 0 else 1.4}}
    return {"response_format": {"type": "json_schema", "json_schema": {"name": "paper_analysis", "schema": schema}},
            "temperature": 0.3 if attempt == 0 else 0.0,
            "extra_body": {"chat_template_kwargs": {"enable_thinking": False}, "repetition_penalty": 1.05}}


REPAIR_NOTE = {
    "en": "Your answer was rejected: {problems}. Write the JSON again. Each field must say something different, in "
          "your own words and in complete sentences; do not copy the instructions, the tags or the abstract.",
    "zh": "你的回答未通过检查：{problems}。请重新输出 JSON。每个字段都要用你自己的话写出不同的内容，句子完整；"
          "不要照抄说明、标签或摘要。",
}


async def analyse_one(client, model: str, backend: str, request: AnalysisRequest, schema: dict,
                      semaphore: asyncio.Semaphore,
                      shrink: Callable[[AnalysisRequest], AnalysisRequest | None]) -> AnalysisOutcome:
    """One paper: the request; one repair retry on an invalid, truncated or junk answer (a junk
    answer is shown to the model with what was wrong); one shrink retry on a context overflow.
    Junk twice is `rejected`, naming the gate. Never raises. A paper keeps its slot for all its
    attempts: the server still holds its prompt in cache for the repair (llama.cpp re-evaluated
    ~3,000 prompt tokens, ~20 s on 2 cores, when another paper's request came in between)."""
    async with semaphore:
        return await _attempts(client, model, backend, request, schema, shrink)


async def _attempts(client, model: str, backend: str, request: AnalysisRequest, schema: dict,
                    shrink: Callable[[AnalysisRequest], AnalysisRequest | None]) -> AnalysisOutcome:
    import openai

    tokens_in = tokens_out = 0
    busy = 0.0  # time spent on this paper's requests, not waiting for a free slot
    problem, raw, finish = "not attempted", None, None
    overflowed = False
    junk: Quality | None = None
    field_max = schema["properties"]["summary"].get("maxLength", 0)
    messages = request.messages
    for attempt in range(2):
        try:
            started = time.perf_counter()
            try:
                response = await client.chat.completions.create(
                    model=model, messages=messages, max_tokens=request.max_tokens,
                    **request_options(backend, schema, attempt))
            finally:
                busy += time.perf_counter() - started
        except openai.BadRequestError as exc:
            text = str(exc)
            if not overflowed and ("context" in text.lower() or "exceed" in text.lower()):
                overflowed = True
                smaller = shrink(request)
                if smaller is not None:
                    request = smaller
                    messages = request.messages
                    problem = f"context overflow, retried with less text: {text[:200]}"
                    continue
            problem = f"HTTP 400: {text[:300]}"
            break
        except (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError,
                openai.APIStatusError) as exc:
            problem = f"{type(exc).__name__}: {str(exc)[:300]}"
            return AnalysisOutcome("failed", None, problem, tokens_in, tokens_out, busy, finish, raw, attempt + 1,
                                   retryable=True)  # the client already retried; the server is down: re-run later
        usage = response.usage
        tokens_in += getattr(usage, "prompt_tokens", 0) or 0
        tokens_out += getattr(usage, "completion_tokens", 0) or 0
        choice = response.choices[0]
        raw, finish = choice.message.content or "", choice.finish_reason
        junk = None
        if finish == "length":
            problem = f"answer cut off at max_tokens={request.max_tokens} (finish_reason length)"
            continue
        try:
            analysis = close_cut_fields(PaperAnalysis.model_validate(parse_lenient(raw)).model_dump(), field_max)
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            problem = f"invalid answer: {details[:300]}"
            continue
        except ValueError as exc:
            problem = f"invalid answer: {str(exc)[:300]}"
            continue
        quality = assess(analysis, language=request.language, source=request.source_text,
                         abstract=request.abstract, instructions=request.instructions)
        if not quality.passed:
            junk = quality
            problem = "; ".join(quality.problems)
            note = REPAIR_NOTE.get(request.language, REPAIR_NOTE["en"]).format(problems=problem)
            messages = [*request.messages, {"role": "assistant", "content": raw}, {"role": "user", "content": note}]
            continue
        return AnalysisOutcome("ok", analysis, None, tokens_in, tokens_out, busy, finish, raw, attempt + 1,
                               quality=quality,
                               citation_share=citation_share(analysis["cited_sections"], request.section_titles))
    if junk is not None:
        return AnalysisOutcome("rejected", None, f"rejected by {', '.join(junk.junk)}: {problem}", tokens_in,
                               tokens_out, busy, finish, raw, attempt + 1, quality=junk)
    return AnalysisOutcome("failed", None, problem, tokens_in, tokens_out, busy, finish, raw, attempt + 1)


async def analyse_all(
    base_url: str,
    api_key: str,
    model: str,
    backend: str,
    requests: list[AnalysisRequest],
    schema: dict,
    max_in_flight: int,
    timeout: float,
    shrink: Callable[[AnalysisRequest], AnalysisRequest | None],
    client=None,
) -> list[AnalysisOutcome]:
    import openai

    client = client or openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=1, timeout=timeout)
    semaphore = asyncio.Semaphore(max_in_flight)
    try:
        return list(
            await asyncio.gather(*(analyse_one(client, model, backend, r, schema, semaphore, shrink) for r in requests))
        )
    finally:
        await client.close()
