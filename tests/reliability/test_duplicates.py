"""Duplicates in flight: the same Idempotency-Key sent by two processes at the same moment to `gkh server run`
(waitress on SQLite, 2 gunicorn workers on PostgreSQL) — a wallet payment, a batch chunk of 1000 accounts (slow
enough to overlap), a reading. One operation: the other process is told 409 in_progress (Retry-After) while the
first works, or given the stored answer if it came after; retried, it gets the first's answer replayed
(Idempotent-Replayed: true). Through the real client (gkh.client, which waits as Retry-After says) both calls end
with the same answer. Nothing is ever done twice: the payments, the wallet, the accounts and the readings say so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tests.helpers.demo import COLD, password_of
from tests.helpers.rows import db
from tests.helpers.serving import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GKH = str(Path(sys.executable).with_name("gkh"))
BATCH_FILES = Path(__file__).resolve().parents[2] / "benchmarks" / "batch_files.py"
WALLET_ACCOUNT = "77ИВ845392"
ROUNDS = 3

# One process's call: wait for the agreed moment, send, print what came back as one JSON line. `raw` is one plain
# request (no retry); `client` is gkh.client's request, retrying as it does.
SENDER = r"""
import json, sys, time
mode, base, token, method, path, key, at = sys.argv[1:8]
payload = json.loads(sys.stdin.read())
if mode == "raw":
    import requests
    session = requests.Session()
    prepared = session.prepare_request(requests.Request(method, base + "/api/v1" + path, json=payload, headers={
        "Authorization": "Bearer " + token, "Idempotency-Key": key}))
    while time.time() < float(at):
        pass
    r = session.send(prepared, timeout=120)
    print(json.dumps({"status": r.status_code, "retry_after": r.headers.get("Retry-After"),
                      "replayed": r.headers.get("Idempotent-Replayed"), "body": r.json()}))
else:
    from gkh.client.api import Client
    client = Client(base, token=token)
    while time.time() < float(at):
        pass
    print(json.dumps({"body": client.request(method, path, json=payload, idempotency_key=key)}))
"""


@pytest.fixture
def server(home, engine, request):
    """`gkh server run` on the test's engine (PostgreSQL: 2 gunicorn workers); yields its URL."""
    db_args = ["--db", request.getfixturevalue("pg_database")] if engine == "postgres" else []
    port = free_port()
    log = home / "server.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([GKH, "server", "run", "--port", str(port), "--workers",
                                 "2" if engine == "postgres" else "0", *db_args], stdout=subprocess.PIPE, stderr=err,
                                text=True, env=os.environ.copy(), start_new_session=True)
    url = proc.stdout.readline().strip()
    assert url == f"http://127.0.0.1:{port}", log.read_text()
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)
    assert "Traceback" not in log.read_text()


