"""Personal accounts: the ones I see (linked, or my organisation's), linking and unlinking."""

from __future__ import annotations

import sqlite3

import falcon

from gkh.domain.dates import format_instant
from gkh.domain.identifiers import (
    normalize_account_number,
    normalize_els,
    normalize_fias_guid,
    normalize_inn,
    normalize_izhku,
)
from gkh.domain.payer import parse_payer, payer_matches
from gkh.server import throttle
from gkh.server.auth import User
from gkh.server.db import Store
from gkh.server.http import (
    ApiError,
    Page,
    echo,
    flag,
    invalid,
    json_body,
    not_found,
    text_field,
)
from gkh.server.idempotency import run_mutation

_SELECT = """
SELECT a.id, a.els, a.izhku, a.number, a.payer, a.area, a.opened_on, a.house_guid, h.address AS house_address,
       f.number AS flat, o.id AS org_id, o.kind AS org_kind, o.name AS org_name, o.short_name AS org_short_name,
       o.inn AS org_inn,
       l.linked_at
FROM accounts a
JOIN houses h ON h.guid = a.house_guid
JOIN organisations o ON o.id = a.org_id
LEFT JOIN flats f ON f.id = a.flat_id
"""


def account_view(row: sqlite3.Row) -> dict:
    return {
        "els": row["els"],
        "izhku": row["izhku"],
        "number": row["number"],
        "organisation": {"id": row["org_id"], "kind": row["org_kind"], "name": row["org_name"],
                         "short_name": row["org_short_name"], "inn": row["org_inn"]},
        "house": {"guid": row["house_guid"], "address": row["house_address"]},
        "flat": row["flat"],
        "payer": row["payer"],
        "area": row["area"],
        "opened_on": row["opened_on"],
        "linked_at": row["linked_at"],
    }


def visible_accounts(user: User) -> tuple[str, list]:
    """The accounts a user may see: residents their linked ones, staff their organisation's, admins all."""
    if user.role == "resident":
        return _SELECT + "JOIN account_links l ON l.account_id = a.id AND l.user_id = ? WHERE 1", [user.id]
    linked = _SELECT.replace("l.linked_at", "NULL AS linked_at")
    if user.role == "staff":
        return linked + "WHERE a.org_id = ?", [user.org_id]
    if user.role == "admin":
        return linked + "WHERE 1", []
    raise ApiError(403, "forbidden", f"the {user.role} role has no personal accounts to see")


def visible_account_ids(user: User) -> tuple[str, list]:
    """A subquery of the ids of the accounts the user may see (see visible_accounts)."""
    if user.role == "resident":
        return "SELECT account_id FROM account_links WHERE user_id = ?", [user.id]
    if user.role == "staff":
        return "SELECT id FROM accounts WHERE org_id = ?", [user.org_id]
    if user.role == "admin":
        return "SELECT id FROM accounts", []
    raise ApiError(403, "forbidden", f"the {user.role} role has no personal accounts to see")


def find_visible_account(conn: sqlite3.Connection, user: User, els: str) -> sqlite3.Row:
    """An account by ЕЛС, or 404 — also when it exists but is not the caller's to see."""
    sql, params = visible_accounts(user)
    row = conn.execute(sql + " AND a.els = ?", (*params, normalize_els(els))).fetchone()
    if row is None:
        raise not_found(f"no account {echo(els)} among yours", "account_not_found")
    return row


class AccountList:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = Page(req)
        sql, params = visible_accounts(req.context.user)
        (after,) = page.cursor_values([0], int)
        rows = self.store.connection().execute(
            sql + " AND a.id > ? ORDER BY a.id LIMIT ?", (*params, after, page.limit + 1)
        ).fetchall()
        resp.media = page.result(rows, lambda r: [r["id"]], account_view)


class AccountItem:
    def __init__(self, store: Store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, els: str) -> None:
        resp.media = account_view(find_visible_account(self.store.connection(), req.context.user, els))


def _resident(user: User) -> None:
    if user.role != "resident":
        raise ApiError(403, "forbidden", "only residents link personal accounts to themselves")


