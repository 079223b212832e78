"""`analysis_quality`: what a reader gets from each model on the demo day, and the evidence extractor
against an extractive library on the real PDFs.

Per model and way of asking (DEFAULT_RUNS; BENCH_ANALYSIS_RUNS=model:strategy,...): the demo day's papers
through the real pipeline (replay server, real PDFs, llama.cpp), then from the stored rows: papers shown
with an analysis, rejected by which gate, failed, repetition between sections, number grounding, names
or numbers the paper lacks, language share (and the seed report's under the same measure), seconds
per paper with and without full text, prompt and generation tokens/s and the server's peak memory, and
how often a shown analysis says a thing twice (measured by this code also for a run of an older commit).

Evidence on the 12 real PDFs: our cue-phrase rules (pdf_reading/evidence.py) vs sumy's LexRank and
TextRank (the same number of sentences per paper, our sentence splitter: sumy's own needs NLTK data
that cannot be downloaded here). Measured: seconds per paper, the share of picked sentences that state
a contribution, a result with a figure, or a limitation (each judged by the same cue test), and
whether the method can say which kind a sentence is (the report labels them).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

DEMO_DAY = "2025-12-25"
WATCH = "Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio"


def _server_sampler(stop: threading.Event, peak: dict) -> None:
    """The llama.cpp server's peak resident memory, sampled twice a second (a child of this process)."""
    import psutil

    me = psutil.Process()
    while not stop.wait(0.5):
        for child in me.children(recursive=True):
            try:
                if "llama_cpp.server" in " ".join(child.cmdline()):
                    peak["rss"] = max(peak.get("rss", 0), child.memory_info().rss)
            except psutil.Error:
                pass


_PERF = re.compile(r"(prompt eval|eval) time =\s*([\d.]+) ms /\s*(\d+) (?:tokens|runs)")


def _server_rates(log: Path) -> dict:
    """Prompt and generation tokens/s over the run, from llama.cpp's own timing lines in the server log."""
    totals = {"prompt eval": [0.0, 0], "eval": [0.0, 0]}
    if log.exists():
        for kind, ms, tokens in _PERF.findall(log.read_text(errors="replace")):
            totals[kind][0] += float(ms)
            totals[kind][1] += int(tokens)
    rate = {k: round(n / (ms / 1000), 1) if ms else None for k, (ms, n) in totals.items()}
    return {"prompt_tokens_per_second": rate["prompt eval"], "generation_tokens_per_second": rate["eval"],
            "prompt_tokens_evaluated": totals["prompt eval"][1], "tokens_generated": totals["eval"][1]}