def token_of(base: str, user: str) -> str:
    resp = requests.post(f"{base}/api/v1/auth/token", json={"login": user, "password": password_of(user)}, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["token"]


def both_at_once(mode: str, base: str, token: str, path: str, key: str, payload: dict, senders: int = 2) -> list[dict]:
    """Processes (two) send the same request under the same key at the same moment; what each was told."""
    at = f"{time.time() + 1.2:.6f}"  # all are started and waiting by then
    procs = [subprocess.Popen([sys.executable, "-c", SENDER, mode, base, token, "POST", path, key, at],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(senders)]
    for proc in procs:
        proc.stdin.write(json.dumps(payload))
        proc.stdin.close()
    answers = []
    for proc in procs:
        assert proc.wait(timeout=180) == 0, proc.stderr.read()
        answers.append(json.loads(proc.stdout.read()))
    return answers


def chunk(tmp_path: Path, seed: int) -> dict:
    """A chunk of 1000 new accounts at the demo's new build (benchmarks/batch_files.py's, UTF-8 with its English
    headers), drawn by `seed`: each seed's account numbers are its own."""
    import csv

    out = tmp_path / f"chunk-{seed}"
    subprocess.run([sys.executable, str(BATCH_FILES), "1000", str(out), "--utf8", "--seed", str(seed)], check=True,
                   capture_output=True, timeout=60)
    with (out / "accounts-1000.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {"rows": [{"line": i + 2, **row, "number": row["number"]} for i, row in enumerate(rows)]}


def counts(home: Path) -> dict[str, int]:
    from gkh.server.demo.world import H6_GUID

    with db(home) as conn:
        def one(sql: str, *params) -> int:
            return conn.execute(sql, params).fetchone()[0]

        return {
            "payments": one("SELECT COUNT(*) FROM payments p JOIN users u ON u.id = p.user_id WHERE u.login = ?",
                            "ivanov"),
            "wallet": one("SELECT w.balance_kopecks FROM wallets w JOIN users u ON u.id = w.user_id "
                          "WHERE u.login = ?", "ivanov"),
            "accounts": one("SELECT COUNT(*) FROM accounts WHERE house_guid = ?", H6_GUID),
            "receipts": one("SELECT COUNT(*) FROM receipts"),
        }


def reading_of(home: Path) -> list[str]:
    with db(home) as conn:
        return [json.loads(r[0])["T1"] for r in conn.execute(
            "SELECT reading_values FROM readings WHERE meter_id = ? AND period = ?", (COLD, "2026-11"))]


def test_the_same_key_from_two_processes_at_once_is_one_operation(server, home, engine, tmp_path):
    resident, staff = token_of(server, "ivanov"), token_of(server, "uk-staff")
    start = counts(home)
    kinds = {  # kind: (token, path, the payload of round n)
        "payment": (resident, "/payments",
                    lambda n: {"account": WALLET_ACCOUNT, "method": "wallet", "amount": f"1.{n:02d}"}),
        "chunk": (staff, "/accounts/batch", lambda n: chunk(tmp_path, 100 + n)),
        "reading": (resident, f"/meters/{COLD}/readings", lambda n: {"values": [f"{2700 + n}.5"]}),
    }
    told: Counter[str] = Counter()
    paid = Decimal(0)
    # On SQLite a second claim mostly waits for the first's write lock (one writer at a time) and then finds the
    # answer stored: the window for in_progress is the moment between the claim and the work, so more senders.
    senders = 2 if engine == "postgres" else 4
    for n in range(ROUNDS):
        for kind, (token, path, payload_of) in kinds.items():
            payload, key = payload_of(n), f"{kind}-{engine}-{n}"
            answers = both_at_once("raw", server, token, path, key, payload, senders)
            done = [a for a in answers if a["status"] in (200, 201) and a["replayed"] is None]
            assert len(done) == 1, answers  # one did the work
            first = done[0]
            for other in (a for a in answers if a is not first):
                if other["status"] == 409:
                    assert other["body"]["error"]["code"] == "in_progress" and other["retry_after"] == "1", other
                    told[f"{kind}: in_progress"] += 1
                else:
                    told[f"{kind}: replayed at once"] += 1
                    assert (other["status"], other["replayed"], other["body"]) == (first["status"], "true",
                                                                                   first["body"])
            if any(a["status"] == 409 for a in answers):
                retried = both_at_once("raw", server, token, path, key, payload)  # again, now that it is done
                assert all((a["status"], a["replayed"], a["body"]) == (first["status"], "true", first["body"])
                           for a in retried), retried
            if kind == "payment":
                paid += Decimal(payload["amount"])
            if kind == "reading":
                assert reading_of(home) == [payload["values"][0]]  # the round's value, once
    after = counts(home)
    assert after["payments"] - start["payments"] == ROUNDS  # each payment once
    assert Decimal(start["wallet"] - after["wallet"]) / 100 == paid
    assert after["receipts"] - start["receipts"] == ROUNDS  # one receipt a payment
    assert after["accounts"] - start["accounts"] == 1000 * ROUNDS  # each chunk's rows once
    with db(home) as conn:
        assert conn.execute("SELECT COUNT(*) FROM idempotency_keys WHERE response IS NULL").fetchone()[0] == 0
    print(f"\n[{engine}] {ROUNDS} rounds × 3 kinds, {senders} processes one key at once: {dict(told)}")
    # The overlap did happen: the others were told to wait, on PostgreSQL nearly every time. On SQLite, where one writer
    # holds the database at a time, a second claim waits for the first's work to commit (busy_timeout) and finds
    # its answer stored; in_progress is only seen in the moment between the first's claim and its work.
    if engine == "postgres":
        assert told["chunk: in_progress"] >= 1, told
        assert sum(n for said, n in told.items() if said.endswith("in_progress")) >= ROUNDS, told


def test_through_the_real_client_both_calls_end_with_the_same_answer(server, home, engine, tmp_path):
    resident, staff = token_of(server, "ivanov"), token_of(server, "uk-staff")
    start = counts(home)
    for kind, token, path, payload in [
        ("payment", resident, "/payments", {"account": WALLET_ACCOUNT, "method": "wallet", "amount": "3.33"}),
        ("chunk", staff, "/accounts/batch", chunk(tmp_path, 200)),
        ("reading", resident, f"/meters/{COLD}/readings", {"values": ["2799.5"]}),
    ]:
        first, second = both_at_once("client", server, token, path, f"client-{kind}-{engine}", payload)
        assert first["body"] == second["body"], kind
    after = counts(home)
    assert (after["payments"] - start["payments"], start["wallet"] - after["wallet"]) == (1, 333)
    assert after["accounts"] - start["accounts"] == 1000
    assert reading_of(home) == ["2799.5"]
