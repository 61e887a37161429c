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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import TypeVar

from gkh.domain.dates import parse_person_date
from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import normalize_account_number, normalize_els
from gkh.domain.readings import parse_reading_value
from gkh.i18n import _

T = TypeVar("T")

__all__ = ["BOM", "DELIMITERS", "EncodingProbe", "Field", "ACCOUNT_FIELDS", "READING_FIELDS", "sniff_delimiter",
           "map_header", "AccountRow", "RowProblem", "parse_account_row", "ReadingRow", "parse_reading_row",
           "OWNER_FIELDS", "OwnerRow", "owner_key", "parse_owner_row"]

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


# --- rows ------------------------------------------------------------------------------------------------------

MAX_TEXT = {"house": 300, "flat": 20, "payer": 200, "meter_serial": 40}
KINDS = {"owner": "owner", "tenant": "tenant", "собственник": "owner", "наниматель": "tenant"}
METER_RESOURCES = {"cold_water": "cold_water", "hot_water": "hot_water", "electricity": "electricity", "gas": "gas",
                   "heat": "heat", "хвс": "cold_water", "гвс": "hot_water", "холодная вода": "cold_water",
                   "горячая вода": "hot_water", "электроэнергия": "electricity", "газ": "gas",
                   "тепловая энергия": "heat", "отопление": "heat"}
MAX_AREA = Decimal("100000")


@dataclass(frozen=True)
class AccountRow:
    """One personal account as a batch file gives it, checked: what the portal upserts on (the organisation's
    account number), the flat and house it is in, its payer, and the flat's meter when the row names one."""

    line: int
    house: str  # a FIAS GUID or an address: the portal resolves it
    flat: str
    number: str
    payer: str
    els: str | None = None
    area: Decimal | None = None
    share: Fraction | None = None
    kind: str | None = None  # owner or tenant; None (an empty cell): owner for a new account, as stored for another
    meter_serial: str | None = None
    meter_resource: str | None = None
    meter_zones: int | None = None


class RowProblem(InvalidInput):
    """A row that cannot go in: `line N: field: reason`, the row rejected (written, as it was, to the rejects)."""

    def __init__(self, line: int, field: str, reason: str):
        super().__init__(_("line {line}: {field}: {reason}").format(line=line, field=field, reason=reason), field)
        self.line = line
        self.reason = reason


def parse_account_row(line: int, values: dict[str, str]) -> AccountRow:
    """A data row of an accounts file (`values`: field name → the cell as text) → AccountRow, or RowProblem naming
    the line and the first field that is wrong."""
    cells = {name: (values.get(name) or "").strip() for name in _ACCOUNT_NAMES}  # one pass: rows come by 100 000
    for name in ("house", "flat", "payer"):
        if not cells[name]:
            raise RowProblem(line, name, _("empty"))
    for name, value in cells.items():
        if len(value) > MAX_TEXT.get(name, 100):
            raise RowProblem(line, name, _("longer than {limit} characters").format(limit=MAX_TEXT.get(name, 100)))
    number = _checked(line, "number", lambda: normalize_account_number(values.get("number") or "", field="number"))
    els_text, area_text, share_text = cells["els"], cells["area"], cells["share"]
    els = _checked(line, "els", lambda: normalize_els(els_text, field="els")) if els_text else None
    area = _checked(line, "area", lambda: _area(area_text)) if area_text else None
    share = _checked(line, "share", lambda: _share(share_text)) if share_text else None
    kind_text = cells["kind"].lower()
    if kind_text and kind_text not in KINDS:
        raise RowProblem(line, "kind", _("must be owner or tenant (собственник, наниматель); got {got}").format(
            got=repr(kind_text)))
    serial, resource_text, zones_text = cells["meter_serial"], cells["meter_resource"], cells["meter_zones"]
    if (resource_text or zones_text) and not serial:
        raise RowProblem(line, "meter_serial", _("a meter's resource or zones without its serial number"))
    resource = METER_RESOURCES.get(resource_text.lower().replace("ё", "е")) if resource_text else None
    if serial and resource is None:
        raise RowProblem(line, "meter_resource", _("must be one of {allowed}; got {got}").format(
            allowed="cold_water, hot_water, electricity, gas, heat", got=repr(resource_text)))
    zones = None
    if serial:
        zones = int(zones_text) if zones_text in ("1", "2", "3") else None
        if zones_text and zones is None:
            raise RowProblem(line, "meter_zones", _("must be 1, 2 or 3; got {got}").format(got=repr(zones_text)))
        zones = zones or 1
    return AccountRow(line, cells["house"], cells["flat"], number, cells["payer"], els, area, share,
                      KINDS.get(kind_text), serial or None, resource, zones)


