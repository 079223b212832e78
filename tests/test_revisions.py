"""Revisions that matter and venues: what a new version changed against the stored one, minor or major by
the stated rule (arxiv_domain/revision.py), a minor one re-using the stored analysis without asking the
model; venues read from comments and journal-refs, checked against a person's reading of every real
recorded entry (bench/venue_labels.json)."""

import dataclasses
import datetime as dt
import json
from pathlib import Path

import dagster as dg
import polars as pl

from arxiv_domain.calendar import announcement_day
from arxiv_domain.revision import compare
from arxiv_domain.venue import parse_venue
from llm_analysis.papers import SUMMARY_SCHEMA, reuse_for_minor_revisions
from replay.corpus import load_corpus, realdata_dir
from replay.server import ReplayServer
from tests.conftest import REPO, pipeline_for, stored

# Made-up texts for the rule (not recordings): one sentence edited, one rewritten.
OLD = {"version": 1, "title": "A Policy for Robots", "abstract": "We propose a policy. It maps images to actions. "
       "Experiments on two benchmarks show gains of 12%.", "comment": "8 pages", "journal_ref": None}


def test_a_new_venue_and_a_small_edit_are_a_minor_revision():
    new = {**OLD, "version": 2, "abstract": OLD["abstract"].replace("two benchmarks", "two public benchmarks"),
           "comment": "8 pages. Accepted at ICRA 2026"}
    revision = compare(OLD, new)
    assert revision.kind == "minor" and revision.reasons == []
    assert revision.venue_added == "ICRA 2026" and 0 < revision.abstract_changed < 0.10
    assert revision.new_sentences == ["Experiments on two public benchmarks show gains of 12%."]


def test_a_new_title_a_rewritten_abstract_or_many_more_pages_are_major():
    assert compare(OLD, {**OLD, "version": 2, "title": "Robot Policies at Scale"}).reasons == ["title"]
    rewritten = {**OLD, "version": 2, "abstract": "We study scaling. A larger model is trained on more data. "
                 "It doubles the success rate."}
    assert compare(OLD, rewritten).reasons == ["abstract"]
    assert compare(OLD, {**OLD, "version": 2, "comment": "12 pages"}).reasons == ["pages"]
    assert compare(OLD, {**OLD, "version": 2, "comment": "9 pages"}).kind == "minor"  # one page more


# The first version's analysis as a run would have stored it (a fake row: no model runs in these tests).
V1_ANALYSIS = {"arxiv_id": "9912.00001", "version": 1, "status": "ok", "basis": "abstract", "language": "zh",
               "tldr": "一个为边缘设备加速推理的系统。", "summary": "概要。", "model": "llama-cpp:test",
               "backend": "llama-cpp", "prompt_version": "zh-test", "text_hash": "x", "tokens_in": 10,
               "tokens_out": 10, "cached": False, "retryable": False,
               "analysed_at": dt.datetime(2025, 12, 22, tzinfo=dt.UTC)}


def _two_versions(base, arxiv_id: str, days: tuple[dt.date, dt.date], **second) -> list:
    """`base` (a real entry) listed as v1 on the first day and as v2, changed by `second`, on the next."""
    first_window, second_window = announcement_day(days[0]), announcement_day(days[1])
    v1 = dataclasses.replace(base, arxiv_id=arxiv_id, version=1, published=first_window.window_start
                             + dt.timedelta(hours=1), updated=first_window.window_start + dt.timedelta(hours=1))
    v2 = dataclasses.replace(v1, version=2, updated=second_window.window_start + dt.timedelta(hours=1), **second)
    return [v1, v2]


def test_a_minor_revision_reuses_the_stored_analysis_and_a_major_one_is_analysed_again(tmp_path):
    """Two real seed entries re-listed under synthetic ids (99xx: ids arXiv cannot have issued) as v1 on
    2025-12-22 and v2 on 2025-12-23: one v2 adds a venue to its comments, the other carries another real
    paper's abstract."""
    corpus = {e.arxiv_id: e for e in load_corpus(realdata_dir())}
    days = (dt.date(2025, 12, 22), dt.date(2025, 12, 23))
    entries = (_two_versions(corpus["2512.20276"], "9912.00001", days, comment="Accepted at ICRA 2026")
               + _two_versions(corpus["2512.20014"], "9912.00002", days, abstract=corpus["2512.20188"].abstract))
    home = tmp_path / "home"
    with ReplayServer(corpus=entries) as server:
        pipeline = pipeline_for(home, server)
        for day in days:
            assert dg.materialize(pipeline.assets_named("raw_listings", "listing_embeddings", "filtered_papers"),
                                  resources=pipeline.resources, partition_key=day.isoformat()).success
    kinds = dict(stored(home, "select arxiv_id, revision_kind from filtered_papers where partition_date = "
                              "'2025-12-23' order by arxiv_id"))
    assert kinds == {"9912.00001": "minor", "9912.00002": "major"}
    minor = json.loads(stored(home, "select revision from filtered_papers where arxiv_id = '9912.00001' "
                                    "and version = 2")[0][0])
    assert minor["venue_added"] == "ICRA 2026" and minor["abstract_changed"] == 0 and minor["from_version"] == 1
    warehouse = pipeline.resources["warehouse"]
    stored_v1 = pl.DataFrame([V1_ANALYSIS], schema=SUMMARY_SCHEMA).to_arrow()
    warehouse.write_partition(days[0], {"paper_summaries": stored_v1})
    papers = warehouse.query_rows("papers_to_analyse", partition_date=days[1])
    reused, rest = reuse_for_minor_revisions(papers, warehouse.query_rows(
        "revised_analyses", arxiv_ids=["9912.00001", "9912.00002"], language="zh"), dt.datetime.now(dt.UTC))
    assert [(r["arxiv_id"], r["version"], r["reused_from"], r["tokens_in"]) for r in reused] == [
        ("9912.00001", 2, 1, 0)]
    assert [p["arxiv_id"] for p in rest] == ["9912.00002"]  # the major revision goes to the model


