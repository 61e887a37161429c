"""Bearer tokens: issued at sign-in, valid 90 days, renewed by use so a monthly cron job keeps working."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

import falcon

from gkh.domain.dates import format_instant
from gkh.server.db import Store
from gkh.server.http import ApiError

TOKEN_LIFETIME = timedelta(days=90)
RENEW_AFTER = timedelta(days=1)  # renew at most daily: a read stays a read


@dataclass(frozen=True)
class User:
    id: int
    login: str
    name: str
    email: str | None
    role: str
    org_id: str | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(conn: sqlite3.Connection, user_id: int, now: datetime) -> tuple[str, datetime]:
    token = "gkh_" + secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    conn.execute(
        "INSERT INTO tokens (token_hash, user_id, created_at, expires_at, renewed_at) VALUES (?, ?, ?, ?, ?)",
        (_token_hash(token), user_id, format_instant(now), format_instant(expires), format_instant(now)),
    )
    return token, expires


def revoke_token(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM tokens WHERE token_hash = ?", (_token_hash(token),))


def load_user(conn: sqlite3.Connection, user_id: int) -> User:
    row = conn.execute("SELECT id, login, name, email, role, org_id FROM users WHERE id = ?", (user_id,)).fetchone()
    return User(**dict(row))


def bearer_token(req: falcon.Request) -> str | None:
    header = req.get_header("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "the Authorization header must be 'Bearer <token>'")
    return token.strip()


def authenticate(store: Store, token: str | None, now: datetime) -> User:
    """The token's user; renews the token's lifetime when it was last renewed over a day ago."""
    if token is None:
        raise ApiError(401, "unauthenticated", "sign in first: this request needs a bearer token")
    conn = store.connection()
    digest = _token_hash(token)
    row = conn.execute("SELECT user_id, expires_at, renewed_at FROM tokens WHERE token_hash = ?", (digest,)).fetchone()
    if row is None:
        raise ApiError(401, "unauthenticated", "the token is not known to this portal; sign in again")
    if row["expires_at"] <= format_instant(now):
        raise ApiError(401, "token_expired", f"the token expired at {row['expires_at']}; sign in again")
    if row["renewed_at"] <= format_instant(now - RENEW_AFTER):
        with store.write() as tx:
            tx.execute(
                "UPDATE tokens SET expires_at = ?, renewed_at = ? WHERE token_hash = ?",
                (format_instant(now + TOKEN_LIFETIME), format_instant(now), digest),
            )
    return load_user(conn, row["user_id"])


def token_expiry(conn: sqlite3.Connection, token: str) -> str | None:
    row = conn.execute("SELECT expires_at FROM tokens WHERE token_hash = ?", (_token_hash(token),)).fetchone()
    return row[0] if row else None
