"""Concurrency (issue 17): 8 client processes at once for GKH_SOAK_SECONDS (30 by default) against `gkh server run`
(SQLite: one waitress process; PostgreSQL: gunicorn with 2 workers), no faults and no retries, each writing readings
of meters of its own, wallet payments, chunks of new accounts (the client's import_accounts), votes on a question
of its own, and reading a page of accounts, bills, payments and meters, round after round.

No answer is a 5xx, nothing says "database is locked" (the clients' errors, the server's stderr), and every write
is accounted for: each meter holds the value last told, each payment told is stored once with its receipt and the
wallet is down by their sum exactly, each account told imported is there once with its meter, each vote as last
cast. Requests/s and p50/p99 per kind are printed (-s shows them). On PostgreSQL, writers that keep failing each
other (serialization failures) take turns instead of being Busy (503) after their last try.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.helpers.rows import db
from tests.reliability import load

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENTS = 8
METERS_EACH = 5


def test_eight_clients_at_once_get_no_lock_and_no_5xx_and_lose_nothing(home, engine, request):
    url_db = request.getfixturevalue("pg_database") if engine == "postgres" else None
    seconds = float(os.environ.get("GKH_SOAK_SECONDS", "30"))
    with load.serving(home, url_db, workers=2 if url_db else 0, threads=8) as server:
        outcome = load.concurrency(server.url, seconds, CLIENTS, METERS_EACH)
    said = server.said()
    print(f"\n{load.rate_table(outcome.timings, outcome.elapsed, outcome.title(engine, bool(url_db)))}")
    errors = {kind: found[:3] for kind, found in outcome.timings.errors.items()}
    assert not errors
    assert "database is locked" not in said and "Traceback" not in said, said[-3000:]
    assert all(len(outcome.timings.calls.get(kind, ())) >= CLIENTS for kind in ("reading", "payment", "import")), \
        {kind: len(calls) for kind, calls in outcome.timings.calls.items()}
    with db(home) as conn:
        assert load.concurrency_check(conn, outcome) == {}


@pytest.mark.postgres
def test_writers_that_keep_conflicting_take_turns_on_postgres_and_none_is_busy(pg_portal):
    """8 threads each numbering 12 rows after the largest so far (as a chunk numbers its new meters): every two
    at once conflict. Those that lose try again one at a time, so each row is numbered once and none is Busy."""
    from concurrent.futures import ThreadPoolExecutor

    from gkh.server.db.postgres import PostgresStore

    store = PostgresStore(pg_portal.db, pool_size=8)

    def number_next(tx) -> int:
        top = tx.execute("SELECT max(CAST(substr(key, 6) AS INTEGER)) FROM portal_settings"
                         " WHERE key LIKE 'turn-%'").fetchone()[0] or 0
        time.sleep(0.02)  # the work between the read and the write, as a chunk's
        tx.execute("INSERT INTO portal_settings (key, value) VALUES (?, '')", (f"turn-{top + 1}",))
        return top + 1

    def writer(_: int) -> list[int]:
        return [store.transact(number_next) for _ in range(12)]

    try:
        with ThreadPoolExecutor(8) as pool:
            numbers = [n for part in pool.map(writer, range(8)) for n in part]
    finally:
        store.close()
    assert sorted(numbers) == list(range(1, 97))
