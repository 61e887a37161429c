"""Batch work from CSV files (issue 15): a chunk of an organisation's accounts to create or update, a chunk of meter
readings to submit — each chunk one transaction of a constant number of statements, whatever its size.

A chunk's rows come in the file's order with their line numbers; each is checked again here by the rules of
gkh.domain.batch (the command line checked them too, but a hand-made request gets the same refusals) and then
against the portal's rows. A row that cannot go in is rejected (`line N: field: reason`) and the others still go in.
A later row about the same account (meter and period) sees what an earlier one did, in the same chunk or an
earlier one: the upsert on the natural key (the organisation's account number; the meter and period) makes a
chunk sent twice, or a file imported again, change nothing and say so.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from gkh.domain.address import search_key
from gkh.domain.batch import (
    AccountRow,
    HouseRow,
    ReadingRow,
    RowProblem,
    parse_account_row,
    parse_house_row,
    parse_reading_row,
)
from gkh.domain.dates import format_instant, house_zone, local_date
from gkh.domain.errors import InvalidInput, Refused
from gkh.domain.identifiers import is_fias_guid, meter_reference, normalize_fias_guid, serial_key
from gkh.domain.meters import METER_DEFAULTS, verification_due, zones_of
from gkh.domain.readings import ZONE_NAMES
from gkh.i18n import _, ngettext, term
from gkh.server.access import User, account_visible, require_admin
from gkh.server.db import Connection, Dialect, PortalStore, Row
from gkh.server.http import ApiError, echo
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.services.meters import MAX_HISTORY_MONTHS, check_submission, closed_periods, with_consumption
from gkh.server.views import meter_spec

MAX_ROWS = 1000
# A new ЕЛС: the region's two digits, two of these letters, six digits (as the ГИС ЖКХ draws them).
ELS_LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"


@dataclass
class Tally:
    """A chunk's answer as it is built: the counts, the rejected rows (by line) and the warnings."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, problem: RowProblem) -> None:
        self.rejected.append({"line": problem.line, "field": problem.field, "message": problem.message})

    def answer(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": sorted(self.rejected, key=lambda r: r["line"]),
                "warnings": sorted(self.warnings, key=lambda w: w["line"])}


def require_staff(user: User) -> None:
    """Importing accounts is an organisation's act, done by its staff."""
    if user.role != "staff" or user.org_id is None:
        raise ApiError(403, "forbidden", _("only an organisation's staff import its personal accounts"))


# --- accounts --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)  # a file repeats its areas
def area_text(area: Decimal) -> str:
    """An area as accounts.area stores it and batch rows are compared by: square metres without trailing zeros
    ("54,30" and "54.3" are both "54.3"; "60,00" is "60")."""
    return format(area.normalize(), "f")


def share_text(share: Fraction) -> str:
    """A payer's share as accounts.payer_share stores it: "1/2", "1" for the whole flat."""
    return str(share)


@dataclass
class BatchHouse:
    guid: str
    address: str
    timezone: str
    region_code: str | None
    served: bool


def resolve_houses(tx: Connection, dialect: Dialect, texts: list[str],
                   allowed: tuple[str, list]) -> dict[str, BatchHouse | RowProblem | None]:
    """The houses a chunk's rows name (`texts`: FIAS GUIDs or addresses, matched by their search key), read in one
    query: each text → its house (`served`: whether the SQL condition `allowed` on houses `h`, with its parameters,
    holds for it), a RowProblem when several houses match an address, None when none does."""
    keys: dict[str, str] = {}
    for text in texts:
        keys[text] = normalize_fias_guid(text) if is_fias_guid(text) else search_key(text)
    guids = [k for t, k in keys.items() if is_fias_guid(t)]
    addresses = [k for t, k in keys.items() if not is_fias_guid(t)]
    condition_sql, params = allowed
    params = list(params)
    conditions = []
    for column, values in (("h.guid", guids), ("h.search_key", addresses)):
        if values:
            condition, values_params = dialect.any_of(column, values)
            conditions.append(condition)
            params += values_params
    found = tx.execute(
        f"SELECT h.guid, h.address, h.search_key, h.timezone, h.region_code, CASE WHEN {condition_sql} THEN 1 ELSE"
        f" 0 END AS served FROM houses h WHERE {' OR '.join(conditions)}", params).fetchall() if conditions else []
    by_guid = {r["guid"]: r for r in found}
    by_key: dict[str, list[Row]] = {}
    for r in found:
        by_key.setdefault(r["search_key"], []).append(r)
    houses: dict[str, BatchHouse | RowProblem | None] = {}
    for text, key in keys.items():
        if is_fias_guid(text):
            matches = [by_guid[key]] if key in by_guid else []
        else:
            matches = by_key.get(key, [])
        if len(matches) == 1:
            r = matches[0]
            houses[text] = BatchHouse(r["guid"], r["address"], r["timezone"], r["region_code"], bool(r["served"]))
        elif matches:
            houses[text] = RowProblem(0, "house", _("several houses match {address}: give the house's FIAS "
                                                    "GUID").format(address=echo(text)))
        else:
            houses[text] = None
    return houses


