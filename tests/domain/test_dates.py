from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gkh.domain.dates import (
    format_date,
    format_instant,
    format_person_date,
    house_zone,
    local_date,
    parse_instant,
    parse_period,
    parse_person_date,
    period_of,
)
from gkh.domain.errors import InvalidInput

MSK = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25.11.2026", date(2026, 11, 25)),
        ("5.1.2026", date(2026, 1, 5)),
        ("05.01.2026", date(2026, 1, 5)),
        ("2026-11-25", date(2026, 11, 25)),
        (" 2026-01-05 ", date(2026, 1, 5)),
        ("29.02.2028", date(2028, 2, 29)),
        ("31.12.2026", date(2026, 12, 31)),
    ],
)
def test_parse_person_date_valid(text: str, expected: date) -> None:
    assert parse_person_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-11",
        "25.11.26",
        "11/25/2026",
        "25/11/2026",
        "2026-1-5",  # ISO needs two-digit month and day
        "2026/11/25",
        "20261125",
        "25.11.2026 12:00",
        "2026-11-25T00:00:00",
        "25 ноября 2026",
        "tomorrow",
        "31.02.2026",  # impossible dates
        "29.02.2026",
        "2026-13-01",
        "00.01.2026",
        "2026-02-30",
        "01.01.0000",
        "٢٥.١١.٢٠٢٦",  # Arabic-Indic digits
    ],
)
def test_parse_person_date_invalid(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_person_date(text, "since")
    err = info.value
    assert err.field == "since"
    assert len(err.message.splitlines()) == 1
    assert err.message.startswith("since")
    assert "DD.MM.YYYY" in err.message and "YYYY-MM-DD" in err.message


@pytest.mark.parametrize(("text", "expected"), [
    ("25.11.26", date(2026, 11, 25)), ("5.1.27", date(2027, 1, 5)), ("01.01.00", date(2000, 1, 1)),
    (" 25.11.2026 ", date(2026, 11, 25)), ("2026-11-25", date(2026, 11, 25)),
])
def test_a_two_digit_year_is_this_centurys_where_allowed(text: str, expected: date) -> None:
    assert parse_person_date(text, "--date", short_year=True) == expected


@pytest.mark.parametrize("text", ["25.11.6", "25.11.026", "31.02.26", "25.11.2026.", "٢٥.١١.٢٦"])
def test_a_short_year_still_needs_a_real_date_and_the_message_names_the_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_person_date(text, "--date", short_year=True)
    assert info.value.field == "--date"
    assert "DD.MM.YYYY, DD.MM.YY or YYYY-MM-DD" in info.value.message


@pytest.mark.parametrize(("text", "expected"), [("2026-11", "2026-11"), ("11.2026", "2026-11"), ("1.2027", "2027-01")])
def test_parse_period_valid(text: str, expected: str) -> None:
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026-11-01", "11.26", "0000-01", "ноябрь"])
def test_parse_period_invalid(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_period(text)
    assert info.value.field == "period"
    assert len(info.value.message.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T12:00:00+03:00", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)),
        ("2026-11-20T09:00:00Z", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)),
        ("2026-11-20T09:00:00+00:00", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)),
        (" 2026-11-20T12:00+0300 ", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)),
        ("2026-11-20T23:30:00-05:00", datetime(2026, 11, 21, 4, 30, tzinfo=timezone.utc)),
    ],
)
def test_parse_instant_valid(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.utcoffset() is not None
    assert isinstance(parsed.tzinfo, timezone)  # stdlib tzinfo, not dateutil's


def test_parse_instant_keeps_offset() -> None:
    assert parse_instant("2026-11-20T12:00:00+03:00").utcoffset() == timedelta(hours=3)
    assert parse_instant("2026-11-20T12:00:00Z").tzinfo is timezone.utc


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("2026-11-20T12:00:00", "UTC offset"),
        ("2026-11-20", "UTC offset"),
        ("2026-11-20 12:00", "UTC offset"),
        ("", "UTC offset"),
        ("now", "ISO 8601"),
        ("20.11.2026 12:00 +03:00", "ISO 8601"),
        ("2026-11-20T12:00:00+25:00", "ISO 8601"),
        ("2026-02-30T12:00:00Z", "ISO 8601"),
    ],
)
def test_parse_instant_invalid(text: str, needle: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_instant(text)
    err = info.value
    assert err.field == "now"
    assert len(err.message.splitlines()) == 1
    assert needle in err.message
    assert "2026-11-20T12:00:00+03:00" in err.message


def test_naive_instant_message() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_instant("2026-11-20T12:00:00", "GKH_NOW")
    assert info.value.field == "GKH_NOW"
    assert info.value.message.startswith("GKH_NOW must carry a UTC offset, e.g. 2026-11-20T12:00:00+03:00")


@pytest.mark.parametrize(
    "name", ["Europe/Moscow", " Asia/Yekaterinburg ", "Asia/Vladivostok", "UTC", "Europe/Kaliningrad"]
)
def test_house_zone_valid(name: str) -> None:
    assert house_zone(name) == ZoneInfo(name.strip())


@pytest.mark.parametrize(
    "name", ["", "Moscow", "Europe/Atlantis", "../etc/passwd", "/etc/localtime", "localtime", "MSK+3"]
)
def test_house_zone_invalid(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        house_zone(name)
    assert info.value.field == "timezone"
    assert len(info.value.message.splitlines()) == 1


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        ("2026-11-20T21:30:00+00:00", "Europe/Moscow", date(2026, 11, 21)),  # already tomorrow in Moscow
        ("2026-11-20T20:59:59+00:00", "Europe/Moscow", date(2026, 11, 20)),
        ("2026-11-30T19:30:00+00:00", "Asia/Yekaterinburg", date(2026, 12, 1)),  # next month, next period
        ("2026-11-20T01:00:00+03:00", "Europe/Kaliningrad", date(2026, 11, 20)),
        ("2026-11-20T01:00:00+03:00", "UTC", date(2026, 11, 19)),
    ],
)
def test_local_date(now: str, zone: str, expected: date) -> None:
    assert local_date(parse_instant(now), house_zone(zone)) == expected


