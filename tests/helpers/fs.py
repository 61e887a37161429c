"""File permissions as the tests check them."""

from __future__ import annotations

import os
import stat


def mode(path) -> int:
    """A file's permission bits (0o600, 0o700, …)."""
    return stat.S_IMODE(os.stat(path).st_mode)
