"""The houses' owner registers (issue 16): who owns which flat, with what share. Admins keep any house's, a
managing organisation's staff those of the houses it manages; a registered owner linked to a resident's login may
call the house's owners' meetings and vote at them."""

from __future__ import annotations

from collections.abc import Sequence

from gkh.client.core import ClientCore


class Owners(ClientCore):
    def import_owners(self, rows: Sequence[dict], *, dry_run: bool = False) -> dict:
        """Create or update owners by flat and name: each row {"line", "house", "flat", "area", "owner", "share",
        "document", "login"} as the file's cells said them (None: an empty cell). {"created", "updated",
        "unchanged", "rejected": [{"line", "field", "message"}], "warnings"}; a dry run counts the same and stores
        nothing."""
        return self.request("POST", "/owners/batch", json={"rows": list(rows)}, dry_run=dry_run)

    def owners(self, house: str) -> list[dict]:
        """A house's owner register (house: its FIAS GUID or exact address), by flat and owner's name: each
        {"flat", "area", "owner", "share" ("1/2"), "document", "login"}."""
        return list(self.paginate("/owners", {"house": house}))
