"""Owners' general meetings by electronic vote: an owner files the notice (checked whole, its PDF uploaded before),
the house's housing inspectorate approves or rejects it, owners vote while it is voting, and anyone who may see it
reads the results.

The stored status is the decision (under_review, published, rejected); voting, closed and expired are read from the
dates at the request's `now` in the house's zone (domain.meetings.status_on). Votes are kept per row of the owner
register: a user's answer is written for every owner row of theirs in the house, so an owner of two flats votes with
both, each weighing its share × its flat's area. Meetings are numbered MT-000001… inside the filing transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from gkh.domain import meetings as rules
from gkh.domain.dates import format_instant, house_zone, local_date
from gkh.domain.errors import Refused
from gkh.i18n import _, term
from gkh.server.access import User, require_reviewer, visible_meetings
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import ApiError, echo, invalid, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.services import Listing
from gkh.server.services.addresses import resolve_house
from gkh.server.views import meeting_status, meeting_view

FIRST = [2**63 - 1]  # where a list starts: before every meeting (newest first, by seq)
MAX_REASON = 1000
_BATCH = 100  # rows read at a time while a list filters by the status read from the dates

_SELECT = """
SELECT m.*, h.address, h.timezone, h.inspectorate_org_id, u.name AS filer_name, up.name AS notice_name,
       up.size AS notice_size
FROM meetings m
JOIN houses h ON h.guid = m.house_guid
JOIN users u ON u.id = m.filed_by
JOIN uploads up ON up.id = m.notice_upload
"""


# -- reading -----------------------------------------------------------------------------------------------------


def _agenda(conn: Connection, meeting_id: str) -> list[Row]:
    return conn.execute("SELECT number, text, two_thirds FROM meeting_questions WHERE meeting_id = ? ORDER BY number",
                        (meeting_id,)).fetchall()


def _visible(conn: Connection, user: User, meeting_id: str) -> Row:
    """The meeting if the caller may see it; 404 `meeting_not_found` alike when it is not there or not theirs."""
    condition, params = visible_meetings(user)
    row = conn.execute(f"{_SELECT} WHERE m.id = ? AND {condition}", (meeting_id, *params)).fetchone()
    if row is None:
        raise not_found(_("no meeting {id} among those you may see").format(id=echo(meeting_id)),
                        "meeting_not_found")
    return row


def get_meeting(store: PortalStore, user: User, meeting_id: str, now: datetime) -> dict:
    with store.read() as conn:
        row = _visible(conn, user, meeting_id)
        return meeting_view(row, _agenda(conn, meeting_id), now)


def get_notice(store: PortalStore, user: User, meeting_id: str) -> tuple[str, bytes]:
    """The meeting's notice as filed: its name and the PDF's bytes."""
    with store.read() as conn:
        row = _visible(conn, user, meeting_id)
        data = conn.execute("SELECT data FROM uploads WHERE id = ?", (row["notice_upload"],)).fetchone()[0]
    return row["notice_name"], bytes(data)


def list_meetings(store: PortalStore, user: User, house: str | None, status: str | None, limit: int, after: list,
                  now: datetime) -> Listing:
    """The meetings the caller may see (of one house, with one status as read at `now`), newest first."""
    condition, params = visible_meetings(user)
    sql = f"{_SELECT} WHERE {condition} AND m.seq < ?"
    if house is not None:
        sql += " AND m.house_guid = ?"
    items: list[dict[str, Any]] = []
    last = after[0]
    with store.read() as conn:
        while len(items) <= limit:
            rows = conn.execute(sql + " ORDER BY m.seq DESC LIMIT ?",
                                (*params, last, *([house] if house is not None else []), _BATCH)).fetchall()
            for row in rows:
                if status is None or meeting_status(row, now) == status:
                    items.append(meeting_view(row, _agenda(conn, row["id"]), now))
                    if len(items) > limit:
                        break
            if len(rows) < _BATCH:
                break
            last = rows[-1]["seq"]
    more = len(items) > limit
    page = items[:limit]
    return Listing(page, [int(page[-1]["id"][3:])] if more else None)


# -- filing ------------------------------------------------------------------------------------------------------


def _notice_upload(conn: Connection, user: User, upload_id: Any, *, free: bool = True) -> Row:
    """The caller's upload of a PDF named by `notice`, not yet used by anything (unless `free` is False: a request
    repeated under its Idempotency-Key names the upload its first answer took); 400 naming `notice` otherwise."""
    if not isinstance(upload_id, str) or not upload_id.strip():
        raise invalid(_("notice: give the id of the notice's PDF uploaded before (POST /uploads), such as "
                        "F-0123456789abcdef"), "notice")
    row = conn.execute("SELECT * FROM uploads WHERE id = ? AND user_id = ?", (upload_id.strip(), user.id)).fetchone()
    if row is None:
        raise invalid(_("notice: no upload {id} of yours (an upload is kept 24 hours until it is used)").format(
            id=echo(upload_id)), "notice")
    if free and row["used_by"] is not None:
        raise invalid(_("notice: upload {id} is already used by {used_by}; upload the file again").format(
            id=row["id"], used_by=row["used_by"]), "notice")
    if row["media_type"] != "application/pdf":
        raise invalid(_("notice: upload {id} ({name}) is not a PDF file").format(id=row["id"], name=row["name"]),
                      "notice")
    return row


def _owner_rows(conn: Connection, user: User, house_guid: str) -> list[Row]:
    """The caller's rows in the house's owner register (owners whose ownership has not ended), each with its share and
    its flat's number and area."""
    return conn.execute(
        "SELECT o.id, o.share_num, o.share_den, f.number, f.area FROM owners o JOIN flats f ON f.id = o.flat_id"
        " WHERE f.house_guid = ? AND o.user_id = ? AND o.ended_at IS NULL ORDER BY o.id",
        (house_guid, user.id)).fetchall()


