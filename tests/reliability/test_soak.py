"""The soak under faults (issue 17): `gkh server run --faults drop=0.1,cut=0.05,error=0.1,delay=0.05,pause=0.2`
(SQLite: one waitress process; PostgreSQL: gunicorn with 2 workers), driven over loopback from several processes
at once through the real client and its retries (10 tries, a small backoff) and through the CLI:

- 500 wallet payments by the demo resident, each of its own amount (1.00 … 5.99), two processes;
- 2 000 readings: 1 000 single submits by the demo staff (two processes), 1 000 by `gkh meter submit --file`;
- 20 000 accounts imported by `gkh account import` into the demo's new house (a 1C file, one meter each);
- appeals, each with a file uploaded first; the two owners' votes on the demo meeting, changing their minds.

Then the store is read directly: every intended operation once, none lost, none doubled; the wallet and the bill
paid exact to the kopeck, one receipt per payment; every account once with its meter; every meter's reading the
value last told; each appeal once with its file; the votes as last cast. GKH_SOAK_SCALE (0–1, default 1) shrinks
the volumes for a quick local run. The attempted/duplicated/lost table is printed (-s shows it).
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

SCALE = float(os.environ.get("GKH_SOAK_SCALE", "1"))
PAYMENTS = max(2, int(500 * SCALE))
SINGLE_METERS, SINGLE_ROUNDS = 50, max(1, int(20 * SCALE))  # two processes: 1 000 submits
FILE_METERS, FILE_ROUNDS = 200, max(1, int(5 * SCALE))  # 1 000 rows
ACCOUNTS = max(10, int(20_000 * SCALE))
APPEALS = max(1, int(20 * SCALE))  # per process, two processes
VOTES = max(2, int(30 * SCALE))  # per owner


def test_under_faults_every_operation_happens_once(home, engine, request, tmp_path):
    url_db = request.getfixturevalue("pg_database") if engine == "postgres" else None
    with load.serving(home, url_db, workers=2 if url_db else 0, threads=8, faults=load.SOAK_FAULTS) as server:
        staff = load.client(server.url, "uk-staff")
        meters = [m for m in staff.meters() if m["resource"] in ("cold_water", "hot_water") and m["window"]["open"]
                  and not m["overdue"] and m["last_reading"]]
        assert len(meters) >= SINGLE_METERS + FILE_METERS
        start = {m["id"]: m["last_reading"]["values"]["T1"] for m in meters}
        single = list(start)[:SINGLE_METERS]
        files = {m: start[m] for m in list(start)[SINGLE_METERS:SINGLE_METERS + FILE_METERS]}
        resident = load.client(server.url, "ivanov")
        wallet_before = Decimal(resident.wallet()["balance"])
        questions = len(resident.meeting(load.MEETING)["agenda"])
        amounts = [f"{Decimal(100 + i) / 100:.2f}" for i in range(PAYMENTS)]
        for name in ("file", "import", "appeals-a", "appeals-b"):
            (tmp_path / name).mkdir()
        started = time.monotonic()
        (paid_a, t1), (paid_b, t2), (told_a, t3), (told_b, t4), (told_file, file_failures, t5), \
            (imported, import_said, numbers, t6), (sent_a, t7), (sent_b, t8), (cast_ivanov, t9), \
            (cast_petrova, t10) = load.in_processes([
                (load.pay_job, (server.url, amounts[0::2])),
                (load.pay_job, (server.url, amounts[1::2])),
                (load.readings_job, (server.url, {m: start[m] for m in single[0::2]}, SINGLE_ROUNDS)),
                (load.readings_job, (server.url, {m: start[m] for m in single[1::2]}, SINGLE_ROUNDS)),
                (load.readings_file_job, (server.url, str(tmp_path / "file"), files, FILE_ROUNDS)),
                (load.import_job, (server.url, str(tmp_path / "import"), ACCOUNTS)),
                (load.appeals_job, (server.url, str(tmp_path / "appeals-a"), "a", APPEALS)),
                (load.appeals_job, (server.url, str(tmp_path / "appeals-b"), "b", APPEALS)),
                (load.votes_job, (server.url, "ivanov", VOTES, questions)),
                (load.votes_job, (server.url, "petrova", VOTES, questions)),
            ])
        elapsed = time.monotonic() - started
        wallet_after = Decimal(resident.wallet()["balance"])
    timings = load.Timings()
    for part in (t1, t2, t3, t4, t5, t6, t7, t8, t9, t10):
        timings.merge(part)
    said = server.said()
    injected = Counter(line.split("fault injected: ")[1].split()[0] for line in said.splitlines()
                       if "fault injected: " in line)
    tally: dict[str, tuple[int, int, int]] = {}

    with db(home) as conn:
        def one(sql: str, *params: object) -> object:
            return conn.execute(sql, params).fetchone()[0]

        ivanov = one("SELECT id FROM users WHERE login = 'ivanov'")
        # Payments: one per amount, one receipt each, the wallet and the bill exact to the kopeck.
        rows = conn.execute("SELECT p.id, p.amount_kopecks, (SELECT count(*) FROM receipts r WHERE r.payment_id = p.id)"
                            " FROM payments p WHERE p.user_id = ? AND p.method = 'wallet' AND p.status = 'succeeded'",
                            (ivanov,)).fetchall()
        per_amount = Counter(row[1] for row in rows)
        wanted = [load.kopecks(a) for a in amounts]
        tally["payments"] = (len(wanted), sum(per_amount[k] - 1 for k in wanted if per_amount[k] > 1),
                             sum(1 for k in wanted if not per_amount[k]))
        assert sorted(per_amount.elements()) == sorted(wanted)
        assert all(row[2] == 1 for row in rows)  # one receipt per payment
        assert {p for p in paid_a + paid_b} <= {row[0] for row in rows} and None not in paid_a + paid_b
        total = sum((Decimal(a) for a in amounts), Decimal(0))
        assert wallet_before - wallet_after == total
        parts = conn.execute("SELECT pb.bill_id, sum(pb.amount_kopecks), b.paid_kopecks FROM payment_bills pb"
                             " JOIN payments p ON p.id = pb.payment_id JOIN bills b ON b.id = pb.bill_id"
                             " WHERE p.user_id = ? GROUP BY pb.bill_id, b.paid_kopecks", (ivanov,)).fetchall()
        assert sum(Decimal(row[1]) for row in parts) / 100 == total
        assert all(row[1] == row[2] for row in parts)  # no bill was paid before: its paid total is these parts

        # Readings: one per meter and month, holding the value last told.
        for kind, told, rounds, count in (("readings (client)", {**told_a, **told_b}, SINGLE_ROUNDS, SINGLE_METERS),
                                          ("readings (--file)", told_file, FILE_ROUNDS, FILE_METERS)):
            held = {row[0]: (json.loads(row[1])["T1"], row[2]) for row in conn.execute(
                "SELECT meter_id, max(reading_values), count(*) FROM readings WHERE period = ? AND meter_id IN"
                f" ({','.join('?' * len(told))}) GROUP BY meter_id", (load.PERIOD, *told)).fetchall()}
            lost = sum(1 for meter, value in told.items()
                       if meter not in held or Decimal(held[meter][0]) != Decimal(value))
            tally[kind] = (rounds * count, sum(n - 1 for _, n in held.values()), lost + count - len(told))
        assert not file_failures, file_failures[:1]

        # Accounts: every number of the file once in the new house, each with its one meter.
        house = one("SELECT guid FROM houses WHERE address LIKE ?", "%Строителей, д. 3")
        accounts = dict(conn.execute(
            "SELECT a.number, count(DISTINCT a.id) * 1000 + count(m.id) FROM accounts a LEFT JOIN meters m"
            " ON m.account_id = a.id WHERE a.house_guid = ? GROUP BY a.number", (house,)).fetchall())
        tally["accounts"] = (len(numbers), sum(1 for n in numbers if accounts.get(n, 0) // 1000 > 1),
                             sum(1 for n in numbers if n not in accounts))
        assert imported == 0, import_said[-2000:]
        assert all(accounts.get(n) == 1001 for n in numbers)  # one account, one meter

        # Appeals: each text once, with its one file as sent.
        sent = sent_a + sent_b
        stored = conn.execute("SELECT a.text, u.data FROM appeals a JOIN appeal_files f ON f.appeal_id = a.id"
                              " JOIN uploads u ON u.id = f.upload_id WHERE a.author_id = ? AND a.text LIKE ?",
                              (ivanov, "Обращение %")).fetchall()
        per_text = Counter(row[0] for row in stored)
        tally["appeals"] = (2 * APPEALS, sum(per_text[t] - 1 for t, _ in sent if per_text[t] > 1),
                            sum(1 for t, _ in sent if not per_text[t]) + 2 * APPEALS - len(sent))
        assert sorted(per_text.elements()) == sorted(t for t, _ in sent) and len(sent) == 2 * APPEALS
        assert {row[0]: bytes(row[1]) for row in stored} == dict(sent)
        orphans = one("SELECT count(*) FROM uploads WHERE user_id = ? AND used_by IS NULL AND name LIKE 'photo-%'",
                      ivanov)

        # Votes: each owner row of the two owners holds the answers as last cast.
        for login, cast in (("ivanov", cast_ivanov), ("petrova", cast_petrova)):
            held_votes = conn.execute(
                "SELECT v.owner_id, v.number, v.choice FROM meeting_votes v JOIN owners o ON o.id = v.owner_id"
                " JOIN users u ON u.id = o.user_id WHERE v.meeting_id = ? AND u.login = ?",
                (load.MEETING, login)).fetchall()
            owners = {row[0] for row in held_votes}
            wrong = sum(1 for row in held_votes if cast.get(row[1]) != row[2])
            tally[f"votes ({login})"] = (VOTES, 0, wrong + len(owners) * questions - len(held_votes))
            assert owners and wrong == 0 and len(held_votes) == len(owners) * len(cast)
        claims = one("SELECT count(*) FROM idempotency_keys WHERE response IS NULL")

    serving = "gunicorn, 2 workers" if url_db else "waitress"
    print("\n" + load.tally_table(tally, f"soak under faults on {engine} ({serving}, {elapsed:.0f} s; faults injected:"
                                  f" {dict(injected)})"))
    print(load.rate_table(timings, elapsed, "calls through the faults (retries included)"))
    assert not timings.errors, {k: v[:2] for k, v in timings.errors.items()}
    assert all(d == 0 and lost == 0 for _, d, lost in tally.values()), tally
    assert sum(injected[k] for k in ("drop", "cut", "error")) >= 500 * SCALE, injected  # the faults did happen
    assert orphans == 0  # every upload retried under one key is one upload, taken by its appeal
    assert claims == 0  # every claim ended with its response
    assert "Traceback" not in said and "database is locked" not in said

