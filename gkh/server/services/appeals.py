"""Appeals and complaints (обращения граждан): a resident of a house sends one about it, on a topic of the portal's
list or of their own, to an organisation that receives appeals about that house, with files uploaded before; the
addressee's staff take it (in_work) and answer it, with files; the author may withdraw it before the answer.

Who receives appeals about a house (`receivers`): its managing organisation, its suppliers (organisations with
accounts in it other than the managing one), its housing inspectorate and its town's administration. An appeal is
numbered A-000001… inside the sending transaction; its answer is due 30 days after registration (59-ФЗ, ст. 12),
counted in the house's zone. Who sees an appeal: access.visible_appeals; anyone else is told there is none.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gkh.domain.dates import format_instant, house_zone, local_date
from gkh.domain.errors import Refused
from gkh.i18n import _
from gkh.server.access import User, require_addressee_staff, require_author, visible_appeals
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import ApiError, echo, invalid, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.services import Listing, listing_of
from gkh.server.views import appeal_view

ANSWER_DAYS = 30  # 59-ФЗ, ст. 12: an appeal is answered within 30 days of its registration
MAX_TEXT = 10_000
MAX_OTHER_TOPIC = 250
MAX_ATTACHMENTS = 10
MAX_QUERY = 200
STATUSES = ("sent", "in_work", "answered", "withdrawn")
KINDS = ("managing", "supplier", "inspectorate", "authority")
FIRST = [2**63 - 1]  # where a list starts: before every appeal (newest first, by seq)

_SELECT = """
SELECT a.*, h.address, h.timezone, t.title AS topic_title, o.name AS addressee_name, o.inn AS addressee_inn,
       u.name AS author_name
FROM appeals a
JOIN houses h ON h.guid = a.house_guid
LEFT JOIN appeal_topics t ON t.code = a.topic_code
JOIN organisations o ON o.id = a.addressee_org_id
JOIN users u ON u.id = a.author_id
"""


# -- topics and addressees ---------------------------------------------------------------------------------------


def list_topics(store: PortalStore) -> Listing:
    """The portal's topics, in the order its form lists them (one page: there are a dozen)."""
    with store.read(snapshot=False) as conn:
        rows = conn.execute("SELECT code, title FROM appeal_topics ORDER BY position, code").fetchall()
    return Listing([{"code": r["code"], "title": r["title"]} for r in rows], None)


def name_key(text: str) -> str:
    """A name as the search compares it: NFC, case-folded (Cyrillic too), ё as е, spaces collapsed."""
    folded = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return " ".join(folded.split())


def addressee_view(row: Row) -> dict:
    return {"id": row["id"], "name": row["name"], "short_name": row["short_name"], "inn": row["inn"],
            "type": row["kind"], "address": row["address"]}


def receivers(conn: Connection, house_guid: str) -> list[Row]:
    """The organisations that receive appeals about the house: its managing organisation, its suppliers (by id), its
    housing inspectorate, its administration — each once, in that order."""
    house = conn.execute("SELECT managing_org_id, inspectorate_org_id, administration_org_id FROM houses"
                         " WHERE guid = ?", (house_guid,)).fetchone()
    suppliers = [r[0] for r in conn.execute(
        "SELECT DISTINCT org_id FROM accounts WHERE house_guid = ? ORDER BY org_id", (house_guid,)).fetchall()]
    ids: list[str] = []
    for org_id in (house["managing_org_id"], *suppliers, house["inspectorate_org_id"],
                   house["administration_org_id"]):
        if org_id is not None and org_id not in ids:
            ids.append(org_id)
    if not ids:
        return []
    rows = {r["id"]: r for r in conn.execute(
        f"SELECT * FROM organisations WHERE id IN ({', '.join('?' for _ in ids)})", ids).fetchall()}
    return [rows[org_id] for org_id in ids if org_id in rows]


def list_addressees(store: PortalStore, query: str | None, kind: str | None, inn: str | None,
                    house_guid: str | None, limit: int, after: list[str]) -> Listing:
    """The organisations that receive appeals (of one type, with this ИНН, receiving appeals about one house), whose
    name or short name holds `query` (case-insensitive, Cyrillic too, ё as е), by name, after `after` ([name, id])."""
    sql, params = "SELECT * FROM organisations WHERE 1 = 1", list[str]()
    if kind is not None:
        sql, params = sql + " AND kind = ?", [*params, kind]
    if inn is not None:
        sql, params = sql + " AND inn = ?", [*params, inn]
    with store.read() as conn:
        rows = conn.execute(sql + " ORDER BY name, id", params).fetchall()
        if house_guid is not None:
            serving = {r["id"] for r in receivers(conn, house_guid)}
            rows = [r for r in rows if r["id"] in serving]
    if query is not None and query.strip():
        needle = name_key(query)
        rows = [r for r in rows if needle in name_key(r["name"]) or needle in name_key(r["short_name"])]
    rows = [r for r in rows if [r["name"], r["id"]] > after]
    return listing_of(rows[: limit + 1], limit, lambda r: [r["name"], r["id"]], addressee_view)


