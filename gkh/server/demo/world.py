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
  accounts linked; `petrova` owns flats 34 and 35 outright (schema v8) and has nothing linked.
* H2, H3 `г. Москва, пр-т Мира, д. 12, корп. 1` / `корп. 2` — window 15–25; 1 152 flats each, so the
  Moscow managing organisation has 2 524 accounts (big enough to page through and to import against).
* H4, H5 `г. Екатеринбург, ул. Малышева, д. 51` / `ул. Ленина, д. 24` — Asia/Yekaterinburg, window
  15–25, managed by ООО «УК Уральский дом»; a few dozen flats each. ("ленина" matches H1 and H5 in two
  towns, "ленина 5" only H1, "мира 12" both корпуса.)
* Two housing inspectorates (Moscow, Sverdlovsk region).
* Two town administrations (Moscow, Yekaterinburg: schema v9), which receive appeals with the rest.
* One meter past its verification date: DEMO_OVERDUE_METER, a second cold-water meter on petrova's flat 34
  account, due on the 10th of the month before the portal's creation.

This module holds the world's public constants; `houses` and `meters` build the rows from them, and
`gkh.server.demo.seed` adds each schema version's part while the store migrates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gkh.domain.identifiers import complete_inn10, complete_ogrn13
from gkh.i18n import N_

PORTAL_NAME = "Демо-портал gkh"

# The root of every seeded generator. Changing it (or the order of draws below) changes every id in the
# demo world, and with it the README: the constants below would have to be regenerated.
SEED = "gkh-demo-world-v1"


def rng(purpose: str) -> random.Random:
    """One generator per purpose, so that (say) a new name in a list does not move every ЕЛС."""
    return random.Random(f"{SEED}/{purpose}")


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

ORGS: tuple[DemoOrg, ...] = (
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

# The towns' administrations (schema v9): they receive appeals about the town's houses. Not in ORGS: they are added
# by the step that brings appeals, to new and to older demo portals alike.
ORG_ADMIN_MOSCOW = "ORG-0006"
ORG_ADMIN_EKB = "ORG-0007"

AUTHORITIES: tuple[DemoOrg, ...] = (
    _org(ORG_ADMIN_MOSCOW, "authority", "Правительство Москвы",
         "Правительство Москвы (органы исполнительной власти города Москвы)",
         "771046152", "102773901837", "771001001", "+7 495 777-77-77",
         "obrasheniya@mos-gov.example", "125032, г. Москва, ул. Тверская, д. 13"),
    _org(ORG_ADMIN_EKB, "authority", "Администрация г. Екатеринбурга",
         "Администрация городского округа город Екатеринбург",
         "666130572", "102660262184", "667101001", "+7 343 304-12-30",
         "priemnaya@ekadm.example", "620014, г. Екатеринбург, пр-т Ленина, д. 24а"),
)

# Short name → the organisation (id, ИНН, ОГРН, …), the administrations too.
DEMO_ORGS: dict[str, DemoOrg] = {o.short_name: o for o in (*ORGS, *AUTHORITIES)}


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


# GUIDs are drawn from random.Random(SEED + "/houses") in this order (see houses.house_guids); written out
# here so that they can be read and copied. The test checks the two agree.
H1_GUID = "83804ac7-87c6-472e-a474-d02c6f740e9c"
H2_GUID = "1a6385cd-3d60-4841-b526-2572c20caf24"
H3_GUID = "7b87a9e7-5db3-473a-af59-f673259087fe"
H4_GUID = "d1b65725-455f-4e86-b0cd-06cd21e8682b"
H5_GUID = "6f7aa778-d77e-4532-88ff-8dfbb53ae1d4"

HOUSES: tuple[DemoHouse, ...] = (
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
DEMO_HOUSES: dict[str, DemoHouse] = {h.key: h for h in HOUSES}

# H6 (schema v11): a new build handed over in 2026, managed by the Moscow organisation, with no flats, accounts or
# owners yet — the house `gkh account import` fills (its region code 77 draws the ЕЛС). Not in HOUSES: nothing drawn
# for the houses above moves. Its GUID is drawn from random.Random(SEED + "/houses/H6") (see newbuild.h6_guid).
H6_GUID = "11dad636-2ee9-4efb-a4db-9356abed64c5"
H6_ADDRESS = "г. Москва, ул. Строителей, д. 3"


# --- users ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    login: str
    password: str
    name: str
    role: str  # resident | staff | inspector | admin
    org_short_name: str | None
    description: str  # for people: marked for the catalogue
    email: str | None = None


DEMO_RESIDENT_LOGIN = "ivanov"

DEMO_USERS: list[DemoUser] = [
    DemoUser("ivanov", "ivanov-demo-2026", "Иванов Иван Петрович", "resident", None,
             N_("resident, owns 1/2 of flat 12 at ул. Ленина, д. 5 (Москва); both its accounts linked;"
                " the CLI's default sign-in"), "ivanov@example.com"),
    DemoUser("petrova", "petrova-demo-2026", "Петрова Анна Сергеевна", "resident", None,
             N_("resident, sole owner of flats 34 and 35 at ул. Ленина, д. 5 (Москва); no accounts linked yet"),
             "petrova@example.com"),
    DemoUser("uk-staff", "uk-staff-demo-2026", "Смирнова Ольга Викторовна", "staff",
             "ООО «УК Ленинский квартал»",
             N_("managing organisation staff: houses at ул. Ленина, д. 5 and пр-т Мира, д. 12 (Москва)"),
             "o.smirnova@uk-leninsky.example"),
    DemoUser("energo-staff", "energo-staff-demo-2026", "Кузнецов Дмитрий Андреевич", "staff",
             "АО «СтоличЭнергоСбыт»", N_("electricity supplier staff: accounts at ул. Ленина, д. 5 (Москва)"),
             "d.kuznetsov@stolichenergo.example"),
    DemoUser("inspector", "inspector-demo-2026", "Соколов Павел Игоревич", "inspector",
             "Мосжилинспекция", N_("housing inspector (Москва): reviews owners' meetings"),
             "p.sokolov@mos-inspection.example"),
    DemoUser("admin", "admin-demo-2026", "Администратор портала", "admin", None,
             N_("portal admin: organisations, houses, users, settings"), "admin@example.com"),
]


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

# A meter past its verification date (ПП № 354, п. 81(12): out of order, its readings refused): a second cold-water
# meter on petrova's account in flat 34, due on the 10th of the month before the portal's creation.
DEMO_OVERDUE_METER = "M-000823"
