"""The houses' owner registers (issue 16): who owns which flat, with what share (DESIGN.md §2 "ownership"). The
managing organisation imports its houses' registers (admins any house's); a registered owner linked to a portal
user (owners.user_id) is who may call the house's owners' meeting and vote at it (services.meetings).

An import's chunk is one transaction of a constant number of statements, as the other batch imports: the houses,
flats, owners and users the rows name are read in a few queries, the rows applied in the file's order to what was
read (a later row sees what an earlier one did: a file lowering one owner's share before adding another goes in),
and what changed is written with one bulk insert or executemany a table. The register's rows are upserted on the
flat and the owner's name (compared with whitespace collapsed, case and ё ignored). A row with share 0 ends the
owner's ownership (the flat sold): the row stays, as their votes name it, with `ended_at`; the register, who may
vote or see the house, and the owners a meeting counts leave it out from then on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from gkh.domain.batch import OwnerRow, RowProblem, owner_key, parse_owner_row
from gkh.domain.dates import format_instant
from gkh.i18n import _
from gkh.server.access import User
from gkh.server.db import Connection, Dialect, PortalStore, Row
from gkh.server.http import ApiError, echo, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome
from gkh.server.services import Listing, listing_of
from gkh.server.services.batches import (
    BatchHouse,
    ChunkApply,
    Tally,
    area_text,
    matched_house,
    resolve_houses,
    run_chunk,
)

__all__ = ["FIRST", "import_owners", "list_owners", "registrar_houses", "require_registrar"]

FIRST = ["", "", 0]  # where a list starts: before every flat (flat number, owner's name, owner's id)


def _refused() -> ApiError:
    return ApiError(403, "forbidden", _("only the portal's admins and the staff of a managing organisation keep the "
                                        "houses' owner registers"))


def registrar_houses(conn: Connection, user: User) -> tuple[str, list]:
    """A condition on the houses `h` whose owner registers a user keeps: admins any house, the staff of a managing
    organisation the houses it manages; anyone else none (403: a supplier's staff keep no register)."""
    if user.role == "admin":
        return "1 = 1", []
    if user.role == "staff" and user.org_id is not None:
        org = conn.execute("SELECT kind FROM organisations WHERE id = ?", (user.org_id,)).fetchone()
        if org is not None and org["kind"] == "managing":
            return "h.managing_org_id = ?", [user.org_id]
    raise _refused()


def require_registrar(store: PortalStore, user: User) -> None:
    """403 for a caller who keeps no owner register (asked before a request's body is read)."""
    if user.role == "admin":
        return
    if user.role != "staff" or user.org_id is None:
        raise _refused()
    with store.read() as conn:
        registrar_houses(conn, user)


# --- import ----------------------------------------------------------------------------------------------------


@dataclass
class _Owner:
    """An owner of the chunk as they stand after the rows so far (`id` None: created by this chunk)."""

    id: int | None
    name: str
    share: Fraction
    document: str | None
    user_id: int | None
    ended: bool = False  # their ownership ended (a row with share 0)
    stored: tuple | None = None  # what the table holds

    def state(self) -> tuple:
        return (self.name, self.share, self.document, self.user_id, self.ended)


@dataclass
class _Flat:
    id: int | None  # None: created by this chunk
    area: str
    stored_area: str | None  # None: a new flat
    owners: dict[str, _Owner] = field(default_factory=dict)  # owner_key(name) → a current owner
    former: dict[str, _Owner] = field(default_factory=dict)  # owner_key(name) → the latest whose ownership ended


def import_owners(store: PortalStore, user: User, rows: Sequence[tuple[int, dict[str, str]]], now: datetime,
                  mutation: Mutation = PLAIN) -> Outcome:
    """A chunk of the owner registers of the houses the caller keeps (`rows`: each row's line and its cells by
    field name), each owner created or updated by their flat and name; 200 with the counts and the rejected rows."""
    require_registrar(store, user)
    return run_chunk(store, user, rows, now, mutation, parse_owner_row,
                     lambda tx, tally, parsed: _OwnerImport(tx, store.dialect, user, tally, now).run(parsed))


class _OwnerImport(ChunkApply):
    """One chunk's owners in one transaction: the houses, flats, their owners and the users the rows name read in
    one query each, the rows applied in order, the new flats and owners written in one bulk insert each and the
    changed ones with one executemany each."""

    def __init__(self, tx: Connection, dialect: Dialect, user: User, tally: Tally, now: datetime):
        self.tx, self.dialect, self.user, self.tally, self.at = tx, dialect, user, tally, format_instant(now)
        self.houses: dict[str, BatchHouse | RowProblem | None] = {}
        self.flats: dict[tuple[str, str], _Flat] = {}  # (house, number) → the flat
        self.users: dict[str, int] = {}  # login → id, of the active residents the rows name

    def _load(self, rows: list[OwnerRow]) -> None:
        tx, any_of = self.tx, self.dialect.any_of
        self.houses = resolve_houses(tx, self.dialect, list(dict.fromkeys(r.house for r in rows)),
                                     registrar_houses(tx, self.user))
        guids = list({h.guid for h in self.houses.values() if isinstance(h, BatchHouse) and h.served})
        if guids:
            houses, houses_params = any_of("house_guid", guids)
            numbers, numbers_params = any_of("number", list(dict.fromkeys(r.flat for r in rows)))
            by_id: dict[int, _Flat] = {}
            for r in tx.execute(f"SELECT id, house_guid, number, area FROM flats WHERE {houses} AND {numbers}",
                                (*houses_params, *numbers_params)).fetchall():
                flat = self.flats[(r["house_guid"], r["number"])] = _Flat(r["id"], r["area"], r["area"])
                by_id[r["id"]] = flat
            if by_id:
                flats, flats_params = any_of("flat_id", list(by_id))
                for r in tx.execute("SELECT id, flat_id, name, user_id, share_num, share_den, document, ended_at"
                                    f" FROM owners WHERE {flats} ORDER BY id", flats_params).fetchall():
                    owner = _Owner(r["id"], r["name"], Fraction(r["share_num"], r["share_den"]), r["document"],
                                   r["user_id"], r["ended_at"] is not None)
                    owner.stored = owner.state()
                    if owner.ended:
                        by_id[r["flat_id"]].former[owner_key(owner.name)] = owner  # the latest last
                    else:
                        by_id[r["flat_id"]].owners.setdefault(owner_key(owner.name), owner)
        logins = list({r.login for r in rows if r.login})
        if logins:
            condition, params = any_of("login", logins)
            self.users = {r["login"]: r["id"] for r in tx.execute(
                f"SELECT id, login FROM users WHERE {condition} AND role = 'resident' AND disabled_at IS NULL",
                params).fetchall()}

    def _apply(self, row: OwnerRow) -> None:
        house = matched_house(self.houses, row.house, row.line, _("not among the houses your organisation manages"))
        user_id = None
        if row.login is not None:
            user_id = self.users.get(row.login)
            if user_id is None:
                raise RowProblem(row.line, "login", _("no resident with login {login}").format(login=echo(row.login)))
        key = (house.guid, row.flat)
        flat = self.flats.get(key)
        if row.share == 0:
            self._end(row, flat)
            return
        area = area_text(row.area) if row.area is not None else None
        if flat is None:
            if area is None:
                raise RowProblem(row.line, "area", _("required for a flat the portal does not have yet"))
            flat = _Flat(None, area, None)
        name = owner_key(row.owner)
        owner = flat.owners.get(name)
        total = row.share + sum((o.share for k, o in flat.owners.items() if k != name), Fraction(0))
        if total > 1:
            raise RowProblem(row.line, "share", _("the owners of flat {flat} would hold {total} of it; at most 1")
                             .format(flat=row.flat, total=str(total)))
        # Nothing was refused: the row's changes are made.
        self.flats[key] = flat
        area_changed = area is not None and Decimal(flat.area) != row.area
        if area is not None and area_changed:
            flat.area = area
        if owner is None:
            flat.owners[name] = _Owner(None, row.owner, row.share, row.document, user_id)
            self.tally.created += 1
            return
        before = owner.state()
        owner.share = row.share  # the name as stored: the same name, spelled otherwise, is the same owner
        if row.document is not None:  # an empty cell keeps what is stored
            owner.document = row.document
        if user_id is not None:
            owner.user_id = user_id
        if area_changed or owner.state() != before:
            self.tally.updated += 1
        else:
            self.tally.unchanged += 1

    def _end(self, row: OwnerRow, flat: _Flat | None) -> None:
        """A row with share 0: the owner's ownership ends (`updated`); one whose ownership has already ended is
        `unchanged` (the same file again); a name the flat's register never had is refused."""
        name = owner_key(row.owner)
        if flat is not None and (owner := flat.owners.pop(name, None)) is not None:
            owner.ended = True
            flat.former[name] = owner
            self.tally.updated += 1
        elif flat is not None and name in flat.former:
            self.tally.unchanged += 1
        else:
            raise RowProblem(row.line, "share", _("share 0 ends an owner's ownership, but flat {flat} has no owner "
                                                  "{owner} in the register").format(flat=row.flat, owner=row.owner))

    def _write(self) -> None:
        tx, dialect = self.tx, self.dialect
        new_flats = [(key, flat) for key, flat in self.flats.items() if flat.id is None]
        if new_flats:
            dialect.insert_rows(tx, "flats", ("house_guid", "number", "area"),
                                [(house, number, flat.area) for (house, number), flat in new_flats])
            houses, houses_params = dialect.any_of("house_guid", list({h for (h, _n), _f in new_flats}))
            numbers, numbers_params = dialect.any_of("number", list({n for (_h, n), _f in new_flats}))
            for r in tx.execute(f"SELECT id, house_guid, number FROM flats WHERE {houses} AND {numbers}",
                                (*houses_params, *numbers_params)).fetchall():
                flat = self.flats.get((r["house_guid"], r["number"]))
                if flat is not None and flat.id is None:
                    flat.id = r["id"]
        areas = [(flat.area, flat.id) for flat in self.flats.values()
                 if flat.stored_area is not None and flat.area != flat.stored_area]
        if areas:
            tx.executemany("UPDATE flats SET area = ? WHERE id = ?", areas)
        owners = [(flat, owner) for flat in self.flats.values()
                  for owner in (*flat.owners.values(), *flat.former.values())]
        at = self.at
        created = [(flat.id, o.name, o.user_id, o.share.numerator, o.share.denominator, o.document, at,
                    at if o.ended else None) for flat, o in owners if o.id is None]
        if created:
            dialect.insert_rows(tx, "owners", ("flat_id", "name", "user_id", "share_num", "share_den", "document",
                                               "registered_at", "ended_at"), created)
        changed = [(o.name, o.user_id, o.share.numerator, o.share.denominator, o.document, o.ended, at, o.id)
                   for _flat, o in owners if o.id is not None and o.stored != o.state()]
        if changed:
            # ended_at is set once, when the ownership ends; an owner row never comes back (a new one is made).
            tx.executemany("UPDATE owners SET name = ?, user_id = ?, share_num = ?, share_den = ?, document = ?,"
                           " ended_at = CASE WHEN ? THEN COALESCE(ended_at, ?) END WHERE id = ?", changed)


# --- listing ---------------------------------------------------------------------------------------------------

_PARTS = re.compile(r"(\d+)")


def _natural(number: str) -> tuple:
    """A flat's number as people sort them: 2 before 10, 12 before 12а before 13."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _PARTS.split(number.casefold())
                 if part)


def _order(number: str, name: str, owner_id: int) -> tuple:
    return (_natural(number), owner_key(name), owner_id)


def _view(r: Row) -> dict:
    return {"flat": r["number"], "area": r["area"], "owner": r["name"],
            "share": str(Fraction(r["share_num"], r["share_den"])), "document": r["document"], "login": r["login"]}


def list_owners(store: PortalStore, user: User, guid: str, limit: int, after: list) -> Listing:
    """The house's owner register, by flat (as people sort the numbers) and owner's name; 404 `house_not_found`
    for a house that is not there or whose register the caller does not keep."""
    with store.read() as conn:
        condition, params = registrar_houses(conn, user)
        if conn.execute(f"SELECT 1 FROM houses h WHERE h.guid = ? AND {condition}", (guid, *params)).fetchone() is None:
            raise not_found(_("no house {guid} among those whose owner register you keep").format(guid=echo(guid)),
                            "house_not_found")
        rows = conn.execute(
            "SELECT o.id, o.name, o.share_num, o.share_den, o.document, f.number, f.area, u.login FROM owners o"
            " JOIN flats f ON f.id = o.flat_id LEFT JOIN users u ON u.id = o.user_id"
            " WHERE f.house_guid = ? AND o.ended_at IS NULL",
            (guid,)).fetchall()
    # A house's register is a few thousand rows at most: ordered here, where flat numbers sort as people expect.
    start = _order(str(after[0]), str(after[1]), int(after[2]))
    ordered = sorted((r for r in rows if _order(r["number"], r["name"], r["id"]) > start),
                     key=lambda r: _order(r["number"], r["name"], r["id"]))
    return listing_of(ordered, limit, lambda r: [r["number"], r["name"], r["id"]], _view)
