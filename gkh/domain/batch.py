"""Batch files as people have them — exports from Excel and 1C: UTF-8 with or without a BOM, or Windows-1251;
a comma or a semicolon between fields (a semicolon where the decimal separator is a comma); English field names or
their Russian equivalents in the header row. Pure: the command line reads the file and feeds the bytes here, so the
decisions are made, and said, before anything is sent (issue 15).

The encoding is decided by a pass over the whole file (`EncodingProbe`, fed chunk by chunk: memory does not grow
with the file): UTF-8 when all of it decodes strictly as UTF-8, else Windows-1251 — a 1C export whose first
thousand rows are plain ASCII is still read right. The delimiter is judged from the header row, which holds no
decimal commas.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

from gkh.domain.errors import InvalidInput
from gkh.i18n import _

__all__ = ["BOM", "DELIMITERS", "EncodingProbe", "Field", "ACCOUNT_FIELDS", "READING_FIELDS", "sniff_delimiter",
           "map_header"]

BOM = b"\xef\xbb\xbf"
DELIMITERS = (";", ",", "\t")


class EncodingProbe:
    """Fed a file's bytes in order, says how to read it: `utf-8-sig` (a BOM), `utf-8`, or `cp1251`."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._utf8 = True
        self._head = b""  # the first bytes, until there are enough to tell a BOM
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < len(BOM):
            self._head += chunk[:len(BOM) - len(self._head)]
        self.size += len(chunk)
        if self._utf8:
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self._utf8 = False  # one bad sequence decides it: the rest need not be decoded

    def encoding(self) -> str:
        """The decision, once the whole file was fed."""
        if self._utf8:
            try:
                self._decoder.decode(b"", final=True)  # a file may not end inside a character either
            except UnicodeDecodeError:
                self._utf8 = False
        if not self._utf8:
            return "cp1251"
        return "utf-8-sig" if self._head == BOM else "utf-8"


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a file whose header row is `header_line`: of ; , and tab, the one it holds most of (a
    header has no decimal commas); a header of one column is read with commas."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True)
class Field:
    """A column a batch file may have: its English name (what `--template` writes and JSON says), the Russian
    names people's spreadsheets use for it, and whether a file must have it."""

    name: str
    russian: tuple[str, ...]
    required: bool = False


# A personal account with its flat and payer, and the flat's meter where the file has one.
ACCOUNT_FIELDS = (
    Field("house", ("дом", "адрес", "адрес дома", "фиас", "код фиас", "guid дома"), required=True),
    Field("flat", ("квартира", "кв", "помещение", "номер помещения", "номер квартиры"), required=True),
    Field("number", ("лицевой счет", "номер лицевого счета", "номер лс", "лс"), required=True),
    Field("els", ("елс", "единый лицевой счет")),
    Field("area", ("площадь", "общая площадь", "площадь помещения")),
    Field("share", ("доля", "доля в праве")),
    Field("payer", ("плательщик", "фио", "фио плательщика", "собственник"), required=True),
    Field("kind", ("вид", "основание", "вид владения")),
    Field("meter_serial", ("заводской номер счетчика", "номер счетчика", "счетчик")),
    Field("meter_resource", ("ресурс", "вид ресурса", "коммунальный ресурс")),
    Field("meter_zones", ("зоны", "тарифность", "число тарифов")),
)
# A meter reading: the meter, one value per tariff zone, the day it was taken.
READING_FIELDS = (
    Field("meter", ("счетчик", "прибор учета", "заводской номер", "номер счетчика"), required=True),
    Field("T1", ("т1", "показания", "показание", "значение", "день"), required=True),
    Field("T2", ("т2", "ночь")),
    Field("T3", ("т3", "полупик")),
    Field("date", ("дата", "дата показаний", "дата снятия")),
)

_SPACES = re.compile(r"\s+")


def _key(text: str) -> str:
    """A header cell as compared: trimmed (a BOM too), lower case, ё as е, spaces collapsed, `№` as номер, final
    dots and colons dropped, Latin T in T1–T3 as Cyrillic Т (as people type it)."""
    text = text.replace("\ufeff", "").strip().lower().replace("ё", "е").replace("№", "номер ")
    text = _SPACES.sub(" ", text).strip().rstrip(".:").strip()
    return re.sub(r"^t([123])$", r"т\1", text)


def map_header(cells: Iterable[str], fields: tuple[Field, ...]) -> dict[str, int]:
    """The header row → {field name: column index}. Refused, naming what is wrong and listing the names expected: a
    column nobody knows, a field given twice, a required field missing (line 1 is the header)."""
    known: dict[str, str] = {}
    for field in fields:
        for name in (field.name, *field.russian):
            known[_key(name)] = field.name
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _key(cell)
        if not key:
            continue  # an empty header cell: a column Excel left over
        if key not in known:
            raise InvalidInput(_("line 1: unknown column {column}; expected: {expected}").format(
                column=repr(cell.strip()), expected=_expected(fields)), "header")
        name = known[key]
        if name in found:
            raise InvalidInput(_("line 1: column {column} is there twice (as {first} and {second})").format(
                column=name, first=found[name] + 1, second=index + 1), "header")
        found[name] = index
    missing = [f.name for f in fields if f.required and f.name not in found]
    if missing:
        raise InvalidInput(_("line 1: the header lacks {missing}; expected: {expected}").format(
            missing=", ".join(missing), expected=_expected(fields)), "header")
    return found


def _expected(fields: tuple[Field, ...]) -> str:
    return "; ".join(f"{f.name} ({f.russian[0]})" + ("" if f.required else "?") for f in fields)