def matched_house(houses: dict[str, BatchHouse | RowProblem | None], text: str, line: int,
                  not_allowed: str) -> BatchHouse:
    """The house a row names (`text`), as resolve_houses found it, or the row's RowProblem: `not_allowed` for a
    house the caller may not import into, several houses matching, no such house."""
    house = houses[text]
    if isinstance(house, BatchHouse):
        if not house.served:
            raise RowProblem(line, "house", not_allowed)
        return house
    if isinstance(house, RowProblem):
        raise RowProblem(line, "house", house.reason)
    if is_fias_guid(text):
        raise RowProblem(line, "house", _("no house with FIAS GUID {guid}").format(guid=echo(text)))
    raise RowProblem(line, "house", _("no house at {address}").format(address=echo(text)))


@dataclass
class _Account:
    """An account of the chunk as it stands after the rows so far (`id` None: created by this chunk)."""

    id: int | None
    number: str
    els: str
    house: str
    flat: str
    flat_id: int | None
    payer: str
    area: str | None
    kind: str
    share: str | None
    opened_on: str = ""
    region: str | None = None  # a new account's house's region code: its ЕЛС is drawn there when not given
    stored: tuple | None = None  # what the table holds (house, flat_id, payer, area, kind, share)

    def state(self) -> tuple:
        return (self.house, self.flat_id, self.payer, self.area, self.kind, self.share)


@dataclass
class _Meter:
    id: str
    account: _Account
    serial: str
    resource: str
    zones: int
    key: str = ""  # the serial's key (domain.identifiers.serial_key)
    new: bool = False
    installed_on: str = ""


def import_accounts(store: PortalStore, user: User, rows: Sequence[tuple[int, dict[str, str]]], now: datetime,
                    mutation: Mutation = PLAIN) -> Outcome:
    """A chunk of the caller's organisation's accounts (`rows`: each row's line and its cells by field name), each
    created or updated by its number, with its flat and its meter; 200 with the counts and the rejected rows."""
    require_staff(user)
    return run_chunk(store, user, rows, now, mutation, parse_account_row,
                  lambda tx, tally, parsed: _AccountImport(tx, store.dialect, user, now, tally).run(parsed))


def run_chunk(store: PortalStore, user: User, rows: Sequence[tuple[int, dict[str, str]]], now: datetime,
           mutation: Mutation, parse: Callable[[int, dict[str, str]], Any],
           apply: Callable[[Connection, Tally, list], None]) -> Outcome:
    """A chunk: each row checked by `parse` first (a refusal is a rejected row, nothing asked of the database),
    then the rest applied by `apply(tx, tally, parsed)` in one transaction under the Idempotency-Key."""
    tally = Tally()
    parsed = []
    for line, values in rows:
        try:
            parsed.append(parse(line, values))
        except RowProblem as problem:
            tally.reject(problem)

    def work(tx: Connection) -> tuple[int, dict]:
        done = Tally(rejected=list(tally.rejected))
        apply(tx, done, parsed)
        return 200, done.answer()

    return run_mutation(store, user.id, now, mutation, work)


class ChunkApply:
    """A chunk's rows applied in its one transaction: what they name read first (`_load`, a few queries), each row
    applied in the file's order to what was read (`_apply`; a RowProblem rejects that row alone, counted in
    `tally`), then what changed written (`_write`, a bulk statement a table)."""

    tally: Tally

    def run(self, rows: list) -> None:
        if not rows:
            return
        self._load(rows)
        for row in rows:
            try:
                self._apply(row)
            except RowProblem as problem:
                self.tally.reject(problem)
        self._write()

    def _load(self, rows: list) -> None:
        raise NotImplementedError

    def _apply(self, row: Any) -> None:
        raise NotImplementedError

    def _write(self) -> None:
        raise NotImplementedError


