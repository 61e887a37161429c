from __future__ import annotations

from collections.abc import Callable

import pytest

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import (
    complete_inn10,
    complete_inn12,
    complete_ogrn13,
    complete_ogrnip15,
    fold_lookalikes,
    inn_is_valid,
    is_fias_guid,
    meter_reference,
    normalize_account_number,
    normalize_els,
    normalize_fias_guid,
    normalize_inn,
    normalize_ipd,
    normalize_izhku,
    normalize_ogrn,
    ogrn_is_valid,
    payer_id_kind,
    quoted,
    serial_key,
)


def assert_invalid(fn: Callable[..., object], *args: object, field: str, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        fn(*args, **kwargs)
    err = info.value
    assert err.field == field
    assert err.message and len(err.message.splitlines()) == 1
    return err


# --- look-alike letters: one fold for ids, serial numbers and address words ---------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("М-000023", "М-000023"),  # Cyrillic М
        ("M-000023", "М-000023"),  # Latin M
        ("m-000023", "М-000023"),
        ("хв-21-115444", "ХВ-21-115444"),
        ("XB-21-115444", "ХВ-21-115444"),  # Latin X, B
        ("xb\u201321\u2212115444", "ХВ-21-115444"),  # an en dash and a minus sign
        ("abekmhopctxy", "АВЕКМНОРСТХУ"),
        ("ABEKMHOPCTXY", "АВЕКМНОРСТХУ"),
        ("ёлка", "ЁЛКА"),
        ("dfg-q1", "DFG-Q1"),  # Latin letters with no Cyrillic twin: only upper case
        ("ß Straße ﬁ ᲀ", "ß SТRАßЕ ﬁ ᲀ"),  # nothing outside ASCII and Cyrillic changes (nor grows)
        (" х ", " Х "),  # spaces are the caller's
    ],
)
def test_fold_lookalikes(text: str, folded: str) -> None:
    assert fold_lookalikes(text) == folded
    assert fold_lookalikes(folded) == folded


@pytest.mark.parametrize("typed", ["ХВ-21-115444", "хв-21-115444", "XB-21-115444", "xb-21-115444", "Xв-21-115444",
                                   "  хв\u201121\u2010115444\t"])
def test_a_serial_number_is_found_however_it_is_typed(typed: str) -> None:
    assert serial_key(typed) == "ХВ-21-115444"
    assert meter_reference(typed) == ("serial", "ХВ-21-115444")


@pytest.mark.parametrize("typed", ["M-000023", "m-000023", "М-000023", "м-000023", " M\u2013000023 "])
def test_a_meter_id_in_either_case_or_script_is_the_portals_id(typed: str) -> None:
    assert meter_reference(typed) == ("id", "M-000023")


@pytest.mark.parametrize(("typed", "key"), [("M-abc", "М-АВС"), ("M-", "М-"), ("M-12-3", "М-12-3"),
                                            ("12345678", "12345678"), ("", "")])
def test_what_is_not_a_meter_id_is_looked_up_as_a_serial(typed: str, key: str) -> None:
    assert meter_reference(typed) == ("serial", key)


def test_a_meter_reference_must_be_text() -> None:
    assert_invalid(meter_reference, 23, field="meter")


def test_an_els_uses_the_same_fold() -> None:
    assert normalize_els("77еж532838") == normalize_els("77EЖ532838") == fold_lookalikes("77еж532838")


# --- ЕЛС ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75ДА533315", "75ДА533315"),
        ("  75ДА533315\n", "75ДА533315"),
        ("75да533315", "75ДА533315"),
        ("75KA533315", "75КА533315"),  # Latin K, A
        ("75ka533315", "75КА533315"),  # Latin lower case
        ("75ка533315", "75КА533315"),
        ("00ХУ000001", "00ХУ000001"),
        ("12xy345678", "12ХУ345678"),  # Latin x, y
        ("12ЁЖ345678", "12ЁЖ345678"),
        ("12ёж345678", "12ЁЖ345678"),
        ("12MH345678", "12МН345678"),
        ("12OP345678", "12ОР345678"),
        ("12CT345678", "12СТ345678"),
        ("12BE345678", "12ВЕ345678"),
    ],
)
def test_normalize_els_valid(text: str, expected: str) -> None:
    assert normalize_els(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "75DA533315",  # D has no Cyrillic twin
        "75ДА53",
        "75ДА5333150",
        "75ДА 533315",
        "7ДА5333150",
        "75Д1533315",
        "75ДАА33315",
        "ДА75533315",
        "75ДА53331S",
        "٧٥ДА533315",  # Arabic-Indic digits are not ASCII digits
        "75ДА533315-01",
    ],
)
def test_normalize_els_invalid(text: str) -> None:
    err = assert_invalid(normalize_els, text, field="els")
    assert "ЕЛС" in err.message and "75ДА533315" in err.message