# -- reading -----------------------------------------------------------------------------------------------------


def _files(conn: Connection, appeal_ids: list[str]) -> dict[str, list[Row]]:
    """Each appeal's files (its attachments, then its answer's), in their order."""
    found: dict[str, list[Row]] = {appeal_id: [] for appeal_id in appeal_ids}
    if not appeal_ids:
        return found
    rows = conn.execute(
        "SELECT f.appeal_id, f.part, f.position, u.id, u.name, u.size, u.media_type FROM appeal_files f"
        f" JOIN uploads u ON u.id = f.upload_id WHERE f.appeal_id IN ({', '.join('?' for _ in appeal_ids)})"
        " ORDER BY f.appeal_id, f.part DESC, f.position", appeal_ids).fetchall()
    for row in rows:
        found[row["appeal_id"]].append(row)
    return found


def _visible(conn: Connection, user: User, appeal_id: str) -> Row:
    """The appeal if the caller may see it; 404 `appeal_not_found` alike when it is not there or not theirs."""
    condition, params = visible_appeals(user)
    row = conn.execute(f"{_SELECT} WHERE a.id = ? AND {condition}", (appeal_id, *params)).fetchone()
    if row is None:
        raise not_found(_("no appeal {id} among those you may see").format(id=echo(appeal_id)), "appeal_not_found")
    return row


def _view(conn: Connection, appeal_id: str) -> dict:
    row = conn.execute(f"{_SELECT} WHERE a.id = ?", (appeal_id,)).fetchone()
    return appeal_view(row, _files(conn, [appeal_id])[appeal_id])


def get_appeal(store: PortalStore, user: User, appeal_id: str) -> dict:
    with store.read() as conn:
        row = _visible(conn, user, appeal_id)
        return appeal_view(row, _files(conn, [appeal_id])[appeal_id])


def get_file(store: PortalStore, user: User, appeal_id: str, file_id: str) -> tuple[str, str, bytes]:
    """One of the appeal's files (an attachment or the answer's): its name, media type and bytes. 404
    `appeal_not_found` as for the appeal, 404 `file_not_found` for a file that is not the appeal's."""
    with store.read() as conn:
        _visible(conn, user, appeal_id)
        row = conn.execute("SELECT u.name, u.media_type, u.data FROM appeal_files f"
                           " JOIN uploads u ON u.id = f.upload_id WHERE f.appeal_id = ? AND f.upload_id = ?",
                           (appeal_id, file_id)).fetchone()
    if row is None:
        raise not_found(_("appeal {appeal} has no file {id}").format(appeal=appeal_id, id=echo(file_id)),
                        "file_not_found")
    return row["name"], row["media_type"], bytes(row["data"])


def list_appeals(store: PortalStore, user: User, status: str | None, house_guid: str | None, limit: int,
                 after: list) -> Listing:
    """The appeals the caller may see (in one status, about one house), newest first."""
    condition, params = visible_appeals(user)
    sql = f"{_SELECT} WHERE {condition} AND a.seq < ?"
    params = [*params, after[0]]
    if status is not None:
        sql, params = sql + " AND a.status = ?", [*params, status]
    if house_guid is not None:
        sql, params = sql + " AND a.house_guid = ?", [*params, house_guid]
    with store.read() as conn:
        rows = conn.execute(sql + " ORDER BY a.seq DESC LIMIT ?", (*params, limit + 1)).fetchall()
        files = _files(conn, [r["id"] for r in rows[:limit]])
    return listing_of(rows, limit, lambda r: [r["seq"]], lambda r: appeal_view(r, files[r["id"]]))


# -- sending -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealRequest:
    house: str
    topic: str | None
    other_topic: str | None
    to: str
    text: str
    attachments: list[str]


