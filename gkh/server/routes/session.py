"""The portal itself, signing in and out, and who I am."""

from __future__ import annotations

import falcon

from gkh import __version__
from gkh.domain.dates import format_instant
from gkh.server import auth, throttle
from gkh.server.db import Store
from gkh.server.http import ApiError, json_body, text_field
from gkh.server.passwords import unknown_login_hash, verify_password


def organisation_view(row) -> dict | None:
    if row is None:
        return None
    return {"id": row["id"], "kind": row["kind"], "name": row["name"], "short_name": row["short_name"],
            "inn": row["inn"], "ogrn": row["ogrn"], "phone": row["phone"]}


def user_view(conn, user: auth.User) -> dict:
    org = conn.execute("SELECT * FROM organisations WHERE id = ?", (user.org_id,)).fetchone()
    return {"login": user.login, "name": user.name, "email": user.email, "role": user.role,
            "organisation": organisation_view(org)}


def portal_view(store: Store) -> dict:
    return {"id": store.setting("portal_id"), "name": store.setting("name"),
            "demo": store.setting("demo") == "1", "version": __version__}


class PortalInfo:
    public = True

    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Which portal this is: its own id (credentials are kept per portal), name, demo mark."""
        resp.media = portal_view(self.store)


class Token:
    public = True  # signing in needs no token; signing out checks its own

    def __init__(self, store: Store):
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = json_body(req)
        login = text_field(body, "login")
        password = text_field(body, "password")
        now = req.context.now
        # Keyed on the login as typed (existing or not), so the limit tells nothing about which logins exist.
        limits = [(throttle.SIGN_IN_PER_LOGIN, throttle.digest(login.casefold())),
                  (throttle.SIGN_IN_PER_ADDRESS, req.remote_addr or "")]
        conn = self.store.connection()
        for limit, key in limits:
            throttle.check(conn, limit, key, now)
        row = conn.execute("SELECT id, password_hash FROM users WHERE login = ?", (login,)).fetchone()
        # An unknown login costs a hash check too, so timing does not tell which logins exist.
        stored = row["password_hash"] if row else unknown_login_hash()
        if not verify_password(password, stored) or row is None:
            throttle.record_failures(self.store, now, *limits)
            raise ApiError(401, "invalid_credentials", "wrong login or password")
        with self.store.write() as tx:
            throttle.clear(tx, *limits[0])
            token, expires = auth.issue_token(tx, row["id"], now)
            user = auth.load_user(tx, row["id"])
            result = {"token": token, "expires_at": format_instant(expires), "user": user_view(tx, user)}
        resp.status = falcon.HTTP_201
        resp.media = result

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        token = auth.bearer_token(req)
        auth.authenticate(self.store, token, req.context.now)
        with self.store.write() as tx:
            auth.revoke_token(tx, token)
        resp.media = {"status": "revoked"}


class Me:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        conn = self.store.connection()
        view = user_view(conn, req.context.user)
        view["token_expires_at"] = auth.token_expiry(conn, auth.bearer_token(req))
        view["portal"] = portal_view(self.store)
        resp.media = view
