"""The demo world: deterministic, well-formed, and as the README (and gkh.server.demo's constants) say."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest

from gkh.domain.address import matches, query_needles
from gkh.domain.identifiers import inn_is_valid, normalize_els, ogrn_is_valid
from gkh.server import demo
from gkh.server.db import open_portal
from gkh.server.demo.houses import house_guids
from gkh.server.passwords import verify_password
from tests.helpers.demo import SEED_NOW

ELS_RE = re.compile(r"^[0-9]{2}[А-ЯЁ]{2}[0-9]{6}$")
# What legitimately differs between two creations.
VARYING_COLUMNS = {"created_at", "linked_at", "password_hash"}
VARYING_SETTINGS = {"portal_id", "created_at"}


@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    """Two portals created independently (module-scoped: creating one takes a fraction of a second)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GKH_PASSWORD_COST", "4")
        stores = [open_portal(tmp_path_factory.mktemp(name) / "portal.sqlite3", SEED_NOW, seed=demo.seed)
                  for name in ("a", "b")]
    conns = []
    for store in stores:
        conn = sqlite3.connect(store.path)
        conn.row_factory = sqlite3.Row
        conns.append(conn)
    yield conns
    for conn, store in zip(conns, stores):
        conn.close()
        store.close()


@pytest.fixture(scope="module")
def world(portals):
    """The first demo world's database, its rows readable by column name."""
    return portals[0]


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    out = {}
    for table in tables:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in VARYING_COLUMNS]
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        if table == "portal_settings":
            rows = [r for r in rows if r[0] not in VARYING_SETTINGS]
        out[table] = sorted(tuple(r) for r in rows)
    return out


def house_guid(key: str) -> str:
    return demo.DEMO_HOUSES[key].guid


def org_id(short_name: str) -> str:
    return demo.DEMO_ORGS[short_name].id


UK_MOSCOW = "ООО «УК Ленинский квартал»"
ENERGO = "АО «СтоличЭнергоСбыт»"


def test_two_creations_make_the_same_world(portals):
    a, b = (dump(conn) for conn in portals)
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], f"table {table} differs between two creations"
    assert len(a["accounts"]) > 2500  # the comparison compared something


def test_portal_settings(portals):
    ids = [dict(conn.execute("SELECT key, value FROM portal_settings").fetchall()) for conn in portals]
    assert ids[0]["portal_id"] != ids[1]["portal_id"]
    for settings in ids:
        assert re.fullmatch(r"[0-9a-f]{16}", settings["portal_id"])
        assert settings["demo"] == "1"
        assert settings["name"] == demo.PORTAL_NAME
        assert settings["created_at"] == "2026-11-20T09:00:00+00:00"


def test_organisations_have_valid_ids(world):
    rows = world.execute("SELECT * FROM organisations").fetchall()
    kinds = defaultdict(int)
    for row in rows:
        kinds[row["kind"]] += 1
        assert re.fullmatch(r"ORG-[0-9]{4}", row["id"])
        assert len(row["inn"]) == 10 and inn_is_valid(row["inn"]), row["inn"]
        assert len(row["ogrn"]) == 13 and ogrn_is_valid(row["ogrn"]), row["ogrn"]
        assert re.fullmatch(r"[0-9]{9}", row["kpp"])
        assert row["phone"].startswith("+7 ")
        assert "@" in row["email"] and row["address"]
    assert kinds == {"managing": 2, "supplier": 1, "inspectorate": 2, "authority": 2}


