"""The one module that renders the CLI's output: data on stdout, messages for people on stderr.

Formats (``-o``): ``table`` and ``wide`` for people, ``json``, ``csv``, ``tsv`` for programs, ``excel`` for a
spreadsheet. Without ``-o``: a table on a terminal, else tab-separated rows *without* a header (as ``gh``
does, for ``cut``/``awk``; ``--header`` adds one).

Each noun declares its columns once (``Columns``, in its command module): the machine names in a fixed
order, a human header for each, which of them a terminal table shows, and what kind of value each holds.
Rules shared by every format (the README's "Output" section is the short form):

- csv, tsv and excel write every column of the noun, always the same ones in the same order whatever the
  data (a field absent from a record is an empty cell: ``last_reading.values.T3`` of a water meter);
- ``table`` shows the noun's chosen columns, cut with ``…`` to fit the terminal's width, and leaves out a
  chosen column that is empty in every row; ``wide`` shows every column, uncut; one record (``… show``) is
  read down, ``Header: value``, every column that has a value;
- a machine column's name is the field's path in the JSON, nested objects joined with dots
  (``organisation.inn``, ``values.T1``); a list of scalars is joined with ``;``; a list holding objects is
  compact JSON text in csv/tsv/excel and a small table (or one line per item) for people;
- ``None`` is an empty cell, booleans are ``true``/``false``, ``Decimal`` is its plain decimal text
  (never exponent notation: ``0.0000001``, ``1234.50``), dates and times are ISO 8601;
- JSON is the data exactly as given (nested, whole objects: columns do not apply), ``ensure_ascii=False``,
  indent 2, ``[]`` for an empty list;
- csv is RFC 4180 for programs: UTF-8 without a BOM, commas, dot decimals, a header row; ``excel`` is the
  same columns as Russian Excel opens them: UTF-8 with a BOM, ``;``, CRLF, decimal commas in number columns,
  and text Excel would turn into a number, date or formula written as ``="…"`` (see ``excel_cell``).

Text from the portal or the user may hold control characters (``ESC ]0;…``, ``CSI``, bidi overrides): every
cell, header and message goes through ``printable``, which shows them as ``\\x1b``/``\\u202e`` escapes, and
JSON escapes the same characters as ``\\u001b``, so nothing written can drive the terminal.

A reader that goes away (``gkh meter list | head -2``) is not an error: the write that finds the pipe
closed points the stream at ``os.devnull`` (the Python docs' recipe for SIGPIPE) and the command goes on to
its own exit code, writing nowhere.

No colours are ever written, so ``NO_COLOR`` and non-terminals need no special case. Only the standard
library and gkh.i18n are imported here, most of it when used; tabulate is imported when a table is actually drawn
(``gkh --help`` stays fast).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, TextIO

from gkh import i18n
from gkh.i18n import _

__all__ = ["FORMATS", "Column", "Columns", "is_terminal", "printable", "flatten", "cell", "excel_cell", "render",
           "write_lines", "message", "warn", "release_closed_stream"]

FORMATS = ("table", "wide", "json", "csv", "tsv", "excel")

# What a column holds decides how it is cut to fit a terminal, aligned, and written for Excel:
# text — cut at its end; address — cut at its start (the street and house are at the end); id — never cut,
# always text in Excel; number — right-aligned, never cut, a decimal comma in Excel; date — never cut, an
# ISO date left for Excel to read as a date.
# term — a word of one of the portal's vocabularies (cold_water, resident), shown to people in their language;
# phrase — text the catalogue holds (a demo user's description), the same, but cut like text.
Kind = Literal["text", "address", "id", "number", "date", "term", "phrase"]
_CUTTABLE = ("text", "address", "phrase")
_NARROWEST_CUT = 10  # a cut column keeps at least this many characters (its header is cut as well)
_SEPARATOR = 2  # tabulate's "plain" table puts two spaces between columns

_FORCE_TTY_ON = ("1", "true")
_FORCE_TTY_OFF = ("0", "false")
# One space per tab or line break, so a value can never split a tab-separated row (or a table's row).
_BREAKS = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
# What a terminal would obey rather than show: C0 controls but tab and newline, DEL, C1 (0x9b is CSI), the
# bidi overrides and isolates (they reorder what is shown), and lone surrogates (undecodable argv bytes).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# JSON already escapes C0 controls; these it would write raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@dataclass(frozen=True)
class Column:
    """One column of a noun: its machine name (the field's dotted path in the JSON), its header for people,
    whether a terminal table shows it without ``--wide``, and the kind of value it holds (see ``Kind``).
    ``items`` names the columns of a list of objects (a house's common meters), drawn as a small table."""

    name: str
    header: str
    shown: bool = False
    kind: Kind = "text"
    items: Columns | None = None


class Columns:
    """A noun's columns in their fixed order: csv, tsv and excel write all of them, a table the shown ones."""

    def __init__(self, *columns: Column | Iterable[Column]):
        flat: list[Column] = []
        for column in columns:
            flat.extend([column] if isinstance(column, Column) else column)
        names = [c.name for c in flat]
        if len(set(names)) != len(names):
            raise ValueError(f"a column is named twice: {names}")
        self.columns: tuple[Column, ...] = tuple(flat)

    @classmethod
    def named(cls, names: Iterable[str]) -> Columns:
        """Plain columns from their names alone: each shown, its name as its header."""
        return cls(*(Column(name, name, shown=True) for name in names))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def under(self, key: str) -> Columns:
        """The same columns for the record nested under ``key`` (``account.els`` for a link's result)."""
        return Columns(*(Column(f"{key}.{c.name}", c.header, c.shown, c.kind, c.items) for c in self.columns))

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __repr__(self) -> str:
        return f"Columns({', '.join(self.names)})"


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; ``GKH_FORCE_TTY`` (1/true, 0/false) overrides for tests."""
    forced = os.environ.get("GKH_FORCE_TTY", "").strip().lower()
    if forced in _FORCE_TTY_ON:
        return True
    if forced in _FORCE_TTY_OFF:
        return False
    isatty = getattr(stream, "isatty", None)
    if isatty is None:
        return False
    try:
        return bool(isatty())
    except (ValueError, OSError):  # a closed or detached stream
        return False


def printable(text: str) -> str:
    """Text safe to show on a terminal: each control character as an escape (``\\x1b``, ``\\x9b``, ``\\u202e``).

    Tab and newline are kept (each format deals with them); everything else is unchanged.
    """
    return _UNPRINTABLE.sub(_escape, text)


def _escape(found: re.Match) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def flatten(obj: Mapping[str, Any]) -> dict[str, object]:
    """Nested objects flattened with dots, key order kept: ``{"payee": {"name": …}}`` → ``payee.name``.

    Lists are kept as they are (``cell`` joins scalars with ``;`` and writes lists of objects as JSON).
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"only objects (dicts) can be flattened, not {type(obj).__name__}")
    flat: dict[str, object] = {}
    _flatten_into(flat, "", obj)
    return flat


def _flatten_into(flat: dict[str, object], prefix: str, obj: Mapping[str, Any]) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten_into(flat, f"{name}.", value)
        else:
            flat[name] = value


def _json_default(value: Any) -> Any:
    """What json cannot write by itself: money and readings as decimal strings, times as ISO 8601."""
    from uuid import UUID

    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _decimal_text(value: Decimal) -> str:
    # "f" keeps the digits as stored (1234.50, 0.0000001); str() would say 1E-7 for small readings.
    return format(value, "f") if value.is_finite() else str(value)


def _json_text(value: Any, *, indent: int | None = None) -> str:
    import json

    separators = None if indent is not None else (",", ":")
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, default=_json_default)
    # Such characters occur only inside JSON strings, where \uXXXX stands for the same character.
    return _JSON_UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def cell(value: object, fmt: str = "csv") -> str:
    """One value as text in a flat format (csv, tsv, table).

    None → "", booleans → "true"/"false", a list of scalars → items joined with ";" (empty → ""),
    a list holding objects or lists (or an object itself) → compact JSON text, Decimal → plain decimal
    text, dates → ISO 8601, anything else → str(). In tsv, tabs and line breaks become single spaces.
    Control characters are escaped (``printable``).
    """
    text = _cell_text(value)
    if fmt == "tsv":
        text = text.replace("\r\n", " ").translate(_BREAKS)
    elif fmt == "table":
        text = text.replace("\t", " ")  # tabulate counts a tab as one column and misaligns the row
    elif fmt == "csv":  # CRLF inside a quoted field is a line break of the data; a lone CR is not
        return "\r\n".join(printable(part) for part in text.split("\r\n"))
    return printable(text)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return _cell_text(value.value)
    if isinstance(value, Mapping):
        return _json_text(value)
    if isinstance(value, (list, tuple)):
        if _holds_containers(value):
            return _json_text(value)
        return ";".join(_cell_text(item) for item in value)
    return str(value)


