import datetime as dt

import pytest

from arxiv_domain.calendar import ARXIV_TZ, announcement_day, is_announcement_day, parse_day

UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_seed_report_day_thursday_window_is_tuesday_to_wednesday_cutoffs():
    day = announcement_day(dt.date(2025, 12, 25))
    assert day.announces and day.reason == "announcement"
    # 14:00 EST = 19:00 UTC
    assert day.window_start == utc(2025, 12, 23, 19, 0)
    assert day.window_end == utc(2025, 12, 24, 19, 0)
    # announced Wednesday 20:00 EST = Thursday 01:00 UTC
    assert day.announced_at == utc(2025, 12, 25, 1, 0)


def test_monday_covers_thursday_to_friday_announced_sunday_evening():
    day = announcement_day(dt.date(2025, 12, 22))
    assert (day.window_start, day.window_end) == (utc(2025, 12, 18, 19), utc(2025, 12, 19, 19))
    assert day.announced_at.astimezone(ARXIV_TZ) == dt.datetime(2025, 12, 21, 20, 0, tzinfo=ARXIV_TZ)


def test_tuesday_covers_friday_to_monday():
    day = announcement_day(dt.date(2025, 12, 23))
    assert (day.window_start, day.window_end) == (utc(2025, 12, 19, 19), utc(2025, 12, 22, 19))


@pytest.mark.parametrize("date", ["2025-12-27", "2025-12-28"])
def test_weekend_has_no_listing(date):
    day = announcement_day(dt.date.fromisoformat(date))
    assert not day.announces and day.reason == "weekend"
    assert day.window_start is None and day.announced_at is None


def test_holiday_has_no_listing_and_next_window_absorbs_it():
    holidays = {dt.date(2025, 12, 24)}  # a Wednesday
    assert announcement_day(dt.date(2025, 12, 24), holidays).reason == "holiday"
    thursday = announcement_day(dt.date(2025, 12, 25), holidays)
    # Tuesday's listing ended at Monday's cut-off; Thursday's picks up from there.
    assert thursday.window_start == announcement_day(dt.date(2025, 12, 23), holidays).window_end
    assert (thursday.window_start, thursday.window_end) == (utc(2025, 12, 22, 19), utc(2025, 12, 24, 19))


def test_dst_spring_forward_changes_utc_hour_of_cutoffs():
    # DST began Sunday 2025-03-09: Friday's cut-off is EST (19:00Z), Monday's is EDT (18:00Z).
    tuesday = announcement_day(dt.date(2025, 3, 11))
    assert (tuesday.window_start, tuesday.window_end) == (utc(2025, 3, 7, 19), utc(2025, 3, 10, 18))
    assert tuesday.announced_at == utc(2025, 3, 11, 0)  # Monday 20:00 EDT


def test_dst_fall_back():
    # DST ended Sunday 2025-11-02: Friday 14:00 EDT (18:00Z) -> Monday 14:00 EST (19:00Z).
    tuesday = announcement_day(dt.date(2025, 11, 4))
    assert (tuesday.window_start, tuesday.window_end) == (utc(2025, 10, 31, 18), utc(2025, 11, 3, 19))


def test_windows_tile_time_over_two_years_with_holidays():
    holidays = {dt.date(2025, 1, 1), dt.date(2025, 5, 26), dt.date(2025, 7, 4), dt.date(2025, 11, 27),
                dt.date(2025, 11, 28), dt.date(2026, 1, 1)}
    day, previous = dt.date(2025, 1, 2), None
    days_seen = 0
    while day < dt.date(2027, 1, 1):
        current = announcement_day(day, holidays)
        assert current.announces == is_announcement_day(day, holidays)
        if current.announces:
            days_seen += 1
            assert current.window_start < current.window_end <= current.announced_at
            assert current.window_end.astimezone(ARXIV_TZ).time() == dt.time(14, 0)
            if previous is not None:
                assert current.window_start == previous.window_end, day
            previous = current
        day += dt.timedelta(days=1)
    assert days_seen > 500


@pytest.mark.parametrize("text", ["2025-13-01", "25-12-2025", "yesterday", ""])
def test_malformed_date_names_the_value(text):
    with pytest.raises(ValueError, match="malformed date"):
        parse_day(text)
