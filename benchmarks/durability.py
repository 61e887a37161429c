"""What it costs to sync every commit to the disk (issue 17): SQLite's `synchronous = FULL` against NORMAL in WAL
mode, through the whole portal in this process (the in-process client, its JSON, the app, the rules, the commit).

    python benchmarks/durability.py [--ops 300]

For each setting, a fresh demo portal (GKH_NOW inside the reading window) and the demo resident signed in, then:
- readings: --ops meter readings, each replacing the last (a write each: the value changes);
- payments: --ops wallet payments of 1.00 to the electricity account (a payment, its bill parts, the wallet's
  debit and the receipt's row in one commit; the receipt kept in the outbox, no SMTP);
- commits: --ops bare one-row commits into a table of its own in the same file (the floor: the sync alone).
Prints operations/s and ms each per setting, and FULL's cost over NORMAL. Compare within one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NOW = "2026-11-20T12:00:00+03:00"
COLD = "M-000023"
ELECTRICITY_ACCOUNT = "77ИВ845392"


def measure(setting: str, ops: int) -> dict[str, float]:
    os.environ["GKH_NOW"] = NOW
    from gkh.client.api import Client
    from gkh.server.db import store as sqlite_store
    from gkh.server.local import Portal

    sqlite_store.SYNCHRONOUS = setting
    with tempfile.TemporaryDirectory() as home:
        portal = Portal(Path(home), datetime.fromisoformat(NOW))
        client = Client.in_process(portal.app, portal.portal_id)
        client.set_token(portal.sign_in_demo_resident(datetime.fromisoformat(NOW))["token"])
        timings: dict[str, float] = {}
        started = time.perf_counter()
        for i in range(ops):
            client.submit_reading(COLD, [f"{2700 + i}.5"])
        timings["readings"] = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(ops):
            client.pay(ELECTRICITY_ACCOUNT, "wallet", amount="1.00")
        timings["payments"] = time.perf_counter() - started
        conn = portal.store.connection()
        conn.execute("CREATE TABLE bench_commits (id INTEGER PRIMARY KEY, v TEXT)")
        started = time.perf_counter()
        for _ in range(ops):
            with portal.store.write() as tx:
                tx.execute("INSERT INTO bench_commits (v) VALUES (?)", ("x" * 200,))
        timings["commits"] = time.perf_counter() - started
        client.close()
        portal.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=300)
    args = parser.parse_args()
    results = {setting: measure(setting, args.ops) for setting in ("NORMAL", "FULL")}
    print(f"{args.ops} operations each; ops/s (ms each)")
    print(f"{'':10} {'NORMAL':>18} {'FULL':>18} {'FULL costs':>11}")
    for kind in ("readings", "payments", "commits"):
        normal, full = results["NORMAL"][kind], results["FULL"][kind]
        cells = [f"{args.ops / t:8.0f} ({t * 1000 / args.ops:6.2f})" for t in (normal, full)]
        print(f"{kind:10} {cells[0]:>18} {cells[1]:>18} {(full / normal - 1) * 100:+10.0f} %")


if __name__ == "__main__":
    main()
