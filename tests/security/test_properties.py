"""Property tests for the pure parsers in gkh.domain (issue 7, security suite).

Whatever text (or object) reaches an identifier, money, date, reading or address parser, it either comes back
canonical or is refused with InvalidInput (HTTP 400, exit code 2) naming the field in a one-line message
without raw control characters; never another exception (a 500 / "unexpected error"). What is accepted
round-trips: normalising twice changes nothing, the canonical text parses back to the same value. Digits are
ASCII only: int("١٢") and Decimal("١٢") take other scripts' digits, the parsers must not. Long input costs
linear time.

Reproducible in CI: derandomized, no example database written into the checkout.
"""

from __future__ import annotations

import re
import string
import time
import unicodedata
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gkh.domain import address, dates, identifiers, money, readings
from gkh.domain.errors import InvalidInput
from gkh.domain.readings import MeterSpec, SubmissionWindow

PROPS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FEW = settings(PROPS, max_examples=60)

REFUSED = object()
FIELD = "the_field"

# --- hostile input -----------------------------------------------------------------------------------

# Characters int()/Decimal()/str.isdigit() take for digits but a parser must not: other scripts' decimal
# digits, fullwidth, super/subscripts, circled, mathematical.
NON_ASCII_DIGITS = "١٢٣٤٥٠۱۲۳०१२৩੪૫୬௭౮೯൦๑໒༣၄០᠑１２３４５６７８９０²³¹⁰⁹₀₉①⑨⓵❶𝟎𝟗𝟘"
non_ascii_digit = st.one_of(
    st.sampled_from(NON_ASCII_DIGITS),
    st.characters(categories=["Nd", "No"]).filter(lambda c: c not in string.digits),
)
any_char = st.one_of(
    st.characters(codec=None),  # the whole of Unicode, lone surrogates included
    st.characters(categories=["Cs"]),
    st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]),
    non_ascii_digit,
    st.sampled_from("0123456789.,-+: /\n"),
)
# Pieces that steer generated text near what the parsers look for, so hypothesis reaches past the first check.
FRAGMENTS = [
    "NaN", "nan", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e9", "1E+999999999", "1e-7", "-0", "-0.00",
    "+1", "0x1F", "1_000", "\u2212", "-", ".", ",", " ", "\u00a0", "\u202f", "\n", "\r\n", "\t", "\x00", "\x0b",
    "\x1b[31m", "\x1b]0;PWNED\x07", "\u202e", "\u2028", "\ud800", "\udfff", "%", "/", ":", "T", "Z", "+03:00",
    "-12:00", "24:00", "23:59:60", "0001-01-01", "9999-12-31", "75ДА533315", "75da533315", "75DA533315", "-01",
    "-2611", "5ee84ac0-eb9a-4b86-9e25-a6a3c7e0e0c7", "{", "urn:uuid:", "7707083893", "500100732259",
    "1027700132195", "304500116000157", "25.11.2026", "29.02.2027", "2026-11-25", "2026-W47-5",
    "2026-11-20T12:00:00+03:00", "20261120T120000Z", "1 234,56", "999999999999.99", "123.45", "0,0000001",
    "ул. Ленина, д. 5", "ЁЛКИ", "к2", "стр. 1", "5/2", "пр-т", "Europe/Moscow", "../", "localtime", "right/",
    "0" * 30, "9" * 20, "١٢", "²", "１２",
]
hostile_text = st.lists(
    st.one_of(st.text(alphabet=any_char, max_size=12), st.sampled_from(FRAGMENTS)), max_size=8
).map("".join)
# Long input by repetition (drawing thousands of characters one by one is slow); the linear-time test below
# goes to 100 000.
long_text = st.builds(lambda s, n: (s or "1") * n, hostile_text, st.integers(20, 400))
# What a JSON body or a caller may hand over instead of text; ints past 4300 digits have no str() or repr().
not_text = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.binary(max_size=8), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1), st.decimals(), st.just(object()),
    st.sampled_from([10**5000, -(10**5000), Decimal("1E+999999999"), Decimal("-sNaN")]),
)
# Valid values of every kind, so that edits of them land near the accepting paths.
VALID = {
    "els": ["75ДА533315", "75да533315", " 75DA533315 "],
    "izhku": ["75DA533315-01", "75ДА533315\u201301"],
    "ipd": ["75ДА533315-01-2611", "75ДА533315012611"],
    "account_number": ["0050012", "ЛС-12/3", "и\u0306"],
    "fias_guid": ["5ee84ac0-eb9a-4b86-9e25-a6a3c7e0e0c7", "5EE84AC0EB9A4B869E25A6A3C7E0E0C7"],
    "inn": ["7707083893", "500100732259"],
    "ogrn": ["1027700132195", "304500116000157"],
    "amount": ["1234.56", "1 234,56", "0", "999999999999.99", "100%"],
    "date": ["25.11.2026", "5.1.2026", "2026-11-25", "2026-11", "11.2026"],
    "instant": ["2026-11-20T12:00:00+03:00", "2026-11-20T09:00Z", "20261120T120000+0300", "2026-W47-5T12Z"],
    "zone": ["Europe/Moscow", "Etc/GMT+3", "Asia/Yekaterinburg"],
    "reading": ["123.45", "00010", "999999999999999.9999999", "0,5"],
    "address": ["ул. Ленина, д. 5", "мира 12 к2", "Ленина 5/2", "Малышева 51 стр. 1"],
}


