"""The demo world's first part (schema v1): organisations, houses, flats and their owners, users, accounts.

Every row is drawn from seeded generators (world.rng) in a fixed order: changing the order of draws changes
every id in the world, and with it the README and world.py's constants.
"""

from __future__ import annotations

import os
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from gkh.domain.address import search_key
from gkh.domain.dates import format_instant
from gkh.server.demo import Connection
from gkh.server.demo.people import owners_of_a_flat
from gkh.server.demo.world import (
    DEMO_HOUSES,
    DEMO_PETROVA_FLAT,
    DEMO_RESIDENT_FLAT,
    DEMO_RESIDENT_HOUSE,
    DEMO_RESIDENT_LOGIN,
    DEMO_USERS,
    HOUSES,
    ORG_ENERGO,
    ORG_UK_EKB,
    ORG_UK_MOSCOW,
    ORGS,
    PORTAL_NAME,
    DemoHouse,
    rng,
)
from gkh.server.passwords import hash_password

_METER_UNITS = {"cold_water": "m3", "hot_water": "m3", "heat": "Gcal", "electricity": "kWh"}
_ORG_ID_BY_SHORT = {o.short_name: o.id for o in ORGS}
_USER_BY_LOGIN = {u.login: u for u in DEMO_USERS}


def house_guids() -> list[str]:
    """The houses' FIAS GUIDs as drawn (world.H1_GUID … are these, written out)."""
    generator = rng("houses")
    return [str(uuid.UUID(int=generator.getrandbits(128), version=4)) for _ in HOUSES]