def _no_match(address: str) -> ApiError:
    # One answer for an unknown number and a wrong surname alike: it must not confirm that an account exists.
    return not_found(f"no account at {address} matches these details: check the account number and the "
                     "payer's surname on your bill", "account_not_found")


def _account_to_link(conn: sqlite3.Connection, body: dict) -> sqlite3.Row:
    """The one account the link request proves it knows: its number, ЕЛС or ИЖКУ at the house, and its payer."""
    house = normalize_fias_guid(text_field(body, "house"), field="house")
    given = [name for name in ("number", "els", "izhku") if body.get(name) is not None]
    if len(given) != 1:
        raise invalid("give exactly one of number, els or izhku", "number")
    kind = given[0]
    normalize = {"number": normalize_account_number, "els": normalize_els, "izhku": normalize_izhku}[kind]
    value = normalize(text_field(body, kind), field=kind)
    payer = parse_payer(text_field(body, "payer"), field="payer")
    org = text_field(body, "org", required=False)
    org = normalize_inn(org, field="org") if org is not None else None
    house_row = conn.execute("SELECT address FROM houses WHERE guid = ?", (house,)).fetchone()
    if house_row is None:  # the address directory is public: saying a house is unknown reveals nothing
        raise not_found(f"no house with FIAS GUID {house}", "house_not_found")
    sql = "SELECT a.id, a.payer, o.inn, o.short_name FROM accounts a JOIN organisations o ON o.id = a.org_id " \
          f"WHERE a.house_guid = ? AND a.{kind} = ?"
    params: list = [house, value]
    if org is not None:
        sql += " AND o.inn = ?"
        params.append(org)
    matches = [row for row in conn.execute(sql, params) if payer_matches(row["payer"], payer)]
    if not matches:
        raise _no_match(house_row["address"])
    if len(matches) > 1:  # the caller has proved both facts for each of them, so naming them is safe
        choices = ", ".join(f"{m['inn']} ({m['short_name']})" for m in matches)
        raise ApiError(400, "org_required", f"several organisations have account {value} at this house; "
                       f"give the organisation's ИНН: {choices}", "org")
    return matches[0]


def _linked_account(conn: sqlite3.Connection, user: User, account_id: int) -> dict:
    sql, params = visible_accounts(user)
    return account_view(conn.execute(sql + " AND a.id = ?", (*params, account_id)).fetchone())


class AccountLinks:
    def __init__(self, store: Store):
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Link an account the caller proves to know (number, ЕЛС or ИЖКУ, and the payer's surname).

        Linking it again changes nothing. A dry run answers only whether the details match: nothing about
        the account is shown before it is linked.
        """
        user: User = req.context.user
        _resident(user)
        body = json_body(req)
        now = req.context.now
        dry_run = flag(req, "dry_run")
        limit = (throttle.LINK_PER_USER, str(user.id))
        throttle.check(self.store.connection(), *limit, now)

        def link(tx: sqlite3.Connection) -> tuple[int, dict]:
            account = _account_to_link(tx, body)
            inserted = tx.execute(
                "INSERT OR IGNORE INTO account_links (user_id, account_id, linked_at) VALUES (?, ?, ?)",
                (user.id, account["id"], format_instant(now)),
            ).rowcount
            status = "linked" if inserted else "unchanged"
            shown = None if dry_run and inserted else _linked_account(tx, user, account["id"])
            return (201 if inserted else 200), {"status": status, "account": shown}

        try:
            run_mutation(self.store, req, resp, user.id, body, link)
        except ApiError as error:
            if error.error_code == "account_not_found":
                throttle.record_failures(self.store, now, limit)
            raise


class AccountLink:
    def __init__(self, store: Store):
        self.store = store

    def on_delete(self, req: falcon.Request, resp: falcon.Response, els: str) -> None:
        """Unlink one of my accounts (the account itself stays with its organisation)."""
        user: User = req.context.user
        _resident(user)

        def unlink(tx: sqlite3.Connection) -> tuple[int, dict]:
            row = find_visible_account(tx, user, els)
            tx.execute("DELETE FROM account_links WHERE user_id = ? AND account_id = ?", (user.id, row["id"]))
            return 200, {"status": "unlinked", "account": {**account_view(row), "linked_at": None}}

        run_mutation(self.store, req, resp, user.id, None, unlink)