def _model_run(model: str, strategy: str, papers: str = "all", *, replay, root: Path) -> dict:
    import dagster as dg
    import duckdb

    from llm_analysis.gates import invented, script_share
    from llm_analysis.models import REGISTRY
    from orchestration.cli.tools import pull_model
    from orchestration.definitions import build_pipeline
    from resources.settings import load_settings

    if model in REGISTRY:
        pull_model(model)
    home = root / f"{model}-{strategy}-{papers}"
    env = {**os.environ, "ARXIV_API_URL": replay.api_url, "ARXIV_PDF_URL": replay.pdf_url, "ARXIV_MIN_INTERVAL": "0",
           "ARXIV_MONITOR_HOME": str(home), "ARXIV_MONITOR_WATCH_AUTHORS": WATCH,
           "ARXIV_MONITOR_LLM_BACKEND": "llama-cpp", "ARXIV_MONITOR_LLAMA_MODEL": model,
           "ARXIV_MONITOR_LLM_PORT": "8193", "ARXIV_MONITOR_STEP_RETRY_DELAY": "0"}
    if papers == "fulltext":  # only the watched authors' three papers, whose PDFs are recorded
        env.update({"ARXIV_MONITOR_KEYWORDS": "", "ARXIV_MONITOR_INTERESTS": ""})
    pipeline = build_pipeline(load_settings(env))
    names = ("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries")
    upstream = dg.materialize(pipeline.assets_named(*names[:4]), resources=pipeline.resources, partition_key=DEMO_DAY)
    assert upstream.success
    stop, peak = threading.Event(), {}
    sampler = threading.Thread(target=_server_sampler, args=(stop, peak), daemon=True)
    sampler.start()
    started = time.perf_counter()
    # A request still generating after 240 s fails: one stuck request does not hold the run.
    result = dg.materialize(pipeline.assets_named("paper_summaries"), resources=pipeline.resources,
                            partition_key=DEMO_DAY,
                            run_config={"ops": {"paper_summaries": {"config": {"timeout_seconds": 240.0}}}})
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    assert result.success
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        rows = conn.execute("select s.status, s.quality, s.model, s.tokens_in, s.tokens_out, s.attempts, "
                            "s.basis, s.latency_seconds, t.evidence, s.error, "
                            "s.summary, s.motivation, s.contributions, s.method, s.experiments, s.tldr, "
                            "l.abstract, t.sections, s.arxiv_id, l.title, l.authors, s.statements, "
                            "s.dropped_statements from paper_summaries s "
                            "join paper_fulltext t using (partition_date, arxiv_id, version) "
                            "join raw_listings l using (partition_date, arxiv_id, version)").fetchall()
    qualities = [q for _, q, *_ in rows if q]
    junk = Counter(g for status, q, *_ in rows if status == "rejected" for g in (q or {}).get("junk", []))
    failed = Counter((r[9] or "").split(":", 1)[0] for r in rows if r[0] == "failed")
    ok = [r for r in rows if r[0] == "ok"]

    def mean(values):
        values = [v for v in values if v is not None]
        return round(statistics.mean(values), 3) if values else None

    # Names and numbers in the shown analyses that the paper's whole text (title, authors, abstract, every
    # section) lacks; the gate checked them against what the model read, a part of it: 0 is the target.
    invented_shown = sum(len(invented(" ".join(r[10:16]), " ".join([r[19], *r[20], r[16]])
                                      + " ".join(s["text"] for s in (r[17] or [])))) for r in ok)
    other_left_out = (_fixed_sentences("first_person_section") | _fixed_sentences("restated_section")
                      | _fixed_sentences("unsupported_section"))
    by_basis = {}
    for basis in ("fulltext", "abstract"):
        group = [r for r in rows if (r[6] or "").startswith(basis)]
        latencies = [r[7] for r in group if r[7] is not None]
        by_basis[f"seconds_per_paper_{basis}"] = round(statistics.mean(latencies), 1) if latencies else None
        by_basis[f"ok_{basis}"] = f"{sum(r[0] == 'ok' for r in group)}/{len(group)}"
    return {
        "model": model, "strategy": strategy, "paper_set": papers, "model_identity": rows[0][2], "papers": len(rows),
        "ok": len(ok), "rejected": sum(r[0] == "rejected" for r in rows),
        "failed": sum(r[0] == "failed" for r in rows),
        "rejected_by_gate": dict(junk), "failed_by_reason": dict(failed),
        "max_repetition_between_sections_shown": max((q["max_repetition"] for r in ok if (q := r[1])), default=None),
        "mean_number_grounding_shown": mean(r[1]["number_grounding"] for r in ok if r[1]),
        "min_number_grounding_shown": min((r[1]["number_grounding"] for r in ok
                                           if r[1] and r[1]["number_grounding"] is not None), default=None),
        "invented_names_or_numbers_shown": invented_shown,
        # Shown with 实验说明 replaced by the sentence that says the text could not support one (the model's
        # version, repaired once, still named things the text lacks): counted apart, never hidden.
        "shown_with_experiments_omitted": sum(r[14] in _fixed_sentences("unverifiable") for r in ok),
        # Shown with one later section left out in words because it repeated an earlier one after a repair.
        "shown_with_a_section_withheld": sum(any(str(v).startswith(_withheld_prefixes()) and v not in other_left_out
                                                 for v in r[11:15]) for r in ok),
        # Shown with a section left out because, once what earlier sections said was taken out, too little
        # was left; and because a sentence turned a comparison of the text around and too little was left.
        "shown_with_a_section_left_out_as_restated": sum(
            any(v in _fixed_sentences("restated_section") for v in r[11:15]) for r in ok),
        "shown_with_a_section_left_out_as_unsupported": sum(
            any(v in _fixed_sentences("unsupported_section") for v in r[11:15]) for r in ok),
        # Shown with one section left out in words because it spoke as the paper's authors ("我们") after a repair.
        "shown_with_a_section_in_the_authors_voice_left_out": sum(
            any(v in _fixed_sentences("first_person_section") for v in r[11:15]) for r in ok),
        "mean_language_share_shown": mean(script_share(" ".join(r[10:16]), "zh") for r in ok),
        "mean_term_grounding": mean(q["term_grounding"] for q in qualities),
        "evidence_quotes_per_paper": round(statistics.mean(len(r[8] or []) for r in rows), 2),
        "requests": sum(r[5] or 0 for r in rows), "tokens_in": sum(r[3] or 0 for r in rows),
        "tokens_out": sum(r[4] or 0 for r in rows),
        "llm_seconds": round(seconds, 1), "seconds_per_paper": round(seconds / len(rows), 1), **by_basis,
        "server_peak_rss_mb": round(peak["rss"] / 2**20) if peak.get("rss") else None,
        **_server_rates(home / "logs" / "llm-server-llama-cpp.log"),
        # What a reader is shown (the README quotes from here) and why the others are not.
        "papers_by_status": [{"arxiv_id": r[18], "status": r[0], "basis": r[6], "seconds": r[7], "error": r[9]}
                             for r in rows],
        "analyses_shown": [dict(zip(("arxiv_id", "summary", "motivation", "contributions", "method", "experiments",
                                     "tldr"), (r[18], *r[10:16]))) for r in ok],
        # Each shown sentence with the paper's sentences it rests on; the model's sentences not shown, and why.
        "statements_shown": [{"arxiv_id": r[18], **s} for r in ok for s in r[21] or []],
        "statements_without_a_source": sum(not s["sources"] for r in ok for s in r[21] or []),
        "statements_dropped": sum(len(r[22] or []) for r in ok),
        "statements_dropped_by_reason": dict(Counter(d["reason"].split(":")[0] for r in ok for d in r[22] or [])),
        "statements_dropped_list": [{"arxiv_id": r[18], **d} for r in ok for d in r[22] or []],
    }


