"""Personal accounts: the ones a caller sees (linked, or its organisation's), linking and unlinking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gkh.domain.dates import format_instant
from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import normalize_els, normalize_fias_guid, normalize_inn, one_payer_id
from gkh.domain.money import parse_amount, to_kopecks
from gkh.domain.payer import parse_payer, payer_matches
from gkh.i18n import _
from gkh.server import throttle
from gkh.server.access import User, require_resident, visible_accounts
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import (
    ApiError,
    echo,
    not_found,
    optional_text_field,
    text_field,
)
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.services import Listing, listing_of
from gkh.server.views import account_view

# The caller's links give linked_at; accounts seen through an organisation have none.
_SELECT = """
SELECT a.id, a.els, a.izhku, a.number, a.payer, a.area, a.opened_on, a.house_guid, h.address AS house_address,
       f.number AS flat, o.id AS org_id, o.kind AS org_kind, o.name AS org_name, o.short_name AS org_short_name,
       o.inn AS org_inn,
       l.linked_at
FROM accounts a
JOIN houses h ON h.guid = a.house_guid
JOIN organisations o ON o.id = a.org_id
LEFT JOIN flats f ON f.id = a.flat_id
LEFT JOIN account_links l ON l.account_id = a.id AND l.user_id = ?
"""


@dataclass(frozen=True)
class LinkProof:
    """What a resident must know of an account to link it: the house, one identifier of the account there
    (`kind` number, els or izhku, normalised), what is printed on its bill — the payer's surname, or the total of
    its last bill in kopecks, or both (each given must match) — and the organisation's ИНН if several."""

    house: str
    kind: str
    value: str
    payer: str | None
    org_inn: str | None = None
    last_bill: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("number", "els", "izhku"):  # it names a column of the query
            raise ValueError(f"an account is named by number, els or izhku, not {self.kind!r}")


def list_accounts(store: PortalStore, user: User, limit: int, after_id: int) -> Listing:
    """The accounts the caller sees, by id, after `after_id`."""
    sql, params = _visible(user)
    with store.read() as conn:
        rows = conn.execute(sql + " AND a.id > ? ORDER BY a.id LIMIT ?", (*params, after_id, limit + 1)).fetchall()
    return listing_of(rows, limit, lambda r: [r["id"]], account_view)


def get_account(store: PortalStore, user: User, els: str) -> dict:
    """One of the caller's accounts by ЕЛС (as given: it is normalised here), or 404."""
    with store.read() as conn:
        return account_view(_find_visible(conn, user, els))


def parse_link_proof(details: Mapping[str, Any]) -> LinkProof:
    """The proof from what a client sent: house, exactly one of number / els / izhku, payer or last_bill (or
    both), and org (ИНН)."""
    house = normalize_fias_guid(text_field(details, "house"), field="house")
    kind, value = one_payer_id(number=details.get("number"), els=details.get("els"), izhku=details.get("izhku"))
    payer, last_bill = optional_text_field(details, "payer"), optional_text_field(details, "last_bill")
    if payer is None and last_bill is None:
        raise InvalidInput(_("payer is required: the payer's surname, or last_bill, the total of the account's "
                             "last bill, as printed on the bill"), "payer")
    org = optional_text_field(details, "org")
    return LinkProof(house, kind, value, parse_payer(payer, field="payer") if payer is not None else None,
                     normalize_inn(org, field="org") if org is not None else None,
                     to_kopecks(parse_amount(last_bill, field="last_bill")) if last_bill is not None else None)


def link_account(store: PortalStore, user: User, details: Mapping[str, Any], now: datetime,
                 mutation: Mutation = PLAIN) -> Outcome:
    """Link an account the caller proves to know; linking it again changes nothing (201 linked, 200 unchanged).

    `details` are the proof as the client sent it (see parse_link_proof), parsed here only after the attempt
    limit and the Idempotency-Key: a locked caller gets 429 whatever it sends. A dry run answers only whether
    the details match: nothing about the account is shown before it is linked. Failed attempts are limited per
    caller (throttle.LINK_PER_USER), counted in a transaction of their own.
    """
    require_resident(user)
    limit = (throttle.LINK_PER_USER, str(user.id))
    with store.read() as conn:
        throttle.check(conn, *limit, now)

    def link(tx: Connection) -> tuple[int, dict]:
        account = _account_to_link(tx, parse_link_proof(details))
        inserted = tx.execute(
            "INSERT INTO account_links (user_id, account_id, linked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (user.id, account["id"], format_instant(now)),
        ).rowcount
        status = "linked" if inserted else "unchanged"
        shown = None if mutation.dry_run and inserted else _linked_account(tx, user, account["id"])
        return (201 if inserted else 200), {"status": status, "account": shown}

    try:
        return run_mutation(store, user.id, now, mutation, link)
    except ApiError as error:
        if error.error_code == "account_not_found":
            throttle.record_failures(store, now, limit)
        raise


