"""Exactly once: mutations with an Idempotency-Key are claimed, done, stored and replayed.

The claim is made in a short transaction of its own, with a lease; the work and the stored
response commit together in a second one. A repeat gets the stored response; a repeat during a
live claim gets 409 in_progress; a claim whose lease ran out (its worker died) is taken over; the
same key with another request is refused. Claims live in the database, so processes sharing one
portal see each other's.

The work is a function of the open write transaction, because the response is stored in the same
transaction as the change: a service builds that function and hands it to run_mutation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gkh import protocol
from gkh.domain.dates import format_instant
from gkh.domain.errors import Refused
from gkh.server.db import Connection, PortalStore
from gkh.server.http import ApiError, invalid

LEASE = timedelta(seconds=60)
KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255

# The change itself, in the transaction it is given: (HTTP status, the answer's body).
Work = Callable[[Connection], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Mutation:
    """How a change is asked for: only tried (a dry run, committing nothing), and under which Idempotency-Key
    (with the hash of the request it was first used for). The default is a plain change."""

    dry_run: bool = False
    key: str | None = None
    request_hash: str = ""


PLAIN = Mutation()  # a change committed at once, without a key


@dataclass(frozen=True)
class Outcome:
    """A mutation's answer: its status and body, and whether it was replayed from a stored response."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def request_hash(method: str, path: str, query: Mapping[str, Any], body: Any) -> str:
    """What must match for a key to be used again: the method, path, query (but dry_run) and body."""
    params = sorted((k, v) for k, v in query.items() if k != protocol.DRY_RUN_PARAM)
    canonical = json.dumps([method, path, params, body], sort_keys=True, ensure_ascii=False)
    # surrogatepass: hashing must never fail, even on text json_body would refuse.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def check_key(key: str | None) -> None:
    """400 for a key that is not 1–255 printable ASCII characters (None: no key, nothing to check)."""
    if key is not None and (not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable()):
        raise invalid(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable ASCII characters", "Idempotency-Key")


def run_mutation(store: PortalStore, user_id: int, now: datetime, mutation: Mutation, work: Work) -> Outcome:
    """Run `work` in one write transaction, honouring the dry run and the Idempotency-Key."""
    key = mutation.key
    check_key(key)  # even when a dry run ignores it: a malformed key is the client's bug either way
    if mutation.dry_run:
        with store.write(commit=False) as tx:
            status, result = work(tx)
        return Outcome(status, {**result, "dry_run": True})
    if key is None:
        with store.write() as tx:
            status, result = work(tx)
        return Outcome(status, result)

    with store.write() as tx:
        tx.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (format_instant(now - KEEP),))
        claim = tx.execute(
            "SELECT request_hash, lease_until, status, response FROM idempotency_keys WHERE user_id = ? AND key = ?"
            + store.dialect.for_update,
            (user_id, key),
        ).fetchone()
        if claim is None:
            tx.execute(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, lease_until, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (user_id, key, mutation.request_hash, format_instant(now + LEASE), format_instant(now)),
            )
        elif claim["request_hash"] != mutation.request_hash:
            raise Refused("idempotency_key_reused", "this Idempotency-Key was already used for a different request",
                          "Idempotency-Key")
        elif claim["response"] is not None:
            return Outcome(claim["status"], json.loads(claim["response"]), replayed=True)
        elif claim["lease_until"] > format_instant(now):
            raise ApiError(
                409, protocol.IN_PROGRESS,
                "a request with this Idempotency-Key is still being processed; retry shortly",
                "Idempotency-Key", headers={protocol.RETRY_AFTER: "1"},
            )
        else:  # the worker that claimed it died: take the claim over
            tx.execute(
                "UPDATE idempotency_keys SET lease_until = ? WHERE user_id = ? AND key = ?",
                (format_instant(now + LEASE), user_id, key),
            )

    try:
        with store.write() as tx:
            status, result = work(tx)
            tx.execute(
                "UPDATE idempotency_keys SET status = ?, response = ?, lease_until = NULL"
                " WHERE user_id = ? AND key = ?",
                (status, json.dumps(result, ensure_ascii=False), user_id, key),
            )
    except BaseException:
        # Nothing was done: free the key so a retry with it can run afresh.
        with store.write() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND response IS NULL", (user_id, key)
            )
        raise
    return Outcome(status, result)
