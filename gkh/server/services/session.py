"""The portal itself, signing in and out, and who I am: bearer tokens valid 90 days, renewed by use so that
a monthly cron job keeps working."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from gkh.domain.dates import format_instant
from gkh.domain.users import check_new_password
from gkh.i18n import _, human_time
from gkh.server import throttle
from gkh.server.access import User
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import ApiError
from gkh.server.passwords import hash_password, unknown_login_hash, verify_password
from gkh.server.views import portal_view, user_view

TOKEN_LIFETIME = timedelta(days=90)
RENEW_AFTER = timedelta(days=1)  # renew at most daily: a read stays a read


def portal_info(store: PortalStore) -> dict:
    """Which portal this is: its own id (clients keep credentials per portal), name, demo mark."""
    with store.read() as conn:
        return portal_view(_settings(conn))


def authenticate(store: PortalStore, token: str | None, now: datetime) -> User:
    """The token's user; renews the token's lifetime when it was last renewed over a day ago."""
    token = _required(token)
    with store.read(snapshot=False) as conn:  # every request's first read: one statement, one round trip
        row = _live_token(conn, token, now, with_user=True)
    user = User(**{field: row[field] for field in ("id", "login", "name", "email", "role", "org_id")},
                must_change_password=bool(row["must_change_password"]))
    if row["renewed_at"] <= format_instant(now - RENEW_AFTER):
        # Row locks suffice: the last of two renewals at once wins, and both write the same.
        store.transact(lambda tx: tx.execute(
            "UPDATE tokens SET expires_at = ?, renewed_at = ? WHERE token_hash = ?",
            (format_instant(now + TOKEN_LIFETIME), format_instant(now), _token_hash(token)),
        ), row_locks=True)
    return user


def sign_in(store: PortalStore, login: str, password: str, address: str, now: datetime) -> dict:
    """A new token for a login and its password: {"token", "expires_at", "user"}.

    Failed attempts are limited per login (as typed, known or not) and per client address; a failure is
    counted in a transaction of its own, the token issued in another.
    """
    # Keyed on the login as typed (existing or not), so the limit tells nothing about which logins exist.
    limits = [(throttle.SIGN_IN_PER_LOGIN, throttle.digest(login.casefold())),
              (throttle.SIGN_IN_PER_ADDRESS, address)]
    with store.read() as conn:
        for limit, key in limits:
            throttle.check(conn, limit, key, now)
        row = conn.execute("SELECT id, password_hash, disabled_at FROM users WHERE login = ?", (login,)).fetchone()
    # An unknown login costs a hash check too, so timing does not tell which logins exist; a disabled user is
    # answered as a wrong password, after the same check.
    stored = row["password_hash"] if row else unknown_login_hash()
    if not verify_password(password, stored) or row is None or row["disabled_at"] is not None:
        throttle.record_failures(store, now, *limits)
        raise ApiError(401, "invalid_credentials", _("wrong login or password"))
    def issue(tx: Connection) -> dict:
        throttle.clear(tx, *limits[0])
        return _new_session(tx, row["id"], now)

    return store.transact(issue, row_locks=True)


def change_password(store: PortalStore, user: User, token: str | None, current: str, new: str,
                    now: datetime) -> dict:
    """The caller's password of its own, in place of `current` (a wrong one is 403 wrong_password, counted by the
    sign-in throttle of the login); clears must_change_password and deletes the user's other tokens (the one
    used stays signed in)."""
    token = _required(token)
    limit = (throttle.SIGN_IN_PER_LOGIN, throttle.digest(user.login.casefold()))
    with store.read() as conn:
        throttle.check(conn, *limit, now)
        row = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user.id,)).fetchone()
    if row is None or not verify_password(current, row["password_hash"]):
        throttle.record_failures(store, now, limit)
        raise ApiError(403, "wrong_password", _("the current password is wrong"), "current")
    check_new_password(new, user.login, current)
    new_hash = hash_password(new)

    def change(tx: Connection) -> dict:
        # Only over the password just checked: of two changes at once from the same current one, one wins.
        changed = tx.execute("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?"
                             " AND password_hash = ?", (new_hash, user.id, row["password_hash"])).rowcount
        if changed != 1:
            raise ApiError(403, "wrong_password", _("the current password is wrong"), "current")
        tx.execute("DELETE FROM tokens WHERE user_id = ? AND token_hash <> ?", (user.id, _token_hash(token)))
        throttle.clear(tx, *limit)
        return {"status": "changed"}

    return store.transact(change, row_locks=True)


def require_own_password(user: User) -> None:
    """A user signed in with a one-time password may only set a password of its own (or sign out) first."""
    if user.must_change_password:
        raise ApiError(403, "password_change_required",
                       _("set your own password first: gkh auth password"))


def sign_in_without_password(store: PortalStore, login: str, now: datetime) -> dict:
    """What sign_in answers, for a login the caller vouches for: the embedded demo portal's own resident.
    Never reachable over HTTP."""
    def issue(tx: Connection) -> dict:
        row = tx.execute("SELECT id FROM users WHERE login = ?", (login,)).fetchone()
        if row is None:
            raise LookupError(f"this portal has no user {login}")
        return _new_session(tx, row["id"], now)

    return store.transact(issue)


def sign_out(store: PortalStore, token: str | None, now: datetime) -> dict:
    """Revoke the token (a known, live one: anything else is 401)."""
    token = _required(token)
    def revoke(tx: Connection) -> None:
        _live_token(tx, token, now)
        tx.execute("DELETE FROM tokens WHERE token_hash = ?", (_token_hash(token),))

    store.transact(revoke)
    return {"status": "revoked"}


def me(store: PortalStore, user: User, token: str | None) -> dict:
    """The caller, its organisation, when its token expires, and the portal."""
    with store.read() as conn:
        view = user_view(user, _organisation(conn, user.org_id))
        row = conn.execute("SELECT expires_at FROM tokens WHERE token_hash = ?",
                           (_token_hash(token),)).fetchone() if token is not None else None
        view["token_expires_at"] = row[0] if row else None
        view["portal"] = portal_view(_settings(conn))
    return view


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _required(token: str | None) -> str:
    if token is None:
        raise ApiError(401, "unauthenticated", _("sign in first: this request needs a bearer token"))
    return token


def _live_token(conn: Connection, token: str, now: datetime, *, with_user: bool = False) -> Row:
    """The token's row (and its user's columns, with_user); 401 for a token unknown or expired."""
    sql = ("SELECT t.user_id, t.expires_at, t.renewed_at, u.id, u.login, u.name, u.email, u.role, u.org_id,"
           " u.must_change_password FROM tokens t JOIN users u ON u.id = t.user_id"
           " WHERE t.token_hash = ? AND u.disabled_at IS NULL" if with_user else
           "SELECT user_id, expires_at, renewed_at FROM tokens WHERE token_hash = ?")
    row = conn.execute(sql, (_token_hash(token),)).fetchone()
    if row is None:
        raise ApiError(401, "unauthenticated", _("the token is not known to this portal; sign in again"))
    if row["expires_at"] <= format_instant(now):
        raise ApiError(401, "token_expired", _("the token expired at {moment}; sign in again").format(
            moment=human_time(row["expires_at"])))
    return row


def _new_session(tx: Connection, user_id: int, now: datetime) -> dict:
    token = "gkh_" + secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    tx.execute(
        "INSERT INTO tokens (token_hash, user_id, created_at, expires_at, renewed_at) VALUES (?, ?, ?, ?, ?)",
        (_token_hash(token), user_id, format_instant(now), format_instant(expires), format_instant(now)),
    )
    user = _load_user(tx, user_id)
    return {"token": token, "expires_at": format_instant(expires),
            "user": user_view(user, _organisation(tx, user.org_id))}


def _load_user(conn: Connection, user_id: int) -> User:
    row = conn.execute("SELECT id, login, name, email, role, org_id, must_change_password FROM users WHERE id = ?",
                       (user_id,)).fetchone()
    return User(**{**dict(row), "must_change_password": bool(row["must_change_password"])})


def _organisation(conn: Connection, org_id: str | None) -> Row | None:
    return conn.execute("SELECT * FROM organisations WHERE id = ?", (org_id,)).fetchone()


def _settings(conn: Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM portal_settings").fetchall())
