"""The demo world's meters and a year of their readings (schema version 2).

Flats at ул. Ленина, д. 5 (Moscow, readings accepted every day) and at the two Yekaterinburg houses get
cold- and hot-water meters on the managing organisation's account; at Ленина 5 the supplier's account
also gets an electricity meter — one-zone in odd flats, two-zone in even ones, three-zone (T1 T2 T3) in
the demo resident's flat 12. Ids (`M-000001`…) and serial numbers are deterministic; the history covers
the twelve months before the portal's creation, one reading on the 20th of each.

After them, one meter past its verification date (DEMO_OVERDUE_METER): a second cold-water meter in petrova's
flat 34 at ул. Ленина, д. 5, due on the 10th of the month before the portal's creation, its readings up to then.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from gkh.domain.dates import house_zone, local_date, period_of
from gkh.domain.meters import METER_DEFAULTS
from gkh.server.demo import Connection
from gkh.server.demo.world import DEMO_HOUSES, DEMO_OVERDUE_METER, DEMO_PETROVA_ACCOUNT, ORG_ENERGO, rng

METER_HOUSES = ("H1", "H4", "H5")
HISTORY_MONTHS = 12

# resource → (unit, whole digits, fraction digits, verification interval in years: the portal's defaults for a new
# meter, monthly use range)
_USE = {"cold_water": (3.0, 8.0), "hot_water": (2.0, 5.0), "electricity": (120.0, 320.0)}
_KINDS = {resource: (d.unit, d.whole_digits, d.fraction_digits, d.interval_years, _USE[resource])
          for resource, d in METER_DEFAULTS.items() if resource in _USE}
_SERIAL_PREFIX = {"cold_water": "ХВ", "hot_water": "ГВ", "electricity": "ЭЛ"}
# Night and semi-peak shares of electricity use in multi-zone meters.
_ZONE_SHARES = {1: (1.0,), 2: (0.7, 0.3), 3: (0.45, 0.25, 0.30)}


def _zones(flat_number: str) -> tuple[str, ...]:
    if flat_number == "12":
        return ("T1", "T2", "T3")
    return ("T1", "T2") if int(flat_number) % 2 == 0 else ("T1",)


def seed_v2(conn: Connection, now: datetime) -> None:
    """Add the meters and their history to a demo portal (schema v2); runs inside the caller's transaction."""
    draw = rng("meters")
    guids = {DEMO_HOUSES[key].guid: DEMO_HOUSES[key] for key in METER_HOUSES}
    marks = ",".join("?" * len(guids))
    accounts = conn.execute(
        f"SELECT a.id, a.org_id, a.house_guid, f.number FROM accounts a JOIN flats f ON f.id = a.flat_id "
        f"WHERE a.house_guid IN ({marks}) ORDER BY a.id", list(guids),
    ).fetchall()
    # Each house's reading days: the 20th of the twelve months before today in its own zone.
    todays = {guid: local_date(now, house_zone(house.timezone)) for guid, house in guids.items()}
    days = {guid: [(today - relativedelta(months=n)).replace(day=20) for n in range(HISTORY_MONTHS, 0, -1)]
            for guid, today in todays.items()}
    meters: list[tuple] = []
    readings: list[tuple] = []
    for account_id, org_id, house_guid, flat_number in accounts:
        today = todays[house_guid]
        kinds = ["electricity"] if org_id == ORG_ENERGO else ["cold_water", "hot_water"]
        for resource in kinds:
            unit, whole, fraction, interval, (low, high) = _KINDS[resource]
            zones = _zones(flat_number) if resource == "electricity" else ("T1",)
            meter_id = f"M-{len(meters) + 1:06d}"
            installed = date(draw.randint(2012, 2021), draw.randint(1, 12), draw.randint(1, 28))
            verified = installed + relativedelta(years=((today - installed).days // 365 // interval) * interval)
            serial = f"{_SERIAL_PREFIX[resource]}-{installed.year % 100:02d}-{draw.randint(0, 999999):06d}"
            meters.append((meter_id, account_id, serial, resource, unit, ",".join(zones), whole, fraction,
                           installed.isoformat(), verified.isoformat(),
                           (verified + relativedelta(years=interval)).isoformat()))
            values = [Decimal(draw.randint(100, 3000)) for _ in zones]
            shares = _ZONE_SHARES[len(zones)]
            for taken in days[house_guid]:
                use = Decimal(str(round(draw.uniform(low, high), fraction)))
                values = [v + (use * Decimal(str(share))).quantize(Decimal(1).scaleb(-fraction))
                          for v, share in zip(values, shares)]
                readings.append((meter_id, period_of(taken), taken.isoformat(),
                                 json.dumps(dict(zip(zones, (str(v) for v in values)))),
                                 f"{taken.isoformat()}T12:00:00+00:00"))
    conn.executemany("INSERT INTO meters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", meters)
    conn.executemany(
        "INSERT INTO readings (meter_id, period, taken_on, reading_values, submitted_at) VALUES (?, ?, ?, ?, ?)",
        readings,
    )
    _overdue_meter(conn, now)


def _overdue_meter(conn: Connection, now: datetime) -> None:
    """Add DEMO_OVERDUE_METER and its readings: numbered after every other meter, drawn from a generator of its
    own, so nothing seeded before it changes."""
    draw = rng("meters/overdue")
    house = DEMO_HOUSES["H1"]
    today = local_date(now, house_zone(house.timezone))
    unit, whole, fraction, interval, (low, high) = _KINDS["cold_water"]
    due = (today - relativedelta(months=1)).replace(day=10)
    verified = due - relativedelta(years=interval)
    installed = verified - relativedelta(years=interval)
    account_id = conn.execute("SELECT id FROM accounts WHERE els = ?", (DEMO_PETROVA_ACCOUNT.els,)).fetchone()[0]
    serial = f"{_SERIAL_PREFIX['cold_water']}-{installed.year % 100:02d}-{draw.randint(0, 999999):06d}"
    conn.execute("INSERT INTO meters (id, account_id, serial, resource, unit, zones, whole_digits, fraction_digits,"
                 " installed_on, verified_on, verification_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (DEMO_OVERDUE_METER, account_id, serial, "cold_water", unit, "T1", whole, fraction,
                  installed.isoformat(), verified.isoformat(), due.isoformat()))
    # Its readings on the 20th of the months before, up to its verification date: none since.
    value = Decimal(draw.randint(100, 3000))
    readings = []
    for n in range(HISTORY_MONTHS, 0, -1):
        taken = (today - relativedelta(months=n)).replace(day=20)
        if taken > due:
            break
        value += Decimal(str(round(draw.uniform(low, high), fraction)))
        readings.append((DEMO_OVERDUE_METER, period_of(taken), taken.isoformat(),
                         json.dumps({"T1": str(value)}), f"{taken.isoformat()}T12:00:00+00:00"))
    conn.executemany(
        "INSERT INTO readings (meter_id, period, taken_on, reading_values, submitted_at) VALUES (?, ?, ?, ?, ?)",
        readings,
    )
