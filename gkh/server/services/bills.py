"""Bills (ЕПД) of the accounts a caller sees: a page of them, newest period first, and one by its ИПД; and bills
imported from an organisation's accounting (issue 16), a chunk of their lines at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from gkh.domain.batch import RowProblem
from gkh.domain.bills import BillRow, default_due_date, ipd, parse_bill_row
from gkh.domain.dates import house_zone, local_date, period_of
from gkh.i18n import _
from gkh.server.access import User, visible_accounts
from gkh.server.db import Connection, Dialect, PortalStore, Row
from gkh.server.http import ApiError, echo, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome
from gkh.server.services import Listing, of_account
from gkh.server.services.batches import ChunkApply, Tally, run_chunk
from gkh.server.views import bill_view

# Where a list starts: before every period (periods are YYYY-MM), and then by id.
FIRST = ["9999-99", ""]

_SELECT = """
SELECT b.id, b.period, b.issued_on, b.due_date, b.total_kopecks, b.paid_kopecks, a.els, h.timezone,
       o.id AS org_id, o.kind AS org_kind, o.name AS org_name, o.short_name AS org_short_name, o.inn AS org_inn,
       o.kpp AS org_kpp, o.bank_name, o.bik, o.bank_account, o.correspondent_account
FROM bills b
JOIN accounts a ON a.id = b.account_id
JOIN houses h ON h.guid = a.house_guid
JOIN organisations o ON o.id = b.payee_org_id
"""


def list_bills(store: PortalStore, user: User, account: str | None, unpaid: bool, limit: int, after: list,
               now: datetime) -> Listing:
    """The caller's bills (of one account: its normalised ЕЛС; only those with something due if `unpaid`), newest
    period first, then by id, after the sort key `after` ([period, id])."""
    visible = visible_accounts(user)
    with store.read() as conn:
        sql, params = of_account(conn, f"{_SELECT} WHERE {visible[0]}", visible, account)
        if unpaid:
            sql += " AND b.paid_kopecks < b.total_kopecks"
        period, bill_id = after
        rows = conn.execute(sql + " AND (b.period < ? OR b.period = ? AND b.id > ?) ORDER BY b.period DESC, b.id"
                                  " LIMIT ?", (*params, period, period, bill_id, limit + 1)).fetchall()
        page = rows[:limit]
        lines = _lines(conn, [r["id"] for r in page])
    return Listing([bill_view(r, lines.get(r["id"], []), now) for r in page],
                   [page[-1]["period"], page[-1]["id"]] if len(rows) > limit else None)


def get_bill(store: PortalStore, user: User, bill_id: str, now: datetime) -> dict:
    """One of the caller's bills by its ИПД (normalised by the route), or 404 — also when it exists but is not the
    caller's to see."""
    visible, params = visible_accounts(user)
    with store.read() as conn:
        row = conn.execute(f"{_SELECT} WHERE {visible} AND b.id = ?", (*params, bill_id)).fetchone()
        if row is None:
            raise not_found(_("no bill {id} among yours").format(id=echo(bill_id)), "bill_not_found")
        return bill_view(row, _lines(conn, [bill_id]).get(bill_id, []), now)


def _lines(conn: Connection, bill_ids: list[str]) -> dict[str, list[Row]]:
    """The lines of these bills, each bill's in its order."""
    out: dict[str, list[Row]] = {}
    if not bill_ids:
        return out
    marks = ",".join("?" * len(bill_ids))
    for row in conn.execute(f"SELECT * FROM bill_lines WHERE bill_id IN ({marks}) ORDER BY bill_id, position",
                            bill_ids).fetchall():
        out.setdefault(row["bill_id"], []).append(row)
    return out


# --- imported from accounting (issue 16) ---------------------------------------------------------------------------


def require_bill_importer(user: User) -> None:
    """Bills come from an organisation's accounting: its staff import them, and the portal's admins."""
    if user.role == "admin" or user.role == "staff" and user.org_id is not None:
        return
    raise ApiError(403, "forbidden", _("only the portal's admins and an organisation's staff import bills"))


