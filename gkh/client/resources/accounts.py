"""Personal accounts: the ones the caller sees, linking and unlinking."""

from __future__ import annotations

from gkh.client.core import ClientCore


class Accounts(ClientCore):
    def accounts(self, limit: int | None = None) -> list[dict]:
        """The personal accounts the caller sees."""
        return list(self.paginate("/accounts", limit=limit))

    def account(self, els: str) -> dict:
        """One of the caller's accounts by ЕЛС."""
        return self.request("GET", f"/accounts/{self._segment(els, 'account')}")

    def link_account(
        self,
        house: str,
        *,
        payer: str | None = None,
        last_bill: str | None = None,
        number: str | None = None,
        els: str | None = None,
        izhku: str | None = None,
        org: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """Link the account at `house` named by number, ЕЛС or ИЖКУ (and org's ИНН if several), proved by what its
        bill shows — the payer's surname, the total of its last bill (`last_bill`, "4312.85"), or both: {status,
        account} (a dry run's account is None: nothing is shown before)."""
        body = {"house": house, "number": number, "els": els, "izhku": izhku, "payer": payer, "org": org,
                "last_bill": last_bill}
        return self.request(
            "POST", "/accounts/links", json={k: v for k, v in body.items() if v is not None}, dry_run=dry_run
        )

    def unlink_account(self, els: str, dry_run: bool = False) -> dict:
        """Unlink one of my accounts: {status, account}."""
        return self.request("DELETE", f"/accounts/links/{self._segment(els, 'account')}", dry_run=dry_run)