class _AccountImport(ChunkApply):
    """One chunk's accounts in one transaction: what the rows name is read in a few queries, the rows are applied
    in order to what was read, and what changed is written with one executemany a table."""

    def __init__(self, tx: Connection, dialect: Dialect, user: User, now: datetime, tally: Tally):
        self.tx, self.dialect, self.org_id, self.now, self.tally = tx, dialect, user.org_id, now, tally
        self.houses: dict[str, BatchHouse | RowProblem | None] = {}
        self.accounts: dict[str, _Account] = {}
        self.flats: dict[tuple[str, str], int | None] = {}  # (house, number) → id (None: created by this chunk)
        self.flat_areas: dict[tuple[str, str], str] = {}
        self.new_flats: dict[tuple[str, str], str] = {}  # (house, number) → area
        self.meters: dict[tuple[str, str], _Meter] = {}  # (account number, serial key) → meter
        self.taken_els: dict[str, str] = {}  # ЕЛС → the number of the account (of any organisation) holding it
        self.next_meter = 0
        self.todays: dict[str, str] = {}

    # -- reading what the chunk names ----------------------------------------------------------------------------

    def _load(self, rows: list[AccountRow]) -> None:
        tx = self.tx
        texts = list(dict.fromkeys(r.house for r in rows))
        self._resolve_houses(texts)
        any_of = self.dialect.any_of
        numbers, numbers_params = any_of("a.number", list(dict.fromkeys(r.number for r in rows)))
        for r in tx.execute(
                "SELECT a.id, a.number, a.els, a.house_guid, a.flat_id, f.number AS flat, a.payer, a.area,"
                " a.payer_kind, a.payer_share FROM accounts a LEFT JOIN flats f ON f.id = a.flat_id"
                f" WHERE a.org_id = ? AND {numbers}", (self.org_id, *numbers_params)).fetchall():
            account = _Account(r["id"], r["number"], r["els"], r["house_guid"], r["flat"] or "", r["flat_id"],
                               r["payer"], r["area"], r["payer_kind"], r["payer_share"])
            account.stored = account.state()
            self.accounts[account.number] = account
            self.taken_els[account.els] = account.number
        guids = list({h.guid for h in self.houses.values() if isinstance(h, BatchHouse)}
                     | {a.house for a in self.accounts.values()})
        if guids:
            houses, houses_params = any_of("house_guid", guids)
            flats, flats_params = any_of("number", list(dict.fromkeys(r.flat for r in rows)))
            for r in tx.execute(f"SELECT id, house_guid, number, area FROM flats WHERE {houses} AND {flats}",
                                (*houses_params, *flats_params)).fetchall():
                self.flats[(r["house_guid"], r["number"])] = r["id"]
                self.flat_areas[(r["house_guid"], r["number"])] = r["area"]
        given = list({r.els for r in rows if r.els} - set(self.taken_els))
        if given:
            self._mark_taken(given)
        ids = [a.id for a in self.accounts.values()]
        if any(r.meter_serial for r in rows) and ids:
            by_id = {a.id: a for a in self.accounts.values()}
            accounts, accounts_params = any_of("account_id", ids)
            for r in tx.execute("SELECT id, account_id, serial, serial_key, resource, zones FROM meters"
                                f" WHERE {accounts}", accounts_params).fetchall():
                account = by_id[r["account_id"]]
                self.meters[(account.number, r["serial_key"])] = _Meter(
                    r["id"], account, r["serial"], r["resource"], len(r["zones"].split(",")), r["serial_key"])

    def _mark_taken(self, els: list[str]) -> list[str]:
        """Which of `els` accounts hold (of any organisation): noted, and returned."""
        condition, params = self.dialect.any_of("els", els)
        found = self.tx.execute(f"SELECT els, number FROM accounts WHERE {condition}", params).fetchall()
        for r in found:
            self.taken_els.setdefault(r["els"], "")  # another organisation's account: its number is not said
        return [r["els"] for r in found]

    def _resolve_houses(self, texts: list[str]) -> None:
        # The houses the organisation serves (access._served_houses: it manages them or has accounts there), asked
        # of each house found by EXISTS, which stops at its first account rather than reading all the organisation's.
        served = "(h.managing_org_id = ? OR EXISTS (SELECT 1 FROM accounts sa WHERE sa.house_guid = h.guid" \
                 " AND sa.org_id = ?))"
        self.houses.update(resolve_houses(self.tx, self.dialect, texts, (served, [self.org_id, self.org_id])))

    # -- one row -------------------------------------------------------------------------------------------------

    def _house(self, row: AccountRow) -> BatchHouse:
        return matched_house(self.houses, row.house, row.line, _("not among the houses your organisation serves"))

    def _today(self, house: BatchHouse) -> str:
        """Today in the house's zone, as stored (YYYY-MM-DD)."""
        today = self.todays.get(house.timezone)
        if today is None:
            today = self.todays[house.timezone] = local_date(self.now, house_zone(house.timezone)).isoformat()
        return today

    def _flat(self, row: AccountRow, house: BatchHouse) -> tuple[tuple[str, str], bool]:
        """The row's flat (house, number), and whether the portal lacks it (this row would create it)."""
        key = (house.guid, row.flat)
        if key in self.flats or key in self.new_flats:
            return key, False
        if row.area is None:
            raise RowProblem(row.line, "area", _("required for a flat the portal does not have yet"))
        return key, True

    def _apply(self, row: AccountRow) -> None:
        house = self._house(row)
        account = self.accounts.get(row.number)
        area = area_text(row.area) if row.area is not None else None
        share = share_text(row.share) if row.share is not None else None
        if account is None:
            flat, new_flat = self._flat(row, house)
            if row.els is not None:
                if row.els in self.taken_els:
                    raise RowProblem(row.line, "els", _("ЕЛС {els} belongs to another account").format(els=row.els))
            elif house.region_code is None:
                raise RowProblem(row.line, "els", _("give the ЕЛС: the portal does not know this house's region"))
            meter = self._meter_check(row, None)
            if new_flat:
                self.new_flats[flat] = area or ""
            if area is None:
                area = self.flat_areas.get(flat) or self.new_flats.get(flat) or None
            account = _Account(None, row.number, row.els or "", house.guid, row.flat, self.flats.get(flat),
                               row.payer, area, row.kind or "owner", share, opened_on=self._today(house),
                               region=house.region_code)
            if row.els:
                self.taken_els[row.els] = row.number
            self.accounts[row.number] = account
            if meter is not None:
                self._add_meter(row, account, house, meter)
            self.tally.created += 1
            return
        if account.house != house.guid:
            raise RowProblem(row.line, "house", _("account {number} is at {address}").format(
                number=account.number, address=self._address_of(account.house)))
        if row.els is not None and account.els and row.els != account.els:
            raise RowProblem(row.line, "els", _("account {number} has ЕЛС {els}").format(
                number=account.number, els=account.els))
        flat, new_flat = (house.guid, account.flat), False
        if row.flat != account.flat:
            flat, new_flat = self._flat(row, house)
        meter = self._meter_check(row, account)
        before = (account.flat, account.payer, account.area, account.kind, account.share)
        if new_flat:
            self.new_flats[flat] = area or ""
        if row.flat != account.flat:
            account.flat, account.flat_id = row.flat, self.flats.get(flat)
        account.payer = row.payer
        if row.kind is not None:  # an empty cell keeps what is stored, as for the area and the share
            account.kind = row.kind
        if area is not None and (account.area is None or Decimal(account.area) != row.area):
            account.area = area
        if share is not None:
            account.share = share
        changed = before != (account.flat, account.payer, account.area, account.kind, account.share)
        if meter is not None:
            self._add_meter(row, account, house, meter)
            changed = True
        if changed:
            self.tally.updated += 1
        else:
            self.tally.unchanged += 1

    def _address_of(self, guid: str) -> str:
        for house in self.houses.values():
            if isinstance(house, BatchHouse) and house.guid == guid:
                return house.address
        row = self.tx.execute("SELECT address FROM houses WHERE guid = ?", (guid,)).fetchone()
        return row["address"] if row else guid

    def _meter_check(self, row: AccountRow, account: _Account | None) -> str | None:
        """The serial key of a meter the row adds (None: none, or the account has it already as the row says)."""
        if row.meter_serial is None:
            return None
        key = serial_key(row.meter_serial)
        meter = self.meters.get((account.number, key)) if account is not None else None
        if meter is None:
            return key
        if meter.resource != row.meter_resource:
            raise RowProblem(row.line, "meter_resource", _("meter {serial} of account {number} is for {resource}")
                             .format(serial=meter.serial, number=row.number, resource=term(meter.resource)))
        if meter.zones != row.meter_zones:
            raise RowProblem(row.line, "meter_zones", ngettext(
                "meter {serial} of account {number} has {zones} tariff zone",
                "meter {serial} of account {number} has {zones} tariff zones", meter.zones).format(
                serial=meter.serial, number=row.number, zones=meter.zones))
        return None

    def _add_meter(self, row: AccountRow, account: _Account, house: BatchHouse, key: str) -> None:
        assert row.meter_serial is not None and row.meter_resource is not None
        if not self.next_meter:
            self.next_meter = self._last_meter_number() + 1
        meter = _Meter(f"M-{self.next_meter:06d}", account, row.meter_serial, row.meter_resource,
                       row.meter_zones or 1, key, new=True, installed_on=self._today(house))
        self.next_meter += 1
        self.meters[(account.number, key)] = meter

    def _last_meter_number(self) -> int:
        # The largest id by the primary key's order (one index step) is the largest number while ids have six
        # digits; past M-999999 the longest ids are the largest, found by a scan.
        top = self.tx.execute("SELECT max(id) FROM meters").fetchone()[0]
        number = int(top[2:]) if top and top[2:].isdigit() else 0
        if number >= 999_999:
            number = self.tx.execute("SELECT max(CAST(substr(id, 3) AS INTEGER)) FROM meters").fetchone()[0] or 0
        return number

    # -- new ЕЛС -------------------------------------------------------------------------------------------------

    def _draw_els(self) -> None:
        """A ЕЛС for each new account without one: drawn in its house's region, drawn again while taken (checked
        against the table for the whole chunk at once)."""
        waiting = [a for a in self.accounts.values() if a.id is None and not a.els]
        while waiting:
            drawn: dict[str, _Account] = {}
            for account, els in zip(waiting, _draw(len(waiting))):
                els = (account.region or "00") + els
                if els in self.taken_els or els in drawn:
                    continue
                drawn[els] = account
            taken = set(self._mark_taken(list(drawn))) if drawn else set()
            for els, account in drawn.items():
                if els not in taken:
                    account.els = els
                    self.taken_els[els] = account.number
            waiting = [a for a in waiting if not a.els]

    # -- writing -------------------------------------------------------------------------------------------------

    def _write(self) -> None:
        self._draw_els()  # the new accounts' ЕЛС, once all the rows are known
        tx = self.tx
        if self.new_flats:
            # Read as absent in this transaction: a concurrent import adding one of them fails one of the two (a
            # serialization failure on PostgreSQL, run again), as SQLite's one writer never lets it happen.
            self.dialect.insert_rows(tx, "flats", ("house_guid", "number", "area"),
                                     [(house, number, area) for (house, number), area in self.new_flats.items()])
            houses, houses_params = self.dialect.any_of("house_guid", list({h for h, _n in self.new_flats}))
            flats, flats_params = self.dialect.any_of("number", list({n for _h, n in self.new_flats}))
            for r in tx.execute(f"SELECT id, house_guid, number FROM flats WHERE {houses} AND {flats}",
                                (*houses_params, *flats_params)).fetchall():
                self.flats[(r["house_guid"], r["number"])] = r["id"]
            for account in self.accounts.values():
                if account.flat_id is None:
                    account.flat_id = self.flats.get((account.house, account.flat))
        created = [a for a in self.accounts.values() if a.id is None]
        if created:
            self.dialect.insert_rows(tx, "accounts", ("els", "izhku", "number", "org_id", "house_guid", "flat_id",
                                                      "payer", "area", "opened_on", "payer_kind", "payer_share"),
                                     [(a.els, a.els + "-01", a.number, self.org_id, a.house, a.flat_id, a.payer, a.area,
                          a.opened_on, a.kind, a.share) for a in created])
        changed = [a for a in self.accounts.values() if a.id is not None and a.stored != a.state()]
        if changed:
            tx.executemany("UPDATE accounts SET flat_id = ?, payer = ?, area = ?, payer_kind = ?, payer_share = ?"
                           " WHERE id = ?", [(a.flat_id, a.payer, a.area, a.kind, a.share, a.id) for a in changed])
        meters = [m for m in self.meters.values() if m.new]
        if not meters:
            return
        if any(m.account.id is None for m in meters):
            numbers, numbers_params = self.dialect.any_of("number", [a.number for a in created])
            ids = {r["number"]: r["id"] for r in tx.execute(
                f"SELECT id, number FROM accounts WHERE org_id = ? AND {numbers}",
                (self.org_id, *numbers_params)).fetchall()}
            for a in created:
                a.id = ids[a.number]
        self.dialect.insert_rows(tx, "meters", ("id", "account_id", "serial", "serial_key", "resource", "unit",
                                                "zones", "whole_digits", "fraction_digits", "installed_on",
                                                "verified_on", "verification_due"), [_meter_row(m) for m in meters])


