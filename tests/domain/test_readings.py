from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gkh.domain.errors import InvalidInput
from gkh.domain.readings import (
    DEFAULT_WINDOW,
    MeterSpec,
    ReadingRefused,
    SubmissionWindow,
    canonical,
    canonical_values,
    check_period_open,
    check_reading_date,
    check_rollover,
    check_values,
    check_verification,
    check_window,
    consumption,
    digit_counts,
    is_overdue,
    parse_reading_value,
    reading_date,
    suspicious_jump,
)

D = Decimal
MSK = ZoneInfo("Europe/Moscow")
YEKT = ZoneInfo("Asia/Yekaterinburg")
ONE = MeterSpec(("T1",), 5, 3)
THREE = MeterSpec(("T1", "T2", "T3"), 6, 2)
BIG = MeterSpec(("T1",), 15, 7)

# --- parsing and canonical form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "canon"),
    [
        ("123.45", "123.45", "123.45"),
        ("123,45", "123.45", "123.45"),
        (" 123,450 ", "123.450", "123.45"),
        ("00010", "10", "10"),
        ("0", "0", "0"),
        ("0,000", "0", "0"),
        ("100", "100", "100"),
        ("999999999999999.9999999", "999999999999999.9999999", "999999999999999.9999999"),
        ("000000000000000000000001.5", "1.5", "1.5"),
        ("1.23000000000", "1.23", "1.23"),
    ],
)
def test_parse_reading_value_valid(text: str, value: str, canon: str) -> None:
    parsed = parse_reading_value(text)
    assert isinstance(parsed, Decimal)
    assert parsed == D(value)
    assert canonical(parsed) == canon
    assert parse_reading_value(canonical(parsed)) == parsed  # round trip


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("-1", "negative"),
        ("\u22121", "negative"),
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "meter reading"),
        ("1e5", "meter reading"),
        ("1E+5", "meter reading"),
        ("NaN", "meter reading"),
        ("inf", "meter reading"),
        ("Infinity", "meter reading"),
        ("1.2.3", "meter reading"),
        ("1 234,5", "meter reading"),
        (".5", "meter reading"),
        ("5.", "meter reading"),
        ("+5", "meter reading"),
        ("١٢٣", "meter reading"),  # Arabic-Indic digits
        ("1234567890123456", "16 whole digits"),
        ("1.12345678", "8 fraction digits"),
        ("1" * 70, "meter reading"),
    ],
)
def test_parse_reading_value_refused(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_reading_value(text, "value")
    assert exc.value.field == "value"
    assert fragment in exc.value.message
    assert "\n" not in exc.value.message


def test_parse_reading_value_refuses_float() -> None:
    with pytest.raises(InvalidInput):
        parse_reading_value(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("1E+2"), "100"), (D("-0"), "0"), (D("0E-7"), "0"), (D("12.3400"), "12.34"), (D("5E-7"), "0.0000005")],
)
def test_canonical(value: Decimal, expected: str) -> None:
    assert canonical(value) == expected


def test_canonical_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical(D("NaN"))


@pytest.mark.parametrize(
    ("value", "counts"),
    [("0", (0, 0)), ("00010", (2, 0)), ("1.2300", (1, 2)), ("0.001", (0, 3)), ("1E+3", (4, 0))],
)
def test_digit_counts(value: str, counts: tuple[int, int]) -> None:
    assert digit_counts(D(value)) == counts


# --- meter spec and values ---------------------------------------------------------------------------


def test_meter_spec_capacity() -> None:
    assert ONE.capacity == D(100000)
    assert ONE.largest == D("99999.999")
    assert BIG.capacity == D(10) ** 15
    assert canonical(BIG.largest) == "999999999999999.9999999"


