"""The demo world: a small, made-up but well-formed portal that a new user gets on first use.

Deterministic: the same house GUIDs, ЕЛС, account numbers, owners and ИНН on every creation (seeded
`random.Random` instances, never the clock or uuid4), so the README's examples run as written. Only three
things differ between two creations: `portal_settings.portal_id` (a fresh random id, it keys the CLI's
stored credentials), the created_at / linked_at timestamps (from `now`), and the password hashes (salted).

The world (the README documents it; tests/server/test_demo_world.py checks the constants below against a
seeded database):

* H1 `г. Москва, ул. Ленина, д. 5` — accepts readings every day (window 1–31); 220 flats, each with two
  accounts: one with the managing organisation (ООО «УК Ленинский квартал») and one with the electricity
  supplier (АО «СтоличЭнергоСбыт»). The demo resident `ivanov` owns ½ of flat 12 and has both of its
  accounts linked; `petrova` owns flat 34 outright and has nothing linked.
* H2, H3 `г. Москва, пр-т Мира, д. 12, корп. 1` / `корп. 2` — window 15–25; 1 152 flats each, so the
  Moscow managing organisation has 2 524 accounts (big enough to page through and to import against).
* H4, H5 `г. Екатеринбург, ул. Малышева, д. 51` / `ул. Ленина, д. 24` — Asia/Yekaterinburg, window
  15–25, managed by ООО «УК Уральский дом»; a few dozen flats each. ("ленина" matches H1 and H5 in two
  towns, "ленина 5" only H1, "мира 12" both корпуса.)
* Two housing inspectorates (Moscow, Sverdlovsk region).

`seed_v1` runs inside open_portal's BEGIN IMMEDIATE transaction on a new database. Later schema versions
add their own part of the demo world (meters, bills, …) in their own seed functions.
"""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from gkh.domain.address import search_key
from gkh.domain.identifiers import complete_inn10, complete_ogrn13
from gkh.server.passwords import hash_password

PORTAL_NAME = "Демо-портал gkh"

# The root of every seeded generator. Changing it (or the order of draws below) changes every id in the
# demo world, and with it the README: the constants below would have to be regenerated.
SEED = "gkh-demo-world-v1"


# --- organisations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrg:
    id: str
    kind: str  # managing | supplier | inspectorate | authority
    short_name: str
    name: str
    inn: str
    ogrn: str
    kpp: str
    phone: str
    email: str
    address: str


def _org(id_: str, kind: str, short_name: str, name: str, inn9: str, ogrn12: str, kpp: str,
         phone: str, email: str, address: str) -> DemoOrg:
    # ИНН and ОГРН get their check digits from the domain's generators, so they are always valid.
    return DemoOrg(id_, kind, short_name, name, complete_inn10(inn9), complete_ogrn13(ogrn12), kpp,
                   phone, email, address)


ORG_UK_MOSCOW = "ORG-0001"
ORG_ENERGO = "ORG-0002"
ORG_UK_EKB = "ORG-0003"
ORG_GZHI_MOSCOW = "ORG-0004"
ORG_GZHI_SVERDLOVSK = "ORG-0005"