def _not_an_owner(what: str) -> ApiError:
    return ApiError(403, "not_an_owner", what)


def file_meeting(store: PortalStore, user: User, body: Mapping[str, Any], now: datetime,
                 mutation: Mutation = PLAIN) -> Outcome:
    """File a meeting's notice: 201 the meeting, under_review, its upload taken; a dry run 200 the meeting as it
    would be (id null), storing nothing. The checks in order: the notice's completeness (400 `incomplete_notice`
    with every problem in details), the notice's PDF (400 `notice`), the house (404 / 400), the filer an owner in
    its register (403 `not_an_owner`), the voting start (422 `too_early` with details.earliest_start)."""
    notice = rules.check_notice({key: value for key, value in body.items() if key != "notice"})
    with store.read() as conn:
        _notice_upload(conn, user, body.get("notice"), free=False)
    house_guid = resolve_house(store, notice.house, "meeting.house")

    def work(tx: Connection) -> tuple[int, dict]:
        upload = _notice_upload(tx, user, body.get("notice"))
        house = tx.execute("SELECT guid, address, timezone FROM houses WHERE guid = ?", (house_guid,)).fetchone()
        if not _owner_rows(tx, user, house_guid):
            raise _not_an_owner(_("only an owner in the owner register of {address} may call its owners' meeting; "
                                  "a linked account is not ownership").format(address=house["address"]))
        filed_on = local_date(now, house_zone(house["timezone"]))
        rules.check_voting_start(notice.voting_start, filed_on)
        facts: dict[str, Any] = {
            "id": None, "house_guid": house_guid, "address": house["address"], "timezone": house["timezone"],
            "kind": notice.kind, "form": notice.form, "status": "under_review", "filer_name": user.name,
            "filed_at": format_instant(now), "filed_on": filed_on.isoformat(),
            "review_due": rules.review_due(filed_on).isoformat(),
            "earliest_start": rules.earliest_start(filed_on).isoformat(),
            "voting_start": notice.voting_start.isoformat(), "voting_end": notice.voting_end.isoformat(),
            "materials": notice.materials,
            "administrator": json.dumps({"kind": notice.administrator.kind, "name": notice.administrator.name,
                                         "address": notice.administrator.address,
                                         "phone": notice.administrator.phone,
                                         "email": notice.administrator.email}, ensure_ascii=False),
            "initiators": json.dumps([{"name": i.name, "flat": i.flat} for i in notice.initiators],
                                     ensure_ascii=False),
            "notice_name": upload["name"], "notice_size": upload["size"], "rejection_reason": None}
        agenda = [{"number": q.number, "text": q.text, "two_thirds": q.two_thirds} for q in notice.agenda]
        if mutation.dry_run:
            return 200, meeting_view(facts, agenda, now)
        seq = tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM meetings").fetchone()[0]
        meeting_id = f"MT-{seq:06d}"
        tx.execute(
            "INSERT INTO meetings (id, seq, house_guid, kind, form, status, filed_by, filed_at, filed_on, review_due,"
            " earliest_start, voting_start, voting_end, materials, administrator, initiators, notice_upload)"
            " VALUES (?, ?, ?, ?, ?, 'under_review', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (meeting_id, seq, house_guid, notice.kind, notice.form, user.id, facts["filed_at"], facts["filed_on"],
             facts["review_due"], facts["earliest_start"], facts["voting_start"], facts["voting_end"],
             notice.materials, facts["administrator"], facts["initiators"], upload["id"]))
        tx.executemany("INSERT INTO meeting_questions (meeting_id, number, text, two_thirds) VALUES (?, ?, ?, ?)",
                       [(meeting_id, q.number, q.text, int(q.two_thirds)) for q in notice.agenda])
        tx.execute("UPDATE uploads SET used_by = ? WHERE id = ?", (meeting_id, upload["id"]))
        row = tx.execute(f"{_SELECT} WHERE m.id = ?", (meeting_id,)).fetchone()
        return 201, meeting_view(row, _agenda(tx, meeting_id), now)

    return run_mutation(store, user.id, now, mutation, work)


