from __future__ import annotations

from decimal import Decimal

import pytest

from gkh.domain.errors import InvalidInput
from gkh.domain.money import (
    MAX_AMOUNT,
    format_amount,
    format_kopecks,
    from_kopecks,
    parse_amount,
    parse_percent,
    percent_of,
    to_kopecks,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),  # NBSP
        ("1\u202f234,56", "1234.56"),  # narrow NBSP, as Russian locales print it
        ("12 345 678.9", "12345678.90"),
        ("100", "100.00"),
        ("  100  ", "100.00"),
        ("0.10", "0.10"),
        ("0,1", "0.10"),
        ("0", "0.00"),
        ("007", "7.00"),
        ("999999999999.99", "999999999999.99"),
        (100, "100.00"),  # int means whole roubles
        (0, "0.00"),
        (Decimal("12.5"), "12.50"),
        (Decimal("12.500"), "12.50"),  # trailing zeros from arithmetic are fine
        (Decimal("1E+2"), "100.00"),
        (Decimal("-0"), "0.00"),
    ],
)
def test_parse_amount_valid(given: str | int | Decimal, expected: str) -> None:
    value = parse_amount(given)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected  # always quantized to kopecks


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        (12.5, "float"),
        (0.1, "float"),
        (True, "float"),
        ("", "empty"),
        ("   ", "empty"),
        ("1,005", "2 decimal places"),
        ("1.234", "2 decimal places"),
        ("1 234,567", "2 decimal places"),
        ("-5", "negative"),
        ("\u22125", "negative"),
        (-1, "negative"),
        (Decimal("-0.01"), "negative"),
        ("NaN", "roubles"),
        ("nan", "roubles"),
        ("Infinity", "roubles"),
        ("inf", "roubles"),
        (Decimal("NaN"), "roubles"),
        (Decimal("Infinity"), "roubles"),
        ("1e3", "roubles"),
        ("1E3", "roubles"),
        ("1.5e2", "roubles"),
        ("+5", "roubles"),
        ("1.234,56", "roubles"),  # dot as thousands separator is ambiguous
        ("1,234.56", "roubles"),
        ("12 34", "roubles"),  # not groups of three
        ("1  234", "roubles"),
        ("100.", "roubles"),
        (".5", "roubles"),
        ("5 руб", "roubles"),
        ("١٠٠", "roubles"),  # Arabic-Indic digits
        ("1000000000000", "at most"),
        (Decimal("0.001"), "2 decimal places"),
        (Decimal("1E+40"), "at most"),
        ([1], "roubles"),
    ],
)
def test_parse_amount_invalid(given: object, needle: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_amount(given, "sum")  # type: ignore[arg-type]
    assert info.value.field == "sum"
    assert len(info.value.message.splitlines()) == 1
    assert needle in info.value.message


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1", "1.00"), ("1.5", "1.50"), ("0,75", "0.75"), ("2.5 %", "2.50"), ("100", "100.00"), ("0", "0.00")],
)
def test_parse_percent_valid(given: str, expected: str) -> None:
    assert str(parse_percent(given)) == expected


@pytest.mark.parametrize("given", ["100.01", "-1", "1.234", 1.0, "abc", ""])
def test_parse_percent_invalid(given: object) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_percent(given)  # type: ignore[arg-type]
    assert info.value.field == "rate"
    assert len(info.value.message.splitlines()) == 1


@pytest.mark.parametrize(
    ("amount", "kopecks"),
    [
        ("0.00", 0),
        ("0.01", 1),
        ("0.10", 10),
        ("1234.56", 123456),
        ("-12.30", -1230),
        ("999999999999.99", 99999999999999),
    ],
)
def test_kopecks_round_trip(amount: str, kopecks: int) -> None:
    assert to_kopecks(Decimal(amount)) == kopecks
    assert from_kopecks(kopecks) == Decimal(amount)
    assert str(from_kopecks(kopecks)) == amount
    assert format_kopecks(kopecks) == amount
    assert format_amount(Decimal(amount)) == amount


def test_to_kopecks_accepts_trailing_zeros() -> None:
    assert to_kopecks(Decimal("1.500")) == 150
    assert to_kopecks(Decimal("1E+2")) == 10000


@pytest.mark.parametrize(
    ("bad", "error"),
    [(Decimal("0.001"), ValueError), (Decimal("NaN"), ValueError), (1.5, TypeError), (150, TypeError)],
)
def test_to_kopecks_refuses(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        to_kopecks(bad)  # type: ignore[arg-type]
    # A programming error, not user input: must not turn into an HTTP 400.
    with pytest.raises(error) as info:
        format_amount(bad)  # type: ignore[arg-type]
    assert not isinstance(info.value, InvalidInput)


@pytest.mark.parametrize(
    ("kopecks", "text"), [(5, "0.05"), (-5, "-0.05"), (100, "1.00"), (123456789, "1234567.89"), (-100, "-1.00")]
)
def test_format_kopecks(kopecks: int, text: str) -> None:
    assert format_kopecks(kopecks) == text


@pytest.mark.parametrize("bad", [1.0, True, "5", Decimal("5")])
def test_kopeck_functions_want_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_kopecks(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        from_kopecks(bad)  # type: ignore[arg-type]


def test_format_amount_has_no_separators() -> None:
    assert format_amount(parse_amount("1 234 567,8")) == "1234567.80"
    assert format_amount(Decimal("-0.00")) == "0.00"
    assert format_amount(MAX_AMOUNT) == "999999999999.99"


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        ("1000.00", "1.0", "10.00"),
        ("10.50", "1", "0.11"),  # 0.105 rounds half up
        ("10.49", "1", "0.10"),
        ("0.50", "1", "0.01"),  # 0.005 rounds half up
        ("0.49", "1", "0.00"),
        ("1234.56", "2.5", "30.86"),  # 30.864
        ("1234.56", "0", "0.00"),
        ("100.00", "100", "100.00"),
        ("999999999999.99", "0.75", "7500000000.00"),  # 7499999999.999925: no precision lost at the top
        ("33.33", "1.5", "0.50"),  # 0.49995
    ],
)
def test_percent_of(amount: str, rate: str, expected: str) -> None:
    result = percent_of(Decimal(amount), Decimal(rate))
    assert str(result) == expected


def test_percent_of_refuses_float() -> None:
    with pytest.raises(TypeError):
        percent_of(Decimal("10"), 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        percent_of(10.0, Decimal("1"))  # type: ignore[arg-type]
