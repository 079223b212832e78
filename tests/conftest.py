import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.definitions import Pipeline, build_pipeline
from replay.corpus import realdata_dir
from replay.server import ReplayServer
from resources.arxiv_api import ArxivClient, RawHttpCache
from resources.settings import Settings, load_settings

# For the CLI subprocesses the tests start: a failed step is retried at once, and no telemetry.
os.environ.setdefault("ARXIV_MONITOR_STEP_RETRY_DELAY", "0")
os.environ.setdefault("DAGSTER_TELEMETRY_ENABLED", "false")
# The suite's plumbing runs on the bundled SmolLM2-135M (fast); the tests of the default model say so.
os.environ.setdefault("ARXIV_MONITOR_LLAMA_MODEL", "smollm2-135m")

REALDATA = realdata_dir()
API_RECORDINGS = REALDATA / "api" / "arxivpy_2026"
DEMO_DAY = "2025-12-25"


@pytest.fixture(scope="session")
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def server(replay):
    """The session's replay server with no faults and an empty request log."""
    replay.clear()
    yield replay
    replay.clear()


@pytest.fixture
def client(server, tmp_path):
    return ArxivClient(server.api_url, RawHttpCache(tmp_path / "http_cache"), min_interval=0,
                       backoff_base=0.01, backoff_max=0.05, timeout=5)


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def settings_for(home: Path | None = None, server=None, **env: str) -> Settings:
    """The project's settings as a user with these environment variables would have them."""
    base = {**os.environ, "ARXIV_MONITOR_STEP_RETRY_DELAY": "0"}
    if server is not None:
        base.update(ARXIV_API_URL=server.api_url, ARXIV_PDF_URL=server.pdf_url, ARXIV_MIN_INTERVAL="0")
    if home is not None:
        base["ARXIV_MONITOR_HOME"] = str(home)
    return load_settings({**base, **env})


def pipeline_for(home: Path | None = None, server=None, resources: dict | None = None, **env: str) -> Pipeline:
    """Assets, checks and resources built the way the definitions build them, from `settings_for`;
    `resources` overrides fields of named resources (quick retries against the replay server by default)."""
    overrides = {"arxiv_api": {"backoff_seconds": 0.01, "max_retries": 2, "timeout_seconds": 5},
                 "pdf_store": {"backoff_seconds": 0.01}, **(resources or {})}
    return build_pipeline(settings_for(home, server, **env), **overrides)


@pytest.fixture
def pipeline(server, home) -> Pipeline:
    return pipeline_for(home, server)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SharedLLM:
    """The session's one llama.cpp server (bundled SmolLM2-135M). Two servers never generate at once on
    the two cores: a test that needs a server of its own stops this one first (`own_llm_server`), a
    test that abandons a generation stops it (llama.cpp would finish that generation, holding both
    cores), and it starts again when next needed."""

    def __init__(self, resource):
        self.resource = resource
        self._running = None
        self.server = None

    def ensure(self):
        if self._running is None:
            self._running = self.resource.running()
            self.server = self._running.__enter__()
        return self.server

    def stop(self) -> None:
        if self._running is not None:
            running, self._running = self._running, None
            running.__exit__(None, None, None)


@pytest.fixture(scope="session")
def shared_llm(tmp_path_factory):
    from resources.llm_server import LLMServerResource

    home = tmp_path_factory.mktemp("llm")
    shared = SharedLLM(LLMServerResource(backend="llama-cpp", port=free_port(), home=str(home), llama_n_ctx=8192,
                                         llama_model="smollm2-135m"))
    yield shared
    shared.stop()


@pytest.fixture(scope="session")
def llm_resource(shared_llm):
    return shared_llm.resource


def with_fields(resource, **fields):
    """A copy of a resource with some fields changed (e.g. the shared LLM server's, answers capped)."""
    return type(resource)(**{**{k: getattr(resource, k) for k in type(resource).model_fields}, **fields})


# The checks and faults are the subject, not what the model writes: answers capped at 64 tokens (stored
# failed, cut off) and the paper at 800 tokens.
SHORT_ANSWERS = {"max_output_tokens": 64, "max_input_tokens": 800}


@pytest.fixture
def llm(shared_llm):
    """The real llama.cpp server with the bundled SmolLM2-135M, shared by the session."""
    return shared_llm.ensure()


@pytest.fixture
def own_llm_server(shared_llm):
    """For a test that starts a server of its own: the shared one is stopped first."""
    shared_llm.stop()


REPO = Path(__file__).resolve().parent.parent


