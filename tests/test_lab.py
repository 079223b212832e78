"""One installation for a lab: several readers over the real demo day. Each keeps their own papers and gets their
own report, pages and digests; the listing, full texts and analyses are shared (each paper analysed once per
language its readers read, tested against the real llama.cpp server); one reader's marks never reach another's."""

import json
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import (
    DEMO_DAY,
    REPO,
    free_port,
    pipeline_for,
    replay_env,
    serving,
    settings_for,
    stored,
    with_fields,
)
from tests.receivers import SmtpReceiver, WebhookReceiver
from tests.test_feedback import request

ARXIV_MONITOR = str(Path(sys.executable).parent / "arxiv-monitor")
ROBOTICS = ["Vision-Language-Action", "vla"]
FORECASTING = ["spatio-temporal prediction", "traffic prediction", "Multivariate Time Series Forecasting"]
READERS = [
    {"name": "lin", "display_name": "Lin", "keywords": ROBOTICS, "language": "zh",
     "channels": ["lin-mail", "lab-hook"]},
    {"name": "chen", "keywords": FORECASTING, "language": "zh", "channels": ["lab-hook"]},
    {"name": "ada", "display_name": "Ada", "watch_authors": ["Olaf Ronneberger", "Ashish Vaswani"], "language": "en",
     "channels": ["ada-mail"]},
]
# What each keeps of the demo day (its real listing).
KEPT = {"lin": {"2512.20014", "2512.20188", "2512.20276", "2512.05107", "2511.14396"}, "chen": {"2512.21118"},
        "ada": {"1505.04597", "1706.03762"}}
ALL = set().union(*KEPT.values())
WEEK = "2025-12-22"  # the demo day's week


def lab_env(smtp_port: int, readers=READERS) -> dict:
    """A lab's configuration: the file's single-reader keys emptied, the readers and channels in the environment."""
    mail = {"kind": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "security": "none",
            "sender": "arxiv-monitor@lab.example.org"}
    channels = [{"name": "lin-mail", **mail, "recipients": ["lin@lab.example.org"]},
                {"name": "ada-mail", **mail, "recipients": ["ada@lab.example.org"]},
                {"name": "lab-hook", "kind": "webhook", "url_env": "LAB_HOOK_URL"}]
    return {"ARXIV_MONITOR_KEYWORDS": "", "ARXIV_MONITOR_INTERESTS": "", "ARXIV_MONITOR_READERS": json.dumps(readers),
            "ARXIV_MONITOR_DELIVERY_CHANNELS": json.dumps(channels)}


def materialise(pipeline, *names: str, resources: dict | None = None, key: str = DEMO_DAY,
                readers: list[str] | None = None) -> dg.ExecuteInProcessResult:
    """The named assets (one partitions definition) of the day `key`: each reader's for every reader (`readers`:
    those), one run per reader, as the CLI and a backfill run them; returns the first run's result."""
    results = [dg.materialize(pipeline.assets_named(*names), resources=resources or pipeline.resources,
                              partition_key=k) for k in pipeline.partition_keys(pipeline.asset(names[0]), key, readers)]
    assert results and all(r.success for r in results)
    return results[0]


@pytest.fixture(scope="module")
def lab(replay, tmp_path_factory):
    """The demo day for three readers through the real assets (no LLM: papers show as not analysed), delivered to
    a real SMTP server and a real webhook."""
    home, smtp_port = tmp_path_factory.mktemp("lab") / "home", free_port()
    with SmtpReceiver(smtp_port) as smtp, WebhookReceiver() as hooks, pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAB_HOOK_URL", f"{hooks.base_url}/hook")
        env = {**lab_env(smtp_port), "LAB_HOOK_URL": f"{hooks.base_url}/hook"}
        pipeline = pipeline_for(home, replay, resources={"publish": {"backoff_seconds": 0.05}}, **env)
        materialise(pipeline, "raw_listings", "listing_embeddings", "filtered_papers")
        for name in ("daily_report", "report_site", "report_delivery"):
            materialise(pipeline, name)
        yield home, pipeline, smtp, hooks, {**replay_env(replay, home), **env}


