"""CSV for programs and CSV for Excel as people in Russia have it: -o csv stays RFC 4180 (UTF-8 without a BOM,
commas, dot decimals); -o excel is UTF-8 with a BOM, semicolons, CRLF, decimal commas in number columns, and
text Excel would mangle (leading zeros, day-like numbers, long digit strings, formulas) kept as text."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from gkh.output import Column, Columns, excel_cell, render

ACCOUNTS = Columns(
    Column("els", "ELS", kind="id"),
    Column("number", "Number", kind="id"),
    Column("flat", "Flat", kind="id"),
    Column("area", "Area", kind="number"),
    Column("reading", "Reading", kind="number"),
    Column("opened_on", "Opened on", kind="date"),
    Column("payer", "Payer"),
)
ROW = {"els": "77ЕЖ532838", "number": "00123", "flat": "12", "area": "31.9", "reading": "2671.947",
       "opened_on": "2015-03-01", "payer": 'Иванов "Иван"; Петрович'}


def rendered(data, fmt: str, **kwargs) -> str:
    out = io.StringIO()
    render(data, fmt=fmt, stream=out, columns=ACCOUNTS, **kwargs)
    return out.getvalue()


def test_csv_is_plain_rfc_4180_for_programs(pipe):
    assert rendered([ROW], "csv") == (
        "els,number,flat,area,reading,opened_on,payer\n"
        '77ЕЖ532838,00123,12,31.9,2671.947,2015-03-01,"Иванов ""Иван""; Петрович"\n'
    )


def test_excel_has_a_bom_semicolons_crlf_decimal_commas_and_text_kept_as_text(pipe):
    assert rendered([ROW], "excel") == (
        "\ufeffels;number;flat;area;reading;opened_on;payer\r\n"
        '77ЕЖ532838;"=""00123""";"=""12""";31,9;2671,947;2015-03-01;"Иванов ""Иван""; Петрович"\r\n'
    )


def test_excel_reads_back_as_the_same_table_through_the_csv_module(pipe):
    text = rendered([ROW, {**ROW, "number": "ЭС-036322", "area": None}], "excel")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert rows[0] == ACCOUNTS.names
    assert rows[2] == ["77ЕЖ532838", "ЭС-036322", '="12"', "", "2671,947", "2015-03-01", 'Иванов "Иван"; Петрович']


def test_an_empty_list_in_excel_is_the_bom_and_the_header(pipe):
    assert rendered([], "excel") == "\ufeffels;number;flat;area;reading;opened_on;payer\r\n"


@pytest.mark.parametrize(("value", "kind", "written"), [
    # number columns: a decimal comma, so 31.9 is a number and not the 31st of September
    ("31.9", "number", "31,9"),
    ("-5.25", "number", "-5,25"),
    (11, "number", "11"),
    ("1234567890.12345", "number", "1234567890,12345"),  # 15 digits: Excel keeps them all
    ("123456789012345.6", "number", '="123456789012345.6"'),  # 16: Excel would round it, so it stays text
    ("n/a", "number", "n/a"),
    ("=1+1", "number", '="=1+1"'),  # not a number: the text rules apply
    # an ISO date in a date column: Excel reads it as the date it is
    ("2026-11-20", "date", "2026-11-20"),
    ("2026-11-20T09:00:00+00:00", "date", "2026-11-20T09:00:00+00:00"),  # Excel leaves it as text by itself
    # text Excel would turn into a number, a date or a formula
    ("00123", "id", '="00123"'),  # leading zeros of an account number
    ("7705124833", "id", '="7705124833"'),  # an ИНН: an identifier, not a number (12-13 digits: 7,7E+11)
    ("31.9", "text", '="31.9"'),  # a day in text columns
    ("1.10", "text", '="1.10"'),
    ("2026-11", "id", '="2026-11"'),  # a period, not November's first day
    ("12/5", "text", '="12/5"'),
    ("1e5", "text", '="1e5"'),
    ("10:30", "text", '="10:30"'),
    ("+7 495 214-37-60", "id", '="+7 495 214-37-60"'),
    ("-", "text", '="-"'),
    ('=HYPERLINK("http://evil")', "text", '="=HYPERLINK(""http://evil"")"'),
    ("@cmd", "text", '="@cmd"'),
    # text Excel leaves alone
    ("77ЕЖ532838", "id", "77ЕЖ532838"),
    ("ХВ-21-115444", "id", "ХВ-21-115444"),
    ("M-000023", "id", "M-000023"),
    ("T1;T2;T3", "text", "T1;T2;T3"),
    ("true", "text", "true"),
    ("г. Москва, ул. Ленина, д. 5", "address", "г. Москва, ул. Ленина, д. 5"),
    ("", "text", ""),
    (None, "number", ""),
])
def test_excel_cell(value, kind, written):
    assert excel_cell(value, kind) == written


def test_long_text_excel_would_take_for_a_formula_is_prefixed_not_quoted_in_a_formula():
    """A formula's string may hold 255 characters: past that the cell gets a visible, inert apostrophe."""
    long = "=" + "x" * 300
    assert excel_cell(long) == "'" + long
    assert excel_cell("-\nmultiline") == "'-\nmultiline"
    assert excel_cell("=" + "x" * 254) == '="=' + "x" * 254 + '"'


class LegacyConsole(io.TextIOWrapper):
    """stdout in a Windows-1251 console: what gkh writes as csv/excel must still be UTF-8."""

    def __init__(self):
        super().__init__(io.BytesIO(), encoding="cp1251")


@pytest.mark.parametrize(("fmt", "starts"), [("excel", codecs.BOM_UTF8), ("csv", b"els,")])
def test_csv_and_excel_are_utf8_bytes_whatever_the_streams_encoding(pipe, fmt, starts):
    console = LegacyConsole()
    render([ROW], fmt=fmt, stream=console, columns=ACCOUNTS)
    written = console.buffer.getvalue()
    assert written.startswith(starts) and "Иванов".encode() in written
