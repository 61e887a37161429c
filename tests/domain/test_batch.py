"""Batch files as Excel and 1C export them: the encoding decided over the whole file, the delimiter from the
header, and the header's English or Russian names."""

from __future__ import annotations

import pytest

from gkh.domain.batch import ACCOUNT_FIELDS, BOM, READING_FIELDS, EncodingProbe, map_header, sniff_delimiter
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