def cli(*args, env_extra=None, timeout=900):
    """The console script as a user runs it (a subprocess from the repo root)."""
    import subprocess
    import sys

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([str(Path(sys.executable).parent / "arxiv-monitor"), *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=timeout)


@dataclass
class Watched:
    """A finished subprocess, and when each line of its standard output first appeared in the file it
    was written to (seconds since the epoch)."""

    returncode: int
    stdout: str
    stderr: str
    arrivals: list[tuple[float, str]]


def cli_watched(*args, env_extra=None, timeout=900, folder: Path) -> Watched:
    """The console script with its output redirected to files in `folder`, as `make demo >log 2>&1` does,
    the file read every 0.2 s while it runs."""
    import subprocess
    import sys

    out_path, err_path = folder / "stdout.log", folder / "stderr.log"
    arrivals: list[tuple[float, str]] = []
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen([str(Path(sys.executable).parent / "arxiv-monitor"), *args], stdout=out,
                                   stderr=err, cwd=REPO, env={**os.environ, **(env_extra or {})})
        deadline, seen = time.monotonic() + timeout, 0
        while True:
            finished = process.poll() is not None
            text = out_path.read_text()
            complete = text[:text.rfind("\n") + 1]
            now = time.time()
            arrivals += [(now, line) for line in complete[seen:].splitlines()]
            seen = len(complete)
            if finished:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise subprocess.TimeoutExpired(args, timeout)
            time.sleep(0.2)
    return Watched(process.returncode, out_path.read_text(), err_path.read_text(), arrivals)


@pytest.fixture(scope="session")
def demo(tmp_path_factory, shared_llm):
    """`arxiv-monitor demo` run once for the session (real replay server, PDFs and llama.cpp):
    (its environment, its result). It uses the session's LLM server (the one a user keeps up with
    `arxiv-monitor llm-server`), so no second server competes for the cores. Tests only read its
    data directory."""
    server = shared_llm.ensure()
    root = tmp_path_factory.mktemp("demo")
    env = {"ARXIV_MONITOR_HOME": str(root / "home"), "DAGSTER_HOME": str(root / "dagster"),
           "ARXIV_MONITOR_LLM_PORT": server.base_url.rsplit(":", 1)[1].split("/")[0],
           "ARXIV_MONITOR_LLM_API_KEY": server.api_key,
           # The suite checks the demo's plumbing, not the 135M model's prose (tests/test_quality.py does
           # that on its real answers; `make bench` analysis_quality measures it): answers are capped at
           # 48 tokens, the paper at 800, which takes the demo from ~6 min to ~1.5 min here. `make demo` runs
           # uncapped.
           "ARXIV_MONITOR_LLM_MAX_OUTPUT_TOKENS": "48", "ARXIV_MONITOR_LLM_MAX_INPUT_TOKENS": "800"}
    return env, cli_watched("demo", env_extra=env, folder=root)


def replay_env(server, home: Path, **extra) -> dict:
    """The environment of an `arxiv-monitor` subprocess against the replay server, its data in `home`
    (Dagster's own folder beside it)."""
    return {**os.environ, "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0",
            "ARXIV_MONITOR_HOME": str(home), "DAGSTER_HOME": str(home.parent / f"{home.name}-dagster"), **extra}


@contextlib.contextmanager
def serving(env: dict, page: str = "index.html"):
    """`arxiv-monitor serve` on a free loopback port with `env`, once it answers `page`: (port, that page's
    bytes). Stopped with SIGTERM afterwards, which must end it cleanly."""
    import subprocess
    import sys
    import urllib.request

    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "arxiv-monitor"), "serve", "--port", str(port)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read()
                time.sleep(0.2)
        yield port, body
    finally:
        server.terminate()
        assert server.wait(timeout=60) == 0  # SIGTERM stops it cleanly


def stored(home: Path, statement: str) -> list[tuple]:
    """Rows of `statement` over the database in `home`, opened read-only."""
    import duckdb

    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        return conn.execute(statement).fetchall()


@pytest.fixture(scope="session")
def unet_analysis(shared_llm, tmp_path_factory):
    """The default CPU model (`make test` pulls it), no cap on its answers, on U-Net's real PDF as the pipeline
    reads it, once for the session: (the paper, its `paper_summaries` row). The shared server is stopped
    first: one LLM server at a time."""
    from assets.analysis import SummariesConfig
    from assets.analysis import summarise as analyse_papers
    from pdf_reading.extraction import extract_file
    from resources.llm_server import LLMServerResource

    shared_llm.stop()
    sections = extract_file(REALDATA / "pdf" / "1505.04597v1_Unet.pdf").to_json()["sections"]
    paper = {"arxiv_id": "1505.04597", "version": 1, "title": "U-Net: Convolutional Networks for Biomedical Image "
             "Segmentation", "authors": ["Olaf Ronneberger", "Philipp Fischer", "Thomas Brox"],
             "categories": ["cs.CV"], "abstract": next(s["text"] for s in sections if s["kind"] == "abstract"),
             "fulltext_ok": True, "sections": sections}
    resource = LLMServerResource(backend="llama-cpp", port=free_port(), home=str(tmp_path_factory.mktemp("unet")))
    (row,) = analyse_papers([paper], {}, resource, "zh", SummariesConfig())
    return paper, row


LLM_FIXTURES = {"llm", "llm_resource", "shared_llm", "own_llm_server", "demo", "unet_analysis"}


def pytest_collection_modifyitems(config, items):
    """Tests that need an LLM server (or the demo, which runs one) are marked `llm`: `make test-fast`
    leaves them out."""
    for item in items:
        if LLM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.llm)
