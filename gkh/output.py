"""The one module that renders the CLI's output: data on stdout, messages for people on stderr.

Formats (``-o``): ``table`` for a person at a terminal, ``json``, ``csv``, ``tsv``. Without ``-o``:
a table on a terminal, else tab-separated rows *without* a header (as ``gh`` does, for ``cut``/``awk``).

Rules shared by every format (the README's "Output" paragraph is the short form):

- the same fields everywhere: ``columns`` if the command gives them, else the union of the rows'
  flattened keys in first-seen order (a row without a field gets an empty cell);
- nested objects are flattened with dots in csv/tsv/table (``payee.name``, ``values.T1``); an empty
  nested object contributes no field;
- a list of scalars is joined with ``;`` (an empty list is an empty cell); a list holding objects or
  lists is written as compact JSON text in the cell (it has no honest flat form);
- ``None`` is an empty cell, booleans are ``true``/``false``, ``Decimal`` is its plain decimal text
  (never exponent notation: ``0.0000001``, ``1234.50``), dates and times are ISO 8601;
- JSON is the data exactly as given (nested, ``columns`` do not apply: a script asking for JSON gets
  whole objects), ``ensure_ascii=False``, indent 2, ``[]`` for an empty list.

Text from the portal or the user may hold control characters (``ESC ]0;…``, ``CSI``, bidi overrides): every
cell, header and message goes through ``printable``, which shows them as ``\\x1b``/``\\u202e`` escapes, and
JSON escapes the same characters as ``\\u001b``, so nothing written can drive the terminal.

No colours are ever written, so ``NO_COLOR`` and non-terminals need no special case. Only the standard
library is imported here; tabulate is imported when a table is actually drawn (``gkh --help`` stays fast).
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO
from uuid import UUID

__all__ = ["FORMATS", "is_terminal", "printable", "flatten", "cell", "render", "message", "warn"]

FORMATS = ("table", "json", "csv", "tsv")

_FORCE_TTY_ON = ("1", "true")
_FORCE_TTY_OFF = ("0", "false")
# One space per tab or line break, so a value can never split a tab-separated row.
_TSV_BREAKS = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
# What a terminal would obey rather than show: C0 controls but tab and newline, DEL, C1 (0x9b is CSI), the
# bidi overrides and isolates (they reorder what is shown), and lone surrogates (undecodable argv bytes).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# JSON already escapes C0 controls; these it would write raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


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
        text = text.replace("\r\n", " ").translate(_TSV_BREAKS)
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
        if any(isinstance(item, (Mapping, list, tuple)) for item in value):
            return _json_text(value)
        return ";".join(_cell_text(item) for item in value)
    return str(value)


def render(
    data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    *,
    fmt: str | None = None,
    stream: TextIO | None = None,
    columns: list[str] | None = None,
    empty: str | None = None,
    err: TextIO | None = None,
) -> None:
    """Write ``data`` (one object or a list of them) to ``stream`` (default: stdout at call time).

    ``fmt`` None means no ``-o`` was given: a table on a terminal, else headerless tab-separated rows.
    ``columns`` fixes the flat formats' fields and their order (json is always the data exactly).
    ``empty`` is said on ``err`` (default stderr) for an empty list, only when stdout is a terminal.
    """
    out = sys.stdout if stream is None else stream
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")

    single = isinstance(data, Mapping)
    if fmt == "json":
        value = data if single else list(data)
        out.write(_json_text(value, indent=2) + "\n")
        return

    headers = True
    if fmt is None:
        if is_terminal(out):
            fmt = "table"
        else:
            fmt, headers = "tsv", False

    items: list[Mapping[str, Any]] = [data] if isinstance(data, Mapping) else list(data)
    rows = [flatten(item) for item in items]
    fields = list(columns) if columns is not None else _union_of_keys(rows)

    if not rows:
        if fmt == "csv" and columns is not None:
            _write_csv(out, fields, [])
        if empty is not None and is_terminal(out):
            message(empty, err=err)
        return

    if fmt == "csv":
        _write_csv(out, fields, rows)
    elif fmt == "tsv":
        _write_tsv(out, fields, rows, headers=headers)
    elif single:
        _write_vertical_table(out, fields, rows[0])
    else:
        _write_table(out, fields, rows)


def _union_of_keys(rows: list[dict[str, object]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _write_csv(out: TextIO, fields: list[str], rows: list[dict[str, object]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([cell(name, "csv") for name in fields])
    writer.writerows([cell(row.get(name), "csv") for name in fields] for row in rows)


def _write_tsv(out: TextIO, fields: list[str], rows: list[dict[str, object]], *, headers: bool) -> None:
    lines = []
    if headers:
        lines.append("\t".join(cell(name, "tsv") for name in fields))
    lines.extend("\t".join(cell(row.get(name), "tsv") for name in fields) for row in rows)
    out.write("\n".join(lines) + "\n")


def _write_table(out: TextIO, fields: list[str], rows: list[dict[str, object]]) -> None:
    from tabulate import tabulate

    body = [[cell(row.get(name), "table") for name in fields] for row in rows]
    # disable_numparse: "1234.50" and "0012" must be shown as the portal sent them, not as floats.
    headers = [cell(name, "table") for name in fields]
    out.write(tabulate(body, headers=headers, tablefmt="simple", disable_numparse=True) + "\n")


def _write_vertical_table(out: TextIO, fields: list[str], row: dict[str, object]) -> None:
    """One object as field → value lines: people read a single record better down than across."""
    from tabulate import tabulate

    body = [[cell(name, "table"), cell(row.get(name), "table")] for name in fields]
    out.write(tabulate(body, tablefmt="plain", disable_numparse=True) + "\n")


def message(text: str, *, err: TextIO | None = None) -> None:
    """One line for people on stderr (default: stderr at call time); never on stdout. Control characters
    and line breaks (from the portal or the user's own arguments) are shown escaped."""
    stream = sys.stderr if err is None else err
    stream.write(printable(text.rstrip("\n")).replace("\n", "\\n") + "\n")
    stream.flush()


def warn(text: str, *, err: TextIO | None = None) -> None:
    """A ``warning: …`` line on stderr, always — even off a terminal, since cron mails stderr."""
    message(f"warning: {text}", err=err)
