"""arXiv's announcement calendar: which submissions an announcement day's listing holds.

A partition key is an *announcement day* D in America/New_York: the date of the RSS feed's
`pubDate`. arXiv's rules (info.arxiv.org/help/availability.html):

* New submissions received before the 14:00 ET cut-off are announced at 20:00 ET the same
  evening, and appear in the next day's feed. Mon–Thu evenings and Sunday evening announce;
  Friday and Saturday evenings do not. So feeds exist for Monday to Friday.
* The feed of D therefore holds what was received between the cut-off before the previous
  announcement and the cut-off before D's:

      feed day  announced     window (14:00 ET to 14:00 ET)
      Monday    Sun 20:00     Thursday -> Friday
      Tuesday   Mon 20:00     Friday   -> Monday
      Wednesday Tue 20:00     Monday   -> Tuesday
      Thursday  Wed 20:00     Tuesday  -> Wednesday
      Friday    Thu 20:00     Wednesday-> Thursday

* Weekends and holidays (a configured list) have no feed. A holiday's submissions roll into
  the next announcement, whose window starts where the last real announcement's ended, so
  consecutive windows always tile time with no gap and no overlap.

Times are computed in America/New_York and returned in UTC; the DST change is handled by the
time zone database (14:00 ET is 19:00 UTC in winter and 18:00 UTC in summer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ARXIV_TZ = ZoneInfo("America/New_York")
UTC = dt.UTC
CUTOFF = dt.time(14, 0)
ANNOUNCEMENT = dt.time(20, 0)
_MAX_GAP_DAYS = 31  # longer runs of non-announcement days mean the holiday list is wrong


@dataclass(frozen=True)
class AnnouncementDay:
    day: dt.date
    announces: bool
    reason: str  # "announcement", "weekend" or "holiday"
    window_start: dt.datetime | None = None  # UTC, inclusive
    window_end: dt.datetime | None = None  # UTC, exclusive
    announced_at: dt.datetime | None = None  # UTC: 20:00 ET the evening before `day`


def is_announcement_day(day: dt.date, holidays: frozenset[dt.date] | set[dt.date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=ARXIV_TZ).astimezone(UTC)


def cutoff_before(day: dt.date) -> dt.datetime:
    """14:00 ET on the last weekday before feed day `day` (Friday for a Monday)."""
    back = 3 if day.weekday() == 0 else 1
    return _at(day - dt.timedelta(days=back), CUTOFF)


def previous_announcement_day(day: dt.date, holidays=frozenset()) -> dt.date:
    for back in range(1, _MAX_GAP_DAYS + 1):
        candidate = day - dt.timedelta(days=back)
        if is_announcement_day(candidate, holidays):
            return candidate
    raise ValueError(f"no announcement day in the {_MAX_GAP_DAYS} days before {day}: check the holiday list")


def announcement_day(day: dt.date, holidays=frozenset()) -> AnnouncementDay:
    """The listing window of feed day `day`, or why there is none."""
    if day.weekday() >= 5:
        return AnnouncementDay(day, False, "weekend")
    if day in holidays:
        return AnnouncementDay(day, False, "holiday")
    previous = previous_announcement_day(day, holidays)
    return AnnouncementDay(
        day=day,
        announces=True,
        reason="announcement",
        window_start=cutoff_before(previous),
        window_end=cutoff_before(day),
        announced_at=_at(day - dt.timedelta(days=1), ANNOUNCEMENT),
    )


def parse_day(text: str) -> dt.date:
    """A partition key 'YYYY-MM-DD', with an error that names the bad value."""
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValueError(f"malformed date {text!r}: expected YYYY-MM-DD") from None