_ORGS: tuple[DemoOrg, ...] = (
    _org(ORG_UK_MOSCOW, "managing", "ООО «УК Ленинский квартал»",
         "Общество с ограниченной ответственностью «Управляющая компания Ленинский квартал»",
         "770512483", "115774630518", "770501001", "+7 495 214-37-60",
         "info@uk-leninsky.example", "115054, г. Москва, ул. Ленина, д. 5, пом. 1"),
    _org(ORG_ENERGO, "supplier", "АО «СтоличЭнергоСбыт»",
         "Акционерное общество «СтоличЭнергоСбыт»",
         "773640219", "105774612873", "772801001", "+7 495 981-20-45",
         "abonent@stolichenergo.example", "117312, г. Москва, ул. Вавилова, д. 9, стр. 2"),
    _org(ORG_UK_EKB, "managing", "ООО «УК Уральский дом»",
         "Общество с ограниченной ответственностью «Управляющая компания Уральский дом»",
         "667031854", "117665802194", "667001001", "+7 343 310-52-18",
         "dom@uk-uraldom.example", "620014, г. Екатеринбург, ул. Малышева, д. 51, оф. 4"),
    _org(ORG_GZHI_MOSCOW, "inspectorate", "Мосжилинспекция",
         "Государственная жилищная инспекция города Москвы",
         "771810347", "102770090712", "771801001", "+7 495 681-92-03",
         "gzhi@mos-inspection.example", "129090, г. Москва, ул. Сухаревская, д. 8"),
    _org(ORG_GZHI_SVERDLOVSK, "inspectorate", "Госжилстройнадзор Свердловской области",
         "Департамент государственного жилищного и строительного надзора Свердловской области",
         "667052096", "104660375419", "667001001", "+7 343 257-41-90",
         "nadzor@sverdlovsk-zhil.example", "620004, г. Екатеринбург, ул. Малышева, д. 101"),
)

# Short name → the organisation (id, ИНН, ОГРН, …).
DEMO_ORGS: dict[str, DemoOrg] = {o.short_name: o for o in _ORGS}
_ORG_BY_ID = {o.id: o for o in _ORGS}


# --- houses ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoHouse:
    key: str  # H1 … H5 (names used in code and docs only)
    guid: str
    address: str
    town: str
    oktmo: str
    timezone: str
    window_from: int
    window_to: int
    year_built: int
    floors: int
    entrances: int
    flats_per_floor: int
    condition: str
    energy_class: str
    managing_org_id: str
    supplier_org_ids: tuple[str, ...]  # organisations with their own accounts in every flat
    common_meters: tuple[str, ...]  # resources of the house's common (ОДПУ) meters
    cadastral_quarter: str  # flats' cadastral numbers for the owner register's documents

    @property
    def flats(self) -> int:
        return self.floors * self.entrances * self.flats_per_floor

    @property
    def region(self) -> str:
        return self.cadastral_quarter[:2]


# GUIDs are drawn from random.Random(SEED + "/houses") in this order (see _house_guids); written out
# here so that they can be read and copied. The test checks the two agree.
H1_GUID = "83804ac7-87c6-472e-a474-d02c6f740e9c"
H2_GUID = "1a6385cd-3d60-4841-b526-2572c20caf24"
H3_GUID = "7b87a9e7-5db3-473a-af59-f673259087fe"
H4_GUID = "d1b65725-455f-4e86-b0cd-06cd21e8682b"
H5_GUID = "6f7aa778-d77e-4532-88ff-8dfbb53ae1d4"

_HOUSES: tuple[DemoHouse, ...] = (
    DemoHouse("H1", H1_GUID, "г. Москва, ул. Ленина, д. 5", "Москва", "45376000", "Europe/Moscow",
              1, 31, 1978, 11, 4, 5, "исправный", "C", ORG_UK_MOSCOW, (ORG_ENERGO,),
              ("cold_water", "heat", "electricity"), "77:05:0004005"),
    DemoHouse("H2", H2_GUID, "г. Москва, пр-т Мира, д. 12, корп. 1", "Москва", "45349000",
              "Europe/Moscow", 15, 25, 2019, 24, 8, 6, "исправный", "B", ORG_UK_MOSCOW, (),
              ("cold_water", "heat"), "77:02:0021012"),
    DemoHouse("H3", H3_GUID, "г. Москва, пр-т Мира, д. 12, корп. 2", "Москва", "45349000",
              "Europe/Moscow", 15, 25, 2019, 24, 8, 6, "исправный", "B", ORG_UK_MOSCOW, (),
              ("cold_water", "hot_water"), "77:02:0021013"),
    DemoHouse("H4", H4_GUID, "г. Екатеринбург, ул. Малышева, д. 51", "Екатеринбург", "65701000",
              "Asia/Yekaterinburg", 15, 25, 1962, 5, 3, 3, "исправный", "D", ORG_UK_EKB, (),
              ("heat", "cold_water"), "66:41:0702047"),
    DemoHouse("H5", H5_GUID, "г. Екатеринбург, ул. Ленина, д. 24", "Екатеринбург", "65701000",
              "Asia/Yekaterinburg", 15, 25, 1958, 9, 1, 4, "требует капитального ремонта", "E",
              ORG_UK_EKB, (), ("heat",), "66:41:0701025"),
)

