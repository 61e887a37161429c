"""Closed periods: a house's month of readings made final (issue 16). Admins close any house's, staff those of the
houses their organisation serves; a reading of a closed period is refused (period_closed)."""

from __future__ import annotations

from gkh.client.core import ClientCore


class Periods(ClientCore):
    def close_period(self, house: str, period: str, *, dry_run: bool = False) -> dict:
        """Close a house's period (house: its FIAS GUID or exact address; period: "2026-11"): {"house": {"guid",
        "address"}, "period", "closed_at", "closed_by", "status": "closed"}; again: "unchanged", as closed then.
        Refused: period_in_future (a month not yet begun in the house's zone), house_not_found (another
        organisation's house, for staff)."""
        return self.request("POST", "/periods/close", json={"house": house, "period": period}, dry_run=dry_run)

    def closed_periods(self, house: str) -> list[dict]:
        """The closed periods of a house, newest first: each {"period", "closed_at", "closed_by", …}."""
        return list(self.paginate("/periods", {"house": house}))
