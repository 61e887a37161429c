"""Writers side by side: serialization failures are run again (bounded), idempotency claims hold across
threads and processes, and a database that cannot do it in time answers 503 `busy`.

The PostgreSQL tests use the session's throwaway cluster (tests.helpers.postgres); the SQLite one holds the
file's write lock from another connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from gkh.server.app import create_app
from gkh.server.db import Busy, Store, open_portal
from gkh.server.db import store as store_module
from tests.helpers.demo import COLD, HOT, SEED_NOW, password_of
from tests.helpers.rows import stored

pytestmark = pytest.mark.postgres


def test_a_serialization_failure_runs_the_work_again_and_both_writers_succeed(pg_portal):
    from gkh.server.db import postgres

    store = pg_portal.store
    both_read = threading.Barrier(2, timeout=10)
    tries: Counter[str] = Counter()

    def count_then_insert(name: str):
        def work(tx):
            tries[name] += 1
            seen = tx.execute("SELECT count(*) FROM portal_settings WHERE key LIKE 'writer-%'").fetchone()[0]
            if tries[name] == 1:
                both_read.wait()  # both have read before either writes: one of the two must fail
            tx.execute("INSERT INTO portal_settings (key, value) VALUES (?, ?)", (f"writer-{name}", str(seen)))
            return seen
        return work

    before = store.retries
    with ThreadPoolExecutor(2) as pool:
        seen = list(pool.map(lambda name: store.transact(count_then_insert(name)), ["a", "b"]))
    # Serializable: as if one ran after the other, the second seeing the first's row.
    assert sorted(seen) == [0, 1]
    assert sorted(tries.values()) == [1, 2]
    assert store.retries == before + 1
    assert isinstance(postgres.retry_pause(1), float)


def test_pauses_between_tries_grow_and_stay_bounded():
    from gkh.server.db.postgres import LONGEST_PAUSE_S, retry_pause

    middle = [retry_pause(attempt, jitter=lambda: 0.5) for attempt in range(1, 12)]
    assert middle == sorted(middle) and middle[0] == pytest.approx(0.002) and middle[-1] == LONGEST_PAUSE_S
    assert retry_pause(3, jitter=lambda: 0.0) == pytest.approx(0.004)
    assert retry_pause(3, jitter=lambda: 1.0) == pytest.approx(0.012)


def test_a_work_that_keeps_failing_is_busy_after_the_last_try_and_changes_nothing(pg_portal, monkeypatch):
    import psycopg

    from gkh.server.db import postgres

    monkeypatch.setattr(postgres, "MAX_ATTEMPTS", 3)
    monkeypatch.setattr(postgres, "retry_pause", lambda attempt: 0)
    calls = []

    def work(tx):
        calls.append(1)
        tx.execute("INSERT INTO portal_settings (key, value) VALUES ('never', '1')")
        raise psycopg.errors.SerializationFailure("could not serialize access")

    with pytest.raises(Busy, match="3 tries"):
        pg_portal.store.transact(work)
    assert len(calls) == 3
    assert pg_portal.store.setting("never") is None


def test_a_busy_database_is_503_with_retry_after(pg_portal, monkeypatch):
    token = _sign_in(pg_portal.app, "ivanov")

    def busy(work, **kw):
        raise Busy("the change kept conflicting with concurrent ones (10 tries)")

    monkeypatch.setattr(pg_portal.store, "transact", busy)
    resp = _submit(pg_portal.app, token, COLD, "1", key=None)
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "1"
    assert resp.json["error"]["code"] == "busy"
    assert resp.json["error"]["message"] == "the portal is busy; retry shortly"


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_sixteen_threads_submitting_with_shared_and_own_keys_do_each_change_once(engine, request, monkeypatch):
    """16 threads through one app: 8 share one Idempotency-Key for a cold-water reading, 8 send hot-water
    readings with keys of their own. One reading each, every answer a success or 409 in_progress."""
    portal = request.getfixturevalue("sqlite_portal" if engine == "sqlite" else "pg_portal")
    home = request.getfixturevalue("home")
    if engine == "postgres":
        portal.store.close()
        portal.store = open_portal(portal.store.url, SEED_NOW, pool_size=16)
        portal.app = create_app(portal.store)
    token = _sign_in(portal.app, "ivanov")
    before_cold, before_hot = len(stored(home, COLD)), len(stored(home, HOT))
    start = threading.Barrier(16, timeout=20)

    def client(i: int) -> tuple[int, dict]:
        meter, key = (COLD, "shared-key") if i < 8 else (HOT, f"own-key-{i}")
        start.wait()
        resp = _submit(portal.app, token, meter, "9999", key=key)
        return resp.status_code, resp.json

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(client, range(16)))
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {200, 201, 409}, answers
    cold = [body for status, body in answers[:8] if status != 409]
    assert cold and all(body == cold[0] for body in cold)  # the one response, replayed
    hot = [body["status"] for status, body in answers[8:]]
    assert sorted(hot) == ["accepted"] + ["unchanged"] * 7
    assert len(stored(home, COLD)) == before_cold + 1
    assert len(stored(home, HOT)) == before_hot + 1


def test_sqlite_locked_by_another_process_past_the_busy_timeout_is_busy(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "portal.sqlite3"
    open_portal(path, SEED_NOW).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as a writer in another process would
    try:
        with pytest.raises(Busy, match="locked"):
            Store(path).transact(lambda tx: tx.execute("INSERT INTO portal_settings (key, value) VALUES ('x', '1')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert Store(path).setting("x") is None


def _submit(app, token: str, meter: str, value: str, *, key: str | None):
    from falcon import testing

    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    return testing.TestClient(app).simulate_post(f"/api/v1/meters/{meter}/readings", json={"values": [value]},
                                                 headers=headers)


def _sign_in(app, login: str) -> str:
    from falcon import testing

    resp = testing.TestClient(app).simulate_post(
        "/api/v1/auth/token", json={"login": login, "password": password_of(login)})
    assert resp.status_code == 201, resp.text
    return resp.json["token"]
