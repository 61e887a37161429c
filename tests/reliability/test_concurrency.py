"""Concurrency (issue 17): 8 client processes at once for GKH_SOAK_SECONDS (30 by default) against `gkh server run`
(SQLite: one waitress process; PostgreSQL: gunicorn with 2 workers), no faults and no retries, each writing readings
of meters of its own, wallet payments, chunks of new accounts (the client's import_accounts), votes on a question
of its own, and reading a page of accounts, bills, payments and meters, round after round.

No answer is a 5xx, nothing says "database is locked" (the clients' errors, the server's stderr), and every write
is accounted for: each meter holds the value last told, each payment told is stored once with its receipt and the
wallet is down by their sum exactly, each account told imported is there once with its meter, each vote as last
cast. Requests/s and p50/p99 per kind are printed (-s shows them).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from decimal import Decimal

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
        outcome = run(server.url, seconds)
    said = server.said()
    print(f"\n{load.rate_table(outcome.timings, outcome.elapsed, outcome.title(engine, bool(url_db)))}")
    errors = {kind: found[:3] for kind, found in outcome.timings.errors.items()}
    assert not errors
    assert "database is locked" not in said and "Traceback" not in said, said[-3000:]
    assert all(len(outcome.timings.calls.get(kind, ())) >= CLIENTS for kind in ("reading", "payment", "import")), \
        {kind: len(calls) for kind, calls in outcome.timings.calls.items()}
    with db(home) as conn:
        assert check(conn, outcome) == {}


class Outcome:
    def __init__(self, parts: list[load.Mixed], start: dict[str, str], votes: dict[int, tuple[str, int]],
                 wallet: tuple[Decimal, Decimal], elapsed: float):
        self.parts, self.start, self.votes, self.wallet, self.elapsed = parts, start, votes, wallet, elapsed
        self.timings = load.Timings()
        for part in parts:
            self.timings.merge(part.timings)

    def title(self, engine: str, workers: bool) -> str:
        return (f"{CLIENTS} clients at once for {self.elapsed:.0f} s on {engine} "
                f"({'gunicorn, 2 workers' if workers else 'waitress'}), no faults")


def run(url: str, seconds: float) -> Outcome:
    """The 8 clients for `seconds` against the portal at `url`; what they were told, and the wallet before and
    after."""
    staff, resident = load.client(url, "uk-staff"), load.client(url, "ivanov")
    meters = [m for m in staff.meters() if m["resource"] in ("cold_water", "hot_water") and m["window"]["open"]
              and not m["overdue"] and m["last_reading"]][:CLIENTS * METERS_EACH]
    start = {m["id"]: m["last_reading"]["values"]["T1"] for m in meters}
    questions = len(resident.meeting(load.MEETING)["agenda"])
    pairs = [(login, q) for login in ("ivanov", "petrova") for q in range(1, questions + 1)]
    votes = {i: pairs[i] for i in range(min(CLIENTS, len(pairs)))}  # each pair (owner, question) one client's
    before = Decimal(resident.wallet()["balance"])
    ids = list(start)
    started = time.monotonic()
    parts = load.in_processes([(load.mixed_job, (url, i, seconds, {m: start[m] for m in ids[i::CLIENTS]},
                                                 votes.get(i))) for i in range(CLIENTS)])
    elapsed = time.monotonic() - started
    after = Decimal(resident.wallet()["balance"])
    return Outcome(parts, start, votes, (before, after), elapsed)


def check(conn, outcome: Outcome) -> dict[str, object]:
    """What the store holds that it should not, or lacks (empty: every write accounted for)."""
    wrong: dict[str, object] = {}
    told = {m: v for part in outcome.parts for m, v in part.readings.items()}
    held = {row[0]: (json.loads(row[1])["T1"], row[2]) for row in conn.execute(
        "SELECT meter_id, max(reading_values), count(*) FROM readings WHERE period = ? GROUP BY meter_id",
        (load.PERIOD,)).fetchall()}
    if bad := [m for m, v in told.items() if m not in held or Decimal(held[m][0]) != Decimal(v) or held[m][1] != 1]:
        wrong["readings"] = bad[:5]

    paid = {pid: k for part in outcome.parts for pid, k in part.paid.items()}
    ivanov = conn.execute("SELECT id FROM users WHERE login = 'ivanov'").fetchone()[0]
    stored = {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT p.id, p.amount_kopecks, (SELECT count(*) FROM receipts r WHERE r.payment_id = p.id) FROM payments p"
        " WHERE p.user_id = ? AND p.method = 'wallet'", (ivanov,)).fetchall()}
    if {pid: (k, 1) for pid, k in paid.items()} != stored:
        wrong["payments"] = (len(paid), len(stored))
    before, after = outcome.wallet
    if (before - after) * 100 != sum(paid.values()):
        wrong["wallet"] = (before - after, Decimal(sum(paid.values())) / 100)

    numbers = [n for part in outcome.parts for n in part.imported]
    counted = dict(conn.execute(
        "SELECT a.number, count(DISTINCT a.id) * 1000 + count(m.id) FROM accounts a LEFT JOIN meters m"
        " ON m.account_id = a.id WHERE a.number IN (" + ",".join("?" * len(numbers)) + ") GROUP BY a.number",
        numbers).fetchall()) if numbers else {}
    if len(set(numbers)) != len(numbers) or any(counted.get(n) != 1001 for n in numbers):
        wrong["accounts"] = Counter(counted.get(n) for n in numbers)

    for index, (login, question) in outcome.votes.items():
        cast = outcome.parts[index].cast.get(question)
        choices = {row[0] for row in conn.execute(
            "SELECT v.choice FROM meeting_votes v JOIN owners o ON o.id = v.owner_id JOIN users u ON u.id = o.user_id"
            " WHERE v.meeting_id = ? AND u.login = ? AND v.number = ?", (load.MEETING, login, question)).fetchall()}
        if cast is not None and choices != {cast}:
            wrong[f"vote {login} {question}"] = (cast, choices)
    return wrong