# H1 … H5 → the house (GUID, address, town, window, …).
DEMO_HOUSES: dict[str, DemoHouse] = {h.key: h for h in _HOUSES}

_METER_UNITS = {"cold_water": "m3", "hot_water": "m3", "heat": "Gcal", "electricity": "kWh"}


# --- users ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    login: str
    password: str
    name: str
    role: str  # resident | staff | inspector | admin
    org_short_name: str | None
    description: str
    email: str | None = None


DEMO_RESIDENT_LOGIN = "ivanov"

DEMO_USERS: list[DemoUser] = [
    DemoUser("ivanov", "ivanov-demo-2026", "Иванов Иван Петрович", "resident", None,
             "resident, owns 1/2 of flat 12 at ул. Ленина, д. 5 (Москва); both its accounts linked;"
             " the CLI's default sign-in", "ivanov@example.com"),
    DemoUser("petrova", "petrova-demo-2026", "Петрова Анна Сергеевна", "resident", None,
             "resident, sole owner of flat 34 at ул. Ленина, д. 5 (Москва); no accounts linked yet",
             "petrova@example.com"),
    DemoUser("uk-staff", "uk-staff-demo-2026", "Смирнова Ольга Викторовна", "staff",
             "ООО «УК Ленинский квартал»",
             "managing organisation staff: houses at ул. Ленина, д. 5 and пр-т Мира, д. 12 (Москва)",
             "o.smirnova@uk-leninsky.example"),
    DemoUser("energo-staff", "energo-staff-demo-2026", "Кузнецов Дмитрий Андреевич", "staff",
             "АО «СтоличЭнергоСбыт»", "electricity supplier staff: accounts at ул. Ленина, д. 5 (Москва)",
             "d.kuznetsov@stolichenergo.example"),
    DemoUser("inspector", "inspector-demo-2026", "Соколов Павел Игоревич", "inspector",
             "Мосжилинспекция", "housing inspector (Москва): reviews owners' meetings",
             "p.sokolov@mos-inspection.example"),
    DemoUser("admin", "admin-demo-2026", "Администратор портала", "admin", None,
             "portal admin: organisations, houses, users, settings", "admin@example.com"),
]

_ORG_ID_BY_SHORT = {o.short_name: o.id for o in _ORGS}
_USER_BY_LOGIN = {u.login: u for u in DEMO_USERS}


# --- the demo resident --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    els: str
    izhku: str
    number: str
    org_id: str
    house_guid: str
    flat: str


DEMO_RESIDENT_HOUSE = "H1"
DEMO_RESIDENT_FLAT = "12"
DEMO_PETROVA_FLAT = "34"

# ivanov's two accounts, in H1 flat 12; the first (the managing organisation's) is "the demo resident's
# first account", the one the README's examples use.
DEMO_RESIDENT_ACCOUNT_DETAILS: tuple[DemoAccount, ...] = (
    DemoAccount("77ЕЖ532838", "77ЕЖ532838-01", "87892735", ORG_UK_MOSCOW, H1_GUID, "12"),
    DemoAccount("77ИВ845392", "77ИВ845392-01", "ЭС-036322", ORG_ENERGO, H1_GUID, "12"),
)
DEMO_RESIDENT_ACCOUNTS: list[str] = [a.els for a in DEMO_RESIDENT_ACCOUNT_DETAILS]
# petrova's flat 34: the managing organisation's account, not linked to anyone; its payer is Петрова.
DEMO_PETROVA_ACCOUNT = DemoAccount("77ДА488933", "77ДА488933-01", "40187299", ORG_UK_MOSCOW, H1_GUID, "34")


