"""Batch files as Excel and 1C export them: the encoding decided over the whole file, the delimiter from the
header, and the header's English or Russian names."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gkh.domain.batch import (
    ACCOUNT_FIELDS,
    BOM,
    READING_FIELDS,
    EncodingProbe,
    RowProblem,
    map_header,
    parse_owner_row,
    sniff_delimiter,
)
from gkh.domain.errors import InvalidInput

ROWS_RU = "дом;квартира;лицевой счёт;площадь;плательщик\r\nленина 5;12;87892735;68,6;Иванов Иван Петрович\r\n"


def probe(data: bytes, chunk: int = 7) -> str:
    found = EncodingProbe()
    for start in range(0, len(data), chunk):
        found.feed(data[start:start + chunk])
    assert found.size == len(data)
    return found.encoding()


@pytest.mark.parametrize(("data", "encoding"), [
    (ROWS_RU.encode("cp1251"), "cp1251"),
    (ROWS_RU.encode("utf-8"), "utf-8"),
    (BOM + ROWS_RU.encode("utf-8"), "utf-8-sig"),
    (b"house,flat\r\n" * 5000 + "ленина 5;12\r\n".encode("cp1251"), "cp1251"),  # ASCII for 60 000 bytes first
    (b"house,flat\r\n", "utf-8"),
    (b"", "utf-8"),
    ("ленина".encode()[:-1], "cp1251"),  # ends inside a character
])
def test_the_encoding_is_decided_over_the_whole_file(data, encoding):
    assert probe(data) == encoding
    assert probe(data, chunk=1) == encoding  # a character or a BOM split across chunks reads the same


@pytest.mark.parametrize(("header", "delimiter"), [
    ("дом;квартира;площадь", ";"),
    ("house,flat,area", ","),
    ("house\tflat\tarea", "\t"),
    ("meter", ","),
])
def test_the_delimiter_comes_from_the_header(header, delimiter):
    assert sniff_delimiter(header) == delimiter


def test_russian_and_english_names_and_what_people_type():
    header = ["\ufeffДом", "№ квартиры.", "Лицевой счёт", "ЕЛС", "Площадь", "payer", ""]
    assert map_header(header, ACCOUNT_FIELDS) == {"house": 0, "flat": 1, "number": 2, "els": 3, "area": 4,
                                                   "payer": 5}
    assert map_header(["Счётчик", "T1", "Т2", "Дата показаний"], READING_FIELDS) == {
        "meter": 0, "T1": 1, "T2": 2, "date": 3}


def test_a_header_that_cannot_be_read_names_the_problem_and_lists_the_expected():
    with pytest.raises(InvalidInput) as caught:
        map_header(["дом", "квартира", "лицевой счет", "плательщик", "телефон"], ACCOUNT_FIELDS)
    assert caught.value.message.startswith("line 1: unknown column 'телефон'; expected: house (дом); flat (")
    with pytest.raises(InvalidInput, match="line 1: column house is there twice \\(as 1 and 2\\)"):
        map_header(["дом", "адрес", "квартира"], ACCOUNT_FIELDS)
    with pytest.raises(InvalidInput, match="line 1: the header lacks number, payer; expected"):
        map_header(["house", "flat"], ACCOUNT_FIELDS)


def account(**cells: str) -> dict[str, str]:
    return {"house": "ленина 5", "flat": "12", "number": "87892735", "payer": "Иванов Иван Петрович", **cells}


def test_an_account_row_as_a_spreadsheet_has_it():
    from decimal import Decimal

    from gkh.domain.batch import parse_account_row

    row = parse_account_row(2, account(els="77еж532838", area="68,6", share="1/2", kind="Собственник",
                                       meter_serial="ХВ-21-115444", meter_resource="ХВС"))
    assert (row.els, row.area, row.share, row.kind) == ("77ЕЖ532838", Decimal("68.6"), Fraction(1, 2), "owner")
    assert (row.meter_serial, row.meter_resource, row.meter_zones) == ("ХВ-21-115444", "cold_water", 1)
    plain = parse_account_row(3, account(share="0,5", kind="", area=""))
    assert (plain.share, plain.kind, plain.area, plain.meter_serial) == (Fraction(1, 2), None, None, None)


@pytest.mark.parametrize(("cells", "message"), [
    ({"flat": " "}, "line 7: flat: empty"),
    ({"number": ""}, "line 7: number: account number must be 1–30 characters; got an empty value"),
    ({"area": "-5"}, "line 7: area: must be square metres above 0 with at most 2 decimals"),
    ({"area": "54,333"}, "line 7: area: must be square metres above 0"),
    ({"share": "3/2"}, "line 7: share: must be a share of the flat above 0 and at most 1"),
    ({"share": "1/0"}, "line 7: share: must be a share"),
    ({"kind": "арендатор"}, "line 7: kind: must be owner or tenant"),
    ({"els": "12345"}, "line 7: els: "),
    ({"meter_resource": "ХВС"}, "line 7: meter_serial: a meter's resource or zones without its serial number"),
    ({"meter_serial": "123", "meter_resource": "вода"}, "line 7: meter_resource: must be one of"),
    ({"meter_serial": "123", "meter_resource": "газ", "meter_zones": "4"}, "line 7: meter_zones: must be 1, 2 or 3"),
    ({"payer": "я" * 201}, "line 7: payer: longer than 200 characters"),
])
def test_a_bad_account_row_names_its_line_and_field(cells, message):
    from gkh.domain.batch import RowProblem, parse_account_row

    with pytest.raises(RowProblem) as caught:
        parse_account_row(7, account(**cells))
    assert caught.value.message.startswith(message)
    assert caught.value.line == 7


def test_a_reading_row_with_decimal_commas_and_a_short_year():
    from datetime import date
    from decimal import Decimal

    from gkh.domain.batch import parse_reading_row

    row = parse_reading_row(4, {"meter": " ХВ-21-115444 ", "T1": "2700,5", "date": "20.11.26"})
    assert (row.meter, row.values, row.taken_on) == ("ХВ-21-115444", (Decimal("2700.5"),), date(2026, 11, 20))
    three = parse_reading_row(5, {"meter": "M-000452", "T1": "2810,4", "T2": "3601.2", "T3": "2544,9", "date": ""})
    assert three.values == (Decimal("2810.4"), Decimal("3601.2"), Decimal("2544.9")) and three.taken_on is None


@pytest.mark.parametrize(("cells", "message"), [
    ({"meter": ""}, "line 9: meter: empty"),
    ({"T1": ""}, "line 9: T1: empty, though T2 is given"),
    ({"T2": "", "T3": "5"}, "line 9: T2: empty, though T3 is given"),
    ({"T1": "-1"}, "line 9: T1: T1 must not be negative"),
    ({"date": "31.02.2026"}, "line 9: date: "),
])
def test_a_bad_reading_row_names_its_line_and_field(cells, message):
    from gkh.domain.batch import RowProblem, parse_reading_row

    with pytest.raises(RowProblem) as caught:
        parse_reading_row(9, {"meter": "M-000452", "T1": "1", "T2": "2", **cells})
    assert caught.value.message.startswith(message)


HOUSE = {"guid": "F88DFF80-7A02-4289-80BE-EDCA9D932149", "address": "г. Москва, ул. Строителей, д. 5",
         "town": "Москва", "oktmo": "45376000", "region": "77"}


def test_a_houses_header_in_russian_maps_to_the_house_fields():
    from gkh.domain.batch import HOUSE_FIELDS

    header = ["ФИАС", "Адрес", "Город", "ОКТМО", "Регион", "Часовой пояс", "Окно с", "Окно по",
              "Управляющая организация", "Год постройки", "Этажность", "Подъезды", "Общая площадь", "Жилая площадь",
              "Состояние", "Класс энергоэффективности"]
    assert list(map_header(header, HOUSE_FIELDS)) == [f.name for f in HOUSE_FIELDS]


def test_a_house_row_is_read_with_its_passport_and_empty_cells_as_none():
    from decimal import Decimal

    from gkh.domain.batch import parse_house_row

    row = parse_house_row(2, {**HOUSE, "managing_org": "7705124833", "total_area": "15 230,5", "floors": "17",
                              "condition": "Исправный", "energy_class": "в"})  # a Cyrillic В, as people type it
    assert (row.guid, row.oktmo, row.region) == ("f88dff80-7a02-4289-80be-edca9d932149", "45376000", "77")
    assert (row.managing_org, row.total_area, row.floors) == ("7705124833", Decimal("15230.5"), 17)
    assert (row.condition, row.energy_class) == ("исправный", "B")
    assert (row.timezone, row.window_from, row.window_to, row.living_area) == (None, None, None, None)


@pytest.mark.parametrize(("cells", "message"), [
    ({"guid": ""}, "line 4: guid: empty"),
    ({"guid": "дом 5"}, "line 4: guid: FIAS GUID must be"),
    ({"address": "x" * 301}, "line 4: address: longer than 300 characters"),
    ({"oktmo": "4537600"}, "line 4: oktmo: must be 8 or 11 digits"),
    ({"region": "777"}, "line 4: region: must be the region's 2 digits"),
    ({"timezone": "Europe/Mordor"}, "line 4: timezone: timezone must be an IANA zone name"),
    ({"window_from": "0"}, "line 4: window_from: must be a whole number from 1 to 31"),
    ({"window_from": "20", "window_to": "10"}, "line 4: window_to: the window would close on day 10"),
    ({"managing_org": "7705124834"}, "line 4: managing_org: "),
    ({"year_built": "1492"}, "line 4: year_built: must be a whole number from 1700 to 2100"),
    ({"total_area": "-5"}, "line 4: total_area: must be square metres above 0"),
    ({"total_area": "100", "living_area": "200"}, "line 4: living_area: larger than the total area 100"),
    ({"condition": "хороший"}, "line 4: condition: must be one of исправный, ветхий, аварийный"),
    ({"energy_class": "Z"}, "line 4: energy_class: must be one of A++, A+, A, B"),
])
def test_a_bad_house_row_names_its_line_and_field(cells, message):
    from gkh.domain.batch import RowProblem, parse_house_row

    with pytest.raises(RowProblem) as caught:
        parse_house_row(4, {**HOUSE, **cells})
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(("cell", "share"), [("", Fraction(1)), ("1/3", Fraction(1, 3)), ("0,25", Fraction(1, 4)),
                                             ("0", Fraction(0)), ("0,00", Fraction(0))])
def test_an_owner_s_share_or_0_for_an_ownership_that_has_ended(cell, share):
    row = parse_owner_row(4, {"house": "ленина 5", "flat": "12", "owner": "Иванов  Иван", "share": cell})
    assert (row.share, row.owner) == (share, "Иванов Иван")


@pytest.mark.parametrize("cell", ["-1/2", "3/2", "1/0", "половина"])
def test_an_owner_s_share_out_of_bounds_is_refused_naming_what_it_may_be(cell):
    with pytest.raises(RowProblem, match=r"^line 4: share: must be a share of the flat up to 1 \(1/2, 0,5 or 1\), "
                                         r"or 0 for an owner whose ownership has ended"):
        parse_owner_row(4, {"house": "ленина 5", "flat": "12", "owner": "Иванов Иван", "share": cell})