@pytest.mark.parametrize(
    ("zones", "whole", "frac", "field"),
    [
        ((), 5, 3, "zones"),
        (("T2",), 5, 3, "zones"),
        (("T1", "T3"), 5, 3, "zones"),
        (("T1", "T2", "T3", "T4"), 5, 3, "zones"),
        (("T1",), 0, 3, "whole_digits"),
        (("T1",), 16, 3, "whole_digits"),
        (("T1",), 5, 8, "fraction_digits"),
        (("T1",), 5, -1, "fraction_digits"),
    ],
)
def test_meter_spec_invalid(zones: tuple[str, ...], whole: int, frac: int, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        MeterSpec(zones, whole, frac)
    assert exc.value.field == field


@pytest.mark.parametrize(
    ("meter", "texts", "expected"),
    [
        (ONE, ["99999.999"], {"T1": "99999.999"}),
        (ONE, ["00010"], {"T1": "10"}),
        (ONE, ["12,500"], {"T1": "12.5"}),
        (THREE, ["1", "2,5", "999999.99"], {"T1": "1", "T2": "2.5", "T3": "999999.99"}),
        (BIG, ["999999999999999.9999999"], {"T1": "999999999999999.9999999"}),
    ],
)
def test_check_values_ok(meter: MeterSpec, texts: list[str], expected: dict[str, str]) -> None:
    values = check_values(meter, [parse_reading_value(t) for t in texts])
    assert list(values) == list(meter.zones)
    assert canonical_values(values) == expected


@pytest.mark.parametrize(
    ("meter", "texts", "code", "fragments"),
    [
        (ONE, [], "wrong_zone_count", ["1 tariff zone (T1)", "got 0"]),
        (ONE, ["1", "2"], "wrong_zone_count", ["1 tariff zone (T1)", "got 2"]),
        (THREE, ["1", "2"], "wrong_zone_count", ["3 tariff zones (T1 T2 T3)", "got 2"]),
        (ONE, ["123456"], "too_many_digits", ["T1: 123456 has 6 whole digits", "5 whole and 3 fraction"]),
        (ONE, ["1.2345"], "too_many_digits", ["T1: 1.2345 has 4 fraction digits", "at most 99999.999"]),
        (THREE, ["1", "2", "1.234"], "too_many_digits", ["T3: 1.234 has 3 fraction digits"]),
    ],
)
def test_check_values_malformed_for_this_meter(meter: MeterSpec, texts: list[str], code: str,
                                              fragments: list[str]) -> None:
    """Not one value per zone, or more digits than the meter shows: malformed input (400, exit 2), whatever the
    portal's state, with the code that says which — never a refusal (422, exit 5)."""
    with pytest.raises(InvalidInput) as exc:
        check_values(meter, [parse_reading_value(t) for t in texts], meter_id="M-000123")
    assert exc.value.code == code
    assert exc.value.field == "values"
    assert "meter M-000123" in exc.value.message
    for fragment in fragments:
        assert fragment in exc.value.message


def test_sixteen_whole_digits_never_reach_a_meter() -> None:
    with pytest.raises(InvalidInput):
        parse_reading_value("9999999999999999")


# --- submission window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "day", "is_open"),
    [
        (DEFAULT_WINDOW, date(2026, 11, 14), False),
        (DEFAULT_WINDOW, date(2026, 11, 15), True),
        (DEFAULT_WINDOW, date(2026, 11, 25), True),
        (DEFAULT_WINDOW, date(2026, 11, 26), False),
        (SubmissionWindow(1, 31), date(2026, 2, 1), True),
        (SubmissionWindow(1, 31), date(2026, 2, 28), True),
        (SubmissionWindow(1, 31), date(2028, 2, 29), True),
        (SubmissionWindow(1, 31), date(2026, 12, 31), True),
        (SubmissionWindow(20, 31), date(2026, 11, 30), True),  # 30-day month: 31 means the 30th
        (SubmissionWindow(20, 31), date(2026, 11, 19), False),
        (SubmissionWindow(30, 31), date(2026, 2, 28), True),
        (SubmissionWindow(30, 31), date(2026, 2, 27), False),
    ],
)
def test_window_is_open(window: SubmissionWindow, day: date, is_open: bool) -> None:
    assert window.is_open(day) is is_open


