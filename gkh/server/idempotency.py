"""Exactly once: mutations with an Idempotency-Key are claimed, done, stored and replayed.

The claim is made in a short transaction of its own (deciding only on the rows it locks), with a
lease; the work and the stored response commit together in a second one. A repeat gets the stored
response; a repeat during a live claim gets 409 in_progress; the same key with another request is refused.
Claims live in the database, so processes sharing one portal see each other's.

A claim belongs to the process that made it (its holder: the machine and process namespace, the pid, when
the kernel started that process, a token of the process's own). A claim whose process is gone — killed in
the middle of the work — is taken over at once by the next request with the key; one whose process cannot be
looked at (another machine sharing a PostgreSQL portal) when its lease has run out. The lease counts real
time, never the portal's clock (which GKH_NOW may freeze).

The work is a function of the open write transaction, because the response is stored in the same
transaction as the change: a service builds that function and hands it to run_mutation.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gkh import protocol
from gkh.domain.dates import format_instant
from gkh.domain.errors import Refused
from gkh.i18n import N_, _
from gkh.server.db import Connection, Dialect, PortalStore
from gkh.server.http import ApiError, invalid

LEASE = timedelta(seconds=60)  # real time: a claim whose holder cannot be looked at is taken over after it
KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255
_STILL_RUNNING = N_("a request with this Idempotency-Key is still being processed; retry shortly")

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


def real_now() -> datetime:
    """The real time a lease is counted in (not the portal's clock: a frozen GKH_NOW must not make a claim
    last for ever)."""
    return datetime.fromtimestamp(time.time(), UTC)


@dataclass(frozen=True)
class Holder:
    """The process claiming keys: where it runs (this boot of this machine and its process namespace), its pid,
    the kernel's start time of that pid, and a token of its own (a restarted container's server has the same
    pid 1 as the one killed)."""

    place: str
    pid: int
    started: str
    token: str

    def text(self) -> str:
        return f"{self.place} {self.pid} {self.started or '-'} {self.token}"


_holder: Holder | None = None
_holder_lock = threading.Lock()


def this_process() -> Holder:
    """The holder of this process's claims (a forked worker is a holder of its own): one for all its threads.
    Made under a lock: two threads of a new worker making one each would hold claims under two tokens, and each
    would take the other's claim for that of a process gone — and do the same work twice."""
    global _holder
    pid = os.getpid()
    holder = _holder
    if holder is None or holder.pid != pid:
        with _holder_lock:
            if _holder is None or _holder.pid != pid:
                _holder = Holder(_place(), pid, _started(pid), secrets.token_hex(8))
            holder = _holder
    return holder


def _fresh_lock_in_child() -> None:
    global _holder_lock
    _holder_lock = threading.Lock()  # forked while another thread held it, the child's copy would stay held


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_fresh_lock_in_child)


