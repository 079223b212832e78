"""LLM-stage benchmarks against the real llama.cpp server with SmolLM2-135M (plumbing speed, not quality)."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from llm_analysis.answers import ANALYSIS_FIELDS
from resources.llm_server import LLMServerResource


# One JSON-schema constrained request: the plumbing this benchmark times (the product asks one question per
# request, llm_analysis/questions.py).
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


PROMPT = [{"role": "system", "content": "Answer in JSON."},
          {"role": "user", "content": "Summarise: The Transformer relies entirely on attention, without recurrence."}]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_overhead_and_concurrency(requests_n: int = 10) -> dict:
    """The openai async client (our path) vs bare HTTP posts of the same request over a kept-alive
    session, interleaved, with a bootstrap interval; then 1 vs 4 in flight."""
    import openai

    with tempfile.TemporaryDirectory() as home:
        resource = LLMServerResource(backend="llama-cpp", port=_port(), home=home, llama_model="smollm2-135m")
        with resource.running() as server:
            options = request_options("llama-cpp", analysis_schema(200), 0)
            body = {"model": server.model, "messages": PROMPT, "max_tokens": 120, "seed": options["seed"],
                    "temperature": options["temperature"], "response_format": options["response_format"],
                    **options["extra_body"]}
            headers = {"Authorization": f"Bearer {server.api_key}"}
            # Like for like: our path is the async openai client, which keeps a connection pool, so the
            # bare side is a requests.Session (kept-alive connections too), same body, same server.
            session = requests.Session()
            async_client = openai.AsyncOpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
            loop = asyncio.new_event_loop()

            def bare_call():
                session.post(f"{server.base_url}/chat/completions", json=body, headers=headers,
                             timeout=300).raise_for_status()

            def client_call():
                loop.run_until_complete(async_client.chat.completions.create(
                    model=server.model, messages=PROMPT, max_tokens=120, **options))

            bare_call()  # warm-up, both sides
            client_call()
            # Interleaved pairs, medians: the server's own time varies by ±30 % from one call to the next here.
            bare_times, client_times = [], []
            for _ in range(requests_n):
                for call, times in ((bare_call, bare_times), (client_call, client_times)):
                    began = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - began)
            loop.run_until_complete(async_client.close())
            loop.close()
            bare, client_median = statistics.median(bare_times), statistics.median(client_times)
            # A 95 % bootstrap interval of the overhead (ratio of medians over resampled pairs): with the
            # server's jitter, it says whether a 5 % target can be told apart at all.
            rng = random.Random(0)
            pairs = list(zip(bare_times, client_times))
            resampled = sorted(
                statistics.median(c for _, c in sample) / statistics.median(b for b, _ in sample) - 1
                for sample in ([rng.choice(pairs) for _ in pairs] for _ in range(2000)))
            interval = (resampled[50], resampled[1949])

            async def ours(in_flight: int) -> tuple[float, int]:
                client = openai.AsyncOpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
                semaphore = asyncio.Semaphore(in_flight)

                async def one():
                    async with semaphore:
                        r = await client.chat.completions.create(model=server.model, messages=PROMPT, max_tokens=120,
                                                                 **options)
                        return r.usage.completion_tokens

                began = time.perf_counter()
                tokens = sum(await asyncio.gather(*(one() for _ in range(4))))
                await client.close()
                return time.perf_counter() - began, tokens

            client_1, tokens_1 = asyncio.run(ours(1))
            client_4, _ = asyncio.run(ours(4))
    return {"benchmark": "llm_client", "pairs": requests_n, "bare_http_median_seconds": round(bare, 3),
            "openai_client_median_seconds": round(client_median, 3),
            "client_overhead": round(client_median / bare - 1, 3),
            "client_overhead_95pct_interval": [round(interval[0], 3), round(interval[1], 3)],
            "client": "openai.AsyncOpenAI (the pipeline's path)", "baseline": "requests.Session().post, same body",
            "seconds_4_requests_1_in_flight": round(client_1, 2), "seconds_4_requests_4_in_flight": round(client_4, 2),
            "speedup_4_vs_1": round(client_1 / client_4, 2),
            "tokens_per_second": round(tokens_1 / client_1, 1),
            "target": "client_overhead <= 0.05; llama-cpp-python serialises requests, so 4 in flight ~ 1.0x"}


WARM_RUNS = 3  # warm runs vary by seconds on this box (6.8-12.6 s over earlier single runs): median of 3


def demo_cold_and_warm() -> dict:
    """`arxiv-monitor demo` on an empty data directory (server started, model loaded), then again
    WARM_RUNS times; the warm figure is their median, with all of them recorded."""
    import statistics

    binary = Path(sys.executable).parent / "arxiv-monitor"
    with tempfile.TemporaryDirectory() as home:
        env = {"ARXIV_MONITOR_HOME": home, "DAGSTER_HOME": str(Path(home) / "dagster"),
               "ARXIV_MONITOR_LLM_PORT": str(_port()), "PATH": str(Path(sys.executable).parent)}
        import os

        env = {**os.environ, **env}
        timings, lines, codes, outputs = [], [], [], []
        for _ in range(1 + WARM_RUNS):
            started = time.perf_counter()
            out = subprocess.run([str(binary), "demo"], capture_output=True, text=True, env=env)
            timings.append(time.perf_counter() - started)
            codes.append(out.returncode)
            lines.append(next((l for l in out.stdout.splitlines() if "paper_summaries" in l), out.stderr[-300:]))
            if not outputs:  # the cold run's lines, as the README quotes them
                outputs.extend(l for l in out.stdout.splitlines() if l.startswith("2025-12-25 ") and ":" in l)
    if any(codes):  # a timing of a demo that failed measures nothing
        raise RuntimeError(f"arxiv-monitor demo exited {codes}: {lines}")
    warm = statistics.median(timings[1:])
    return {"benchmark": "demo_day", "cold_seconds": round(timings[0], 1), "warm_seconds": round(warm, 1),
            "warm_runs_seconds": [round(t, 1) for t in timings[1:]],
            "exit_codes": codes, "cold_llm": lines[0], "warm_llm": lines[1], "cold_output": outputs,
            "fulltext_warm": next((l for l in out.stdout.splitlines() if "paper_fulltext" in l), ""),
            "targets": "cold <= 180 s, warm (median) <= 10 s",
            "met": {"cold": timings[0] <= 180, "warm": warm <= 10}}


if __name__ == "__main__":
    print(json.dumps(client_overhead_and_concurrency(), indent=2))
