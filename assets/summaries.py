"""`paper_summaries`: a structured LLM analysis of every filtered paper, complete or marked failed."""

import asyncio
import datetime as dt
import hashlib
import time

import dagster as dg
import polars as pl

from arxiv_domain.calendar import parse_day
from assets.analysis import (
    ANALYSIS_FIELDS,
    AnalysisOutcome,
    AnalysisRequest,
    analyse_all,
    analysis_schema,
    estimate_tokens,
    fit_sections,
    paper_block,
    prompt,
)
from assets.partitions import clear_failures, daily_asset
from assets.quality import QUALITY_STRUCT
from assets.section_questions import (
    SAMPLING,
    SectionRequest,
    analyse_sections,
    named_long_forms,
    section_prompts,
    select_text,
)
from assets.section_questions import paper_block as section_paper_block
from assets.wording import analysis_headings
from resources.data_dir import DataDirResource
from resources.llm_server import LLMServer, LLMServerResource, capitalised_pieces, lowercase_word_tokens
from resources.monitor import MonitorResource
from resources.warehouse import WarehouseResource

SUMMARY_SCHEMA = {
    "arxiv_id": pl.Utf8, "version": pl.Int32, "status": pl.Utf8, "error": pl.Utf8, "retryable": pl.Boolean,
    "basis": pl.Utf8,
    "dropped_sections": pl.List(pl.Utf8), **{f: pl.Utf8 for f in ANALYSIS_FIELDS}, "keywords": pl.List(pl.Utf8),
    "language": pl.Utf8, "model": pl.Utf8, "backend": pl.Utf8, "prompt_version": pl.Utf8, "text_hash": pl.Utf8,
    "tokens_in": pl.Int32, "tokens_out": pl.Int32, "latency_seconds": pl.Float64, "finish_reason": pl.Utf8,
    "grounding_score": pl.Float64, "cached": pl.Boolean, "attempts": pl.Int32, "raw_output": pl.Utf8,
    "analysed_at": pl.Datetime("us", "UTC"), "cited_sections": pl.List(pl.Utf8), "citation_share": pl.Float64,
    "quality": QUALITY_STRUCT, "reused_from": pl.Int32,
}
# Per backend: (max output tokens, max input tokens; 0 = the context decides). The CPU model is
# small: a capped input keeps it from looping (measured on the 135M model); six Chinese fields from a GPU
# model need room (~1,000 tokens each). The per-field character limit is the server's
# (`[llm].llama_field_max_chars`, `vllm_field_max_chars`).
BACKEND_DEFAULTS = {"llama-cpp": (1024, 3500), "vllm": (6144, 0), "external": (6144, 0)}
PROMPT_MARGIN = 0.05
# One question per request: tokens of the paper the model reads (0: the context decides). On 2 CPU cores
# llama.cpp evaluates ~45 prompt tokens/s (Qwen2.5-1.5B): 1,500 tokens are ~33 s, once per paper (the
# prefix cache).
SECTION_INPUT_TOKENS = {"llama-cpp": 1500}


class SummariesConfig(dg.Config):
    """What one run of paper_summaries does; how the model is asked is the LLM server resource's."""

    timeout_seconds: float = 900.0  # one request
    retry_failed: bool = False  # also ask again for papers whose answer was invalid last time


def model_identity(llm: LLMServerResource, backend: str | None = None) -> str:
    """The model a run uses, known before any server starts (so the cache can be checked first)."""
    backend = backend or llm.resolved_backend()
    if backend == "llama-cpp":
        return f"llama-cpp:{llm.gguf_identity()}"
    return f"vllm:{llm.vllm_model}" if backend == "vllm" else f"external:{llm.served_model_name}"


