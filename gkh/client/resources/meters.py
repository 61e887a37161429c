"""Meters and their readings."""

from __future__ import annotations

from gkh.client.core import ClientCore


class Meters(ClientCore):
    def meters(self, account: str | None = None, limit: int | None = None) -> list[dict]:
        """Meters of the accounts I see (or of one of them), following the pages to the end."""
        return list(self.paginate("/meters", {"account": account} if account else None, limit=limit))

    def meter(self, meter: str) -> dict:
        """One meter by its portal id (M-000123) or serial number."""
        return self.request("GET", f"/meters/{self._segment(meter, 'meter')}")

    def submit_reading(
        self, meter: str, values: list[str], *, date: str | None = None, rollover: bool = False, dry_run: bool = False
    ) -> dict:
        """Submit one value per tariff zone: the stored reading with status accepted|replaced|unchanged."""
        body: dict = {"values": values, "rollover": rollover}
        if date is not None:
            body["date"] = date
        return self.request("POST", f"/meters/{self._segment(meter, 'meter')}/readings", json=body, dry_run=dry_run)

    def meter_history(self, meter: str, months: int = 12) -> list[dict]:
        """The last `months` periods' readings with consumption, oldest first."""
        path = f"/meters/{self._segment(meter, 'meter')}/readings"
        return self.request("GET", path, params={"months": months})["items"]