@st.composite
def near_valid(draw, kind: str | None = None) -> str:
    """A valid value (of `kind`, or of any) with up to three edits: a character inserted, replaced or dropped,
    or the case swapped."""
    pool = VALID[kind] if kind else [v for values in VALID.values() for v in values]
    text = draw(st.sampled_from(pool))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "replace", "drop", "case"]))
        if edit == "insert":
            text = text[:i] + draw(any_char) + text[i:]
        elif edit == "replace" and i < len(text):
            text = text[:i] + draw(any_char) + text[i + 1 :]
        elif edit == "drop":
            text = text[:i] + text[i + 1 :]
        elif edit == "case":
            text = text.swapcase()
    return text


anything = st.one_of(hostile_text, near_valid(), long_text, not_text)


def hostile(kind: str) -> st.SearchStrategy[object]:
    """Anything, and as often a near miss of a valid `kind`."""
    return st.one_of(anything, near_valid(kind))


_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def refused(fn, *args, field: str | None = FIELD, expect: str | None = None, **kwargs):
    """fn(*args, field=field) or REFUSED when it raises InvalidInput; anything else fails the test.

    The refusal names the field (`field`, or `expect` for functions without a field argument) and is one
    printable line (it goes into a JSON error and onto stderr).
    """
    if field is not None:
        kwargs["field"] = field
        expect = field
    try:
        return fn(*args, **kwargs)
    except InvalidInput as exc:
        message = str(exc)
        assert message and message == exc.message
        assert isinstance(exc.field, str) and exc.field
        assert len(message) < 1000, f"{len(message)} characters"
        if expect is not None:
            assert exc.field == expect, (exc.field, expect)
        bad = [c for c in message if unicodedata.category(c) in _INVISIBLE]
        assert not bad, f"raw invisible characters in the message: {ascii(message)}"
        message.encode("utf-8")  # a lone surrogate would crash the error serializer
        return REFUSED


def swap_one_digit(draw, text: str) -> str:
    """text with one of its ASCII digits replaced by a digit of another script."""
    positions = [i for i, c in enumerate(text) if c in string.digits]
    i = draw(st.sampled_from(positions))
    return text[:i] + draw(non_ascii_digit) + text[i + 1 :]


# --- valid identifiers built by strategies ---------------------------------------------------------------

CYRILLIC_CAPITALS = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
# Cyrillic capital → the Latin letters people type for it on an English layout, read as the Cyrillic letter.
LATIN_TWINS = {"А": "Aa", "В": "Bb", "Е": "Ee", "К": "Kk", "М": "Mm", "Н": "Hh", "О": "Oo", "Р": "Pp",
               "С": "Cc", "Т": "Tt", "Х": "Xx", "У": "Yy"}
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=string.digits, min_size=n, max_size=n)


canonical_els = st.builds(
    lambda a, b, c: a + b + c, digits(2), st.text(alphabet=CYRILLIC_CAPITALS, min_size=2, max_size=2), digits(6)
)


@st.composite
def typed_els(draw) -> tuple[str, str]:
    """(canonical ЕЛС, the way a person might type it: lower case, Latin look-alikes, spaces around)."""
    canon = draw(canonical_els)
    out = []
    for ch in canon:
        choices = [ch]
        if ch in CYRILLIC_CAPITALS:
            choices += [ch.lower(), *LATIN_TWINS.get(ch, "")]
        out.append(draw(st.sampled_from(choices)))
    pad = st.text(alphabet=" \t\n\u00a0\u3000", max_size=3)
    return canon, draw(pad) + "".join(out) + draw(pad)


inn10 = digits(9).filter(lambda d: d.strip("0")).map(identifiers.complete_inn10)
inn12 = digits(10).filter(lambda d: d.strip("0")).map(identifiers.complete_inn12)
ogrn13 = digits(12).filter(lambda d: d.strip("0")).map(identifiers.complete_ogrn13)
ogrnip15 = digits(14).filter(lambda d: d.strip("0")).map(identifiers.complete_ogrnip15)
valid_inn = st.one_of(inn10, inn12).filter(lambda s: s.strip("0"))
valid_ogrn = st.one_of(ogrn13, ogrnip15).filter(lambda s: s.strip("0"))


# === identifiers ==========================================================================================

NORMALISERS = {
    "els": identifiers.normalize_els,
    "izhku": identifiers.normalize_izhku,
    "ipd": identifiers.normalize_ipd,
    "account_number": identifiers.normalize_account_number,
    "fias_guid": identifiers.normalize_fias_guid,
    "inn": identifiers.normalize_inn,
    "ogrn": identifiers.normalize_ogrn,
}


# What each normaliser's output looks like: the canonical forms gkh.domain.identifiers writes (the account
# number is free-form).
_ELS = "[0-9]{2}[А-ЯЁ]{2}[0-9]{6}"
CANONICAL_FORMS = {
    "els": _ELS,
    "izhku": _ELS + "-[0-9]{2}",
    "ipd": _ELS + "-[0-9]{2}-[0-9]{4}",
    "fias_guid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "inn": "[0-9]{10}|[0-9]{12}",
    "ogrn": "[0-9]{13}|[0-9]{15}",
}


@pytest.mark.parametrize("name", sorted(NORMALISERS))
@PROPS
@given(x=st.one_of(anything, *(near_valid(kind) for kind in sorted(NORMALISERS))))
@example(x="75ДА533315\n")
@example(x="\ud800")
@example(x="75ДА53331٥")
@example(x="7707083893\n")
def test_identifier_normalisers_refuse_or_return_canonical(name: str, x: object) -> None:
    normalise = NORMALISERS[name]
    out = refused(normalise, x, field=FIELD)
    if out is REFUSED:
        return
    assert isinstance(out, str)
    assert normalise(out, field=FIELD) == out  # idempotent
    assert out == out.strip() and out
    if name in CANONICAL_FORMS:
        assert re.fullmatch(CANONICAL_FORMS[name], out), ascii(out)