def import_bills(store: PortalStore, user: User, rows: Sequence[tuple[int, dict[str, str]]], now: datetime,
                 mutation: Mutation = PLAIN) -> Outcome:
    """A chunk of bills' lines (`rows`: each row's line and its cells by field name): a bill created on its
    account and period's first row, a line upserted on its service and zone; 200 with the counts (a row each)
    and the rejected rows. Staff import their organisation's accounts' bills (by ЕЛС or number), admins any
    account's (by ЕЛС; by number when only one account in the portal has it)."""
    require_bill_importer(user)
    return run_chunk(store, user, rows, now, mutation, parse_bill_row,
                     lambda tx, tally, parsed: _BillImport(tx, store.dialect, user, now, tally).run(parsed))


@dataclass
class _Account:
    id: int
    els: str
    izhku: str
    org_id: str
    timezone: str


@dataclass
class _Line:
    position: int
    volume: str
    unit: str
    tariff: int
    amount: int
    new: bool = False
    stored: tuple | None = None  # (volume, unit, tariff, amount) as the table holds them

    def state(self) -> tuple:
        return (self.volume, self.unit, self.tariff, self.amount)


@dataclass
class _Bill:
    id: str
    account: _Account
    period: str
    issued_on: str
    due_date: str
    paid: int
    total: int
    new: bool = False
    lines: dict[tuple[str, str | None], _Line] = field(default_factory=dict)  # (service, zone) → line


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return house_zone(name)


