"""The demo world's new build (schema version 11): H6 `г. Москва, ул. Строителей, д. 3`, handed over in 2026 and
managed by ООО «УК Ленинский квартал», in Europe/Moscow with a 15–25 reading window and the region code 77 — a house
with no flats, no accounts and no owners yet, for the organisation's staff to import their accounts into
(`gkh account import --template` writes a row for it).

Deterministic: its GUID is drawn from a generator of its own, so nothing seeded before it changes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from gkh.domain.address import search_key
from gkh.server.demo import Connection
from gkh.server.demo.world import H6_ADDRESS, ORG_ADMIN_MOSCOW, ORG_GZHI_MOSCOW, ORG_UK_MOSCOW, rng

H6_TOWN = "Москва"
H6_OKTMO = "45379000"
H6_REGION = "77"


def h6_guid() -> str:
    """The new build's FIAS GUID as drawn (world.H6_GUID is this, written out)."""
    return str(uuid.UUID(int=rng("houses/H6").getrandbits(128), version=4))


# Its passport: 17 floors, 2 entrances, its areas as the builder's documents give them; its common (ОДПУ) meters.
H6_AREAS = ("9874.60", "7212.40")  # total, living (m²)
H6_COMMON_METERS = (("cold_water", "m3", date(2026, 3, 12)), ("heat", "Gcal", date(2026, 3, 12)))


def seed_v11(conn: Connection, now: datetime) -> None:
    """Add the new build to a demo portal (schema v11); runs inside the caller's transaction."""
    guid = h6_guid()
    inserted = conn.execute(
        "INSERT INTO houses (guid, address, town, search_key, oktmo, timezone, window_from, window_to, year_built,"
        " floors, entrances, total_area, living_area, condition, energy_class, managing_org_id, inspectorate_org_id,"
        " administration_org_id, region_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guid) DO NOTHING RETURNING guid",
        (guid, H6_ADDRESS, H6_TOWN, search_key(H6_ADDRESS), H6_OKTMO, "Europe/Moscow", 15, 25, 2026, 17, 2,
         *H6_AREAS, "исправный", "A", ORG_UK_MOSCOW, ORG_GZHI_MOSCOW, ORG_ADMIN_MOSCOW, H6_REGION),
    ).fetchone()
    if inserted is None:
        return
    draw = rng("common-meters/H6")
    conn.executemany(
        "INSERT INTO common_meters (house_guid, resource, serial, unit, verified_on) VALUES (?, ?, ?, ?, ?)",
        [(guid, resource, f"{draw.randrange(10**7, 10**8)}", unit, verified.isoformat())
         for resource, unit, verified in H6_COMMON_METERS],
    )
