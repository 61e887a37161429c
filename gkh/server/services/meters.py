"""Meters of the accounts a caller sees, their readings, and submitting a reading by the rules of
gkh.domain.readings."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from gkh.domain import readings as rules
from gkh.domain.dates import format_instant, house_zone, local_date, period_of
from gkh.domain.identifiers import meter_reference
from gkh.i18n import _
from gkh.server.access import User, account_visible, visible_accounts
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import echo, invalid, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.services import Listing, listing_of, of_account
from gkh.server.views import (
    house_today,
    meter_spec,
    meter_view,
    reading_view,
    submission_window,
)

MAX_HISTORY_MONTHS = 120

_SELECT = """
SELECT m.*, a.els, h.guid AS house_guid, h.address AS house_address, h.timezone, h.window_from, h.window_to,
       h.window_to_next_month, h.window_from_last_day, h.window_to_last_day,
       lr.taken_on AS last_taken_on, lr.reading_values AS last_values
FROM meters m
JOIN accounts a ON a.id = m.account_id
JOIN houses h ON h.guid = a.house_guid
LEFT JOIN readings lr ON lr.meter_id = m.id
     AND lr.period = (SELECT max(r.period) FROM readings r WHERE r.meter_id = m.id)
"""


@dataclass(frozen=True)
class Submission:
    """A reading as a client sends it: one value per tariff zone, the date it was taken (as typed, judged in
    the house's zone; None: today), and whether the meter rolled over."""

    values: list[Decimal]
    taken_on: str | None = None
    rollover: bool = False


def list_meters(store: PortalStore, user: User, account: str | None, limit: int, after: str, now: datetime) -> Listing:
    """The caller's meters (of one account: its normalised ЕЛС), by id, after `after`."""
    visible = visible_accounts(user)
    with store.read() as conn:
        sql, params = of_account(conn, f"{_SELECT} WHERE {visible[0]}", visible, account)
        rows = conn.execute(sql + " AND m.id > ? ORDER BY m.id LIMIT ?", (*params, after, limit + 1)).fetchall()
    return listing_of(rows, limit, lambda r: [r["id"]], lambda r: meter_view(r, now))


def get_meter(store: PortalStore, user: User, meter: str, now: datetime) -> dict:
    """One of the caller's meters by its portal id (M-000123) or serial number."""
    with store.read(snapshot=False) as conn:  # one statement
        return meter_view(_find_meter(conn, user, meter), now)


def reading_history(store: PortalStore, user: User, meter: str, months: int, now: datetime) -> list[dict]:
    """The last `months` periods' readings with their consumption, oldest first."""
    with store.read() as conn:
        row = _find_meter(conn, user, meter)
        # Up to the period readings are taken for now: with a window ending in the next month, its tail's month
        # is still the one before.
        current = submission_window(row).opened_in(house_today(row, now))
        first_period = period_of(current - relativedelta(months=months - 1))
        return [reading_view(row["id"], h["period"], h["date"], h["values"], h["consumption"], "accepted", [],
                             h["submitted_by"])
                for h in _history(conn, row, months=months) if h["period"] >= first_period]


def submit_reading(store: PortalStore, user: User, meter: str, submission: Submission, now: datetime,
                   mutation: Mutation = PLAIN) -> Outcome:
    """Store a reading after every rule of the domain: 201 accepted, 200 replaced (another reading of the same
    period) or unchanged (the same values again)."""
    values, taken_text, rollover = submission.values, submission.taken_on, submission.rollover

    def submit(tx: Connection) -> tuple[int, dict]:
        row = _find_meter(tx, user, meter)
        checked = check_submission(row, values, taken_text, rollover, now,
                                   lambda period: _history(tx, row, before_period=period),
                                   closed_periods(tx, [row["house_guid"]]).get(row["house_guid"], ()))
        period, taken, zoned, used, warnings = (checked.period, checked.taken, checked.values, checked.used,
                                                checked.warnings)
        stored = checked.stored
        existing = tx.execute("SELECT r.taken_on, r.reading_values, u.name FROM readings r"
                              " LEFT JOIN users u ON u.id = r.submitted_by WHERE r.meter_id = ? AND r.period = ?",
                              (row["id"], period)).fetchone()
        submitter = user.name
        if existing is None:
            status = "accepted"
            tx.execute("INSERT INTO readings (meter_id, period, taken_on, reading_values, rollover, submitted_by,"
                       " submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (row["id"], period, taken.isoformat(), stored, int(rollover), user.id, format_instant(now)))
        elif (existing["taken_on"], existing["reading_values"]) == (taken.isoformat(), stored):
            status, submitter = "unchanged", existing["name"]
        else:
            status = "replaced"
            tx.execute("UPDATE readings SET taken_on = ?, reading_values = ?, rollover = ?, submitted_by = ?,"
                       " submitted_at = ? WHERE meter_id = ? AND period = ?",
                       (taken.isoformat(), stored, int(rollover), user.id, format_instant(now), row["id"], period))
        view = reading_view(row["id"], period, taken.isoformat(), zoned, used, status, warnings, submitter)
        return (201 if status == "accepted" else 200), view

    return run_mutation(store, user.id, now, mutation, submit)


@dataclass(frozen=True)
class Checked:
    """A reading that passed every rule: its period and date, its value per zone, its consumption since the
    reading before (None: the first), and the warnings it is stored with."""

    period: str
    taken: date
    values: dict[str, Decimal]
    used: dict[str, Decimal] | None
    warnings: list[str]

    @property
    def stored(self) -> str:
        """The values as readings.reading_values holds them."""
        return json.dumps(rules.canonical_values(self.values))


def check_submission(row: Row, values: list[Decimal], taken_on: str | date | None, rollover: bool, now: datetime,
                     history_before: Callable[[str], list[dict]], closed: Collection[str] = ()) -> Checked:
    """Every rule of gkh.domain.readings a reading of the meter `row` (its columns and its house's, as _SELECT
    reads them) must pass — the one set the single submit and the batch both apply. `taken_on`: the date as typed
    (judged in the house's zone) or as parsed, None for today; `history_before(period)`: the meter's stored
    readings before that period, oldest first, each with its consumption (as _history gives them); `closed`: the
    periods closed for the meter's house (closed_periods), refused as its window's past ones are."""
    spec = meter_spec(row)
    zone = house_zone(row["timezone"])
    today = local_date(now, zone)
    taken = taken_on if isinstance(taken_on, date) else rules.reading_date(taken_on, now, zone)
    zoned = rules.check_values(spec, values, meter_id=row["id"])
    rules.check_verification(date.fromisoformat(row["verification_due"]), min(taken, today), meter_id=row["id"])
    window = submission_window(row)
    rules.check_window(window, today)
    # The period is the month the reading's window opened in (its date's month, or the month before for the
    # tail of a window ending in the next month), and it must be the one open today.
    period = window.period_of(taken)
    history = history_before(period)
    previous = history[-1] if history else None
    rules.check_reading_date(taken, today, date.fromisoformat(previous["date"]) if previous else None)
    rules.check_period_open(period, closed=period != window.period_of(today) or period in closed)
    past = [h["consumption"] for h in history if h["consumption"]]
    if rollover:
        rules.check_rollover(previous["values"] if previous else None, zoned, spec, past, meter_id=row["id"])
    used = rules.consumption(previous["values"] if previous else None, zoned, spec, rollover, meter_id=row["id"])
    warnings = rules.suspicious_jump(used, past) if used else []
    return Checked(period, taken, zoned, used, warnings)


def closed_periods(conn: Connection, houses: Sequence[str]) -> dict[str, set[str]]:
    """The periods closed for billing of each of `houses` (FIAS GUIDs, not empty), by house: one query."""
    marks = ",".join("?" * len(houses))  # a chunk's meters are in a few houses
    closed: dict[str, set[str]] = {}
    for r in conn.execute(f"SELECT house_guid, period FROM closed_periods WHERE house_guid IN ({marks})",
                          list(houses)).fetchall():
        closed.setdefault(r["house_guid"], set()).add(r["period"])
    return closed


def _find_meter(conn: Connection, user: User, meter: str) -> Row:
    """A meter by its portal id (M-000123) or serial number, among the user's; 404 for anyone else's. Either in
    any case and with Latin/Cyrillic look-alikes (m-000123 with a Cyrillic м, xb-21-115444 for ХВ-21-115444)."""
    kind, key = meter_reference(meter)
    column = "m.id" if kind == "id" else "m.serial_key"
    visible, params = account_visible(user, "m.account_id")
    rows = conn.execute(f"{_SELECT} WHERE {column} = ? AND {visible} ORDER BY m.id", (key, *params)).fetchall()
    if not rows:
        raise not_found(_("no meter {meter} among yours").format(meter=echo(meter)), "meter_not_found")
    if len(rows) > 1:
        raise invalid(_("serial number {serial} is on several of your meters ({meters}): give the meter's id").format(
            serial=echo(meter), meters=", ".join(r["id"] for r in rows)), "meter")
    return rows[0]


def _values(text: str) -> dict[str, Decimal]:
    return {zone: Decimal(value) for zone, value in json.loads(text).items()}


def _history(conn: Connection, meter: Row, before_period: str | None = None,
             months: int = MAX_HISTORY_MONTHS) -> list[dict]:
    """Stored readings in period order, each with its consumption since the one before."""
    sql = ("SELECT r.period, r.taken_on, r.reading_values, r.rollover, u.name AS submitted_by FROM readings r"
           " LEFT JOIN users u ON u.id = r.submitted_by WHERE r.meter_id = ?")
    params: list = [meter["id"]]
    if before_period:
        sql += " AND r.period < ?"
        params.append(before_period)
    rows = conn.execute(sql + " ORDER BY r.period DESC LIMIT ?", (*params, months + 1)).fetchall()[::-1]
    return with_consumption(meter_spec(meter), rows)[-months:]


def with_consumption(spec: rules.MeterSpec, rows: Sequence[Row]) -> list[dict]:
    """A meter's stored readings (period, taken_on, reading_values, rollover, submitted_by), oldest first, each
    with its consumption since the one before (None for the first)."""
    out = []
    previous: dict[str, Decimal] | None = None
    for row in rows:
        values = _values(row["reading_values"])
        used = rules.consumption(previous, values, spec, bool(row["rollover"])) if previous is not None else None
        out.append({"period": row["period"], "date": row["taken_on"], "values": values, "consumption": used,
                    "submitted_by": row["submitted_by"]})
        previous = values
    return out