def _tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def _hundredths(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


# Flat area in tenths of m² by rooms: (low, high).
_AREA_BY_ROOMS = {1: (320, 420), 2: (440, 620), 3: (580, 840), 4: (800, 1100)}
_ROOM_WEIGHTS = (30, 40, 24, 6)


@dataclass
class _Flat:
    id: int
    house: DemoHouse
    number: str
    area: str
    rooms: int
    owners: list[tuple[str, int, int, str | None]]  # (name, share_num, share_den, demo login); first = payer
    reg_year: int


def _flats(house: DemoHouse, first_id: int) -> list[_Flat]:
    """Flats numbered by entrance, then floor, then position; one plan per riser, a little noise."""
    flat_rng = rng(f"flats/{house.key}")
    risers = []
    for _ in range(house.entrances * house.flats_per_floor):
        rooms = flat_rng.choices((1, 2, 3, 4), weights=_ROOM_WEIGHTS)[0]
        low, high = _AREA_BY_ROOMS[rooms]
        risers.append((rooms, flat_rng.randint(low, high)))
    owner_rng = rng(f"owners/{house.key}")
    first_year = max(2000, house.year_built + 1)
    flats = []
    number = 0
    for entrance in range(house.entrances):
        for _floor in range(house.floors):
            for position in range(house.flats_per_floor):
                number += 1
                rooms, base = risers[entrance * house.flats_per_floor + position]
                area = base + flat_rng.randint(-3, 3)  # the same riser, measured flat by flat
                flats.append(_Flat(first_id + number - 1, house, str(number), _tenths(area), rooms,
                                   owners_of_a_flat(owner_rng), owner_rng.randint(first_year, 2025)))
    return flats



_ELS_LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"


def _els_numbers(rng: random.Random, taken: set[str], region: str) -> str:
    while True:
        els = region + "".join(rng.choices(_ELS_LETTERS, k=2)) + f"{rng.randrange(10**6):06d}"
        if els not in taken:
            taken.add(els)
            return els


def _account_number(rng: random.Random, taken: set[str], supplier: bool) -> str:
    """A managing organisation's 8 digits, or the electricity supplier's ЭС- and 6 digits; never reused."""
    while True:
        number = f"ЭС-{rng.randrange(10**6):06d}" if supplier else f"{rng.randrange(10**8):08d}"
        if number not in taken:
            taken.add(number)
            return number


def _iso(day: date) -> str:
    return day.isoformat()


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


# When each organisation's accounts in a house were opened (management contract, direct contract).
_ACCOUNTS_SINCE = {
    ("H1", ORG_UK_MOSCOW): date(2015, 3, 1),
    ("H1", ORG_ENERGO): date(2017, 1, 1),
    ("H2", ORG_UK_MOSCOW): date(2019, 11, 1),
    ("H3", ORG_UK_MOSCOW): date(2019, 12, 1),
    ("H4", ORG_UK_EKB): date(2016, 5, 1),
    ("H5", ORG_UK_EKB): date(2018, 9, 1),
}


@dataclass(frozen=True)
class _World:
    houses: list[tuple]
    meters: list[tuple]
    flats: list[_Flat]
    accounts: list[tuple]  # rows of the accounts table, id first


def _world() -> _World:
    guids = house_guids()
    meter_rng = rng("common-meters")
    houses: list[tuple] = []
    meters: list[tuple] = []
    flats: list[_Flat] = []
    for house, guid in zip(HOUSES, guids):
        house_flats = _flats(house, len(flats) + 1)
        if house.key == DEMO_RESIDENT_HOUSE:
            _apply_demo_people(house_flats)
        flats.extend(house_flats)
        living = sum((Decimal(f.area) for f in house_flats), Decimal(0))
        total = living * Decimal("1.24")  # stairs, corridors, lift halls, technical floors
        houses.append((guid, house.address, house.town, search_key(house.address), house.oktmo,
                       house.timezone, house.window_from, house.window_to, house.year_built,
                       house.floors, house.entrances, _hundredths(total), _hundredths(living),
                       house.condition, house.energy_class, house.managing_org_id))
        for resource in house.common_meters:
            serial = f"{meter_rng.randrange(10**7, 10**8)}"
            verified = _random_day(meter_rng, date(2021, 1, 1), date(2025, 12, 31))
            meters.append((len(meters) + 1, guid, resource, serial, _METER_UNITS[resource], _iso(verified)))

    els_rng, opened_rng = rng("els"), rng("opened-on")
    # Account numbers are drawn, not counted: a number must not be guessable from the flat.
    numbers_rng = rng("account-numbers")
    taken: set[str] = set()
    numbers_taken: set[str] = set()
    accounts: list[tuple] = []
    for house, guid in zip(HOUSES, guids):
        house_flats = [f for f in flats if f.house is house]
        for org_id in (house.managing_org_id, *house.supplier_org_ids):
            since = _ACCOUNTS_SINCE[(house.key, org_id)]
            for flat in house_flats:
                els = _els_numbers(els_rng, taken, house.region)
                number = _account_number(numbers_rng, numbers_taken, org_id != house.managing_org_id)
                # An account dates from the contract, or from the current owners' registration if later.
                opened = since
                if flat.reg_year >= since.year:
                    opened = max(since, _random_day(opened_rng, date(flat.reg_year, 1, 1),
                                                    date(flat.reg_year, 12, 31)))
                accounts.append((len(accounts) + 1, els, els + "-01", number, org_id, guid, flat.id,
                                 flat.owners[0][0], flat.area, _iso(opened)))
    return _World(houses, meters, flats, accounts)


def _document(flat: _Flat, owner_index: int) -> str:
    # The flat's cadastral number, then the owner's registration record (region/office/year-number).
    region = flat.house.region
    office = "011" if region == "77" else "199"
    return (f"Выписка из ЕГРН № {flat.house.cadastral_quarter}:{1000 + int(flat.number)}"
            f"-{region}/{office}/{flat.reg_year}-{owner_index + 1}")


def _apply_demo_people(flats: list[_Flat]) -> None:
    """The demo residents' flats: ivanov owns ½ of H1 flat 12 with his wife; petrova all of flat 34."""
    by_number = {f.number: f for f in flats}
    by_number[DEMO_RESIDENT_FLAT].owners = [(_USER_BY_LOGIN["ivanov"].name, 1, 2, "ivanov"),
                                            ("Иванова Елена Викторовна", 1, 2, None)]
    by_number[DEMO_PETROVA_FLAT].owners = [(_USER_BY_LOGIN["petrova"].name, 1, 1, "petrova")]


def seed_v1(conn: Connection, now: datetime) -> None:
    """Fill a new portal (schema v1) with the demo world; runs inside the caller's transaction."""
    created = format_instant(now)
    # scrypt releases the GIL: the users' passwords are hashed side by side while the world is built.
    with ThreadPoolExecutor(max_workers=max(1, min(len(DEMO_USERS), os.cpu_count() or 1))) as pool:
        hashes = [pool.submit(hash_password, u.password) for u in DEMO_USERS]

        conn.executemany(
            "INSERT INTO portal_settings (key, value) VALUES (?, ?)",
            [("demo", "1"), ("created_at", created), ("name", PORTAL_NAME)],
        )
        conn.executemany(
            "INSERT INTO organisations (id, kind, name, short_name, inn, ogrn, kpp, phone, email, address)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(o.id, o.kind, o.name, o.short_name, o.inn, o.ogrn, o.kpp, o.phone, o.email, o.address)
             for o in ORGS],
        )

        world = _world()
        conn.executemany(
            "INSERT INTO houses (guid, address, town, search_key, oktmo, timezone, window_from, window_to,"
            " year_built, floors, entrances, total_area, living_area, condition, energy_class,"
            " managing_org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            world.houses,
        )
        conn.executemany(
            "INSERT INTO common_meters (id, house_guid, resource, serial, unit, verified_on)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            world.meters,
        )
        guid_of = {h.key: row[0] for h, row in zip(HOUSES, world.houses)}
        conn.executemany(
            "INSERT INTO flats (id, house_guid, number, area, rooms) VALUES (?, ?, ?, ?, ?)",
            [(f.id, guid_of[f.house.key], f.number, f.area, f.rooms) for f in world.flats],
        )

        users = [(i, u.login, u.name, u.email, u.role,
                  _ORG_ID_BY_SHORT[u.org_short_name] if u.org_short_name else None, h.result(), created)
                 for i, (u, h) in enumerate(zip(DEMO_USERS, hashes), start=1)]
    conn.executemany(
        "INSERT INTO users (id, login, name, email, role, org_id, password_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        users,
    )
    user_id = {row[1]: row[0] for row in users}

    owners: list[tuple] = []
    for flat in world.flats:
        for k, (name, num, den, login) in enumerate(flat.owners):
            owner_user = user_id.get(login) if login else None
            owners.append((len(owners) + 1, flat.id, name, owner_user, num, den, _document(flat, k)))
    conn.executemany(
        "INSERT INTO owners (id, flat_id, name, user_id, share_num, share_den, document)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        owners,
    )
    conn.executemany(
        "INSERT INTO accounts (id, els, izhku, number, org_id, house_guid, flat_id, payer, area, opened_on)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        world.accounts,
    )

    # The demo resident sees both accounts of his flat (the managing organisation's and the supplier's).
    h1 = DEMO_HOUSES[DEMO_RESIDENT_HOUSE]
    flat_id = next(f.id for f in world.flats if f.house is h1 and f.number == DEMO_RESIDENT_FLAT)
    conn.executemany(
        "INSERT INTO account_links (user_id, account_id, linked_at) VALUES (?, ?, ?)",
        [(user_id[DEMO_RESIDENT_LOGIN], row[0], created) for row in world.accounts if row[6] == flat_id],
    )
