"""The portal's test acquirer: the card payment's confirmation page, reached by the one-time token in its URL.

Public (no bearer token: the token is the secret), plain HTML in Russian as a bank's page would be, no JavaScript:
the payee, the account, the amount, the commission and the total, and two forms that POST "pay" or "cancel". A GET
never changes anything; the first POST decides, any later one gets 410. Every answer of these routes, its errors
too, is an HTML page, never cached and never sent as a referrer.
"""

from __future__ import annotations

import logging
import re
from html import escape

import falcon

from gkh.domain.payments import format_roubles
from gkh.server.db import Busy, PortalStore
from gkh.server.receipts import Postman
from gkh.server.routes.base import Resource
from gkh.server.services import payments
from gkh.server.services.payments import AcquirerPage, UnknownToken

log = logging.getLogger("gkh.server")

MAX_FORM = 1024  # "action=cancel" is all a form sends
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")  # secrets.token_urlsafe(32): 43 characters
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
                               " frame-ancestors 'none'; base-uri 'none'",
}
_STYLE = """
body { font-family: system-ui, sans-serif; background: #f3f4f6; color: #111; margin: 0; }
main { max-width: 28rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: .5rem; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .4rem 1rem; }
dt { color: #555; } dd { margin: 0; font-weight: 600; } .sum { white-space: nowrap; }
form { display: inline-block; margin: 1rem 1rem 0 0; }
button { font-size: 1rem; padding: .6rem 1.4rem; border-radius: .4rem; border: 1px solid #888; cursor: pointer; }
#pay { background: #1a7f37; color: #fff; border-color: #1a7f37; }
small { color: #666; }
"""
WALLET = "Пополнение кошелька „Виртуальный мир“"
_OUTCOMES = {  # (status, reason) → the heading saying it
    ("succeeded", None): "Оплата прошла",
    ("declined", "declined_by_bank"): "Платёж отклонён банком",
    ("declined", "cancelled"): "Платёж отменён",
    ("declined", "expired"): "Время на подтверждение платежа истекло",
}
_ALREADY = {
    ("succeeded", None): "Этот платёж уже проведён",
    ("declined", "declined_by_bank"): "Этот платёж уже отклонён банком",
    ("declined", "cancelled"): "Этот платёж уже отменён",
    ("declined", "expired"): "Время на подтверждение этого платежа истекло",
}


def _document(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def _sum(amount) -> str:
    return f'<span class="sum">{escape(format_roubles(amount))}</span>'


def _details(page: AcquirerPage) -> str:
    if page.kind == "top_up":
        rows = [("Назначение", "purpose", escape(WALLET))]
    else:
        rows = [("Получатель", "payee", escape(page.payee_name or "")), ("ИНН", "inn", escape(page.payee_inn or "")),
                ("Лицевой счёт", "account", escape(page.account or ""))]
    rows += [("Сумма", "amount", _sum(page.amount)), ("Комиссия", "commission", _sum(page.commission)),
             ("Итого к оплате", "total", _sum(page.total))]
    items = "\n".join(f'<dt>{label}</dt><dd id="{key}">{value}</dd>' for label, key, value in rows)
    return f"<dl>\n{items}\n</dl>\n<p><small>Платёж {escape(page.payment_id)}</small></p>"


def confirmation_page(page: AcquirerPage, action: str) -> str:
    forms = "\n".join(
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="action" value="{value}">'
        f'<button type="submit" id="{value}">{label}</button></form>'
        for value, label in (("pay", "Оплатить"), ("cancel", "Отмена")))
    return _document("Подтверждение оплаты", f"<h1>Подтверждение оплаты картой</h1>\n{_details(page)}\n{forms}")


def outcome_page(page: AcquirerPage, headings: dict) -> str:
    heading = headings.get((page.state, page.reason), page.state)
    body = (f'<h1 id="outcome" data-status="{escape(page.state)}">{escape(heading)}</h1>\n{_details(page)}\n'
            "<p>Эту страницу можно закрыть.</p>")
    return _document(heading, body)


def message_page(title: str, text: str) -> str:
    return _document(title, f"<h1>{escape(title)}</h1>\n<p>{escape(text)}</p>")


class Acquirer(Resource):
    public = True  # reached by the token in its URL, without a bearer token

    def __init__(self, store: PortalStore, postman: Postman):
        super().__init__(store)
        self.postman = postman

    @staticmethod
    def _send(resp: falcon.Response, status: int, html: str) -> None:
        resp.status = falcon.code_to_http_status(status)
        resp.content_type = falcon.MEDIA_HTML  # text/html; charset=utf-8
        resp.text = html
        for name, value in HEADERS.items():
            resp.set_header(name, value)

    def _guarded(self, req: falcon.Request, resp: falcon.Response, token: str, handler) -> None:
        """Run the handler; whatever goes wrong is answered as a page too, not as the API's JSON."""
        try:
            if not _TOKEN_RE.match(token):
                raise UnknownToken(token)
            handler(token)
        except UnknownToken:
            self._send(resp, 404, message_page("Страница оплаты не найдена",
                                               "Ссылка неверна или устарела. Вернитесь в приложение и начните оплату"
                                               " заново."))
        except Busy:
            log.warning("busy in %s /acquirer/…", req.method)
            self._send(resp, 503, message_page("Сервис занят", "Повторите попытку через несколько секунд."))
            resp.set_header("Retry-After", "1")
        except falcon.HTTPError as error:
            self._send(resp, error.status_code, message_page("Запрос не принят",
                                                             "Страница получила запрос, который не может обработать."))
        except Exception:
            log.exception("unexpected error in %s /acquirer/…", req.method)  # never the token: it is the secret
            self._send(resp, 500, message_page("Ошибка", "Не удалось обработать запрос. Попробуйте позже."))

    def on_get(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        """The page: the payment to confirm, or (410) the outcome it already has. Changes nothing."""
        def show(token: str) -> None:
            page = payments.acquirer_page(self.store, token, req.context.now)
            if page.state != "pending":
                self._send(resp, 410, outcome_page(page, _ALREADY))
            else:
                self._send(resp, 200, confirmation_page(page, f"{req.root_path}/acquirer/{token}"))

        self._guarded(req, resp, token, show)

    def on_post(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        """The card holder's answer: action=pay or action=cancel, taken once."""
        def answer(token: str) -> None:
            if req.content_length is not None and req.content_length > MAX_FORM:
                raise falcon.HTTPContentTooLarge()
            if req.content_length and not (req.content_type or "").startswith(falcon.MEDIA_URLENCODED):
                raise falcon.HTTPUnsupportedMediaType()  # a form, as the page's buttons send it; nothing else
            form = req.get_media() if req.content_length else {}
            action = form.get("action") if isinstance(form, dict) else None
            if action not in ("pay", "cancel"):
                self._send(resp, 400, message_page("Запрос не принят", "Нажмите «Оплатить» или «Отмена»."))
                return
            done, page = payments.acquirer_answer(self.store, token, action, req.context.now, self.postman.sender)
            if not done:
                self._send(resp, 410, outcome_page(page, _ALREADY))
                return
            if page.state == "succeeded":
                self.postman.deliver(self.store, page.payment_id, req.context.now)
            self._send(resp, 200, outcome_page(page, _OUTCOMES))

        self._guarded(req, resp, token, answer)
