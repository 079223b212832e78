"""The views, every saved query against the demo data, the read-only `query` command, its
lock behaviour, and `export` to hive-partitioned Parquet. The demo's database is only read here;
tests that need to write use a copy."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import sql
from orchestration.query import QueryRefused, read_statement
from tests.conftest import REPO, cli

DEMO_DAY = "2025-12-25"


@pytest.fixture(scope="module")
def demo_env(demo):
    env, result = demo
    assert result.returncode == 0, result.stdout + result.stderr
    return env


def database(env) -> Path:
    return Path(env["ARXIV_MONITOR_HOME"]) / "arxiv.duckdb"


def rows_of(env, *args) -> list[dict]:
    out = cli("query", *args, "--format", "json", env_extra=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def listings(env) -> list[dict]:
    return rows_of(env, "select * from raw_listings")


# ---------------------------------------------------------------- views

def documented_columns() -> dict[str, list[str]]:
    """Column names per view from the tables in sql/README.md (`a`, `b` cells)."""
    text = (REPO / "sql" / "README.md").read_text()
    views = {}
    for match in re.finditer(r"^### `(\w+)`.*?\n(\|.*?)(?:\n\n|\Z)", text, re.S | re.M):
        names = []
        for line in match.group(2).splitlines()[2:]:
            names += re.findall(r"`(\w+)`", line.split("|")[1])
        views[match.group(1)] = names
    return views


def test_every_view_is_created_and_documented_column_by_column(demo_env):
    documented = documented_columns()
    assert set(documented) == set(sql.VIEW_ORDER)
    with duckdb.connect(str(database(demo_env)), read_only=True) as conn:
        for view in sql.VIEW_ORDER:
            columns = [r[0] for r in conn.execute(f"describe {view}").fetchall()]
            assert sorted(columns) == sorted(documented[view]), view


def test_views_agree_with_the_tables(demo_env):
    with duckdb.connect(str(database(demo_env)), read_only=True) as conn:
        one = lambda q: conn.execute(q).fetchall()  # noqa: E731
        assert one("select count(*) from papers") == one("select count(distinct arxiv_id) from raw_listings")
        assert one("select count(*) from paper_versions") == one(
            "select count(*) from (select distinct arxiv_id, version from raw_listings)")
        # A replacement: the paper's latest version, first announced on the demo day.
        assert one("select latest_version, first_announced::varchar from papers where arxiv_id = '2511.14396'") == [
            (5, DEMO_DAY)]
        assert one("select count(*) from analyses") == one("select count(*) from paper_summaries where status = 'ok'")
        assert one("select sum(listings) from daily_counts where category = 'cs.RO'") == one(
            "select count(*) from raw_listings where list_contains(categories, 'cs.RO')")
        assert one("select sum(kept) from daily_counts where category = 'cs.RO'") == one(
            "select count(*) from filtered_papers f join raw_listings l using (partition_date, arxiv_id, version) "
            "where list_contains(l.categories, 'cs.RO')")
        kinds = dict(one("select kind, count(*) from matches group by 1"))
        assert kinds == {"keyword": 10, "author": 3}  # 6 seed papers' keywords; 3 watched-author papers


# ---------------------------------------------------------------- saved queries

def test_saved_queries_are_listed_with_their_parameters(demo_env):
    out = cli("query", "--list", env_extra=demo_env)
    assert out.returncode == 0
    for name in ("keyword_trend", "top_authors", "code_released", "search", "version_churn"):
        assert f"{name}: " in out.stdout
    assert "keyword=<text> [start=2000-01-01] [end=2999-12-31]" in out.stdout


def test_keyword_trend(demo_env):
    rows = listings(demo_env)
    hits = [r for r in rows if "vision-language-action" in (r["title"] + " " + r["abstract"]).lower()]
    kept = {r["arxiv_id"] for r in rows_of(demo_env, "select arxiv_id from filtered_papers")}
    got = rows_of(demo_env, "--saved", "keyword_trend", "--param", "keyword=Vision-Language-Action")
    assert got == [{"week": "2025-12-22", "papers": len(hits),
                    "first_versions": sum(r["announce_type"] in ("new", "cross") for r in hits),
                    "kept": len({r["arxiv_id"] for r in hits} & kept)}]
    assert len(hits) >= 5
    outside = rows_of(demo_env, "--saved", "keyword_trend", "--param", "keyword=Vision-Language-Action",
                      "--param", "start=2026-01-01")
    assert outside == []


def test_top_authors(demo_env):
    got = rows_of(demo_env, "--saved", "top_authors", "--param", "keyword=testing", "--param", "limit=3")
    papers = rows_of(demo_env, "select arxiv_id, authors, title, abstract from papers")
    counts: dict[str, int] = {}
    for p in papers:
        if "testing" in (p["title"] + " " + p["abstract"]).lower():
            for author in p["authors"]:
                counts[author] = counts.get(author, 0) + 1
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert [(r["author"], r["papers"]) for r in got] == expected
    assert got[0]["papers"] >= 2


def test_code_released(demo_env):
    got = rows_of(demo_env, "--saved", "code_released", "--param", f"start={DEMO_DAY}", "--param", f"end={DEMO_DAY}")
    links = rows_of(demo_env, "select arxiv_id, unnest(links) as link from paper_fulltext")
    expected = sorted((l["arxiv_id"], l["link"]["url"]) for l in links
                      if l["link"]["kind"] in ("github", "gitlab", "huggingface", "code"))
    assert sorted((r["arxiv_id"], r["url"]) for r in got) == expected and expected
    assert all(r["url"].startswith("https://") for r in got)


def test_search_finds_titles_abstracts_and_analyses(demo_env):
    title = rows_of(demo_env, "--saved", "search", "--param", "text=nowcasting")
    assert [(r["arxiv_id"], r["found_in"]) for r in title] == [("2512.21118", "title")]
    in_abstract = rows_of(demo_env, "--saved", "search", "--param", "text=20 to 30 Hz")
    assert [(r["arxiv_id"], r["found_in"]) for r in in_abstract] == [("2512.20276", "abstract")]
    assert rows_of(demo_env, "--saved", "search", "--param", "text=zzzz-no-such-text") == []


def test_search_finds_analyses(demo_env, tmp_path):
    """The bundled 135M model's answers are all rejected or failed on the demo day, so a copy of the demo's
    warehouse gets one analysis marked ok here (planted, labelled as such) for the search to find."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(database(demo_env), home / "arxiv.duckdb")
    with duckdb.connect(str(home / "arxiv.duckdb")) as conn:
        conn.execute("update paper_summaries set status = 'ok', tldr = 'PLANTED: a latent diffusion nowcaster', "
                     "summary = 's', motivation = 'm', contributions = 'c', method = 'x', experiments = 'e' "
                     "where arxiv_id = '2512.21118'")
    env = {**demo_env, "ARXIV_MONITOR_HOME": str(home)}
    found = rows_of(env, "--saved", "search", "--param", "text=latent diffusion nowcaster")
    assert [(r["arxiv_id"], r["found_in"]) for r in found] == [("2512.21118", "analysis")]


