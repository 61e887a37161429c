"""What every resource shares: the store its services work on, and turning a request into a mutation and
an outcome into a response."""

from __future__ import annotations

from typing import Any

import falcon

from gkh import protocol
from gkh.server.db import PortalStore
from gkh.server.http import flag
from gkh.server.idempotency import Mutation, Outcome, request_hash


class Resource:
    """A route's resource: it parses the request, calls a service on its store, and shapes the answer."""

    public = False  # True: answers without a bearer token

    def __init__(self, store: PortalStore):
        self.store = store


def mutation_of(req: falcon.Request, body: Any) -> Mutation:
    """The request's dry_run flag (400 when malformed) and Idempotency-Key (checked by run_mutation), with what
    the key is for."""
    key = req.get_header(protocol.IDEMPOTENCY_KEY)
    return Mutation(dry_run=flag(req, protocol.DRY_RUN_PARAM), key=key,
                    request_hash=request_hash(req.method, req.path, req.params, body) if key is not None else "")


def respond(resp: falcon.Response, outcome: Outcome) -> None:
    resp.status = falcon.code_to_http_status(outcome.status)
    resp.media = outcome.body
    if outcome.replayed:
        resp.set_header(protocol.IDEMPOTENT_REPLAYED, "true")
