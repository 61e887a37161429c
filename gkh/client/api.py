"""The portal's API client: `Client` is the engine (core.py) with every noun's routes (resources/*.py).

The same code talks to a portal over HTTP (`Client(url)`) and to one in this process
(`Client.in_process(app, portal_id)`); nothing above this module knows which it has.
"""

from __future__ import annotations

import errno
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from gkh.client.core import (
    MUTATING,
    SAFE,
    ClientCore,
    Content,
    Downloaded,
    RetryPolicy,
    describe_failure,
    normalise_base_url,
    parse_retry_after,
)
from gkh.client.errors import PortalUnusable
from gkh.client.resources.accounts import Accounts
from gkh.client.resources.addresses import Addresses
from gkh.client.resources.meters import Meters
from gkh.client.resources.portal import PortalSession
from gkh.protocol import API_PREFIX, MAX_PAGE, MAX_URL

__all__ = [
    "API_PREFIX", "MAX_PAGE", "MAX_URL", "MUTATING", "SAFE", "Client", "ClientCore", "Content", "Downloaded",
    "RetryPolicy", "describe_failure", "normalise_base_url", "open_local_portal", "parse_retry_after",
]


class Client(PortalSession, Addresses, Accounts, Meters):
    """The portal's API: thin methods returning the JSON the portal sends, typed errors for everything else."""

    @classmethod
    def for_local(cls, home: Path, now: datetime, **kw: Any) -> Client:
        """A client of the embedded portal under `home`, answering in-process (created with its demo world on first
        use). Moving to the command runtime: it opens the portal and calls Client.in_process."""
        portal = open_local_portal(home, now)
        client = cls.in_process(portal.app, portal.portal_id, on_close=portal.close, **kw)
        client.portal = portal
        return client


def open_local_portal(home: Path, now: datetime) -> Any:
    """The embedded portal under `home`; a folder or database that cannot be used is PortalUnusable (exit 6).

    The one place the client still loads the server (only for local://); it moves to the command runtime.
    """
    from gkh.paths import portal_db
    from gkh.server.local import Portal

    db = portal_db(home)
    try:
        # sqlite's own words for these would be "unable to open database file" or "File exists"
        existing = next((folder for folder in (home, *home.parents) if folder.exists()), home)
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{existing} is not a folder")
        if db.exists() and not db.is_file():
            raise IsADirectoryError(errno.EISDIR, f"{db.name} is not a file")
        return Portal(home, now)
    except (sqlite3.Error, OSError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        reason = reason[:1].lower() + reason[1:]  # "Permission denied" mid-sentence
        raise PortalUnusable(f"the local portal's data at {home} cannot be used: {reason}",
                             code="portal_unusable") from error
