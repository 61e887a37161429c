"""Billing periods closed by house (issue 16): once a house's month is closed, its readings can no longer change —
services.meters.check_submission refuses them (`period_closed`), in a single submit and in a batch, even while the
month's window would still be open."""

from __future__ import annotations

from datetime import datetime

from gkh.domain.dates import format_instant, house_zone, local_date, parse_period, period_of
from gkh.domain.errors import InvalidInput
from gkh.i18n import _
from gkh.server.access import User, period_closer_houses
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import ApiError, echo, invalid, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.services import Listing, listing_of
from gkh.server.views import house_summary

__all__ = ["FIRST", "check_period", "close_period", "list_closed", "period_closer_houses"]

FIRST = ["9999-12"]  # where a list starts: after every period (newest first)


def check_period(value: object) -> str:
    """The body's period as "YYYY-MM" (also MM.YYYY): 400 naming `period` else."""
    if not isinstance(value, str):
        raise invalid(_("{field} must be a month as YYYY-MM or MM.YYYY (e.g. 2026-11 or 11.2026); got {got}").format(
            field="period", got=echo(str(value))), "period")
    try:
        return parse_period(value, field="period")
    except InvalidInput as error:
        raise invalid(error.message, "period") from None


def _house(conn: Connection, user: User, guid: str) -> Row:
    """The house if the caller may close its periods (403 for who may not at all); else 404 `house_not_found`, as
    for a house that is not there."""
    condition, params = period_closer_houses(user)
    house = conn.execute(f"SELECT h.* FROM houses h WHERE h.guid = ? AND {condition}", (guid, *params)).fetchone()
    if house is None:
        raise not_found(_("no house {guid} among those your organisation serves").format(guid=echo(guid)),
                        "house_not_found")
    return house


def _view(house: Row, row: Row, status: str | None = None) -> dict:
    view = {"house": house_summary(house), "period": row["period"], "closed_at": row["closed_at"],
            "closed_by": row["closed_by"]}
    return {**view, "status": status} if status else view


_CLOSED = "SELECT c.period, c.closed_at, u.login AS closed_by FROM closed_periods c" \
          " LEFT JOIN users u ON u.id = c.closed_by WHERE c.house_guid = ?"


def close_period(store: PortalStore, user: User, guid: str, period: str, now: datetime,
                 mutation: Mutation = PLAIN) -> Outcome:
    """Close the house's period: 201 closed, 200 unchanged when it was (as it was closed then); 422
    `period_in_future` for a month after the one today is in, in the house's zone."""
    period_closer_houses(user)

    def work(tx: Connection) -> tuple[int, dict]:
        house = _house(tx, user, guid)
        current = period_of(local_date(now, house_zone(house["timezone"])))
        if period > current:
            raise ApiError(422, "period_in_future", _("the period {period} has not begun yet: in the house's time "
                                                      "zone it is {current} now").format(period=period,
                                                                                        current=current), "period")
        row = tx.execute(f"{_CLOSED} AND c.period = ?", (guid, period)).fetchone()
        status = "unchanged" if row is not None else "closed"
        if row is None:
            # Two closing at once: the second's insert does nothing (its answer says closed, as the first's).
            tx.execute("INSERT INTO closed_periods (house_guid, period, closed_at, closed_by) VALUES (?, ?, ?, ?)"
                       " ON CONFLICT (house_guid, period) DO NOTHING", (guid, period, format_instant(now), user.id))
            row = tx.execute(f"{_CLOSED} AND c.period = ?", (guid, period)).fetchone()
        return (201 if status == "closed" else 200), _view(house, row, status)

    return run_mutation(store, user.id, now, mutation, work)


def list_closed(store: PortalStore, user: User, guid: str, limit: int, after: list) -> Listing:
    """The house's closed periods, newest first."""
    period_closer_houses(user)
    with store.read() as conn:
        house = _house(conn, user, guid)
        rows = conn.execute(f"{_CLOSED} AND c.period < ? ORDER BY c.period DESC LIMIT ?",
                            (guid, after[0], limit + 1)).fetchall()
    return listing_of(rows, limit, lambda r: [r["period"]], lambda r: _view(house, r))