def test_a_minor_revision_is_stored_and_reported_without_any_model(tmp_path):
    corpus = {e.arxiv_id: e for e in load_corpus(realdata_dir())}
    days = (dt.date(2025, 12, 22), dt.date(2025, 12, 23))
    entries = _two_versions(corpus["2512.20276"], "9912.00001", days, comment="Accepted at ICRA 2026")
    home = tmp_path / "home"
    with ReplayServer(corpus=entries) as server:
        # An LLM that cannot answer: a request to it would fail the paper.
        pipeline = pipeline_for(home, server, ARXIV_MONITOR_LLM_BACKEND="external",
                                ARXIV_MONITOR_LLM_URL="http://127.0.0.1:9/v1")
        chain = ("raw_listings", "listing_embeddings", "filtered_papers")
        assert dg.materialize(pipeline.assets_named(*chain), resources=pipeline.resources,
                              partition_key=days[0].isoformat()).success
        pipeline.resources["warehouse"].write_partition(
            days[0], {"paper_summaries": pl.DataFrame([V1_ANALYSIS], schema=SUMMARY_SCHEMA).to_arrow()})
        assert dg.materialize(pipeline.assets_named(*chain, "paper_fulltext", "paper_summaries", "daily_report"),
                              resources=pipeline.resources, partition_key=days[1].isoformat()).success
    row = stored(home, "select status, version, reused_from, tokens_in, tldr from paper_summaries "
                       "where partition_date = '2025-12-23'")
    assert row == [("ok", 2, 1, 0, "一个为边缘设备加速推理的系统。")]
    report = next((home / "reports").glob("*2025-12-23*.md")).read_text(encoding="utf-8")
    assert "v1 → v2：摘要改动 0%；新增：ICRA 2026；小修订，沿用 v1 的分析" in report
    assert "ICRA 2026（已录用）" in report


def test_venues_of_every_recorded_entry_match_a_persons_reading():
    import feedparser

    labels = json.loads((REPO / "bench" / "venue_labels.json").read_text(encoding="utf-8"))["labels"]
    entries = {}
    for path in sorted((realdata_dir() / "api").rglob("*.xml")):
        for e in feedparser.parse(Path(path).read_bytes()).entries:
            if "/abs/" in e.get("id", ""):
                entries[e.id.rsplit("/abs/", 1)[1]] = (e.get("arxiv_comment"), e.get("arxiv_journal_ref"))
    outputs = {}
    for arxiv_id, (comment, ref) in entries.items():
        if comment or ref:
            venue = parse_venue(comment, ref)
            outputs[arxiv_id] = venue.label if venue else None
    assert outputs == {k: v["judged_output"] for k, v in labels.items()}  # every output was judged as it is now
    assert sum(v["right"] for v in labels.values()) >= 99


def test_venue_rules_on_plain_phrases():
    assert parse_venue("Accepted to CVPR 2026", None).label == "CVPR 2026"
    assert parse_venue("Accepted at ICRA'26; 8 pages", None).label == "ICRA 2026"
    assert parse_venue("Submitted to NeurIPS 2025", None) is None
    assert parse_venue("12 pages, 5 figures", None) is None
    venue = parse_venue("To appear in the Proceedings of the International Conference on Robotics and "
                        "Automation (ICRA 2026)", None)
    assert (venue.label, venue.status) == ("ICRA 2026", "accepted")
    assert parse_venue(None, "Phys. Rev. D 85, 123 (2012)").year == 2012


def test_main_figures_of_the_demo_days_pdfs_reach_the_site(replay, tmp_path):
    """The demo day with the watched authors of its three real PDFs: each PDF's Figure 1 is stored, written
    under the site and shown on the day page with its caption; a paper without a PDF shows none."""
    from pdf_reading.figures import main_figure_of_file
    from tests.conftest import DEMO_DAY

    home = tmp_path / "home"
    pipeline = pipeline_for(home, replay, ARXIV_MONITOR_WATCH_AUTHORS="Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio")
    for names in (("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext"), ("daily_report",),
                  ("report_site",)):
        assert dg.materialize(pipeline.assets_named(*names), resources=pipeline.resources,
                              partition_key=DEMO_DAY).success
    figures = dict(stored(home, "select arxiv_id, figure_page from paper_fulltext where figure_png is not null"))
    assert figures == {"1706.03762": 3, "1505.04597": 2, "1602.02830": 5}
    unet = main_figure_of_file(str(realdata_dir() / "pdf" / "1505.04597v1_Unet.pdf"))
    assert (home / "site" / "figures" / "p-1505.04597.png").read_bytes() == unet.png
    page = (home / "site" / "days" / f"{DEMO_DAY}.html").read_text(encoding="utf-8")
    assert page.count('<figure class="fig">') == 3 and 'src="../figures/p-1505.04597.png"' in page
    assert "Fig. 1. U-net architecture" in page
    # The demo day's updates were never stored at an earlier version: the report says it could not compare.
    report = (home / "reports" / f"{DEMO_DAY}.md").read_text(encoding="utf-8")
    assert "**修订**: v7：历史中没有更早的版本，无从比较" in report and "v3：历史中没有更早的版本" in report
    assert "v1：历史中" not in report
    assert page.count('class="revision">修订 v') == 4  # the four updates among the day's nine papers
    one_page_table = main_figure_of_file(str(realdata_dir() / "pdf" / "1903.10676_SciBERT_onepage_table.pdf"))
    assert one_page_table is None
