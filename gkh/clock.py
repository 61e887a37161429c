"""The one place that reads the clock: GKH_NOW (an ISO instant with its offset) when set, else the real one.

Callers read it once (per request, per command) and pass `now` down.
"""

import os
from datetime import UTC, datetime

from gkh.domain.dates import parse_instant


def current_now() -> datetime:
    """Raises InvalidInput (field GKH_NOW) when GKH_NOW is set but not an instant with an offset."""
    if text := os.environ.get("GKH_NOW"):
        return parse_instant(text, field="GKH_NOW")
    return datetime.now(UTC)