# -- the review --------------------------------------------------------------------------------------------------


def review_meeting(store: PortalStore, user: User, meeting_id: str, decision: str, reason: str | None,
                   now: datetime, mutation: Mutation = PLAIN) -> Outcome:
    """The inspectorate's decision on a meeting that reads under_review: approve (published) or reject with a
    reason (rejected, the reason shown to the filer). 404 for who cannot see it, 403 for who can but is no
    inspector of its house's inspectorate, 422 `not_under_review` naming the status it reads."""

    def work(tx: Connection) -> tuple[int, dict]:
        row = _visible(tx, user, meeting_id)
        require_reviewer(user, row["inspectorate_org_id"])
        status = meeting_status(row, now)
        if status != "under_review":
            raise Refused("not_under_review", _("meeting {id} is not under review (it is {status})").format(
                id=meeting_id, status=term(status)), "status", details={"status": status})
        stored = "published" if decision == "approve" else "rejected"
        tx.execute("UPDATE meetings SET status = ?, reviewed_by = ?, reviewed_at = ?, rejection_reason = ?"
                   " WHERE id = ? AND status = 'under_review'",
                   (stored, user.id, format_instant(now), reason if stored == "rejected" else None, meeting_id))
        row = tx.execute(f"{_SELECT} WHERE m.id = ?", (meeting_id,)).fetchone()
        return 200, meeting_view(row, _agenda(tx, meeting_id), now)

    return run_mutation(store, user.id, now, mutation, work)


# -- votes and results -------------------------------------------------------------------------------------------


def _weight(row: Row) -> Fraction:
    return rules.owner_area([(Fraction(row["share_num"], row["share_den"]), row["area"])])


