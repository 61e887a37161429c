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
the volumes for a quick local run (tests.reliability.load.Volumes). The attempted/duplicated/lost table is printed
(-s shows it).
"""

from __future__ import annotations

import os

import pytest

from tests.helpers.rows import db
from tests.reliability import load

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VOLUMES = load.Volumes(float(os.environ.get("GKH_SOAK_SCALE", "1")))


def test_under_faults_every_operation_happens_once(home, engine, request, tmp_path):
    url_db = request.getfixturevalue("pg_database") if engine == "postgres" else None
    with load.serving(home, url_db, workers=2 if url_db else 0, threads=8, faults=load.SOAK_FAULTS) as server:
        done = load.soak(server.url, tmp_path, VOLUMES)
    said = server.said()
    injected = load.injected(said)
    with db(home) as conn:
        tally, problems = load.soak_check(conn, done)
    serving = "gunicorn, 2 workers" if url_db else "waitress"
    print("\n" + load.tally_table(tally, f"soak under faults on {engine} ({serving}, {done.elapsed:.0f} s; faults"
                                  f" injected: {dict(injected)})"))
    print(load.rate_table(done.timings, done.elapsed, "calls through the faults (retries included)"))
    assert not done.timings.errors, {k: v[:2] for k, v in done.timings.errors.items()}
    assert all(d == 0 and lost == 0 for _, d, lost in tally.values()), tally
    assert problems == []
    assert sum(injected[k] for k in ("drop", "cut", "error")) >= 500 * VOLUMES.scale, injected  # they did happen
    assert "Traceback" not in said and "database is locked" not in said