def _holds_containers(value: object) -> bool:
    return isinstance(value, (list, tuple)) and any(isinstance(item, (Mapping, list, tuple)) for item in value)


# --- Excel ------------------------------------------------------------------------------------------------

# A plain decimal number as the portal writes one: Excel with a decimal comma reads it once "." becomes ",".
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Text made of digits and the marks Excel reads in numbers, dates, times, fractions, percents and money:
# "00123" (leading zeros lost), "31.9" and "1.10" (days), "2026-11" (a month), "1/2", "10:30", "1e5", "7 705".
_LOOKS_NUMERIC = re.compile(r"[\d\s.,:/\\%()$€₽+\-eE]*\d[\d\s.,:/\\%()$€₽+\-eE]*")
# A cell starting with one of these is a formula to Excel (and a way in for a hostile one: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXCEL_LITERAL_MAX = 255  # Excel's longest string constant in a formula
_EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number; more are turned to zeros


def excel_cell(value: object, kind: Kind = "text") -> str:
    """One value as Russian Excel should show it from a ``;``-separated file.

    A number column's plain decimals get a decimal comma (``31.9`` → ``31,9``: a number, not 31 September).
    An ISO date in a date column is left for Excel to read as a date. Any other text that Excel would turn
    into a number, date or formula — ``00123``, ``31.9``, ``2026-11``, an ИНН, ``+7 495 …``, ``=HYPERLINK(…)``
    — is written as the formula ``="00123"``: Excel (in any language: it has no function name and no
    separator) shows exactly the text inside and keeps it as text; the quotes inside are doubled. Text
    longer than a formula's string may be (255) is prefixed with ``'`` instead: shown with it, but inert.
    Control characters are escaped as in csv.
    """
    text = cell(value, "csv")
    if not text:
        return text
    if kind == "number" and _PLAIN_NUMBER.fullmatch(text) and len(text.strip("-").replace(".", "")) \
            <= _EXCEL_DIGITS:
        return text.replace(".", ",")
    if kind == "date" and _ISO_DATE.fullmatch(text):
        return text
    if not (text.startswith(_FORMULA_START) or _LOOKS_NUMERIC.fullmatch(text)):
        return text
    if len(text) <= _EXCEL_LITERAL_MAX and "\n" not in text and "\r" not in text:
        return '="' + text.replace('"', '""') + '"'
    return "'" + text