def _meter_row(meter: _Meter) -> tuple:
    defaults = METER_DEFAULTS[meter.resource]
    return (meter.id, meter.account.id, meter.serial, meter.key, meter.resource, defaults.unit,
            zones_of(meter.zones), defaults.whole_digits, defaults.fraction_digits, meter.installed_on,
            meter.installed_on, _due(meter.resource, meter.installed_on))


@lru_cache(maxsize=64)  # a chunk's new meters share a few resources and one day
def _due(resource: str, installed_on: str) -> str:
    return verification_due(resource, date.fromisoformat(installed_on)).isoformat()


_ELS_PAIRS = [a + b for a in ELS_LETTERS for b in ELS_LETTERS]


_ELS_TAILS = len(_ELS_PAIRS) * 10**6


def _draw(count: int) -> list[str]:
    """`count` ЕЛС without their region: two letters and six digits each, from one read of the system's generator
    (8 random bytes each, so the remainder's bias is below 10⁻¹⁰)."""
    data = secrets.token_bytes(8 * count)
    tails = []
    for i in range(count):
        letters, digits = divmod(int.from_bytes(data[8 * i:8 * i + 8], "big") % _ELS_TAILS, 10**6)
        tails.append(f"{_ELS_PAIRS[letters]}{digits:06d}")
    return tails



