"""What a portal's admins manage: its settings, organisations and users (one-time passwords, disabling), and the
first admin of an empty portal. Every function but `create_first_admin` is the admins' alone (403 for anyone
else)."""

from __future__ import annotations

import secrets
import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gkh.domain import settings as rules
from gkh.domain.dates import format_instant
from gkh.domain.errors import InvalidInput, Refused
from gkh.domain.identifiers import normalize_inn, normalize_ogrn, quoted
from gkh.domain.users import ORGANISATION_ROLES, check_role, normalize_login
from gkh.i18n import _, term
from gkh.server.access import User, require_admin
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import ApiError, echo, invalid, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.passwords import hash_password
from gkh.server.services import Listing, listing_of

SMTP_CHECK_TIMEOUT_S = 10
# A one-time password is read aloud or copied from a note: no 0/O, 1/l/I, which people mistake for each other.
OTP_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
OTP_LENGTH = 16
ORG_KINDS = ("managing", "supplier", "inspectorate", "authority")
_ORG_TEXT = {"name": 500, "short_name": 200, "kpp": 9, "phone": 50, "email": 200, "address": 500}
FIRST_LOGIN = [""]  # where the list of users starts: before every login
FIRST_ORG = [""]


class PortalNotEmpty(Exception):
    """`create_first_admin` on a database that already has users: it holds a portal."""


# -- settings -------------------------------------------------------------------------------------------------------


def _stored(conn: Connection) -> dict[str, str]:
    """The stored settings by setting key (the rows of keys the portal keeps for itself left out)."""
    rows = dict(conn.execute("SELECT key, value FROM portal_settings").fetchall())
    return {s.key: rows[s.row_key] for s in rules.SETTINGS.values() if s.row_key in rows}


def setting_value(conn: Connection, key: str) -> str | None:
    """A setting's value as the portal uses it: the stored one, else its default."""
    row = conn.execute("SELECT value FROM portal_settings WHERE key = ?", (rules.SETTINGS[key].row_key,)).fetchone()
    return row[0] if row else rules.SETTINGS[key].default


def _setting_view(key: str, stored: Mapping[str, str]) -> dict:
    known = rules.SETTINGS[key]
    return {"key": key, "value": stored.get(key), "default": known.default, "description": _(known.description)}


def list_settings(store: PortalStore, user: User) -> dict:
    """Every known setting: its stored value (null when unset), its default and what it means."""
    require_admin(user)
    with store.read() as conn:
        stored = _stored(conn)
    return {"items": [_setting_view(key, stored) for key in rules.SETTINGS]}


def set_setting(store: PortalStore, user: User, key: str, value: str | None, now: datetime,
                mutation: Mutation = PLAIN) -> Outcome:
    """Set a setting (value None: back to its default): 200 the setting. 400 naming `key` for an unknown key, the
    key for a value its check refuses; 422 smtp_unreachable when the SMTP server it would send through does not
    answer (nothing stored). A dry run checks all that and stores nothing."""
    require_admin(user)
    rules.setting(key)
    text = rules.check_setting(key, value) if value is not None else None
    if text is not None and key in rules.SMTP_KEYS:
        with store.read() as conn:
            values = {**_stored(conn), key: text}
        host = rules.effective(values, "smtp.host") or ""
        if host:
            _check_smtp(host, rules.effective(values, "smtp.port"), rules.effective(values, "smtp.starttls") == "true",
                        key)

    def work(tx: Connection) -> tuple[int, dict]:
        values: dict[str, str | None] = {**_stored(tx), key: text}
        rules.check_together(values, key)
        row_key = rules.SETTINGS[key].row_key
        if text is None:
            tx.execute("DELETE FROM portal_settings WHERE key = ?", (row_key,))
        else:
            tx.execute("INSERT INTO portal_settings (key, value) VALUES (?, ?)"
                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (row_key, text))
        return 200, _setting_view(key, {k: v for k, v in values.items() if v is not None})

    return run_mutation(store, user.id, now, mutation, work)