def _text(body: Mapping[str, Any], field: str, limit: int) -> str:
    """A required text field of at most `limit` characters, not blank: trimmed (400 naming it otherwise)."""
    value = body.get(field)
    if field in body and not isinstance(value, str):
        raise invalid(_("{field} must be a string").format(field=field), field)
    if isinstance(value, str) and len(value) > limit:
        raise invalid(_("{field} may have at most {limit} characters; got {count}").format(
            field=field, limit=limit, count=len(value)), field)
    text = (value or "").strip()
    if not text:
        raise invalid(_("{field} is required: 1 to {limit} characters").format(field=field, limit=limit), field)
    return text


def attachment_ids(body: Mapping[str, Any], field: str = "attachments") -> list[str]:
    """The ids of uploads a request names: a list of at most MAX_ATTACHMENTS distinct strings (400 otherwise)."""
    if field not in body:
        return []
    value = body[field]
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise invalid(_("{field} must be a list of the ids of files uploaded before (POST /uploads), such as "
                        "F-0123456789abcdef").format(field=field), field)
    if len(value) > MAX_ATTACHMENTS:
        raise invalid(_("{field}: at most {limit} files; got {count}").format(
            field=field, limit=MAX_ATTACHMENTS, count=len(value)), field)
    ids = [item.strip() for item in value]
    for index, item in enumerate(ids):
        if item in ids[:index]:
            raise invalid(_("{field}: {id} is named twice").format(field=field, id=echo(item)), field)
    return ids


def check_request(body: Mapping[str, Any]) -> AppealRequest:
    """An appeal's fields checked by their shape (400 naming the first field at fault)."""
    house = _text(body, "house", MAX_QUERY)
    topic, other = body.get("topic"), body.get("other_topic")
    for field, value in (("topic", topic), ("other_topic", other)):
        if field in body and not isinstance(value, str):
            raise invalid(_("{field} must be a string").format(field=field), field)
    if ("topic" in body) == ("other_topic" in body):
        raise invalid(_("give exactly one of topic (a code of GET /appeal-topics) and other_topic (a topic of your "
                        "own, 1 to {limit} characters)").format(limit=MAX_OTHER_TOPIC), "topic")
    if topic is not None:
        if len(topic) > MAX_QUERY:
            raise invalid(_("{field} may have at most {limit} characters; got {count}").format(
                field="topic", limit=MAX_QUERY, count=len(topic)), "topic")
        topic = topic.strip().lower()
        if not topic:
            raise invalid(_("topic is empty: give a code of GET /appeal-topics"), "topic")
    else:
        other = _text(body, "other_topic", MAX_OTHER_TOPIC)
    to = _text(body, "to", MAX_QUERY)
    text = _text(body, "text", MAX_TEXT)
    return AppealRequest(house, topic, other, to, text, attachment_ids(body))


def _uploads(conn: Connection, user: User, ids: list[str], field: str, *, free: bool = True) -> list[Row]:
    """The caller's uploads named, not yet used by anything (unless `free` is False: a request repeated under its
    Idempotency-Key names the uploads its first answer took); 400 naming `field` otherwise."""
    rows = []
    for upload_id in ids:
        row = conn.execute("SELECT id, name, size, media_type, used_by FROM uploads WHERE id = ? AND user_id = ?",
                           (upload_id, user.id)).fetchone()
        if row is None:
            raise invalid(_("{field}: no upload {id} of yours (an upload is kept 24 hours until it is used)").format(
                field=field, id=echo(upload_id)), field)
        if free and row["used_by"] is not None:
            raise invalid(_("{field}: upload {id} is already used by {used_by}; upload the file again").format(
                field=field, id=row["id"], used_by=row["used_by"]), field)
        rows.append(row)
    return rows


def _may_write_about(conn: Connection, user: User, house: Row) -> None:
    """403 unless the caller is a resident who owns a flat in the house or has an account there linked."""
    if user.role != "resident":
        raise ApiError(403, "forbidden", _("only residents send appeals"))
    owns = conn.execute("SELECT 1 FROM owners o JOIN flats f ON f.id = o.flat_id WHERE f.house_guid = ?"
                        " AND o.user_id = ? AND o.ended_at IS NULL", (house["guid"], user.id)).fetchone()
    linked = owns or conn.execute("SELECT 1 FROM account_links l JOIN accounts a ON a.id = l.account_id"
                                  " WHERE a.house_guid = ? AND l.user_id = ?", (house["guid"], user.id)).fetchone()
    if not linked:
        raise ApiError(403, "forbidden", _("you send appeals about {address} only as the owner of a flat there or with "
                                           "an account there linked").format(address=house["address"]))


