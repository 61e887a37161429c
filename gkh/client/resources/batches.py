"""Batch work from CSV files (issue 15): a chunk of personal accounts to create or update, a chunk of meter
readings to submit. One POST per chunk, its Idempotency-Key made once and reused on that chunk's retries (the
core does this): the portal stores a chunk once however often the answer is lost."""

from __future__ import annotations

from collections.abc import Sequence

from gkh.client.core import ClientCore

# At most this many rows in one request (the portal refuses more).
MAX_BATCH = 1000


class Batches(ClientCore):
    def import_accounts(self, rows: Sequence[dict], *, dry_run: bool = False) -> dict:
        """Create or update the organisation's accounts (staff): each row {"line", "house", "flat", "number",
        "els", "area", "share", "payer", "kind", "meter_serial", "meter_resource", "meter_zones"} as the file's
        cells said them. {"created", "updated", "unchanged", "rejected": [{"line", "field", "message"}],
        "warnings"}; a dry run counts the same and stores nothing."""
        return self.request("POST", "/accounts/batch", json={"rows": list(rows)}, dry_run=dry_run)

    def submit_readings(self, rows: Sequence[dict], *, dry_run: bool = False) -> dict:
        """Submit many readings (residents: of their accounts' meters; staff: of the organisation's): each row
        {"line", "meter", "T1", "T2", "T3", "date"}. The same answer as import_accounts: created = accepted,
        updated = replaced, warnings for suspicious jumps (the reading stored)."""
        return self.request("POST", "/readings/batch", json={"rows": list(rows)}, dry_run=dry_run)

    def import_houses(self, rows: Sequence[dict], *, dry_run: bool = False) -> dict:
        """Create or update the portal's houses (admins): each row {"line", "guid", "address", "town", "oktmo",
        "region", "timezone", "window_from", "window_to", "managing_org", "year_built", "floors", "entrances",
        "total_area", "living_area", "condition", "energy_class"} as the file's cells said them (None: an empty
        cell, which keeps what is stored). The same answer as import_accounts, upserted on the FIAS GUID."""
        return self.request("POST", "/admin/houses/batch", json={"rows": list(rows)}, dry_run=dry_run)