@PROPS
@given(x=st.one_of(anything, *(near_valid(kind) for kind in sorted(NORMALISERS))))
def test_identifier_predicates_never_raise(x: object) -> None:
    kind = identifiers.payer_id_kind(x)
    assert kind in (None, "els", "izhku")
    assert identifiers.is_fias_guid(x) in (True, False)
    assert identifiers.inn_is_valid(x) in (True, False)
    assert identifiers.ogrn_is_valid(x) in (True, False)
    # payer_id_kind says exactly which normaliser accepts it.
    els = refused(identifiers.normalize_els, x)
    izhku = refused(identifiers.normalize_izhku, x)
    assert (kind == "els") == (els is not REFUSED)
    assert (kind == "izhku") == (izhku is not REFUSED)
    # The predicates agree with the normalisers (which strip; the predicates take the digits as they are).
    if isinstance(x, str) and x == x.strip():
        assert identifiers.inn_is_valid(x) == (refused(identifiers.normalize_inn, x) is not REFUSED)
        assert identifiers.ogrn_is_valid(x) == (refused(identifiers.normalize_ogrn, x) is not REFUSED)
        assert identifiers.is_fias_guid(x) == (refused(identifiers.normalize_fias_guid, x, field="house")
                                               is not REFUSED)


@pytest.mark.parametrize(
    "complete", [identifiers.complete_inn10, identifiers.complete_inn12, identifiers.complete_ogrn13,
                 identifiers.complete_ogrnip15],
)
@FEW
@given(x=anything)
@example(x="12345678\n")
@example(x="12345678901\n")
@example(x="1234567890123\n")
@example(x="١٢٣٤٥٦٧٨٩")
def test_check_digit_completers_refuse_or_return_valid(complete, x: object) -> None:
    out = refused(complete, x, field=None)
    if out is REFUSED or not out.strip("0"):
        return
    assert identifiers.inn_is_valid(out) or identifiers.ogrn_is_valid(out)
    assert out.startswith(x)


@PROPS
@given(pair=typed_els())
@example(pair=("75ДА533315", "75дa533315"))
@example(pair=("01АВ000000", " 01ab000000 "))
def test_els_as_typed_normalises_to_cyrillic_capitals(pair: tuple[str, str]) -> None:
    canon, typed = pair
    assert identifiers.normalize_els(canon) == canon
    assert identifiers.normalize_els(typed) == canon
    assert identifiers.payer_id_kind(typed) == "els"


@PROPS
@given(pair=typed_els(), service=digits(2), doc=digits(4), dash1=st.sampled_from(DASHES),
       dash2=st.sampled_from(DASHES))
def test_izhku_and_ipd_built_on_an_els_are_accepted(pair, service, doc, dash1, dash2) -> None:
    canon, typed = pair
    izhku = f"{canon}-{service}"
    ipd = f"{canon}-{service}-{doc}"
    assert identifiers.normalize_izhku(f"{typed.strip()}{dash1}{service}") == izhku
    assert identifiers.payer_id_kind(f"{typed.strip()}{dash1}{service}") == "izhku"
    assert identifiers.normalize_ipd(f"{typed.strip()}{dash1}{service}{dash2}{doc}") == ipd
    assert identifiers.normalize_ipd(f"{typed.strip()}{service}{doc}") == ipd  # the 16-character form
    assert identifiers.normalize_ipd(ipd) == ipd


@PROPS
@given(data=st.data(), kind=st.sampled_from(["els", "izhku", "ipd", "inn", "ogrn", "guid"]))
def test_identifiers_refuse_non_ascii_digits(data, kind: str) -> None:
    els = data.draw(canonical_els)
    valid = {
        "els": els,
        "izhku": els + "-" + data.draw(digits(2)),
        "ipd": els + "-" + data.draw(digits(2)) + "-" + data.draw(digits(4)),
        "inn": data.draw(valid_inn),
        "ogrn": data.draw(valid_ogrn),
        "guid": str(data.draw(st.uuids())),
    }[kind]
    assume(any(c in string.digits for c in valid))
    normalise = {"els": identifiers.normalize_els, "izhku": identifiers.normalize_izhku,
                 "ipd": identifiers.normalize_ipd, "inn": identifiers.normalize_inn,
                 "ogrn": identifiers.normalize_ogrn, "guid": identifiers.normalize_fias_guid}[kind]
    assert normalise(valid, field=FIELD) == valid
    assert refused(normalise, swap_one_digit(data.draw, valid), field=FIELD) is REFUSED


@PROPS
@given(inn=valid_inn, ogrn=valid_ogrn, pad=st.text(alphabet=" \t\n", max_size=2))
def test_valid_inn_and_ogrn_are_accepted(inn: str, ogrn: str, pad: str) -> None:
    assert identifiers.inn_is_valid(inn) and identifiers.normalize_inn(pad + inn + pad) == inn
    assert identifiers.ogrn_is_valid(ogrn) and identifiers.normalize_ogrn(pad + ogrn + pad) == ogrn
    # A changed check digit is always caught.
    last = str((int(inn[-1]) + 1) % 10)
    assert refused(identifiers.normalize_inn, inn[:-1] + last, field=FIELD) is REFUSED
    assert not identifiers.inn_is_valid(inn + "\n") and not identifiers.ogrn_is_valid(ogrn + "\n")


@PROPS
@given(u=st.uuids(), upper=st.booleans(), plain=st.booleans(), pad=st.text(alphabet=" \t\n", max_size=2))
def test_fias_guid_spellings_normalise_to_lower_8_4_4_4_12(u: uuid.UUID, upper, plain, pad) -> None:
    text = u.hex if plain else str(u)
    text = text.upper() if upper else text
    assert identifiers.normalize_fias_guid(pad + text + pad) == str(u)
    assert identifiers.is_fias_guid(text)
    for wrapped in ("{" + str(u) + "}", "urn:uuid:" + str(u), str(u) + "0", str(u)[:-1]):
        assert refused(identifiers.normalize_fias_guid, wrapped, field="house") is REFUSED