def _fixed_sentences(kind: str) -> set[str]:
    """One of the fixed sentences that stand for a section left out (`unverifiable`, `first_person_section`), in
    every language."""
    from llm_analysis.questions import section_prompts

    return {getattr(section_prompts(language), kind) for language in ("zh", "en")}


def _withheld_prefixes() -> tuple[str, ...]:
    from llm_analysis.questions import section_prompts

    return tuple(section_prompts(language).withheld.split("{problem}")[0] for language in ("zh", "en"))


def seed_language_share() -> dict:
    """The seed report's own analyses under the pipeline's language measure (share of CJK letters)."""
    from llm_analysis.gates import script_share
    from replay.corpus import realdata_dir

    seed = (realdata_dir().parent / "reference" / "seed-report-2025-12-26.md").read_text(encoding="utf-8")
    parts = re.split(r"^### AI分析.*$", seed, flags=re.MULTILINE)[1:]
    analyses = [re.split(r"^## \d+\. |^---$", p, flags=re.MULTILINE)[0] for p in parts]
    shares = [script_share(a, "zh") for a in analyses]
    return {"analyses": len(shares), "mean_language_share": round(statistics.mean(shares), 3),
            "min_language_share": min(shares)}


def evidence_methods() -> dict:
    """Our rules vs sumy's LexRank and TextRank on the real PDFs (same sentences budget per paper)."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    from pdf_reading.evidence import KINDS, extract_evidence, matches, sentences
    from pdf_reading.extraction import extract_file
    from replay.corpus import realdata_dir

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


# model:strategy[:papers][@commit] (papers: all, or fulltext: the three with recorded PDFs; commit: that
# revision's code, for a before/after in one run); BENCH_ANALYSIS_RUNS overrides.
DEFAULT_RUNS = "qwen2.5-coder-0.5b:sections,smollm2-135m:sections,qwen2.5-coder-1.5b:sections"
REPO = Path(__file__).resolve().parent.parent


def _at_commit(commit: str, run: list[str]) -> dict:
    """One run with the code of `commit`: a git worktree beside this checkout (so ../shared resolves), its
    own `_model_run` in a subprocess with this venv."""
    tree = REPO.parent / f"analysis-quality-{commit[:10]}"
    subprocess.run(["git", "worktree", "add", "-f", "--detach", str(tree), commit], cwd=REPO, check=True,
                   capture_output=True)
    script = ("import json, tempfile\nfrom pathlib import Path\nfrom replay.server import ReplayServer\n"
              "from bench.analysis_quality import _model_run\n"
              "with tempfile.TemporaryDirectory() as tmp, ReplayServer() as replay:\n"
              f"    result = _model_run(*{run!r}, replay=replay, root=Path(tmp))\n"
              "print(json.dumps(result, default=str))\n")
    try:
        out = subprocess.run([sys.executable, "-c", script], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                             capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-1000:])
        return {**json.loads(out.stdout.strip().splitlines()[-1]), "commit": commit}
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, capture_output=True)


def _said_twice(record: dict) -> dict:
    """How often the shown analyses say a thing twice (llm_analysis/gates.py: repeats), by this code's
    measure whatever code wrote them."""
    from llm_analysis.gates import repeats

    per_paper = {a["arxiv_id"]: repeats(a) for a in record.get("analyses_shown", [])}
    return {"repeated_sentences_shown": sum(r["repeated_sentences"] for r in per_paper.values()),
            "figures_in_more_than_two_sections_shown": sum(len(r["figures_in_more_sections"])
                                                           for r in per_paper.values()),
            "said_twice_by_paper": {k: r for k, r in per_paper.items()
                                    if r["repeated_sentences"] or r["figures_in_more_sections"]}}


LABELS = Path(__file__).resolve().parent / "claim_labels.json"
LEFT_OUT = ("unverifiable", "unsupported", "unsupported_section", "first_person_section", "restated_section")


def shown_sentences(record: dict) -> list[dict]:
    """Every sentence a run's shown analyses state about a paper (the sentences standing for a section left
    out, the product's own, are not), split by this code whatever code wrote them."""
    from llm_analysis.gates import sentences

    fixed = set().union(*(_fixed_sentences(kind) for kind in LEFT_OUT))
    return [{"arxiv_id": a["arxiv_id"], "section": section, "text": sentence}
            for a in record.get("analyses_shown", [])
            for section in ("tldr", "summary", "motivation", "contributions", "method", "experiments")
            if a.get(section) and a[section] not in fixed and not a[section].startswith(_withheld_prefixes())
            for sentence in sentences(a[section])]