# --- readings --------------------------------------------------------------------------------------------------

# A meter's readings a row's checks need: those before its period (the jump check averages up to
# MAX_HISTORY_MONTHS of consumption, the single submit's history) and the open period's own.
_HISTORY_ROWS = MAX_HISTORY_MONTHS + 2
_METERS = """
SELECT m.*, h.guid AS house_guid, h.timezone, h.window_from, h.window_to, h.window_to_next_month,
       h.window_from_last_day, h.window_to_last_day
FROM meters m
JOIN accounts a ON a.id = m.account_id
JOIN houses h ON h.guid = a.house_guid
"""


def require_submitter(user: User) -> None:
    """Readings come in batches from residents (their accounts' meters) and staff (their organisation's)."""
    if user.role not in ("resident", "staff") or (user.role == "staff" and user.org_id is None):
        raise ApiError(403, "forbidden", _("only residents and an organisation's staff submit meter readings"))


def submit_readings(store: PortalStore, user: User, rows: Sequence[tuple[int, dict[str, str]]], now: datetime,
                    mutation: Mutation = PLAIN) -> Outcome:
    """A chunk of meter readings (`rows`: each row's line and its cells), each through every rule of a single
    submit; 200 with the counts (created: accepted, updated: replaced, unchanged), the rejected rows and the
    warnings of the readings stored with one."""
    require_submitter(user)
    return run_chunk(store, user, rows, now, mutation, parse_reading_row,
                  lambda tx, tally, parsed: _ReadingSubmit(tx, store.dialect, user, now, tally).run(parsed))


