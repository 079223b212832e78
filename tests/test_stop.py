"""Ctrl-C and SIGTERM stop `arxiv-monitor run` mid-request within seconds, the LLM server it started goes
with it, the papers analysed so far are stored, and a re-run asks only for the rest. Real replay server,
real PDFs, the real llama.cpp server (SmolLM2, answers capped: the plumbing is under test)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from orchestration.cli.common import DEMO_WATCH_AUTHORS
from tests.conftest import DEMO_DAY, REPO, cli, free_port, replay_env, stored

UPSTREAM = "raw_listings,listing_embeddings,filtered_papers,paper_fulltext"


def answered(log: Path) -> int:
    return log.read_text(errors="replace").count('"POST /v1/chat/completions HTTP/1.1" 200') if log.exists() else 0


def environment(server, home: Path, port: int) -> dict:
    env = replay_env(server, home, ARXIV_MONITOR_WATCH_AUTHORS=DEMO_WATCH_AUTHORS,
                     ARXIV_MONITOR_LLAMA_MODEL="smollm2-135m", ARXIV_MONITOR_LLM_PORT=str(port),
                     ARXIV_MONITOR_LLM_MAX_OUTPUT_TOKENS="48", ARXIV_MONITOR_LLM_MAX_INPUT_TOKENS="800")
    env.pop("ARXIV_MONITOR_LLM_API_KEY", None)
    return env


@pytest.fixture(scope="module")
def upstream(replay, tmp_path_factory) -> Path:
    """The demo day's stages before the LLM, once: each test starts from a copy of its database."""
    home = tmp_path_factory.mktemp("stop-upstream") / "home"
    ready = cli("run", "--date", DEMO_DAY, "--select", UPSTREAM, env_extra=environment(replay, home, free_port()))
    assert ready.returncode == 0, ready.stderr
    return home / "arxiv.duckdb"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_mid_request_stops_the_run_and_a_rerun_continues(server, upstream, tmp_path, own_llm_server, signum):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(upstream, home / "arxiv.duckdb")
    port = free_port()
    env = environment(server, home, port)

    log = home / "logs" / "llm-server-llama-cpp.log"
    run = subprocess.Popen([str(Path(sys.executable).parent / "arxiv-monitor"), "run", "--date", DEMO_DAY,
                            "--select", "paper_summaries"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 600
        while answered(log) < 9 and time.monotonic() < deadline:  # a paper's seven questions, and more
            time.sleep(0.2)
        assert answered(log) >= 9, "the run never got going"
        while "Llama.generate" not in log.read_text(errors="replace").rsplit("200 OK", 1)[-1]:
            time.sleep(0.05)  # the server is working on the next request: stop now, mid-request
        asked = time.monotonic()
        run.send_signal(signum)
        output, _ = run.communicate(timeout=60)
        stopped_after = time.monotonic() - asked
    finally:
        if run.poll() is None:
            run.kill()
    assert stopped_after < 15, f"took {stopped_after:.1f} s to stop"
    assert run.returncode != 0 and "Traceback" not in output, output[-2000:]
    assert "interrupted" in output.lower(), output[-2000:]
    with pytest.raises(requests.ConnectionError):  # the server it started has gone with it
        requests.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)

    rows = stored(home, "SELECT arxiv_id, status, retryable, error FROM paper_summaries")
    assert len(rows) == 9  # every paper of the day, each with an honest status
    left = [r for r in rows if "interrupted" in (r[3] or "")]
    done = [r for r in rows if r not in left]  # analysed before the signal: ok, rejected or failed
    assert done and left and all(r[1] == "failed" and r[2] for r in left)  # to be asked again
    kept = [r for r in done if r[1] == "ok" or not r[2]]  # what the analysis cache re-uses

    if signum == signal.SIGINT:
        again = cli("run", "--date", DEMO_DAY, "--select", "paper_summaries", env_extra=env)
        assert again.returncode == 0, again.stderr
        assert f"{len(kept)} from cache" in again.stdout, again.stdout
        rows = stored(home, "SELECT error FROM paper_summaries")
        assert len(rows) == 9 and not any("interrupted" in (r[0] or "") for r in rows)
    assert not any(p for p in os.listdir("/proc") if p.isdigit() and _serves(p, port))


def _serves(pid: str, port: int) -> bool:
    try:
        return f"--port\0{port}\0" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return False
