"""Payments: a resident pays one of their accounts (its oldest unpaid bills first, or one bill; more than owed is an
advance) from the «Виртуальный мир» wallet at once, or by card through the test acquirer's confirmation page; tops
the wallet up by card; reads their payments, receipts and wallet. Staff read the payments to their organisation.

Exactly once: the charge, the allocation to the bills, the wallet's debit (one conditional UPDATE that never takes it
below zero) and the receipt's row commit in one transaction under idempotency.run_mutation; the acquirer's answer
flips a pending payment with one UPDATE … WHERE status = 'pending', so two answers cannot both complete it. The
receipt's delivery (SMTP or the outbox) is the route's, after the commit (receipts.Postman).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from gkh.domain import payments as rules
from gkh.domain.dates import format_instant, house_zone
from gkh.domain.errors import Refused
from gkh.domain.money import format_kopecks, from_kopecks, to_kopecks
from gkh.i18n import _
from gkh.server.access import User, require_payer, visible_accounts, visible_payments
from gkh.server.db import Connection, PortalStore, Row
from gkh.server.http import echo, not_found
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation
from gkh.server.receipts import ReceiptFacts, record_receipt
from gkh.server.services import Listing, of_account
from gkh.server.views import payment_status, payment_view

WALLET_OPERATOR = "Виртуальный мир"  # the wallet's operator, a name as the seed gives it
TOP_UP_ZONE = "Europe/Moscow"  # a top-up has no house: its receipt's time is Moscow's
DECLINE_SETTING = "acquirer.decline_amounts"
FIRST = [2**63 - 1]  # where a list starts: before every payment (newest first, by seq)
STATUSES = ("pending", "succeeded", "declined")

_SELECT = """
SELECT p.*, a.els, h.timezone, o.short_name AS payee_name, o.inn AS payee_inn,
       r.number AS receipt_number, r.emailed_to AS receipt_emailed_to, r.sent_at AS receipt_sent_at,
       r.delivery AS receipt_delivery