def _place() -> str:
    """This boot of this machine and this process namespace: where a pid names one process (Linux); elsewhere
    the host's name."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            return f"{boot.read().strip()}:{os.readlink('/proc/self/ns/pid')}".replace(" ", "")
    except OSError:
        return socket.gethostname().replace(" ", "") or "-"


def _started(pid: int) -> str:
    """When the kernel started process `pid` (clock ticks since boot, /proc/PID/stat's 22nd field); "" where
    that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode("ascii")
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


def _ended(pid: int) -> bool:
    """Whether process `pid` has ended and only waits to be reaped (a zombie: /proc/PID/stat's state Z or X)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def holder_gone(text: str | None) -> bool:
    """Whether the process that holds a claim is known to be gone: it ran here (this machine's boot, this process
    namespace) and no process has its pid now, or only a zombie does, or another one does (started at another
    moment, or this very process under another token). A holder elsewhere, or none recorded, is not known to be
    gone."""
    parts = (text or "").split(" ")
    if len(parts) != 4 or not parts[1].isdigit():
        return False
    place, pid_text, started, token = parts
    me = this_process()
    if place != me.place:
        return False
    pid = int(pid_text)
    if pid == me.pid:
        return token != me.token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    if _ended(pid):  # killed, only not reaped yet: its parent died with it, and init reaps late or never
        return True
    now_started = _started(pid)
    return started != "-" and now_started != "" and now_started != started


def request_hash(method: str, path: str, query: Mapping[str, Any], body: Any) -> str:
    """What must match for a key to be used again: the method, path, query (but dry_run) and body."""
    params = sorted((k, v) for k, v in query.items() if k != protocol.DRY_RUN_PARAM)
    canonical = json.dumps([method, path, params, body], sort_keys=True, ensure_ascii=False)
    # surrogatepass: hashing must never fail, even on text json_body would refuse.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def check_key(key: str | None) -> None:
    """400 for a key that is not 1–255 printable ASCII characters (None: no key, nothing to check)."""
    if key is not None and (not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable()):
        raise invalid(_("Idempotency-Key must be 1–{max} printable ASCII characters").format(max=MAX_KEY_LENGTH),
                      "Idempotency-Key")


def run_mutation(store: PortalStore, user_id: int, now: datetime, mutation: Mutation, work: Work) -> Outcome:
    """Run `work` in one write transaction, honouring the dry run and the Idempotency-Key."""
    key = mutation.key
    check_key(key)  # even when a dry run ignores it: a malformed key is the client's bug either way
    if mutation.dry_run:
        def tried(tx: Connection) -> Outcome:
            status, result = work(tx)
            return Outcome(status, {**result, "dry_run": True})

        return store.transact(tried, commit=False)
    if key is None:
        return Outcome(*store.transact(work))

    # The claim need not wait for the disk: lost to a power cut with the work not done, the retry claims again.
    replay = store.transact(lambda tx: _claim(tx, store.dialect, user_id, key, mutation.request_hash, now,
                                              real_now()), row_locks=True, durable=False)
    if replay is not None:
        return replay

    def done(tx: Connection) -> Outcome:
        status, result = work(tx)
        tx.execute(
            "UPDATE idempotency_keys SET status = ?, response = ?, lease_until = NULL WHERE user_id = ? AND key = ?",
            (status, json.dumps(result, ensure_ascii=False), user_id, key),
        )
        return Outcome(status, result)

    try:
        return store.transact(done)
    except BaseException:
        # Nothing was done: free the key so a retry with it can run afresh.
        store.transact(lambda tx: tx.execute(
            "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND response IS NULL", (user_id, key)
        ), row_locks=True, durable=False)
        raise


def _claim(tx: Connection, dialect: Dialect, user_id: int, key: str, request_hash: str,
           now: datetime, real: datetime) -> Outcome | None:
    """Claim the key for this request (None: go on and do the work), or answer from the claim already made.
    `now` is the portal's clock (when the key was first used, for KEEP), `real` the real time (the lease).

    Decided on rows it locks alone, so it is correct at READ COMMITTED with any number of processes: the
    INSERT … ON CONFLICT claims a new key atomically; an existing claim is read FOR UPDATE (the row then stays
    as read until this transaction ends), and one whose holder is gone or whose lease lapsed is taken over.
    """
    tx.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (format_instant(now - KEEP),))
    lease_until = format_instant(real + LEASE)
    holder = this_process().text()
    claimed = tx.execute(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, lease_until, holder, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING RETURNING key",
        (user_id, key, request_hash, lease_until, holder, format_instant(now)),
    ).fetchone()
    if claimed is not None:
        return None
    claim = tx.execute(
        "SELECT request_hash, lease_until, holder, status, response FROM idempotency_keys"
        " WHERE user_id = ? AND key = ?" + dialect.for_update, (user_id, key),
    ).fetchone()
    if claim is None:  # the claim that stood in the way was freed (its work failed) meanwhile: ask again
        raise ApiError(409, protocol.IN_PROGRESS, _(_STILL_RUNNING), "Idempotency-Key",
                       headers={protocol.RETRY_AFTER: "1"})
    if claim["request_hash"] != request_hash:
        raise Refused("idempotency_key_reused", _("this Idempotency-Key was already used for a different request"),
                      "Idempotency-Key")
    if claim["response"] is not None:
        return Outcome(claim["status"], json.loads(claim["response"]), replayed=True)
    lapsed = claim["lease_until"] is None or claim["lease_until"] <= format_instant(real)
    taken_over = (lapsed or holder_gone(claim["holder"])) and tx.execute(
        "UPDATE idempotency_keys SET lease_until = ?, holder = ? WHERE user_id = ? AND key = ? AND response IS NULL"
        " RETURNING key", (lease_until, holder, user_id, key),
    ).fetchone()
    if not taken_over:  # its holder is working on it still: the first request is being processed
        raise ApiError(409, protocol.IN_PROGRESS, _(_STILL_RUNNING), "Idempotency-Key",
                       headers={protocol.RETRY_AFTER: "1"})
    return None  # the process that claimed it died: the claim is ours now
