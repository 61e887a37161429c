"""A hostile portal's text on the terminal: every format but JSON shows control characters escaped, and JSON
escapes them its own way, so no value or header can retitle the window, clear the screen or reorder a line."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from gkh.output import message, printable, render, warn

PWNED = "\x1b]0;PWNED\x07"  # OSC 0: set the window title
SHOWN = "\\x1b]0;PWNED\\x07"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

HOSTILE = [
    {"id": f"M-1{PWNED}", f"name{PWNED}": "Иванов\x9b2J", "note": {f"text{PWNED}": "a\u202eb"}, "zones": [PWNED]},
    {"id": "M-2", f"name{PWNED}": "\x7f\x00", "note": {f"text{PWNED}": None}, "zones": []},
]


def rendered(data, **kwargs) -> str:
    out = io.StringIO()
    render(data, stream=out, err=io.StringIO(), **kwargs)
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (PWNED, SHOWN),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x9b2J", "\\x9b2J"),  # C1 CSI: an escape sequence in one character
        ("\x7f\x00\r\x0b\x0c", "\\x7f\\x00\\x0d\\x0b\\x0c"),
        ("abc\u202edcba\u2066x\u2069", "abc\\u202edcba\\u2066x\\u2069"),  # bidi override and isolate
        ("\udcff", "\\udcff"),  # a byte the locale could not decode
        ("Ленина, д. 5\tкв. 12\n", "Ленина, д. 5\tкв. 12\n"),  # tab, newline and Cyrillic stay
        ("", ""),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(text, shown):
    assert printable(text) == shown


@pytest.mark.parametrize(("fmt", "tty"), [("table", True), ("csv", False), ("tsv", False), (None, False),
                                          (None, True)])
def test_values_and_headers_are_escaped_in_every_flat_format(monkeypatch, fmt, tty):
    monkeypatch.setenv("GKH_FORCE_TTY", "1" if tty else "0")
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that no header is cut (a cut one is the next test's)
    for data in (HOSTILE, HOSTILE[0]):  # a list, and one object (a vertical table at a terminal)
        out = rendered(data, fmt=fmt)
        assert not RAW_CONTROL.search(out), out
        assert f"M-1{SHOWN}" in out and "Иванов\\x9b2J" in out and "a\\u202eb" in out
        if fmt is not None or tty:  # the headers, flattened with dots
            assert f"note.text{SHOWN}" in out


def test_csv_stays_csv_with_the_escapes_as_text(pipe):
    rows = list(csv.reader(io.StringIO(rendered(HOSTILE, fmt="csv"))))
    assert rows[0] == ["id", f"name{SHOWN}", f"note.text{SHOWN}", "zones"]
    assert rows[1] == [f"M-1{SHOWN}", "Иванов\\x9b2J", "a\\u202eb", SHOWN]
    assert rows[2] == ["M-2", "\\x7f\\x00", "", ""]


def test_json_escapes_them_and_still_reads_back_as_the_data(pipe):
    data = [*HOSTILE, {"lone": "\udcff", "del": "\x7f"}]
    out = rendered(data, fmt="json")
    assert not RAW_CONTROL.search(out)
    assert "\\u001b]0;PWNED\\u0007" in out and "\\u009b2J" in out and "\\u202e" in out and "\\udcff" in out
    assert json.loads(out) == data
    assert "Иванов" in out  # ensure_ascii stays off for everything else


def test_messages_and_warnings_are_one_escaped_line():
    err = io.StringIO()
    message(f"gkh: no meter {PWNED} among yours", err=err)
    warn("jump\n\x1b[2Jgkh: all is well\n", err=err)
    assert err.getvalue() == (f"gkh: no meter {SHOWN} among yours\n"
                              "warning: jump\\n\\x1b[2Jgkh: all is well\n")


@pytest.mark.parametrize("width", [20, 30, 45, 60])
def test_a_table_cut_to_fit_a_narrow_terminal_cuts_escapes_never_into_raw_controls(terminal, width):
    out = io.StringIO()
    render(HOSTILE, stream=out, width=width)
    assert not RAW_CONTROL.search(out.getvalue())
    assert "…" in out.getvalue()


@pytest.mark.parametrize(("value", "shown"), [
    (PWNED, SHOWN),
    ('=HYPERLINK("http://evil";"\x1b[2Jclick")', '="=HYPERLINK(""http://evil"";""\\x1b[2Jclick"")"'),
    ("\u202e=1+1", "\\u202e=1+1"),  # escaped, it no longer starts with "="
    ("@SUM(1)", '="@SUM(1)"'),
])
def test_excel_gets_control_characters_escaped_and_formulas_as_text(pipe, value, shown):
    text = rendered({"note": value}, fmt="excel")
    assert not RAW_CONTROL.search(text.replace("\r\n", ""))  # CRLF ends Excel's rows, nothing else is raw
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))[1] == [shown]
