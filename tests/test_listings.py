"""`raw_listings` materialised through Dagster against the replay server (real HTTP, real DuckDB)."""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from arxiv_domain.calendar import announcement_day
from resources.arxiv_listing import FuturePartition, fetch_day_listing
from tests.conftest import DEMO_DAY, pipeline_for

SEED_PAPERS = {("2512.20276", 1), ("2512.20014", 1), ("2512.20188", 1), ("2511.14396", 5), ("2512.21118", 1),
               ("2512.05107", 2)}


def materialize(pipeline, day=DEMO_DAY, refresh=False, raise_on_error=True):
    return dg.materialize(
        [pipeline.asset("raw_listings")],
        resources=pipeline.resources,
        partition_key=day,
        raise_on_error=raise_on_error,
        run_config={"ops": {"raw_listings": {"config": {"refresh": refresh}}}},
    )


def table(home, sql="select * from raw_listings order by partition_date, arxiv_id, version"):
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_demo_day_materialises_with_every_announce_type(pipeline, home, server):
    result = materialize(pipeline)
    assert result.success
    meta = {k: v.value for k, v in result.asset_materializations_for_node("raw_listings")[0].metadata.items()}
    assert (meta["rows_new"], meta["rows_cross"], meta["rows_replace"], meta["rows_replace_cross"]) == (6, 7, 4, 2)
    assert meta["complete"] is True and meta["requests"] == 2 == len(server.api_requests)
    assert all(c.passed for c in result.get_asset_check_evaluations())

    rows = {
        (r[0], r[1]): r
        for r in table(
            home,
            "select arxiv_id, version, announce_type, primary_category, "
            "title, authors, partition_date from raw_listings",
        )
    }
    assert set(rows) >= SEED_PAPERS
    assert rows[("2512.20014", 1)][2] == "new"  # primary cs.RO is monitored (the seed's feed said "cross")
    assert rows[("2511.14396", 5)][2] == "replace"
    assert rows[("1706.03762", 7)][2:4] == ("replace-cross", "cs.CL")
    assert rows[("2512.20276", 1)][5][0] == "Yuntao Dai"
    assert {r[6] for r in rows.values()} == {dt.date(2025, 12, 25)}
    day = table(home, "select announces, reason, complete, rows_new, window_start from listing_days")
    # Thursday's feed: submissions from Tuesday 14:00 ET (19:00 UTC, EST), as the README's table says.
    assert day == [(True, "announcement", True, 6, dt.datetime(2025, 12, 23, 19, 0, tzinfo=dt.UTC))]


def test_rerun_makes_zero_requests_and_is_idempotent(pipeline, home, server):
    materialize(pipeline)
    first = table(home, "select * exclude (fetched_at) from raw_listings order by arxiv_id, version")
    requests_before = len(server.api_requests)
    materialize(pipeline)
    assert len(server.api_requests) == requests_before
    assert table(home, "select * exclude (fetched_at) from raw_listings order by arxiv_id, version") == first
    assert table(home, "select count(*), count(distinct (arxiv_id, version)) from raw_listings") == [(19, 19)]
    materialize(pipeline, refresh=True)
    assert len(server.api_requests) == requests_before + 2


def test_neighbouring_days_do_not_overlap(pipeline, home):
    for day in ("2025-12-24", "2025-12-25", "2025-12-26"):
        assert materialize(pipeline, day).success
    counts = table(home, "select partition_date, count(*) from raw_listings group by 1 order by 1")
    assert [c for _, c in counts] == [5, 19, 5]
    assert table(home, "select count(*) - count(distinct (arxiv_id, version)) from raw_listings") == [(0,)]


@pytest.mark.parametrize("day", ["2025-12-27", "2025-12-28"])
def test_weekend_is_an_explicit_empty_day_with_no_request(pipeline, home, server, day):
    result = materialize(pipeline, day)
    assert result.success and server.api_requests == []
    assert table(home, "select count(*) from raw_listings") == [(0,)]
    assert table(home, "select announces, reason, complete, requests from listing_days") == [
        (False, "weekend", True, 0)
    ]


def test_holiday_is_an_explicit_empty_day(pipeline, home, server):
    holidays = pipeline_for(home, server, ARXIV_MONITOR_HOLIDAYS="2025-12-24")
    assert materialize(holidays, "2025-12-24").success
    assert server.api_requests == []
    assert table(home, "select announces, reason from listing_days") == [(False, "holiday")]


def test_future_partition_fails_before_any_request(client, server):
    day = dt.date(2025, 12, 25)
    with pytest.raises(FuturePartition, match="in the future"):
        fetch_day_listing(day, ["cs.AI"], client, now=announcement_day(day).announced_at - dt.timedelta(minutes=1))
    assert server.api_requests == []


def test_too_early_fetch_is_stored_incomplete_and_not_cached(client, server):
    day = dt.date(2025, 12, 25)
    early = announcement_day(day).announced_at + dt.timedelta(hours=1)
    listing = fetch_day_listing(day, ["cs.AI", "cs.LG", "cs.RO", "cs.CV"], client, now=early, index_grace_hours=4)
    assert not listing.complete and "API index can lag" in listing.note
    assert len(listing.rows) == 19
    again = fetch_day_listing(day, ["cs.AI", "cs.LG", "cs.RO", "cs.CV"], client, index_grace_hours=4)
    assert again.complete and again.requests == 4  # the early answers were not replayed from the cache


def test_empty_announcement_day_is_not_complete(client):
    listing = fetch_day_listing(dt.date(2025, 12, 19), ["cs.AI"], client)  # no demo data that day
    assert listing.rows == [] and not listing.complete and "no new submissions" in listing.note


def test_failed_fetch_keeps_the_partitions_earlier_rows(pipeline, home, server):
    assert materialize(pipeline).success
    before = table(home)
    server.inject({"kind": "truncate", "times": -1})
    result = materialize(pipeline, refresh=True, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "/api/query?search_query=" in str(failure.event_specific_data.error)
    assert table(home) == before


def test_unknown_category_is_refused_before_any_request(monkeypatch):
    from resources.settings import ConfigError, load_settings

    monkeypatch.setenv("ARXIV_MONITOR_CATEGORIES", "cs.AI,cs.XX")
    with pytest.raises(ConfigError, match="unknown arXiv category: cs.XX"):
        load_settings()


def test_a_ligature_copied_from_a_pdf_into_an_abstract_is_stored_as_letters(pipeline, home):
    """The demo corpus's abstract of 1706.03762 was transcribed from its PDF, whose font puts "fi" at U+E000
    ("signi\ue000cantly"): stored, and so shown and read by the model, as "significantly"."""
    assert materialize(pipeline).success
    ((abstract,),) = table(home, "select abstract from raw_listings where arxiv_id = '1706.03762'")
    assert "significantly less time to train" in abstract
    assert not any("\ue000" <= c <= "\uf8ff" for c in abstract)
