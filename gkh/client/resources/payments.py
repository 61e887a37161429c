"""Payments and the wallet: paying an account's bills by wallet or card, the payments made, their receipts, the
wallet's balance and its top-ups, and the test acquirer's confirmation page (for the embedded demo portal)."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from gkh.client.core import ClientCore, describe_failure
from gkh.client.errors import InvalidRequest, Unreachable, error_from_response
from gkh.i18n import _

ACQUIRER_PATH = "/acquirer/"  # where the portal's test acquirer serves its confirmation pages
ACQUIRER_ACTIONS = ("pay", "cancel")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Payments(ClientCore):
    def pay(
        self,
        account: str,
        method: str,
        *,
        amount: str | None = None,
        bill: str | None = None,
        email: str | None = None,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> dict:
        """Pay an account (its ЕЛС) by `method` (wallet or card): `amount` as a decimal string ("1234.56"; omitted:
        everything due, or the one bill's due with `bill`), to one bill (its ИПД) or the oldest unpaid first.

        A dry run answers the quote (status "quote": the bills, the commission, the total) and charges nothing.
        The call's one Idempotency-Key (`idempotency_key`, else a fresh one) is sent on every retry, so the portal
        charges once whatever is retried; a caller that must survive its own end passes a key it kept."""
        body = {"account": account, "method": method, "amount": amount, "bill": bill, "email": email}
        return self.request("POST", "/payments", json={k: v for k, v in body.items() if v is not None},
                            dry_run=dry_run, idempotency_key=idempotency_key)

    def payments(self, account: str | None = None, status: str | None = None, limit: int | None = None) -> list[dict]:
        """The payments I made (staff: those to the organisation), newest first, following the pages to the end."""
        query = {k: v for k, v in {"account": account, "status": status}.items() if v}
        return list(self.paginate("/payments", query or None, limit=limit))

    def payment(self, payment: str) -> dict:
        """One payment by its id (P-000001)."""
        return self.request("GET", f"/payments/{self._segment(payment, 'id')}")

    def payment_receipt(self, payment: str) -> bytes:
        """The payment's receipt: the e-mail's RFC 5322 bytes as stored (an .eml file's contents)."""
        return self.get_bytes(f"/payments/{self._segment(payment, 'id')}/receipt", accept="message/rfc822",
                              expect="message/rfc822")

    def wallet(self) -> dict:
        """My wallet: {balance, operator, updated_at}."""
        return self.request("GET", "/wallet")

    def top_up(self, amount: str, *, email: str | None = None, dry_run: bool = False,
               idempotency_key: str | None = None) -> dict:
        """Top the wallet up by card: a pending payment of kind top_up with its confirmation_url (a dry run: the
        quote). One Idempotency-Key for the call and its retries, as for `pay`."""
        body = {"amount": amount, "email": email}
        return self.request("POST", "/wallet/top-ups", json={k: v for k, v in body.items() if v is not None},
                            dry_run=dry_run, idempotency_key=idempotency_key)

    def confirm_on_acquirer(self, confirmation_url: str, action: str = "pay") -> None:
        """Press a card payment's button on the portal's test acquirer page: POST its form (`action` pay or cancel)
        as a browser would, without the bearer token (the page's token in its URL is the only key), and only to
        this client's own portal: a URL of any other origin is refused before anything is sent.

        A page answered already (410) is not an error: the payment's own status says how it ended."""
        if action not in ACQUIRER_ACTIONS:
            raise ValueError(f"action must be one of {ACQUIRER_ACTIONS}, not {action!r}")
        url = self._acquirer_url(confirmation_url)
        headers = {"User-Agent": self._headers["User-Agent"], "Accept": "text/html"}
        for attempt in range(1, self.retry.attempts + 1):
            try:
                # auth given as a no-op: no Authorization header, and requests never reads ~/.netrc for it.
                response = self.session.post(url, data={"action": action}, headers=headers, auth=_no_auth,
                                             timeout=(self.timeout, self.timeout), allow_redirects=False)
            except requests.exceptions.RequestException as failure:
                # The form works once: a retry after a lost answer finds it answered (410), which is fine.
                if attempt == self.retry.attempts or not isinstance(
                        failure, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
                    raise Unreachable(_("cannot reach {host}: {cause}").format(
                        host=self._shown_host, cause=describe_failure(failure, self.timeout)),
                        code="unreachable") from failure
                self.retry.sleep(self.retry.delay(attempt))
                continue
            with response:
                if 200 <= response.status_code < 300 or response.status_code == 410:
                    return
                if response.status_code >= 500 and attempt < self.retry.attempts:
                    self.retry.sleep(self.retry.delay(attempt))
                    continue
                raise error_from_response(response.status_code, response.content, response.headers)

    def _acquirer_url(self, confirmation_url: str) -> str:
        """The confirmation URL, if it is a page of this client's own portal's acquirer (same scheme, host, port,
        under its path); else an InvalidRequest, nothing sent."""
        refused = InvalidRequest(_("the confirmation URL {url} is not a page of this portal ({host}): it was not "
                                   "opened").format(url=repr(str(confirmation_url)[:200]), host=self._shown_host),
                                 code="invalid_url", field="confirmation_url")
        try:
            given, own = urlsplit(str(confirmation_url)), urlsplit(self.base_url)
            given_port = given.port or _DEFAULT_PORTS.get(given.scheme.lower())
            own_port = own.port or _DEFAULT_PORTS.get(own.scheme.lower())
        except ValueError:
            raise refused from None
        if (given.scheme.lower(), (given.hostname or "").lower(), given_port) != \
                (own.scheme.lower(), (own.hostname or "").lower(), own_port) \
                or given.username is not None or given.password is not None or given.query or given.fragment:
            raise refused
        path = given.path
        token = path[len(own.path.rstrip("/") + ACQUIRER_PATH):]
        if not path.startswith(own.path.rstrip("/") + ACQUIRER_PATH) or not token or "/" in token \
                or not token.isascii() or not token.isprintable():
            raise refused
        return f"{self.base_url}{ACQUIRER_PATH}{token}"


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request
