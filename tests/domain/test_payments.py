from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gkh.domain.errors import InvalidInput
from gkh.domain.payments import (
    MAX_PAYMENT,
    PENDING_FOR,
    advance_warning,
    allocate,
    commission,
    decline_amounts,
    expired,
    format_roubles,
    parse_email,
    parse_method,
    parse_payment_amount,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("12181.79", "12181.79"), ("12181,79", "12181.79"), ("1 234,56", "1234.56"), ("100", "100.00"),
    ("0.01", "0.01"), ("1000000", "1000000.00"), ("1000000.00", "1000000.00"), (Decimal("5"), "5.00"),
])
def test_a_payment_amount(text, expected):
    assert parse_payment_amount(text) == Decimal(expected)
    assert str(parse_payment_amount(text)) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("0", "more than 0"), ("0.00", "more than 0"), ("-1", "negative"), ("1000000.01", "at most 1000000.00"),
    ("1.234", "2 decimal places"), ("abc", "a sum in roubles"), ("", "empty"), ("1e3", "a sum in roubles"),
])
def test_a_payment_amount_refused_names_its_field(text, says):
    with pytest.raises(InvalidInput) as caught:
        parse_payment_amount(text, field="amount")
    assert caught.value.field == "amount"
    assert says in caught.value.message
    assert caught.value.message.startswith("amount ")


def test_the_cap_is_a_million_roubles():
    assert MAX_PAYMENT == Decimal("1000000.00")


def test_a_method():
    assert parse_method("wallet") == "wallet" and parse_method("card") == "card"
    for bad in ("cash", "Card", "", None, 1):
        with pytest.raises(InvalidInput) as caught:
            parse_method(bad)
        assert caught.value.field == "method" and "wallet, card" in caught.value.message


@pytest.mark.parametrize("text", ["ivanov@example.com", " me@example.org ", "a.b+c@mail.example.ru",
                                  "иван@пример.рф"])
def test_an_email(text):
    assert parse_email(text) == text.strip()


@pytest.mark.parametrize("text", ["x", "x@", "@example.org", "a@b", "a b@example.org", "a@@example.org",
                                  "<a@example.org>", "a@example.org, b@example.org", "a@example.", "a\n@example.org",
                                  "a" * 250 + "@example.org", 5])
def test_an_email_refused(text):
    with pytest.raises(InvalidInput) as caught:
        parse_email(text)
    assert caught.value.field == "email"


def test_commission_by_card_is_the_payees_rate_half_up_and_nothing_by_wallet():
    assert commission(Decimal("12181.79"), 80, "card") == Decimal("97.45")  # 97.45432
    assert commission(Decimal("12181.79"), 80, "wallet") == Decimal("0.00")
    assert commission(Decimal("0.50"), 100, "card") == Decimal("0.01")  # 0.005 → 0.01, half-up
    assert commission(Decimal("0.62"), 80, "card") == Decimal("0.00")  # 0.00496
    assert commission(Decimal("1000000.00"), 10000, "card") == Decimal("1000000.00")
    assert commission(Decimal("100"), 0, "card") == Decimal("0.00")
    assert str(commission(Decimal("100"), 125, "card")) == "1.25"
    with pytest.raises(ValueError):
        commission(Decimal("1"), 80, "cash")
    with pytest.raises(ValueError):
        commission(Decimal("1"), 10001, "card")


def test_allocate_oldest_first_then_an_advance():
    bills = [("2609", 394299), ("2610", 823880)]
    assert allocate(1218179, bills) == ([("2609", 394299), ("2610", 823880)], 0)
    assert allocate(500000, bills) == ([("2609", 394299), ("2610", 105701)], 0)
    assert allocate(100, bills) == ([("2609", 100)], 0)
    assert allocate(1718179, bills) == ([("2609", 394299), ("2610", 823880)], 500000)
    assert allocate(500, []) == ([], 500)
    assert allocate(500, [("paid", 0), ("due", 300)]) == ([("due", 300)], 200)
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError):
            allocate(bad, bills)  # type: ignore[arg-type]


def test_allocate_never_loses_or_makes_a_kopeck():
    bills = [(str(i), due) for i, due in enumerate([1, 99, 12345, 0, 7])]
    for amount in range(1, 13000, 37):
        parts, advance = allocate(amount, bills)
        assert sum(p for _b, p in parts) + advance == amount
        assert all(0 < p <= dict(bills)[b] for b, p in parts)


def test_the_advance_warning_names_the_sum_and_account():
    assert advance_warning(500000, "77ЕЖ532838") == "5000.00 more than owed: an advance on account 77ЕЖ532838"


def test_a_card_payment_expires_after_15_minutes():
    created = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    until = created + PENDING_FOR
    assert PENDING_FOR == timedelta(minutes=15)
    assert not expired(until, created + timedelta(minutes=14, seconds=59))
    assert expired(until, until)
    assert not expired(None, until + timedelta(days=1))


def test_decline_amounts_from_the_setting():
    assert decline_amounts("13.13") == {Decimal("13.13")}
    assert decline_amounts(" 13.13 , 66.6, junk,") == {Decimal("13.13"), Decimal("66.60")}
    assert decline_amounts(None) == frozenset() and decline_amounts("") == frozenset()


@pytest.mark.parametrize(("amount", "shown"), [
    ("12181.79", "12 181,79 ₽"), ("97.45", "97,45 ₽"), ("0", "0,00 ₽"), ("1000000", "1 000 000,00 ₽"),
    ("999.5", "999,50 ₽"),
])
def test_roubles_as_russian_readers_write_them(amount, shown):
    assert format_roubles(Decimal(amount)) == shown
