"""The analysis stage: `paper_summaries`, a structured analysis of every kept paper by the self-hosted model
(llm_analysis/), complete or marked failed, once in each language its readers read."""

import datetime as dt
import time

import dagster as dg
import polars as pl

from assets.partitions import clear_failures, daily_asset, start_step
from llm_analysis.papers import SUMMARY_SCHEMA, ModelRun, analyse_papers, reuse_cached, reuse_for_minor_revisions
from publishing.wording import analysis_headings
from resources.data_dir import DataDirResource
from resources.llm_server import LLMServerResource
from resources.reader import ReaderResource
from resources.warehouse import WarehouseResource


class SummariesConfig(dg.Config):
    """What one run of paper_summaries does; how the model is asked is the LLM server resource's."""

    timeout_seconds: float = 900.0  # one request
    retry_failed: bool = False  # also ask again for papers whose answer was invalid last time


def load_papers(warehouse: WarehouseResource, day: dt.date) -> list[dict]:
    papers = warehouse.query_rows("papers_to_analyse", partition_date=day)
    for p in papers:
        p["fulltext_ok"] = p.pop("fulltext_status") == "ok"
    return papers


def load_cache(warehouse: WarehouseResource, papers: list[dict]) -> dict:
    """Earlier ok analyses of these papers, from any partition, keyed by the cache key."""
    ids = sorted({p["arxiv_id"] for p in papers})
    if not ids:
        return {}
    rows = warehouse.query_rows("summary_cache", arxiv_ids=ids)
    return {(r["arxiv_id"], r["version"], r["text_hash"], r["prompt_version"], r["model"], r["language"]): r
            for r in rows}


def model_run(llm: LLMServerResource, language: str, config: SummariesConfig, backend: str | None = None) -> ModelRun:
    backend = backend or llm.resolved_backend()
    gguf = llm.gguf_path() if backend == "llama-cpp" else None
    return ModelRun(language, llm.identity(backend), llm.model_family(), analysis_headings(language), gguf,
                    config.timeout_seconds, config.retry_failed)


def summarise(papers: list[dict], cached: dict, llm: LLMServerResource, language: str, config: SummariesConfig,
              log=None, save=None) -> list[dict]:
    """Rows for every paper in `language` (`summarise_languages` with one language)."""
    return summarise_languages({language: papers}, cached, llm, config, log, save)


def summarise_languages(papers: dict[str, list[dict]], cached: dict, llm: LLMServerResource, config: SummariesConfig,
                        log=None, save=None) -> list[dict]:
    """Rows for every paper in each language it is wanted in ({language: papers}): cached analyses reused (zero
    tokens); the rest sent to the servers, which are only started when something is missing, once for every
    language. Stopped midway, `save` gets the rows so far."""
    now = dt.datetime.now(dt.UTC)
    done: dict[str, dict] = {}
    missing: dict[str, list[int]] = {}
    for language, wanted in papers.items():
        done[language], missing[language] = reuse_cached(wanted, cached, model_run(llm, language, config), now)
    every = lambda: [r for language, wanted in papers.items()  # noqa: E731
                     for r in (done[language].get(i) for i in range(len(wanted))) if r]
    if any(missing.values()):
        say = log.info if log else (lambda _: None)
        with llm.servers(say) as servers:
            for language, wanted in papers.items():
                if not missing[language]:
                    continue
                run = model_run(llm, language, config, servers[0].backend)
                partial = (lambda rows, language=language: (done[language].update(rows), save(every()))) \
                    if save else None
                done[language].update(analyse_papers(wanted, missing[language], servers, run, now, log=say,
                                                      save=partial))
    return every()


