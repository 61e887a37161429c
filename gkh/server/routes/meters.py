"""Meters of the accounts I see, their readings, and submitting a reading by the rules of DESIGN §2."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal

import falcon
from dateutil.relativedelta import relativedelta

from gkh.domain import readings as rules
from gkh.domain.dates import format_instant, house_zone, local_date, period_of
from gkh.domain.identifiers import normalize_els
from gkh.server.auth import User
from gkh.server.db import Store
from gkh.server.http import (
    ApiError,
    Page,
    echo,
    invalid,
    json_body,
    not_found,
    query_int,
)
from gkh.server.idempotency import run_mutation
from gkh.server.routes.accounts import visible_account_ids

MAX_HISTORY_MONTHS = 120

_SELECT = """
SELECT m.*, a.els, h.guid AS house_guid, h.address AS house_address, h.timezone, h.window_from, h.window_to,
       (SELECT json_object('date', r.taken_on, 'values', json(r.reading_values)) FROM readings r
        WHERE r.meter_id = m.id ORDER BY r.period DESC LIMIT 1) AS last_reading
FROM meters m
JOIN accounts a ON a.id = m.account_id
JOIN houses h ON h.guid = a.house_guid
"""


def _spec(row: sqlite3.Row) -> rules.MeterSpec:
    return rules.MeterSpec(tuple(row["zones"].split(",")), row["whole_digits"], row["fraction_digits"])


def _window(row: sqlite3.Row) -> rules.SubmissionWindow:
    return rules.SubmissionWindow(row["window_from"], row["window_to"])


def _today(row: sqlite3.Row, now) -> date:
    return local_date(now, house_zone(row["timezone"]))


def meter_view(row: sqlite3.Row, now) -> dict:
    window, today = _window(row), _today(row, now)
    is_open = window.is_open(today)
    first, last = window.bounds(today if is_open else window.next_opening(today))
    return {
        "id": row["id"],
        "serial": row["serial"],
        "resource": row["resource"],
        "unit": row["unit"],
        "zones": row["zones"].split(","),
        "account": row["els"],
        "house": {"guid": row["house_guid"], "address": row["house_address"]},
        "last_reading": json.loads(row["last_reading"]) if row["last_reading"] else None,
        "verification_due": row["verification_due"],
        "window": {"from": first.isoformat(), "to": last.isoformat(), "open": is_open},
    }


def find_meter(conn: sqlite3.Connection, user: User, meter: str) -> sqlite3.Row:
    """A meter by its portal id (M-000123) or serial number, among the user's; 404 for anyone else's."""
    ids, params = visible_account_ids(user)
    column = "m.id" if meter.upper().startswith("M-") else "m.serial"
    rows = conn.execute(f"{_SELECT} WHERE m.account_id IN ({ids}) AND {column} = ?",
                        (*params, meter.strip().upper() if column == "m.id" else meter.strip())).fetchall()
    if not rows:
        raise not_found(f"no meter {echo(meter)} among yours", "meter_not_found")
    if len(rows) > 1:
        raise invalid(f"serial number {echo(meter)} is on several of your meters ("
                      + ", ".join(r["id"] for r in rows) + "): give the meter's id", "meter")
    return rows[0]


def _values(text: str) -> dict[str, Decimal]:
    return {zone: Decimal(value) for zone, value in json.loads(text).items()}


def _history(conn: sqlite3.Connection, meter: sqlite3.Row, before_period: str | None = None,
             months: int = MAX_HISTORY_MONTHS) -> list[dict]:
    """Stored readings in period order, each with its consumption since the one before."""
    sql = ("SELECT r.period, r.taken_on, r.reading_values, r.rollover, u.name AS submitted_by FROM readings r"
           " LEFT JOIN users u ON u.id = r.submitted_by WHERE r.meter_id = ?")
    params: list = [meter["id"]]
    if before_period:
        sql += " AND r.period < ?"
        params.append(before_period)
    rows = conn.execute(sql + " ORDER BY r.period DESC LIMIT ?", (*params, months + 1)).fetchall()[::-1]
    spec, out, previous = _spec(meter), [], None
    for row in rows:
        values = _values(row["reading_values"])
        used = rules.consumption(previous, values, spec, bool(row["rollover"])) if previous is not None else None
        out.append({"period": row["period"], "date": row["taken_on"], "values": values, "consumption": used,
                    "submitted_by": row["submitted_by"]})
        previous = values
    return out[-months:]


def reading_view(meter_id: str, period: str, taken_on: str, values: dict, used: dict | None, status: str,
                 warnings: list[str], submitted_by: str | None) -> dict:
    def text(zones: dict | None) -> dict | None:
        return None if zones is None else rules.canonical_values(zones)

    return {"meter": meter_id, "period": period, "date": taken_on, "values": text(values),
            "consumption": text(used), "status": status, "warnings": warnings,
            # Who stored it: a linked relative or the organisation's staff may submit too (None: imported).
            "submitted_by": submitted_by}


class MeterList:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user, now, page = req.context.user, req.context.now, Page(req)
        ids, params = visible_account_ids(user)
        sql = f"{_SELECT} WHERE m.account_id IN ({ids})"
        if account := req.get_param("account"):
            els = normalize_els(account, field="account")
            with self.store.read() as conn:
                if not conn.execute(f"SELECT 1 FROM accounts WHERE els = ? AND id IN ({ids})",
                                    (els, *params)).fetchone():
                    raise not_found(f"no account {els} among yours", "account_not_found")
            sql += " AND a.els = ?"
            params = [*params, els]
        (after,) = page.cursor_values([""], str)
        rows = self.store.connection().execute(sql + " AND m.id > ? ORDER BY m.id LIMIT ?",
                                               (*params, after, page.limit + 1)).fetchall()
        resp.media = page.result(rows, lambda r: [r["id"]], lambda r: meter_view(r, now))


class MeterItem:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, meter: str) -> None:
        resp.media = meter_view(find_meter(self.store.connection(), req.context.user, meter), req.context.now)


class MeterReadings:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, meter: str) -> None:
        """The last `months` periods' readings with their consumption, oldest first."""
        months = query_int(req, "months", 12, 1, MAX_HISTORY_MONTHS)
        with self.store.read() as conn:
            row = find_meter(conn, req.context.user, meter)
            today = _today(row, req.context.now)
            first_period = period_of(today - relativedelta(months=months - 1))
            items = [reading_view(row["id"], h["period"], h["date"], h["values"], h["consumption"], "accepted", [],
                                  h["submitted_by"])
                     for h in _history(conn, row, months=months) if h["period"] >= first_period]
        resp.media = {"items": items, "next_cursor": None}

    def on_post(self, req: falcon.Request, resp: falcon.Response, meter: str) -> None:
        """Submit a reading: every rule checked by the portal; the same values again are `unchanged`."""
        user: User = req.context.user
        body = json_body(req)
        values_in = body.get("values")
        if not isinstance(values_in, list) or not values_in or not all(isinstance(v, str) for v in values_in):
            # Strings, not JSON numbers: a number would pass through a float and lose digits.
            raise invalid('values must be a list of strings, one reading per tariff zone: ["123.45"]', "values")
        values = [rules.parse_reading_value(v, field="values") for v in values_in]
        date_text = body.get("date")
        if date_text is not None and (not isinstance(date_text, str) or not date_text.strip()):
            raise invalid("date must be DD.MM.YYYY or YYYY-MM-DD", "date")
        rollover = body.get("rollover", False)
        if not isinstance(rollover, bool):
            raise invalid("rollover must be true or false", "rollover")
        now = req.context.now

        def submit(tx: sqlite3.Connection) -> tuple[int, dict]:
            row = find_meter(tx, user, meter)
            spec = _spec(row)
            zone = house_zone(row["timezone"])
            today = local_date(now, zone)
            taken = rules.reading_date(date_text, now, zone)
            zoned = rules.check_values(spec, values, meter_id=row["id"])
            rules.check_window(_window(row), today)
            period = period_of(taken)
            history = _history(tx, row, before_period=period)
            previous = history[-1] if history else None
            rules.check_reading_date(taken, today, date.fromisoformat(previous["date"]) if previous else None)
            rules.check_period_open(period, closed=period != period_of(today))
            used = rules.consumption(previous["values"] if previous else None, zoned, spec, rollover,
                                     meter_id=row["id"])
            warnings = rules.suspicious_jump(used, [h["consumption"] for h in history if h["consumption"]]) \
                if used else []
            stored = json.dumps(rules.canonical_values(zoned))
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

        run_mutation(self.store, req, resp, user.id, body, submit)


def handle_reading_refused(req, resp, error: rules.ReadingRefused, params) -> None:
    raise ApiError(422, error.code, error.message, error.field)