def _reading_field(error: InvalidInput | Refused, values: tuple[Decimal, ...], zones: int) -> str:
    """The column a rule's refusal is about: a value's zone (the first one missing or too many, for a count that
    does not fit the meter), the date, or else the meter (its window, its verification)."""
    if error.field == "values":
        if error.code == "wrong_zone_count":
            return ZONE_NAMES[min(len(values), zones, len(ZONE_NAMES) - 1)]
        return error.details.get("zone", "T1")
    if error.field == "date":
        return "date"
    return "meter"


class _ReadingSubmit(ChunkApply):
    """One chunk's readings in one transaction: the meters the rows name and their recent readings read in two
    queries, each row checked by services.meters.check_submission in order, the new and replaced readings written
    with one executemany each."""

    def __init__(self, tx: Connection, dialect: Dialect, user: User, now: datetime, tally: Tally):
        self.tx, self.dialect, self.user, self.now, self.tally = tx, dialect, user, now, tally
        self.by_id: dict[str, Row] = {}
        self.by_serial: dict[str, list[Row]] = {}
        self.history: dict[str, list[Row]] = {}  # meter → its stored readings, oldest first
        self.current: dict[tuple[str, str], tuple[str, str, bool]] = {}  # (meter, period) → (date, values, stored)
        self.inserts: dict[tuple[str, str], tuple] = {}
        self.updates: dict[tuple[str, str], tuple] = {}
        self.closed: dict[str, set[str]] = {}  # house → its periods closed for billing

    def _load(self, rows: list[ReadingRow]) -> None:
        refs = {row.meter: meter_reference(row.meter) for row in rows}
        ids = list({key for kind, key in refs.values() if kind == "id"})
        serials = list({key for kind, key in refs.values() if kind == "serial"})
        visible, params = account_visible(self.user, "m.account_id")
        wanted, wanted_params = [], []
        for column, keys in (("m.id", ids), ("m.serial_key", serials)):
            if keys:
                condition, keys_params = self.dialect.any_of(column, keys)
                wanted.append(condition)
                wanted_params += keys_params
        found = self.tx.execute(f"{_METERS} WHERE ({' OR '.join(wanted)}) AND {visible} ORDER BY m.id",
                                (*wanted_params, *params)).fetchall()
        for meter in found:
            self.by_id[meter["id"]] = meter
            self.by_serial.setdefault(meter["serial_key"], []).append(meter)
        self.refs = refs
        if not self.by_id:
            return
        self.closed = closed_periods(self.tx, list({m["house_guid"] for m in found}))
        meters, meters_params = self.dialect.any_of("r.meter_id", list(self.by_id))
        for r in self.tx.execute(
                "SELECT meter_id, period, taken_on, reading_values, rollover, submitted_by FROM (SELECT r.meter_id,"
                " r.period, r.taken_on, r.reading_values, r.rollover, r.submitted_by, ROW_NUMBER() OVER"
                " (PARTITION BY r.meter_id ORDER BY r.period DESC) AS n FROM readings r"
                f" WHERE {meters}) recent WHERE n <= ? ORDER BY meter_id, period",
                (*meters_params, _HISTORY_ROWS)).fetchall():
            self.history.setdefault(r["meter_id"], []).append(r)
            self.current[(r["meter_id"], r["period"])] = (r["taken_on"], r["reading_values"], True)

    def _meter(self, row: ReadingRow) -> Row:
        kind, key = self.refs[row.meter]
        matches = ([self.by_id[key]] if key in self.by_id else []) if kind == "id" else self.by_serial.get(key, [])
        if not matches:
            raise RowProblem(row.line, "meter", _("no meter {meter} among yours").format(meter=echo(row.meter)))
        if len(matches) > 1:
            raise RowProblem(row.line, "meter", _("serial number {serial} is on several of your meters ({meters}):"
                                                  " give the meter's id").format(
                serial=echo(row.meter), meters=", ".join(m["id"] for m in matches)))
        return matches[0]

    def _before(self, meter: Row, period: str) -> list[dict]:
        stored = [r for r in self.history.get(meter["id"], ()) if r["period"] < period]
        return with_consumption(meter_spec(meter), stored[-(MAX_HISTORY_MONTHS + 1):])

    def _apply(self, row: ReadingRow) -> None:
        meter = self._meter(row)
        try:
            checked = check_submission(meter, list(row.values), row.taken_on, False, self.now,
                                       lambda period: self._before(meter, period),
                                       self.closed.get(meter["house_guid"], ()))
        except (InvalidInput, Refused) as error:
            column = _reading_field(error, row.values, len(meter["zones"].split(",")))
            # A zone's refusal names its zone first ("T1: the new reading …"): the row's message names it once.
            reason = error.message.removeprefix(f"{column}: ")
            raise RowProblem(row.line, column, reason) from None
        key = (meter["id"], checked.period)
        taken, stored = checked.taken.isoformat(), checked.stored
        existing = self.current.get(key)
        submitted = (taken, stored, 0, self.user.id, format_instant(self.now))
        if existing is None:
            self.tally.created += 1
            self.inserts[key] = submitted
        elif existing[:2] == (taken, stored):
            self.tally.unchanged += 1
        else:
            self.tally.updated += 1
            (self.updates if existing[2] else self.inserts)[key] = submitted
        self.current[key] = (taken, stored, existing[2] if existing else False)
        for warning in checked.warnings:
            self.tally.warnings.append({"line": row.line, "message": _("line {line}: meter {meter}: {warning}").format(
                line=row.line, meter=meter["id"], warning=warning)})

    def _write(self) -> None:
        if self.inserts:
            self.tx.executemany(
                "INSERT INTO readings (meter_id, period, taken_on, reading_values, rollover, submitted_by,"
                " submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(meter, period, *values) for (meter, period), values in self.inserts.items()])
        if self.updates:
            self.tx.executemany(
                "UPDATE readings SET taken_on = ?, reading_values = ?, rollover = ?, submitted_by = ?,"
                " submitted_at = ? WHERE meter_id = ? AND period = ?",
                [(*values, meter, period) for (meter, period), values in self.updates.items()])


# --- houses (issue 16) -----------------------------------------------------------------------------------------

# A house's columns a houses file sets, in the order the rows' state is compared and written.
_HOUSE_COLUMNS = ("address", "search_key", "town", "oktmo", "region_code", "timezone", "window_from", "window_to",
                  "window_to_next_month", "window_from_last_day", "window_to_last_day", "managing_org_id",
                  "year_built", "floors", "entrances", "total_area", "living_area", "condition", "energy_class")


def import_houses(store: PortalStore, user: User, rows: Sequence[tuple[int, dict[str, str]]], now: datetime,
                  mutation: Mutation = PLAIN) -> Outcome:
    """A chunk of the portal's houses (admins), each created or updated by its FIAS GUID; 200 with the counts and
    the rejected rows. A new house gets the portal's readings window (the readings.window_* settings) where the
    row gives none; an empty optional cell keeps what a stored house has."""
    require_admin(user)
    return run_chunk(store, user, rows, now, mutation, parse_house_row,
                  lambda tx, tally, parsed: _HouseImport(tx, store.dialect, tally).run(parsed))


class _HouseImport:
    """One chunk's houses in one transaction: the stored houses and the organisations the rows name read in one
    query each, the rows applied in order, the new houses written in one bulk insert and the changed ones with one
    executemany."""

    def __init__(self, tx: Connection, dialect: Dialect, tally: Tally):
        self.tx, self.dialect, self.tally = tx, dialect, tally
        self.houses: dict[str, dict[str, Any]] = {}  # guid → its columns as they stand after the rows so far
        self.stored: dict[str, tuple] = {}  # guid → the columns as the table holds them
        self.orgs: dict[str, str] = {}  # ИНН → organisation id

    def run(self, rows: list[HouseRow]) -> None:
        if not rows:
            return
        from gkh.server.services.admin import setting_value

        self.window = (int(setting_value(self.tx, "readings.window_from") or 15),
                       int(setting_value(self.tx, "readings.window_to") or 25))
        guids, guids_params = self.dialect.any_of("guid", list(dict.fromkeys(r.guid for r in rows)))
        for r in self.tx.execute(f"SELECT guid, {', '.join(_HOUSE_COLUMNS)} FROM houses WHERE {guids}",
                                 guids_params).fetchall():
            house = {c: r[c] for c in _HOUSE_COLUMNS}
            self.houses[r["guid"]] = house
            self.stored[r["guid"]] = _house_state(house)
        inns = list({r.managing_org for r in rows if r.managing_org})
        if inns:
            condition, params = self.dialect.any_of("inn", inns)
            self.orgs = {r["inn"]: r["id"] for r in self.tx.execute(
                f"SELECT id, inn FROM organisations WHERE {condition}", params).fetchall()}
        created: set[str] = set()
        for row in rows:
            try:
                self._apply(row, created)
            except RowProblem as problem:
                self.tally.reject(problem)
        self._write(created)

    def _apply(self, row: HouseRow, created: set[str]) -> None:
        org_id = None
        if row.managing_org is not None:
            org_id = self.orgs.get(row.managing_org)
            if org_id is None:
                raise RowProblem(row.line, "managing_org", _("no organisation with ИНН {inn}").format(
                    inn=row.managing_org))
        before = self.houses.get(row.guid)
        house: dict[str, Any] = dict(before) if before is not None else {
            "timezone": "Europe/Moscow", "window_from": self.window[0], "window_to": self.window[1],
            "window_to_next_month": 0, "window_from_last_day": 0, "window_to_last_day": 0, "managing_org_id": None,
            "year_built": None, "floors": None, "entrances": None, "total_area": None, "living_area": None,
            "condition": None, "energy_class": None}
        house.update(address=row.address, search_key=search_key(row.address), town=row.town, oktmo=row.oktmo,
                     region_code=row.region)
        if row.window_from is not None or row.window_to is not None:
            # A window the row gives is one within the month: its ends as given, the stored one's where empty.
            first = row.window_from if row.window_from is not None else house["window_from"]
            last = row.window_to if row.window_to is not None else house["window_to"]
            if first > last:
                raise RowProblem(row.line, "window_to" if row.window_to is not None else "window_from", _(
                    "the window would close on day {last} before it opens on day {first}").format(
                    last=last, first=first))
            house.update(window_from=first, window_to=last, window_to_next_month=0,
                         window_from_last_day=0, window_to_last_day=0)
        given = {"timezone": row.timezone, "managing_org_id": org_id, "year_built": row.year_built,
                 "floors": row.floors, "entrances": row.entrances,
                 "total_area": area_text(row.total_area) if row.total_area is not None else None,
                 "living_area": area_text(row.living_area) if row.living_area is not None else None,
                 "condition": row.condition, "energy_class": row.energy_class}
        house.update({k: v for k, v in given.items() if v is not None})
        if house["living_area"] is not None and house["total_area"] is not None \
                and Decimal(house["living_area"]) > Decimal(house["total_area"]):
            raise RowProblem(row.line, "living_area", _("larger than the total area {total}").format(
                total=house["total_area"]))
        if before is None:
            self.tally.created += 1
            created.add(row.guid)
        elif house == before:
            self.tally.unchanged += 1
        else:
            self.tally.updated += 1
        self.houses[row.guid] = house

    def _write(self, created: set[str]) -> None:
        if created:
            self.dialect.insert_rows(self.tx, "houses", ("guid", *_HOUSE_COLUMNS),
                                     [(guid, *_house_state(self.houses[guid])) for guid in created])
        changed = [(*_house_state(house), guid) for guid, house in self.houses.items()
                   if guid not in created and _house_state(house) != self.stored[guid]]
        if changed:
            self.tx.executemany(f"UPDATE houses SET {', '.join(c + ' = ?' for c in _HOUSE_COLUMNS)} WHERE guid = ?",
                                changed)


def _house_state(house: dict[str, Any]) -> tuple:
    return tuple(house[c] for c in _HOUSE_COLUMNS)