def kept(home: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for reader, arxiv_id in stored(home, "SELECT reader, arxiv_id FROM filtered_papers"):
        found.setdefault(reader, set()).add(arxiv_id)
    return found


def test_each_reader_gets_a_report_with_exactly_their_papers(lab):
    home, *_ = lab
    assert kept(home) == KEPT
    reports = {r: (path, text, language) for r, path, text, language in
               stored(home, "SELECT reader, path, markdown, language FROM daily_report")}
    assert set(reports) == set(KEPT)
    for reader, (path, text, _) in reports.items():
        assert Path(path) == home / "reports" / "readers" / reader / f"{DEMO_DAY}.md"
        assert Path(path).read_text(encoding="utf-8") == text
        shown = set(re.findall(r"\b(\d{4}\.\d{5})v\d\b", text))
        assert shown == KEPT[reader], reader
    assert reports["ada"][2] == "en" and reports["ada"][1].startswith("# arXiv monitoring report")
    assert reports["lin"][2] == "zh" and reports["lin"][1].startswith("# arXiv")


def test_the_lab_page_lists_every_kept_paper_with_who_kept_it_and_every_link_leads_somewhere(lab):
    home, *_ = lab
    site = home / "site"
    page = (site / "lab" / f"{DEMO_DAY}.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="paper-row">(.*?)</tr>', page, re.S)
    who = {re.search(r"abs/(\d{4}\.\d{5})v", row).group(1):
           set(re.findall(r'<a href="\.\./readers/\w+/days/[\d-]+\.html#[^"]+">(\w+)</a>', row)) for row in rows}
    assert who == {arxiv_id: {{"lin": "Lin", "chen": "chen", "ada": "Ada"}[r] for r in KEPT if arxiv_id in KEPT[r]}
                   for arxiv_id in ALL}
    for name in ("index.html", "saved.html", f"lab/{DEMO_DAY}.html", "readers/ada/index.html",
                 f"readers/lin/days/{DEMO_DAY}.html"):
        html = (site / name).read_text(encoding="utf-8")
        for href in re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', html):
            assert (site / name).parent.joinpath(href).resolve().is_file(), (name, href)
    english = (site / "readers" / "ada" / "days" / f"{DEMO_DAY}.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "1505.04597" in english and "2512.21118" not in english


def test_each_readers_channels_get_their_digest_once_and_a_rerun_sends_nothing(lab):
    home, pipeline, smtp, hooks, _ = lab
    recipients = sorted(m["To"] for m in smtp.messages)
    assert recipients == ["ada@lab.example.org", "lin@lab.example.org"]
    by_reader = {m["To"].split("@")[0]: m for m in smtp.messages}
    assert "1505.04597" in by_reader["ada"].get_body().get_content()
    assert "2512.20014" not in by_reader["ada"].get_body().get_content()
    posts = [json.dumps(p, ensure_ascii=False) for p in hooks.received["/hook"]]
    assert len(posts) == 2 and sum("2512.21118" in p for p in posts) == 1 and sum("2512.20014" in p for p in posts) == 1
    assert sorted(stored(home, "SELECT reader, channel, status FROM report_deliveries")) == [
        ("ada", "ada-mail", "sent"), ("chen", "lab-hook", "sent"), ("lin", "lab-hook", "sent"),
        ("lin", "lin-mail", "sent")]
    materialise(pipeline, "report_delivery")
    assert len(smtp.messages) == 2 and len(hooks.received["/hook"]) == 2


def cli(lab, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ARXIV_MONITOR, *args], cwd=REPO, capture_output=True, text=True, timeout=120, env=lab[4])


def test_marks_of_one_reader_change_neither_anothers_kept_set_nor_reading_list(lab):
    home, pipeline, *_ = lab
    before = stored(home, "SELECT reader, arxiv_id, rank, combined_score FROM filtered_papers WHERE reader <> 'lin' "
                          "ORDER BY ALL")
    for arxiv_id in ("2512.20014", "2512.20188", "2512.20276"):
        assert cli(lab, "feedback", "--reader", "lin", arxiv_id, "up").returncode == 0
    assert cli(lab, "feedback", "--reader", "lin", "2512.20014", "save").returncode == 0
    asked = cli(lab, "feedback", "2512.20014", "save")
    assert asked.returncode == 2 and "--reader: which reader? (lin, chen, ada)" in asked.stderr
    unknown = cli(lab, "saved", "--reader", "bob")
    assert unknown.returncode == 2 and "no reader named 'bob'; readers: lin, chen, ada" in unknown.stderr
    materialise(pipeline, "filtered_papers")
    assert stored(home, "SELECT reader, arxiv_id, rank, combined_score FROM filtered_papers WHERE reader <> 'lin' "
                        "ORDER BY ALL") == before
    assert "2512.20014" in cli(lab, "saved", "--reader", "lin").stdout
    assert cli(lab, "saved", "--reader", "chen").stdout.startswith("nothing saved yet")
    listing = cli(lab, "readers").stdout.splitlines()
    assert re.match(r"lin\s+zh\s+1\s+5\s+3\s+1\s+lin-mail, lab-hook$", listing[1]), listing
    assert re.match(r"ada\s+en\s+1\s+2\s+0\s+0\s+ada-mail$", listing[3]), listing
    # Removing a reader: their papers leave the day when it is materialised again; their marks stay.
    marks = "SELECT count(*) FROM feedback WHERE profile = 'lin'"
    without_lin = pipeline_for(home, None, **{**lab[4], "ARXIV_MONITOR_READERS": json.dumps(READERS[1:])})
    materialise(without_lin, "filtered_papers")
    assert kept(home) == {"chen": KEPT["chen"], "ada": KEPT["ada"]} and stored(home, marks) == [(4,)]
    materialise(pipeline, "filtered_papers")
    assert kept(home) == KEPT


def test_a_mark_for_one_reader_with_anothers_token_is_refused(lab):
    home = lab[0]
    with serving(lab[4]) as (port, _):
        tokens = {r: json.loads(request(port, "GET", f"/readers/{r}/api/session")[1])["token"] for r in ("lin", "ada")}
        assert tokens["lin"] != tokens["ada"] and all(len(t) >= 32 for t in tokens.values())

        def post(reader: str, token: str):
            headers = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}",
                       "X-Arxiv-Monitor-Token": token}
            return request(port, "POST", f"/readers/{reader}/api/feedback",
                           json.dumps({"id": "1505.04597", "signal": "save"}).encode(), headers)

        marks = "SELECT profile, arxiv_id, signal FROM feedback WHERE arxiv_id = '1505.04597' ORDER BY seq"
        refused = post("ada", tokens["lin"])
        assert refused[0] == 403 and "this reader's pages" in refused[1]
        assert stored(home, marks) == []
        assert post("ada", tokens["ada"])[0] == 200
        assert stored(home, marks) == [("ada", "1505.04597", "save")]
        assert request(port, "GET", "/api/session")[0] == 404  # the lab's own pages record no marks
        # A digest's mark link of ada's opens a page whose button posts to ada's folder with ada's token.
        status, page = request(port, "GET", "/readers/ada/feedback?id=1505.04597&signal=up")
        assert status == 200 and 'action="/readers/ada/feedback"' in page and tokens["ada"] in page
        assert tokens["lin"] not in page
        saved = request(port, "GET", "/readers/ada/saved.html")[1]
        assert "1505.04597" in saved and "1505.04597" not in request(port, "GET", "/readers/lin/saved.html")[1]


