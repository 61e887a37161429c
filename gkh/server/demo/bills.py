"""The demo world's bills (ЕПД) and the organisations' bank details (schema version 6).

Every demo account with meters gets a bill for each of the twelve full periods before the month of the portal's
creation (in its house's zone), every other account for the last two of them (METERLESS_MONTHS), from its own
organisation: the managing organisation's bills carry maintenance (area ×
tariff), cold and hot water (the account's meters' consumption in the period × tariff), sewerage ((cold + hot)
× tariff) and, from October to April, heating (area × a Gcal/m² norm × tariff); the electricity supplier's
carry electricity per tariff zone (consumption × the zone's tariff). Each amount is volume × tariff rounded
half-up to kopecks; a bill's total is the sum of its lines.

Consumption comes from the readings the demo already stores (meters.seed_v2): a period's is its reading less
the previous period's, so the bills agree with the meters' history. Where that is not known:
* a meter's period without both readings (the first month of the history, whose previous reading the demo does
  not hold; a meter past its verification date, which takes none) is billed by the meter's average monthly
  consumption over the periods that are known, rounded half-up to the meter's digits (ПП № 354, п. 59);
* an account without a meter of the resource (the houses at пр-т Мира, д. 12 have none) is billed by a
  normative volume per month (ПП № 354, п. 42), the NORMATIVE constants below (one registered person).

Paid: every bill but the latest of each account; the demo resident's managing-organisation account has its
latest two unpaid (a payment across two bills). Tariffs are plausible Moscow 2026 figures, the same constants
for every house. Deterministic: the same `now` gives the same bills.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from gkh.domain.bills import ipd, line_amount
from gkh.domain.dates import house_zone, local_date, period_of
from gkh.domain.identifiers import complete_bank_account
from gkh.domain.readings import canonical
from gkh.server.demo import Connection
from gkh.server.demo.world import DEMO_RESIDENT_ACCOUNT_DETAILS, ORG_ENERGO, ORG_UK_EKB, ORG_UK_MOSCOW, rng

BILL_MONTHS = 12
# An account without meters (the 2 304 flats at пр-т Мира, д. 12, there to fill staff's lists) has only its last
# two bills, one paid and one not: a year of theirs would triple the demo database (to 18 MB) and its first
# creation (to 3 s), and every test's copy of it, for bills nobody reads.
METERLESS_MONTHS = 2
KOPECK = Decimal("0.01")

# Tariffs in kopecks per unit (Moscow, 2026: plausible figures, not an official schedule).
MAINTENANCE_TARIFF = 3250  # содержание и ремонт жилого помещения, ₽/m² of the flat's area
COLD_WATER_TARIFF = 6284  # холодное водоснабжение, ₽/m³
HOT_WATER_TARIFF = 30153  # горячее водоснабжение, ₽/m³
SEWERAGE_TARIFF = 4720  # водоотведение, ₽/m³ of cold + hot water
HEATING_TARIFF = 341261  # отопление, ₽/Gcal
# Electricity by the meter's number of zones: one rate; day/night; peak/night/semi-peak (T1, T2, T3).
ELECTRICITY_TARIFFS: dict[int, dict[str, int]] = {
    1: {"T1": 929},
    2: {"T1": 1065, "T2": 417},
    3: {"T1": 1118, "T2": 417, "T3": 929},
}

# Heating by the norm: Gcal per m² of the flat in each month of the heating season (October to April).
HEATING_NORM_GCAL_PER_M2 = Decimal("0.0160")
HEATING_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})
# Normative volumes per month for an account without a meter of the resource (one registered person).
NORMATIVE = {"cold_water": Decimal("6.935"), "hot_water": Decimal("4.745"), "electricity": Decimal("150")}

# The payees' banks: (bank's name, БИК, correspondent account) — real Moscow and Yekaterinburg БИК; the
# settlement accounts are drawn (world.rng) and given the key digit their БИК requires.
_BANKS = {
    ORG_UK_MOSCOW: ("ПАО Сбербанк", "044525225", "30101810400000000225"),
    ORG_ENERGO: ("Банк ВТБ (ПАО)", "044525187", "30101810700000000187"),
    ORG_UK_EKB: ("Уральский банк ПАО Сбербанк", "046577674", "30101810500000000674"),
}
# Card payment commission in basis points of the sum (0.8 % = 80).
CARD_COMMISSION_BP = {ORG_UK_MOSCOW: 80, ORG_ENERGO: 100, ORG_UK_EKB: 80}

_WATER = ("cold_water", "hot_water")


def bank_details() -> dict[str, tuple[str, str, str, str]]:
    """Organisation id → (bank's name, БИК, settlement account, correspondent account)."""
    draw = rng("banks")
    details = {}
    for org_id, (name, bik, correspondent) in _BANKS.items():
        # 407 02 810: a commercial organisation's settlement account in roubles; then a branch and a number.
        account = complete_bank_account(bik, f"40702810{draw.randint(0, 9)}{draw.randint(0, 10 ** 11 - 1):011d}")
        details[org_id] = (name, bik, account, correspondent)
    return details


def bill_periods(today: date) -> list[str]:
    """The twelve full periods before `today`'s month, oldest first."""
    first = today.replace(day=1)
    return [period_of(first - relativedelta(months=n)) for n in range(BILL_MONTHS, 0, -1)]


@lru_cache(maxsize=64)
def issue_dates(period: str) -> tuple[str, str]:
    """When a period's bill is issued and when it is due: the 1st and the 10th of the next month (ЖК РФ ст. 155
    п. 1: paid by the 10th of the month after the one billed)."""
    start = date(int(period[:4]), int(period[5:7]), 1) + relativedelta(months=1)
    return start.isoformat(), start.replace(day=10).isoformat()


@lru_cache(maxsize=64)
def _previous(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return period_of(date(year, month, 1) - relativedelta(months=1))


def _meter_use(rows: list[tuple[str, str]], periods: list[str], fraction: int) -> dict[str, dict[str, Decimal]]:
    """One meter's consumption per billed period and zone, from its readings (period, values JSON); a period
    without both readings by the average of the known ones (ПП № 354, п. 59)."""
    values = {period: {z: Decimal(v) for z, v in json.loads(text).items()} for period, text in rows}
    known: dict[str, dict[str, Decimal]] = {}
    for period in periods:
        current, previous = values.get(period), values.get(_previous(period))
        if current is not None and previous is not None:
            known[period] = {z: current[z] - previous[z] for z in current if z in previous}
    zones = sorted({z for v in values.values() for z in v})
    step = Decimal(1).scaleb(-fraction)
    average = {z: (sum((u[z] for u in known.values()), Decimal(0)) / len(known)).quantize(step, ROUND_HALF_UP)
               for z in zones} if known else None
    out = {}
    for period in periods:
        if period in known:
            out[period] = known[period]
        elif average is not None:
            out[period] = average
    return out


Line = tuple[str, str | None, Decimal, str, int]


def _lines(org_id: str, area: Decimal, period: str, use: dict[str, dict[str, Decimal]],
           electricity_zones: int) -> list[Line]:
    """(service, zone, volume, unit, tariff in kopecks) of one bill, in the order it shows them."""
    if org_id == ORG_ENERGO:
        tariffs = ELECTRICITY_TARIFFS[electricity_zones]
        used = use.get("electricity") or {"T1": NORMATIVE["electricity"]}
        return [("electricity", zone, used[zone], "kWh", tariffs[zone]) for zone in sorted(used)]
    water = {r: sum(use[r].values(), Decimal(0)) if r in use else NORMATIVE[r] for r in _WATER}
    lines: list[Line] = [
        ("maintenance", None, area, "m2", MAINTENANCE_TARIFF),
        ("cold_water", None, water["cold_water"], "m3", COLD_WATER_TARIFF),
        ("hot_water", None, water["hot_water"], "m3", HOT_WATER_TARIFF),
        ("sewerage", None, water["cold_water"] + water["hot_water"], "m3", SEWERAGE_TARIFF),
    ]
    if int(period[5:7]) in HEATING_MONTHS:
        lines.append(("heating", None, area * HEATING_NORM_GCAL_PER_M2, "Gcal", HEATING_TARIFF))
    return lines


def seed_v6(conn: Connection, now: datetime) -> None:
    """Add the bank details and a year of bills to a demo portal (schema v6), in the caller's transaction;
    nothing when it has bills already (a portal whose schema version was set back)."""
    for org_id, (name, bik, account, correspondent) in bank_details().items():
        conn.execute("UPDATE organisations SET bank_name = ?, bik = ?, bank_account = ?, correspondent_account = ?,"
                     " card_commission_bp = ? WHERE id = ?",
                     (name, bik, account, correspondent, CARD_COMMISSION_BP[org_id], org_id))
    if conn.execute("SELECT 1 FROM bills LIMIT 1").fetchone() is not None:
        return
    accounts = conn.execute(
        "SELECT a.id, a.els, a.izhku, a.org_id, a.area, f.area AS flat_area, h.timezone FROM accounts a"
        " JOIN houses h ON h.guid = a.house_guid LEFT JOIN flats f ON f.id = a.flat_id ORDER BY a.id").fetchall()
    meters = defaultdict(list)  # account id → (meter id, resource, number of zones, fraction digits)
    for meter_id, account_id, resource, zones, fraction in conn.execute(
            "SELECT id, account_id, resource, zones, fraction_digits FROM meters ORDER BY id").fetchall():
        meters[account_id].append((meter_id, resource, len(zones.split(",")), fraction))
    readings = defaultdict(list)
    for meter_id, period, values in conn.execute(
            "SELECT meter_id, period, reading_values FROM readings ORDER BY meter_id, period").fetchall():
        readings[meter_id].append((period, values))
    unpaid_two = {a.els for a in DEMO_RESIDENT_ACCOUNT_DETAILS if a.org_id != ORG_ENERGO}
    bills: list[tuple] = []
    lines: list[tuple] = []
    periods_in = {zone: bill_periods(local_date(now, house_zone(zone))) for zone in {row[6] for row in accounts}}
    for account_id, els, izhku, org_id, account_area, flat_area, timezone in accounts:
        periods = periods_in[timezone]
        area = Decimal(account_area or flat_area or "0")
        # Resource → period → zone → consumption, summed over the account's meters of the resource.
        use: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
        electricity_zones = 1
        for meter_id, resource, zone_count, fraction in meters.get(account_id, ()):
            if resource == "electricity":
                electricity_zones = zone_count
            for period, zones in _meter_use(readings.get(meter_id, []), periods, fraction).items():
                for zone, used in zones.items():
                    use[resource][period][zone] = use[resource][period].get(zone, Decimal(0)) + used
        unpaid = 2 if els in unpaid_two else 1
        if account_id not in meters:  # a year for the metered; the rest, the filler, its last two (see the docstring)
            periods = periods[-METERLESS_MONTHS:]
        for n, period in enumerate(periods):
            bill_id = ipd(izhku, period)
            issued_on, due_date = issue_dates(period)
            of_period = {resource: by_period[period] for resource, by_period in use.items() if period in by_period}
            total = 0
            for position, (service, line_zone, volume, unit, tariff) in enumerate(
                    _lines(org_id, area, period, of_period, electricity_zones), start=1):
                kopecks = line_amount(volume, tariff)
                total += kopecks
                lines.append((bill_id, position, service, line_zone, canonical(volume), unit, tariff, kopecks))
            paid = 0 if n >= len(periods) - unpaid else total
            bills.append((bill_id, account_id, period, org_id, issued_on, due_date, total, paid))
    conn.executemany("INSERT INTO bills (id, account_id, period, payee_org_id, issued_on, due_date, total_kopecks,"
                     " paid_kopecks) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", bills)
    conn.executemany("INSERT INTO bill_lines (bill_id, position, service, zone, volume, unit, tariff_kopecks,"
                     " amount_kopecks) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
