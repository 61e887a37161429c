"""Several server processes on one PostgreSQL database: `gkh server run --workers 4` and 16 clients submitting
readings for GKH_SOAK_SECONDS (30 by default), with keys of their own, each request sent twice, and pairs of
clients sending the same request under one key at once. No 5xx, no duplicate, nothing lost.

Each client owns its meters and raises their readings step by step, so what the database holds at the end is
known: every meter's reading for the month is the last value a client was told was stored.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tests.helpers.demo import password_of
from tests.helpers.rows import db

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.slow]

GKH = str(Path(sys.executable).with_name("gkh"))
CLIENTS = 16
PERIOD = "2026-11"
STEP = Decimal("0.001")


@pytest.fixture
def workers_server(home, postgres_cluster):
    """`gkh server run --workers 4` on a fresh copy of the demo portal in PostgreSQL; yields (base URL, db URL)."""
    from tests.helpers.postgres import PORTAL_URLS, TEMPLATE

    name = postgres_cluster.new_database(TEMPLATE)
    with postgres_cluster.admin(name) as conn:
        conn.execute("UPDATE portal_settings SET value = %s WHERE key = 'portal_id'", (secrets.token_hex(8),))
    url = postgres_cluster.url(name)
    PORTAL_URLS[home] = url
    log = home / "server.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([GKH, "server", "run", "--db", url, "--port", "0", "--workers", "4",
                                 "--threads", "4"], stdout=subprocess.PIPE, stderr=err, text=True,
                                env=os.environ.copy())
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), log.read_text()
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        del PORTAL_URLS[home]
        postgres_cluster.drop_database(name)


def test_four_workers_and_sixteen_clients_lose_nothing_and_double_nothing(workers_server, home):
    base, log = workers_server
    seconds = float(os.environ.get("GKH_SOAK_SECONDS", "30"))
    staff = [_sign_in(base, "uk-staff") for _ in range(CLIENTS)]
    meters = _meters(base, staff[0])
    assert len(meters) >= CLIENTS * 2
    with db(home) as conn:
        start = {m: max(Decimal(v) for v in _values(conn, m)) for m in meters}
    mine = {i: meters[i::CLIENTS] for i in range(CLIENTS)}  # disjoint: client i alone raises these
    stored: dict[str, Decimal] = {}  # what the portal said it stored, per meter
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    pair_start = [threading.Barrier(2, timeout=30) for _ in range(CLIENTS // 2)]

    def client(i: int) -> int:
        session, sent = staff[i], 0
        step = 0
        while time.monotonic() < stop:
            step += 1
            meter = mine[i][step % len(mine[i])]
            value = start[meter] + step * STEP
            key = f"client-{i}-{step}"
            first = _submit(session, base, meter, value, key)
            again = _submit(session, base, meter, value, key)  # the same request sent twice: a replay
            sent += 2
            with lock:
                statuses.update([first.status_code, again.status_code])
            assert first.status_code in (200, 201), first.text
            assert again.status_code == first.status_code and again.json() == first.json()
            assert again.headers.get("Idempotent-Replayed") == "true"
            stored[meter] = value
        # Pairs of clients send one request under one key at the same moment: one does it, the other replays
        # it or is told it is in progress.
        pair = i // 2
        shared = mine[pair * 2][0]
        pair_start[pair].wait()
        answer = _submit(session, base, shared, start[shared] + 10, f"pair-{pair}")  # one request: one value
        with lock:
            statuses[answer.status_code] += 1
        assert answer.status_code in (200, 201, 409), answer.text
        return sent

    with ThreadPoolExecutor(CLIENTS) as pool:
        sent = sum(pool.map(client, range(CLIENTS)))

    assert not [s for s in statuses if s >= 500], statuses
    assert sent > CLIENTS * 4, f"only {sent} requests in {seconds} s"
    with db(home) as conn:
        rows = conn.execute("SELECT meter_id, count(*) FROM readings WHERE period = ? GROUP BY meter_id",
                            (PERIOD,)).fetchall()
        assert all(count == 1 for _, count in rows)  # one reading per meter and month, however many sends
        shared = {mine[p * 2][0] for p in range(CLIENTS // 2)}
        for meter, value in stored.items():
            held = max(Decimal(v) for v in _values(conn, meter, PERIOD))
            assert held == (start[meter] + 10 if meter in shared else value), meter
        claims = conn.execute("SELECT count(*) FROM idempotency_keys WHERE response IS NULL").fetchone()[0]
    assert claims == 0  # every claim ended with its stored response
    print(f"\n{sent} submits in {seconds:g} s by {CLIENTS} clients on 4 workers: {dict(statuses)}")
    assert "Traceback" not in log.read_text()


def _sign_in(base: str, login: str) -> requests.Session:
    session = requests.Session()
    resp = session.post(f"{base}/api/v1/auth/token", json={"login": login, "password": password_of(login)},
                        timeout=30)
    assert resp.status_code == 201, resp.text
    session.headers["Authorization"] = f"Bearer {resp.json()['token']}"
    return session


def _meters(base: str, session: requests.Session) -> list[str]:
    """The staff member's water meters with one zone (the simplest to raise step by step)."""
    found, cursor = [], None
    while True:
        page = session.get(f"{base}/api/v1/meters", params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
                           timeout=30).json()
        found += [m["id"] for m in page["items"]
                  if m["resource"] in ("cold_water", "hot_water") and m["window"]["open"] and not m["overdue"]]
        if not (cursor := page["next_cursor"]):
            return found


def _values(conn, meter: str, period: str | None = None) -> list[str]:
    import json

    sql = "SELECT reading_values FROM readings WHERE meter_id = ?" + (" AND period = ?" if period else "")
    rows = conn.execute(sql, (meter, period) if period else (meter,)).fetchall()
    return [v for row in rows for v in json.loads(row[0]).values()]


def _submit(session: requests.Session, base: str, meter: str, value: Decimal, key: str) -> requests.Response:
    return session.post(f"{base}/api/v1/meters/{meter}/readings", json={"values": [str(value)]},
                        headers={"Idempotency-Key": key}, timeout=60)