def test_the_command_line_runs_one_readers_partitions_of_a_day(lab):
    home = lab[0]
    reports = "SELECT reader, generated_at FROM daily_report"
    before = dict(stored(home, reports))
    done = cli(lab, "run", "--date", DEMO_DAY, "--reader", "chen", "--select", "daily_report")
    assert f"{DEMO_DAY}|chen daily_report" in done.stdout and "|lin" not in done.stdout, done.stdout[-3000:]
    # This home's day was never analysed (no LLM here): the report's checks say so, and the run fails on them.
    assert done.returncode == 1 and "check every_filtered_paper_analysed FAILED" in done.stdout
    after = dict(stored(home, reports))
    assert after["chen"] > before["chen"] and {r: after[r] for r in ("lin", "ada")} == {r: before[r] for r in
                                                                                      ("lin", "ada")}
    unknown = cli(lab, "run", "--date", DEMO_DAY, "--reader", "bob", "--select", "daily_report")
    assert unknown.returncode == 2 and "--reader: no reader named 'bob'; readers: lin, chen, ada" in unknown.stderr


def test_dagster_models_each_readers_assets_by_day_and_reader(tmp_path):
    """Each reader's assets are partitioned by day × reader (the reader dimension is the configuration's, at load);
    the shared ones by day. The schedule runs the shared day; Dagster's automation then asks each reader's
    partitions of it (evaluated here as the daemon's sensor would)."""
    from orchestration.definitions import READERS_FOLLOW, build_definitions

    defs = build_definitions(settings_for(tmp_path / "home", **lab_env(free_port())))
    for name in ("daily_report", "report_site", "report_delivery", "weekly_digest", "weekly_delivery"):
        dimensions = {d.name: d.partitions_def for d in defs.get_assets_def(name).partitions_def.partitions_defs}
        assert dimensions["reader"].get_partition_keys() == ["lin", "chen", "ada"], name
        assert set(dimensions) == {"reader", "week" if name.startswith("weekly") else "day"}, name
    shared = ["raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries"]
    assert all(isinstance(defs.get_assets_def(n).partitions_def, dg.DailyPartitionsDefinition) for n in shared)
    assert sorted(k.to_user_string() for k in defs.resolve_job_def("daily_digest").asset_layer.selected_asset_keys) \
        == sorted(shared)
    assert defs.get_sensor_def(READERS_FOLLOW).default_status == dg.DefaultSensorStatus.RUNNING
    instance = dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    day = defs.get_assets_def("paper_summaries").partitions_def.get_last_partition_key()
    instance.report_runless_asset_event(dg.AssetMaterialization("paper_summaries", partition=day))
    asked = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    for name in ("daily_report", "report_site", "report_delivery"):  # in dependency order, in the same runs
        assert asked.get_requested_partitions(dg.AssetKey(name)) == {f"{day}|{r}" for r in ("lin", "chen", "ada")}
    assert asked.get_num_requested(dg.AssetKey("weekly_digest")) == 0  # the weekly schedule's


