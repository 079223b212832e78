"""One installation for 1, 3 and 10 readers over the same real demo day: the shared stages' work (arXiv requests,
PDFs read, LLM requests and tokens, wall time) against the readers' own stages (kept sets; reports, pages and
digests: one Dagster run per reader and day).

Like for like: every configuration keeps the same nine papers in total (the readers split and overlap them), all
read in Chinese, each from an empty data directory, against one llama.cpp server (SmolLM2-135M, answers capped at
64 tokens and papers at 800: what is measured is how often the model is asked, not what it writes) started before
the first and kept up for all three.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

DEMO_DAY = "2025-12-25"
ROBOTICS = ["Vision Language Action", "vla", "Vision-Language-Action"]
FORECASTING = ["Multivariate Time Series Forecasting", "spatio-temporal prediction", "traffic prediction"]
AUTHORS = ["Ashish Vaswani", "Olaf Ronneberger", "Yoshua Bengio"]
CONFIGURATIONS = {
    1: [{"name": "all", "keywords": ROBOTICS + FORECASTING, "watch_authors": AUTHORS}],
    3: [{"name": "robotics", "keywords": ROBOTICS}, {"name": "forecasting", "keywords": FORECASTING},
        {"name": "authors", "watch_authors": AUTHORS}],
    10: [{"name": "robotics", "keywords": ROBOTICS}, {"name": "forecasting", "keywords": FORECASTING},
         {"name": "authors", "watch_authors": AUTHORS}, {"name": "vla", "keywords": ["vla"]},
         {"name": "mixed", "keywords": ["Vision-Language-Action", "spatio-temporal prediction"]},
         {"name": "unet", "watch_authors": ["Olaf Ronneberger"]},
         {"name": "attention", "keywords": ["traffic prediction"], "watch_authors": ["Ashish Vaswani"]},
         {"name": "series", "keywords": ["Multivariate Time Series Forecasting", "vla"]},
         {"name": "bengio", "watch_authors": ["Yoshua Bengio"]},
         {"name": "everything", "keywords": ROBOTICS + FORECASTING, "watch_authors": AUTHORS}],
}
SHARED = ("raw_listings", "listing_embeddings", "paper_fulltext", "paper_summaries")
OWN = ("filtered_papers", "daily_report", "report_site", "report_delivery")
CHAIN = ("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries",
         "daily_report", "report_site", "report_delivery")


def one_configuration(readers: list[dict], replay, home: Path, base_env: dict) -> dict:
    import dagster as dg
    import duckdb

    from orchestration.definitions import build_pipeline
    from resources.settings import load_settings

    env = {**base_env, "ARXIV_MONITOR_HOME": str(home), "ARXIV_MONITOR_READERS": json.dumps(
        [{**r, "language": "zh"} for r in readers])}
    pipeline = build_pipeline(load_settings(env))
    replay.clear()
    seconds, meta = {}, {}
    for name in CHAIN:  # each reader's assets: one run per reader (day × reader partitions), as a run or backfill
        started = time.perf_counter()
        for key in pipeline.partition_keys(pipeline.asset(name), DEMO_DAY):
            result = dg.materialize(pipeline.assets_named(name), resources=pipeline.resources, partition_key=key)
            assert result.success, (name, key)
            meta[name] = {k: v.value for k, v in result.asset_materializations_for_node(name)[0].metadata.items()}
        seconds[name] = round(time.perf_counter() - started, 2)
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        kept_rows, union = conn.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM filtered_papers").fetchone()
        analyses = conn.execute("SELECT count(*) FROM paper_summaries").fetchone()[0]
        reports = conn.execute("SELECT count(*) FROM daily_report").fetchone()[0]
    summaries = meta["paper_summaries"]
    return {"readers": len(readers), "kept_rows": kept_rows, "papers_kept_by_any": union, "analyses": analyses,
            "reports": reports, "arxiv_requests": len(replay.requests), "pdfs_read": meta["paper_fulltext"]["papers"],
            "llm_requests": summaries["requests"], "tokens_in": summaries["tokens_in"],
            "tokens_out": summaries["tokens_out"], "seconds": seconds,
            "shared_seconds": round(sum(seconds[n] for n in SHARED), 2),
            "own_seconds": round(sum(seconds[n] for n in OWN), 2)}


def lab_readers() -> dict:
    from orchestration.cli.tools import pull_model
    from replay.server import ReplayServer
    from resources.llm_server import LLMServerResource

    pull_model("smollm2-135m")
    os.environ["ARXIV_MONITOR_LLM_API_KEY"] = "bench-lab-readers"  # every home's pipeline asks the one server
    rows = []
    with ReplayServer() as replay, tempfile.TemporaryDirectory() as tmp:
        base_env = {**os.environ, "ARXIV_API_URL": replay.api_url, "ARXIV_PDF_URL": replay.pdf_url,
                    "ARXIV_MIN_INTERVAL": "0", "ARXIV_MONITOR_STEP_RETRY_DELAY": "0", "ARXIV_MONITOR_KEYWORDS": "",
                    "ARXIV_MONITOR_INTERESTS": "", "ARXIV_MONITOR_LLM_BACKEND": "llama-cpp",
                    "ARXIV_MONITOR_LLAMA_MODEL": "smollm2-135m", "ARXIV_MONITOR_LLM_PORT": "8194",
                    "ARXIV_MONITOR_LLM_MAX_OUTPUT_TOKENS": "64", "ARXIV_MONITOR_LLM_MAX_INPUT_TOKENS": "800",
                    "ARXIV_MONITOR_DELIVERY_CHANNELS": "[]"}
        server = LLMServerResource(backend="llama-cpp", llama_model="smollm2-135m", port=8194, home=tmp,
                                   api_key="bench-lab-readers", max_output_tokens=64, max_input_tokens=800)
        with server.running():  # one server for the three: its start is no configuration's cost
            for count, readers in CONFIGURATIONS.items():
                rows.append(one_configuration(readers, replay, Path(tmp) / f"readers-{count}", base_env))
    one, ten = rows[0], rows[-1]
    assert {r["papers_kept_by_any"] for r in rows} == {9}, rows  # like for like: the same nine papers
    return {"benchmark": "lab_readers", "day": DEMO_DAY, "results": rows,
            "llm_requests_10_vs_1": round(ten["llm_requests"] / one["llm_requests"], 3),
            "shared_seconds_10_vs_1": round(ten["shared_seconds"] / one["shared_seconds"], 3),
            "own_seconds_10_vs_1": round(ten["own_seconds"] / one["own_seconds"], 3),
            "model": "smollm2-135m, answers capped at 64 tokens, papers at 800",
            "target": "shared work does not grow with the readers: LLM requests and analyses 10 vs 1 == 1.0; "
                      "shared seconds 10 vs 1 <= 1.25"}