@PROPS
@given(number=st.text(alphabet=st.characters(codec=None), min_size=1, max_size=40))
@example(number="и\u0306")
@example(number="\u200b1")
@example(number="١٢٣")
@example(number="ЛС\ud800")
def test_account_number_is_visible_nfc_1_to_30(number: str) -> None:
    out = refused(identifiers.normalize_account_number, number, field=FIELD)
    if out is REFUSED:
        return
    assert 1 <= len(out) <= 30
    assert unicodedata.normalize("NFC", out) == out
    assert any(c.isalnum() for c in out)
    assert not any(unicodedata.category(c) in identifiers._FORBIDDEN_CATEGORIES for c in out)
    # The decomposed spelling of the same number is the same number.
    assert identifiers.normalize_account_number(unicodedata.normalize("NFD", out)) == out


@PROPS
@given(x=st.one_of(anything, st.integers(), st.decimals()))
def test_quoted_is_one_printable_line(x: object) -> None:
    shown = identifiers.quoted(x)
    assert shown.startswith('"') and shown.endswith('"')
    assert not [c for c in shown if unicodedata.category(c) in _INVISIBLE], ascii(shown)
    shown.encode("utf-8")


# --- one fold for what people type: ЕЛС, meter ids, serial numbers, address words --------------------------

# What the fold may change: ASCII and Cyrillic letters, and the dashes it reads as a hyphen.
FOLDED_BY_DESIGN = set(string.ascii_letters + CYRILLIC_CAPITALS + CYRILLIC_CAPITALS.lower() + DASHES)


def typed_twin(draw, canon: str) -> str:
    """canon (Cyrillic capitals, digits, hyphens) as a person might type it: any case, Latin twins, dashes."""
    out = []
    for ch in canon:
        choices = [ch]
        if ch in CYRILLIC_CAPITALS:
            choices += [ch.lower(), *LATIN_TWINS.get(ch, "")]
        elif ch == "-":
            choices = list(DASHES)
        out.append(draw(st.sampled_from(choices)))
    return "".join(out)


@st.composite
def typed_serial(draw) -> tuple[str, str]:
    """(a folded serial number or meter id, the same as typed, with spaces around)."""
    canon = draw(st.one_of(
        st.text(alphabet=CYRILLIC_CAPITALS + string.digits + "-/", max_size=20),
        st.builds(lambda prefix, year, n: f"{prefix}-{year}-{n}", st.sampled_from(["ХВ", "ГВ", "ЭЛ", "ВКТ"]),
                  digits(2), digits(6)),
        st.builds(lambda n: f"М-{n}", digits(6)),  # a meter's portal id, its М Cyrillic once folded
    ))
    pad = st.text(alphabet=" \t\n\u00a0\u3000", max_size=3)
    return canon, draw(pad) + typed_twin(draw, canon) + draw(pad)


@PROPS
@given(x=st.one_of(hostile_text, long_text, st.text(alphabet=sorted(FOLDED_BY_DESIGN) + ["ß", "ﬁ", "ᲀ", "İ"])))
@example(x="ß ﬁ ᲀ İ ı ſ K")  # characters str.upper() would grow or move into ASCII or Cyrillic
def test_folding_is_idempotent_and_changes_only_letters_and_dashes(x: str) -> None:
    folded = identifiers.fold_lookalikes(x)
    assert identifiers.fold_lookalikes(folded) == folded
    assert len(folded) == len(x)
    assert all(a == b or a in FOLDED_BY_DESIGN for a, b in zip(x, folded)), ascii(x)
    if set(x) <= FOLDED_BY_DESIGN | set(string.digits + " "):  # case does not matter to what it folds
        assert identifiers.fold_lookalikes(x.lower()) == identifiers.fold_lookalikes(x.upper()) == folded


@PROPS
@given(pair=typed_serial())
@example(pair=("ХВ-21-115444", "xb\u201321-115444"))
@example(pair=("М-000023", "m-000023"))
def test_twins_fold_equal(pair: tuple[str, str]) -> None:
    canon, typed = pair
    assert identifiers.fold_lookalikes(typed.strip()) == canon
    assert identifiers.serial_key(typed) == identifiers.serial_key(canon) == canon
    kind, key = identifiers.meter_reference(typed)
    if re.fullmatch(r"М-[0-9]+", canon):
        assert (kind, key) == ("id", "M" + canon[1:])  # the portal's id, its M Latin
    else:
        assert (kind, key) == ("serial", canon)


@PROPS
@given(x=st.one_of(anything, st.builds(lambda pair: pair[1], typed_serial())))
@example(x="M-" + "0" * 5000)
def test_a_meter_reference_is_an_id_or_a_serial_key(x: object) -> None:
    out = refused(identifiers.meter_reference, x, field=FIELD)
    if out is REFUSED:
        return
    kind, key = out
    assert kind in ("id", "serial")
    if kind == "id":
        assert re.fullmatch(r"M-[0-9]+", key)
    assert identifiers.meter_reference(key) == (kind, key)  # what it answers names the same meter again


# === money ================================================================================================

MAX_KOPECKS = money.to_kopecks(money.MAX_AMOUNT)
money_objects = st.one_of(
    hostile("amount"),
    st.integers(),
    st.integers(min_value=10**4000, max_value=10**6000),
    st.decimals(),
    st.decimals(places=2, min_value=0, max_value=money.MAX_AMOUNT),
    st.sampled_from([Decimal("NaN"), Decimal("-sNaN"), Decimal("-Infinity"), Decimal("-0"), Decimal("1E+999999999"),
                     Decimal("1E-999999999"), Decimal("1.500"), Decimal("0.001"), Decimal("-0.00")]),
)