def test_each_reader_gets_their_own_week_and_its_digest(lab):
    home, pipeline, smtp, hooks, _ = lab
    mails, posts = len(smtp.messages), len(hooks.received["/hook"])
    materialise(pipeline, "weekly_digest", key=WEEK)
    materialise(pipeline, "weekly_delivery", key=WEEK)
    site = home / "site" / "readers"
    lin, ada = ((site / r / "weeks" / f"{WEEK}.html").read_text(encoding="utf-8") for r in ("lin", "ada"))
    assert "2512.20014" in lin and "1505.04597" not in lin
    assert '<html lang="en">' in ada and "1505.04597" in ada and "2512.20014" not in ada
    assert stored(home, "SELECT reader, shown FROM weekly_digests ORDER BY reader") == [("ada", 2), ("chen", 1),
                                                                                         ("lin", 5)]
    assert sorted(m["To"] for m in smtp.messages[mails:]) == ["ada@lab.example.org", "lin@lab.example.org"]
    assert len(hooks.received["/hook"]) - posts == 2  # lin's and chen's weeks
    materialise(pipeline, "weekly_delivery", key=WEEK)
    assert len(smtp.messages) - mails == 2 and len(hooks.received["/hook"]) - posts == 2


# ---------------------------------------------------------------- the shared work, against the real LLM server

def analyses(home: Path) -> list[tuple]:
    return stored(home, "SELECT arxiv_id, language, cached FROM paper_summaries ORDER BY ALL")


def test_each_paper_is_analysed_once_per_language_and_a_new_reader_asks_only_for_what_is_new(replay, tmp_path, llm,
                                                                                            llm_resource):
    """Two readers share STLDM in Chinese, one reads U-Net in English: two analyses. A fourth reader (Chinese, STLDM
    and U-Net) re-running the day: no request to arXiv, one analysis (U-Net in Chinese). How often the model is
    asked is the subject, not what it writes: answers capped at 16 tokens, papers at 400."""
    home = tmp_path / "home"
    readers = [{"name": "chen", "keywords": FORECASTING, "language": "zh"},
               {"name": "bo", "keywords": ["spatio-temporal prediction"], "language": "zh"},
               {"name": "ada", "watch_authors": ["Olaf Ronneberger"], "language": "en"}]
    model = {"llm_server": with_fields(llm_resource, max_output_tokens=16, max_input_tokens=400)}
    shared = ("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries")

    def run_day(readers: list[dict], only: list[str] | None = None) -> dict:
        pipeline = pipeline_for(home, replay, **lab_env(free_port(), readers))
        result = materialise(pipeline, *shared, resources={**pipeline.resources, **model})
        materialise(pipeline, "daily_report", readers=only)
        return {k: v.value for k, v in result.asset_materializations_for_node("paper_summaries")[0].metadata.items()}

    first = run_day(readers)
    assert analyses(home) == [("1505.04597", "en", False), ("2512.21118", "zh", False)]
    assert (first["papers"], first["cache_hits"], first["languages"]) == (2, 0, "en, zh")
    assert first["requests"] > 0
    replay.clear()
    reports = "SELECT reader, generated_at FROM daily_report ORDER BY reader"
    before = dict(stored(home, reports))
    again = run_day([*readers, {"name": "zoe", "keywords": ["spatio-temporal prediction"],
                                "watch_authors": ["Olaf Ronneberger"], "language": "zh"}], only=["zoe"])
    # The listing is not asked again, nor a PDF that was read; only the one whose download failed (not recorded)
    unread = {f"/pdf/{i}v{v}" for i, v in stored(home, "SELECT arxiv_id, version FROM paper_fulltext "
                                                       "WHERE status = 'download_failed'")}
    assert replay.api_requests == [] and set(replay.requests) == unread == {"/pdf/2512.21118v1"}
    assert analyses(home) == [("1505.04597", "en", True), ("1505.04597", "zh", False), ("2512.21118", "zh", True)]
    assert (again["papers"], again["cache_hits"]) == (3, 2)
    after = dict(stored(home, reports))
    assert set(after) == {*before, "zoe"} and {r: after[r] for r in before} == before  # the others' left as they were
    zoe = stored(home, "SELECT markdown FROM daily_report WHERE reader = 'zoe'")[0][0]
    assert set(re.findall(r"\b(\d{4}\.\d{5})v\d\b", zoe)) == {"1505.04597", "2512.21118"}
