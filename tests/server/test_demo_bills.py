"""The demo world's bills (ЕПД): a year per account, their lines following the stored readings and the tariffs,
totals the sums of their lines, the payment state the next session's payments start from, and the payees'
bank details (the Bank of Russia's key digit)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from gkh.domain.identifiers import bank_account_is_valid, bik_is_valid, complete_bank_account
from gkh.server import demo
from gkh.server.db import open_portal
from gkh.server.demo import bills as demo_bills
from tests.helpers.demo import COLD, HOT, POWER, SEED_NOW

UK_ELS, ENERGO_ELS = demo.DEMO_RESIDENT_ACCOUNTS
PERIODS = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]
IPD_RE = re.compile(r"^[0-9]{2}[А-ЯЁ]{2}[0-9]{6}-[0-9]{2}-[0-9]{4}$")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GKH_PASSWORD_COST", "4")
        store = open_portal(tmp_path_factory.mktemp("bills") / "portal.sqlite3", SEED_NOW, seed=demo.seed)
    conn = sqlite3.connect(store.path)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()
    store.close()


def bills_of(conn, els: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT b.* FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.els = ? "
                        "ORDER BY b.period", (els,)).fetchall()


def lines_of(conn, bill_id: str) -> dict[tuple[str, str | None], sqlite3.Row]:
    return {(r["service"], r["zone"]): r for r in conn.execute(
        "SELECT * FROM bill_lines WHERE bill_id = ? ORDER BY position", (bill_id,))}


def used(conn, meter: str) -> dict[str, dict[str, Decimal]]:
    """The meter's consumption per period and zone from its stored readings (a period with the one before)."""
    rows = {r["period"]: {z: Decimal(v) for z, v in json.loads(r["reading_values"]).items()}
            for r in conn.execute("SELECT period, reading_values FROM readings WHERE meter_id = ?", (meter,))}
    out = {}
    for before, period in zip(PERIODS, PERIODS[1:]):
        if before in rows and period in rows:
            out[period] = {z: rows[period][z] - rows[before][z] for z in rows[period]}
    return out


