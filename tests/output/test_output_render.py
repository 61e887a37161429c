"""The one renderer: every format, on and off a terminal, with the exact text a user or a script gets."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from gkh.output import FORMATS, cell, flatten, is_terminal, message, render, warn

ACCOUNTS = [
    {
        "els": "77ЕЖ532838",
        "organisation": {"name": "ООО «УК»", "inn": "7705124833"},
        "zones": ["T1", "T2"],
        "flat": None,
    },
    {
        "els": "75ДА533315",
        "organisation": {"name": "ТСЖ Мира 12", "inn": "7701234564"},
        "zones": [],
        "flat": "12",
    },
]

HEADER = ["els", "organisation.name", "organisation.inn", "zones", "flat"]


def rendered(data, **kwargs) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    render(data, stream=out, err=err, **kwargs)
    return out.getvalue(), err.getvalue()


# --- a list of accounts in each format -------------------------------------------------------------


def test_json_is_the_data_exactly_with_cyrillic_kept(pipe):
    out, err = rendered(ACCOUNTS, fmt="json")
    assert out == (
        "[\n"
        "  {\n"
        '    "els": "77ЕЖ532838",\n'
        '    "organisation": {\n'
        '      "name": "ООО «УК»",\n'
        '      "inn": "7705124833"\n'
        "    },\n"
        '    "zones": [\n'
        '      "T1",\n'
        '      "T2"\n'
        "    ],\n"
        '    "flat": null\n'
        "  },\n"
        "  {\n"
        '    "els": "75ДА533315",\n'
        '    "organisation": {\n'
        '      "name": "ТСЖ Мира 12",\n'
        '      "inn": "7701234564"\n'
        "    },\n"
        '    "zones": [],\n'
        '    "flat": "12"\n'
        "  }\n"
        "]\n"
    )
    assert json.loads(out) == ACCOUNTS
    assert "\\u" not in out
    assert err == ""


def test_csv_has_a_header_then_flattened_rows(pipe):
    out, _ = rendered(ACCOUNTS, fmt="csv")
    assert out == (
        "els,organisation.name,organisation.inn,zones,flat\n"
        "77ЕЖ532838,ООО «УК»,7705124833,T1;T2,\n"
        "75ДА533315,ТСЖ Мира 12,7701234564,,12\n"
    )


def test_explicit_tsv_has_a_header_then_rows(pipe):
    out, _ = rendered(ACCOUNTS, fmt="tsv")
    assert out == (
        "els\torganisation.name\torganisation.inn\tzones\tflat\n"
        "77ЕЖ532838\tООО «УК»\t7705124833\tT1;T2\t\n"
        "75ДА533315\tТСЖ Мира 12\t7701234564\t\t12\n"
    )


def test_without_o_off_a_terminal_rows_are_tab_separated_without_a_header(pipe):
    out, err = rendered(ACCOUNTS)
    assert out == (
        "77ЕЖ532838\tООО «УК»\t7705124833\tT1;T2\t\n"
        "75ДА533315\tТСЖ Мира 12\t7701234564\t\t12\n"
    )
    assert [line.split("\t") for line in out.splitlines()][1][1] == "ТСЖ Мира 12"  # what `cut -f2` sees
    assert err == ""


def test_without_o_on_a_terminal_it_is_a_table_with_headers(terminal):
    out, _ = rendered(ACCOUNTS)
    assert out == (
        "els         organisation.name  organisation.inn  zones  flat\n"
        "----------  -----------------  ----------------  -----  ----\n"
        "77ЕЖ532838  ООО «УК»           7705124833        T1;T2\n"
        "75ДА533315  ТСЖ Мира 12        7701234564               12\n"
    )
    assert rendered(ACCOUNTS, fmt="table") == (out, "")


def test_table_asked_for_off_a_terminal_is_the_same_plain_table(pipe, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out, _ = rendered(ACCOUNTS, fmt="table")
    assert out.splitlines()[0].split() == HEADER
    assert "\x1b[" not in out


def test_the_same_fields_in_csv_tsv_table_headers_and_json_keys(terminal):
    rows = [
        {"id": "M-000001", "values": {"T1": Decimal("10.5")}},
        {"id": "M-000002", "values": {"T1": Decimal("3"), "T2": Decimal("4")}, "note": "x"},
    ]
    expected = ["id", "values.T1", "values.T2", "note"]
    csv_header = rendered(rows, fmt="csv")[0].splitlines()[0].split(",")
    tsv_header = rendered(rows, fmt="tsv")[0].splitlines()[0].split("\t")
    table_header = rendered(rows, fmt="table")[0].splitlines()[0].split()
    assert csv_header == tsv_header == table_header == expected
    assert list(flatten(json.loads(rendered(rows, fmt="json")[0])[1])) == ["id", "values.T1", "values.T2", "note"]
    # A row without a field gets an empty cell, so the columns stay in place.
    assert rendered(rows, fmt="tsv")[0].splitlines()[1] == "M-000001\t10.5\t\t"


# --- columns ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", "flat,els,organisation.inn\n,77ЕЖ532838,7705124833\n12,75ДА533315,7701234564\n"),
        ("tsv", "flat\tels\torganisation.inn\n\t77ЕЖ532838\t7705124833\n12\t75ДА533315\t7701234564\n"),
        (None, "\t77ЕЖ532838\t7705124833\n12\t75ДА533315\t7701234564\n"),
    ],
)
def test_columns_choose_and_order_the_fields(pipe, fmt, expected):
    out, _ = rendered(ACCOUNTS, fmt=fmt, columns=["flat", "els", "organisation.inn"])
    assert out == expected


def test_columns_order_the_table_and_a_column_empty_in_every_row_is_left_out_of_it(terminal):
    out, _ = rendered(ACCOUNTS, fmt="table", columns=["flat", "els", "balance"])
    assert out == (
        "flat  els\n"
        "----  ----------\n"
        "      77ЕЖ532838\n"
        "12    75ДА533315\n"
    )
    assert rendered(ACCOUNTS, fmt="wide", columns=["els", "balance"])[0] == (
        "els         balance\n"
        "----------  -------\n"
        "77ЕЖ532838\n"
        "75ДА533315\n"
    )
    assert rendered(ACCOUNTS, fmt="csv", columns=["els", "balance"])[0] == "els,balance\n77ЕЖ532838,\n75ДА533315,\n"


def test_json_ignores_columns_and_stays_the_whole_data(pipe):
    out, _ = rendered(ACCOUNTS, fmt="json", columns=["els"])
    assert json.loads(out) == ACCOUNTS


# --- a single object ---------------------------------------------------------------------------------

ACCOUNT = ACCOUNTS[0]


def test_single_object_as_json_is_an_object(pipe):
    out, _ = rendered(ACCOUNT, fmt="json")
    assert out.startswith("{\n") and out.endswith("}\n")
    assert json.loads(out) == ACCOUNT


def test_single_object_as_csv_is_one_row_with_a_header(pipe):
    out, _ = rendered(ACCOUNT, fmt="csv")
    assert out == "els,organisation.name,organisation.inn,zones,flat\n77ЕЖ532838,ООО «УК»,7705124833,T1;T2,\n"


def test_single_object_as_tsv_is_one_row_with_a_header(pipe):
    out, _ = rendered(ACCOUNT, fmt="tsv")
    assert out == "els\torganisation.name\torganisation.inn\tzones\tflat\n77ЕЖ532838\tООО «УК»\t7705124833\tT1;T2\t\n"


def test_single_object_off_a_terminal_is_one_row_without_a_header(pipe):
    out, _ = rendered(ACCOUNT)
    assert out == "77ЕЖ532838\tООО «УК»\t7705124833\tT1;T2\t\n"


def test_single_object_on_a_terminal_reads_down_as_field_and_value(terminal):
    out, _ = rendered(ACCOUNT)
    assert out == (  # a field without a value (flat) is left out
        "els:                77ЕЖ532838\n"
        "organisation.name:  ООО «УК»\n"
        "organisation.inn:   7705124833\n"
        "zones:              T1;T2\n"
    )
    assert rendered(ACCOUNT, fmt="table", columns=["organisation.inn", "els"])[0] == (
        "organisation.inn:  7705124833\n"
        "els:               77ЕЖ532838\n"
    )
    assert rendered(ACCOUNT, fmt="wide")[0] == out


# --- empty lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tty", ["1", "0"])
def test_json_of_an_empty_list_is_an_empty_array(monkeypatch, tty):
    monkeypatch.setenv("GKH_FORCE_TTY", tty)
    assert rendered([], fmt="json", empty="No accounts linked.") == ("[]\n", "")


def test_csv_of_an_empty_list_is_the_header_when_columns_are_known_else_nothing(pipe):
    assert rendered([], fmt="csv", columns=["els", "flat"]) == ("els,flat\n", "")
    assert rendered([], fmt="csv") == ("", "")


@pytest.mark.parametrize("fmt", [None, "table", "tsv"])
def test_empty_list_on_a_terminal_says_so_on_stderr_only(terminal, fmt):
    out, err = rendered([], fmt=fmt, empty="No accounts linked. Link one with: gkh account link ELS")
    assert out == ""
    assert err == "No accounts linked. Link one with: gkh account link ELS\n"


@pytest.mark.parametrize("fmt", [None, "table", "tsv"])
def test_empty_list_off_a_terminal_prints_nothing_anywhere(pipe, fmt):
    assert rendered([], fmt=fmt, empty="No accounts linked.") == ("", "")


def test_empty_message_goes_to_stderr_by_default(terminal, capsys):
    render([], stream=io.StringIO(), empty="Nothing to show.")
    assert capsys.readouterr() == ("", "Nothing to show.\n")


# --- cells ------------------------------------------------------------------------------------------------


def test_lists_are_joined_in_flat_formats_but_stay_arrays_in_json(pipe):
    rows = [{"id": "M-000001", "zones": ["T1", "T2", "T3"]}, {"id": "M-000002", "zones": []}]
    assert rendered(rows, fmt="csv")[0] == "id,zones\nM-000001,T1;T2;T3\nM-000002,\n"
    assert rendered(rows, fmt="tsv")[0] == "id\tzones\nM-000001\tT1;T2;T3\nM-000002\t\n"
    assert json.loads(rendered(rows, fmt="json")[0]) == rows
    assert '"zones": []' in rendered(rows, fmt="json")[0]


def test_a_list_of_objects_is_json_text_in_flat_formats(pipe):
    row = {"id": "MT-000001", "agenda": [{"n": 1, "text": "Ремонт крыши"}]}
    assert rendered(row)[0] == 'MT-000001\t[{"n":1,"text":"Ремонт крыши"}]\n'


def test_tabs_and_newlines_in_tsv_values_become_single_spaces(pipe):
    row = {"id": "A-000001", "text": "Течёт\tкрыша\nв подъезде 2\r\nсрочно"}
    assert rendered(row, fmt="tsv")[0] == "id\ttext\nA-000001\tТечёт крыша в подъезде 2 срочно\n"
    assert rendered(row)[0] == "A-000001\tТечёт крыша в подъезде 2 срочно\n"
    # csv keeps the text and quotes it, as the csv module does.
    assert rendered(row, fmt="csv")[0] == 'id,text\nA-000001,"Течёт\tкрыша\nв подъезде 2\r\nсрочно"\n'


def test_csv_quotes_commas_and_quotes(pipe):
    row = {"name": 'ООО "УК", Мира', "inn": "7705124833"}
    assert rendered(row, fmt="csv")[0] == 'name,inn\n"ООО ""УК"", Мира",7705124833\n'


def test_money_dates_and_booleans(pipe):
    row = {
        "amount": Decimal("1234.50"),
        "reading": Decimal("0.0000001"),
        "due": date(2026, 12, 10),
        "paid_at": datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        "important": True,
        "advance": False,
        "count": 3,
    }
    assert rendered(row)[0] == "1234.50\t0.0000001\t2026-12-10\t2026-11-20T09:00:00+00:00\ttrue\tfalse\t3\n"
    assert json.loads(rendered(row, fmt="json")[0]) == {
        "amount": "1234.50",
        "reading": "0.0000001",
        "due": "2026-12-10",
        "paid_at": "2026-11-20T09:00:00+00:00",
        "important": True,
        "advance": False,
        "count": 3,
    }


def test_table_shows_numbers_as_sent_not_reparsed(terminal):
    out, _ = rendered([{"amount": "1234.50", "flat": "007"}], fmt="table")
    assert out.splitlines()[2].split() == ["1234.50", "007"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        ([], ""),
        (["T1", "T2"], "T1;T2"),
        ([1, None, True], "1;;true"),
        (12, "12"),
        (1.5, "1.5"),
        (Decimal("1234.56"), "1234.56"),
        ("ООО «УК»", "ООО «УК»"),
    ],
)
def test_cell(value, expected):
    assert cell(value) == expected


def test_cell_in_tsv_flattens_breaks():
    assert cell("a\tb\nc", "tsv") == "a b c"
    assert cell("a\tb\nc") == "a\tb\nc"


def test_flatten_keeps_order_and_dots_nested_objects():
    obj = {"id": "P-1", "payee": {"name": "УК", "bank": {"bik": "044525225"}}, "zones": ["T1"], "empty": {}}
    assert flatten(obj) == {"id": "P-1", "payee.name": "УК", "payee.bank.bik": "044525225", "zones": ["T1"]}
    assert list(flatten(obj)) == ["id", "payee.name", "payee.bank.bik", "zones"]


# --- streams, terminals, messages ------------------------------------------------------------------------


def test_stdout_is_looked_up_when_rendering(pipe, monkeypatch):
    swapped = io.StringIO()
    monkeypatch.setattr(sys, "stdout", swapped)
    render({"els": "77ЕЖ532838"}, fmt="csv")
    assert swapped.getvalue() == "els\n77ЕЖ532838\n"


def test_unknown_format_is_refused():
    assert FORMATS == ("table", "wide", "json", "csv", "tsv", "excel")
    with pytest.raises(ValueError, match="table, wide, json, csv, tsv, excel"):
        render([], fmt="yaml", stream=io.StringIO())


@pytest.mark.parametrize(("forced", "expected"), [("1", True), ("true", True), ("0", False), ("FALSE", False)])
def test_gkh_force_tty_overrides_the_stream(monkeypatch, forced, expected):
    monkeypatch.setenv("GKH_FORCE_TTY", forced)
    assert is_terminal(io.StringIO()) is expected


def test_is_terminal_asks_the_stream_and_survives_streams_without_isatty(monkeypatch):
    monkeypatch.delenv("GKH_FORCE_TTY", raising=False)

    class Tty(io.StringIO):
        def isatty(self):
            return True

    class Closed:
        def isatty(self):
            raise ValueError("I/O operation on closed file")

    assert is_terminal(Tty()) is True
    assert is_terminal(io.StringIO()) is False
    assert is_terminal(object()) is False
    assert is_terminal(Closed()) is False


def test_message_and_warn_go_to_stderr_even_off_a_terminal(pipe, capsys):
    message("Signed in as the demo resident.")
    warn("the reading is 40 times last month's consumption")
    assert capsys.readouterr() == (
        "",
        "Signed in as the demo resident.\nwarning: the reading is 40 times last month's consumption\n",
    )
    err = io.StringIO()
    warn("overpayment of 100.00 becomes an advance", err=err)
    assert err.getvalue() == "warning: overpayment of 100.00 becomes an advance\n"


def test_importing_the_renderer_loads_no_heavy_modules():
    code = (
        "import sys, gkh.output; "
        "print(sorted(m for m in ('tabulate', 'typer', 'requests', 'falcon', 'gkh.server') if m in sys.modules))"
    )
    project = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=project)
    assert result.stdout.strip() == "[]"
