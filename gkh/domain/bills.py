"""Bills (ЕПД) as the organisation's accounting (1C) exports them (issue 16): one row a line of a bill — the
account (its ЕЛС or the organisation's number), the period, the service, its tariff zone, volume, unit, tariff,
amount and the bill's due date. Pure: today is never read here.

A bill's id, the ИПД, is the account's ИЖКУ, "-" and the period as YYMM. An amount left empty is volume × tariff
rounded half-up to kopecks; a due date left empty is the 10th of the month after the period (ЖК РФ, ст. 155 ч. 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from gkh.domain.batch import Field, RowProblem, _checked
from gkh.domain.dates import parse_period, parse_person_date
from gkh.domain.identifiers import normalize_account_number, normalize_els, payer_id_kind
from gkh.domain.money import parse_amount, to_kopecks
from gkh.domain.readings import canonical
from gkh.i18n import _, term

__all__ = ["BILL_FIELDS", "BillRow", "SERVICES", "UNITS", "default_due_date", "ipd", "line_amount",
           "parse_bill_row"]

# A line of a bill: whose (the account), which month, what service, how much of it and at what price.
BILL_FIELDS = (
    Field("account", ("лицевой счет", "номер лицевого счета", "лс", "елс"), required=True),
    Field("period", ("период", "расчетный период", "месяц"), required=True),
    Field("service", ("услуга", "вид услуги"), required=True),
    Field("zone", ("зона", "тарифная зона")),
    Field("volume", ("объем", "количество"), required=True),
    Field("unit", ("ед. изм.", "единица измерения", "ед изм")),
    Field("tariff", ("тариф", "цена"), required=True),
    Field("amount", ("сумма", "начислено")),
    Field("due_date", ("срок оплаты", "оплатить до")),
)

# The services a bill's line may be for, and each one's unit (what an empty unit cell means).
SERVICES = {"maintenance": "m2", "cold_water": "m3", "hot_water": "m3", "sewerage": "m3", "heating": "Gcal",
            "electricity": "kWh"}
UNITS = ("m2", "m3", "Gcal", "kWh")
# The words people's files use for them (compared in lower case, ё as е, spaces collapsed).
_SERVICE_WORDS = {
    **{name: name for name in SERVICES},
    "содержание и ремонт": "maintenance", "содержание и ремонт жилого помещения": "maintenance",
    "содержание жилого помещения": "maintenance", "холодное водоснабжение": "cold_water", "хвс": "cold_water",
    "горячее водоснабжение": "hot_water", "гвс": "hot_water", "водоотведение": "sewerage", "отопление": "heating",
    "электроэнергия": "electricity", "электроснабжение": "electricity",
}
_UNIT_WORDS = {
    "m2": "m2", "м2": "m2", "м²": "m2", "кв.м": "m2", "кв. м": "m2", "m3": "m3", "м3": "m3", "м³": "m3",
    "куб.м": "m3", "куб. м": "m3", "gcal": "Gcal", "гкал": "Gcal", "kwh": "kWh", "квт·ч": "kWh", "квт*ч": "kWh",
    "квт.ч": "kWh", "квтч": "kWh", "квт-ч": "kWh",
}
ZONES = ("T1", "T2", "T3")
MAX_VOLUME = Decimal("1000000000")
MAX_VOLUME_DECIMALS = 7


def ipd(izhku: str, period: str) -> str:
    """The bill's id: the account's ИЖКУ, "-", and the period as YYMM."""
    return f"{izhku}-{period[2:4]}{period[5:7]}"


def default_due_date(period: str) -> date:
    """When a period's bill is due unless the organisation says otherwise: the 10th of the next month (ЖК РФ,
    ст. 155 ч. 1)."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 10)


