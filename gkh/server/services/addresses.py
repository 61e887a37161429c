"""The address directory (the portal's own table of houses) and house passports: public to any caller."""

from __future__ import annotations

from gkh.server.db import PortalStore
from gkh.server.http import not_found
from gkh.server.services import Listing, listing_of
from gkh.server.views import house_passport_view, house_summary


def search_houses(store: PortalStore, needles: list[str], limit: int, after: list[str]) -> Listing:
    """Houses whose search key holds every needle (domain.address.query_needles), by address, after `after`
    ([address, guid])."""
    # The key is lower-cased and ё-folded in Python: SQLite's LIKE and lower() fold ASCII only.
    where = " AND ".join(store.dialect.contains("search_key") for _ in needles)
    with store.read() as conn:
        rows = conn.execute(
            f"SELECT * FROM houses WHERE {where} AND (address, guid) > (?, ?) ORDER BY address, guid LIMIT ?",
            (*needles, *after, limit + 1),
        ).fetchall()
    return listing_of(rows, limit, lambda r: [r["address"], r["guid"]], house_summary)


def house_passport(store: PortalStore, guid: str) -> dict:
    """A house's passport by its FIAS GUID (normalised): its window, size, state, managers and common meters."""
    with store.read() as conn:
        house = conn.execute("SELECT * FROM houses WHERE guid = ?", (guid,)).fetchone()
        if house is None:
            raise not_found(f"no house with FIAS GUID {guid}", "house_not_found")
        org = conn.execute("SELECT * FROM organisations WHERE id = ?", (house["managing_org_id"],)).fetchone()
        flats = conn.execute("SELECT count(*) FROM flats WHERE house_guid = ?", (guid,)).fetchone()[0]
        meters = conn.execute(
            "SELECT resource, serial, unit, verified_on FROM common_meters WHERE house_guid = ? ORDER BY id",
            (guid,),
        ).fetchall()
    return house_passport_view(house, org, flats, meters)
