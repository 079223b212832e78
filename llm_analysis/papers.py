"""Every paper of a day analysed: cached analyses reused, minor revisions taking their earlier version's
analysis, the rest asked of a running server one question per request (llm_analysis/questions.py), and
the `paper_summaries` row of each, built in one place."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openai
import polars as pl

from llm_analysis.answers import ANALYSIS_FIELDS, AnalysisOutcome, estimate_tokens
from llm_analysis.bias import long_name_bias, lowercase_word_tokens
from llm_analysis.endpoint import LLMServer
from llm_analysis.gates import QUALITY_STRUCT
from llm_analysis.passages import SectionRequest, paper_header, passages_of_paper, read_kinds
from llm_analysis.questions import SAMPLING, analyse_sections, section_prompts

PASSAGE = pl.Struct({"section": pl.Utf8, "text": pl.Utf8})
SUMMARY_SCHEMA = {
    "arxiv_id": pl.Utf8, "version": pl.Int32, "status": pl.Utf8, "error": pl.Utf8, "retryable": pl.Boolean,
    "basis": pl.Utf8,
    "dropped_sections": pl.List(pl.Utf8), **{f: pl.Utf8 for f in ANALYSIS_FIELDS}, "keywords": pl.List(pl.Utf8),
    "language": pl.Utf8, "model": pl.Utf8, "backend": pl.Utf8, "prompt_version": pl.Utf8, "text_hash": pl.Utf8,
    "tokens_in": pl.Int32, "tokens_out": pl.Int32, "latency_seconds": pl.Float64, "finish_reason": pl.Utf8,
    "grounding_score": pl.Float64, "cached": pl.Boolean, "attempts": pl.Int32, "raw_output": pl.Utf8,
    "analysed_at": pl.Datetime("us", "UTC"), "cited_sections": pl.List(pl.Utf8), "citation_share": pl.Float64,
    "quality": QUALITY_STRUCT, "reused_from": pl.Int32,
    # Each shown sentence of the analysis with the paper's sentences it rests on; those not shown, and why.
    "statements": pl.List(pl.Struct({"section": pl.Utf8, "text": pl.Utf8, "sources": pl.List(PASSAGE)})),
    "dropped_statements": pl.List(pl.Struct({"section": pl.Utf8, "text": pl.Utf8, "reason": pl.Utf8})),
}


PROMPT_MARGIN = 0.05


# Tokens of the paper one question may carry (0: the context decides); each question's passages stay well
# under it (six sentences). On 2 CPU cores llama.cpp evaluates ~45 prompt tokens/s (Qwen2.5-1.5B).
SECTION_INPUT_TOKENS = {"llama-cpp": 1500}


def source_hash(paper: dict) -> str:
    sections = paper.get("sections") or []
    material = paper["abstract"] + "\n" + "\n".join(f"{s['kind']}|{s['title']}|{s['text']}" for s in sections)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def build_section_request(paper: dict, language: str, budget: int, count=estimate_tokens
                          ) -> tuple[SectionRequest, str, list[str]]:
    """What the model reads for one paper (for each question, the paper's sentences it is written from,
    each question's within `budget` tokens) and the basis the report states: the full text or the abstract,
    and the kinds of section no question reads."""
    sections = [s for s in (paper.get("sections") or []) if s["kind"] != "front"] if paper.get("fulltext_ok") else []
    passages = passages_of_paper(paper["abstract"], sections)
    header = paper_header(paper)
    request = SectionRequest(paper["arxiv_id"], header, passages, paper["abstract"], language)
    # the abstract first (every question reads it), then each question's own sentences, within the budget
    for question in ("summary", *(q for q in passages if q != "summary")):
        chosen = passages[question]
        while len(chosen) > 1 and count(request.block(question)) > budget > 0:
            chosen.pop()
    from_full_text = any(request.from_full_text(question) for question in passages)
    skipped = sorted({s["kind"] for s in sections if s["kind"] not in read_kinds() and s.get("text")})
    return request, "fulltext_trimmed" if from_full_text else "abstract", skipped if from_full_text else []


def reuse_for_minor_revisions(papers: list[dict], analyses: list[dict],
                              now: dt.datetime) -> tuple[list[dict], list[dict]]:
    """(rows re-used, papers still to analyse): a minor revision (arxiv_domain/revision.py) takes the
    stored ok analysis of the version it revises (`analyses`: revised_analyses, in the report's
    language), without asking the model."""
    reused, rest = [], []
    for paper in papers:
        earlier = [r for r in analyses
                   if r["arxiv_id"] == paper["arxiv_id"] and r["version"] == paper.get("revision_of")]
        if paper.get("revision_kind") == "minor" and earlier:
            row = max(earlier, key=lambda r: r["analysed_at"])
            reused.append({**{k: row.get(k) for k in SUMMARY_SCHEMA}, "version": paper["version"], "cached": True,
                           "tokens_in": 0, "tokens_out": 0, "analysed_at": now, "reused_from": row["version"]})
        else:
            rest.append(paper)
    return reused, rest


@dataclass(frozen=True)
class ModelRun:
    """What a run of the model is, as the rows record it and the cache is keyed by."""

    language: str
    model: str  # the model's identity (backend, file or name)
    family: str  # the sampling table's key: "vllm", or the GGUF's family for llama.cpp
    headings: dict[str, str]  # each question's heading in the report, as the answers name it
    gguf: Path | None = None  # the file llama.cpp serves: the logit bias is read from its vocabulary
    timeout_seconds: float = 900.0  # one request
    retry_failed: bool = False  # also ask again for papers whose answer was invalid last time


def reuse_cached(papers: list[dict], cached: dict, run: ModelRun,
                 now: dt.datetime) -> tuple[dict[int, dict], list[int]]:
    """({index: cached row, zero tokens}, indices still to analyse) for this prompt version and model."""
    version = section_prompts(run.language).version
    rows: dict[int, dict] = {}
    missing = []
    for i, paper in enumerate(papers):
        key = (paper["arxiv_id"], paper["version"], source_hash(paper), version, run.model, run.language)
        if key in cached and (cached[key]["status"] == "ok" or not run.retry_failed):
            rows[i] = {**cached[key], "cached": True, "tokens_in": 0, "tokens_out": 0, "analysed_at": now}
        else:
            missing.append(i)
    return rows, missing


@dataclass
class BuiltRequest:
    """What the model reads for one paper, and what the report says it was written from."""

    request: SectionRequest
    basis: str
    dropped: list[str]


def summary_row(paper: dict, outcome: AnalysisOutcome, request: BuiltRequest, run: ModelRun, backend: str,
                now: dt.datetime) -> dict:
    """The `paper_summaries` row of one paper's outcome."""
    analysis = outcome.analysis or {}
    return {
        "arxiv_id": paper["arxiv_id"], "version": paper["version"], "status": outcome.status,
        "error": outcome.error, "retryable": outcome.retryable, "basis": request.basis,
        "dropped_sections": request.dropped, **{f: analysis.get(f) for f in ANALYSIS_FIELDS},
        "keywords": analysis.get("keywords", []), "language": run.language, "model": run.model, "backend": backend,
        "prompt_version": section_prompts(run.language).version, "text_hash": source_hash(paper),
        "tokens_in": outcome.tokens_in, "tokens_out": outcome.tokens_out,
        "latency_seconds": round(outcome.latency_seconds, 3), "finish_reason": outcome.finish_reason,
        # The gates measured it already (llm_analysis/gates.py); kept as its own column for SQL users.
        "grounding_score": outcome.quality.number_grounding if outcome.status == "ok" else None,
        "cached": False, "attempts": outcome.attempts, "raw_output": outcome.raw_output, "analysed_at": now,
        "cited_sections": analysis.get("cited_sections", []), "citation_share": None,
        "quality": outcome.quality.as_row() if outcome.quality else None,
        "statements": analysis.get("statements", []), "dropped_statements": analysis.get("dropped_statements", []),
    }


def reading_budget(server: LLMServer) -> int:
    """Tokens of each paper the model reads: the setting, the backend's default, or what the context leaves
    for the longest answer and its repair."""
    budget = server.max_input_tokens or SECTION_INPUT_TOKENS.get(server.backend, 0)
    return budget or max(1024, int(server.context_length * (1 - PROMPT_MARGIN)) - 2048)


def sampling_for(server: LLMServer, run: ModelRun) -> dict:
    prompts = section_prompts(run.language)
    sampling = SAMPLING["vllm" if server.backend != "llama-cpp" else run.family]
    bias = prompts.sampling.get("latin_word_bias")
    if bias and server.backend == "llama-cpp" and run.gguf:
        sampling = {**sampling, "logit_bias": dict.fromkeys(map(str, lowercase_word_tokens(run.gguf)), float(bias))}
    return sampling


def build_requests(papers: dict[int, dict], server: LLMServer, run: ModelRun) -> dict[int, BuiltRequest]:
    budget = reading_budget(server)
    count = lambda text: server.tokenize_count(text) or estimate_tokens(text)  # noqa: E731
    built = {i: BuiltRequest(*build_section_request(p, run.language, budget, count)) for i, p in papers.items()}
    name_bias = section_prompts(run.language).sampling.get("long_name_bias")
    if name_bias and server.backend == "llama-cpp" and run.gguf:
        for i, paper in papers.items():
            built[i].request.logit_bias = long_name_bias(paper, run.gguf, name_bias)
    return built


class PaperProgress:
    """A line per finished paper: `k/N`, its short title, what it was read from, its outcome and seconds,
    and the time left, from the speed this run measured on this machine so far."""

    def __init__(self, papers: dict[int, dict], built: dict[int, BuiltRequest], log: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic, several: bool = False):
        self.papers, self.built, self.log, self.clock, self.several = papers, built, log, clock, several
        self.started, self.done = clock(), 0

    def finished(self, i: int, outcome: AnalysisOutcome) -> None:
        self.done += 1
        total, title = len(self.papers), " ".join(self.papers[i]["title"].split())
        basis = "full text" if self.built[i].basis != "abstract" else "abstract"
        line = (f"{self.done}/{total} {title[:60] + '…' if len(title) > 60 else title} ({basis}): "
                f"{outcome.status}, {outcome.latency_seconds:.0f} s")
        if self.several and outcome.served_by:
            line += f" on {outcome.served_by}"
        if self.done < total:
            left = (self.clock() - self.started) / self.done * (total - self.done)
            line += f"; about {left / 60:.0f} min left" if left >= 90 else f"; about {left:.0f} s left"
        self.log(line)


def analyse_papers(papers: list[dict], missing: list[int], servers: list[LLMServer], run: ModelRun, now: dt.datetime,
                   log: Callable[[str], None] = lambda _: None,
                   save: Callable[[dict[int, dict]], None] | None = None) -> dict[int, dict]:
    """{index: row} of the papers at `missing`, asked of `servers` (one or several serving the same model) one
    question per request. Stopped midway (Ctrl-C, SIGTERM, Dagster's terminate), it hands `save` the rows so
    far, the rest as retryable failures, so that a re-run asks only for those."""
    first = servers[0]
    built = build_requests({i: papers[i] for i in missing}, first, run)
    where = f"{first.max_in_flight} in flight" if len(servers) == 1 else (
        f"{len(servers)} endpoints, {sum(s.max_in_flight for s in servers)} in flight")
    log(f"analysing {len(missing)} papers with {run.model} ({first.backend}, one question per request, "
        f"{where}, reading up to {reading_budget(first)} tokens of each paper)")
    finished: dict[int, AnalysisOutcome] = {}

    def rows(outcomes: dict[int, AnalysisOutcome]) -> dict[int, dict]:
        return {i: summary_row(papers[i], outcomes[i], built[i], run, first.backend, now) for i in outcomes}

    try:
        requests = {i: b.request for i, b in built.items()}
        progress = PaperProgress({i: papers[i] for i in missing}, built, log, several=len(servers) > 1)
        asyncio.run(ask_all(servers, requests, finished, run, sampling_for(first, run), progress.finished, log=log))
    except BaseException:
        if save is not None:
            stopped = AnalysisOutcome("failed", None, "interrupted before this paper was analysed", 0, 0, 0.0,
                                      None, None, 0, retryable=True)
            save(rows({i: finished.get(i, stopped) for i in missing}))
        raise
    return rows(finished)


async def ask_all(servers: list[LLMServer], requests: dict[int, SectionRequest], finished: dict, run: ModelRun,
                  sampling: dict, on_finished: Callable[[int, AnalysisOutcome], None] = lambda i, o: None,
                  clients: list | None = None, log: Callable[[str], None] = lambda _: None) -> None:
    """Every paper's questions over `servers`: each takes as many papers at a time as it has in flight, and all of
    one paper's questions go to one server (its prefix cache then evaluates the paper once). A server that stops
    answering (connection lost, timeout, 5xx) while another still answers is left for the rest of the run and
    its paper goes back to the queue; the last one answering is kept, its failures the papers' own. Each outcome
    lands in `finished` (and is handed to `on_finished`) as soon as its paper is done. `clients`: one
    OpenAI-compatible async client per server (made for them when not given)."""
    prompts, headings = section_prompts(run.language), run.headings
    clients = clients or [openai.AsyncOpenAI(base_url=s.base_url, api_key=s.api_key, max_retries=1,
                                             timeout=run.timeout_seconds) for s in servers]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in requests:
        queue.put_nowait(i)
    down: set[int] = set()

    async def worker(n: int) -> None:
        server = servers[n]
        while n not in down:
            i = await queue.get()
            try:
                outcome = await analyse_sections(clients[n], server.model, sampling, requests[i], prompts, headings,
                                                 server.backend, server.max_output_tokens)
                if outcome.status == "failed" and outcome.retryable and (n in down or len(down) < len(servers) - 1):
                    if n not in down:
                        down.add(n)
                        log(f"LLM endpoint {server.base_url} stopped answering ({outcome.error}); its papers go to "
                            "the others")
                    queue.put_nowait(i)
                    return
                finished[i] = dataclasses.replace(outcome, served_by=server.base_url)
                on_finished(i, finished[i])
            finally:
                queue.task_done()

    workers = [asyncio.create_task(worker(n)) for n, s in enumerate(servers) for _ in range(max(1, s.max_in_flight))]
    joined = asyncio.create_task(queue.join())
    try:
        pending: set[asyncio.Task] = {joined, *workers}
        while not joined.done():  # a worker's own error (not the server's) ends the day instead of hanging it
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {joined}:
                if task.exception():
                    raise task.exception()
    finally:
        for task in (joined, *workers):
            task.cancel()
        await asyncio.gather(joined, *workers, return_exceptions=True)
        for client in clients:
            await client.close()
