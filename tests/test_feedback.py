"""The reader's loop: marks from the command line, the served site and the digest's links, stored apart
from every asset; the served endpoint's defences, by real HTTP requests; the ranking learned from the
marks on the real demo day; the reading list and its BibTeX; the site showing the state in chromium."""

import http.client
import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from publishing.digests import email_html
from ranking.learning import calibrated_scores, train
from tests.conftest import DEMO_DAY, REPO, pipeline_for, replay_env, serving, stored
from tests.test_site import browser, materialise_site

ARXIV_MONITOR = str(Path(sys.executable).parent / "arxiv-monitor")


@pytest.fixture(scope="module")
def reader(replay, tmp_path_factory):
    """The demo day through the real assets (no LLM), in a home of its own."""
    home = tmp_path_factory.mktemp("reader") / "home"
    pipeline = pipeline_for(home, replay)
    materialise_site(pipeline, DEMO_DAY)
    return home, pipeline, replay


def mark(reader, *args) -> subprocess.CompletedProcess:
    home, _, replay = reader
    return subprocess.run([ARXIV_MONITOR, *args], cwd=REPO, env=replay_env(replay, home), capture_output=True,
                          text=True, timeout=120)


def feedback_rows(home: Path) -> list[tuple]:
    return stored(home, "select arxiv_id, signal, source from feedback order by seq")


# ---------------------------------------------------------------- the command line

def test_a_mark_from_the_command_line_is_stored_and_a_rematerialisation_leaves_it(reader):
    home, pipeline, _ = reader
    before = feedback_rows(home)
    out = mark(reader, "feedback", "2512.20014", "up")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("2512.20014: 👍") and "Bring My Cup" in out.stdout
    assert feedback_rows(home) == [*before, ("2512.20014", "up", "cli")]
    materialise_site(pipeline, DEMO_DAY)  # every asset of the day again
    assert feedback_rows(home) == [*before, ("2512.20014", "up", "cli")]
    state = stored(home, "select rating, saved from feedback_state where arxiv_id = '2512.20014'")
    assert state == [("up", False)]


def test_bad_marks_are_one_line_errors_and_store_nothing(reader):
    home, _, _ = reader
    before = feedback_rows(home)
    for args, message in ((("2512.99999", "up"), "2512.99999 is not in the history"),
                          (("not-an-id", "down"), "'not-an-id' is not an arXiv id")):
        out = mark(reader, "feedback", *args)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and message in out.stderr
    unknown = mark(reader, "feedback", "2512.20014", "love")
    assert unknown.returncode == 2 and "invalid choice: 'love'" in unknown.stderr
    assert feedback_rows(home) == before


def test_undo_signals_and_clear_add_up_in_the_state_view(reader):
    home, _, _ = reader
    for signal in ("down", "save", "read", "unrate"):
        assert mark(reader, "feedback", "2512.21118", signal).returncode == 0
    assert stored(home, "select rating, saved, read from feedback_state where arxiv_id = '2512.21118'") == [
        (None, True, True)]
    assert mark(reader, "feedback", "2512.21118", "clear").returncode == 0
    assert stored(home, "select rating, saved, read from feedback_state where arxiv_id = '2512.21118'") == []
    assert mark(reader, "feedback", "2512.21118", "up").returncode == 0  # after a clear, marks count again
    assert stored(home, "select rating from feedback_state where arxiv_id = '2512.21118'") == [("up",)]


def test_the_reading_list_and_its_bibtex_list_the_saved_papers(reader):
    home, pipeline, _ = reader
    assert mark(reader, "feedback", "1706.03762", "save").returncode == 0
    listing = mark(reader, "saved")
    assert listing.returncode == 0 and "1706.03762v" in listing.stdout and "Attention Is All You Need" in listing.stdout
    bib = mark(reader, "saved", "--bibtex")
    assert bib.returncode == 0 and "@misc{" in bib.stdout
    assert "eprint = {1706.03762}" in bib.stdout and "archiveprefix = {arXiv}" in bib.stdout
    assert "Ashish Vaswani and" in bib.stdout
    import bibtexparser

    entries = bibtexparser.loads(bib.stdout).entries
    assert {e["eprint"] for e in entries} >= {"1706.03762"}
    materialise_site(pipeline, DEMO_DAY)
    page = (home / "site" / "saved.html").read_text(encoding="utf-8")
    assert "Attention Is All You Need" in page and "arXiv 1706.03762v" in page