# --- writing ----------------------------------------------------------------------------------------------


def render(
    data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    *,
    fmt: str | None = None,
    stream: TextIO | None = None,
    columns: Columns | Iterable[str] | None = None,
    header: bool = False,
    empty: str | None = None,
    err: TextIO | None = None,
    width: int | None = None,
) -> None:
    """Write ``data`` (one object or a list of them) to ``stream`` (default: stdout at call time).

    ``fmt`` None means no ``-o`` was given: a table on a terminal, else tab-separated rows, headerless
    unless ``header``. ``columns`` is the noun's ``Columns`` (or just their names); without it, the union of
    the rows' fields in first-seen order. ``width`` is the terminal's (default: ``shutil``'s, which honours
    ``COLUMNS``). ``empty`` is said on ``err`` (default stderr) for an empty list, only when stdout is a
    terminal.
    """
    out = sys.stdout if stream is None else stream
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")

    single = isinstance(data, Mapping)
    if fmt == "json":
        value = data if single else list(data)
        _write(out, _json_text(value, indent=2) + "\n")
        return

    if fmt is None:
        fmt = "table" if is_terminal(out) else "tsv"
    elif fmt == "tsv":
        header = True  # asked for by name, tsv has its header as csv does; the bare default has none

    items: list[Mapping[str, Any]] = [data] if isinstance(data, Mapping) else list(data)
    rows = [flatten(item) for item in items]
    known = columns is not None
    spec = columns if isinstance(columns, Columns) else Columns.named(columns if columns is not None
                                                                      else _union_of_keys(rows))

    if not rows:
        if known and fmt in ("csv", "excel", "tsv") and (fmt != "tsv" or header):
            _write_flat(out, fmt, spec, [], header=True)
        if empty is not None and is_terminal(out):
            message(empty, err=err)
        return

    if fmt in ("csv", "excel", "tsv"):
        _write_flat(out, fmt, spec, rows, header=header or fmt != "tsv")
    elif single:
        _write_record(out, spec, rows[0])
    else:
        _write_table(out, spec, rows, wide=fmt == "wide", width=width)