@PROPS
@given(x=money_objects)
@example(x=10**5000)
@example(x="١٢٣")
@example(x="1\n")
@example(x="1 234,56\n")
@example(x="NaN")
def test_parse_amount_refuses_or_returns_kopecks_that_round_trip(x: object) -> None:
    out = refused(money.parse_amount, x, field=FIELD)
    if out is REFUSED:
        return
    assert isinstance(out, Decimal) and out.is_finite()
    assert out.as_tuple().exponent == -2 and not out.is_signed()
    assert 0 <= out <= money.MAX_AMOUNT
    text = money.format_amount(out)
    assert money.parse_amount(text) == out
    assert money.format_amount(money.parse_amount(text)) == text  # canonical text is a fixed point
    assert money.parse_amount(out) == out
    assert money.from_kopecks(money.to_kopecks(out)) == out


@PROPS
@given(x=money_objects)
@example(x="100%")
@example(x="100.01")
@example(x=" 1,5 % ")
@example(x="%")
def test_parse_percent_refuses_or_returns_0_to_100(x: object) -> None:
    out = refused(money.parse_percent, x, field=FIELD)
    if out is REFUSED:
        return
    assert 0 <= out <= 100 and out.as_tuple().exponent == -2
    text = money.format_amount(out)
    assert money.parse_percent(text) == out == money.parse_percent(text + "%")


@st.composite
def typed_amount(draw) -> tuple[int, str]:
    """(kopecks, how a person might write it: grouped thousands, a decimal comma, one or no fraction digit)."""
    kopecks = draw(st.integers(0, MAX_KOPECKS))
    whole, cents = divmod(kopecks, 100)
    digits_ = str(whole)
    if draw(st.booleans()):
        sep = draw(st.sampled_from(" \u00a0\u202f"))
        groups = []
        while len(digits_) > 3:
            groups.insert(0, digits_[-3:])
            digits_ = digits_[:-3]
        digits_ = sep.join([digits_, *groups])
    point = draw(st.sampled_from(".,"))
    if cents == 0:
        frac = draw(st.sampled_from(["", point + "0", point + "00"]))
    elif cents % 10 == 0:
        frac = draw(st.sampled_from([f"{point}{cents // 10}", f"{point}{cents:02d}"]))
    else:
        frac = f"{point}{cents:02d}"
    pad = draw(st.text(alphabet=" \t\u00a0", max_size=2))
    return kopecks, pad + digits_ + frac + pad


@PROPS
@given(pair=typed_amount())
def test_amounts_as_typed_are_accepted(pair: tuple[int, str]) -> None:
    kopecks, text = pair
    assert money.to_kopecks(money.parse_amount(text)) == kopecks
    assert money.format_amount(money.parse_amount(text)) == money.format_kopecks(kopecks)


@PROPS
@given(data=st.data(), pair=typed_amount())
def test_amounts_refuse_non_ascii_digits(data, pair: tuple[int, str]) -> None:
    _, text = pair
    assert refused(money.parse_amount, swap_one_digit(data.draw, text), field=FIELD) is REFUSED
    assert refused(money.parse_percent, swap_one_digit(data.draw, text), field=FIELD) is REFUSED


@PROPS
@given(k=st.integers(-(10**30), 10**30))
def test_kopecks_round_trip(k: int) -> None:
    text = money.format_kopecks(k)
    assert money.to_kopecks(money.from_kopecks(k)) == k
    assert money.format_amount(money.from_kopecks(k)) == text
    if 0 <= k <= MAX_KOPECKS:
        assert money.to_kopecks(money.parse_amount(text)) == k
    elif k < 0:
        assert refused(money.parse_amount, text, field=FIELD) is REFUSED


# === dates and instants ===================================================================================


@PROPS
@given(x=hostile("date"))
@example(x="25.11.2026\n")
@example(x="٢٥.١١.٢٠٢٦")
@example(x="2026-11-2５")
@example(x="31.02.2026")
@example(x="0000-01-01")
@example(x="2026-11-25T00:00")
def test_parse_person_date_refuses_or_returns_a_date(x: object) -> None:
    out = refused(dates.parse_person_date, x, field=FIELD)
    if out is REFUSED:
        return
    assert type(out) is date
    assert dates.parse_person_date(dates.format_person_date(out)) == out
    assert dates.parse_person_date(dates.format_date(out)) == out


@PROPS
@given(d=st.dates(), pad=st.text(alphabet=" \t\n", max_size=2), short=st.booleans())
def test_person_dates_in_both_forms_are_accepted(d: date, pad: str, short: bool) -> None:
    ru = f"{d.day}.{d.month}.{d.year:04d}" if short else dates.format_person_date(d)
    assert dates.parse_person_date(pad + ru + pad) == d
    assert dates.parse_person_date(pad + dates.format_date(d) + pad) == d
    period = dates.period_of(d)
    assert dates.parse_period(period) == period == dates.parse_period(f"{d.month:02d}.{d.year:04d}")


@PROPS
@given(data=st.data(), d=st.dates(), form=st.sampled_from(["ru", "iso", "period", "instant"]))
def test_dates_refuse_non_ascii_digits(data, d: date, form: str) -> None:
    text = {
        "ru": dates.format_person_date(d),
        "iso": dates.format_date(d),
        "period": dates.period_of(d),
        "instant": f"{dates.format_date(d)}T12:00:00+03:00",
    }[form]
    parse = {"ru": dates.parse_person_date, "iso": dates.parse_person_date, "period": dates.parse_period,
             "instant": dates.parse_instant}[form]
    assert refused(parse, text, field=FIELD) is not REFUSED or form == "instant"
    assert refused(parse, swap_one_digit(data.draw, text), field=FIELD) is REFUSED