FROM payments p
LEFT JOIN accounts a ON a.id = p.account_id
LEFT JOIN houses h ON h.guid = a.house_guid
LEFT JOIN organisations o ON o.id = p.payee_org_id
LEFT JOIN receipts r ON r.payment_id = p.id
"""


@dataclass(frozen=True)
class PaymentRequest:
    """A payment as a resident asks for it, its fields checked by the route: the account's normalised ЕЛС, the method,
    the amount (None: everything due on the account, or on the one bill), one bill's ИПД (None: the oldest unpaid
    first), where the receipt goes (None: the profile's e-mail)."""

    account: str
    method: str
    amount: Decimal | None = None
    bill: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class AcquirerPage:
    """What the acquirer's page shows of a payment, and where it stands (`state`: 'pending' it may be confirmed;
    'succeeded' / 'declined' already done, with `reason`)."""

    payment_id: str
    kind: str
    payee_name: str | None
    payee_inn: str | None
    account: str | None
    amount: Decimal
    commission: Decimal
    state: str
    reason: str | None = None

    @property
    def total(self) -> Decimal:
        return self.amount + self.commission


# -- paying ---------------------------------------------------------------------------------------------------


def pay(store: PortalStore, user: User, request: PaymentRequest, now: datetime, base_url: str, sender: str,
        mutation: Mutation = PLAIN) -> Outcome:
    """Pay one of the caller's accounts: by wallet 201 succeeded (bills paid, wallet debited, receipt recorded), by card
    202 pending with the acquirer page's URL; a dry run answers the quote and stores nothing."""
    require_payer(user)

    def work(tx: Connection) -> tuple[int, dict]:
        account = _linked_account(tx, user, request.account)
        unpaid = _unpaid(tx, account["id"], request.bill)
        due = sum(d for _b, d in unpaid)
        if request.amount is None:
            if due == 0:
                raise Refused("nothing_due", _("nothing is due on {what}").format(
                    what=request.bill or request.account), "amount")
            amount_k = due
        else:
            amount_k = to_kopecks(request.amount)
        commission_k = to_kopecks(rules.commission(from_kopecks(amount_k), account["card_commission_bp"],
                                                   request.method))
        parts, advance_k = rules.allocate(amount_k, unpaid)
        email = request.email if request.email is not None else user.email
        if request.method == "wallet":
            _debit(tx, user, amount_k, now)
        facts: dict[str, Any] = {
            "id": None, "kind": "bill", "els": account["els"], "advance_kopecks": advance_k,
            "payee_org_id": account["org_id"], "payee_name": account["payee_name"], "payee_inn": account["payee_inn"],
            "amount_kopecks": amount_k, "commission_kopecks": commission_k, "method": request.method,
            "status": "quote", "decline_reason": None, "created_at": None, "completed_at": None,
            "expires_at": None, "confirm_token": None, "email": email, **_NO_RECEIPT}
        warnings = [rules.advance_warning(advance_k, account["els"])] if advance_k else []
        if mutation.dry_run:
            return 200, payment_view(facts, _periods(tx, parts), now, base_url, warnings)
        payment_id = _insert_payment(tx, user, facts, account["id"], request.bill, now)
        _apply(tx, payment_id, parts)
        if request.method == "wallet":
            _succeed(tx, payment_id, "bill", account["els"], account["payee_name"], account["payee_inn"], parts,
                     advance_k, amount_k, commission_k, "wallet", email, account["timezone"], now, sender)
            status = 201
        else:
            status = 202
        return status, _view(tx, payment_id, now, base_url)

    return run_mutation(store, user.id, now, mutation, work)


def top_up(store: PortalStore, user: User, amount: Decimal, email: str | None, now: datetime, base_url: str,
           mutation: Mutation = PLAIN) -> Outcome:
    """Top the caller's wallet up by card: 202 pending with the acquirer page's URL (no commission, no payee)."""
    require_payer(user)

    def work(tx: Connection) -> tuple[int, dict]:
        facts: dict[str, Any] = {
            "id": None, "kind": "top_up", "els": None, "advance_kopecks": 0, "payee_org_id": None,
            "payee_name": None, "payee_inn": None, "amount_kopecks": to_kopecks(amount), "commission_kopecks": 0,
            "method": "card", "status": "quote", "decline_reason": None, "created_at": None, "completed_at": None,
            "expires_at": None, "confirm_token": None, "email": email if email is not None else user.email,
            **_NO_RECEIPT}
        if mutation.dry_run:
            return 200, payment_view(facts, [], now, base_url, [])
        payment_id = _insert_payment(tx, user, facts, None, None, now)
        return 202, _view(tx, payment_id, now, base_url)

    return run_mutation(store, user.id, now, mutation, work)


_NO_RECEIPT = {"receipt_number": None, "receipt_emailed_to": None, "receipt_sent_at": None, "receipt_delivery": None}


def _linked_account(conn: Connection, user: User, els: str) -> Row:
    row = conn.execute(
        "SELECT a.id, a.els, a.org_id, h.timezone, o.short_name AS payee_name, o.inn AS payee_inn,"
        " o.card_commission_bp FROM accounts a JOIN houses h ON h.guid = a.house_guid"
        " JOIN organisations o ON o.id = a.org_id"
        " WHERE a.els = ? AND a.id IN (SELECT account_id FROM account_links WHERE user_id = ?)",
        (els, user.id)).fetchone()
    if row is None:
        raise not_found(_("no account {els} among yours").format(els=echo(els)), "account_not_found")
    return row


def _unpaid(conn: Connection, account_id: int, bill: str | None) -> list[tuple[str, int]]:
    """(ИПД, kopecks due) of the account's bills a payment goes to, oldest first: those with something due, or the
    one bill asked for (due 0 when it is paid; 404 when it is not the account's)."""
    if bill is not None:
        row = conn.execute("SELECT id, total_kopecks, paid_kopecks FROM bills WHERE id = ? AND account_id = ?",
                           (bill, account_id)).fetchone()
        if row is None:
            raise not_found(_("no bill {id} on this account").format(id=echo(bill)), "bill_not_found")
        return [(row["id"], max(row["total_kopecks"] - row["paid_kopecks"], 0))]
    rows = conn.execute("SELECT id, total_kopecks - paid_kopecks AS due FROM bills WHERE account_id = ?"
                        " AND paid_kopecks < total_kopecks ORDER BY period, id", (account_id,)).fetchall()
    return [(r["id"], r["due"]) for r in rows]


def _debit(tx: Connection, user: User, amount_k: int, now: datetime) -> None:
    """Take `amount_k` from the caller's wallet in one conditional UPDATE; 422 insufficient_funds (naming the balance)
    when it holds less."""
    debited = tx.execute("UPDATE wallets SET balance_kopecks = balance_kopecks - ?, updated_at = ?"
                         " WHERE user_id = ? AND balance_kopecks >= ? RETURNING balance_kopecks",
                         (amount_k, format_instant(now), user.id, amount_k)).fetchone()
    if debited is None:
        row = tx.execute("SELECT balance_kopecks FROM wallets WHERE user_id = ?", (user.id,)).fetchone()
        balance = format_kopecks(row[0] if row else 0)
        raise Refused("insufficient_funds", _("the wallet holds {balance}, less than {amount}").format(
            balance=balance, amount=format_kopecks(amount_k)), "amount", {"balance": balance})


def _insert_payment(tx: Connection, user: User, facts: dict, account_id: int | None, bill: str | None,
                    now: datetime) -> str:
    """A new payment row, numbered inside the transaction: wallet ones succeed at once, card ones wait (pending) for
    the acquirer with a one-time token until PENDING_FOR has passed."""
    seq = tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM payments").fetchone()[0]
    payment_id = f"P-{seq:06d}"
    card = facts["method"] == "card"
    tx.execute(
        "INSERT INTO payments (id, seq, user_id, kind, account_id, payee_org_id, bill_id, method, amount_kopecks,"
        " commission_kopecks, advance_kopecks, status, email, confirm_token, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
        (payment_id, seq, user.id, facts["kind"], account_id, facts["payee_org_id"], bill, facts["method"],
         facts["amount_kopecks"], facts["commission_kopecks"], facts["advance_kopecks"], facts["email"],
         secrets.token_urlsafe(32) if card else None, format_instant(now),
         format_instant(now + rules.PENDING_FOR) if card else None))
    return payment_id


def _apply(tx: Connection, payment_id: str, parts: list[tuple[str, int]]) -> None:
    """The payment's allocation to bills (planned while it is pending), replacing any earlier one."""
    tx.execute("DELETE FROM payment_bills WHERE payment_id = ?", (payment_id,))
    if parts:
        tx.executemany("INSERT INTO payment_bills (payment_id, bill_id, amount_kopecks) VALUES (?, ?, ?)",
                       [(payment_id, bill_id, part) for bill_id, part in parts])


def _succeed(tx: Connection, payment_id: str, kind: str, els: str | None, payee_name: str | None,
             payee_inn: str | None, parts: list[tuple[str, int]], advance_k: int, amount_k: int, commission_k: int,
             method: str, email: str | None, timezone: str | None, now: datetime, sender: str) -> None:
    """Complete a payment in its transaction: the bills' paid sums (or the wallet, for a top-up), its status, its
    receipt's row."""
    for bill_id, part in parts:
        tx.execute("UPDATE bills SET paid_kopecks = paid_kopecks + ? WHERE id = ?", (part, bill_id))
    tx.execute("UPDATE payments SET status = 'succeeded', advance_kopecks = ?, completed_at = ? WHERE id = ?",
               (advance_k, format_instant(now), payment_id))
    periods = {r["bill_id"]: r["period"] for r in _periods(tx, parts)}
    amount, commission = from_kopecks(amount_k), from_kopecks(commission_k)
    record_receipt(tx, ReceiptFacts(
        payment_id=payment_id, kind=kind, payee_name=payee_name, payee_inn=payee_inn, account=els,
        bills=[(bill_id, periods[bill_id], from_kopecks(part)) for bill_id, part in parts],
        advance=from_kopecks(advance_k), amount=amount, commission=commission, total=amount + commission,
        method=method, completed_at=now.astimezone(house_zone(timezone or TOP_UP_ZONE)), email_to=email,
    ), sender, now)


def _periods(conn: Connection, parts: list[tuple[str, int]]) -> list[dict]:
    """The allocation's rows as payment_view shows them: ИПД, period, part; oldest first."""
    if not parts:
        return []
    marks = ",".join("?" * len(parts))
    periods = {r["id"]: r["period"] for r in conn.execute(
        f"SELECT id, period FROM bills WHERE id IN ({marks})", [b for b, _p in parts]).fetchall()}
    return sorted(({"bill_id": b, "period": periods[b], "amount_kopecks": p} for b, p in parts),
                  key=lambda r: (r["period"], r["bill_id"]))


# -- reading ----------------------------------------------------------------------------------------------------


def _bills_of(conn: Connection, payment_ids: list[str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    if not payment_ids:
        return out
    marks = ",".join("?" * len(payment_ids))
    for row in conn.execute(
            "SELECT pb.payment_id, pb.bill_id, pb.amount_kopecks, b.period FROM payment_bills pb"
            f" JOIN bills b ON b.id = pb.bill_id WHERE pb.payment_id IN ({marks})"
            " ORDER BY pb.payment_id, b.period, pb.bill_id", payment_ids).fetchall():
        out.setdefault(row["payment_id"], []).append(row)
    return out


def _render(row: Row, bills: list[Row], now: datetime, base_url: str) -> dict:
    status, _reason = payment_status(row, now)
    shown = [] if status == "declined" else bills  # nothing of a declined payment went to any bill
    warnings = [rules.advance_warning(row["advance_kopecks"], row["els"])] \
        if row["advance_kopecks"] and row["els"] and status != "declined" else []
    return payment_view(row, shown, now, base_url, warnings)


def _view(conn: Connection, payment_id: str, now: datetime, base_url: str) -> dict:
    row = conn.execute(f"{_SELECT} WHERE p.id = ?", (payment_id,)).fetchone()
    return _render(row, _bills_of(conn, [payment_id]).get(payment_id, []), now, base_url)


def _find(conn: Connection, user: User, payment_id: str) -> Row:
    where, params = visible_payments(user)
    row = conn.execute(f"{_SELECT} WHERE {where} AND p.id = ?", (*params, payment_id)).fetchone()
    if row is None:
        raise not_found(_("no payment {id} among yours").format(id=echo(payment_id)), "payment_not_found")
    return row


def get_payment(store: PortalStore, user: User, payment_id: str, now: datetime, base_url: str) -> dict:
    """One payment the caller may see (made by them; staff: to their organisation), or 404."""
    with store.read() as conn:
        row = _find(conn, user, payment_id)
        return _render(row, _bills_of(conn, [row["id"]]).get(row["id"], []), now, base_url)


def list_payments(store: PortalStore, user: User, account: str | None, status: str | None, limit: int,
                  after: list, now: datetime, base_url: str) -> Listing:
    """The payments the caller may see, newest first (by their number), of one account (one the caller sees, else
    404) and in one status (as of `now`: a pending card payment past its time is declined) when asked."""
    where, params = visible_payments(user)
    with store.read() as conn:
        if account is None:
            sql = f"{_SELECT} WHERE {where}"
        else:
            sql, params = _of_account(conn, user, where, params, account)
        stamp = format_instant(now)
        if status == "pending":
            sql, params = sql + " AND p.status = 'pending' AND (p.expires_at IS NULL OR p.expires_at > ?)", \
                [*params, stamp]
        elif status == "declined":
            sql, params = sql + " AND (p.status = 'declined' OR p.status = 'pending' AND p.expires_at <= ?)", \
                [*params, stamp]
        elif status == "succeeded":
            sql += " AND p.status = 'succeeded'"
        rows = conn.execute(sql + " AND p.seq < ? ORDER BY p.seq DESC LIMIT ?",
                            (*params, after[0], limit + 1)).fetchall()
        page = rows[:limit]
        bills = _bills_of(conn, [r["id"] for r in page])
    return Listing([_render(r, bills.get(r["id"], []), now, base_url) for r in page],
                   [page[-1]["seq"]] if len(rows) > limit else None)


def _of_account(conn: Connection, user: User, where: str, params: list, els: str) -> tuple[str, list]:
    """The list's query narrowed to one account, which must be one the caller sees (else 404 account_not_found)."""
    visible = visible_accounts(user)
    sql, narrowed = of_account(conn, f"{_SELECT} WHERE {where} AND {visible[0]}", visible, els)
    # of_account's parameters are the visible accounts' and then the ЕЛС: the payments' own go first.
    return sql, [*params, *narrowed]


def get_receipt(store: PortalStore, user: User, payment_id: str) -> tuple[str, bytes]:
    """A payment's receipt (its number, the stored RFC 5322 bytes), or 404: receipt_not_found while it has none."""
    with store.read() as conn:
        row = _find(conn, user, payment_id)
        receipt = conn.execute("SELECT number, message FROM receipts WHERE payment_id = ?", (row["id"],)).fetchone()
    if receipt is None:
        raise not_found(_("payment {id} has no receipt: it has not succeeded").format(id=row["id"]),
                        "receipt_not_found")
    return receipt["number"], bytes(receipt["message"])


def wallet(store: PortalStore, user: User) -> dict:
    """The caller's «Виртуальный мир» wallet: its balance (0.00 before any top-up) and when it last changed."""
    require_payer(user)
    with store.read(snapshot=False) as conn:
        row = conn.execute("SELECT balance_kopecks, updated_at FROM wallets WHERE user_id = ?", (user.id,)).fetchone()
    return {"balance": format_kopecks(row["balance_kopecks"] if row else 0), "operator": WALLET_OPERATOR,
            "updated_at": row["updated_at"] if row else None}


# -- the test acquirer -------------------------------------------------------------------------------------------


class UnknownToken(Exception):
    """No payment has this confirmation token (the page answers 404)."""


def _page(row: Row, now: datetime) -> AcquirerPage:
    status, reason = payment_status(row, now)
    return AcquirerPage(row["id"], row["kind"], row["payee_name"], row["payee_inn"], row["els"],
                        from_kopecks(row["amount_kopecks"]), from_kopecks(row["commission_kopecks"]), status, reason)


def acquirer_page(store: PortalStore, token: str, now: datetime) -> AcquirerPage:
    """The payment behind a confirmation token as its page shows it; changes nothing. UnknownToken when none."""
    with store.read(snapshot=False) as conn:
        row = conn.execute(f"{_SELECT} WHERE p.confirm_token = ?", (token,)).fetchone()
    if row is None:
        raise UnknownToken(token)
    return _page(row, now)


def acquirer_answer(store: PortalStore, token: str, action: str, now: datetime,
                    sender: str) -> tuple[bool, AcquirerPage]:
    """The card holder's answer on the page ('pay' or 'cancel'), taken once: (True, the outcome) when this answer
    completed the payment; (False, where it stood) when it was already completed or expired (an expiry is stored
    then). pay: declined by the bank for an amount of the portal's `acquirer.decline_amounts`; else succeeded, its
    allocation worked out again against the bills as they are now, the bills paid (a top-up: the wallet credited),
    its receipt recorded — in one transaction. UnknownToken when no payment has the token."""
    declined = rules.decline_amounts(store.setting(DECLINE_SETTING))

    def work(tx: Connection) -> tuple[bool, AcquirerPage]:
        row = tx.execute(f"{_SELECT} WHERE p.confirm_token = ?", (token,)).fetchone()
        if row is None:
            raise UnknownToken(token)
        stamp = format_instant(now)
        if payment_status(row, now) == ("declined", "expired"):
            if tx.execute("UPDATE payments SET status = 'declined', decline_reason = 'expired', completed_at = ?"
                          " WHERE id = ? AND status = 'pending' RETURNING id", (row["expires_at"], row["id"])
                          ).fetchone() is not None:
                tx.execute("DELETE FROM payment_bills WHERE payment_id = ?", (row["id"],))  # the plan, never applied
            return False, _page(row, now)
        if action == "cancel" or from_kopecks(row["amount_kopecks"]) in declined:
            reason = "cancelled" if action == "cancel" else "declined_by_bank"
            flipped = tx.execute("UPDATE payments SET status = 'declined', decline_reason = ?, completed_at = ?"
                                 " WHERE id = ? AND status = 'pending' AND expires_at > ? RETURNING id",
                                 (reason, stamp, row["id"], stamp)).fetchone()
            if flipped is None:
                return False, _page(row, now)
            tx.execute("DELETE FROM payment_bills WHERE payment_id = ?", (row["id"],))
            return True, _reread(tx, row["id"], now)
        # The one conditional UPDATE that decides who completes it; the rest follows in the same transaction.
        flipped = tx.execute("UPDATE payments SET status = 'succeeded', completed_at = ?"
                             " WHERE id = ? AND status = 'pending' AND expires_at > ? RETURNING id",
                             (stamp, row["id"], stamp)).fetchone()
        if flipped is None:
            return False, _page(row, now)
        amount_k = row["amount_kopecks"]
        if row["kind"] == "top_up":
            tx.execute("INSERT INTO wallets (user_id, balance_kopecks, updated_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (user_id) DO UPDATE SET balance_kopecks = wallets.balance_kopecks"
                       " + excluded.balance_kopecks, updated_at = excluded.updated_at",
                       (row["user_id"], amount_k, stamp))
            parts: list[tuple[str, int]] = []
            advance_k = 0
        else:
            parts, advance_k = rules.allocate(amount_k, _unpaid(tx, row["account_id"], row["bill_id"]))
            _apply(tx, row["id"], parts)
        _succeed(tx, row["id"], row["kind"], row["els"], row["payee_name"], row["payee_inn"], parts, advance_k,
                 amount_k, row["commission_kopecks"], row["method"], row["email"], row["timezone"], now, sender)
        return True, _reread(tx, row["id"], now)

    return store.transact(work)


def _reread(conn: Connection, payment_id: str, now: datetime) -> AcquirerPage:
    return _page(conn.execute(f"{_SELECT} WHERE p.id = ?", (payment_id,)).fetchone(), now)