class _BillImport(ChunkApply):
    """One chunk's bill lines in one transaction: the accounts the rows name, their bills of the rows' periods and
    those bills' lines read in three queries; the rows applied in order; the new bills and lines written in one bulk
    insert each, the changed ones with one executemany each, every touched bill's total the sum of its lines."""

    def __init__(self, tx: Connection, dialect: Dialect, user: User, now: datetime, tally: Tally):
        self.tx, self.dialect, self.user, self.now, self.tally = tx, dialect, user, now, tally
        self.admin = user.role == "admin"
        self.by_els: dict[str, _Account] = {}
        self.by_number: dict[str, list[_Account]] = {}
        self.bills: dict[tuple[int, str], _Bill] = {}  # (account id, period) → bill
        self.touched: dict[str, _Bill] = {}
        self.months: dict[str, str] = {}  # time zone → the current period there

    def _load(self, rows: list[BillRow]) -> None:
        any_of = self.dialect.any_of
        conditions, params = [], []
        for column, values in (("a.els", {r.els for r in rows if r.els}),
                               ("a.number", {r.number for r in rows if r.number})):
            if values:
                condition, values_params = any_of(column, sorted(values))
                conditions.append(condition)
                params += values_params
        sql = ("SELECT a.id, a.els, a.izhku, a.number, a.org_id, h.timezone FROM accounts a"
               f" JOIN houses h ON h.guid = a.house_guid WHERE ({' OR '.join(conditions)})")
        if not self.admin:
            sql += " AND a.org_id = ?"
            params.append(self.user.org_id)
        for r in self.tx.execute(sql, params).fetchall():
            account = _Account(r["id"], r["els"], r["izhku"], r["org_id"], r["timezone"])
            self.by_els[r["els"]] = account
            self.by_number.setdefault(r["number"], []).append(account)
        if not self.by_els:
            return
        accounts, accounts_params = any_of("account_id", sorted({a.id for a in self.by_els.values()}))
        periods, periods_params = any_of("period", sorted({r.period for r in rows}))
        accounts_by_id = {a.id: a for a in self.by_els.values()}
        for r in self.tx.execute(f"SELECT id, account_id, period, issued_on, due_date, total_kopecks, paid_kopecks"
                                 f" FROM bills WHERE {accounts} AND {periods}",
                                 accounts_params + periods_params).fetchall():
            self.bills[(r["account_id"], r["period"])] = _Bill(
                r["id"], accounts_by_id[r["account_id"]], r["period"], r["issued_on"], r["due_date"],
                r["paid_kopecks"], r["total_kopecks"])
        if not self.bills:
            return
        by_id = {b.id: b for b in self.bills.values()}
        ids, ids_params = any_of("bill_id", sorted(by_id))
        for r in self.tx.execute(f"SELECT bill_id, position, service, zone, volume, unit, tariff_kopecks,"
                                 f" amount_kopecks FROM bill_lines WHERE {ids}", ids_params).fetchall():
            line = _Line(r["position"], r["volume"], r["unit"], r["tariff_kopecks"], r["amount_kopecks"])
            line.stored = line.state()
            by_id[r["bill_id"]].lines[(r["service"], r["zone"])] = line

    def _account(self, row: BillRow) -> _Account:
        if row.els is not None:
            found = self.by_els.get(row.els)
        else:
            matches = self.by_number.get(row.number or "", [])
            if len(matches) > 1:
                raise RowProblem(row.line, "account", _(
                    "{count} accounts have the number {account}: give the account's ЕЛС").format(
                    count=len(matches), account=echo(row.account)))
            found = matches[0] if matches else None
        if found is None:
            message = _("no account {account}") if self.admin else _("no account {account} among your "
                                                                       "organisation's")
            raise RowProblem(row.line, "account", message.format(account=echo(row.account)))
        return found

    def _current_period(self, timezone: str) -> str:
        if timezone not in self.months:
            self.months[timezone] = period_of(local_date(self.now, _zone(timezone)))
        return self.months[timezone]

    def _apply(self, row: BillRow) -> None:
        account = self._account(row)
        if row.period > self._current_period(account.timezone):
            raise RowProblem(row.line, "period", _("the period {period} has not begun yet").format(
                period=row.period))
        bill = self.bills.get((account.id, row.period))
        due = row.due_date.isoformat() if row.due_date is not None else None
        if bill is None:
            today = local_date(self.now, _zone(account.timezone))
            bill = _Bill(ipd(account.izhku, row.period), account, row.period, today.isoformat(),
                         due or default_due_date(row.period).isoformat(), 0, 0, new=True)
        key = (row.service, row.zone)
        before = bill.lines.get(key)
        wanted = (row.volume, row.unit, row.tariff_kopecks, row.amount_kopecks)
        line_changes = before is None or before.state() != wanted
        due_changes = due is not None and due != bill.due_date
        if bill.paid > 0 and (line_changes or due_changes):
            raise RowProblem(row.line, "period", _(
                "the bill {id} is paid (partly): put a correction in a later period's bill").format(id=bill.id))
        self.bills[(account.id, row.period)] = bill
        if due_changes:
            bill.due_date = due or bill.due_date
        if before is None:
            position = max((line.position for line in bill.lines.values()), default=0) + 1
            bill.lines[key] = _Line(position, *wanted, new=True)
            self.tally.created += 1
        elif line_changes:
            before.volume, before.unit, before.tariff, before.amount = wanted
            self.tally.updated += 1
        elif due_changes:
            self.tally.updated += 1
        else:
            self.tally.unchanged += 1
        if line_changes or due_changes or bill.new:
            self.touched[bill.id] = bill

    def _write(self) -> None:
        bills = list(self.touched.values())
        for bill in bills:
            bill.total = sum(line.amount for line in bill.lines.values())
        self.dialect.insert_rows(self.tx, "bills", ("id", "account_id", "period", "payee_org_id", "issued_on",
                                                    "due_date", "total_kopecks", "paid_kopecks"),
                                 [(b.id, b.account.id, b.period, b.account.org_id, b.issued_on, b.due_date, b.total,
                                   0) for b in bills if b.new])
        self.dialect.insert_rows(self.tx, "bill_lines", ("bill_id", "position", "service", "zone", "volume", "unit",
                                                         "tariff_kopecks", "amount_kopecks"),
                                 [(b.id, line.position, service, zone, *line.state()) for b in bills
                                  for (service, zone), line in b.lines.items() if line.new])
        changed = [(*line.state(), b.id, line.position) for b in bills if not b.new for line in b.lines.values()
                   if not line.new and line.state() != line.stored]
        if changed:
            self.tx.executemany("UPDATE bill_lines SET volume = ?, unit = ?, tariff_kopecks = ?, amount_kopecks = ?"
                                " WHERE bill_id = ? AND position = ?", changed)
        stored = [(b.due_date, b.total, b.id) for b in bills if not b.new]
        if stored:
            self.tx.executemany("UPDATE bills SET due_date = ?, total_kopecks = ? WHERE id = ?", stored)
