"""`arxiv-monitor query` reads the warehouse and nothing else. Its connection is opened with
DuckDB's external access off, extensions neither installed nor loaded and the configuration locked;
file functions, hidden in a CTE or a subquery or not, are refused with a one-line message naming them,
exit code 2, nothing changed. A small real warehouse (the demo day's listings and filter, no LLM)."""

import hashlib

import dagster as dg
import duckdb
import pytest

import sql
from orchestration.cli import main
from resources.warehouse import SEALED_CONFIG
from tests.conftest import DEMO_DAY, cli, pipeline_for


@pytest.fixture(scope="module")
def warehouse_home(tmp_path_factory, replay):
    """A warehouse holding the demo day's raw_listings, listing_days and filtered_papers, plus a secret
    file beside it like the LLM key that `make demo` writes."""
    home = tmp_path_factory.mktemp("sealed") / "home"
    pipeline = pipeline_for(home, replay)
    assert dg.materialize(pipeline.assets_named("raw_listings", "listing_embeddings", "filtered_papers"),
                          resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    (home / "llm_api_key").write_text("the-secret-key")
    return home


def digest(home) -> str:
    return hashlib.sha256((home / "arxiv.duckdb").read_bytes()).hexdigest()


def run_query(home, monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.setenv("ARXIV_MONITOR_HOME", str(home))
    code = main(["query", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("statement, named", [
    ("select content from read_blob('{home}/llm_api_key')", "read_blob"),
    ("select * from read_text('/etc/hostname')", "read_text"),
    ("select * from read_csv('/etc/passwd')", "read_csv"),
    ("select * from read_csv_auto('/etc/passwd')", "read_csv_auto"),
    ("select * from read_parquet('{home}/x.parquet')", "read_parquet"),
    ("select * from read_json('{home}/x.json')", "read_json"),
    ("select * from glob('{home}/*')", "glob"),
    ("with secret as (select content from read_text('{home}/llm_api_key')) select * from secret", "read_text"),
    ("select (select content from read_blob('{home}/llm_api_key')) as k from raw_listings limit 1", "read_blob"),
    ("select * from raw_listings where title in (select content from read_text('/etc/hostname'))", "read_text"),
])
def test_file_functions_are_refused_naming_the_function(warehouse_home, monkeypatch, capsys, statement, named):
    before = digest(warehouse_home)
    code, out, err = run_query(warehouse_home, monkeypatch, capsys, statement.format(home=warehouse_home))
    assert code == 2 and out == ""
    assert err.strip() == (f"arxiv-monitor: error: file access is disabled in query: {named}; "
                           "the query command reads the warehouse's tables and views only")
    assert "the-secret-key" not in out + err and "Traceback" not in err
    assert digest(warehouse_home) == before


def test_a_bare_file_name_is_not_scanned(warehouse_home, monkeypatch, capsys):
    """`from '/etc/passwd'` is a replacement scan of the file when external access is on; sealed, it is
    just an unknown table."""
    code, out, err = run_query(warehouse_home, monkeypatch, capsys, "select * from '/etc/passwd'")
    assert code == 2 and out == "" and "root:" not in err
    assert "Table with name /etc/passwd does not exist" in err and "Traceback" not in err


@pytest.mark.parametrize("statement, kind", [
    ("ATTACH '{home}/other.duckdb' AS other", "ATTACH"),
    ("INSTALL httpfs", "refused"),
    ("LOAD httpfs", "refused"),
    ("SET enable_external_access = true", "SET"),
    ("RESET enable_external_access", "refused"),
    ("PRAGMA enable_profiling", "PRAGMA enable_profiling"),
    ("PRAGMA threads=1", "SET statement"),  # DuckDB parses an assigning PRAGMA as SET
    ("COPY raw_listings TO '{home}/out.csv'", "COPY"),
    ("COPY (select * from read_text('/etc/hostname')) TO '{home}/out.csv'", "COPY"),
])
def test_statements_that_change_settings_or_touch_files_are_refused(warehouse_home, monkeypatch, capsys,
                                                                    statement, kind):
    before = sorted(p.name for p in warehouse_home.iterdir())
    code, out, err = run_query(warehouse_home, monkeypatch, capsys, statement.format(home=warehouse_home))
    assert code == 2 and kind in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in warehouse_home.iterdir()) == before


def test_a_statement_cannot_turn_file_access_back_on(warehouse_home):
    """Even past the statement check, the sealed connection itself refuses: its settings are locked."""
    with duckdb.connect(str(warehouse_home / "arxiv.duckdb"), read_only=True, config=SEALED_CONFIG) as conn:
        with pytest.raises(duckdb.Error, match="(?i)lock"):
            conn.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.PermissionException):
            conn.execute("select * from read_text('/etc/hostname')").fetchall()
        assert conn.execute("select current_setting('enable_external_access')").fetchone()[0] is False
        assert conn.execute("select current_setting('autoload_known_extensions')").fetchone()[0] is False


def test_every_view_and_saved_query_still_answers(warehouse_home, monkeypatch, capsys):
    for view in sql.VIEW_ORDER:
        code, out, err = run_query(warehouse_home, monkeypatch, capsys, f"select count(*) as n from {view}",
                                   "--format", "csv")
        assert code == 0 and out.splitlines()[0] == "n" and out.splitlines()[1].isdigit(), (view, err)
    values = {"text": "vla", "date": DEMO_DAY, "int": "3"}
    for name in sql.saved_names():
        params = [f"{p}={values[kind]}" for p, kind, default in sql.saved(name).params if default is None]
        code, out, err = run_query(warehouse_home, monkeypatch, capsys, "--saved", name,
                                   *[a for p in params for a in ("--param", p)], "--format", "json")
        assert code == 0 and err == "" and out.startswith("["), (name, err)
    code, out, _ = run_query(warehouse_home, monkeypatch, capsys, "--saved", "search", "--param", "text=vla",
                             "--format", "csv")
    assert "2512.20276" in out  # a real answer, not an empty one


def test_the_two_commands_of_the_issue_fail_with_the_message(warehouse_home):
    """As a user types them, in a subprocess: the key file and /etc/hostname stay unread."""
    env = {"ARXIV_MONITOR_HOME": str(warehouse_home)}
    key = cli("query", f"select content from read_blob('{warehouse_home}/llm_api_key')", "--format", "csv",
              env_extra=env)
    host = cli("query", "select * from read_text('/etc/hostname')", env_extra=env)
    assert key.returncode == 2 and key.stdout == "" and "the-secret-key" not in key.stderr
    assert key.stderr.startswith("arxiv-monitor: error: file access is disabled in query: read_blob")
    assert host.returncode == 2 and "file access is disabled in query: read_text" in host.stderr
    assert "Traceback" not in key.stderr + host.stderr


def test_export_keeps_the_file_access_it_needs(warehouse_home, tmp_path):
    out = cli("export", "--to", str(tmp_path / "export"), env_extra={"ARXIV_MONITOR_HOME": str(warehouse_home)})
    assert out.returncode == 0, out.stderr
    assert list((tmp_path / "export" / "raw_listings").glob("partition_date=*/*.parquet"))