@pytest.mark.parametrize(
    ("window", "month", "bounds"),
    [
        (DEFAULT_WINDOW, date(2026, 11, 3), (date(2026, 11, 15), date(2026, 11, 25))),
        (SubmissionWindow(1, 31), date(2026, 2, 10), (date(2026, 2, 1), date(2026, 2, 28))),
        (SubmissionWindow(20, 31), date(2026, 11, 1), (date(2026, 11, 20), date(2026, 11, 30))),
    ],
)
def test_window_bounds(window: SubmissionWindow, month: date, bounds: tuple[date, date]) -> None:
    assert window.bounds(month) == bounds


@pytest.mark.parametrize(
    ("window", "today", "opens"),
    [
        (DEFAULT_WINDOW, date(2026, 11, 3), date(2026, 11, 15)),
        (DEFAULT_WINDOW, date(2026, 11, 26), date(2026, 12, 15)),
        (DEFAULT_WINDOW, date(2026, 11, 20), date(2026, 12, 15)),  # open now: the next one
        (DEFAULT_WINDOW, date(2026, 12, 26), date(2027, 1, 15)),  # across a year end
        (SubmissionWindow(1, 31), date(2026, 12, 31), date(2027, 1, 1)),
        (SubmissionWindow(30, 31), date(2026, 1, 31), date(2026, 2, 28)),
    ],
)
def test_window_next_opening(window: SubmissionWindow, today: date, opens: date) -> None:
    assert window.next_opening(today) == opens


def test_check_window_message() -> None:
    check_window(DEFAULT_WINDOW, date(2026, 11, 15))
    with pytest.raises(ReadingRefused) as exc:
        check_window(DEFAULT_WINDOW, date(2026, 11, 26))
    err = exc.value
    assert err.code == "outside_window"
    assert "readings for this house are accepted from the 15th to the 25th of each month" in err.message
    assert "the next window opens 15.12.2026" in err.message
    assert "26.11.2026" in err.message
    assert err.details["next_opening"] == "2026-12-15"
    assert "\n" not in err.message


def test_check_window_message_ordinals() -> None:
    with pytest.raises(ReadingRefused) as exc:
        check_window(SubmissionWindow(1, 3), date(2026, 11, 4))
    assert "from the 1st to the 3rd of each month" in exc.value.message
    with pytest.raises(ReadingRefused) as exc:
        check_window(SubmissionWindow(22, 31), date(2026, 11, 21))
    assert "from the 22nd to the 31st (or the month's last day)" in exc.value.message
    assert "opens 22.11.2026" in exc.value.message


@pytest.mark.parametrize(
    ("from_day", "to_day"),
    [(0, 25), (15, 32), (26, 25), (True, 25)],
)
def test_window_invalid(from_day: int, to_day: int) -> None:
    with pytest.raises(InvalidInput):
        SubmissionWindow(from_day, to_day)


# The official schema's other windows: to the next month (IsNextMonth), to or from the month's last day (LastDay).
CROSS = SubmissionWindow(20, 5, to_next_month=True)
TO_LAST = SubmissionWindow(20, 31, to_last_day=True)
LAST_TO_THIRD = SubmissionWindow(31, 3, from_last_day=True, to_next_month=True)
LATE_CROSS = SubmissionWindow(31, 27, to_next_month=True)  # the longest: no day in two windows even in February