def unlink_account(store: PortalStore, user: User, els: str, now: datetime, mutation: Mutation = PLAIN) -> Outcome:
    """Unlink one of the caller's accounts (the account itself stays with its organisation)."""
    require_resident(user)

    def unlink(tx: Connection) -> tuple[int, dict]:
        row = _find_visible(tx, user, els)
        tx.execute("DELETE FROM account_links WHERE user_id = ? AND account_id = ?", (user.id, row["id"]))
        return 200, {"status": "unlinked", "account": {**account_view(row), "linked_at": None}}

    return run_mutation(store, user.id, now, mutation, unlink)


def _visible(user: User) -> tuple[str, list]:
    visible, params = visible_accounts(user)
    return f"{_SELECT} WHERE {visible}", [user.id, *params]


def _find_visible(conn: Connection, user: User, els: str) -> Row:
    """An account by ЕЛС, or 404 — also when it exists but is not the caller's to see."""
    sql, params = _visible(user)
    row = conn.execute(sql + " AND a.els = ?", (*params, normalize_els(els))).fetchone()
    if row is None:
        raise not_found(_("no account {els} among yours").format(els=echo(els)), "account_not_found")
    return row


def _no_match(address: str) -> ApiError:
    # One answer for an unknown number and a wrong surname alike: it must not confirm that an account exists.
    return not_found(_("no account at {address} matches these details: check the account number and the "
                       "payer's surname (or the last bill's total) on your bill").format(address=address),
                     "account_not_found")


def _account_to_link(conn: Connection, proof: LinkProof) -> Row:
    """The one account the proof names: its identifier at the house, and its payer."""
    house_row = conn.execute("SELECT address FROM houses WHERE guid = ?", (proof.house,)).fetchone()
    if house_row is None:  # the address directory is public: saying a house is unknown reveals nothing
        raise not_found(_("no house with FIAS GUID {guid}").format(guid=proof.house), "house_not_found")
    sql = "SELECT a.id, a.payer, o.inn, o.short_name FROM accounts a JOIN organisations o ON o.id = a.org_id " \
          f"WHERE a.house_guid = ? AND a.{proof.kind} = ?"
    params: list = [proof.house, proof.value]
    if proof.org_inn is not None:
        sql += " AND o.inn = ?"
        params.append(proof.org_inn)
    matches = [row for row in conn.execute(sql, params) if _proven(conn, row, proof)]
    if not matches:
        raise _no_match(house_row["address"])
    if len(matches) > 1:  # the caller has proved both facts for each of them, so naming them is safe
        choices = ", ".join(f"{m['inn']} ({m['short_name']})" for m in matches)
        raise ApiError(400, "org_required", _("several organisations have account {account} at this house; "
                                              "give the organisation's ИНН: {choices}").format(
                           account=proof.value, choices=choices), "org")
    return matches[0]


def _proven(conn: Connection, account: Row, proof: LinkProof) -> bool:
    """Whether what the proof says is printed on the bill is the account's: the payer's surname, the total of its
    latest bill (by period), each that is given."""
    if proof.payer is not None and not payer_matches(account["payer"], proof.payer):
        return False
    if proof.last_bill is None:
        return True
    latest = conn.execute("SELECT total_kopecks FROM bills WHERE account_id = ? ORDER BY period DESC LIMIT 1",
                          (account["id"],)).fetchone()
    return latest is not None and latest["total_kopecks"] == proof.last_bill


def _linked_account(conn: Connection, user: User, account_id: int) -> dict:
    sql, params = _visible(user)
    return account_view(conn.execute(sql + " AND a.id = ?", (*params, account_id)).fetchone())
