"""Keyword matching and the filtered_papers golden test on the demo day."""

import datetime as dt
import json

import dagster as dg
import duckdb
import feedparser
import pymupdf
import pytest

from publishing.weekly import week_papers
from ranking.keywords import FilterRules, filter_listings, keyword_pattern, match_paper, report_order
from resources.settings import load_settings
from tests.conftest import API_RECORDINGS, DEMO_DAY, REALDATA, pipeline_for

SEED_KEYWORDS = load_settings().get("monitor", "keywords")


def row(
    title="", abstract="", authors=(), categories=("cs.AI",), announce_type="new", version=1, arxiv_id="2512.00001"
):
    return {
        "arxiv_id": arxiv_id,
        "version": version,
        "announce_type": announce_type,
        "title": title,
        "abstract": abstract,
        "authors": list(authors),
        "primary_category": categories[0],
        "categories": list(categories),
    }


@pytest.mark.parametrize(
    "text",
    [
        "Vision-Language-Action models",
        "vision language action",
        "Vision-Language Action",
        "VISION LANGUAGE-ACTION",
        "VisionLanguageAction",
        "Vision Language Actions",
    ],
)
def test_multiword_keyword_ignores_case_hyphens_and_spaces(text):
    assert keyword_pattern("Vision Language Action ").search(text)


@pytest.mark.parametrize(
    "text, hit",
    [
        ("VLA models", True),
        ("these VLAs act", True),
        ("(VLA)", True),
        ("VLA-7B", True),
        ("Vladimir Mikulik", False),
        ("evaluation", False),
        ("OpenVLA", False),
        ("vlad", False),
    ],
)
def test_short_keyword_only_on_word_boundaries(text, hit):
    assert bool(keyword_pattern("vla").search(text)) is hit


def test_plural_forms():
    assert keyword_pattern("traffic prediction").search("Traffic predictions in cities")
    assert keyword_pattern("spatio-temporal prediction").search("spatiotemporal prediction")


def test_configured_duplicates_collapse_to_one_rule():
    rules = FilterRules.build(SEED_KEYWORDS)
    assert [r.label for r in rules.keywords].count("Vision Language Action") == 1
    assert "Vision-Language-Action" not in [r.label for r in rules.keywords]  # same words as the first


def test_negative_keywords_watch_list_categories_and_announce_types():
    rules = FilterRules.build(
        ["vla"],
        exclude=["survey"],
        authors=["Łukasz Kaiser"],
        keyword_categories={"vla": ["cs.RO"]},
        announce_types=["new", "replace"],
    )
    assert not match_paper(row("A VLA survey", categories=("cs.RO",)), rules).kept  # excluded
    assert match_paper(row("A VLA survey", authors=["Lukasz Kaiser"], categories=("cs.RO",)), rules).kept  # watched
    assert not match_paper(row("VLA for chips", categories=("cs.AR",)), rules).kept  # keyword limited to cs.RO
    assert match_paper(row("VLA for robots", categories=("cs.RO",)), rules).kept
    assert not match_paper(row("VLA for robots", categories=("cs.RO",), announce_type="cross"), rules).kept


def test_score_orders_watched_authors_then_title_matches():
    rules = FilterRules.build(["vla", "traffic prediction"], authors=["Ada Lovelace"])
    rows = [
        row(abstract="vla", arxiv_id="1"),
        row(title="VLA", arxiv_id="2"),
        row(title="VLA for traffic prediction", arxiv_id="3"),
        row(abstract="x", authors=["Ada Lovelace"], arxiv_id="4"),
    ]
    kept = filter_listings(rows, rules)
    assert [k["arxiv_id"] for k in kept] == ["4", "3", "2", "1"]
    assert [k["rank"] for k in kept] == [1, 2, 3, 4]
    assert kept[1]["matched_keywords"] == ["traffic prediction", "vla"] and kept[1]["matched_in"] == ["title"]
    assert json.loads(kept[0]["matches"])[0] == {
        "rule": "Ada Lovelace",
        "kind": "author",
        "field": "authors",
        "text": "Ada Lovelace",
    }


