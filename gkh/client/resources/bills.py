"""Bills (ЕПД, payment documents): the ones the caller sees, one by its ИПД; bills imported from accounting."""

from __future__ import annotations

from collections.abc import Sequence

from gkh.client.core import ClientCore


class Bills(ClientCore):
    def bills(self, account: str | None = None, unpaid: bool = False, limit: int | None = None) -> list[dict]:
        """Bills of the accounts I see (or of one of them, by ЕЛС), newest period first, following the pages to
        the end; `unpaid` keeps those with something still due."""
        query: dict[str, str] = {}
        if account:
            query["account"] = account
        if unpaid:
            query["unpaid"] = "true"
        return list(self.paginate("/bills", query or None, limit=limit))

    def bill(self, bill: str) -> dict:
        """One bill by its ИПД (77ЕЖ532838-01-2610, hyphens optional)."""
        return self.request("GET", f"/bills/{self._segment(bill, 'id')}")

    def import_bills(self, rows: Sequence[dict], *, dry_run: bool = False) -> dict:
        """Create or update bills from accounting (admins; staff for their organisation's accounts): each row, a
        line of a bill, {"line", "account", "period", "service", "zone", "volume", "unit", "tariff", "amount",
        "due_date"} as the file's cells said them (None: an empty cell). {"created", "updated", "unchanged",
        "rejected": [{"line", "field", "message"}], "warnings"}, a row each; a dry run counts the same and stores
        nothing."""
        return self.request("POST", "/bills/batch", json={"rows": list(rows)}, dry_run=dry_run)