# ---------------------------------------------------------------- the served site

@pytest.fixture(scope="module")
def served(reader):
    home, _, replay = reader
    with serving(replay_env(replay, home)) as (port, _):
        yield port


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """One raw HTTP request (no client-side normalisation of the path): (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    headers = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if body is not None:
        headers.setdefault("Content-Length", str(len(body)))
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders(body)
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", errors="replace")


def post_mark(port: int, token: str | None, arxiv_id: str, signal: str, origin: str | None = "own", **extra):
    headers = {"Content-Type": "application/json", **extra}
    if origin:
        headers["Origin"] = f"http://127.0.0.1:{port}" if origin == "own" else origin
    if token:
        headers["X-Arxiv-Monitor-Token"] = token
    return request(port, "POST", "/api/feedback", json.dumps({"id": arxiv_id, "signal": signal}).encode(), headers)


def test_the_served_site_records_a_mark_and_refuses_what_a_foreign_page_could_send(reader, served):
    home, _, _ = reader
    port = served
    status, body = request(port, "GET", "/api/session")
    token = json.loads(body)["token"]
    assert status == 200 and len(token) >= 32
    assert (home / "serve-token").stat().st_mode & 0o077 == 0  # readable by its owner only
    before = feedback_rows(home)
    status, body = post_mark(port, token, "2512.20188", "down")
    assert status == 200 and json.loads(body) == {"arxiv_id": "2512.20188", "rating": "down", "saved": False,
                                                  "read": False}
    refused = {
        "no token": post_mark(port, None, "2512.20188", "up"),
        "wrong token": post_mark(port, "x" * 43, "2512.20188", "up"),
        "cross-origin": post_mark(port, token, "2512.20188", "up", origin="http://evil.example"),
        "no origin": post_mark(port, token, "2512.20188", "up", origin=None),
        "rebound host": post_mark(port, token, "2512.20188", "up", Host="evil.example"),
    }
    assert {k: s for k, (s, _) in refused.items()} == {"no token": 403, "wrong token": 403, "cross-origin": 403,
                                                       "no origin": 403, "rebound host": 421}
    assert "cross-origin request refused" in refused["cross-origin"][1]
    assert post_mark(port, token, "2512.20188", "love")[0] == 400
    assert "unknown signal 'love'" in post_mark(port, token, "2512.20188", "love")[1]
    assert post_mark(port, token, "../../etc/passwd", "up")[0] == 400
    assert post_mark(port, token, "2512.99999", "up")[0] == 400
    big = request(port, "POST", "/api/feedback", b"{" + b" " * 5000 + b"}",
                  {"Origin": f"http://127.0.0.1:{port}", "X-Arxiv-Monitor-Token": token})
    assert big[0] == 413
    assert request(port, "POST", "/api/feedback", b"[1]", {"Origin": f"http://127.0.0.1:{port}",
                                                           "X-Arxiv-Monitor-Token": token})[0] == 400
    assert feedback_rows(home) == [*before, ("2512.20188", "down", "site")]
    status, body = request(port, "GET", "/api/feedback")
    assert status == 200 and json.loads(body)["2512.20188"]["rating"] == "down"


def test_nothing_outside_the_site_folder_is_reachable(reader, served):
    home, _, _ = reader
    assert (home / "arxiv.duckdb").exists() and (home / "serve-token").exists()
    for path in ("/../arxiv.duckdb", "/%2e%2e/arxiv.duckdb", "/..%2farxiv.duckdb", "/days/../../serve-token",
                 "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd"):
        status, body = request(served, "GET", path)
        assert status == 404, (path, status)
        assert "root:" not in body and "DUCK" not in body


def test_a_digest_link_opens_a_confirmation_page_and_only_its_button_records(reader, served):
    home, _, _ = reader
    port = served
    before = feedback_rows(home)
    status, page = request(port, "GET", "/feedback?id=2512.20276&signal=save")
    assert status == 200 and 'method="post"' in page and 'value="save"' in page
    assert feedback_rows(home) == before  # opening the link records nothing
    token = page.split('name="token" value="')[1].split('"')[0]
    form = f"id=2512.20276&signal=save&token={token}".encode()
    headers = {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/x-www-form-urlencoded"}
    status, done = request(port, "POST", "/feedback", form, headers)
    assert status == 200 and "2512.20276" in done
    assert feedback_rows(home) == [*before, ("2512.20276", "save", "email")]
    foreign = request(port, "POST", "/feedback", form, {**headers, "Origin": "http://evil.example"})
    assert foreign[0] == 403 and feedback_rows(home) == [*before, ("2512.20276", "save", "email")]
    status, saved = request(port, "GET", "/saved.html")  # the reading list, live
    assert status == 200 and "2512.20276" in saved


def test_digest_email_carries_mark_links_to_the_served_site():
    d = {"language": "en", "subject": "s", "site_url": "http://127.0.0.1:8000/days/2025-12-25.html", "announces": True,
         "papers": [{"arxiv_id": "2512.20014", "title": "T", "why": "vla", "tldr": "x", "url": "u"}]}
    html = email_html(d, update=False)
    assert 'href="http://127.0.0.1:8000/feedback?id=2512.20014&amp;signal=up"' in html
    assert "signal=down" in html and "signal=save" in html
    assert "/feedback" not in email_html({**d, "site_url": ""}, update=False)


def test_the_served_day_page_shows_the_marks_in_a_real_browser(reader, served):
    port = served
    assert mark(reader, "feedback", "2512.20014", "up").returncode == 0
    dom = browser("--virtual-time-budget=8000", "--dump-dom", f"http://127.0.0.1:{port}/days/{DEMO_DAY}.html")
    block = dom.split('data-id="2512.20014"')[1].split("</p>")[0]
    assert "hidden" not in block.split(">")[0]  # shown when served
    assert 'class="on" data-signal="up"' in block or 'data-signal="up" class="on"' in block
    page = browser("--dump-dom", f"file://{reader[0] / 'site' / 'days' / (DEMO_DAY + '.html')}")
    assert 'class="fb" data-id="2512.20014" hidden' in page  # from file:// the page stays read-only


# ---------------------------------------------------------------- the learned ranking

def test_marks_change_the_next_runs_order_and_each_entry_says_why(replay, tmp_path):
    """A vague profile (one short sentence, no keyword) keeps nothing of the real demo day; then the reader
    likes three seed papers and dislikes two others: the learned ranking keeps seed papers the reader did
    not mark and no other paper (bench reader_loop: recall 0.53, precision 0.90 for this profile), and
    names the liked paper each resembles."""
    home = tmp_path / "home"
    env = {"ARXIV_MONITOR_KEYWORDS": "", "ARXIV_MONITOR_INTERESTS": "Robots and forecasting."}
    pipeline = pipeline_for(home, replay, **env)
    assets = pipeline.assets_named("raw_listings", "listing_embeddings", "filtered_papers")
    assert dg.materialize(assets, resources=pipeline.resources, partition_key=DEMO_DAY).success
    before = stored(home, "select arxiv_id from filtered_papers order by rank")
    for arxiv_id, signal in (("2512.20014", "up"), ("2512.21118", "up"), ("2512.20276", "up"),
                             ("1706.03762", "down"), ("1602.02830", "down")):
        out = subprocess.run([ARXIV_MONITOR, "feedback", arxiv_id, signal], cwd=REPO, capture_output=True, text=True,
                             env=replay_env(replay, home, **env), timeout=120)
        assert out.returncode == 0, out.stderr
    assert dg.materialize(pipeline.assets_named("filtered_papers"), resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    after = stored(home, "select arxiv_id, kept_by, learned_score, closest_liked from filtered_papers order by rank")
    seed = {"2512.20276", "2512.20014", "2512.20188", "2511.14396", "2512.21118", "2512.05107"}
    assert before == []
    assert {a[0] for a in after} <= seed, after  # no paper outside the seed report's
    assert len({a[0] for a in after} - {"2512.20014", "2512.21118", "2512.20276"}) >= 2, after
    assert all(a[1] == ["learned"] and a[2] >= 0.5 for a in after)
    liked_titles = {t for (t,) in stored(home, "select title from papers where arxiv_id in "
                                               "('2512.20014', '2512.21118', '2512.20276')")}
    assert all(a[3] in liked_titles for a in after)  # each entry names the liked paper it resembles
    assert not {"1706.03762", "1602.02830"} & {a[0] for a in after}  # disliked: never kept by closeness
    assert dg.materialize(pipeline.assets_named("daily_report"), resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    report = next((home / "reports").glob(f"*{DEMO_DAY}*.md")).read_text(encoding="utf-8")
    assert report.count("像你赞过的《") >= len(after)  # every entry says which liked paper it is like


# ---------------------------------------------------------------- plain functions

def test_no_learned_ranking_below_learn_after_labels_or_without_a_positive():
    rng = np.random.default_rng(0)
    # two topics (A around axis 0, B around axis 1) among 30 unrelated papers
    a = np.eye(8)[0] + rng.normal(0, 0.15, (5, 8))
    b = np.eye(8)[1] + rng.normal(0, 0.15, (5, 8))
    vectors = np.vstack([a, b, rng.normal(size=(30, 8))])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    empty = np.zeros((0, 8))
    assert train(vectors[:1], ["a0"], vectors[5:6], empty, vectors, learn_after=3) is None  # 2 labels < 3
    assert train(empty, [], vectors[5:8], empty, vectors, learn_after=3) is None  # dislikes only
    model = train(vectors[:2], ["a0", "a1"], vectors[5:6], empty, vectors, learn_after=3)
    assert model is not None and model.trained_on == {"liked": 2, "disliked": 1, "examples": 0, "background": 38}
    scores = model.scores(vectors)
    assert scores[2:5].min() > scores[5:10].max()  # the unmarked papers of the liked topic come first
    assert scores[2:5].min() > np.median(scores[10:])
    assert model.closest_liked(vectors[:2]) == ["a0", "a1"]
    assert model.near_disliked(vectors[5:6]).tolist() == [True]
    assert not model.near_disliked(vectors[10:]).any()


def test_calibration_needs_a_background_and_does_not_move_with_a_constant_offset():
    rng = np.random.default_rng(1)
    background = rng.normal(size=(100, 8))
    background /= np.linalg.norm(background, axis=1, keepdims=True)
    profile = background[:1]
    assert calibrated_scores(background[:5], profile, background[:10]) is None
    z = calibrated_scores(background, profile, background)
    assert z.argmax() == 0 and abs(float(np.mean(z))) < 1e-6


def test_marks_are_exported_with_the_tables(reader, tmp_path):
    import duckdb

    home = reader[0]
    assert mark(reader, "feedback", "2512.20276", "read").returncode == 0
    out = mark(reader, "export", "--to", str(tmp_path / "lake"))
    assert out.returncode == 0, out.stderr
    with duckdb.connect() as conn:
        exported = conn.execute("select arxiv_id, signal, source from read_parquet($f) order by seq",
                                {"f": str(tmp_path / "lake" / "feedback" / "data.parquet")}).fetchall()
    assert exported == feedback_rows(home)