@pytest.mark.parametrize(
    ("window", "day", "is_open", "period"),
    [
        # 20th of a month to the 5th of the next: the tail belongs to the month the window opened in.
        (CROSS, date(2026, 11, 19), False, "2026-11"),
        (CROSS, date(2026, 11, 20), True, "2026-11"),
        (CROSS, date(2026, 11, 30), True, "2026-11"),
        (CROSS, date(2026, 12, 1), True, "2026-11"),
        (CROSS, date(2026, 12, 5), True, "2026-11"),
        (CROSS, date(2026, 12, 6), False, "2026-12"),  # between windows: the month's own, as any date outside
        (CROSS, date(2026, 12, 31), True, "2026-12"),
        (CROSS, date(2027, 1, 1), True, "2026-12"),  # across a year end
        (CROSS, date(2027, 1, 5), True, "2026-12"),
        (CROSS, date(2027, 1, 6), False, "2027-01"),
        (CROSS, date(2027, 2, 28), True, "2027-02"),  # February (28 days)
        (CROSS, date(2027, 3, 1), True, "2027-02"),
        (CROSS, date(2028, 2, 29), True, "2028-02"),  # a leap February
        (CROSS, date(2028, 3, 5), True, "2028-02"),
        # to the month's last day
        (TO_LAST, date(2026, 11, 30), True, "2026-11"),
        (TO_LAST, date(2026, 12, 1), False, "2026-12"),
        (TO_LAST, date(2027, 2, 28), True, "2027-02"),
        (TO_LAST, date(2028, 2, 29), True, "2028-02"),
        (TO_LAST, date(2026, 12, 31), True, "2026-12"),
        # from the month's last day to the 3rd of the next
        (LAST_TO_THIRD, date(2026, 11, 29), False, "2026-11"),
        (LAST_TO_THIRD, date(2026, 11, 30), True, "2026-11"),
        (LAST_TO_THIRD, date(2026, 12, 3), True, "2026-11"),
        (LAST_TO_THIRD, date(2026, 12, 4), False, "2026-12"),
        (LAST_TO_THIRD, date(2027, 2, 27), False, "2027-02"),
        (LAST_TO_THIRD, date(2027, 2, 28), True, "2027-02"),
        (LAST_TO_THIRD, date(2027, 3, 1), True, "2027-02"),
        (LAST_TO_THIRD, date(2028, 2, 29), True, "2028-02"),
        (LAST_TO_THIRD, date(2028, 2, 28), False, "2028-02"),
        # from the 31st (a month's last day) to the 27th of the next: February's 28th opens its own window
        (LATE_CROSS, date(2027, 2, 27), True, "2027-01"),
        (LATE_CROSS, date(2027, 2, 28), True, "2027-02"),
        (LATE_CROSS, date(2027, 3, 27), True, "2027-02"),
        (LATE_CROSS, date(2027, 3, 28), False, "2027-03"),
        (LATE_CROSS, date(2027, 3, 31), True, "2027-03"),
        # a window in one month is as it was: the period is the date's month
        (DEFAULT_WINDOW, date(2026, 12, 1), False, "2026-12"),
        (DEFAULT_WINDOW, date(2026, 11, 25), True, "2026-11"),
    ],
)
def test_windows_across_a_month_end_and_their_period(window: SubmissionWindow, day: date, is_open: bool,
                                                     period: str) -> None:
    assert window.is_open(day) is is_open
    assert window.period_of(day) == period
    current = window.current(day)
    assert (current is not None) is is_open
    if current is not None:
        # the window open on a day is the one that opened in the reading's period
        assert current == window.bounds(date.fromisoformat(period + "-01"))
        assert current[0] <= day <= current[1]


@pytest.mark.parametrize("window", [CROSS, LAST_TO_THIRD, LATE_CROSS, SubmissionWindow(28, 27, to_next_month=True),
                                    SubmissionWindow(2, 1, to_next_month=True), TO_LAST, DEFAULT_WINDOW])
def test_no_day_is_in_two_windows_and_every_window_is_its_periods(window: SubmissionWindow) -> None:
    """Day by day over four years (two Februaries of 28 days, one of 29): at most one window holds a day, the
    windows open once a month, and a day in a window belongs to the period the window opened in."""
    day, openings = date(2026, 1, 1), set()
    while day < date(2030, 1, 1):
        month = day.replace(day=1)
        previous = (month - timedelta(days=1)).replace(day=1)
        holding = [m for m in (previous, month) if window.bounds(m)[0] <= day <= window.bounds(m)[1]]
        assert len(holding) <= 1, day
        assert window.is_open(day) is bool(holding)
        if holding:
            assert window.period_of(day) == holding[0].isoformat()[:7]
            openings.add(holding[0])
        day += timedelta(days=1)
    assert len(openings - {date(2025, 12, 1)}) == 48  # the months 2026–2029, each once