def test_version_churn(demo_env):
    got = rows_of(demo_env, "--saved", "version_churn")
    assert got == [{"week": "2025-12-22", "first_versions": 13, "replacements": 6, "replacement_share": 0.316,
                    "highest_version": max(r["version"] for r in listings(demo_env))}]


def test_formats_carry_the_same_rows(demo_env):
    statement = "select arxiv_id, version, title from raw_listings order by arxiv_id, version"
    as_json = rows_of(demo_env, statement)
    as_csv = list(csv.DictReader(io.StringIO(cli("query", statement, "--format", "csv", env_extra=demo_env).stdout)))
    assert [(r["arxiv_id"], str(r["version"]), r["title"]) for r in as_json] == [
        (r["arxiv_id"], r["version"], r["title"]) for r in as_csv]
    markdown = cli("query", statement, "--format", "markdown", env_extra=demo_env).stdout.splitlines()
    assert markdown[0] == "| arxiv_id | version | title |" and len(markdown) == len(as_json) + 2
    table = cli("query", statement, "--format", "table", env_extra=demo_env).stdout.splitlines()
    assert table[0].split() == ["arxiv_id", "version", "title"] and table[-1] == f"({len(as_json)} rows)"


@pytest.mark.parametrize("args, message", [
    (["--saved", "nope"], "no saved query 'nope'; saved queries: code_released"),
    (["--saved", "top_authors"], "saved query 'top_authors' needs --param keyword=<text>"),
    (["--saved", "version_churn", "--param", "start=2025-13-01"], "parameter start='2025-13-01' of saved query"),
    (["--saved", "version_churn", "--param", "colour=red"], "saved query 'version_churn' has no parameter colour"),
    (["--saved", "version_churn", "--param", "start"], "--param 'start': expected NAME=VALUE"),
    (["select 1", "--param", "a=1"], "--param goes with --saved NAME"),
])
def test_bad_saved_query_input_names_the_thing_at_fault(demo_env, args, message):
    out = cli("query", *args, env_extra=demo_env)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


# ---------------------------------------------------------------- read-only and malformed SQL

