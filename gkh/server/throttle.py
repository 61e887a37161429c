"""Limits on failed attempts at guarded actions: signing in, and linking someone's account.

A fixed window per (scope, key): the first failure opens it, and once `attempts` failures fall in it,
every further attempt — right or wrong, so the lock is no oracle — gets 429 `too_many_attempts`
with Retry-After until the window ends. Counters live in the portal's database, so every process
serving one portal shares them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from gkh import protocol
from gkh.domain.dates import format_instant
from gkh.i18n import N_, _, ngettext
from gkh.server.db import Connection, PortalStore
from gkh.server.http import ApiError


@dataclass(frozen=True)
class Limit:
    scope: str
    attempts: int
    window: timedelta
    what: str  # for the message: "failed sign-ins", … (marked, translated where shown)


# A person mistyping a password a few times is never stopped; a password-guesser gets 10 tries a quarter hour.
SIGN_IN_PER_LOGIN = Limit("sign_in_login", 10, timedelta(minutes=15), N_("failed sign-ins for this login"))
# Many people may share one address (a flat's router, an office): a looser limit across logins.
SIGN_IN_PER_ADDRESS = Limit("sign_in_address", 50, timedelta(minutes=15), N_("failed sign-ins from this address"))
# Account numbers can be guessed; surnames take tries: 5 wrong link requests an hour per user.
LINK_PER_USER = Limit("link", 5, timedelta(hours=1), N_("failed attempts to link an account"))


def digest(text: str) -> str:
    """A fixed-size key for text a client chose (a login may be a megabyte long)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def check(conn: Connection, limit: Limit, key: str, now: datetime) -> None:
    """Refuse with 429 while `key` has used up its failures in the current window."""
    row = conn.execute("SELECT failures, window_start FROM throttle WHERE scope = ? AND key = ?",
                       (limit.scope, key)).fetchone()
    if row is None or row["failures"] < limit.attempts:
        return
    ends = datetime.fromisoformat(row["window_start"]) + limit.window
    if ends <= now:
        return
    wait = max(1, math.ceil((ends - now).total_seconds()))
    minutes = math.ceil(wait / 60)
    raise ApiError(429, protocol.TOO_MANY_ATTEMPTS,
                   ngettext("too many {what}: try again in {n} minute", "too many {what}: try again in {n} minutes",
                            minutes).format(what=_(limit.what), n=minutes),
                   headers={protocol.RETRY_AFTER: str(wait)})


def record_failures(store: PortalStore, now: datetime, *counted: tuple[Limit, str]) -> None:
    """Count one failure against each (limit, key), in a transaction of its own (the request's rolled back)."""
    def count(tx: Connection) -> None:
        for limit, key in counted:
            row = tx.execute("SELECT window_start FROM throttle WHERE scope = ? AND key = ?",
                             (limit.scope, key)).fetchone()
            if row is None or datetime.fromisoformat(row["window_start"]) + limit.window <= now:
                tx.execute("INSERT INTO throttle (scope, key, failures, window_start) VALUES (?, ?, 1, ?)"
                           " ON CONFLICT (scope, key) DO UPDATE SET failures = 1, window_start = excluded.window_start",
                           (limit.scope, key, format_instant(now)))
            else:
                tx.execute("UPDATE throttle SET failures = failures + 1 WHERE scope = ? AND key = ?",
                           (limit.scope, key))
            # Ended windows are of no use: the table stays as small as the set of recent offenders.
            tx.execute("DELETE FROM throttle WHERE scope = ? AND window_start < ?",
                       (limit.scope, format_instant(now - limit.window)))

    store.transact(count)


def clear(conn: Connection, limit: Limit, key: str) -> None:
    conn.execute("DELETE FROM throttle WHERE scope = ? AND key = ?", (limit.scope, key))