# --- names for the owner register -----------------------------------------------------------------

# (name, patronymic for a son, patronymic for a daughter)
_MALE = (
    ("Александр", "Александрович", "Александровна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Антон", "Антонович", "Антоновна"),
    ("Артём", "Артёмович", "Артёмовна"), ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"), ("Виктор", "Викторович", "Викторовна"),
    ("Владимир", "Владимирович", "Владимировна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"), ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"), ("Кирилл", "Кириллович", "Кирилловна"),
    ("Максим", "Максимович", "Максимовна"), ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"), ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"), ("Павел", "Павлович", "Павловна"),
    ("Роман", "Романович", "Романовна"), ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"), ("Юрий", "Юрьевич", "Юрьевна"),
)
_FEMALE = (
    "Анна", "Екатерина", "Елена", "Ирина", "Мария", "Наталья", "Ольга", "Светлана", "Татьяна",
    "Юлия", "Дарья", "Ксения", "Марина", "Валентина", "Галина", "Людмила", "Вера", "Алина",
    "Полина", "Виктория",
)
# Male forms; the female form adds "а" (-ий → -ая). Иванов and Петров are left to the demo users.
_SURNAMES = (
    "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров",
    "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов",
    "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
    "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков",
    "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков",
    "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов",
    "Сидоров", "Матвеев", "Титов", "Вишневский", "Островский", "Чайковский", "Шевченко",
)


def _surname(male_form: str, female: bool) -> str:
    if not female or male_form.endswith(("ко", "их", "ых")):
        return male_form
    if male_form.endswith("ий"):
        return male_form[:-2] + "ая"
    return male_form + "а"


# --- the generators -------------------------------------------------------------------------------


def _rng(purpose: str) -> random.Random:
    # One generator per purpose, so that (say) a new name in a list does not move every ЕЛС.
    return random.Random(f"{SEED}/{purpose}")


def _house_guids() -> list[str]:
    rng = _rng("houses")
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in _HOUSES]


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
    rng = _rng(f"flats/{house.key}")
    risers = []
    for _ in range(house.entrances * house.flats_per_floor):
        rooms = rng.choices((1, 2, 3, 4), weights=_ROOM_WEIGHTS)[0]
        low, high = _AREA_BY_ROOMS[rooms]
        risers.append((rooms, rng.randint(low, high)))
    owner_rng = _rng(f"owners/{house.key}")
    first_year = max(2000, house.year_built + 1)
    flats = []
    number = 0
    for entrance in range(house.entrances):
        for _floor in range(house.floors):
            for position in range(house.flats_per_floor):
                number += 1
                rooms, base = risers[entrance * house.flats_per_floor + position]
                area = base + rng.randint(-3, 3)  # the same riser, measured flat by flat
                flats.append(_Flat(first_id + number - 1, house, str(number), _tenths(area), rooms,
                                   _owners(owner_rng), owner_rng.randint(first_year, 2025)))
    return flats


def _person(rng: random.Random, surname: str, female: bool, patronymic: str | None = None) -> str:
    if female:
        first = rng.choice(_FEMALE)
        patronymic = patronymic or rng.choice(_MALE)[2]
    else:
        first = rng.choice(_MALE)[0]
        patronymic = patronymic or rng.choice(_MALE)[1]
    return f"{_surname(surname, female)} {first} {patronymic}"