def _union_of_keys(rows: list[dict[str, object]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _write_flat(out: TextIO, fmt: str, spec: Columns, rows: list[dict[str, object]], *, header: bool) -> None:
    if fmt == "tsv":
        lines = ["\t".join(cell(name, "tsv") for name in spec.names)] if header else []
        lines.extend("\t".join(cell(row.get(c.name), "tsv") for c in spec) for row in rows)
        _write(out, "\n".join(lines) + "\n")
        return
    import csv
    import io

    text = io.StringIO()
    if fmt == "excel":
        text.write("\ufeff")  # how Excel knows the file is UTF-8 (a "sep=;" line would make it forget that)
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow([excel_cell(name) for name in spec.names])
        writer.writerows([excel_cell(row.get(c.name), c.kind) for c in spec] for row in rows)
    else:
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([cell(name, "csv") for name in spec.names])
        writer.writerows([cell(row.get(c.name), "csv") for c in spec] for row in rows)
    _write(out, text.getvalue(), utf8=True)


def _write_table(out: TextIO, spec: Columns, rows: list[dict[str, object]], *, wide: bool,
                 width: int | None) -> None:
    from tabulate import tabulate

    columns = list(spec)
    if not wide:
        chosen = [c for c in columns if c.shown] or columns
        columns = [c for c in chosen if any(_has_value(row.get(c.name)) for row in rows)] or chosen
    headers = [cell(_(c.header), "table") for c in columns]
    body = [[_table_cell(row.get(c.name), c) for c in columns] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in body)]) for i, h in enumerate(headers)]
    if not wide:
        widths = _fit(headers, body, columns, widths, _terminal_width() if width is None else width)
    align = ["right" if c.kind == "number" else "left" for c in columns]
    # The rule under the headers is a row of its own, so each column is exactly as wide as its widest text
    # (tabulate's own header rule adds two). disable_numparse: "1234.50" and "0012" as the portal sent them.
    table = tabulate([headers, ["-" * w for w in widths], *body], tablefmt="plain", disable_numparse=True,
                     colalign=align)
    _write(out, "\n".join(line.rstrip() for line in table.split("\n")) + "\n")


def _table_cell(value: object, column: Column) -> str:
    """A value on one line of a table for people: a list of objects as its items' values, never JSON."""
    if _holds_containers(value):
        assert isinstance(value, (list, tuple))
        text = "; ".join(" ".join(_people_text(v, c) for v, c in _item_values(item, column)) for item in value)
    else:
        text = _people_text(value, column)
    return printable(text.replace("\r\n", " ").translate(_BREAKS))


def _people_text(value: object, column: Column) -> str:
    """A cell's text for people: a vocabulary's word, a boolean and a date in their language (ДД.ММ.ГГГГ in
    Russian); the same text as csv's in English."""
    text = _cell_text(value)
    if isinstance(value, bool) or column.kind == "term" and isinstance(value, str):
        return i18n.term(text)
    if column.kind == "phrase" and isinstance(value, str):
        return _(text)
    if column.kind == "date" and i18n.current() != i18n.ENGLISH and isinstance(value, (str, date)):
        try:
            moment = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return text
        return i18n.human_time(moment) if isinstance(moment, datetime) else i18n.human_date(moment)
    return text


def _item_values(item: object, column: Column) -> list[tuple[object, Column]]:
    """An item's values, each with the column it is shown as (the item's own, where they are declared)."""
    if not isinstance(item, Mapping):
        return [(item, column)]
    flat = flatten(item)
    spec = column.items if column.items is not None else Columns.named(flat)
    return [(flat.get(c.name), c) for c in spec if _has_value(flat.get(c.name))]


def _has_value(value: object) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


