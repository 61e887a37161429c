"""The production calendar: the inspectorate's 10 working days across the New Year, the May holidays, and the
days off the government moves (2025–2027)."""

from __future__ import annotations

from datetime import date

import pytest

from gkh.domain.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(("day", "working"), [
    (date(2025, 11, 1), True),  # a Saturday made a working day (the day off moved to 3 November)
    (date(2025, 11, 3), False),
    (date(2025, 12, 31), False),  # moved from 5 January
    (date(2026, 1, 9), False),  # moved from 3 January
    (date(2026, 1, 12), True),
    (date(2026, 3, 9), False),  # 8 March fell on a Sunday
    (date(2026, 5, 11), False),  # 9 May fell on a Saturday
    (date(2026, 11, 4), False),
    (date(2026, 11, 5), True),
    (date(2027, 2, 20), True),  # a Saturday made a working day
    (date(2027, 2, 22), False),
    (date(2027, 11, 5), False),
    (date(2026, 11, 28), False),  # an ordinary Saturday
])
def test_working_days(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(("filed", "tenth"), [
    (date(2025, 4, 25), date(2025, 5, 15)),  # across 1–2 and 8–9 May 2025
    (date(2025, 10, 27), date(2025, 11, 11)),  # the working Saturday 1 Nov counts, 3–4 Nov do not
    (date(2025, 12, 26), date(2026, 1, 21)),  # 31 Dec, 1–9 Jan off
    (date(2026, 4, 28), date(2026, 5, 14)),  # 1 May and the moved 11 May
    (date(2026, 11, 20), date(2026, 12, 4)),  # an ordinary fortnight
    (date(2026, 12, 25), date(2027, 1, 19)),  # 31 Dec, 1–8 Jan off
    (date(2027, 2, 15), date(2027, 3, 2)),  # the working Saturday 20 Feb, 22–23 Feb off
])
def test_the_tenth_working_day(filed, tenth):
    assert add_working_days(filed, 10) == tenth
    assert working_days_between(filed, tenth) == 10


def test_counting_starts_after_the_day_itself():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # a Friday: Monday is the first
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 27), 0)