def test_normalize_els_custom_field_and_message() -> None:
    err = assert_invalid(normalize_els, "75ДА53", "account", field="account")
    assert err.message == (
        'ЕЛС must be 10 characters: 2 digits, 2 Cyrillic letters, 6 digits (e.g. 75ДА533315); got "75ДА53"'
    )


def test_normalize_els_non_string() -> None:
    assert_invalid(normalize_els, 75, field="els")


# --- ИЖКУ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75ДА533315-01", "75ДА533315-01"),
        (" 75ka533315-01 ", "75КА533315-01"),
        ("75ДА533315\u201301", "75ДА533315-01"),  # en dash from a document
    ],
)
def test_normalize_izhku_valid(text: str, expected: str) -> None:
    assert normalize_izhku(text) == expected


@pytest.mark.parametrize(
    "text",
    ["75ДА533315", "75ДА53331501", "75ДА533315-1", "75ДА533315-001", "75DA533315-01", "75ДА533315_01"],
)
def test_normalize_izhku_invalid(text: str) -> None:
    err = assert_invalid(normalize_izhku, text, field="izhku")
    assert "ИЖКУ" in err.message


# --- ИПД ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75ДА533315-01-2611", "75ДА533315-01-2611"),
        ("75ДА533315012611", "75ДА533315-01-2611"),
        ("75ka533315012611", "75КА533315-01-2611"),  # Latin k, a
        ("  75КА533315-01-2611 ", "75КА533315-01-2611"),
    ],
)
def test_normalize_ipd_valid(text: str, expected: str) -> None:
    assert normalize_ipd(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "75ДА533315-01-261",
        "75ДА533315-012611",  # one hyphen only
        "75ДА53331501-2611",
        "75ДА5333150126110",
        "75ДА53331501261",
        "75DA533315-01-2611",
        "",
    ],
)
def test_normalize_ipd_invalid(text: str) -> None:
    err = assert_invalid(normalize_ipd, text, "doc", field="doc")
    assert "ИПД" in err.message


# --- payer id kind ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("75ДА533315", "els"),
        ("75ka533315", "els"),
        ("75ДА533315-01", "izhku"),
        (" 75ка533315-01 ", "izhku"),
        ("75ДА533315-01-2611", None),
        ("12345", None),
        ("", None),
    ],
)
def test_payer_id_kind(text: str, kind: str | None) -> None:
    assert payer_id_kind(text) == kind


# --- account number -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "1"),
        ("  ЛС-0012/А  ", "ЛС-0012/А"),
        ("x" * 30, "x" * 30),
        ("и\u0306", "й"),  # decomposed й is stored precomposed
        ("кв 5", "кв 5"),
    ],
)
def test_normalize_account_number_valid(text: str, expected: str) -> None:
    assert normalize_account_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "x" * 31, "---", "./", "12\x0034", "12\n34", "12\u200b34", "12\u202834", "12\x1b[31m"],
)
def test_normalize_account_number_invalid(text: str) -> None:
    err = assert_invalid(normalize_account_number, text, field="number")
    assert "account number" in err.message


# --- FIAS GUID ----------------------------------------------------------------------------------

GUID = "5ee84ac0-eb9a-4b86-9e25-a6a3c7e0e0c7"


