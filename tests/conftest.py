import os

# Before any project import: Dagster step retries wait this long (seconds) between attempts.
os.environ.setdefault("ARXIV_MONITOR_STEP_RETRY_DELAY", "0")
os.environ.setdefault("DAGSTER_TELEMETRY_ENABLED", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from resources.arxiv_api import ArxivAPIResource, ArxivClient, RawHttpCache  # noqa: E402
from resources.replay.server import ReplayServer, realdata_dir  # noqa: E402
from resources.settings import MonitorConfig, load_settings  # noqa: E402
from resources.warehouse import WarehouseResource  # noqa: E402

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


@pytest.fixture
def pipeline_resources(server, home):
    settings = load_settings()
    return {
        "arxiv_api": ArxivAPIResource(api_url=server.api_url, min_interval_seconds=0, backoff_seconds=0.01,
                                      max_retries=2, timeout_seconds=5),
        "warehouse": WarehouseResource(database=str(home / "arxiv.duckdb")),
        "monitor": MonitorConfig.from_settings(settings, home=str(home)),
    }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llm_resource(tmp_path_factory):
    from resources.llm_server import LLMServerResource

    home = tmp_path_factory.mktemp("llm")
    return LLMServerResource(backend="llama-cpp", port=free_port(), home=str(home), n_ctx=8192)


@pytest.fixture(scope="session")
def llm(llm_resource):
    """The real llama.cpp server with the bundled SmolLM2-135M, started once for the session."""
    with llm_resource.running() as server:
        yield server


REPO = Path(__file__).resolve().parent.parent


def cli(*args, env_extra=None, timeout=900):
    """The console script as a user runs it (a subprocess from the repo root)."""
    import subprocess
    import sys

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([str(Path(sys.executable).parent / "arxiv-monitor"), *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=timeout)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """`arxiv-monitor demo` run once for the session (real replay server, PDFs and llama.cpp):
    (its environment, its result). Tests only read its data directory."""
    root = tmp_path_factory.mktemp("demo")
    env = {"ARXIV_MONITOR_HOME": str(root / "home"), "DAGSTER_HOME": str(root / "dagster"),
           "ARXIV_MONITOR_LLM_PORT": str(free_port())}
    return env, cli("demo", env_extra=env)


def replay_env(server, home: Path, **extra) -> dict:
    """The environment of an `arxiv-monitor` subprocess against the replay server, its data in `home`
    (Dagster's own folder beside it)."""
    return {**os.environ, "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0",
            "ARXIV_MONITOR_HOME": str(home), "DAGSTER_HOME": str(home.parent / f"{home.name}-dagster"), **extra}


def stored(home: Path, statement: str) -> list[tuple]:
    """Rows of `statement` over the database in `home`, opened read-only."""
    import duckdb

    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        return conn.execute(statement).fetchall()