def _check_smtp(host: str, port_text: str | None, starttls: bool, key: str) -> None:
    """Connect, EHLO and (when set) STARTTLS within SMTP_CHECK_TIMEOUT_S: else 422 smtp_unreachable naming the
    host and the reason."""
    port = int(port_text) if port_text else (587 if starttls else 25)
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_CHECK_TIMEOUT_S) as smtp:
            smtp.ehlo()
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
    except (OSError, smtplib.SMTPException) as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise Refused("smtp_unreachable", _("the SMTP server {where} cannot be reached: {reason}; nothing was "
                                            "stored").format(where=where, reason=echo(reason)), key,
                      details={"host": host, "port": str(port)}) from None


# -- organisations --------------------------------------------------------------------------------------------------


def organisation_admin_view(row: Row) -> dict:
    return {"id": row["id"], "name": row["name"], "short_name": row["short_name"], "inn": row["inn"],
            "ogrn": row["ogrn"], "kpp": row["kpp"], "kind": row["kind"],
            "card_commission": rules.bp_to_percent(row["card_commission_bp"]), "phone": row["phone"],
            "email": row["email"], "address": row["address"], "bank_name": row["bank_name"], "bik": row["bik"],
            "bank_account": row["bank_account"], "correspondent_account": row["correspondent_account"]}


def list_organisations(store: PortalStore, user: User, limit: int, after: list) -> Listing:
    """The portal's organisations by id, after `after` ([id])."""
    require_admin(user)
    with store.read() as conn:
        rows = conn.execute("SELECT * FROM organisations WHERE id > ? ORDER BY id LIMIT ?",
                            (after[0], limit + 1)).fetchall()
    return listing_of(rows, limit, lambda r: [r["id"]], organisation_admin_view)


