"""The console script and the Dagster code location, run as a user runs them (subprocesses)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, cli

BIN = Path(sys.executable).parent


def test_definitions_validate(tmp_path):
    out = subprocess.run([str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"], cwd=REPO,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stdout + out.stderr


def test_demo_then_query_answers(demo):
    env, demo = demo
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "2025-12-25 raw_listings: 19 rows (new 6, cross 7, replace 4, replace-cross 2)" in demo.stdout
    assert "2025-12-25 filtered_papers: kept 9 of 19 listings" in demo.stdout
    assert "paper_fulltext: 9 papers, 34 pages" in demo.stdout and "ok 3, download_failed 6" in demo.stdout
    assert "report: " in demo.stdout
    # The demo writes the site too and says where it is.
    site = Path(env["ARXIV_MONITOR_HOME"]) / "site"
    assert f"site:   {site / 'index.html'}" in demo.stdout
    assert (site / "days" / "2025-12-25.html").is_file() and "2025-12-25" in (site / "index.html").read_text()
    query = cli("query", "select announce_type, count(*) from raw_listings group by 1 order by 1", "--format", "csv",
                env_extra=env)
    assert query.returncode == 0, query.stderr
    assert query.stdout.splitlines()[1:] == ["cross,7", "new,6", "replace,4", "replace-cross,2"]


@pytest.mark.parametrize("args, message", [
    (["run", "--date", "2025-02-30"], "malformed date '2025-02-30'"),
    (["run", "--date", "2099-01-05"], "2099-01-05 is in the future"),
    (["run", "--date", "2020-01-06"], "before the first partition"),
    (["run", "--date", "2025-12-25", "--select", "nope"], "unknown asset(s): nope"),
])
def test_bad_input_is_refused_before_any_request(tmp_path, args, message):
    out = cli(*args, env_extra={"ARXIV_MONITOR_HOME": str(tmp_path), "ARXIV_API_URL": "http://127.0.0.1:9/none"})
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert not (tmp_path / "arxiv.duckdb").exists()


def test_unknown_category_from_environment_is_named(tmp_path):
    # Pointed at a port nothing listens on: a regression that let the run start could never reach arXiv.
    out = cli("run", "--date", "2025-12-25", env_extra={"ARXIV_MONITOR_CATEGORIES": "cs.AI,cs.FOO",
                                                        "ARXIV_MONITOR_HOME": str(tmp_path),
                                                        "ARXIV_API_URL": "http://127.0.0.1:9/api/query",
                                                        "ARXIV_PDF_URL": "http://127.0.0.1:9/pdf"})
    assert out.returncode == 2 and "unknown arXiv category: cs.FOO" in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_backfill_over_three_days_including_a_weekend(tmp_path):
    from resources.replay.server import ReplayServer

    with ReplayServer() as server:
        env = {"ARXIV_MONITOR_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster"),
               "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0"}
        out = cli("run", "--date", "2025-12-26", "--to", "2025-12-28", "--select",
                  "raw_listings,listing_embeddings,filtered_papers",
                  env_extra=env)
    assert out.returncode == 0, out.stderr
    assert "2025-12-26 raw_listings: 5 rows" in out.stdout
    assert "2025-12-27 raw_listings: no announcement (weekend)" in out.stdout
    assert "2025-12-28 raw_listings: no announcement (weekend)" in out.stdout
    query = cli("query", "select partition_date, announces from listing_days order by 1", "--format", "csv",
                env_extra=env)
    assert query.stdout.splitlines()[1:] == ["2025-12-26,True", "2025-12-27,False", "2025-12-28,False"]
