"""The address directory (the portal's own table of houses) and house passports."""

from __future__ import annotations

import falcon

from gkh.domain.address import query_needles
from gkh.domain.identifiers import normalize_fias_guid
from gkh.server.db import Store
from gkh.server.http import Page, invalid, not_found
from gkh.server.routes.session import organisation_view


def house_summary(row) -> dict:
    return {"guid": row["guid"], "address": row["address"], "town": row["town"], "oktmo": row["oktmo"],
            "timezone": row["timezone"]}


class AddressSearch:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = req.get_param("q")
        if not query or not query.strip():
            raise invalid("q is required: part of an address, e.g. 'ленина 5'", "q")
        needles = query_needles(query)
        page = Page(req)
        # The key is lower-cased and ё-folded in Python: SQLite's LIKE and lower() fold ASCII only.
        where = " AND ".join("instr(search_key, ?) > 0" for _ in needles)
        rows = self.store.connection().execute(
            f"SELECT * FROM houses WHERE {where} AND (address, guid) > (?, ?) ORDER BY address, guid LIMIT ?",
            (*needles, *page.cursor_values(["", ""], str), page.limit + 1),
        ).fetchall()
        resp.media = page.result(rows, lambda r: [r["address"], r["guid"]], house_summary)


class HousePassport:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, guid: str) -> None:
        guid = normalize_fias_guid(guid, field="guid")
        with self.store.read() as conn:
            house = conn.execute("SELECT * FROM houses WHERE guid = ?", (guid,)).fetchone()
            if house is None:
                raise not_found(f"no house with FIAS GUID {guid}", "house_not_found")
            org = conn.execute("SELECT * FROM organisations WHERE id = ?", (house["managing_org_id"],)).fetchone()
            flats = conn.execute("SELECT count(*) FROM flats WHERE house_guid = ?", (guid,)).fetchone()[0]
            meters = conn.execute(
                "SELECT resource, serial, unit, verified_on FROM common_meters WHERE house_guid = ? ORDER BY id",
                (guid,),
            ).fetchall()
        resp.media = {
            **house_summary(house),
            "readings_window": {"from_day": house["window_from"], "to_day": house["window_to"]},
            "year_built": house["year_built"],
            "floors": house["floors"],
            "entrances": house["entrances"],
            "flats": flats,
            "total_area": house["total_area"],
            "living_area": house["living_area"],
            "condition": house["condition"],
            "energy_class": house["energy_class"],
            "managing_organisation": organisation_view(org),
            "common_meters": [dict(m) for m in meters],
        }