def test_hard_negatives_from_real_recorded_text():
    """Real text near the keywords that must not match: read from the recordings and PDFs at run time."""
    rules = FilterRules.build(SEED_KEYWORDS)
    feed = feedparser.parse((API_RECORDINGS / "q_testing_s0_m100_cfe7536492ca.xml").read_bytes())
    maritime = next(e for e in feed.entries if "maritime traffic control" in e.summary)
    controlled = next(e for e in feed.entries if e.title.startswith("Controlled time series generation"))
    mikulik = next(
        line
        for page in pymupdf.open(REALDATA / "pdf" / "2304.02623v1.pdf")
        for line in page.get_text().splitlines()
        if "Vladimir Mikulik" in line
    )
    for title, abstract in [(maritime.title, maritime.summary), (controlled.title, controlled.summary), ("", mikulik)]:
        assert not match_paper(row(title, abstract), rules).kept, title


def test_golden_demo_day_keeps_exactly_the_seed_papers(pipeline, home):
    result = dg.materialize(
        pipeline.assets_named("raw_listings", "listing_embeddings", "filtered_papers"), resources=pipeline.resources,
        partition_key=DEMO_DAY
    )
    assert result.success
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        kept = conn.execute("select arxiv_id, version, is_update, rank from filtered_papers order by rank").fetchall()
        dropped = conn.execute(
            "select count(*) from raw_listings where arxiv_id not in (select arxiv_id from filtered_papers)"
        ).fetchone()[0]
    assert {(a, v) for a, v, _, _ in kept} == {
        ("2512.20276", 1),
        ("2512.20014", 1),
        ("2512.20188", 1),
        ("2511.14396", 5),
        ("2512.21118", 1),
        ("2512.05107", 2),
    }
    assert {a for a, _, update, _ in kept if update} == {"2511.14396", "2512.05107"}
    assert dropped == 13  # the real recorded non-matching entries and the three PDF papers


def test_watched_authors_bring_in_the_pdf_papers_after_the_days_new_work(server, home):
    """On the demo day a watched author's new paper (U-Net, listed as new there) leads; the watched authors'
    new versions of papers from 2016-2017 (BNN v3, the Transformer v7) are kept, first among the updates,
    after every new paper of the day: a reader expects the day's new work first."""
    watching = pipeline_for(home, server, ARXIV_MONITOR_WATCH_AUTHORS="Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio")
    assert dg.materialize(
        watching.assets_named("raw_listings", "listing_embeddings", "filtered_papers"), resources=watching.resources,
        partition_key=DEMO_DAY
    ).success
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        ranked = conn.execute("select arxiv_id, is_update, matched_authors from filtered_papers order by rank"
                              ).fetchall()
    updates = [u for _, u, _ in ranked]
    assert updates == sorted(updates) and False in updates  # no update before a new paper
    assert ranked[0][0] == "1505.04597" and ranked[0][2] == ["Olaf Ronneberger"]
    assert [a for a, u, _ in ranked if u][:2] == ["1602.02830", "1706.03762"]
    # The week's list follows the same rule, and by score alone when asked.
    candidates = watching.resources["warehouse"].query_rows("week_papers", start=dt.date(2025, 12, 22),
                                                            end=dt.date(2025, 12, 29), reader="default", language="zh")
    listed = week_papers(candidates, 20, "zh")
    assert [p["arxiv_id"] for p in listed] == [a for a, _, _ in ranked]
    by_score = [p["combined_score"] for p in week_papers(candidates, 20, "zh", updates_last=False)]
    assert by_score == sorted(by_score, reverse=True) and by_score != [p["combined_score"] for p in listed]


def test_report_order_puts_new_papers_before_new_versions_unless_asked_otherwise():
    rows = [{"arxiv_id": "1602.02830", "version": 3, "is_update": True, "combined_score": 105.8},
            {"arxiv_id": "2512.20014", "version": 1, "is_update": False, "combined_score": 12.4},
            {"arxiv_id": "2512.20188", "version": 1, "is_update": False, "combined_score": 21.0}]
    assert [r["arxiv_id"] for r in sorted(rows, key=report_order)] == ["2512.20188", "2512.20014", "1602.02830"]
    by_score = sorted(rows, key=lambda r: report_order(r, updates_last=False))
    assert [r["arxiv_id"] for r in by_score] == ["1602.02830", "2512.20188", "2512.20014"]