def source_hash(paper: dict) -> str:
    sections = paper.get("sections") or []
    material = paper["abstract"] + "\n" + "\n".join(f"{s['kind']}|{s['title']}|{s['text']}" for s in sections)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def build_request(paper: dict, language: str, server: LLMServer, max_output: int, max_input: int,
                  count=estimate_tokens) -> tuple[AnalysisRequest, str, list[str]]:
    """The chat messages for one paper, fitted into the server's context with room for the answer."""
    instructions, _ = prompt(language)
    sections = [s for s in (paper.get("sections") or []) if s["kind"] != "front"] if paper.get("fulltext_ok") else []
    overhead = count(instructions + paper_block(paper, ""))
    budget = int(server.context_length * (1 - PROMPT_MARGIN)) - max_output - overhead
    if max_input:
        budget = min(budget, max_input - overhead)
    fitted = fit_sections(sections, max(budget, 0), count) if sections else None
    body = fitted.body if fitted else ""
    basis = fitted.basis if fitted and fitted.body else "abstract"
    messages = [{"role": "system", "content": instructions},
                {"role": "user", "content": paper_block(paper, body)}]
    source = paper["abstract"] + "\n" + "\n".join(s["text"] for s in sections)
    titles = [s["title"] for s in sections if s.get("title")]
    request = AnalysisRequest(paper["arxiv_id"], messages, max_output, source, abstract=paper["abstract"],
                              language=language, section_titles=titles)
    return request, basis, fitted.dropped if fitted else []


def build_section_request(paper: dict, language: str, budget: int, count=estimate_tokens
                          ) -> tuple[SectionRequest, str, list[str]]:
    """What the model reads for one paper (the abstract and the sections that answer the questions, within
    `budget` tokens) and the basis the report states."""
    sections = [s for s in (paper.get("sections") or []) if s["kind"] != "front"] if paper.get("fulltext_ok") else []
    fitted = select_text(sections, budget, count) if sections else None
    body = fitted.body if fitted else ""
    basis = fitted.basis if fitted and fitted.body else "abstract"
    block = section_paper_block(paper, body)
    titles = [line[3:] for line in body.splitlines() if line.startswith("## ")]
    request = SectionRequest(paper["arxiv_id"], block, block, paper["abstract"], language, titles,
                             from_abstract_only=basis == "abstract")
    return request, basis, fitted.dropped if fitted else []


def long_name_bias(paper: dict, gguf, bias: float) -> dict[str, float]:
    """{token id: bias} that keeps the names the paper abbreviates from being spelled out ("Stage-Aware
    Reinforcement" rather than STARE): every capitalised piece of their long forms, except pieces the rest
    of the title and abstract use in other names."""
    long_forms = list(named_long_forms(paper).values())
    if not long_forms:
        return {}
    rest = f"{paper['title']} {paper['abstract']}"
    for long in long_forms:
        rest = rest.replace(long, " ")
    return dict.fromkeys(map(str, capitalised_pieces(gguf, long_forms, rest)), float(bias))


def reuse_cached(papers: list[dict], cached: dict, prompt_version: str, model: str, language: str,
                 config: SummariesConfig, now: dt.datetime) -> tuple[dict[int, dict], list[int]]:
    """({index: cached row, zero tokens}, indices still to analyse) for one prompt version and model."""
    rows: dict[int, dict] = {}
    missing = []
    for i, paper in enumerate(papers):
        key = (paper["arxiv_id"], paper["version"], source_hash(paper), prompt_version, model, language)
        if key in cached and (cached[key]["status"] == "ok" or not config.retry_failed):
            rows[i] = {**cached[key], "cached": True, "tokens_in": 0, "tokens_out": 0, "analysed_at": now}
        else:
            missing.append(i)
    return rows, missing