@pytest.mark.parametrize(
    "text",
    [GUID, GUID.upper(), f"  {GUID}\t", GUID.replace("-", ""), GUID.replace("-", "").upper()],
)
def test_normalize_fias_guid_valid(text: str) -> None:
    assert normalize_fias_guid(text) == GUID
    assert is_fias_guid(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{" + GUID + "}",
        "urn:uuid:" + GUID,
        GUID[:-1],
        GUID + "0",
        GUID.replace("5", "g", 1),
        "5ee84ac0eb9a-4b86-9e25-a6a3c7e0e0c7",
        "ленина 5",
    ],
)
def test_normalize_fias_guid_invalid(text: str) -> None:
    assert_invalid(normalize_fias_guid, text, field="house")
    assert not is_fias_guid(text)


def test_is_fias_guid_non_string() -> None:
    assert not is_fias_guid(None)  # type: ignore[arg-type]


# --- ИНН / ОГРН ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inn", "valid"),
    [
        ("7707083893", True),  # Сбербанк
        ("7707083890", False),
        ("500100732259", True),
        ("500100732250", False),  # 12th digit wrong
        ("500100732209", False),  # 11th digit wrong
        ("0000000000", False),
        ("000000000000", False),
        ("770708389", False),
        ("77070838931", False),
        ("77070838a3", False),
        (" 7707083893", False),  # the predicate does not strip; normalize_inn does
        ("", False),
    ],
)
def test_inn_is_valid(inn: str, valid: bool) -> None:
    assert inn_is_valid(inn) is valid


@pytest.mark.parametrize(
    ("ogrn", "valid"),
    [
        ("1027700132195", True),  # Сбербанк
        ("1027700132190", False),
        ("304500116000157", True),  # ОГРНИП
        ("304500116000150", False),
        ("0000000000000", False),
        ("102770013219", False),
        ("10277001321950", False),
        ("1027700132I95", False),
    ],
)
def test_ogrn_is_valid(ogrn: str, valid: bool) -> None:
    assert ogrn_is_valid(ogrn) is valid


def test_normalize_inn_valid() -> None:
    assert normalize_inn(" 7707083893 ") == "7707083893"
    assert normalize_inn("500100732259") == "500100732259"
    assert normalize_ogrn("1027700132195 ") == "1027700132195"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("7707083890", "check digit (the 10th)"),
        ("500100732250", "check digit (the 12th)"),
        ("500100732209", "check digit (the 11th)"),
        ("770708389", "10 digits"),
        ("77070838933", "10 digits"),
        ("7707O83893", "10 digits"),
        ("0000000000", "zeros"),
        ("", "10 digits"),
    ],
)
def test_normalize_inn_invalid(text: str, needle: str) -> None:
    err = assert_invalid(normalize_inn, text, field="inn")
    assert needle in err.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [("1027700132190", "check digit (the 13th)"), ("304500116000150", "the 15th"), ("12345", "13 digits")],
)
def test_normalize_ogrn_invalid(text: str, needle: str) -> None:
    err = assert_invalid(normalize_ogrn, text, field="ogrn")
    assert needle in err.message


def test_generators_make_valid_numbers() -> None:
    assert complete_inn10("770708389") == "7707083893"
    assert complete_inn12("5001007322") == "500100732259"
    assert complete_ogrn13("102770013219") == "1027700132195"
    assert complete_ogrnip15("30450011600015") == "304500116000157"
    for i in range(200):
        assert inn_is_valid(complete_inn10(f"77{i:07d}"))
        assert inn_is_valid(complete_inn12(f"50{i:08d}"))
        assert ogrn_is_valid(complete_ogrn13(f"10277{i:07d}"))
        assert ogrn_is_valid(complete_ogrnip15(f"3045{i:010d}"))


@pytest.mark.parametrize("first", ["77070838", "7707083891", "77070838a"])
def test_generator_rejects_wrong_prefix(first: str) -> None:
    assert_invalid(complete_inn10, first, field="inn")


# --- quoting user input in messages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("abc", '"abc"'),
        ('a"b', '"a\\"b"'),
        ("a\nb", '"a\\u000ab"'),
        ("a\u2028b", '"a\\u2028b"'),
        ("x" * 50, '"' + "x" * 40 + '…"'),
        (12, '"12"'),
    ],
)
def test_quoted(value: object, shown: str) -> None:
    assert quoted(value) == shown
