"""The portal's API client: `Client` is the engine (core.py) with every noun's routes (resources/*.py).

The same code talks to a portal over HTTP (`Client(url)`) and to one in this process
(`Client.in_process(app, portal_id)`); nothing above this module knows which it has.
"""

from __future__ import annotations

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
from gkh.client.resources.accounts import Accounts
from gkh.client.resources.addresses import Addresses
from gkh.client.resources.admin import Admin
from gkh.client.resources.appeals import Appeals
from gkh.client.resources.batches import Batches
from gkh.client.resources.bills import Bills
from gkh.client.resources.meetings import Meetings
from gkh.client.resources.meters import Meters
from gkh.client.resources.outages import Outages
from gkh.client.resources.owners import Owners
from gkh.client.resources.payments import Payments
from gkh.client.resources.periods import Periods
from gkh.client.resources.portal import PortalSession
from gkh.protocol import API_PREFIX, MAX_PAGE, MAX_URL

__all__ = [
    "API_PREFIX", "MAX_PAGE", "MAX_URL", "MUTATING", "SAFE", "Client", "ClientCore", "Content", "Downloaded",
    "RetryPolicy", "describe_failure", "normalise_base_url", "parse_retry_after",
]


class Client(PortalSession, Addresses, Accounts, Meters, Bills, Payments, Meetings, Appeals, Outages, Batches,
             Admin, Periods, Owners):
    """The portal's API: thin methods returning the JSON the portal sends, typed errors for everything else."""