def kopecks(volume: str, tariff: int) -> int:
    return int((Decimal(volume) * tariff).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_every_metered_account_has_a_bill_for_each_of_the_twelve_periods_before_the_seed(world):
    """A year of bills for an account with meters; the last two for the meterless filler accounts."""
    counts = world.execute(
        "SELECT EXISTS (SELECT 1 FROM meters m WHERE m.account_id = a.id) AS metered, count(b.id) AS bills,"
        " count(DISTINCT a.id) AS accounts FROM accounts a LEFT JOIN bills b ON b.account_id = a.id"
        " GROUP BY metered ORDER BY metered").fetchall()
    (meterless, with_meters) = [(row["accounts"], row["bills"]) for row in counts]
    assert with_meters[1] == with_meters[0] * 12
    assert meterless[1] == meterless[0] * 2 and meterless[0] > 2000
    last_two = [r[0] for r in world.execute(
        "SELECT DISTINCT period FROM bills b WHERE NOT EXISTS (SELECT 1 FROM meters m WHERE m.account_id ="
        " b.account_id) ORDER BY period")]
    assert last_two == PERIODS[-2:]
    periods = [r[0] for r in world.execute("SELECT DISTINCT period FROM bills ORDER BY period")]
    assert periods == PERIODS  # 2025-11 … 2026-10: the seed is 20.11.2026
    wrong = world.execute("SELECT count(*) FROM bills b JOIN accounts a ON a.id = b.account_id "
                          "WHERE b.payee_org_id != a.org_id").fetchone()[0]
    assert wrong == 0


def test_a_bills_id_dates_and_payee(world):
    bill = bills_of(world, UK_ELS)[-1]
    assert bill["id"] == "77ЕЖ532838-01-2610" and IPD_RE.match(bill["id"])
    assert (bill["period"], bill["issued_on"], bill["due_date"]) == ("2026-10", "2026-11-01", "2026-11-10")
    assert bills_of(world, UK_ELS)[1]["due_date"] == "2026-01-10"  # December's: the 10th of the next year
    assert bill["payee_org_id"] == demo.ORG_UK_MOSCOW
    for row in world.execute("SELECT b.id, a.izhku, b.period FROM bills b JOIN accounts a ON a.id = b.account_id"):
        assert row["id"] == f"{row['izhku']}-{row['period'][2:4]}{row['period'][5:7]}"


def test_every_total_is_the_sum_of_its_lines_each_volume_times_tariff_rounded_half_up(world):
    sums = {r[0]: r[1] for r in world.execute("SELECT bill_id, sum(amount_kopecks) FROM bill_lines GROUP BY bill_id")}
    totals = {r[0]: r[1] for r in world.execute("SELECT id, total_kopecks FROM bills")}
    assert sums == totals
    for line in world.execute("SELECT * FROM bill_lines WHERE bill_id LIKE '77%-2603' OR bill_id LIKE '66%'"):
        assert line["amount_kopecks"] == kopecks(line["volume"], line["tariff_kopecks"]), dict(line)
        assert "E" not in line["volume"] and Decimal(line["volume"]) >= 0


def test_water_lines_are_the_stored_readings_consumption_times_the_tariff(world):
    cold, hot = used(world, COLD), used(world, HOT)
    assert len(cold) == len(hot) == 11  # every period but the first, whose previous reading the demo lacks
    for bill in bills_of(world, UK_ELS):
        lines = lines_of(world, bill["id"])
        if bill["period"] not in cold:
            continue
        volume_c, volume_h = cold[bill["period"]]["T1"], hot[bill["period"]]["T1"]
        assert Decimal(lines["cold_water", None]["volume"]) == volume_c
        assert Decimal(lines["hot_water", None]["volume"]) == volume_h
        assert Decimal(lines["sewerage", None]["volume"]) == volume_c + volume_h
        assert lines["cold_water", None]["amount_kopecks"] == kopecks(str(volume_c), demo_bills.COLD_WATER_TARIFF)
        assert lines["hot_water", None]["amount_kopecks"] == kopecks(str(volume_h), demo_bills.HOT_WATER_TARIFF)


def test_every_metered_accounts_water_follows_its_readings(world):
    """All of ул. Ленина, д. 5 and the Yekaterinburg houses: cold water = the sum of the account's cold meters'
    consumption in every period both readings are stored for."""
    meters = defaultdict(list)
    for r in world.execute("SELECT m.id, a.els FROM meters m JOIN accounts a ON a.id = m.account_id "
                           "WHERE m.resource = 'cold_water'"):
        meters[r["els"]].append(r["id"])
    checked = 0
    for els, ids in list(meters.items())[::25]:
        per_meter = [used(world, m) for m in ids]
        for bill in bills_of(world, els):
            if all(bill["period"] in u for u in per_meter):
                volume = sum((u[bill["period"]]["T1"] for u in per_meter), Decimal(0))
                assert Decimal(lines_of(world, bill["id"])["cold_water", None]["volume"]) == volume, (els, bill["id"])
                checked += 1
    assert checked > 100


def test_a_period_without_a_known_consumption_is_billed_by_the_average(world):
    cold = used(world, COLD)
    average = (sum(u["T1"] for u in cold.values()) / len(cold)).quantize(Decimal("0.001"), ROUND_HALF_UP)
    first = bills_of(world, UK_ELS)[0]
    assert first["period"] == "2025-11"
    assert Decimal(lines_of(world, first["id"])["cold_water", None]["volume"]) == average


def test_maintenance_by_area_heating_only_in_the_heating_months(world):
    area = world.execute("SELECT area FROM accounts WHERE els = ?", (UK_ELS,)).fetchone()[0]
    for bill in bills_of(world, UK_ELS):
        lines = lines_of(world, bill["id"])
        assert lines["maintenance", None]["volume"] == area and lines["maintenance", None]["unit"] == "m2"
        heating = ("heating", None) in lines
        assert heating == (int(bill["period"][5:]) in (10, 11, 12, 1, 2, 3, 4)), bill["period"]
        if heating:
            assert Decimal(lines["heating", None]["volume"]) == Decimal(area) * demo_bills.HEATING_NORM_GCAL_PER_M2
            assert lines["heating", None]["unit"] == "Gcal"


def test_an_unmetered_account_is_billed_by_the_normative_volumes(world):
    els = world.execute("SELECT els FROM accounts WHERE house_guid = ? ORDER BY id LIMIT 1",
                        (demo.H2_GUID,)).fetchone()[0]
    lines = lines_of(world, bills_of(world, els)[-1]["id"])
    assert Decimal(lines["cold_water", None]["volume"]) == demo_bills.NORMATIVE["cold_water"]
    assert Decimal(lines["hot_water", None]["volume"]) == demo_bills.NORMATIVE["hot_water"]


def test_electricity_per_zone_is_the_readings_consumption_times_the_zone_tariff(world):
    power = used(world, POWER)
    for bill in bills_of(world, ENERGO_ELS):
        lines = lines_of(world, bill["id"])
        assert {service for service, _ in lines} == {"electricity"}
        assert sorted(zone for _, zone in lines) == ["T1", "T2", "T3"]
        if bill["period"] in power:
            for zone, volume in power[bill["period"]].items():
                line = lines["electricity", zone]
                assert Decimal(line["volume"]) == volume and line["unit"] == "kWh"
                assert line["tariff_kopecks"] == demo_bills.ELECTRICITY_TARIFFS[3][zone]
                assert line["amount_kopecks"] == kopecks(line["volume"], line["tariff_kopecks"])


def test_all_paid_but_the_latest_and_the_demo_residents_latest_two(world):
    unpaid = defaultdict(list)
    for r in world.execute("SELECT b.period, b.paid_kopecks, b.total_kopecks, a.els FROM bills b "
                           "JOIN accounts a ON a.id = b.account_id"):
        assert r["paid_kopecks"] in (0, r["total_kopecks"])
        if r["paid_kopecks"] == 0:
            unpaid[r["els"]].append(r["period"])
    assert sorted(unpaid[UK_ELS]) == ["2026-09", "2026-10"]
    assert unpaid[ENERGO_ELS] == ["2026-10"]
    others = {els: periods for els, periods in unpaid.items() if els != UK_ELS}
    assert all(periods == ["2026-10"] for periods in others.values())
    assert len(unpaid) == world.execute("SELECT count(*) FROM accounts").fetchone()[0]


def test_payees_have_well_formed_bank_details_and_card_commissions(world):
    payees = world.execute("SELECT * FROM organisations WHERE id IN (SELECT DISTINCT payee_org_id FROM bills)")
    rates = set()
    for org in payees:
        assert org["bank_name"] and bik_is_valid(org["bik"]), dict(org)
        assert bank_account_is_valid(org["bik"], org["bank_account"]), dict(org)
        assert bank_account_is_valid(org["bik"], org["correspondent_account"], correspondent=True), dict(org)
        assert org["correspondent_account"].endswith(org["bik"][-3:])
        rates.add(org["card_commission_bp"])
    assert rates == {80, 100}


def test_the_bank_account_key_digit():
    # Sberbank's published correspondent account; a settlement account made valid for its БИК, and one digit off.
    assert bank_account_is_valid("044525225", "30101810400000000225", correspondent=True)
    assert not bank_account_is_valid("044525225", "30101810500000000225", correspondent=True)
    account = complete_bank_account("044525225", "40702810000001234567")
    assert account[8] != "0" and bank_account_is_valid("044525225", account)
    assert not bank_account_is_valid("044525187", account)  # another bank's БИК
    assert not bank_account_is_valid("044525225", account[:19] + str((int(account[19]) + 1) % 10))
    assert not bik_is_valid("144525225") and not bik_is_valid("04452522")