def test_local_date_refuses_naive() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 11, 20, 12, 0), MSK)


@pytest.mark.parametrize(
    ("d", "period"), [(date(2026, 11, 25), "2026-11"), (date(2027, 1, 1), "2027-01"), (date(999, 5, 1), "0999-05")]
)
def test_period_of(d: date, period: str) -> None:
    assert period_of(d) == period


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (datetime(2026, 11, 20, 12, 0, tzinfo=timezone(timedelta(hours=3))), "2026-11-20T09:00:00+00:00"),
        (datetime(2026, 11, 20, 9, 0, 0, 999999, tzinfo=timezone.utc), "2026-11-20T09:00:00+00:00"),
        (datetime(2026, 11, 21, 1, 0, tzinfo=MSK), "2026-11-20T22:00:00+00:00"),
    ],
)
def test_format_instant(dt: datetime, text: str) -> None:
    assert format_instant(dt) == text


def test_format_instant_round_trip() -> None:
    text = "2026-11-20T09:00:00+00:00"
    assert format_instant(parse_instant(text)) == text
    assert format_instant(parse_instant("2026-11-20T12:00:00+03:00")) == text


def test_format_instant_refuses_naive() -> None:
    with pytest.raises(ValueError):
        format_instant(datetime(2026, 11, 20, 9, 0))


def test_format_date() -> None:
    assert format_date(date(2026, 1, 5)) == "2026-01-05"
    assert format_person_date(date(2026, 1, 5)) == "05.01.2026"
    assert parse_person_date(format_person_date(date(2026, 1, 5))) == date(2026, 1, 5)
    with pytest.raises(TypeError):
        format_date(datetime(2026, 1, 5, tzinfo=timezone.utc))