def _fit(headers: list[str], body: list[list[str]], columns: list[Column], natural: list[int],
         width: int) -> list[int]:
    """The columns' widths once the text columns are cut, widest first, until the table is no wider than
    ``width``; the headers and cells are cut in place. Ids, numbers and dates are never cut: a table of those
    alone may stay wider."""
    narrowest = [min(n, _NARROWEST_CUT) if c.kind in _CUTTABLE else n for n, c in zip(natural, columns, strict=True)]
    widths = list(natural)
    excess = sum(widths) + _SEPARATOR * (len(widths) - 1) - width
    while excess > 0:
        can = [i for i, w in enumerate(widths) if w > narrowest[i]]
        if not can:
            break
        widest = max(can, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    for i, column in enumerate(columns):
        if widths[i] < natural[i]:
            at_start = column.kind == "address"
            headers[i] = _cut(headers[i], widths[i], at_start=False)
            for row in body:
                row[i] = _cut(row[i], widths[i], at_start=at_start)
    return widths


def _cut(text: str, width: int, *, at_start: bool) -> str:
    """``text`` in at most ``width`` characters, the cut marked with ``…`` (at the start for addresses,
    whose house number is at the end)."""
    if len(text) <= width:
        return text
    if at_start:
        tail = text[len(text) - width + 1:]
        if not text[len(text) - width].isspace() and " " in tail[:-width // 2]:
            tail = tail[tail.index(" "):]  # start at a word: "…Ленина, д. 5", not "…. Ленина, д. 5"
        return "…" + tail.lstrip()
    return text[:width - 1].rstrip() + "…"


def _write_record(out: TextIO, spec: Columns, row: dict[str, object]) -> None:
    """One object read down, ``Header: value``: people read a single record better down than across. A
    field without a value is left out; a list of objects is a small table of its own."""
    from tabulate import tabulate

    lines = []
    label_width = max((len(cell(_(c.header), "table")) + 1 for c in spec), default=0)
    room = _terminal_width() - label_width - 2  # what a small table may take beside its label
    for column in spec:
        value = row.get(column.name)
        if not _has_value(value):
            continue
        if _holds_containers(value):
            assert isinstance(value, (list, tuple))
            shown = _items_table(value, column, room)
        else:
            shown = printable(_people_text(value, column).replace("\t", " "))
        lines.append([cell(_(column.header), "table") + ":", shown])
    if lines:
        table = tabulate(lines, tablefmt="plain", disable_numparse=True)
        _write(out, "\n".join(line.rstrip() for line in table.split("\n")) + "\n")


def _items_table(items: list | tuple, column: Column, room: int) -> str:
    """A list of objects as a small table; a text column too wide for the `room` beside the record's labels
    (an agenda's questions) wrapped at words onto lines of its own."""
    from tabulate import tabulate

    spec = list(column.items if column.items is not None else Columns.named(
        _union_of_keys([flatten(i) for i in items if isinstance(i, Mapping)])))
    body = [[_table_cell(flatten(item).get(c.name) if isinstance(item, Mapping) else item, c) for c in spec]
            for item in items]
    headers = [cell(_(c.header), "table") for c in spec]
    align = ["right" if c.kind == "number" else "left" for c in spec]
    widths = [max(len(text) for text in [h, *(row[i] for row in body)]) for i, h in enumerate(headers)]
    wide = max(range(len(spec)), key=lambda i: widths[i] if spec[i].kind == "text" else -1, default=None)
    limits: list[int | None] = [None] * len(spec)
    if wide is not None and spec[wide].kind == "text" and sum(widths) + 2 * (len(spec) - 1) > room:
        limits[wide] = max(room - (sum(widths) - widths[wide]) - 2 * (len(spec) - 1), 20)
    return tabulate(body, headers=headers, tablefmt="plain", disable_numparse=True, colalign=align,
                    maxcolwidths=limits)


def write_lines(lines: Iterable[str], *, stream: TextIO | None = None) -> None:
    """Lines of data for people (a chart), each escaped (``printable``), on stdout."""
    out = sys.stdout if stream is None else stream
    _write(out, "".join(printable(line) + "\n" for line in lines))


def _write(out: TextIO, text: str, *, utf8: bool = False) -> None:
    """Write and flush, so that a closed pipe shows here; ``utf8`` writes UTF-8 bytes whatever the stream's
    own encoding (csv and excel promise it: a Windows console's code page would not do)."""
    try:
        binary = getattr(out, "buffer", None) if utf8 else None
        if binary is not None:
            out.flush()
            binary.write(text.encode("utf-8"))
            binary.flush()
        else:
            out.write(text)
            out.flush()
    except BrokenPipeError:
        if not release_closed_stream(out):
            raise


def release_closed_stream(stream: Any) -> bool:
    """After a BrokenPipeError on stdout or stderr (its reader went away: ``… | head -2``), point the stream's
    file descriptor at ``os.devnull``, so that the rest of the run, and the interpreter's last flush, write
    nowhere instead of failing again (the Python docs' recipe for SIGPIPE). False for any other stream."""
    if stream not in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        return False
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    nowhere = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(nowhere, descriptor)
    finally:
        os.close(nowhere)
    return True


def message(text: str, *, err: TextIO | None = None) -> None:
    """One line for people on stderr (default: stderr at call time); never on stdout. Control characters
    and line breaks (from the portal or the user's own arguments) are shown escaped."""
    stream = sys.stderr if err is None else err
    _write(stream, printable(text.rstrip("\n")).replace("\n", "\\n") + "\n")


def warn(text: str, *, err: TextIO | None = None) -> None:
    """A ``warning: …`` line on stderr, always — even off a terminal, since cron mails stderr."""
    message(_("warning: {text}").format(text=text), err=err)
