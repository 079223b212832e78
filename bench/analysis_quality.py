"""`analysis_quality`: what a reader gets from each model on the demo day, and the evidence extractor
against an extractive library on the real PDFs.

Per model (the bundled SmolLM2-135M; more with BENCH_GGUFS=path1.gguf,path2.gguf): the demo day's
papers through the real pipeline (replay server, real PDFs, llama.cpp), then from the stored rows:
the share of answers passing every gate, rejected by which gate, failed, mean number and term
grounding, language share, evidence quotes per paper, seconds per paper.

Evidence on the 12 real PDFs: our cue-phrase rules (assets/evidence.py) vs sumy's LexRank and
TextRank (the same number of sentences per paper, our sentence splitter: sumy's own needs NLTK data
that cannot be downloaded here). Measured: seconds per paper, the share of picked sentences that state
a contribution, a result with a figure, or a limitation (each judged by the same cue test), and
whether the method can say which kind a sentence is (the report labels them).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

DEMO_DAY = "2025-12-25"
WATCH = "Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio"


def _model_run(gguf: str | None, replay, root: Path) -> dict:
    import dagster as dg
    import duckdb

    from orchestration.definitions import build_pipeline
    from resources.settings import load_settings

    home = root / (Path(gguf).stem if gguf else "bundled")
    env = {**os.environ, "ARXIV_API_URL": replay.api_url, "ARXIV_PDF_URL": replay.pdf_url, "ARXIV_MIN_INTERVAL": "0",
           "ARXIV_MONITOR_HOME": str(home), "ARXIV_MONITOR_WATCH_AUTHORS": WATCH,
           "ARXIV_MONITOR_LLM_BACKEND": "llama-cpp",
           "ARXIV_MONITOR_LLM_PORT": "8193", "ARXIV_MONITOR_STEP_RETRY_DELAY": "0"}
    if gguf:
        env["ARXIV_MONITOR_LLAMA_MODEL"] = gguf
    pipeline = build_pipeline(load_settings(env))
    names = ("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries")
    upstream = dg.materialize(pipeline.assets_named(*names[:3]), resources=pipeline.resources, partition_key=DEMO_DAY)
    assert upstream.success
    started = time.perf_counter()
    result = dg.materialize(pipeline.assets_named("paper_summaries"), resources=pipeline.resources,
                            partition_key=DEMO_DAY)
    seconds = time.perf_counter() - started
    assert result.success
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        rows = conn.execute("select s.status, s.quality, s.model, s.tokens_in, s.tokens_out, s.attempts, "
                            "s.citation_share, t.evidence, s.error from paper_summaries s "
                            "join paper_fulltext t using (partition_date, arxiv_id, version)").fetchall()
    qualities = [q for _, q, *_ in rows if q]
    junk = Counter(g for status, q, *_ in rows if status == "rejected" for g in q["junk"])
    failed = Counter((error or "").split(":", 1)[0] for status, *_, error in rows if status == "failed")

    def mean(values):
        values = [v for v in values if v is not None]
        return round(statistics.mean(values), 3) if values else None

    return {
        "model": rows[0][2], "papers": len(rows),
        "ok_share": round(sum(s == "ok" for s, *_ in rows) / len(rows), 3),
        "passing_every_gate_share": round(sum(bool(q) and not q["junk"] for _, q, *_ in rows) / len(rows), 3),
        "ok": sum(s == "ok" for s, *_ in rows), "rejected": sum(s == "rejected" for s, *_ in rows),
        "failed": sum(s == "failed" for s, *_ in rows),
        "rejected_by_gate": dict(junk), "failed_by_reason": dict(failed),
        "mean_number_grounding": mean(q["number_grounding"] for q in qualities),
        "mean_term_grounding": mean(q["term_grounding"] for q in qualities),
        "mean_language_share": mean(q["language_share"] for q in qualities),
        "mean_citation_share": mean(r[6] for r in rows),
        "evidence_quotes_per_paper": round(statistics.mean(len(r[7] or []) for r in rows), 2),
        "papers_without_evidence": sum(not r[7] for r in rows),
        "requests": sum(r[5] or 0 for r in rows), "tokens_in": sum(r[3] or 0 for r in rows),
        "tokens_out": sum(r[4] or 0 for r in rows),
        "llm_seconds": round(seconds, 1), "seconds_per_paper": round(seconds / len(rows), 1),
    }


def evidence_methods() -> dict:
    """Our rules vs sumy's LexRank and TextRank on the real PDFs (same sentences budget per paper)."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    from assets.evidence import KINDS, extract_evidence, matches, sentences
    from assets.pdf_extraction import extract_file
    from resources.replay.corpus import realdata_dir

    class OurSplitter:  # sumy's Tokenizer needs NLTK's punkt data, which cannot be downloaded here
        language = "english"

        def to_sentences(self, text):
            return sentences(text)

        def to_words(self, sentence):
            import re

            return re.findall(r"[A-Za-z][A-Za-z\-]+", sentence)

    papers = []
    for path in sorted((realdata_dir() / "pdf").glob("*.pdf")):
        extraction = extract_file(path)
        if extraction.status != "ok":
            continue
        secs = [{"title": s.title, "kind": s.kind, "text": s.text} for s in extraction.sections]
        abstract = next((s["text"] for s in secs if s["kind"] == "abstract"), "")
        body = "\n".join(s["text"] for s in secs if s["kind"] not in ("references", "appendix", "related_work"))
        papers.append((path.name, abstract, secs, body))

    def judge(picked: list[str]) -> dict:
        kinds = Counter(next((k for k in KINDS if matches(k, s)), "none") for s in picked)
        share = round(1 - kinds["none"] / len(picked), 3) if picked else None
        return {"sentences": len(picked), "stating_share": share,
                **{f"{k}": kinds[k] for k in (*KINDS, "none")}}

    results = {"rules": [], "lexrank": [], "textrank": []}
    times = {k: [] for k in results}
    stemmer = Stemmer("english")
    for _name, abstract, secs, body in papers:
        started = time.perf_counter()
        ours = [e.text for e in extract_evidence(abstract, secs)]
        times["rules"].append(time.perf_counter() - started)
        results["rules"].append(ours)
        budget = max(len(ours), 3)
        for key, cls in (("lexrank", LexRankSummarizer), ("textrank", TextRankSummarizer)):
            summarizer = cls(stemmer)
            summarizer.stop_words = get_stop_words("english")
            started = time.perf_counter()
            parser = PlaintextParser.from_string(abstract + "\n" + body, OurSplitter())
            picked = [str(s) for s in summarizer(parser.document, budget)]
            times[key].append(time.perf_counter() - started)
            results[key].append(picked)
    summary = {}
    for key, per_paper in results.items():
        flat = [s for picked in per_paper for s in picked]
        summary[key] = {**judge(flat), "papers": len(per_paper),
                        "papers_with_none": sum(not p for p in per_paper),
                        "seconds_per_paper": round(statistics.mean(times[key]), 4),
                        "labels_the_kind": key == "rules"}
    return summary


def analysis_quality() -> dict:
    from resources.replay.server import ReplayServer

    ggufs = [None, *[g for g in os.environ.get("BENCH_GGUFS", "").split(",") if g.strip()]]
    with tempfile.TemporaryDirectory() as tmp, ReplayServer() as replay:
        models = [_model_run(g, replay, Path(tmp)) for g in ggufs]
    return {
        "benchmark": "analysis_quality", "day": DEMO_DAY, "watched_authors": WATCH, "models": models,
        "evidence": evidence_methods(),
        "note": "the demo day's 9 papers: 6 from their abstract (no PDF offline), 3 from their real PDF. "
                "Evidence: 'stating_share' is the share of picked sentences that pass one of the cue tests "
                "(a contribution statement, a result with a figure, a limitation), the same test for all "
                "methods; by construction 1.0 for the rules, which pick only such sentences.",
    }
