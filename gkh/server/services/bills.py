"""Bills (ЕПД) of the accounts a caller sees: a page of them, newest period first, and one by its ИПД."""

from __future__ import annotations

from datetime import datetime

from gkh.i18n import _
from gkh.server.access import User, visible_account_ids
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import echo, not_found
from gkh.server.services import Listing, of_account
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
    visible = visible_account_ids(user)
    with store.read() as conn:
        sql, params = of_account(conn, f"{_SELECT} WHERE b.account_id IN ({visible[0]})", visible, account)
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
    ids, params = visible_account_ids(user)
    with store.read() as conn:
        row = conn.execute(f"{_SELECT} WHERE b.account_id IN ({ids}) AND b.id = ?", (*params, bill_id)).fetchone()
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
