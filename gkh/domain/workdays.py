"""Russia's production calendar: which days are working days, and the n-th working day after a date.

The housing inspectorate reviews an owners' meeting's notice within 10 working days (DESIGN.md §2). Days off are
Saturdays, Sundays and the public holidays with the days off moved by the government's yearly decree; a Saturday
the decree makes a working day (1 November 2025, 20 February 2027) counts as one. All of it comes from
`holidays.RU` (≥ 0.109), read once per year into frozen sets, so threads of a server share them safely (a
`holidays` object fills itself lazily and is not safe to share).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

__all__ = ["is_working_day", "add_working_days", "working_days_between"]

# Far enough for any meeting; a date outside has no published calendar and is a programming error.
FIRST_YEAR, LAST_YEAR = 2000, 2099


@lru_cache(maxsize=None)
def _year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The year's holidays and days off (weekdays among them), and its working Saturdays and Sundays."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"no production calendar for {year}")
    import holidays  # a large package: imported only when a working day is counted

    calendar = holidays.RU(years=year)
    days_off = frozenset(day for day in calendar if day.year == year)
    worked = frozenset(day for day in getattr(calendar, "weekend_workdays", ()) if day.year == year)
    return days_off, worked


def is_working_day(day: date) -> bool:
    """Monday to Friday unless a holiday or a moved day off, or a weekend day the decree makes a working day."""
    days_off, worked = _year(day.year)
    if day in worked:
        return True
    return day.weekday() < 5 and day not in days_off


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (`start` itself not counted; count ≥ 1)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end ≤ start)."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += is_working_day(day)
    return days
