"""The address directory (the portal's own table of houses) and house passports: public to any caller."""

from __future__ import annotations

from gkh.domain.address import word_needles
from gkh.i18n import _
from gkh.server.db import Connection, Dialect, PortalStore
from gkh.server.http import ApiError, echo, not_found
from gkh.server.services import Listing, listing_of
from gkh.server.views import house_passport_view, house_summary

SUGGESTIONS_MAX = 5
# A word's first letters that still tell the nearest houses when the word itself is mistyped ("ленна").
_STEM_LETTERS = 3


def search_houses(store: PortalStore, needles: list[str], limit: int, after: list[str], *, query: str = "") -> Listing:
    """Houses whose search key holds every needle (domain.address.query_needles), by address, after `after`
    ([address, guid]; ["", ""] for the first page).

    A first page that finds nothing is 404 `house_not_found` (`query` is what the message echoes), its details'
    `suggestions` the nearest houses: those sharing the most of the query's words (see _nearest_houses)."""
    # The key is lower-cased and ё-folded in Python: SQLite's LIKE and lower() fold ASCII only.
    where = " AND ".join(store.dialect.contains("search_key") for _ in needles)
    with store.read() as conn:
        rows = conn.execute(
            f"SELECT * FROM houses WHERE {where} AND (address, guid) > (?, ?) ORDER BY address, guid LIMIT ?",
            (*needles, *after, limit + 1),
        ).fetchall()
        if not rows and after == ["", ""]:
            suggestions = _nearest_houses(conn, store.dialect, needles)
            raise ApiError(404, "house_not_found", _('no house matches "{query}"').format(query=echo(query.strip())),
                           details={"suggestions": suggestions})
    return listing_of(rows, limit, lambda r: [r["address"], r["guid"]], house_summary)


def _nearest_houses(conn: Connection, dialect: Dialect, needles: list[str]) -> list[dict]:
    """Up to SUGGESTIONS_MAX houses, by address, among those sharing the most of the query's words (a street,
    a town; numbers aside): a word counts 2 when the key holds it as a word prefix, 1 when only its first
    letters begin a word of the key. None when no house shares any."""
    words = word_needles(needles)
    if not words:
        return []
    terms, params = [], []
    for word in words:
        terms.append(f"CASE WHEN {dialect.contains('search_key')} THEN 2"
                     f" WHEN {dialect.contains('search_key')} THEN 1 ELSE 0 END")
        params += [word, word[: 1 + _STEM_LETTERS]]
    rows = conn.execute(
        f"SELECT * FROM (SELECT h.*, {' + '.join(terms)} AS shared FROM houses h) s WHERE shared > 0"
        " ORDER BY shared DESC, address, guid LIMIT ?",
        (*params, SUGGESTIONS_MAX),
    ).fetchall()
    return [house_summary(row) for row in rows if row["shared"] == rows[0]["shared"]]


def house_passport(store: PortalStore, guid: str) -> dict:
    """A house's passport by its FIAS GUID (normalised): its window, size, state, managers and common meters."""
    with store.read() as conn:
        house = conn.execute("SELECT * FROM houses WHERE guid = ?", (guid,)).fetchone()
        if house is None:
            raise not_found(_("no house with FIAS GUID {guid}").format(guid=guid), "house_not_found")
        org = conn.execute("SELECT * FROM organisations WHERE id = ?", (house["managing_org_id"],)).fetchone()
        flats = conn.execute("SELECT count(*) FROM flats WHERE house_guid = ?", (guid,)).fetchone()[0]
        meters = conn.execute(
            "SELECT resource, serial, unit, verified_on FROM common_meters WHERE house_guid = ? ORDER BY id",
            (guid,),
        ).fetchall()
    return house_passport_view(house, org, flats, meters)
