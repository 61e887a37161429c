"""Exactly once: mutating requests with an Idempotency-Key are claimed, done, stored and replayed.

The claim is made in a short transaction of its own, with a lease; the work and the stored
response commit together in a second one. A repeat gets the stored response; a repeat during a
live claim gets 409 in_progress; a claim whose lease ran out (its worker died) is taken over; the
same key with another request is refused. Claims live in SQLite, so processes sharing one
portal see each other's.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import falcon

from gkh.domain.dates import format_instant
from gkh.server.db import Store
from gkh.server.http import ApiError, flag, invalid

LEASE = timedelta(seconds=60)
KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255

Work = Callable[[sqlite3.Connection], tuple[int, dict[str, Any]]]


def _request_hash(req: falcon.Request, body: Any) -> str:
    query = sorted((k, v) for k, v in req.params.items() if k != "dry_run")
    canonical = json.dumps([req.method, req.path, query, body], sort_keys=True, ensure_ascii=False)
    # surrogatepass: hashing must never fail, even on text json_body would refuse.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _respond(resp: falcon.Response, status: int, body: dict[str, Any]) -> None:
    resp.status = falcon.code_to_http_status(status)
    resp.media = body


def run_mutation(store: Store, req: falcon.Request, resp: falcon.Response, user_id: int, body: Any, work: Work) -> None:
    """Run `work` in one write transaction, honouring dry_run and the Idempotency-Key."""
    now = req.context.now
    key = req.get_header("Idempotency-Key")
    # Checked even when a dry run ignores it: a malformed key is the client's bug either way.
    if key is not None and (not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable()):
        raise invalid(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable ASCII characters", "Idempotency-Key")
    if flag(req, "dry_run"):
        with store.write(commit=False) as tx:
            status, result = work(tx)
        _respond(resp, status, {**result, "dry_run": True})
        return
    if key is None:
        with store.write() as tx:
            status, result = work(tx)
        _respond(resp, status, result)
        return

    request_hash = _request_hash(req, body)
    with store.write() as tx:
        tx.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (format_instant(now - KEEP),))
        claim = tx.execute(
            "SELECT request_hash, lease_until, status, response FROM idempotency_keys WHERE user_id = ? AND key = ?",
            (user_id, key),
        ).fetchone()
        if claim is None:
            tx.execute(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, lease_until, created_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, key, request_hash, format_instant(now + LEASE), format_instant(now)),
            )
        elif claim["request_hash"] != request_hash:
            raise ApiError(
                422, "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request", "Idempotency-Key",
            )
        elif claim["response"] is not None:
            _respond(resp, claim["status"], json.loads(claim["response"]))
            resp.set_header("Idempotent-Replayed", "true")
            return
        elif claim["lease_until"] > format_instant(now):
            raise ApiError(
                409, "in_progress", "a request with this Idempotency-Key is still being processed; retry shortly",
                "Idempotency-Key", headers={"Retry-After": "1"},
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
                "UPDATE idempotency_keys SET status = ?, response = ?, lease_until = NULL WHERE user_id = ? AND key = ?",
                (status, json.dumps(result, ensure_ascii=False), user_id, key),
            )
    except BaseException:
        # Nothing was done: free the key so a retry with it can run afresh.
        with store.write() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND response IS NULL", (user_id, key)
            )
        raise
    _respond(resp, status, result)