@pytest.mark.parametrize(
    ("window", "month", "bounds"),
    [
        (CROSS, date(2026, 11, 7), (date(2026, 11, 20), date(2026, 12, 5))),
        (CROSS, date(2026, 12, 1), (date(2026, 12, 20), date(2027, 1, 5))),
        (LAST_TO_THIRD, date(2027, 2, 1), (date(2027, 2, 28), date(2027, 3, 3))),
        (LATE_CROSS, date(2027, 1, 15), (date(2027, 1, 31), date(2027, 2, 27))),
        (TO_LAST, date(2026, 11, 1), (date(2026, 11, 20), date(2026, 11, 30))),
    ],
)
def test_window_bounds_across_a_month_end(window: SubmissionWindow, month: date,
                                          bounds: tuple[date, date]) -> None:
    assert window.bounds(month) == bounds


@pytest.mark.parametrize(
    ("window", "today", "opens"),
    [
        (CROSS, date(2026, 12, 3), date(2026, 12, 20)),  # open (November's): this month's is still ahead
        (CROSS, date(2026, 12, 10), date(2026, 12, 20)),
        (CROSS, date(2026, 12, 25), date(2027, 1, 20)),
        (LAST_TO_THIRD, date(2027, 1, 31), date(2027, 2, 28)),
        (LAST_TO_THIRD, date(2027, 2, 10), date(2027, 2, 28)),
    ],
)
def test_window_next_opening_across_a_month_end(window: SubmissionWindow, today: date, opens: date) -> None:
    assert window.next_opening(today) == opens


@pytest.mark.parametrize(
    ("window", "text"),
    [
        (CROSS, "from the 20th of each month to the 5th of the next"),
        (TO_LAST, "from the 20th to the last day of each month"),
        (LAST_TO_THIRD, "from the last day of each month to the 3rd of the next"),
        (SubmissionWindow(31, 31, from_last_day=True, to_last_day=True), "on the last day of each month"),
        (SubmissionWindow(22, 31), "from the 22nd to the 31st (or the month's last day) of each month"),
    ],
)
def test_window_describe(window: SubmissionWindow, text: str) -> None:
    assert window.describe() == text


def test_outside_a_window_ending_in_the_next_month() -> None:
    check_window(CROSS, date(2027, 1, 3))
    with pytest.raises(ReadingRefused) as exc:
        check_window(CROSS, date(2026, 12, 6))
    assert exc.value.message == (
        "readings for this house are accepted from the 20th of each month to the 5th of the next; today is"
        " 06.12.2026 in the house's time zone; the next window opens 20.12.2026")
    assert exc.value.details == {"from_day": "20", "to_day": "5", "to_next_month": "true",
                                 "next_opening": "2026-12-20"}


