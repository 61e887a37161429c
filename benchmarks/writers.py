"""Parallel writers: real reading submits over HTTP from 1, 4 and 16 clients at once, in one run.

    python benchmarks/writers.py [--requests 1600] [--clients 1,4,16] [--server-threads 8]

Starts `gkh server run --port 0` on a fresh demo portal (GKH_NOW inside the window: ул. Ленина, д. 5
takes readings every day) and, for each number of clients, has that many threads submit readings as
the managing organisation's staff (`uk-staff`), each thread on meters of its own at Ленина 5, so no two
writes touch one meter. Every submit is what `gkh meter submit` sends: a POST with an Idempotency-Key,
a new value each time (so each one writes). Prints p50/p99/max latency and throughput per level, and
how many "Task queue depth" lines waitress logged.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests

NOW = "2026-11-20T12:00:00+03:00"
H1_GUID = "83804ac7-87c6-472e-a474-d02c6f740e9c"  # г. Москва, ул. Ленина, д. 5
STAFF, PASSWORD = "uk-staff", "uk-staff-demo-2026"


def staff_meters(api: str, session: requests.Session) -> list[tuple[str, Decimal]]:
    """(meter id, last reading) of every one-zone meter the staff sees at Ленина 5."""
    meters, cursor = [], None
    while True:
        page = session.get(f"{api}/meters", params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
                           timeout=30).json()
        meters += [(m["id"], Decimal(m["last_reading"]["values"]["T1"])) for m in page["items"]
                   if m["house"]["guid"] == H1_GUID and m["zones"] == ["T1"] and m["last_reading"]
                   and not m.get("overdue")]  # an overdue meter takes no readings
        cursor = page["next_cursor"]
        if not cursor:
            return meters


def writer(api: str, token: str, meters: list[tuple[str, Decimal]], count: int, round_: int,
           latencies: list[float], failures: list[str], start: threading.Barrier) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    start.wait()
    for i in range(count):
        meter, last = meters[i % len(meters)]
        # Later than the last reading, and new every time: each submit replaces this month's reading.
        value = last + Decimal(round_ * 1000 + i + 1) / 1000
        began = time.perf_counter()
        resp = session.post(f"{api}/meters/{meter}/readings", json={"values": [str(value)]},
                            headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=60)
        latencies.append(time.perf_counter() - began)
        if resp.status_code not in (200, 201):
            failures.append(f"{resp.status_code} {resp.text[:200]}")


def run_level(api: str, token: str, meters: list[tuple[str, Decimal]], clients: int, requests_: int,
              round_: int) -> tuple[list[float], float, list[str]]:
    per_client = requests_ // clients
    latencies: list[float] = []
    failures: list[str] = []
    start = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=writer, args=(api, token, meters[c::clients], per_client, round_, latencies,
                                                     failures, start)) for c in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - began, failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1600, help="submits per level, shared by its clients")
    parser.add_argument("--clients", default="1,4,16", help="the levels: clients at once")
    parser.add_argument("--server-threads", type=int, default=8, help="waitress's threads (gkh server run's default)")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    gkh = str(Path(sys.executable).with_name("gkh"))
    with tempfile.TemporaryDirectory() as tmp, open(f"{tmp}/server.log", "w+") as log:
        env = {**os.environ, "GKH_HOME": f"{tmp}/home", "GKH_CONFIG_DIR": f"{tmp}/config", "GKH_NOW": NOW}
        server = subprocess.Popen([gkh, "server", "run", "--port", "0", "--threads", str(args.server_threads)],
                                  env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            url = server.stdout.readline().strip()
            if not url:
                raise SystemExit(f"gkh server run did not start: {Path(log.name).read_text()}")
            api = f"{url}/api/v1"
            token = requests.post(f"{api}/auth/token", json={"login": STAFF, "password": PASSWORD},
                                  timeout=30).json()["token"]
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            meters = staff_meters(api, session)
            run_level(api, token, meters, 1, 20, 0)  # warm-up: connections, caches, the WAL
            rows = []
            for round_, clients in enumerate(levels, start=1):
                latencies, wall, failures = run_level(api, token, meters, clients, args.requests, round_)
                if failures:
                    raise SystemExit(f"{len(failures)} submits failed at {clients} clients, e.g. {failures[0]}")
                rows.append((clients, len(latencies), statistics.median(latencies), percentile(latencies, 0.99),
                             max(latencies), len(latencies) / wall))
        finally:
            server.terminate()
            server.wait(timeout=10)
        log.seek(0)
        queue_lines = sum("Task queue depth" in line for line in log)
    print(f"reading submits over HTTP, gkh server run with {args.server_threads} threads, "
          f"{len(meters)} meters at ул. Ленина, д. 5")
    print(f"{'clients':>7} {'submits':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'submits/s':>10}")
    for clients, count, p50, p99, worst, rate in rows:
        print(f"{clients:>7} {count:>8} {p50 * 1000:>8.1f} {p99 * 1000:>8.1f} {worst * 1000:>8.1f} {rate:>10.1f}")
    print(f'waitress "Task queue depth" lines logged: {queue_lines}')


if __name__ == "__main__":
    main()