def _addressee(conn: Connection, to: str, house: Row) -> Row:
    """The organisation `to` names (its id or ИНН), if it receives appeals about the house; else 422
    `wrong_addressee` listing those that do (details.addressees: "id name; …")."""
    key = to.strip()
    column = "inn" if key.isascii() and key.isdigit() else "id"
    org = conn.execute(f"SELECT * FROM organisations WHERE {column} = ?",
                       (key if column == "inn" else key.upper(),)).fetchone()
    serving = receivers(conn, house["guid"])
    if org is not None and org["id"] in {r["id"] for r in serving}:
        return org
    listed = "; ".join(f"{r['id']} {r['short_name']}" for r in serving)
    if org is None:
        message = _("no organisation {to}; appeals about {address} are received by: {addressees}").format(
            to=echo(key), address=house["address"], addressees=listed)
    else:
        message = _("{name} does not receive appeals about {address}; they are received by: {addressees}").format(
            name=org["short_name"], address=house["address"], addressees=listed)
    raise Refused("wrong_addressee", message, "to", details={"addressees": listed})


def _topic_title(conn: Connection, code: str | None) -> str | None:
    """The title of the topic `code` (None for none); 400 naming `topic` when the list has no such code."""
    if code is None:
        return None
    found = conn.execute("SELECT title FROM appeal_topics WHERE code = ?", (code,)).fetchone()
    if found is None:
        codes = [r[0] for r in conn.execute("SELECT code FROM appeal_topics ORDER BY position").fetchall()]
        raise invalid(_('topic: no topic "{code}"; the topics are {codes}, or give other_topic').format(
            code=echo(code), codes=", ".join(codes)), "topic")
    return found[0]


def send_appeal(store: PortalStore, user: User, house_guid: str, request: AppealRequest, now: datetime,
                mutation: Mutation = PLAIN) -> Outcome:
    """Send an appeal (its fields checked by check_request, its house resolved): 201 the appeal, `sent`, its uploads
    taken; a dry run 200 the appeal as it would be (id null), storing nothing. The checks in order: the topic one of
    the list (400 `topic`), the attachments the caller's uploads (400 `attachments`), the caller a resident of the
    house (403), the attachments not used yet (400 `attachments`), the addressee one that receives appeals about the
    house (422 `wrong_addressee`)."""

    def work(tx: Connection) -> tuple[int, dict]:
        house = tx.execute("SELECT guid, address, timezone FROM houses WHERE guid = ?", (house_guid,)).fetchone()
        _may_write_about(tx, user, house)
        uploads = _uploads(tx, user, request.attachments, "attachments")
        org = _addressee(tx, request.to, house)
        registered = format_instant(now)
        due = (local_date(now, house_zone(house["timezone"])) + timedelta(days=ANSWER_DAYS)).isoformat()
        if mutation.dry_run:
            facts = {"id": None, "house_guid": house_guid, "address": house["address"], "topic_code": request.topic,
                     "topic_title": title, "other_topic": request.other_topic, "addressee_org_id": org["id"],
                     "addressee_name": org["name"], "addressee_inn": org["inn"], "status": "sent",
                     "registered_at": registered, "due_date": due, "text": request.text, "answer_text": None,
                     "answered_at": None, "author_name": user.name, "taken_at": None, "withdrawn_at": None}
            return 200, appeal_view(facts, [{"part": "attachment", "id": u["id"], "name": u["name"], "size": u["size"],
                                             "media_type": u["media_type"]} for u in uploads])
        seq = tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM appeals").fetchone()[0]
        appeal_id = f"A-{seq:06d}"
        tx.execute(
            "INSERT INTO appeals (id, seq, author_id, house_guid, topic_code, other_topic, addressee_org_id, text,"
            " status, registered_at, due_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sent', ?, ?)",
            (appeal_id, seq, user.id, house_guid, request.topic, request.other_topic, org["id"], request.text,
             registered, due))
        _attach(tx, appeal_id, "attachment", uploads)
        return 201, _view(tx, appeal_id)

    with store.read() as conn:  # a repeat under its key names uploads its first answer took: checked as taken
        title = _topic_title(conn, request.topic)
        _uploads(conn, user, request.attachments, "attachments", free=False)
    return run_mutation(store, user.id, now, mutation, work)


def _attach(tx: Connection, appeal_id: str, part: str, uploads: list[Row]) -> None:
    tx.executemany("INSERT INTO appeal_files (appeal_id, upload_id, part, position) VALUES (?, ?, ?, ?)",
                   [(appeal_id, u["id"], part, position) for position, u in enumerate(uploads, start=1)])
    tx.executemany("UPDATE uploads SET used_by = ? WHERE id = ?", [(appeal_id, u["id"]) for u in uploads])