_ACCOUNT_NAMES = tuple(f.name for f in ACCOUNT_FIELDS)


def _checked(line: int, field: str, parse: Callable[[], T]) -> T:
    """A domain parser's refusal as the row's problem."""
    try:
        return parse()
    except InvalidInput as error:
        raise RowProblem(line, field, error.message) from None


@lru_cache(maxsize=4096)  # a file repeats its areas and shares: each parsed once
def _area(text: str | None) -> Decimal:
    try:
        value = Decimal((text or "").replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value <= MAX_AREA or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(_("must be square metres above 0 with at most 2 decimals (54,3 or 54.30); got {got}")
                           .format(got=repr(text)), "area")
    return value


@lru_cache(maxsize=256)
def _share(text: str | None) -> Fraction:
    raw = (text or "").replace(" ", "")
    try:
        value = Fraction(raw.replace(",", ".")) if raw else Fraction(-1)
    except (ValueError, ZeroDivisionError):
        value = Fraction(-1)
    if not 0 < value <= 1:
        raise InvalidInput(_("must be a share of the flat above 0 and at most 1 (1/2, 0,5 or 1); got {got}")
                           .format(got=repr(text)), "share")
    return value


@dataclass(frozen=True)
class ReadingRow:
    """One meter reading as a batch file gives it, checked: the meter (its id or serial), a value per tariff zone
    given (T1, then T2 and T3 where the file has them), the day it was taken (None: today in the house's zone)."""

    line: int
    meter: str
    values: tuple[Decimal, ...]
    taken_on: date | None = None


def parse_reading_row(line: int, values: dict[str, str]) -> ReadingRow:
    """A data row of a readings file → ReadingRow, or RowProblem naming the line and the field. A zone left empty
    after one given (T1 and T3 without T2) is refused: the zones are in order."""
    meter = (values.get("meter") or "").strip()
    if not meter:
        raise RowProblem(line, "meter", _("empty"))
    readings: list[Decimal] = []
    gap = None
    for zone in ("T1", "T2", "T3"):
        cell = (values.get(zone) or "").strip()
        if not cell:
            gap = gap or zone
            continue
        if gap is not None:
            raise RowProblem(line, gap, _("empty, though {zone} is given").format(zone=zone))
        try:
            readings.append(parse_reading_value(cell, field=zone))
        except InvalidInput as error:
            raise RowProblem(line, zone, error.message) from None
    day_text = (values.get("date") or "").strip()
    taken = _checked(line, "date", lambda: parse_person_date(day_text, field="date", short_year=True)) \
        if day_text else None
    return ReadingRow(line, meter, tuple(readings), taken)


# --- houses (issue 16) -----------------------------------------------------------------------------------------

# A house of the portal, with its passport: what an admin imports from the register of houses.
HOUSE_FIELDS = (
    Field("guid", ("фиас", "код фиас", "guid", "guid дома", "guid фиас"), required=True),
    Field("address", ("адрес", "адрес дома"), required=True),
    Field("town", ("город", "населенный пункт"), required=True),
    Field("oktmo", ("октмо", "код октмо"), required=True),
    Field("region", ("регион", "код региона"), required=True),
    Field("timezone", ("часовой пояс", "временная зона")),
    Field("window_from", ("окно с", "начало приема показаний")),
    Field("window_to", ("окно по", "окончание приема показаний")),
    Field("managing_org", ("управляющая организация", "инн управляющей организации", "уо")),
    Field("year_built", ("год постройки", "год ввода")),
    Field("floors", ("этажность", "этажей")),
    Field("entrances", ("подъезды", "подъездов", "число подъездов")),
    Field("total_area", ("общая площадь", "площадь")),
    Field("living_area", ("жилая площадь",)),
    Field("condition", ("состояние", "техническое состояние")),
    Field("energy_class", ("класс энергоэффективности", "класс энергетической эффективности")),
)
MAX_HOUSE_TEXT = {"address": 300, "town": 100}
# The house's condition as the register says it (stored in Russian, as the demo's houses have it).
HOUSE_CONDITIONS = {"исправный": "исправный", "ветхий": "ветхий", "аварийный": "аварийный",
                    "serviceable": "исправный", "dilapidated": "ветхий", "emergency": "аварийный"}
ENERGY_CLASSES = ("A++", "A+", "A", "B", "C", "D", "E", "F", "G")
MAX_HOUSE_AREA = Decimal("10000000")


@dataclass(frozen=True)
class HouseRow:
    """One house as a houses file gives it, checked: its FIAS GUID (what the portal upserts on), address, town,
    ОКТМО and region code; the optional cells None where empty (a new house gets the defaults — Europe/Moscow, the
    portal's readings window —, a stored one keeps what it has)."""

    line: int
    guid: str
    address: str
    town: str
    oktmo: str
    region: str
    timezone: str | None = None
    window_from: int | None = None
    window_to: int | None = None
    managing_org: str | None = None  # an organisation's ИНН
    year_built: int | None = None
    floors: int | None = None
    entrances: int | None = None
    total_area: Decimal | None = None
    living_area: Decimal | None = None
    condition: str | None = None
    energy_class: str | None = None


def _whole(line: int, field: str, text: str, low: int, high: int) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise RowProblem(line, field, _("must be a whole number from {low} to {high}; got {got}").format(
            low=low, high=high, got=repr(text)))
    return int(text)


def _house_area(line: int, field: str, text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value <= MAX_HOUSE_AREA or value != value.quantize(Decimal("0.01")):
        raise RowProblem(line, field, _("must be square metres above 0 with at most 2 decimals (15230,5); got {got}")
                         .format(got=repr(text)))
    return value


def parse_house_row(line: int, values: dict[str, str]) -> HouseRow:
    """A data row of a houses file → HouseRow, or RowProblem naming the line and the first field that is wrong."""
    from gkh.domain.dates import house_zone
    from gkh.domain.identifiers import normalize_fias_guid, normalize_inn

    cells = {f.name: (values.get(f.name) or "").strip() for f in HOUSE_FIELDS}
    for name in ("guid", "address", "town", "oktmo", "region"):
        if not cells[name]:
            raise RowProblem(line, name, _("empty"))
    for name, value in cells.items():
        limit = MAX_HOUSE_TEXT.get(name, 100)
        if len(value) > limit:
            raise RowProblem(line, name, _("longer than {limit} characters").format(limit=limit))
    guid = _checked(line, "guid", lambda: normalize_fias_guid(cells["guid"], field="guid"))
    oktmo = cells["oktmo"]
    if not (oktmo.isascii() and oktmo.isdigit() and len(oktmo) in (8, 11)):
        raise RowProblem(line, "oktmo", _("must be 8 or 11 digits; got {got}").format(got=repr(oktmo)))
    region = cells["region"]
    if not (region.isascii() and region.isdigit() and len(region) == 2):
        raise RowProblem(line, "region", _("must be the region's 2 digits (77, 66); got {got}").format(
            got=repr(region)))
    zone = cells["timezone"] or None
    if zone is not None:
        _checked(line, "timezone", lambda: house_zone(zone))
    window_from = _whole(line, "window_from", cells["window_from"], 1, 31)
    window_to = _whole(line, "window_to", cells["window_to"], 1, 31)
    if window_from is not None and window_to is not None and window_from > window_to:
        raise RowProblem(line, "window_to", _("the window would close on day {last} before it opens on day {first}")
                         .format(last=window_to, first=window_from))
    org = cells["managing_org"]
    managing_org = _checked(line, "managing_org", lambda: normalize_inn(org, field="managing_org")) if org else None
    year_built = _whole(line, "year_built", cells["year_built"], 1700, 2100)
    floors = _whole(line, "floors", cells["floors"], 1, 200)
    entrances = _whole(line, "entrances", cells["entrances"], 1, 100)
    total_area = _house_area(line, "total_area", cells["total_area"])
    living_area = _house_area(line, "living_area", cells["living_area"])
    if total_area is not None and living_area is not None and living_area > total_area:
        raise RowProblem(line, "living_area", _("larger than the total area {total}").format(total=total_area))
    condition_text = cells["condition"].lower().replace("ё", "е")
    condition = HOUSE_CONDITIONS.get(condition_text) if condition_text else None
    if condition_text and condition is None:
        raise RowProblem(line, "condition", _("must be one of {allowed}; got {got}").format(
            allowed="исправный, ветхий, аварийный", got=repr(cells["condition"])))
    energy_text = cells["energy_class"].upper().replace("А", "A").replace("В", "B").replace("С", "C") \
        .replace("Е", "E")
    if energy_text and energy_text not in ENERGY_CLASSES:
        raise RowProblem(line, "energy_class", _("must be one of {allowed}; got {got}").format(
            allowed=", ".join(ENERGY_CLASSES), got=repr(cells["energy_class"])))
    return HouseRow(line, guid, cells["address"], cells["town"], oktmo, region, zone, window_from, window_to,
                    managing_org, year_built, floors, entrances, total_area, living_area, condition,
                    energy_text or None)


# --- owners (issue 16) -----------------------------------------------------------------------------------------

# A flat's owner as the house's owner register (ЕГРН's extract) gives them: what the managing organisation imports.
OWNER_FIELDS = (
    Field("house", ("дом", "адрес", "адрес дома", "фиас", "код фиас", "guid дома"), required=True),
    Field("flat", ("квартира", "кв", "помещение", "номер помещения"), required=True),
    Field("area", ("площадь", "площадь помещения")),
    Field("owner", ("собственник", "фио собственника", "фио", "правообладатель"), required=True),
    Field("share", ("доля", "доля в праве")),
    Field("document", ("документ", "запись егрн", "номер регистрации права")),
    Field("login", ("логин", "пользователь")),
)
MAX_OWNER_TEXT = {"house": 300, "flat": 20, "owner": 200}


def _owner_share(text: str) -> Fraction:
    """An owner's share of their flat, or 0 for an owner whose ownership has ended (the register's way of saying
    the flat changed hands)."""
    try:
        return _share(text)
    except InvalidInput as error:
        try:
            if Fraction(text.replace(" ", "").replace(",", ".")) == 0:
                return Fraction(0)
        except (ValueError, ZeroDivisionError):
            pass
        raise InvalidInput(_("must be a share of the flat up to 1 (1/2, 0,5 or 1), or 0 for an owner whose ownership "
                             "has ended; got {got}").format(got=repr(text)), "share") from error


@dataclass(frozen=True)
class OwnerRow:
    """One owner of a flat as an owners file gives them, checked: the house (a FIAS GUID or an address: the portal
    resolves it), the flat, the owner's name (whitespace collapsed), their share (1 where the cell is empty; 0: their
    ownership has ended, the flat sold); the flat's area, the document and the portal user's login None where
    empty."""

    line: int
    house: str
    flat: str
    owner: str
    share: Fraction = Fraction(1)
    area: Decimal | None = None
    document: str | None = None
    login: str | None = None


def owner_key(name: str) -> str:
    """An owner's name as the register's rows are matched by: whitespace collapsed, case and ё ignored."""
    return _SPACES.sub(" ", name).strip().casefold().replace("ё", "е")


def parse_owner_row(line: int, values: dict[str, str]) -> OwnerRow:
    """A data row of an owners file → OwnerRow, or RowProblem naming the line and the first field that is wrong."""
    cells = {f.name: (values.get(f.name) or "").strip() for f in OWNER_FIELDS}
    cells["owner"] = _SPACES.sub(" ", cells["owner"])
    for name in ("house", "flat", "owner"):
        if not cells[name]:
            raise RowProblem(line, name, _("empty"))
    for name, value in cells.items():
        limit = MAX_OWNER_TEXT.get(name, 100)
        if len(value) > limit:
            raise RowProblem(line, name, _("longer than {limit} characters").format(limit=limit))
    area_cell, share_cell = cells["area"], cells["share"]
    area = _checked(line, "area", lambda: _area(area_cell)) if area_cell else None
    share = _checked(line, "share", lambda: _owner_share(share_cell)) if share_cell else Fraction(1)
    return OwnerRow(line, cells["house"], cells["flat"], cells["owner"], share, area, cells["document"] or None,
                    cells["login"] or None)