@PROPS
@given(x=hostile("date"))
@example(x="2026-11")
@example(x="11.2026")
@example(x="0000-01")
@example(x="2026-13")
@example(x="1.2026\n")
def test_parse_period_refuses_or_is_idempotent(x: object) -> None:
    out = refused(dates.parse_period, x, field=FIELD)
    if out is REFUSED:
        return
    assert dates.parse_period(out) == out
    assert len(out) == 7 and out[4] == "-" and out.replace("-", "").isascii()


# The instants people and GKH_NOW give: whatever the offset, the portal must be able to show it in UTC and in
# any house's zone.
SOME_ZONES = [ZoneInfo(k) for k in ("Europe/Moscow", "Asia/Kamchatka", "Europe/Kaliningrad", "Pacific/Kiritimati",
                                    "America/Adak", "Etc/GMT+12", "Etc/GMT-14", "UTC")]


def _instant_is_usable(out: datetime) -> None:
    assert out.tzinfo is not None and out.utcoffset() is not None
    canon = dates.format_instant(out)
    again = dates.parse_instant(canon)
    assert again == out.replace(microsecond=0)
    assert dates.format_instant(again) == canon  # canonical text is a fixed point
    for zone in SOME_ZONES:
        dates.period_of(dates.local_date(out, zone))


@PROPS
@given(x=hostile("instant"))
@example(x="0001-01-01T00:00:00+03:00")
@example(x="9999-12-31T23:00:00-03:00")
@example(x="9999-12-31T24:00:00Z")
@example(x="0001-01-01T00:00:00Z")
@example(x="9999-12-31T23:59:59Z")
@example(x="2026-11-20T12:00:00")
@example(x="2026-11-20T12:00:00+24:00")
@example(x="2026-11-20T12:00:00+03:00\ud800")
@example(x="2026-11-20T12:00:00+0٣:00")
@example(x="2026-11-20T12:00:00.123456789+03:00")
def test_parse_instant_refuses_or_returns_a_usable_instant(x: object) -> None:
    out = refused(dates.parse_instant, x, field=FIELD)
    if out is not REFUSED:
        _instant_is_usable(out)


@PROPS
@given(
    dt=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    offset_minutes=st.integers(-(24 * 60 - 1), 24 * 60 - 1),
    zulu=st.booleans(),
)
def test_instants_with_an_offset_are_accepted_or_refused_at_the_edges(dt, offset_minutes, zulu) -> None:
    tz = timezone.utc if zulu else timezone(timedelta(minutes=offset_minutes))
    aware = dt.replace(tzinfo=tz)
    text = aware.isoformat().replace("+00:00", "Z") if zulu else aware.isoformat()
    out = refused(dates.parse_instant, text, field=FIELD)
    if out is REFUSED:
        # Only at the very ends of datetime's range, where some zone's local time would not exist.
        assert dt < datetime(1, 1, 3) or dt > datetime(9999, 12, 29)
        return
    assert out == aware and out.utcoffset() == aware.utcoffset()
    _instant_is_usable(out)
    # The same instant written without an offset is refused: GKH_NOW must carry one.
    assert refused(dates.parse_instant, dt.isoformat(), field=FIELD) is REFUSED


@PROPS
@given(x=st.one_of(hostile("zone"), st.timezone_keys(), st.timezone_keys().map(lambda k: k.lower())))
@example(x="localtime")
@example(x="posixrules")
@example(x="../../etc/passwd")
@example(x="/etc/localtime")
@example(x="Europe")
@example(x="zone.tab")
@example(x="Europe/Moscow\x00")
@example(x="x" * 5000)
@example(x="a/" * 400 + "b")
def test_house_zone_refuses_or_returns_a_zone(x: object) -> None:
    out = refused(dates.house_zone, x, field=None, expect="timezone")
    if out is REFUSED:
        return
    assert isinstance(out, ZoneInfo)
    assert dates.house_zone(out.key) == out
    dates.local_date(datetime(2026, 11, 20, 12, tzinfo=timezone.utc), out)


# === readings ============================================================================================

READING_FRAGMENTS = st.sampled_from(["0", "00", "1", "9" * 15, "9" * 16, "0" * 40, ".", ",", "1234567", "12345678",
                                     "e5", "E-3", "_", "-", " ", "\u00a0", "+"])
reading_text = st.one_of(
    hostile("reading"),
    st.lists(st.one_of(READING_FRAGMENTS, st.text(alphabet="0123456789.,", max_size=10)), max_size=6).map("".join),
)


@PROPS
@given(x=reading_text)
@example(x="١٢٣")
@example(x="１２３")
@example(x="²")
@example(x="1e9")
@example(x="NaN")
@example(x="-0")
@example(x="Infinity")
@example(x="0" * 64 + "1")
@example(x="1_000")
@example(x="123,45\n")
@example(x="1.")
def test_parse_reading_value_refuses_or_returns_a_value_that_round_trips(x: object) -> None:
    out = refused(readings.parse_reading_value, x, field=FIELD)
    if out is REFUSED:
        return
    assert isinstance(out, Decimal) and out.is_finite() and out >= 0
    whole, frac = readings.digit_counts(out)
    assert whole <= readings.MAX_WHOLE_DIGITS and frac <= readings.MAX_FRACTION_DIGITS
    text = readings.canonical(out)
    back = readings.parse_reading_value(text)
    assert back == out and readings.canonical(back) == text
    assert Decimal(text) == out
    if "." in text:
        assert readings.parse_reading_value(text.replace(".", ",")) == out