def faithfulness(record: dict, labels: dict[tuple[str, str], dict]) -> dict:
    """A run's shown sentences against a person's reading (claim_labels.json): how many supported, distorted
    and wrong, and those nobody has read yet, listed for reading rather than guessed."""
    counts, unread = Counter(), []
    for stated in shown_sentences(record):
        label = labels.get((stated["arxiv_id"], stated["text"]))
        if label:
            counts[label["label"]] += 1
        else:
            unread.append(stated)
    return {"statements_read": sum(counts.values()), "supported": counts["supported"],
            "distorted": counts["distorted"], "wrong": counts["wrong"], "unlabelled": len(unread),
            "unlabelled_statements": unread}


def read_labels() -> dict[tuple[str, str], dict]:
    if not LABELS.exists():
        return {}
    return {(x["arxiv_id"], x["text"]): x for x in json.loads(LABELS.read_text(encoding="utf-8"))["labels"]}


def analysis_quality() -> dict:
    from replay.server import ReplayServer

    runs = [r.strip() for r in os.environ.get("BENCH_ANALYSIS_RUNS", DEFAULT_RUNS).split(",") if r.strip()]
    with tempfile.TemporaryDirectory() as tmp, ReplayServer() as replay:
        models = []
        for spec in runs:
            run, _, commit = spec.partition("@")
            try:
                record = _at_commit(commit, run.split(":")) if commit else _model_run(*run.split(":"), replay=replay,
                                                                                       root=Path(tmp))
                models.append({**record, **_said_twice(record), "faithfulness": faithfulness(record, read_labels())})
            except Exception as exc:  # one run's failure is recorded; the others still are
                models.append({"model": run, "commit": commit or None,
                               "error": f"{type(exc).__name__}: {exc}"[:1000]})
    return {
        "benchmark": "analysis_quality", "day": DEMO_DAY, "watched_authors": WATCH, "models": models,
        "seed_report": seed_language_share(),
        "evidence": evidence_methods(),
        "target": ">= 7 of 9 papers with an analysis passing every gate (default model, sections); language "
                  "share >= the seed report's; number grounding >= 0.9; 0 invented names or numbers shown; "
                  "0 sentences said again in a later section and 0 result figures in more than two sections of "
                  "one shown analysis; server RSS <= 4 GB",
        "note": "the demo day's 9 papers: 6 from their abstract (no PDF offline), 3 from their real PDF. "
                "'invented_names_or_numbers_shown' checks the shown analyses against the paper's whole stored "
                "text (abstract + every section). Evidence: 'stating_share' is the share of picked sentences that "
                "pass one of the cue tests (a contribution statement, a result with a figure, a limitation), the "
                "same test for all methods; by construction 1.0 for the rules, which pick only such sentences.",
    }