# -- its life ----------------------------------------------------------------------------------------------------


def _not_open(row: Row) -> Refused | None:
    """The refusal of a change to an appeal already answered or withdrawn (None while it is sent or in work)."""
    if row["status"] == "answered":
        return Refused("already_answered", _("appeal {id} is answered already").format(id=row["id"]), "status",
                       details={"status": "answered"})
    if row["status"] == "withdrawn":
        return Refused("already_withdrawn", _("appeal {id} was withdrawn by its author").format(id=row["id"]),
                       "status", details={"status": "withdrawn"})
    return None


def withdraw(store: PortalStore, user: User, appeal_id: str, now: datetime, mutation: Mutation = PLAIN) -> Outcome:
    """The author withdraws their appeal while it is sent or in work: 200 the appeal, `withdrawn`. 404 for who
    cannot see it, 403 for who can but is not its author, 422 `already_answered` / `already_withdrawn`."""

    def work(tx: Connection) -> tuple[int, dict]:
        row = _visible(tx, user, appeal_id)
        require_author(user, row["author_id"])
        if (refusal := _not_open(row)) is not None:
            raise refusal
        tx.execute("UPDATE appeals SET status = 'withdrawn', withdrawn_at = ? WHERE id = ?"
                   " AND status IN ('sent', 'in_work')", (format_instant(now), appeal_id))
        return 200, _view(tx, appeal_id)

    return run_mutation(store, user.id, now, mutation, work)


def take(store: PortalStore, user: User, appeal_id: str, now: datetime, mutation: Mutation = PLAIN) -> Outcome:
    """The addressee's staff take a sent appeal: 200 the appeal, `in_work`; taking one they took already answers it
    unchanged; one another took is 422 `taken`. 404 for who cannot see it, 403 for who can but is not the addressee's
    staff, 422 `already_answered` / `already_withdrawn`."""

    def work(tx: Connection) -> tuple[int, dict]:
        row = _visible(tx, user, appeal_id)
        require_addressee_staff(user, row["addressee_org_id"])
        if (refusal := _not_open(row)) is not None:
            raise refusal
        if row["status"] == "in_work":
            if row["taken_by"] != user.id:
                taker = tx.execute("SELECT name FROM users WHERE id = ?", (row["taken_by"],)).fetchone()
                raise Refused("taken", _("appeal {id} is in work already: {name} took it").format(
                    id=appeal_id, name=taker[0] if taker else "?"), "status", details={"status": "in_work"})
            return 200, _view(tx, appeal_id)
        tx.execute("UPDATE appeals SET status = 'in_work', taken_by = ?, taken_at = ? WHERE id = ? AND status = 'sent'",
                   (user.id, format_instant(now), appeal_id))
        return 200, _view(tx, appeal_id)

    return run_mutation(store, user.id, now, mutation, work)


def answer(store: PortalStore, user: User, appeal_id: str, body: Mapping[str, Any], now: datetime,
           mutation: Mutation = PLAIN) -> Outcome:
    """The addressee's staff answer a sent or taken appeal, with files uploaded before: 200 the appeal, `answered`
    (taken by them too, if nobody had). 400 naming `text` or `attachments`; 404, 403 and 422 as for taking it."""
    text = _text(body, "text", MAX_TEXT)
    ids = attachment_ids(body)
    with store.read() as conn:
        require_addressee_staff(user, _visible(conn, user, appeal_id)["addressee_org_id"])
        _uploads(conn, user, ids, "attachments", free=False)

    def work(tx: Connection) -> tuple[int, dict]:
        row = _visible(tx, user, appeal_id)
        require_addressee_staff(user, row["addressee_org_id"])
        if (refusal := _not_open(row)) is not None:
            raise refusal
        uploads = _uploads(tx, user, ids, "attachments")
        at = format_instant(now)
        tx.execute("UPDATE appeals SET status = 'answered', answered_by = ?, answered_at = ?, answer_text = ?,"
                   " taken_by = COALESCE(taken_by, ?), taken_at = COALESCE(taken_at, ?)"
                   " WHERE id = ? AND status IN ('sent', 'in_work')", (user.id, at, text, user.id, at, appeal_id))
        _attach(tx, appeal_id, "answer", uploads)
        return 200, _view(tx, appeal_id)

    return run_mutation(store, user.id, now, mutation, work)
