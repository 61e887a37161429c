"""The portal's settings as pure rules: every key's check and normalisation, the window's order, commissions in
percent and basis points; a login's shape and a password of one's own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gkh.domain import settings
from gkh.domain.errors import InvalidInput
from gkh.domain.users import check_new_password, check_role, normalize_login


def test_every_setting_has_a_description_and_a_default_its_own_check_accepts():
    for key, known in settings.SETTINGS.items():
        assert known.description
        if known.default is not None:
            assert settings.check_setting(key, known.default) == known.default, key


@pytest.mark.parametrize(("key", "typed", "stored"), [
    ("readings.window_from", "1", "1"), ("readings.window_from", " 07 ", "7"), ("readings.window_to", "31", "31"),
    ("payments.card_commission", "0,8", "0.8"), ("payments.card_commission", "0.80", "0.8"),
    ("payments.card_commission", "5", "5"), ("payments.card_commission", "0", "0"),
    ("payments.card_commission", "1.25", "1.25"),
    ("smtp.host", "mail.example.org", "mail.example.org"), ("smtp.host", "", ""), ("smtp.port", "587", "587"),
    ("smtp.starttls", "Yes", "true"), ("smtp.starttls", "off", "false"), ("smtp.user", "", ""),
    ("smtp.from", "ЖКУ <receipts@example.org>", "ЖКУ <receipts@example.org>"),
    ("acquirer.decline_amounts", "13.13,66.6", "13.13, 66.60"), ("acquirer.decline_amounts", "", ""),
    ("portal.name", "  ТСЖ «Берёзка» ", "ТСЖ «Берёзка»"),
])
def test_a_value_is_stored_normalised(key, typed, stored):
    assert settings.check_setting(key, typed) == stored


@pytest.mark.parametrize(("key", "typed"), [
    ("readings.window_from", "0"), ("readings.window_from", "32"), ("readings.window_to", "-1"),
    ("readings.window_to", "1.5"), ("readings.window_to", "١٢"),
    ("payments.card_commission", "5.01"), ("payments.card_commission", "0.801"), ("payments.card_commission", "-0.1"),
    ("payments.card_commission", "1e0"), ("payments.card_commission", "NaN"), ("payments.card_commission", ""),
    ("smtp.port", "0"), ("smtp.port", "65536"), ("smtp.port", "http"), ("smtp.starttls", "maybe"),
    ("smtp.host", "mail server"), ("smtp.from", "receipts"), ("smtp.from", ""), ("portal.name", ""),
    ("portal.name", "x" * 201), ("portal.name", "two\nlines"), ("acquirer.decline_amounts", "13.13, abc"),
])
def test_a_value_its_check_refuses_names_the_key(key, typed):
    with pytest.raises(InvalidInput) as caught:
        settings.check_setting(key, typed)
    assert caught.value.field == key


def test_an_unknown_key_names_key_and_lists_the_known_ones():
    with pytest.raises(InvalidInput) as caught:
        settings.check_setting("smtp.password", "secret")
    assert caught.value.field == "key"
    assert all(key in caught.value.message for key in settings.SETTINGS)
    assert "secret" not in caught.value.message


def test_the_window_opens_no_later_than_it_closes():
    settings.check_together({"readings.window_from": "25"}, "readings.window_from")  # to: the default 25
    with pytest.raises(InvalidInput) as caught:
        settings.check_together({"readings.window_from": "26"}, "readings.window_from")
    assert caught.value.field == "readings.window_from"
    with pytest.raises(InvalidInput) as caught:
        settings.check_together({"readings.window_to": "14"}, "readings.window_to")
    assert caught.value.field == "readings.window_to"
    settings.check_together({"readings.window_from": "1", "readings.window_to": "1"}, "readings.window_to")


def test_commission_percent_and_basis_points():
    assert settings.parse_percent("0,8", "x") == Decimal("0.8")
    assert settings.percent_to_bp(Decimal("0.8")) == 80
    assert settings.percent_to_bp(Decimal("5")) == 500
    assert settings.bp_to_percent(80) == "0.8"
    assert settings.bp_to_percent(0) == "0"
    assert settings.bp_to_percent(125) == "1.25"


@pytest.mark.parametrize(("typed", "login"), [("Ivanov", "ivanov"), ("a.b_c-d", "a.b_c-d"), ("abc", "abc"),
                                              ("x" * 64, "x" * 64)])
def test_a_login_is_lower_cased(typed, login):
    assert normalize_login(typed) == login


@pytest.mark.parametrize("typed", ["ab", "x" * 65, "иванов", "a b", "a@b", "", "a\n"])
def test_a_malformed_login_names_login(typed):
    with pytest.raises(InvalidInput) as caught:
        normalize_login(typed)
    assert caught.value.field == "login"


def test_roles():
    assert check_role("staff") == "staff"
    with pytest.raises(InvalidInput):
        check_role("root")


def test_a_password_of_ones_own():
    assert check_new_password("a-long-password", "ivanov", "old-password") == "a-long-password"
    for new in ("short", "IvanovIvan"[:6], "ivanov", "IVANOV"):
        with pytest.raises(InvalidInput) as caught:
            check_new_password(new, "ivanov", "old-password")
        assert caught.value.field == "new"
    with pytest.raises(InvalidInput):
        check_new_password("old-password-1", "ivanov", "old-password-1")
    with pytest.raises(InvalidInput):
        check_new_password("ivanovivan", "ivanovivan", "x")
