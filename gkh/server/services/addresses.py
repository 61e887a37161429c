"""The address directory (the portal's own table of houses) and house passports: public to any caller."""

from __future__ import annotations

from datetime import datetime

from gkh.domain.address import query_needles, word_needles
from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import is_fias_guid, normalize_fias_guid
from gkh.i18n import _
from gkh.server.db import Connection, Dialect, PortalStore
from gkh.server.http import ApiError, echo, invalid, not_found
from gkh.server.services import Listing, listing_of
from gkh.server.services.outages import house_outages
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


def house_passport(store: PortalStore, guid: str, now: datetime | None = None) -> dict:
    """A house's passport by its FIAS GUID (normalised): its window, size, state, managers and common meters; given
    `now`, also its active and upcoming notices of outages (`outages`, soonest first)."""
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
        notices = house_outages(conn, guid, now) if now is not None else None
    passport = house_passport_view(house, org, flats, meters)
    if notices is not None:
        passport["outages"] = notices
    return passport


def resolve_house(store: PortalStore, text: str, field: str) -> str:
    """A house as people name it (`gkh house show`'s HOUSE): a FIAS GUID (404 `house_not_found` when no house has
    it, as GET /houses/{guid}), else an address matching exactly one house (the address search's own 404 when none;
    400 when several)."""
    if is_fias_guid(text):
        guid = normalize_fias_guid(text, field=field)
        house_passport(store, guid)
        return guid
    try:
        needles = query_needles(text)
    except InvalidInput:
        raise invalid(_('{field} must be a FIAS GUID or an address naming a street or a house number, e.g. '
                        '"ленина 5"; got "{got}"').format(field=field, got=echo(text.strip())), field) from None
    found = search_houses(store, needles, 2, ["", ""], query=text).items
    if len(found) > 1:
        raise ApiError(400, "several_houses", _('{field}: "{house}" matches several houses: give the FIAS GUID or '
                                                'more of the address').format(field=field, house=echo(text.strip())),
                       field)
    return found[0]["guid"]
