"""House notifications of outages: hot or cold water, electricity, gas or heating off in a house for a while. The
notices one may see (of one's houses; staff: of the houses the organisation serves), one by id, and the staff's
posting, changing and cancelling."""

from __future__ import annotations

from gkh.client.core import ClientCore

# What a notice may change (PATCH /outages/{id}).
CHANGEABLE = ("start", "end", "text", "topic", "important")


class Outages(ClientCore):
    def outages(self, house: str | None = None, resource: str | None = None, status: str | None = None,
                limit: int | None = None) -> list[dict]:
        """The notices of the houses I may see, newest start first, following the pages to the end: a house (its
        GUID, or an address matching one house), a resource (hot_water, cold_water, electricity, gas, heating),
        a status read now in the house's time zone (upcoming, active, over, cancelled)."""
        query = {k: v for k, v in {"house": house, "resource": resource, "status": status}.items() if v}
        return list(self.paginate("/outages", query or None, limit=limit))

    def outage(self, outage: str) -> dict:
        """One notice by its id (OT-000001)."""
        return self.request("GET", f"/outages/{self._segment(outage, 'id')}")

    def post_outage(self, house: str, resource: str, start: str, end: str, text: str, *, topic: str | None = None,
                    important: bool = False, dry_run: bool = False, idempotency_key: str | None = None) -> dict:
        """Post a notice for a house the organisation serves (staff): `start` and `end` a date (YYYY-MM-DD: the
        start of that day, the end of that day), a local date-time (YYYY-MM-DDTHH:MM) in the house's zone, or an
        instant with an offset; no topic: one the portal words from the resource. The notice; a dry run answers it
        as it would be, storing nothing. One Idempotency-Key for the call and its retries: a retry posts once."""
        body: dict = {"house": house, "resource": resource, "start": start, "end": end, "text": text,
                      "important": important}
        if topic is not None:
            body["topic"] = topic
        return self.request("POST", "/outages", json=body, dry_run=dry_run, idempotency_key=idempotency_key)

    def change_outage(self, outage: str, *, dry_run: bool = False, idempotency_key: str | None = None,
                      **changes: object) -> dict:
        """Change a notice the organisation posted (staff): any of start, end, text, topic, important (None: kept).
        The notice, its version one higher."""
        unknown = set(changes) - set(CHANGEABLE)
        if unknown:
            raise TypeError(f"a notice has no field {', '.join(sorted(unknown))} to change")
        body = {key: value for key, value in changes.items() if value is not None}
        return self.request("PATCH", f"/outages/{self._segment(outage, 'id')}", json=body, dry_run=dry_run,
                            idempotency_key=idempotency_key)

    def cancel_outage(self, outage: str, *, dry_run: bool = False, idempotency_key: str | None = None) -> dict:
        """Cancel a notice the organisation posted (staff): the notice, `cancelled` (again: as it is)."""
        return self.request("POST", f"/outages/{self._segment(outage, 'id')}/cancel", dry_run=dry_run,
                            idempotency_key=idempotency_key)