def line_amount(volume: Decimal, tariff_kopecks: int) -> int:
    """volume × tariff, rounded half-up to kopecks, in kopecks."""
    return int((volume * Decimal(tariff_kopecks)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class BillRow:
    """One line of a bill as a bills file gives it, checked: the account (`els` when the cell is an ЕЛС, else the
    organisation's `number`), the period (YYYY-MM), the line (service, zone, volume as canonical text, unit, tariff
    and amount in kopecks) and the bill's due date (None: an empty cell — the default for a new bill, what a stored
    one has otherwise)."""

    line: int
    account: str  # as the file says it, normalised: for messages
    els: str | None
    number: str | None
    period: str
    service: str
    zone: str | None
    volume: str
    unit: str
    tariff_kopecks: int
    amount_kopecks: int
    due_date: date | None = None


def _words(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def _volume(line: int, text: str) -> str:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value.is_signed() or not value < MAX_VOLUME or "e" in text.lower() \
            or not isinstance(exponent, int) or exponent < -MAX_VOLUME_DECIMALS:
        raise RowProblem(line, "volume", _("must be a quantity of 0 or more with at most {decimals} decimals "
                                           "(54,3 or 12.125); got {got}").format(decimals=MAX_VOLUME_DECIMALS,
                                                                                 got=repr(text)))
    return canonical(value)


def parse_bill_row(line: int, values: dict[str, str]) -> BillRow:
    """A data row of a bills file → BillRow, or RowProblem naming the line and the first field that is wrong."""
    cells = {f.name: (values.get(f.name) or "").strip() for f in BILL_FIELDS}
    for name in ("account", "period", "service", "volume", "tariff"):
        if not cells[name]:
            raise RowProblem(line, name, _("empty"))
    for name, value in cells.items():
        if len(value) > 100:
            raise RowProblem(line, name, _("longer than {limit} characters").format(limit=100))
    els: str | None = None
    number: str | None = None
    if payer_id_kind(cells["account"]) == "els":
        els = account = normalize_els(cells["account"])
    else:
        number = account = _checked(line, "account", lambda: normalize_account_number(cells["account"],
                                                                                       field="account"))
    period = _checked(line, "period", lambda: parse_period(cells["period"]))
    service = _SERVICE_WORDS.get(_words(cells["service"]))
    if service is None:
        raise RowProblem(line, "service", _("must be one of {allowed}; got {got}").format(
            allowed=", ".join(SERVICES), got=repr(cells["service"])))
    zone_text = cells["zone"].upper().replace("Т", "T")
    if service == "electricity":
        zone: str | None = zone_text or "T1"
        if zone not in ZONES:
            raise RowProblem(line, "zone", _("must be T1, T2 or T3; got {got}").format(got=repr(cells["zone"])))
    elif zone_text:
        raise RowProblem(line, "zone", _("only electricity has tariff zones; got {got} for {service}").format(
            got=repr(cells["zone"]), service=term(service)))
    else:
        zone = None
    volume = _volume(line, cells["volume"])
    unit = SERVICES[service]
    if cells["unit"]:
        given = _UNIT_WORDS.get(_words(cells["unit"]).rstrip("."))
        if given is None:
            raise RowProblem(line, "unit", _("must be one of {allowed}; got {got}").format(
                allowed=", ".join(UNITS), got=repr(cells["unit"])))
        if given != unit:
            raise RowProblem(line, "unit", _("{service} is billed in {unit}; got {got}").format(
                service=term(service), unit=term(unit), got=repr(cells["unit"])))
    tariff = to_kopecks(_checked(line, "tariff", lambda: parse_amount(cells["tariff"], field="tariff")))
    amount_text = cells["amount"]
    amount = to_kopecks(_checked(line, "amount", lambda: parse_amount(amount_text, field="amount"))) \
        if amount_text else line_amount(Decimal(volume), tariff)
    due: date | None = None
    if cells["due_date"]:
        due = _checked(line, "due_date", lambda: parse_person_date(cells["due_date"], field="due_date",
                                                                  short_year=True))
        if due < date(int(period[:4]), int(period[5:7]), 1):
            raise RowProblem(line, "due_date", _("{due} is before the period {period} begins").format(
                due=due.isoformat(), period=period))
    return BillRow(line, account, els, number, period, service, zone, volume, unit, tariff, amount, due)
