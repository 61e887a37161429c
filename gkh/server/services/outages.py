"""Notices of outages (отключения): an organisation serving a house (its managing organisation, or one with
accounts there) tells its residents that hot or cold water, electricity, gas or heating will be off, from when to
when. Numbered OT-000001… inside the posting transaction; every change (dates, text, topic, importance, the cancel)
raises its version by one, so that who keeps what they have seen knows a changed notice from one they told.

A notice's status is read at `now`: cancelled, else upcoming (before its start), active (until its end), over. Its
start and end are instants (UTC); a date or a local date-time sent for them is read in the house's zone, a date's
end being the next day's 00:00 there. Who reads a house's notices: access.visible_outages; anyone else is told
there is none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from gkh.domain.dates import format_instant, house_zone, parse_instant
from gkh.domain.errors import InvalidInput, Refused
from gkh.i18n import _
from gkh.server.access import User, outage_poster_houses, require_outage_poster, visible_outages
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import echo, invalid, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.services import Listing, listing_of
from gkh.server.views import outage_view

RESOURCES = ("hot_water", "cold_water", "electricity", "gas", "heating")
STATUSES = ("upcoming", "active", "over", "cancelled")
MAX_TEXT = 5_000  # the official notification's limits
MAX_TOPIC = 200
# A notice's topic when none is given (stored as the portal shows it, in Russian).
DEFAULT_TOPICS = {
    "hot_water": "Отключение горячей воды",
    "cold_water": "Отключение холодной воды",
    "electricity": "Отключение электроснабжения",
    "gas": "Отключение газоснабжения",
    "heating": "Отключение отопления",
}
FIRST = ["9999-12-31T23:59:59+00:00", 2**63 - 1]  # where a list starts: after every notice (newest start first)

_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_LOCAL_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$")

_SELECT = """
SELECT o.*, h.address, h.timezone, g.short_name AS poster_name
FROM outages o
JOIN houses h ON h.guid = o.house_guid
JOIN organisations g ON g.id = o.org_id
"""


def _status_condition(status: str, now: str) -> tuple[str, list]:
    if status == "cancelled":
        return "o.cancelled_at IS NOT NULL", []
    if status == "upcoming":
        return "o.cancelled_at IS NULL AND o.starts_at > ?", [now]
    if status == "active":
        return "o.cancelled_at IS NULL AND o.starts_at <= ? AND o.ends_at > ?", [now, now]
    return "o.cancelled_at IS NULL AND o.ends_at <= ?", [now]


# -- reading -----------------------------------------------------------------------------------------------------


def _visible(conn: Connection, user: User, outage_id: str) -> Row:
    """The notice if the caller may read it; 404 `outage_not_found` alike when it is not there or not theirs."""
    condition, params = visible_outages(user)
    row = conn.execute(f"{_SELECT} WHERE o.id = ? AND {condition}", (outage_id, *params)).fetchone()
    if row is None:
        raise not_found(_("no outage {id} among those you may see").format(id=echo(outage_id)), "outage_not_found")
    return row


def _view(conn: Connection, outage_id: str, now: datetime) -> dict:
    return outage_view(conn.execute(f"{_SELECT} WHERE o.id = ?", (outage_id,)).fetchone(), now)


def get_outage(store: PortalStore, user: User, outage_id: str, now: datetime) -> dict:
    with store.read() as conn:
        return outage_view(_visible(conn, user, outage_id), now)


def list_outages(store: PortalStore, user: User, house_guid: str | None, resource: str | None, status: str | None,
                 now: datetime, limit: int, after: list) -> Listing:
    """The notices of the houses the caller may see (of one house, resource, status at `now`), newest start first
    (then the later posted), after `after` ([starts_at, seq])."""
    condition, params = visible_outages(user)
    sql = f"{_SELECT} WHERE {condition} AND (o.starts_at < ? OR (o.starts_at = ? AND o.seq < ?))"
    params = [*params, after[0], after[0], after[1]]
    if house_guid is not None:
        sql, params = sql + " AND o.house_guid = ?", [*params, house_guid]
    if resource is not None:
        sql, params = sql + " AND o.resource = ?", [*params, resource]
    if status is not None:
        extra, more = _status_condition(status, format_instant(now))
        sql, params = f"{sql} AND {extra}", [*params, *more]
    with store.read() as conn:
        rows = conn.execute(sql + " ORDER BY o.starts_at DESC, o.seq DESC LIMIT ?", (*params, limit + 1)).fetchall()
    return listing_of(rows, limit, lambda r: [r["starts_at"], r["seq"]], lambda r: outage_view(r, now))


def house_outages(conn: Connection, house_guid: str, now: datetime) -> list[dict]:
    """A house's active and upcoming notices (not cancelled), soonest first: what its passport shows."""
    rows = conn.execute(f"{_SELECT} WHERE o.house_guid = ? AND o.cancelled_at IS NULL AND o.ends_at > ?"
                        " ORDER BY o.starts_at, o.seq", (house_guid, format_instant(now))).fetchall()
    return [outage_view(r, now) for r in rows]