def _owners(rng: random.Random) -> list[tuple[str, int, int, str | None]]:
    """A family of 1–3 owners with shares that sum to exactly 1."""
    surname = rng.choice(_SURNAMES)
    head_female = rng.random() < 0.45
    head = _person(rng, surname, head_female)
    kind = rng.choices(("sole", "two", "three"), weights=(55, 35, 10))[0]
    if kind == "sole":
        return [(head, 1, 1, None)]
    # The second owner is the spouse; a third is a child, named after the father.
    spouse = _person(rng, surname, not head_female)
    father = spouse if head_female else head
    father_first = father.split()[1]
    son_p, daughter_p = next((m[1], m[2]) for m in _MALE if m[0] == father_first)
    child_female = rng.random() < 0.5
    child = _person(rng, surname, child_female, daughter_p if child_female else son_p)
    if kind == "two":
        second = spouse if rng.random() < 0.75 else child
        num, den = rng.choice(((1, 2), (1, 2), (1, 2), (2, 3), (3, 4)))
        return [(head, num, den, None), (second, den - num, den, None)]
    if rng.random() < 0.6:
        return [(head, 1, 3, None), (spouse, 1, 3, None), (child, 1, 3, None)]
    return [(head, 1, 2, None), (spouse, 1, 4, None), (child, 1, 4, None)]


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
    guids = _house_guids()
    meter_rng = _rng("common-meters")
    houses, meters, flats = [], [], []
    for house, guid in zip(_HOUSES, guids):
        house_flats = _flats(house, len(flats) + 1)
        if house.key == DEMO_RESIDENT_HOUSE:
            _apply_demo_people(house_flats)
        flats.extend(house_flats)
        living = sum(Decimal(f.area) for f in house_flats)
        total = living * Decimal("1.24")  # stairs, corridors, lift halls, technical floors
        houses.append((guid, house.address, house.town, search_key(house.address), house.oktmo,
                       house.timezone, house.window_from, house.window_to, house.year_built,
                       house.floors, house.entrances, _hundredths(total), _hundredths(living),
                       house.condition, house.energy_class, house.managing_org_id))
        for resource in house.common_meters:
            serial = f"{meter_rng.randrange(10**7, 10**8)}"
            verified = _random_day(meter_rng, date(2021, 1, 1), date(2025, 12, 31))
            meters.append((len(meters) + 1, guid, resource, serial, _METER_UNITS[resource], _iso(verified)))

    els_rng, opened_rng = _rng("els"), _rng("opened-on")
    # Account numbers are drawn, not counted: a number must not be guessable from the flat.
    numbers_rng = _rng("account-numbers")
    taken: set[str] = set()
    numbers_taken: set[str] = set()
    accounts = []
    for house, guid in zip(_HOUSES, guids):
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


def seed_v1(conn: sqlite3.Connection, now: datetime) -> None:
    """Fill a new portal (schema v1) with the demo world; runs inside the caller's transaction."""
    from gkh.server.store import stamp  # store imports this module lazily; avoid a cycle at import

    created = stamp(now)
    # scrypt releases the GIL: the users' passwords are hashed side by side while the world is built.
    with ThreadPoolExecutor(max_workers=max(1, min(len(DEMO_USERS), os.cpu_count() or 1))) as pool:
        hashes = [pool.submit(hash_password, u.password) for u in DEMO_USERS]

        conn.executemany(
            "INSERT INTO portal_settings (key, value) VALUES (?, ?)",
            [("portal_id", secrets.token_hex(8)), ("demo", "1"), ("created_at", created),
             ("name", PORTAL_NAME)],
        )
        conn.executemany(
            "INSERT INTO organisations (id, kind, name, short_name, inn, ogrn, kpp, phone, email, address)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(o.id, o.kind, o.name, o.short_name, o.inn, o.ogrn, o.kpp, o.phone, o.email, o.address)
             for o in _ORGS],
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
        guid_of = {h.key: row[0] for h, row in zip(_HOUSES, world.houses)}
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

    owners = []
    for flat in world.flats:
        for k, (name, num, den, login) in enumerate(flat.owners):
            owners.append((len(owners) + 1, flat.id, name, user_id.get(login), num, den, _document(flat, k)))
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
