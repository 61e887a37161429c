"""Which account a payer names: exactly one of number / ЕЛС / ИЖКУ, and the ЕЛС behind an ИЖКУ."""

from __future__ import annotations

import pytest

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import els_of, one_payer_id


@pytest.mark.parametrize(("given", "expected"), [
    ({"number": " 0050034 "}, ("number", "0050034")),
    ({"els": "77еж532838"}, ("els", "77ЕЖ532838")),
    ({"els": "77EX532838"}, ("els", "77ЕХ532838")),  # Latin look-alikes read as Cyrillic
    ({"izhku": "77ЕЖ532838\u201301"}, ("izhku", "77ЕЖ532838-01")),  # a typographic dash
    ({"number": "0050034", "els": None, "izhku": None}, ("number", "0050034")),  # None is "not given"
])
def test_one_id_comes_back_with_its_kind_in_its_canonical_spelling(given, expected):
    assert one_payer_id(**given) == expected


@pytest.mark.parametrize("given", [
    {},
    {"number": "0050034", "els": "77ЕЖ532838"},
    {"els": "77ЕЖ532838", "izhku": "77ЕЖ532838-01"},
    {"number": "1", "els": "77ЕЖ532838", "izhku": "77ЕЖ532838-01"},
])
@pytest.mark.parametrize(("prefix", "message", "field"), [
    ("", "give exactly one of number, els or izhku", "number"),  # the portal names body fields
    ("--", "give exactly one of --number, --els or --izhku", "--number"),  # the command line its options
])
def test_none_or_several_is_refused_naming_the_fields_as_the_caller_does(given, prefix, message, field):
    with pytest.raises(InvalidInput) as caught:
        one_payer_id(**given, field_prefix=prefix)
    assert (caught.value.message, caught.value.field) == (message, field)


def test_an_empty_string_is_given_and_then_refused_by_its_own_rule():
    with pytest.raises(InvalidInput) as caught:
        one_payer_id(number="", field_prefix="--")
    assert caught.value.field == "--number"
    assert caught.value.message == "account number must be 1–30 characters; got an empty value"


@pytest.mark.parametrize(("given", "field", "start"), [
    ({"els": "77ЕЖ53283"}, "els", "ЕЛС must be 10 characters"),
    ({"izhku": "77ЕЖ532838"}, "izhku", "ИЖКУ must be 13 characters"),
    ({"number": "\u200b1"}, "number", "account number must not contain control or invisible characters"),
])
def test_a_malformed_id_is_refused_by_its_kinds_rule_naming_the_field(given, field, start):
    for prefix in ("", "--"):
        with pytest.raises(InvalidInput) as caught:
            one_payer_id(**given, field_prefix=prefix)
        assert caught.value.field == prefix + field
        assert caught.value.message.startswith(start)


@pytest.mark.parametrize("value", [50034, ["77ЕЖ532838"], {"els": "x"}, True])
def test_a_value_that_is_not_text_is_refused_as_a_request_body_would_be(value):
    with pytest.raises(InvalidInput) as caught:
        one_payer_id(els=value)
    assert (caught.value.message, caught.value.field) == ("els must be a string", "els")


@pytest.mark.parametrize(("account", "els"), [
    ("77ЕЖ532838", "77ЕЖ532838"),
    (" 77еж532838 ", "77ЕЖ532838"),
    ("77ЕЖ532838-01", "77ЕЖ532838"),
    ("77EX532838\u201202", "77ЕХ532838"),
])
def test_els_of_an_els_or_an_izhku(account, els):
    assert els_of(account) == els


@pytest.mark.parametrize("account", ["", "77ЕЖ53283", "77ЕЖ532838-1", "77ЕЖ532838-01-2611", "0050034"])
def test_els_of_anything_else_is_refused_as_an_els_naming_the_field(account):
    with pytest.raises(InvalidInput) as caught:
        els_of(account)
    assert caught.value.field == "account"
    assert caught.value.message.startswith("ЕЛС must be 10 characters")
    with pytest.raises(InvalidInput) as caught:
        els_of(account, field="ACCOUNT")
    assert caught.value.field == "ACCOUNT"