def vote(store: PortalStore, user: User, meeting_id: str, choices: Mapping[int, str], now: datetime,
         mutation: Mutation = PLAIN) -> Outcome:
    """The caller's answers while the meeting is voting, written for every owner row of theirs in the house (a
    later answer to a question replaces the earlier): 200 {"meeting", "votes" (all their current answers),
    "area", "voted_at"}. 403 `not_an_owner`, 422 `not_voting`."""

    def work(tx: Connection) -> tuple[int, dict]:
        row = _visible(tx, user, meeting_id)
        owned = _owner_rows(tx, user, row["house_guid"])
        if not owned:
            raise _not_an_owner(_("only an owner in the owner register of {address} votes in its meetings").format(
                address=row["address"]))
        agenda = [rules.Question(q["number"], q["text"], bool(q["two_thirds"])) for q in _agenda(tx, meeting_id)]
        rules.check_vote(meeting_status(row, now), choices, agenda)
        at = format_instant(now)
        tx.executemany(
            "INSERT INTO meeting_votes (meeting_id, owner_id, number, choice, voted_by, voted_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (meeting_id, owner_id, number)"
            " DO UPDATE SET choice = excluded.choice, voted_by = excluded.voted_by, voted_at = excluded.voted_at",
            [(meeting_id, owner["id"], number, choice, user.id, at)
             for owner in owned for number, choice in sorted(choices.items())])
        answers = tx.execute(
            f"SELECT number, choice FROM meeting_votes WHERE meeting_id = ? AND owner_id IN"
            f" ({', '.join('?' for _ in owned)}) ORDER BY number, voted_at",
            (meeting_id, *[owner["id"] for owner in owned])).fetchall()
        current = {str(a["number"]): a["choice"] for a in answers}  # the latest last
        area = sum((_weight(owner) for owner in owned), Fraction(0))
        return 200, {"meeting": meeting_id, "votes": current, "area": rules.area_text(area), "voted_at": at}

    return run_mutation(store, user.id, now, mutation, work)


def results(store: PortalStore, user: User, meeting_id: str, now: datetime) -> dict:
    """The results from the vote's start (before: 422 `no_results_yet`): the register's total area, the area that
    voted, the turnout and quorum, and each question's for / against / abstain as areas and shares — of all owners'
    area for a two-thirds question, of the area that voted otherwise — and whether it is adopted. The owners counted
    are the register's at the end of the vote (now, while it goes on): final once closed."""
    with store.read() as conn:
        row = _visible(conn, user, meeting_id)
        status = meeting_status(row, now)
        if status not in ("voting", "closed"):
            raise Refused("no_results_yet", _("meeting {id} has no results before its vote starts (it is {status})")
                          .format(id=meeting_id, status=term(status)), "status", details={"status": status})
        questions = _agenda(conn, meeting_id)
        as_of = format_instant(rules.register_as_of(date.fromisoformat(row["voting_end"]),
                                                    house_zone(row["timezone"]), now))
        owners = conn.execute(
            "SELECT o.id, o.share_num, o.share_den, f.area FROM owners o JOIN flats f ON f.id = o.flat_id"
            " WHERE f.house_guid = ? AND (o.registered_at IS NULL OR o.registered_at <= ?)"
            " AND (o.ended_at IS NULL OR o.ended_at > ?)", (row["house_guid"], as_of, as_of)).fetchall()
        cast = conn.execute("SELECT owner_id, number, choice FROM meeting_votes WHERE meeting_id = ?",
                            (meeting_id,)).fetchall()
    weights = {owner["id"]: _weight(owner) for owner in owners}
    total = sum(weights.values(), Fraction(0))
    votes: dict[int, dict[int, str]] = defaultdict(dict)
    for v in cast:
        if v["owner_id"] in weights:  # an owner whose flat changed hands while the vote went on counts no more
            votes[v["owner_id"]][v["number"]] = v["choice"]
    agenda = [rules.Question(q["number"], q["text"], bool(q["two_thirds"])) for q in questions]
    tally = rules.tally(total, weights, votes, agenda)
    texts = {q.number: q.text for q in agenda}

    def part(area: Fraction, whole: Fraction) -> dict:
        return {"area": rules.area_text(area), "share": rules.share_text(area, whole)}

    return {
        "meeting": meeting_id, "status": status, "final": status == "closed",
        "total_area": rules.area_text(total), "voted_area": rules.area_text(tally.voted_area),
        "turnout": rules.share_text(tally.voted_area, total), "quorum": tally.quorum,
        "questions": [{"number": q.number, "text": texts[q.number], "two_thirds": q.two_thirds,
                       "of": "all" if q.two_thirds else "voted",
                       **{choice: part(q.areas[choice], total if q.two_thirds else tally.voted_area)
                          for choice in rules.CHOICES},
                       "adopted": q.adopted} for q in tally.questions],
    }
