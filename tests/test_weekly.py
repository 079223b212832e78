"""The weekly digest over the recorded week 2025-12-22 (its five announcement days and weekend through
the real daily assets, no LLM), its page and chart in chromium, its delivery exactly once to a real SMTP
server; the trends page; rising topics and the partitions as Dagster sees them."""

import datetime as dt
import json

import dagster as dg
import feedparser
import pytest

from publishing.weekly import STOP_WORDS, rising_topics, week_window
from tests.conftest import free_port, pipeline_for, stored
from tests.receivers import SmtpReceiver
from tests.test_site import browser

WEEK = "2025-12-22"
DAYS = [(dt.date(2025, 12, 22) + dt.timedelta(days=i)).isoformat() for i in range(7)]


@pytest.fixture(scope="module")
def week(replay, tmp_path_factory):
    home = tmp_path_factory.mktemp("week") / "home"
    with SmtpReceiver(free_port()) as smtp:
        channels = json.dumps([{"name": "inbox", "kind": "email", "smtp_host": "127.0.0.1",
                                "smtp_port": smtp.controller.port, "security": "none",
                                "sender": "arxiv-monitor@example.org", "recipients": ["team@example.org"]}])
        pipeline = pipeline_for(home, replay, ARXIV_MONITOR_DELIVERY_CHANNELS=channels,
                                ARXIV_MONITOR_SITE_BASE_URL="http://127.0.0.1:8000")
        for day in DAYS:
            for names in (("raw_listings", "listing_embeddings", "filtered_papers"), ("daily_report",),
                          ("report_site",)):
                assert dg.materialize(pipeline.assets_named(*names), resources=pipeline.resources,
                                      partition_key=day).success
        first = dg.materialize(pipeline.weekly, resources=pipeline.resources, partition_key=WEEK)
        sent_first = len(smtp.messages)
        again = dg.materialize(pipeline.weekly, resources=pipeline.resources, partition_key=WEEK)
        yield home, pipeline, first, again, sent_first, list(smtp.messages)


def test_the_week_is_built_from_its_days_and_shows_new_papers_first_then_the_best(week):
    home, pipeline, first, _, _, _ = week
    assert first.success
    digest = stored(home, "select days_reported, listings, kept, shown from weekly_digests where partition_date = "
                          f"'{WEEK}'")
    kept = stored(home, "select count(distinct arxiv_id) from filtered_papers where partition_date between "
                        f"'{DAYS[0]}' and '{DAYS[-1]}'")[0][0]
    assert digest == [(7, digest[0][1], kept, min(kept, 10))] and digest[0][1] > 0
    # New papers before new versions of papers announced earlier, each best first (the daily report's order).
    listed = stored(home, "select w.combined_score, bool_or(f.is_update) from weekly_papers w join filtered_papers f "
                          f"using (arxiv_id, version) where w.partition_date = '{WEEK}' group by w.rank, "
                          "w.combined_score order by w.rank")
    assert listed == sorted(listed, key=lambda r: (r[1], -r[0])) and len(listed) == min(kept, 10)
    assert stored(home, f"select count(*) from weekly_papers where partition_date = '{WEEK}' and why is null") == [(0,)]


def test_the_weeks_page_and_its_chart_render_in_a_real_browser(week):
    home = week[0]
    page = home / "site" / "weeks" / f"{WEEK}.html"
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and all(f"../days/{d}.html" in html for d in DAYS[:5])
    dom = browser("--virtual-time-budget=3000", "--dump-dom", f"file://{page}")
    assert "<svg" in dom and "2025-12-22" in dom
    shot = home / "week.png"
    browser("--window-size=1100,1400", f"--screenshot={shot}", f"file://{page}")
    assert shot.stat().st_size > 10_000
    weeks = (home / "site" / "weeks.html").read_text(encoding="utf-8")
    assert f'href="weeks/{WEEK}.html"' in weeks
    feed = (home / "site" / "feed.xml").read_text(encoding="utf-8")
    assert f"urn:arxiv-monitor:week:{WEEK}" in feed and f"urn:arxiv-monitor:day:{DAYS[3]}" in feed
    # The weekly stage rewrites the feed alone; each day's entry still lists that day's papers.
    days = {e.id: e.summary for e in feedparser.parse(feed).entries}
    assert "(2512.20014)" in days["urn:arxiv-monitor:day:2025-12-25"]
    trends = (home / "site" / "trends.html").read_text(encoding="utf-8")
    assert trends.count("<svg") >= 2  # keywords and categories at least


def test_the_weekly_digest_is_delivered_once(week):
    home, _, first, again, sent_first, messages = week
    assert first.success and again.success
    assert sent_first == 1 and len(messages) == 1  # the second materialisation sent nothing
    rows = stored(home, f"select channel, status from weekly_deliveries where partition_date = '{WEEK}'")
    assert rows == [("inbox", "sent")]
    assert "arXiv 每周摘要" in str(messages[0]["Subject"]) or "=?utf-8?" in str(messages[0]["Subject"]).lower()


def test_rising_topics_compare_a_weeks_share_with_the_weeks_before():
    week = dt.date(2025, 12, 22)
    earlier = [week - dt.timedelta(days=7 * i) for i in range(1, 5)]
    rows = [{"week": w, "term": "diffusion", "papers": 10, "listings": 100} for w in [week, *earlier]]
    rows += [{"week": week, "term": "humanoid", "papers": 8, "listings": 100}]
    rows += [{"week": w, "term": "humanoid", "papers": 1, "listings": 100} for w in earlier]
    rows += [{"week": week, "term": "rare", "papers": 2, "listings": 100}]  # too few papers to call it a topic
    topics = rising_topics(rows, week)
    assert [t["term"] for t in topics] == ["humanoid"]  # diffusion is as common as before
    assert topics[0]["growth"] == pytest.approx((0.08 + 0.01) / (0.01 + 0.01))
    assert rising_topics([r for r in rows if r["week"] == week], week) == []  # nothing to compare with
    assert "using" in STOP_WORDS and "humanoid" not in STOP_WORDS


def test_weekly_partitions_are_weeks_of_the_daily_ones(replay, tmp_path):
    pipeline = pipeline_for(tmp_path / "home", replay)
    assert pipeline.weeks.get_partition_keys()[0] == "2025-12-01"  # the Monday of the first day
    assert week_window("2025-12-22") == (dt.date(2025, 12, 22), dt.date(2025, 12, 29))
    digest = pipeline.asset("weekly_digest")
    (dep,) = [d for d in digest.specs_by_key[digest.key].deps]
    assert dep.asset_key == dg.AssetKey("daily_report")
    assert isinstance(dep.partition_mapping, dg.TimeWindowPartitionMapping)
    mapped = dep.partition_mapping.get_upstream_mapped_partitions_result_for_partitions(
        pipeline.weeks.subset_with_partition_keys([WEEK]), pipeline.weeks, pipeline.partitions)
    assert sorted(mapped.partitions_subset.get_partition_keys()) == DAYS


def test_a_chart_with_chinese_labels_is_text_and_warns_nothing():
    import warnings

    from publishing.charts import weekly_lines

    weeks = [dt.date(2025, 12, 1) + dt.timedelta(weeks=i) for i in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph warning would fail here
        svg = weekly_lines({"视觉语言动作模型": {weeks[1]: 3}, "时空预测": {weeks[2]: 2}}, weeks, "每周论文数")
    assert svg.startswith("<svg") and "视觉语言动作模型" in svg and "每周论文数" in svg