def test_houses_and_common_meters(world):
    houses = {r["guid"]: r for r in world.execute("SELECT * FROM houses")}
    assert len(houses) == 6  # H1 … H5, and the new build of schema v11
    for guid, row in houses.items():
        parsed = uuid.UUID(guid)
        assert str(parsed) == guid and parsed.version == 4  # lower case, version-4 shaped
        assert re.fullmatch(r"[0-9]{8}([0-9]{3})?", row["oktmo"])
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", row["total_area"])
        assert Decimal(row["total_area"]) > Decimal(row["living_area"]) > 0
        meters = world.execute("SELECT * FROM common_meters WHERE house_guid = ?", (guid,)).fetchall()
        assert 1 <= len(meters) <= 3
        for meter in meters:
            assert meter["unit"] == {"cold_water": "m3", "hot_water": "m3", "heat": "Gcal",
                                     "electricity": "kWh"}[meter["resource"]]
            assert re.fullmatch(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}", meter["verified_on"])
    h1 = houses[house_guid("H1")]
    assert (h1["window_from"], h1["window_to"], h1["timezone"]) == (1, 31, "Europe/Moscow")
    for key in ("H2", "H3"):
        assert (houses[house_guid(key)]["window_from"], houses[house_guid(key)]["window_to"]) == (15, 25)
    assert {r["timezone"] for r in houses.values()} == {"Europe/Moscow", "Asia/Yekaterinburg"}
    assert houses[house_guid("H4")]["oktmo"].startswith("65701000")
    assert all(houses[house_guid(k)]["oktmo"].startswith("45") for k in ("H1", "H2", "H3"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [("ленина", {"H1", "H5"}), ("ленина 5", {"H1"}), ("мира 12", {"H2", "H3"}),
     ("пр-т Мира 12 к2", {"H3"}), ("екатеринбург", {"H4", "H5"})],
)
def test_address_queries_find_the_documented_houses(world, query, expected):
    needles = query_needles(query)
    found = {k for k, h in demo.DEMO_HOUSES.items()
             if matches(world.execute("SELECT search_key FROM houses WHERE guid = ?", (h.guid,)).fetchone()[0],
                        needles)}
    assert found == expected


def test_flats_and_owner_shares(world):
    flats = world.execute("SELECT * FROM flats").fetchall()
    assert len(flats) == sum(h.flats for h in demo.DEMO_HOUSES.values())
    shares = defaultdict(Fraction)
    counts = defaultdict(int)
    for row in world.execute("SELECT * FROM owners"):
        shares[row["flat_id"]] += Fraction(row["share_num"], row["share_den"])
        counts[row["flat_id"]] += 1
        assert len(row["name"].split()) == 3
        cadastral, record = r"[0-9]{2}:[0-9]{2}:[0-9]{7}:[0-9]+", r"[0-9]{2}/[0-9]{3}/20[0-9]{2}-[0-9]"
        assert re.fullmatch(rf"Выписка из ЕГРН № {cadastral}-{record}", row["document"])
    for flat in flats:
        assert re.fullmatch(r"[0-9]{2,3}\.[0-9]", flat["area"])
        assert 1 <= flat["rooms"] <= 4
        assert shares[flat["id"]] == 1, f"flat {flat['id']}"
        assert 1 <= counts[flat["id"]] <= 3
    for key, house in demo.DEMO_HOUSES.items():
        numbers = [r[0] for r in world.execute("SELECT number FROM flats WHERE house_guid = ?", (house.guid,))]
        assert sorted(numbers, key=int) == [str(n) for n in range(1, house.flats + 1)], key


def test_accounts_are_well_formed(world):
    accounts = world.execute("SELECT * FROM accounts").fetchall()
    els = [a["els"] for a in accounts]
    assert len(set(els)) == len(els)
    first_owner = {r["flat_id"]: r["name"] for r in world.execute("SELECT flat_id, name FROM owners ORDER BY id DESC")}
    flat_area = {r["id"]: r["area"] for r in world.execute("SELECT id, area FROM flats")}
    per_org_flat = defaultdict(int)
    for a in accounts:
        assert ELS_RE.fullmatch(a["els"]) and normalize_els(a["els"]) == a["els"]
        assert a["izhku"] == a["els"] + "-01"
        assert a["payer"] == first_owner[a["flat_id"]]
        assert a["area"] == flat_area[a["flat_id"]]
        assert re.fullmatch(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}", a["opened_on"])
        if a["org_id"] == org_id(ENERGO):
            assert re.fullmatch(r"ЭС-[0-9]{6}", a["number"])
        else:
            assert re.fullmatch(r"[0-9]{8}", a["number"])
        per_org_flat[(a["org_id"], a["flat_id"])] += 1
    assert set(per_org_flat.values()) == {1}  # one account per flat per organisation


def test_account_numbers_cannot_be_guessed_from_the_flat(world):
    """A neighbour's number is not the own number plus one: the numbers are drawn, not counted."""
    rows = world.execute("SELECT a.org_id, a.number FROM accounts a JOIN flats f ON f.id = a.flat_id"
                      " ORDER BY a.org_id, a.house_guid, CAST(f.number AS INTEGER)").fetchall()
    steps = [int(b["number"].removeprefix("ЭС-")) - int(a["number"].removeprefix("ЭС-"))
             for a, b in zip(rows, rows[1:]) if a["org_id"] == b["org_id"]]
    assert len(set(steps)) > len(steps) * 0.99
    assert sum(1 for step in steps if 0 < step < 10) < len(steps) * 0.01


def test_account_volumes_and_organisations(world):
    count = world.execute("SELECT count(*) FROM accounts WHERE org_id = ?", (org_id(UK_MOSCOW),)).fetchone()[0]
    assert count >= 2500
    h1 = house_guid("H1")
    orgs = {r[0]: r[1] for r in world.execute(
        "SELECT org_id, count(*) FROM accounts WHERE house_guid = ? GROUP BY org_id", (h1,))}
    assert orgs == {org_id(UK_MOSCOW): 220, org_id(ENERGO): 220}
    ekb = world.execute("SELECT DISTINCT org_id FROM accounts WHERE house_guid IN (?, ?)",
                     (house_guid("H4"), house_guid("H5"))).fetchall()
    assert [r[0] for r in ekb] == [org_id("ООО «УК Уральский дом»")]


def test_the_demo_residents(world):
    users = {r["login"]: r for r in world.execute("SELECT * FROM users")}
    ivanov, petrova = users["ivanov"], users["petrova"]

    links = world.execute(
        "SELECT a.* FROM account_links l JOIN accounts a ON a.id = l.account_id WHERE l.user_id = ?"
        " ORDER BY a.id", (ivanov["id"],)).fetchall()
    assert len(links) == 2
    assert [a["els"] for a in links] == demo.DEMO_RESIDENT_ACCOUNTS
    assert [a["org_id"] for a in links] == [org_id(UK_MOSCOW), org_id(ENERGO)]
    flat = world.execute("SELECT * FROM flats WHERE id = ?", (links[0]["flat_id"],)).fetchone()
    assert (flat["house_guid"], flat["number"]) == (house_guid("H1"), "12")
    assert {a["flat_id"] for a in links} == {flat["id"]}

    owners = world.execute("SELECT * FROM owners WHERE flat_id = ? ORDER BY id", (flat["id"],)).fetchall()
    assert [(o["name"], o["user_id"], o["share_num"], o["share_den"]) for o in owners] == [
        ("Иванов Иван Петрович", ivanov["id"], 1, 2), ("Иванова Елена Викторовна", None, 1, 2)]

    flat34 = world.execute("SELECT id FROM flats WHERE house_guid = ? AND number = '34'",
                        (house_guid("H1"),)).fetchone()[0]
    owners = world.execute("SELECT name, user_id, share_num, share_den FROM owners WHERE flat_id = ?",
                        (flat34,)).fetchall()
    assert [tuple(o) for o in owners] == [("Петрова Анна Сергеевна", petrova["id"], 1, 1)]
    assert world.execute("SELECT count(*) FROM account_links WHERE user_id = ?", (petrova["id"],)).fetchone()[0] == 0
    assert world.execute("SELECT count(*) FROM account_links").fetchone()[0] == 2
    # petrova also owns flat 35 outright (schema v8: she owns two flats and votes with both); its accounts' payer
    # is hers. Only the two demo residents are tied to owner rows.
    flat35 = world.execute("SELECT id FROM flats WHERE house_guid = ? AND number = '35'",
                           (house_guid("H1"),)).fetchone()[0]
    owners = world.execute("SELECT name, user_id, share_num, share_den FROM owners WHERE flat_id = ?",
                           (flat35,)).fetchall()
    assert [tuple(o) for o in owners] == [("Петрова Анна Сергеевна", petrova["id"], 1, 1)]
    assert {r[0] for r in world.execute("SELECT payer FROM accounts WHERE flat_id = ?", (flat35,))} \
        == {"Петрова Анна Сергеевна"}
    assert world.execute("SELECT count(*) FROM owners WHERE user_id IS NOT NULL").fetchone()[0] == 3
    assert {r[0] for r in world.execute("SELECT user_id FROM owners WHERE user_id IS NOT NULL")} \
        == {ivanov["id"], petrova["id"]}


def test_users_match_the_published_list(world):
    users = {r["login"]: r for r in world.execute("SELECT * FROM users")}
    assert list(users) == [u.login for u in demo.DEMO_USERS]
    assert demo.DEMO_RESIDENT_LOGIN in users
    org_ids = {o.short_name: o.id for o in demo.DEMO_ORGS.values()}
    for u in demo.DEMO_USERS:
        row = users[u.login]
        assert (row["name"], row["role"], row["email"]) == (u.name, u.role, u.email)
        assert row["org_id"] == (org_ids[u.org_short_name] if u.org_short_name else None)
        assert verify_password(u.password, row["password_hash"])
        assert not verify_password(u.password + "x", row["password_hash"])
    assert {u.role for u in demo.DEMO_USERS} == {"resident", "staff", "inspector", "admin"}
    assert users["inspector"]["org_id"] == org_id("Мосжилинспекция")


def test_constants_match_the_database(world):
    assert house_guids() == [h.guid for h in demo.DEMO_HOUSES.values()]
    assert [demo.H1_GUID, demo.H2_GUID, demo.H3_GUID, demo.H4_GUID, demo.H5_GUID] == [
        h.guid for h in demo.DEMO_HOUSES.values()]
    for house in demo.DEMO_HOUSES.values():
        row = world.execute("SELECT * FROM houses WHERE guid = ?", (house.guid,)).fetchone()
        assert row is not None, house.key
        assert (row["address"], row["town"], row["timezone"], row["window_from"], row["window_to"],
                row["managing_org_id"]) == (house.address, house.town, house.timezone, house.window_from,
                                            house.window_to, house.managing_org_id)
    for short_name, org in demo.DEMO_ORGS.items():
        row = world.execute("SELECT * FROM organisations WHERE id = ?", (org.id,)).fetchone()
        assert (row["short_name"], row["inn"], row["ogrn"], row["kind"]) == (short_name, org.inn, org.ogrn,
                                                                              org.kind)
    for acc in (*demo.DEMO_RESIDENT_ACCOUNT_DETAILS, demo.DEMO_PETROVA_ACCOUNT):
        row = world.execute("SELECT a.*, f.number AS flat FROM accounts a JOIN flats f ON f.id = a.flat_id"
                         " WHERE a.els = ?", (acc.els,)).fetchone()
        assert (row["izhku"], row["number"], row["org_id"], row["house_guid"], row["flat"]) == (
            acc.izhku, acc.number, acc.org_id, acc.house_guid, acc.flat)
    assert demo.DEMO_RESIDENT_ACCOUNTS == [a.els for a in demo.DEMO_RESIDENT_ACCOUNT_DETAILS]
    assert demo.DEMO_RESIDENT_ACCOUNT_DETAILS[0].org_id == demo.DEMO_HOUSES["H1"].managing_org_id


def test_one_meter_is_past_its_verification_date(world):
    """The demo world's overdue meter (ПП № 354, п. 81(12)): a second cold-water meter on petrova's flat 34
    account, due on the 10th of the month before the portal's creation, numbered after every other meter; the
    only one overdue when the portal is made."""
    meter = world.execute("SELECT m.*, a.els FROM meters m JOIN accounts a ON a.id = m.account_id WHERE m.id = ?",
                          (demo.DEMO_OVERDUE_METER,)).fetchone()
    assert meter["els"] == demo.DEMO_PETROVA_ACCOUNT.els
    assert (meter["resource"], meter["zones"], meter["whole_digits"], meter["fraction_digits"]) == (
        "cold_water", "T1", 5, 3)
    assert (meter["installed_on"], meter["verified_on"], meter["verification_due"]) == (
        "2014-10-10", "2020-10-10", "2026-10-10")
    assert world.execute("SELECT max(id) FROM meters").fetchone()[0] == demo.DEMO_OVERDUE_METER
    today = SEED_NOW.date().isoformat()
    assert [r[0] for r in world.execute("SELECT id FROM meters WHERE verification_due < ?", (today,))] == [
        demo.DEMO_OVERDUE_METER]
    # its readings stop at its verification date: the 20th of each month up to September
    readings = world.execute("SELECT period, taken_on, reading_values FROM readings WHERE meter_id = ?"
                             " ORDER BY period", (demo.DEMO_OVERDUE_METER,)).fetchall()
    assert [r["taken_on"] for r in readings] == [f"{p}-20" for p in (
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
        "2026-08", "2026-09")]
    values = [Decimal(json.loads(r["reading_values"])["T1"]) for r in readings]
    assert values == sorted(values) and all(Decimal(3) <= b - a <= Decimal(8) for a, b in zip(values, values[1:]))
    # the other meters are as before: ivanov's three keep their ids, petrova's flat gains this one
    ivanov = world.execute("SELECT m.id FROM meters m JOIN account_links l ON l.account_id = m.account_id"
                           " JOIN users u ON u.id = l.user_id WHERE u.login = 'ivanov' ORDER BY m.id").fetchall()
    assert [r[0] for r in ivanov] == ["M-000023", "M-000024", "M-000452"]
    flat34 = world.execute("SELECT m.id, m.resource FROM meters m JOIN accounts a ON a.id = m.account_id"
                           " WHERE a.els = ? ORDER BY m.id", (demo.DEMO_PETROVA_ACCOUNT.els,)).fetchall()
    assert [r[1] for r in flat34] == ["cold_water", "hot_water", "cold_water"]