def analyse_papers(papers: list[dict], cached: dict, llm: LLMServerResource, language: str,
                   config: SummariesConfig, log=None, save=None) -> list[dict]:
    """Rows for every paper: cached analyses reused (zero tokens); the rest sent to the server,
    which is only started when something is missing."""
    if llm.analysis_strategy == "sections":
        return analyse_papers_by_section(papers, cached, llm, language, config, log, save)
    _, prompt_version = prompt(language)
    now = dt.datetime.now(dt.UTC)
    rows, missing = reuse_cached(papers, cached, prompt_version, model_identity(llm), language, config, now)
    if not missing:
        return [rows[i] for i in range(len(papers))]
    with llm.running() as server:
        backend_defaults = BACKEND_DEFAULTS[server.backend]
        max_output = server.max_output_tokens or backend_defaults[0]
        field_chars = server.field_max_chars
        max_input = server.max_input_tokens or backend_defaults[1]
        model = model_identity(llm, server.backend)
        count = lambda text: server.tokenize_count(text) or estimate_tokens(text)  # noqa: E731
        requests, bases = [], {}
        for i in missing:
            request, basis, dropped = build_request(papers[i], language, server, max_output, max_input)
            # One exact count of what is sent; too long for the context -> fit again, tighter.
            total = count(request.messages[0]["content"] + request.messages[1]["content"])
            if total + max_output > server.context_length * (1 - PROMPT_MARGIN / 2):
                tighter = max(256, max_input or server.context_length - max_output) * 2 // 3
                request, basis, dropped = build_request(papers[i], language, server, max_output, tighter)
            requests.append(request)
            bases[i] = (basis, dropped)

        def shrink(request: AnalysisRequest) -> AnalysisRequest | None:
            paper = next(p for p in papers if p["arxiv_id"] == request.key)
            smaller, basis, dropped = build_request(paper, language, server, max_output,
                                                    max(256, (max_input or server.context_length) // 2))
            bases[papers.index(paper)] = (basis, dropped)
            return smaller

        if log:
            log.info(f"analysing {len(requests)} papers with {model} ({server.backend}, "
                     f"{server.max_in_flight} in flight, context {server.context_length})")
        outcomes = asyncio.run(analyse_all(server.base_url, server.api_key, server.model, server.backend, requests,
                                           analysis_schema(field_chars), server.max_in_flight,
                                           config.timeout_seconds, shrink))
        for i, outcome in zip(missing, outcomes):
            paper = papers[i]
            basis, dropped = bases[i]
            analysis = outcome.analysis or {}
            rows[i] = {
                "arxiv_id": paper["arxiv_id"], "version": paper["version"], "status": outcome.status,
                "error": outcome.error, "retryable": outcome.retryable, "basis": basis, "dropped_sections": dropped,
                **{f: analysis.get(f) for f in ANALYSIS_FIELDS}, "keywords": analysis.get("keywords", []),
                "language": language, "model": model, "backend": server.backend, "prompt_version": prompt_version,
                "text_hash": source_hash(paper), "tokens_in": outcome.tokens_in, "tokens_out": outcome.tokens_out,
                "latency_seconds": round(outcome.latency_seconds, 3), "finish_reason": outcome.finish_reason,
                # The gates measured it already (assets/quality.py); kept as its own column for SQL users.
                "grounding_score": outcome.quality.number_grounding if outcome.status == "ok" else None,
                "cached": False, "attempts": outcome.attempts, "raw_output": outcome.raw_output, "analysed_at": now,
                "cited_sections": analysis.get("cited_sections", []), "citation_share": outcome.citation_share,
                "quality": outcome.quality.as_row() if outcome.quality else None,
            }
    return [rows[i] for i in range(len(papers))]


def analyse_papers_by_section(papers: list[dict], cached: dict, llm: LLMServerResource, language: str,
                              config: SummariesConfig, log=None, save=None) -> list[dict]:
    """The one-question-per-request strategy (assets/section_questions.py): rows for every paper, cached
    analyses reused. Stopped midway, it hands `save` the rows so far (the rest as retryable failures)."""
    prompts = section_prompts(language)
    now = dt.datetime.now(dt.UTC)
    rows, missing = reuse_cached(papers, cached, prompts.version, model_identity(llm), language, config, now)
    if not missing:
        return [rows[i] for i in range(len(papers))]
    with llm.running() as server:
        budget = server.max_input_tokens or SECTION_INPUT_TOKENS.get(server.backend, 0)
        if not budget:  # the context decides: room for the longest answer and its repair
            budget = max(1024, int(server.context_length * (1 - PROMPT_MARGIN)) - 2048)
        model = model_identity(llm, server.backend)
        sampling = SAMPLING["vllm" if server.backend != "llama-cpp" else llm.model_family()]
        bias = prompts.sampling.get("latin_word_bias")
        if bias and server.backend == "llama-cpp":  # the token ids come from the GGUF llama.cpp serves
            sampling = {**sampling, "logit_bias": dict.fromkeys(map(str, lowercase_word_tokens(llm.gguf_path())),
                                                                float(bias))}
        count = lambda text: server.tokenize_count(text) or estimate_tokens(text)  # noqa: E731
        built = {i: build_section_request(papers[i], language, budget, count) for i in missing}
        name_bias = prompts.sampling.get("long_name_bias")
        if name_bias and server.backend == "llama-cpp":
            for i in missing:
                built[i][0].logit_bias = long_name_bias(papers[i], llm.gguf_path(), name_bias)
        headings = analysis_headings(language)
        if log:
            log.info(f"analysing {len(missing)} papers with {model} ({server.backend}, one question per request, "
                     f"{server.max_in_flight} in flight, reading up to {budget} tokens of each paper)")
        cap = server.max_output_tokens
        finished: dict[int, AnalysisOutcome] = {}

        def row(i: int, outcome: AnalysisOutcome) -> dict:
            paper, (_, basis, dropped) = papers[i], built[i]
            analysis = outcome.analysis or {}
            return {
                "arxiv_id": paper["arxiv_id"], "version": paper["version"], "status": outcome.status,
                "error": outcome.error, "retryable": outcome.retryable, "basis": basis, "dropped_sections": dropped,
                **{f: analysis.get(f) for f in ANALYSIS_FIELDS}, "keywords": analysis.get("keywords", []),
                "language": language, "model": model, "backend": server.backend, "prompt_version": prompts.version,
                "text_hash": source_hash(paper), "tokens_in": outcome.tokens_in, "tokens_out": outcome.tokens_out,
                "latency_seconds": round(outcome.latency_seconds, 3), "finish_reason": outcome.finish_reason,
                "grounding_score": outcome.quality.number_grounding if outcome.status == "ok" else None,
                "cached": False, "attempts": outcome.attempts, "raw_output": outcome.raw_output, "analysed_at": now,
                "cited_sections": analysis.get("cited_sections", []), "citation_share": None,
                "quality": outcome.quality.as_row() if outcome.quality else None,
            }

        try:
            asyncio.run(_ask_all(server, {i: built[i][0] for i in missing}, finished, prompts, headings, sampling,
                                 config.timeout_seconds, cap))
        except BaseException:
            # Stopped (Ctrl-C, SIGTERM, Dagster's terminate): the papers finished so far are kept, the rest
            # stored as retryable failures, so that a re-run asks only for those.
            if save is not None:
                stopped = AnalysisOutcome("failed", None, "interrupted before this paper was analysed", 0, 0, 0.0,
                                          None, None, 0, retryable=True)
                save([rows[i] if i in rows else row(i, finished.get(i, stopped)) for i in range(len(papers))])
            raise
        for i in missing:
            rows[i] = row(i, finished[i])
    return [rows[i] for i in range(len(papers))]


async def _ask_all(server: LLMServer, requests: dict[int, SectionRequest], finished: dict, prompts, headings,
                   sampling, timeout: float, cap: int) -> None:
    """Every paper's questions, `server.max_in_flight` papers at a time; each outcome lands in `finished`
    as soon as its paper is done."""
    import openai

    client = openai.AsyncOpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=1, timeout=timeout)
    semaphore = asyncio.Semaphore(server.max_in_flight)

    async def one(i: int, request: SectionRequest) -> None:
        async with semaphore:
            finished[i] = await analyse_sections(client, server.model, sampling, request, prompts, headings,
                                                 server.backend, cap)

    try:
        await asyncio.gather(*(one(i, r) for i, r in requests.items()))
    finally:
        await client.close()


def load_papers(warehouse: WarehouseResource, day: dt.date) -> list[dict]:
    papers = warehouse.query_rows("papers_to_analyse", partition_date=day)
    for p in papers:
        p["fulltext_ok"] = p.pop("fulltext_status") == "ok"
    return papers


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


def load_cache(warehouse: WarehouseResource, papers: list[dict]) -> dict:
    """Earlier ok analyses of these papers, from any partition, keyed by the cache key."""
    ids = sorted({p["arxiv_id"] for p in papers})
    if not ids:
        return {}
    rows = warehouse.query_rows("summary_cache", arxiv_ids=ids)
    return {(r["arxiv_id"], r["version"], r["text_hash"], r["prompt_version"], r["model"], r["language"]): r
            for r in rows}


def build_paper_summaries(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The paper_summaries asset over `partitions`."""

    @dg.asset(
        **daily_asset(partitions),
        deps=["paper_fulltext"],
        pool="llm",
        kinds={"duckdb", "openai"},
        group_name="analyse",
        retry_policy=dg.RetryPolicy(max_retries=1, delay=30),
    )
    @clear_failures
    def paper_summaries(context: dg.AssetExecutionContext, config: SummariesConfig, warehouse: WarehouseResource,
                        llm_server: LLMServerResource, monitor: MonitorResource,
                        data_dir: DataDirResource) -> dg.MaterializeResult:
        """A structured analysis (TL;DR, overview, motivation, contributions, method, experiments,
        keywords) of each filtered paper by the self-hosted LLM, from its full text when it was read
        (trimmed to the context by section priority) or else from its abstract; cached by paper version,
        text, prompt, model and language, so a re-run sends zero tokens."""
        data_dir.check()  # a full or read-only disk stops the run here, before any work
        day = parse_day(context.partition_key)
        started = time.perf_counter()
        papers = load_papers(warehouse, day)

        def store(rows: list[dict]) -> None:
            warehouse.write_partition(day, {"paper_summaries": pl.DataFrame(rows, schema=SUMMARY_SCHEMA).to_arrow()})

        ids = sorted({p["arxiv_id"] for p in papers})
        reused, papers = reuse_for_minor_revisions(
            papers, warehouse.query_rows("revised_analyses", arxiv_ids=ids, language=monitor.language) if ids else [],
            dt.datetime.now(dt.UTC))
        rows = reused + analyse_papers(papers, load_cache(warehouse, papers), llm_server, monitor.language, config,
                                       context.log, save=lambda done: store(reused + done))
        store(rows)
        ok = [r for r in rows if r["status"] == "ok"]
        lines = ["| arXiv id | status | basis | tokens in/out | repetition | echo | language | numbers | terms "
                 "| sections | TL;DR or error |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            note = (r["tldr"] or "") if r["status"] == "ok" else (r["error"] or "")
            q = r.get("quality") or {}
            lines.append(
                f"| {r['arxiv_id']}v{r['version']} | {r['status']}{' (cached)' if r['cached'] else ''} | "
                f"{r['basis']} | {r['tokens_in']}/{r['tokens_out']} | {q.get('max_repetition', '')} | "
                f"{q.get('max_echo', '')} | {q.get('language_share', '')} | {q.get('number_grounding', '')} | "
                f"{q.get('term_grounding', '')} | {r.get('citation_share') or ''} | {note[:100].replace('|', '/')} |"
            )
        return dg.MaterializeResult(
            metadata={
                "papers": len(rows),
                "ok": len(ok),
                "rejected": sum(r["status"] == "rejected" for r in rows),
                "failed": sum(r["status"] == "failed" for r in rows),
                "language_mismatch": sum(not (r.get("quality") or {}).get("language_ok", True) for r in ok),
                "cache_hits": sum(r["cached"] for r in rows),
                "minor_revisions_reused": len(reused),
                "retryable_failures": sum(bool(r["retryable"]) for r in rows if r["status"] == "failed"),
                "requests": sum(r["attempts"] or 0 for r in rows if not r["cached"]),
                "tokens_in": sum(r["tokens_in"] for r in rows),
                "tokens_out": sum(r["tokens_out"] for r in rows),
                "seconds": round(time.perf_counter() - started, 2),
                "preview": dg.MetadataValue.md("\n".join(lines)),
            }
        )

    return paper_summaries