@st.composite
def typed_reading(draw) -> tuple[Decimal, str]:
    whole = draw(st.text(alphabet=string.digits, min_size=1, max_size=readings.MAX_WHOLE_DIGITS))
    frac = draw(st.text(alphabet=string.digits, max_size=readings.MAX_FRACTION_DIGITS))
    zeros = draw(st.text(alphabet="0", max_size=5))
    point = draw(st.sampled_from(".,"))
    text = zeros + whole + (point + frac if frac else "")
    return Decimal(whole + ("." + frac if frac else "")), text


@PROPS
@given(pair=typed_reading(), pad=st.text(alphabet=" \t\n", max_size=2))
def test_readings_as_typed_are_accepted(pair: tuple[Decimal, str], pad: str) -> None:
    value, text = pair
    assert readings.parse_reading_value(pad + text + pad) == value


@PROPS
@given(data=st.data(), pair=typed_reading())
def test_readings_refuse_non_ascii_digits(data, pair: tuple[Decimal, str]) -> None:
    _, text = pair
    assert refused(readings.parse_reading_value, swap_one_digit(data.draw, text), field=FIELD) is REFUSED


@PROPS
@given(v=st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30, places=None)
       | st.decimals(allow_nan=False, allow_infinity=False, places=12))
@example(v=Decimal("-0.000"))
@example(v=Decimal("1E+2"))
@example(v=Decimal("0E-7"))
@example(v=Decimal("00010.100"))
def test_canonical_is_plain_digits_that_parse_back(v: Decimal) -> None:
    text = readings.canonical(v)
    assert Decimal(text) == v
    assert readings.canonical(Decimal(text)) == text
    assert "e" not in text.lower() and not text.endswith(".")
    unsigned = text.lstrip("-")
    assert unsigned == "0" or not unsigned.startswith("0") or unsigned.startswith("0.")
    if "." in text:
        assert not text.endswith("0")
    assert text != "-0"


meter_specs = st.builds(
    MeterSpec,
    zones=st.sampled_from([("T1",), ("T1", "T2"), ("T1", "T2", "T3")]),
    whole_digits=st.integers(1, readings.MAX_WHOLE_DIGITS),
    fraction_digits=st.integers(0, readings.MAX_FRACTION_DIGITS),
)
reading_objects = st.one_of(
    st.decimals(min_value=-(10**20), max_value=10**20),
    st.decimals(places=9, allow_nan=True),
    typed_reading().map(lambda pair: pair[0]),
    st.sampled_from([Decimal("-0"), Decimal("sNaN"), Decimal("-1E-7"), Decimal("1E+999999999"),
                     Decimal("1E-999999999"), 1, 10**5000, 1.5, "1", None]),
)


@PROPS
@given(spec=meter_specs, values=st.lists(reading_objects, max_size=4))
@example(spec=MeterSpec(("T1",), 5, 3), values=[Decimal("1E+999999999")])
@example(spec=MeterSpec(("T1",), 5, 3), values=[Decimal("1E-999999999")])
@example(spec=MeterSpec(("T1",), 5, 3), values=[10**5000])
def test_check_values_refuses_or_fits_the_meter(spec: MeterSpec, values: list) -> None:
    try:
        out = readings.check_values(spec, values, meter_id="M-000001")
    except InvalidInput as exc:  # malformed, for any meter or for this one: never a refusal (issue 10)
        assert exc.code in ("invalid", "wrong_zone_count", "too_many_digits")
        assert exc.field == "values" and len(exc.message) < 500
        return
    assert list(out) == list(spec.zones)
    for v in out.values():
        whole, frac = readings.digit_counts(v)
        assert v <= spec.largest and whole <= spec.whole_digits and frac <= spec.fraction_digits


@FEW
@given(zones=st.one_of(st.lists(st.sampled_from(["T1", "T2", "T3", "T4", "t1", ""]), max_size=4),
                       st.lists(hostile_text, max_size=2)),
       whole=st.one_of(st.integers(), st.booleans(), st.none(), st.floats(), hostile_text),
       frac=st.one_of(st.integers(), st.booleans(), st.none(), hostile_text),
       window=st.tuples(st.one_of(st.integers(), st.booleans(), st.none(), hostile_text),
                        st.one_of(st.integers(), st.booleans(), st.none(), hostile_text)))
def test_meter_and_window_settings_refuse_with_invalid_input(zones, whole, frac, window) -> None:
    spec = refused(MeterSpec, zones, whole, frac, field=None)
    if spec is not REFUSED:
        assert 1 <= spec.whole_digits <= 15 and 0 <= spec.fraction_digits <= 7
    win = refused(SubmissionWindow, *window, field=None)
    if win is not REFUSED:
        assert 1 <= win.from_day <= win.to_day <= 31


@PROPS
@given(x=st.one_of(st.none(), hostile("date")))
def test_reading_date_refuses_or_returns_a_date(x: object) -> None:
    now = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    out = refused(readings.reading_date, x, now, ZoneInfo("Europe/Moscow"), field=None, expect="date")
    assert out is REFUSED or type(out) is date


# === address search ======================================================================================

STREETS = ["Ленина", "Мира", "8 Марта", "1-я Тверская-Ямская", "Малышева", "Ёлочная", "Lenina", "Гагарина"]
TYPES = ["ул.", "ул", "улица", "пр-т", "проспект", "пер.", "наб.", "ш.", ""]