def wanted_languages(papers: list[dict], languages: dict[str, str]) -> dict[str, list[dict]]:
    """{language: the papers wanted in it}: each paper in the languages of the readers who kept it (`languages`
    {reader: language}); a paper kept only by readers no longer configured, in the first reader's."""
    first = next(iter(languages.values()))
    wanted: dict[str, list[dict]] = {}
    for paper in papers:
        for language in sorted({languages[r] for r in paper.pop("readers") or [] if r in languages} or {first}):
            wanted.setdefault(language, []).append(dict(paper))
    return {language: wanted[language] for language in sorted(wanted)}


def summaries_metadata(rows: list[dict], reused: int, seconds: float) -> dict:
    ok = [r for r in rows if r["status"] == "ok"]
    lines = ["| arXiv id | status | basis | seconds | tokens in/out | repetition | echo | language | numbers | terms "
             "| TL;DR or error |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = (r["tldr"] or "") if r["status"] == "ok" else (r["error"] or "")
        q = r.get("quality") or {}
        lines.append(
            f"| {r['arxiv_id']}v{r['version']} | {r['status']}{' (cached)' if r['cached'] else ''} | "
            f"{r['basis']} | {r.get('latency_seconds') or 0:.0f} | {r['tokens_in']}/{r['tokens_out']} | "
            f"{q.get('max_repetition', '')} | "
            f"{q.get('max_echo', '')} | {q.get('language_share', '')} | {q.get('number_grounding', '')} | "
            f"{q.get('term_grounding', '')} | {note[:100].replace('|', '/')} |")
    return {
        "papers": len(rows), "ok": len(ok),
        "rejected": sum(r["status"] == "rejected" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "language_mismatch": sum(not (r.get("quality") or {}).get("language_ok", True) for r in ok),
        "cache_hits": sum(r["cached"] for r in rows), "minor_revisions_reused": reused,
        "retryable_failures": sum(bool(r["retryable"]) for r in rows if r["status"] == "failed"),
        "requests": sum(r["attempts"] or 0 for r in rows if not r["cached"]),
        "tokens_in": sum(r["tokens_in"] for r in rows), "tokens_out": sum(r["tokens_out"] for r in rows),
        "seconds": round(seconds, 2), "preview": dg.MetadataValue.md("\n".join(lines)),
    }


def build_paper_summaries(days: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(**daily_asset(days), deps=["paper_fulltext"], pool="llm", kinds={"duckdb", "openai"},
              group_name="analyse", retry_policy=dg.RetryPolicy(max_retries=1, delay=30))
    @clear_failures
    def paper_summaries(context: dg.AssetExecutionContext, config: SummariesConfig, warehouse: WarehouseResource,
                        llm_server: LLMServerResource, reader: ReaderResource,
                        data_dir: DataDirResource) -> dg.MaterializeResult:
        """A structured analysis (TL;DR, overview, motivation, contributions, method, experiments,
        keywords) of each filtered paper by the self-hosted LLM, one question per request, from its full
        text when it was read or else from its abstract; cached by paper version, text, prompt, model and
        language, so a re-run sends zero tokens."""
        day = start_step(context, data_dir)
        started = time.perf_counter()
        papers = wanted_languages(load_papers(warehouse, day), {m.name: m.language for m in reader.members()})

        def store(rows: list[dict]) -> None:
            warehouse.write_partition(day, {"paper_summaries": pl.DataFrame(rows, schema=SUMMARY_SCHEMA).to_arrow()})

        reused, rest = [], {}
        for language, wanted in papers.items():
            ids = sorted({p["arxiv_id"] for p in wanted})
            earlier = warehouse.query_rows("revised_analyses", arxiv_ids=ids, language=language)
            minor, rest[language] = reuse_for_minor_revisions(wanted, earlier, dt.datetime.now(dt.UTC))
            reused += minor
        rows = reused + summarise_languages(rest, load_cache(warehouse, [p for w in rest.values() for p in w]),
                                            llm_server, config, context.log, save=lambda done: store(reused + done))
        store(rows)
        return dg.MaterializeResult(metadata={**summaries_metadata(rows, len(reused), time.perf_counter() - started),
                                              "languages": ", ".join(papers) or "none"})

    return paper_summaries