@pytest.mark.parametrize(
    ("args", "flags", "field", "fragment"),
    [
        ((20, 20), {"to_next_month": True}, "to_day", "before the 20th"),
        ((20, 25), {"to_next_month": True}, "to_day", "before the 20th"),
        # the 28th would be in two windows in a February that a window from the 29th+ opens on its 28th
        ((31, 28), {"to_next_month": True}, "to_day", "at most the 27th"),
        ((31, 31), {"to_next_month": True, "to_last_day": True}, "to_day", "got the last day"),
        ((20, 25), {"to_last_day": True}, "to_day", "must be 31 when to_last_day"),
        ((30, 31), {"from_last_day": True}, "from_day", "must be 31 when from_last_day"),
        ((20, 5), {}, "from_day", "must not start after it ends"),
        ((20, 5), {"to_next_month": 1}, "to_next_month", "true or false"),
        ((20, 31), {"to_last_day": "yes"}, "to_last_day", "true or false"),
    ],
)
def test_window_ending_in_the_next_month_invalid(args: tuple[int, int], flags: dict, field: str,
                                                 fragment: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        SubmissionWindow(*args, **flags)
    assert exc.value.field == field
    assert fragment in exc.value.message


# --- time zone and reading date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "zone", "today", "is_open"),
    [
        # 23:30 UTC on the 14th is 04:30 on the 15th in Yekaterinburg (UTC+5).
        (datetime(2026, 11, 14, 23, 30, tzinfo=timezone.utc), YEKT, date(2026, 11, 15), True),
        # 19:30 UTC on the 14th: already the 15th in Yekaterinburg, still the 14th in Moscow.
        (datetime(2026, 11, 14, 19, 30, tzinfo=timezone.utc), YEKT, date(2026, 11, 15), True),
        (datetime(2026, 11, 14, 19, 30, tzinfo=timezone.utc), MSK, date(2026, 11, 14), False),
        # 21:30 UTC on the 25th is the 26th in Moscow: closed.
        (datetime(2026, 11, 25, 21, 30, tzinfo=timezone.utc), MSK, date(2026, 11, 26), False),
    ],
)
def test_house_zone_decides_today(now: datetime, zone: ZoneInfo, today: date, is_open: bool) -> None:
    d = reading_date(None, now, zone)
    assert d == today
    assert DEFAULT_WINDOW.is_open(d) is is_open


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, date(2026, 11, 20)), ("", date(2026, 11, 20)), ("18.11.2026", date(2026, 11, 18)),
     ("2026-11-19", date(2026, 11, 19))],
)
def test_reading_date(text: str | None, expected: date) -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    assert reading_date(text, now, MSK) == expected


def test_reading_date_malformed() -> None:
    with pytest.raises(InvalidInput) as exc:
        reading_date("11/18/2026", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc), MSK)
    assert exc.value.field == "date"


@pytest.mark.parametrize(
    ("d", "today", "previous", "code"),
    [
        (date(2026, 11, 20), date(2026, 11, 20), None, None),
        (date(2026, 11, 20), date(2026, 11, 20), date(2026, 11, 20), None),
        (date(2026, 11, 18), date(2026, 11, 20), date(2026, 10, 20), None),
        (date(2026, 11, 21), date(2026, 11, 20), None, "date_in_future"),
        (date(2026, 10, 19), date(2026, 11, 20), date(2026, 10, 20), "date_before_previous"),
    ],
)
def test_check_reading_date(d: date, today: date, previous: date | None, code: str | None) -> None:
    if code is None:
        check_reading_date(d, today, previous)
        return
    with pytest.raises(ReadingRefused) as exc:
        check_reading_date(d, today, previous)
    assert exc.value.code == code
    assert exc.value.field == "date"
    assert d.strftime("%d.%m.%Y") in exc.value.message


def test_check_period_open() -> None:
    check_period_open("2026-11", False)
    with pytest.raises(ReadingRefused) as exc:
        check_period_open("2026-10", True)
    assert exc.value.code == "period_closed"
    assert "2026-10" in exc.value.message


# --- consumption -------------------------------------------------------------------------------------

FIVE = MeterSpec(("T1",), 5, 0)
TWO_ZONES = MeterSpec(("T1", "T2"), 6, 1)


@pytest.mark.parametrize(
    ("meter", "previous", "current", "rollover", "expected"),
    [
        (FIVE, None, {"T1": "10"}, False, None),
        (FIVE, {"T1": "100"}, {"T1": "150"}, False, {"T1": "50"}),
        (FIVE, {"T1": "100"}, {"T1": "100"}, False, {"T1": "0"}),
        (FIVE, {"T1": "99990"}, {"T1": "00010"}, True, {"T1": "20"}),
        (FIVE, {"T1": "100"}, {"T1": "150"}, True, {"T1": "50"}),
        (TWO_ZONES, {"T1": "999999.5", "T2": "10"}, {"T1": "0.5", "T2": "12.5"}, True, {"T1": "1", "T2": "2.5"}),
        (
            BIG,
            {"T1": "999999999999999.9999999"},
            {"T1": "0.0000001"},
            True,
            {"T1": "0.0000002"},
        ),
        (BIG, {"T1": "0.0000001"}, {"T1": "999999999999999.9999999"}, False, {"T1": "999999999999999.9999998"}),
    ],
)
def test_consumption(
    meter: MeterSpec,
    previous: dict[str, str] | None,
    current: dict[str, str],
    rollover: bool,
    expected: dict[str, str] | None,
) -> None:
    prev = None if previous is None else {z: parse_reading_value(v) for z, v in previous.items()}
    cur = {z: parse_reading_value(v) for z, v in current.items()}
    result = consumption(prev, cur, meter, rollover)
    assert (None if result is None else canonical_values(result)) == expected


