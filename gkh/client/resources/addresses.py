"""Addresses and houses: the portal's address directory."""

from __future__ import annotations

from gkh.client.core import ClientCore


class Addresses(ClientCore):
    def search_addresses(self, query: str, limit: int | None = None) -> list[dict]:
        """Houses whose address matches `query` (e.g. "ленина 5"), sorted by address."""
        return list(self.paginate("/addresses", {"q": query}, limit=limit))

    def house(self, guid: str) -> dict:
        """A house's passport by FIAS GUID."""
        return self.request("GET", f"/houses/{self._segment(guid, 'house')}")
