"""Paying an account, my payments and their receipts, my wallet and topping it up."""

from __future__ import annotations

import falcon

from gkh import protocol
from gkh.domain import payments as rules
from gkh.domain.identifiers import normalize_els, normalize_ipd
from gkh.i18n import _
from gkh.server.db import PortalStore
from gkh.server.http import Page, invalid, json_body, optional_text_field, text_field
from gkh.server.idempotency import Mutation, Outcome
from gkh.server.receipts import Postman
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import payments
from gkh.server.services.payments import PaymentRequest


class _Paying(Resource):
    """A resource whose payments record receipts: it delivers them after the commit."""

    def __init__(self, store: PortalStore, postman: Postman):
        super().__init__(store)
        self.postman = postman

    def answer(self, req: falcon.Request, resp: falcon.Response, outcome: Outcome, mutation: Mutation) -> None:
        """The outcome as it is for a dry run; else the payment read again after its receipt's delivery was tried
        (first answer or replayed), so that `receipt` is current and the URL is this request's own."""
        payment_id = outcome.body.get("id")
        if not mutation.dry_run and isinstance(payment_id, str):
            if outcome.body.get("status") == "succeeded":
                self.postman.deliver(self.store, payment_id, req.context.now)
            body = payments.get_payment(self.store, req.context.user, payment_id, req.context.now, req.context.prefix)
            outcome = Outcome(outcome.status, body, outcome.replayed)
        respond(resp, outcome)


def payment_id_of(text: str) -> str:
    """A payment's id as people type it (p-000001): upper case, no surrounding spaces."""
    return text.strip().upper()


def _email(body: dict) -> str | None:
    email = optional_text_field(body, "email")
    return rules.parse_email(email) if email is not None else None


class PaymentList(_Paying):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = Page(req)
        account = req.get_param("account")
        els = normalize_els(account, field="account") if account else None
        status = req.get_param("status")
        if status is not None and status not in payments.STATUSES:
            raise invalid(_("{field} must be one of {choices}").format(
                field="status", choices=", ".join(payments.STATUSES)), "status")
        after = page.cursor_values(list(payments.FIRST), int)
        resp.media = page.result(payments.list_payments(self.store, req.context.user, els, status, page.limit, after,
                                                        req.context.now, req.context.prefix))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Pay an account: by wallet at once (201), by card through the acquirer's page (202 pending)."""
        body = json_body(req)
        account = normalize_els(text_field(body, "account"), field="account")
        method = rules.parse_method(text_field(body, "method"))
        amount = optional_text_field(body, "amount")
        bill = optional_text_field(body, "bill")
        request = PaymentRequest(
            account=account, method=method,
            amount=rules.parse_payment_amount(amount) if amount is not None else None,
            bill=normalize_ipd(bill, field="bill") if bill is not None else None,
            email=_email(body))
        mutation = mutation_of(req, body)
        outcome = payments.pay(self.store, req.context.user, request, req.context.now, req.context.prefix,
                               self.postman.sender, mutation)
        self.answer(req, resp, outcome, mutation)


class PaymentItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        resp.media = payments.get_payment(self.store, req.context.user, payment_id_of(path["id"]), req.context.now,
                                          req.context.prefix)


class PaymentReceipt(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """The receipt as it was e-mailed: the stored RFC 5322 message."""
        number, message = payments.get_receipt(self.store, req.context.user, payment_id_of(path["id"]))
        name = f"{number}.eml"
        resp.content_type = "message/rfc822"
        resp.set_header(protocol.FILE_NAME, protocol.encode_file_name(name))
        resp.set_header("Content-Disposition", f'attachment; filename="{name}"')
        resp.data = message


class Wallet(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = payments.wallet(self.store, req.context.user)


class WalletTopUps(_Paying):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Top the wallet up: a card payment without commission, pending until confirmed on the acquirer's page."""
        body = json_body(req)
        amount = rules.parse_payment_amount(text_field(body, "amount"))
        mutation = mutation_of(req, body)
        outcome = payments.top_up(self.store, req.context.user, amount, _email(body), req.context.now,
                                  req.context.prefix, mutation)
        self.answer(req, resp, outcome, mutation)