# -- the fields ----------------------------------------------------------------------------------------------------


def resource_of(value: object, field: str = "resource") -> str:
    """A resource as sent (hot_water, or hot-water as the command line writes it); 400 naming `field` otherwise."""
    key = value.strip().lower().replace("-", "_") if isinstance(value, str) else None
    if key not in RESOURCES:
        raise invalid(_("{field} must be one of {choices}; got {got}").format(
            field=field, choices=", ".join(RESOURCES), got=echo(value)), field)
    return key


def _text(body: Mapping[str, Any], field: str, limit: int) -> str:
    """A text field of 1 to `limit` characters (counted before trimming), trimmed; 400 naming it otherwise."""
    value = body.get(field)
    if not isinstance(value, str):
        raise invalid(_("{field} is required: 1 to {limit} characters").format(field=field, limit=limit), field)
    if len(value) > limit:
        raise invalid(_("{field} may have at most {limit} characters; got {count}").format(
            field=field, limit=limit, count=len(value)), field)
    text = value.strip()
    if not text:
        raise invalid(_("{field} is required: 1 to {limit} characters").format(field=field, limit=limit), field)
    return text


def _important(body: Mapping[str, Any]) -> bool:
    value = body.get("important", False)
    if not isinstance(value, bool):
        raise invalid(_("{field} must be true or false").format(field="important"), "important")
    return value


def when_of(value: object, field: str, timezone_name: str) -> datetime:
    """`start` or `end` as sent: a date YYYY-MM-DD (the start of that day in the house's zone; for `end`, its end:
    the next day's 00:00 there), a local date-time YYYY-MM-DDTHH:MM in the house's zone, or an instant with a UTC
    offset. 400 naming `field` otherwise."""
    zone = house_zone(timezone_name)
    problem = _("{field} must be a date YYYY-MM-DD, a local date-time YYYY-MM-DDTHH:MM in the house's time zone "
                "({zone}) or an instant with a UTC offset; got {got}").format(
        field=field, zone=timezone_name, got=echo(value))
    if not isinstance(value, str) or not value.strip():
        raise invalid(problem, field)
    text = value.strip()
    try:
        if m := _DATE_RE.match(text):
            day = date(*(int(g) for g in m.groups()))
            if field == "end":
                day += timedelta(days=1)
            return datetime.combine(day, time(0), zone)
        if m := _LOCAL_RE.match(text):
            year, month, mday, hour, minute, second = (int(g or 0) for g in m.groups())
            return datetime(year, month, mday, hour, minute, second, tzinfo=zone)
    except (ValueError, OverflowError):
        raise invalid(problem, field) from None

    try:
        return parse_instant(text, field)
    except InvalidInput:
        raise invalid(problem, field) from None


def _in_order(start: datetime, end: datetime) -> None:
    if start >= end:
        raise invalid(_("end must come after start; got start {start}, end {end}").format(
            start=format_instant(start), end=format_instant(end)), "end")


# -- posting and changing ------------------------------------------------------------------------------------------


def _served_house(conn: Connection, user: User, house_guid: str) -> Row:
    """The house if the caller's organisation serves it (403 for who is no staff); else 404 `house_not_found`, as
    for a house that is not there."""
    condition, params = outage_poster_houses(user)
    house = conn.execute(f"SELECT h.* FROM houses h WHERE h.guid = ? AND {condition}",
                         (house_guid, *params)).fetchone()
    if house is None:
        raise not_found(_("no house {guid} among those your organisation serves").format(guid=echo(house_guid)),
                        "house_not_found")
    return house


def check_post(user: User, body: Mapping[str, Any]) -> str:
    """Who may post at all (403 for anyone but staff), then the house named (400 naming `house`): its text."""
    outage_poster_houses(user)
    house = body.get("house")
    if not isinstance(house, str) or not house.strip():
        raise invalid(_("house is required: a FIAS GUID or an address matching one house"), "house")
    return house