def _org_text(body: Mapping[str, Any], field: str, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise invalid(_("{field} is required").format(field=field), field)
        return None
    if not isinstance(value, str):
        raise invalid(_("{field} must be a string").format(field=field), field)
    text = " ".join(value.split())
    if not text:
        raise invalid(_("{field} is required").format(field=field), field)
    if len(text) > _ORG_TEXT[field]:
        raise invalid(_("{field} must be at most {limit} characters").format(field=field, limit=_ORG_TEXT[field]),
                      field)
    return text


def check_organisation(body: Mapping[str, Any]) -> dict[str, Any]:
    """An organisation as sent, checked (400 naming the field): its columns, the commission in percent (None: the
    setting's)."""
    unknown = sorted(set(body) - {*_ORG_TEXT, "inn", "ogrn", "kind", "card_commission"})
    if unknown:
        raise invalid(_("{field} is not a field of an organisation").format(field=echo(unknown[0])), echo(unknown[0]))
    name = _org_text(body, "name", required=True)
    kind = body.get("kind")
    if kind not in ORG_KINDS:
        raise invalid(_("kind must be one of {kinds}; got {got}").format(kinds=", ".join(ORG_KINDS), got=quoted(kind)),
                      "kind")
    for field in ("inn", "ogrn"):
        if not isinstance(body.get(field), str):
            raise invalid(_("{field} is required").format(field=field), field)
    org = {"name": name, "short_name": _org_text(body, "short_name"), "kind": kind,
           "inn": normalize_inn(body["inn"]), "ogrn": normalize_ogrn(body["ogrn"]),
           **{f: _org_text(body, f) for f in ("kpp", "phone", "email", "address")}}
    if org["kpp"] is not None and not (org["kpp"].isascii() and org["kpp"].isdigit() and len(org["kpp"]) == 9):
        raise invalid(_("kpp must be 9 digits; got {got}").format(got=quoted(org["kpp"])), "kpp")
    commission = body.get("card_commission")
    org["percent"] = None
    if commission is not None:
        if not isinstance(commission, str):
            raise invalid(_("{field} must be a string").format(field="card_commission"), "card_commission")
        org["percent"] = rules.parse_percent(commission, "card_commission")
    return org


def add_organisation(store: PortalStore, user: User, body: Mapping[str, Any], now: datetime,
                     mutation: Mutation = PLAIN) -> Outcome:
    """Add an organisation: 201 it with its new id ORG-NNNN (a dry run: 200, id null). The same ИНН again with the
    same details: 200 it unchanged; with other details: 409 organisation_exists."""
    require_admin(user)
    org = check_organisation(body)

    def work(tx: Connection) -> tuple[int, dict]:
        percent = org["percent"]
        if percent is None:
            percent = rules.parse_percent(setting_value(tx, "payments.card_commission") or "0",
                                          "payments.card_commission")
        bp = rules.percent_to_bp(percent)
        columns = {k: org[k] for k in ("kind", "name", "short_name", "inn", "ogrn", "kpp", "phone", "email",
                                       "address")}
        existing = tx.execute("SELECT * FROM organisations WHERE inn = ?", (org["inn"],)).fetchone()
        if existing is not None:
            # The same again: every detail given as stored (those left out are not compared).
            same = all(existing[k] == v for k, v in columns.items() if v is not None) \
                and (org["percent"] is None or existing["card_commission_bp"] == bp)
            if not same:
                raise ApiError(409, "organisation_exists", _(
                    "the portal has another organisation with ИНН {inn}: {id} {name}").format(
                    inn=org["inn"], id=existing["id"], name=existing["short_name"]), "inn")
            return 200, organisation_admin_view(existing)
        numbers = [int(r[0][4:]) for r in tx.execute("SELECT id FROM organisations WHERE id LIKE 'ORG-%'")
                   if r[0][4:].isdigit()]
        org_id = f"ORG-{max(numbers, default=0) + 1:04d}"
        columns["short_name"] = columns["short_name"] or columns["name"]
        tx.execute("INSERT INTO organisations (id, kind, name, short_name, inn, ogrn, kpp, phone, email, address,"
                   " card_commission_bp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (org_id, *columns.values(), bp))
        view = organisation_admin_view(tx.execute("SELECT * FROM organisations WHERE id = ?", (org_id,)).fetchone())
        if mutation.dry_run:
            return 200, {**view, "id": None}
        return 201, view

    return run_mutation(store, user.id, now, mutation, work)


def _organisation_of(tx: Connection, text: str) -> Row:
    """An organisation by its ИНН or its id (ORG-0001, org-1); 400 naming `org` when there is none."""
    key = text.strip()
    row = None
    if key.upper().startswith("ORG-") and key[4:].isdigit():
        row = tx.execute("SELECT * FROM organisations WHERE id = ?", (f"ORG-{int(key[4:]):04d}",)).fetchone()
    elif key.isascii() and key.isdigit():
        row = tx.execute("SELECT * FROM organisations WHERE inn = ?", (key,)).fetchone()
    if row is None:
        raise invalid(_("org must be the ИНН or id (ORG-0001) of one of the portal's organisations; got {got}").format(
            got=quoted(text)), "org")
    return row


# -- users ----------------------------------------------------------------------------------------------------------

_USER_SELECT = ("SELECT u.id, u.login, u.name, u.email, u.role, u.org_id, u.must_change_password, u.disabled_at,"
                " u.created_at FROM users u")


def user_admin_view(row: Row) -> dict:
    return {"login": row["login"], "name": row["name"], "email": row["email"], "role": row["role"],
            "organisation": row["org_id"], "must_change_password": bool(row["must_change_password"]),
            "disabled_at": row["disabled_at"], "created_at": row["created_at"]}


def one_time_password() -> str:
    """16 characters drawn with `secrets` from an alphabet people can read aloud."""
    return "".join(secrets.choice(OTP_ALPHABET) for _ in range(OTP_LENGTH))


def list_users(store: PortalStore, user: User, limit: int, after: list) -> Listing:
    """The portal's users by login, after `after` ([login])."""
    require_admin(user)
    with store.read() as conn:
        rows = conn.execute(f"{_USER_SELECT} WHERE u.login > ? ORDER BY u.login LIMIT ?",
                            (after[0], limit + 1)).fetchall()
    return listing_of(rows, limit, lambda r: [r["login"]], user_admin_view)


def _text(body: Mapping[str, Any], field: str, limit: int, required: bool) -> str | None:
    value = body.get(field)
    if value is None or (not required and isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(_("{field} is required").format(field=field), field)
        return None
    if not isinstance(value, str):
        raise invalid(_("{field} must be a string").format(field=field), field)
    text = " ".join(value.split())
    if not text:
        raise invalid(_("{field} is required").format(field=field), field)
    if len(text) > limit:
        raise invalid(_("{field} must be at most {limit} characters").format(field=field, limit=limit), field)
    return text


def add_user(store: PortalStore, user: User, body: Mapping[str, Any], now: datetime,
             mutation: Mutation = PLAIN) -> Outcome:
    """Add a user with a one-time password: 201 {"user", "one_time_password"} (shown only here; stored hashed; the
    user must set their own at first sign-in). 400 naming the field; 409 login_taken."""
    require_admin(user)
    unknown = sorted(set(body) - {"login", "name", "email", "role", "org"})
    if unknown:
        raise invalid(_("{field} is not a field of a user").format(field=echo(unknown[0])), echo(unknown[0]))
    raw_login = body.get("login")
    if not isinstance(raw_login, str):
        raise invalid(_("{field} is required").format(field="login"), "login")
    login = normalize_login(raw_login)
    name = _text(body, "name", 200, required=True)
    email = _text(body, "email", 200, required=False)
    if email is not None and ("@" not in email or " " in email):
        raise invalid(_("email must be an e-mail address; got {got}").format(got=quoted(email)), "email")
    role = check_role(body.get("role"))  # type: ignore[arg-type]
    org_text = body.get("org")
    if org_text is not None and not isinstance(org_text, str):
        raise invalid(_("{field} must be a string").format(field="org"), "org")
    if role in ORGANISATION_ROLES and not (org_text or "").strip():
        raise invalid(_("a user of the {role} role needs org: the ИНН or id of their organisation").format(
            role=term(role)),
                      "org")
    if role not in ORGANISATION_ROLES and (org_text or "").strip():
        raise invalid(_("a user of the {role} role belongs to no organisation: leave org out").format(
            role=term(role)),
                      "org")
    password = one_time_password()
    hashed = hash_password(password)

    def work(tx: Connection) -> tuple[int, dict]:
        org_id = _organisation_of(tx, org_text)["id"] if role in ORGANISATION_ROLES and org_text else None
        if tx.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
            raise ApiError(409, "login_taken", _("the login {login} is taken").format(login=login), "login")
        tx.execute("INSERT INTO users (login, name, email, role, org_id, password_hash, created_at,"
                   " must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                   (login, name, email, role, org_id, hashed, format_instant(now)))
        view = user_admin_view(tx.execute(f"{_USER_SELECT} WHERE u.login = ?", (login,)).fetchone())
        return (200 if mutation.dry_run else 201), {"user": view, "one_time_password": None}

    return _with_password(run_mutation(store, user.id, now, mutation, work), password, mutation)


def _with_password(outcome: Outcome, password: str, mutation: Mutation) -> Outcome:
    """The answer with the one-time password put in after the change: the answer stored under an Idempotency-Key
    never holds it (no password is stored but hashed), so a replayed one says null — reset it to get another."""
    if outcome.replayed or mutation.dry_run or outcome.status >= 300:
        return outcome
    return Outcome(outcome.status, {**outcome.body, "one_time_password": password})


def _target(tx: Connection, login: str) -> Row:
    row = tx.execute(f"{_USER_SELECT} WHERE u.login = ?", (login.strip().lower(),)).fetchone()
    if row is None:
        raise not_found(_("the portal has no user {login}").format(login=echo(login)), "user_not_found")
    return row


def disable_user(store: PortalStore, user: User, login: str, now: datetime, mutation: Mutation = PLAIN) -> Outcome:
    """Disable a user: 200 the user (disabled_at now, their tokens deleted; again: unchanged). An admin does not
    disable themselves (422 cannot_disable_self)."""
    require_admin(user)

    def work(tx: Connection) -> tuple[int, dict]:
        row = _target(tx, login)
        if row["id"] == user.id:
            raise Refused("cannot_disable_self", _("you cannot disable yourself: another admin may"), "login")
        if row["disabled_at"] is None:
            tx.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (format_instant(now), row["id"]))
            tx.execute("DELETE FROM tokens WHERE user_id = ?", (row["id"],))
            row = _target(tx, login)
        return 200, user_admin_view(row)

    return run_mutation(store, user.id, now, mutation, work)


def enable_user(store: PortalStore, user: User, login: str, now: datetime, mutation: Mutation = PLAIN) -> Outcome:
    """Enable a disabled user again: 200 the user (an enabled one: unchanged)."""
    require_admin(user)

    def work(tx: Connection) -> tuple[int, dict]:
        row = _target(tx, login)
        if row["disabled_at"] is not None:
            tx.execute("UPDATE users SET disabled_at = NULL WHERE id = ?", (row["id"],))
            row = _target(tx, login)
        return 200, user_admin_view(row)

    return run_mutation(store, user.id, now, mutation, work)


def reset_password(store: PortalStore, user: User, login: str, now: datetime,
                   mutation: Mutation = PLAIN) -> Outcome:
    """A new one-time password for a user who forgot theirs: 200 {"user", "one_time_password"}; they must set their
    own at their next sign-in, and every token of theirs is deleted."""
    require_admin(user)
    password = one_time_password()
    hashed = hash_password(password)

    def work(tx: Connection) -> tuple[int, dict]:
        row = _target(tx, login)
        tx.execute("UPDATE users SET password_hash = ?, must_change_password = 1 WHERE id = ?", (hashed, row["id"]))
        tx.execute("DELETE FROM tokens WHERE user_id = ?", (row["id"],))
        view = user_admin_view(_target(tx, login))
        return 200, {"user": view, "one_time_password": None}

    return _with_password(run_mutation(store, user.id, now, mutation, work), password, mutation)


# -- an empty portal ------------------------------------------------------------------------------------------------


def create_first_admin(store: PortalStore, login: str, name: str, password_hash: str, now: datetime) -> dict:
    """The first admin of an empty portal (a password of their own: no change asked at sign-in). PortalNotEmpty
    when the portal has users already."""
    login = normalize_login(login)
    if not name.strip():
        raise InvalidInput(_("{field} is required").format(field="name"), "name")

    def work(tx: Connection) -> dict:
        if tx.execute("SELECT 1 FROM users LIMIT 1").fetchone():
            raise PortalNotEmpty(_("this database already holds a portal with users"))
        tx.execute("INSERT INTO users (login, name, email, role, org_id, password_hash, created_at,"
                   " must_change_password) VALUES (?, ?, NULL, 'admin', NULL, ?, ?, 0)",
                   (login, " ".join(name.split()), password_hash, format_instant(now)))
        tx.execute("INSERT INTO portal_settings (key, value) VALUES ('created_at', ?) ON CONFLICT (key) DO NOTHING",
                   (format_instant(now),))
        return user_admin_view(tx.execute(f"{_USER_SELECT} WHERE u.login = ?", (login,)).fetchone())

    return store.transact(work)