@pytest.mark.parametrize("statement, kind", [
    ("DROP TABLE raw_listings", "DROP"),
    ("DELETE FROM raw_listings", "DELETE"),
    ("INSERT INTO listing_days SELECT * FROM listing_days", "INSERT"),
    ("UPDATE raw_listings SET title = 'x'", "UPDATE"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("ATTACH '{tmp}/other.duckdb' AS other", "ATTACH"),
    ("COPY raw_listings TO '{tmp}/out.csv'", "COPY"),
    ("EXPORT DATABASE '{tmp}/dump'", "EXPORT"),
    ("PRAGMA enable_profiling", "PRAGMA enable_profiling"),
    ("CHECKPOINT", "CALL"),
    ("SELECT 1; DELETE FROM raw_listings", "one statement at a time"),
])
def test_writes_are_refused_and_change_nothing(demo_env, tmp_path, statement, kind):
    before = database(demo_env).read_bytes()
    out = cli("query", statement.format(tmp=tmp_path), env_extra=demo_env)
    assert out.returncode == 2 and kind in out.stderr, out.stderr
    assert "refused" in out.stderr or "one statement" in out.stderr
    assert database(demo_env).read_bytes() == before
    assert list(tmp_path.iterdir()) == []  # no file written by COPY / ATTACH / EXPORT


def test_reads_are_allowed():
    for statement in ("select 1", "explain select 1", "describe raw_listings", "pragma table_info('x')",
                      "with a as (select 1) select * from a", "from raw_listings"):
        assert read_statement(statement)
    with pytest.raises(QueryRefused):
        read_statement("pragma threads=1")


def test_malformed_sql_gives_duckdbs_message_without_a_traceback(demo_env):
    out = cli("query", "selec 1", env_extra=demo_env)
    assert out.returncode == 2 and "syntax error" in out.stderr and "Traceback" not in out.stderr
    out = cli("query", "select no_such_column from raw_listings", env_extra=demo_env)
    assert out.returncode == 2 and "no_such_column" in out.stderr and "Traceback" not in out.stderr


# ---------------------------------------------------------------- a run holding the database

HOLD = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])  # read-write: what a run's write transaction holds
conn.execute("BEGIN TRANSACTION")
conn.execute("DELETE FROM daily_report")
print("holding", flush=True)
sys.stdin.readline()  # until the test says "release"
conn.execute("ROLLBACK")
conn.close()
"""


def hold_database(path: Path) -> subprocess.Popen:
    """A process holding the database in a write transaction until told "release" on its stdin."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_query_while_a_run_writes_waits_then_says_so_or_answers(demo_env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(database(demo_env), home / "arxiv.duckdb")
    env = {**demo_env, "ARXIV_MONITOR_HOME": str(home)}
    holder = hold_database(home / "arxiv.duckdb")
    try:
        busy = cli("query", "select count(*) from raw_listings", "--wait", "1", env_extra=env)
        assert busy.returncode == 2 and "a run is writing to" in busy.stderr and "waited 1 s" in busy.stderr
        # Started while the writer holds the file; answers once it lets go.
        patient = subprocess.Popen([str(Path(sys.executable).parent / "arxiv-monitor"), "query",
                                    "select count(*) as n from raw_listings", "--wait", "600", "--format", "csv"],
                                   cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
    finally:
        holder.communicate("release\n")
    out, err = patient.communicate()
    assert patient.returncode == 0 and out.splitlines() == ["n", "19"], err
    # The writer's transaction was rolled back: nothing lost.
    assert rows_of(env, "select count(*) as n from daily_report") == [{"n": 1}]


# ---------------------------------------------------------------- export

def test_export_is_hive_partitioned_parquet_that_reads_back_unchanged(demo_env, tmp_path):
    out = cli("export", "--to", str(tmp_path / "lake"), env_extra=demo_env)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "lake" / "raw_listings" / f"partition_date={DEMO_DAY}").is_dir()
    with duckdb.connect(str(database(demo_env)), read_only=True) as conn:
        for table in ("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries",
                      "daily_report"):
            original = conn.execute(f"select * exclude (partition_date), partition_date from {table} "
                                    "order by all").fetchall()
            exported = conn.execute(
                "select * exclude (partition_date), partition_date from read_parquet($glob, hive_partitioning = true)"
                " order by all", {"glob": str(tmp_path / "lake" / table / "**" / "*.parquet")}).fetchall()
            # Parquet has no fixed-size array: listing_embeddings' FLOAT[256] comes back as a list.
            assert [tuple(list(v) if isinstance(v, tuple) else v for v in row) for row in exported] == [
                tuple(list(v) if isinstance(v, tuple) else v for v in row) for row in original], table
    # Again into the same folder: replaced, not duplicated; no staging folder left behind.
    assert cli("export", "--to", str(tmp_path / "lake"), env_extra=demo_env).returncode == 0
    assert sorted(p.name for p in (tmp_path / "lake").iterdir()) == sorted(
        ["raw_listings", "listing_days", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries",
         "daily_report", "report_deliveries", "feedback", "weekly_digests", "weekly_papers", "weekly_topics",
         "weekly_deliveries"])
    files = list((tmp_path / "lake" / "raw_listings").rglob("*.parquet"))
    assert len(files) == 1


def test_export_to_an_unwritable_place_is_a_clear_error(demo_env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = cli("export", "--to", str(blocker / "lake"), env_extra=demo_env)
    assert out.returncode == 2 and "cannot write the export to" in out.stderr and "Traceback" not in out.stderr