def post_outage(store: PortalStore, user: User, house_guid: str, body: Mapping[str, Any], now: datetime,
                mutation: Mutation = PLAIN) -> Outcome:
    """Post a notice about a house the caller's organisation serves: 201 the notice (a dry run: 200, id null,
    storing nothing). 403 for who is no staff, 404 `house_not_found` for a house their organisation does not serve,
    400 naming the field at fault (resource, start, end, text, topic, important)."""
    resource = resource_of(body.get("resource"))
    text = _text(body, "text", MAX_TEXT)
    topic = _text(body, "topic", MAX_TOPIC) if "topic" in body else DEFAULT_TOPICS[resource]
    important = _important(body)

    def work(tx: Connection) -> tuple[int, dict]:
        house = _served_house(tx, user, house_guid)
        start = when_of(body.get("start"), "start", house["timezone"])
        end = when_of(body.get("end"), "end", house["timezone"])
        _in_order(start, end)
        seq = tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outages").fetchone()[0]
        outage_id = f"OT-{seq:06d}"
        at = format_instant(now)
        tx.execute("INSERT INTO outages (id, seq, house_guid, org_id, resource, topic, text, starts_at, ends_at,"
                   " important, posted_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, ?, 1)",
                   (outage_id, seq, house_guid, user.org_id, resource, topic, text, format_instant(start),
                    format_instant(end), int(important), user.id, at, at))
        view = _view(tx, outage_id, now)
        if mutation.dry_run:
            return 200, {**view, "id": None}
        return 201, view

    return run_mutation(store, user.id, now, mutation, work)


def _open(tx: Connection, user: User, outage_id: str) -> Row:
    row = _visible(tx, user, outage_id)
    require_outage_poster(user, row["org_id"])
    return row


def change_outage(store: PortalStore, user: User, outage_id: str, body: Mapping[str, Any], now: datetime,
                  mutation: Mutation = PLAIN) -> Outcome:
    """Change any of a notice's start, end, text, topic and importance: 200 the notice, its version one higher. 404
    `outage_not_found` for who cannot see it, 403 for who can but is not of the posting organisation, 400 naming
    the field at fault, 422 `cancelled` for a cancelled one."""
    fields = [f for f in ("start", "end", "text", "topic", "important") if f in body]
    if not fields:
        raise invalid(_("give at least one of start, end, text, topic, important"), "body")
    text = _text(body, "text", MAX_TEXT) if "text" in body else None
    topic = _text(body, "topic", MAX_TOPIC) if "topic" in body else None
    important = _important(body) if "important" in body else None

    def work(tx: Connection) -> tuple[int, dict]:
        row = _open(tx, user, outage_id)
        zone = row["timezone"]
        start = when_of(body["start"], "start", zone) if "start" in body else None
        end = when_of(body["end"], "end", zone) if "end" in body else None
        if row["cancelled_at"] is not None:
            raise Refused("cancelled", _("outage {id} is cancelled; post a new one").format(id=outage_id), "status",
                          details={"status": "cancelled"})
        starts_at = format_instant(start) if start is not None else row["starts_at"]
        ends_at = format_instant(end) if end is not None else row["ends_at"]

        _in_order(parse_instant(starts_at, "start"), parse_instant(ends_at, "end"))
        tx.execute("UPDATE outages SET starts_at = ?, ends_at = ?, text = ?, topic = ?, important = ?, updated_at = ?,"
                   " version = version + 1 WHERE id = ?",
                   (starts_at, ends_at, text if text is not None else row["text"],
                    topic if topic is not None else row["topic"],
                    int(important) if important is not None else row["important"], format_instant(now), outage_id))
        return 200, _view(tx, outage_id, now)

    return run_mutation(store, user.id, now, mutation, work)


def cancel_outage(store: PortalStore, user: User, outage_id: str, now: datetime,
                  mutation: Mutation = PLAIN) -> Outcome:
    """Cancel a notice: 200 the notice, `cancelled`, its version one higher; one cancelled already answers
    unchanged. 404 and 403 as for a change."""

    def work(tx: Connection) -> tuple[int, dict]:
        row = _open(tx, user, outage_id)
        if row["cancelled_at"] is None:
            at = format_instant(now)
            tx.execute("UPDATE outages SET cancelled_at = ?, updated_at = ?, version = version + 1"
                       " WHERE id = ? AND cancelled_at IS NULL", (at, at, outage_id))
        return 200, _view(tx, outage_id, now)

    return run_mutation(store, user.id, now, mutation, work)