@st.composite
def typed_address(draw) -> str:
    town = draw(st.sampled_from(["", "г. Москва, ", "Москва ", "г Екатеринбург, "]))
    street = draw(st.sampled_from(STREETS))
    kind = draw(st.sampled_from(TYPES))
    number = draw(st.integers(1, 300))
    letter = draw(st.sampled_from(["", "а", "А", "б", "A", "/2"]))
    korpus = draw(st.sampled_from(["", ", корп. 2", " к2", " к. 3", ", стр. 1", " с1"]))
    house = draw(st.sampled_from([f"д. {number}{letter}", f"д{number}{letter}", f"{number}{letter}"]))
    return f"{town}{kind} {street}, {house}{korpus}"


address_text = st.one_of(
    hostile("address"), typed_address(), st.text(alphabet="0123456789 /.-,кКсСдДаAбk", max_size=30)
)


@PROPS
@given(x=address_text)
@example(x="1" * 5000)
@example(x="ленина " + "0" * 5000 + "5")
@example(x="٥")
@example(x="д." * 50)
def test_address_search_refuses_or_finds_itself(x: object) -> None:
    tokens = refused(address.address_tokens, x, field=None, expect="q")
    key = refused(address.search_key, x, field=None, expect="q")
    needles = refused(address.query_needles, x, field=None, expect="q")
    if tokens is REFUSED:
        assert key is REFUSED and needles is REFUSED
        return
    assert key == " " + " ".join(tokens) + " "
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    # Only ASCII digits make numbers (other scripts' digits are separators).
    assert all(c in string.digits or not c.isdigit() for t in tokens for c in t)
    if needles is not REFUSED:
        # An address typed as a query always finds the house it came from.
        assert address.matches(key, needles)
        assert len(needles) == len(set(needles))


@PROPS
@given(x=st.one_of(typed_address(), st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюя 0123456789.,-/",
                                             max_size=40)))
def test_address_search_ignores_case_and_yo(x: str) -> None:
    tokens = address.address_tokens(x)
    assert address.address_tokens(x.upper()) == tokens
    assert address.address_tokens(x.replace("ё", "е").replace("Ё", "Е")) == tokens


CYRILLIC_TO_LATIN = {**{c: latin[0] for c, latin in LATIN_TWINS.items()},
                     **{c.lower(): latin[1] for c, latin in LATIN_TWINS.items()}}


@PROPS
@given(x=typed_address(), data=st.data())
@example(x="г. Москва, пр-т Мира, д. 12, корп. 2", data=None)
def test_an_address_typed_with_latin_twins_reads_the_same(x: str, data) -> None:
    typed = "".join(data.draw(st.sampled_from([c, CYRILLIC_TO_LATIN[c]])) if data and c in CYRILLIC_TO_LATIN
                    else CYRILLIC_TO_LATIN.get(c, c) for c in x)
    assert address.address_tokens(typed) == address.address_tokens(x), typed


# === long input: linear time =============================================================================

N = 100_000
LONG_INPUTS = {
    "digits": "1" * N,
    "zeros then 1": "0" * N + "1",
    "digits then x": "1" * N + "x",
    "spaced digits": "1 " * (N // 2),
    "groups of thousands": "1" + " 234" * (N // 4) + ",5x",
    "digits and commas": "1," * (N // 2),
    "digits and points": "1." * (N // 2),
    "spaces then digit": " " * N + "1",
    "spaces inside": "1" + " " * N + "1",
    "hyphens": "-" * N,
    "slashes": "5/" * (N // 2),
    "cyrillic": "ленина " * (N // 7),
    "marker glued": "д5к2" * (N // 4),
    "non-ascii digits": "١" * N,
    "els-ish": "75ДА" * (N // 4),
    "iso-ish": "2026-11-20T" * (N // 11),
    "surrogates": "\ud800" * N,
}
PARSERS = {
    "normalize_els": identifiers.normalize_els,
    "normalize_izhku": identifiers.normalize_izhku,
    "normalize_ipd": identifiers.normalize_ipd,
    "normalize_account_number": identifiers.normalize_account_number,
    "normalize_fias_guid": identifiers.normalize_fias_guid,
    "normalize_inn": identifiers.normalize_inn,
    "normalize_ogrn": identifiers.normalize_ogrn,
    "payer_id_kind": identifiers.payer_id_kind,
    "inn_is_valid": identifiers.inn_is_valid,
    "complete_inn10": identifiers.complete_inn10,
    "quoted": identifiers.quoted,
    "parse_amount": money.parse_amount,
    "parse_percent": money.parse_percent,
    "parse_person_date": dates.parse_person_date,
    "parse_period": dates.parse_period,
    "parse_instant": dates.parse_instant,
    "house_zone": dates.house_zone,
    "parse_reading_value": readings.parse_reading_value,
    "address_tokens": address.address_tokens,
    "query_needles": address.query_needles,
}
# A linear pass over 100 000 characters takes milliseconds (address_tokens, the slowest, a few tenths); a
# quadratic one minutes in Python, seconds in C. Besides a budget, growth is checked: ten times the input may
# cost about ten times the time (50× allows for caches and a busy machine), not a hundred. Both sizes are
# timed as the best of three runs, so one stall of a shared machine does not decide.
BUDGET_SECONDS = 3.0


def _seconds(parse, text: str, runs: int = 1) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        refused(parse, text, field=None)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_long_input_takes_linear_time(name: str) -> None:
    parse = PARSERS[name]
    for shape, text in LONG_INPUTS.items():
        big = _seconds(parse, text)
        assert big < BUDGET_SECONDS, f"{name} took {big:.2f} s on {shape!r} ({len(text)} characters)"
        if big > 0.05:
            small = _seconds(parse, text[: len(text) // 10], runs=3)
            big = min(big, _seconds(parse, text, runs=2))
            assert big < 50 * max(small, 0.002), f"{name} on {shape!r}: {small:.3f} s for 1/10, {big:.3f} s for all"