def test_consumption_lower_than_previous() -> None:
    with pytest.raises(ReadingRefused) as exc:
        consumption({"T1": D("99990")}, {"T1": D("10")}, FIVE, False, meter_id="M-000001")
    err = exc.value
    assert err.code == "lower_than_previous"
    assert err.field == "values"
    assert "T1" in err.message and "99990" in err.message and " 10 " in err.message
    assert "--rollover" in err.message
    assert "M-000001" in err.message


def test_consumption_names_the_lower_zone() -> None:
    with pytest.raises(ReadingRefused) as exc:
        consumption({"T1": D(5), "T2": D(9)}, {"T1": D(6), "T2": D(8)}, TWO_ZONES, False)
    assert exc.value.message.startswith("T2:")


# --- suspicious jumps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cons", "history", "count", "fragments"),
    [
        ({"T1": "100"}, [], 0, []),
        ({"T1": "100"}, [{"T1": "0"}, {"T1": "0"}], 0, []),
        ({"T1": "100"}, [{"T1": "10"}, {"T1": "10"}], 0, []),  # exactly 10×: fine
        ({"T1": "100.1"}, [{"T1": "10"}, {"T1": "10"}], 1, ["T1: consumption 100.1", "10×", "average", " 10 "]),
        (
            {"T1": "50", "T2": "5"},
            [{"T1": "1", "T2": "4"}, {"T1": "2", "T2": "5"}, {"T1": "2", "T2": "6"}],
            1,
            ["T1:", "1.667", "3 months"],
        ),
        ({"T2": "500"}, [{"T1": "1"}], 0, []),  # no history for that zone
    ],
)
def test_suspicious_jump(
    cons: dict[str, str], history: list[dict[str, str]], count: int, fragments: list[str]
) -> None:
    warnings = suspicious_jump(
        {z: D(v) for z, v in cons.items()}, [{z: D(v) for z, v in h.items()} for h in history]
    )
    assert len(warnings) == count
    for fragment in fragments:
        assert fragment in warnings[0]
    assert all("\n" not in w for w in warnings)


def test_suspicious_jump_custom_factor() -> None:
    assert suspicious_jump({"T1": D(31)}, [{"T1": D(10)}], factor=D(3)) != []
    assert suspicious_jump({"T1": D(30)}, [{"T1": D(10)}], factor=D(3)) == []


# --- verification (ПП № 354, п. 81(12)) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "day", "overdue"),
    [
        (date(2026, 10, 10), date(2026, 10, 9), False),
        (date(2026, 10, 10), date(2026, 10, 10), False),  # on the date itself still in order
        (date(2026, 10, 10), date(2026, 10, 11), True),
        (date(2026, 10, 10), date(2027, 1, 1), True),
    ],
)
def test_is_overdue(due: date, day: date, overdue: bool) -> None:
    assert is_overdue(due, day) is overdue


def test_check_verification() -> None:
    check_verification(date(2026, 10, 10), date(2026, 10, 10), meter_id="M-000823")
    with pytest.raises(ReadingRefused) as exc:
        check_verification(date(2026, 10, 10), date(2026, 11, 20), meter_id="M-000823")
    err = exc.value
    assert (err.code, err.field, err.details) == ("meter_overdue", "meter", {"verification_due": "2026-10-10"})
    assert err.message == ("meter M-000823 was due for verification on 10.10.2026 and counts as out of order since"
                           " then (ПП № 354, п. 81(12)): have the meter verified, then submit its readings again")


# --- rollover --------------------------------------------------------------------------------------------------

EIGHT = MeterSpec(("T1",), 8, 3)


@pytest.mark.parametrize(
    ("meter", "previous", "current", "history", "fragments"),
    [
        # the case: 763.779 → 5 on an 8-digit meter would be 99 999 241.221 m³
        (EIGHT, "763.779", "5", [], ["T1: 763.779 → 5 on meter M-000024 is not a plausible rollover",
                                     "accepted only from 90000000 on (the last 10 % of its range)",
                                     "largest value 99999999.999", "check the value"]),
        (FIVE, "89999", "5", [], ["accepted only from 90000 on"]),
        # from the top tenth, but through zero to far up: more than a tenth of the range
        (EIGHT, "95000000", "94000000", [], ["a consumption of 99000000, more than 10 % of the meter's range"
                                             " (10000000)"]),
        (FIVE, "99990", "10001", [], ["a consumption of 10011, more than 10 % of the meter's range (10000)"]),
        # plausible by the range, but suspicious against the meter's own history: refused, not warned
        (FIVE, "99990", "41", [{"T1": D(4)}, {"T1": D(5)}, {"T1": D(6)}],
         ["a consumption of 51, more than 10× the average monthly consumption 5 over the last 3 months"]),
    ],
)
def test_an_implausible_rollover_is_refused_with_its_reason(meter: MeterSpec, previous: str, current: str,
                                                           history: list, fragments: list[str]) -> None:
    with pytest.raises(ReadingRefused) as exc:
        check_rollover({"T1": D(previous)}, {"T1": D(current)}, meter, history, meter_id="M-000024")
    err = exc.value
    assert (err.code, err.field) == ("implausible_rollover", "values")
    assert err.details["previous"] == previous and err.details["value"] == current
    for fragment in fragments:
        assert fragment in err.message
    assert "\n" not in err.message


@pytest.mark.parametrize(
    ("meter", "previous", "current", "history"),
    [
        (FIVE, "99990", "10", []),  # 20 through zero
        (FIVE, "90000", "0", []),  # the edges: from the first value of the last tenth, a tenth of the range
        (FIVE, "99990", "40", [{"T1": D(5)}]),  # 50 = 10× the average: not more
        (EIGHT, "99999990.5", "3", [{"T1": D(4)}]),
        (FIVE, "100", "150", []),  # no zone went lower: nothing to judge
    ],
)
def test_a_plausible_rollover_passes(meter: MeterSpec, previous: str, current: str, history: list) -> None:
    check_rollover({"T1": D(previous)}, {"T1": D(current)}, meter, history, meter_id="M-000024")


def test_a_rollover_judges_each_zone_that_went_lower() -> None:
    previous = {"T1": D("999990.5"), "T2": D("500")}
    check_rollover(previous, {"T1": D("3"), "T2": D("510")}, TWO_ZONES, [])
    with pytest.raises(ReadingRefused) as exc:
        check_rollover(previous, {"T1": D("3"), "T2": D("5")}, TWO_ZONES, [])
    assert exc.value.message.startswith("T2: 500 → 5") and exc.value.details["zone"] == "T2"
    check_rollover(None, {"T1": D("3")}, FIVE, [])  # nothing before it


def test_lower_than_previous_suggests_a_rollover_only_where_one_is_plausible() -> None:
    with pytest.raises(ReadingRefused) as exc:
        consumption({"T1": D("2675.5")}, {"T1": D("12")}, FIVE, False, meter_id="M-000023")
    assert exc.value.message == ("T1: the new reading 12 is lower than the previous 2675.5 on meter M-000023;"
                                 " check the value")
    with pytest.raises(ReadingRefused) as exc:
        consumption({"T1": D("99998")}, {"T1": D("12")}, FIVE, False, meter_id="M-000023")
    assert exc.value.message.endswith("if the meter rolled over past 99999, submit again with --rollover")
