"""Serving at scale: SQLite in one waitress process vs PostgreSQL with 1, 2 and 4 gunicorn workers, in one run.

    python benchmarks/serving.py [--seconds 5] [--clients 1,4,8] [--setups sqlite,pg1,pg2,pg4]

For each setup, `gkh server run` on a fresh demo portal (a throwaway PostgreSQL 15 cluster for the pg ones,
started as tests.helpers.postgres starts it), then for each number of clients, that many client processes
(processes, not threads: the load generator must not be held by one GIL) send for `--seconds`:
- reads: GET /api/v1/meters/M-000023 as the demo resident (a token looked up, one meter with its last reading);
- submits: POST a reading with a fresh Idempotency-Key as the managing organisation's staff, each client on
  meters of its own at ул. Ленина, д. 5, a new value every time (so every submit writes).
Reads are sent by wrk (Debian's package) where it is installed, so that the load generator leaves the cores
to the servers; else (or with --python-reads) by the Python clients. Prints requests/s, p50 and p99 per setup
and level, and the ratio of each setup's rate to SQLite's. The clients share the machine's cores with the
servers (and PostgreSQL): compare setups within one run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.helpers.postgres: the throwaway cluster

from writers import staff_meters  # noqa: E402  (beside this script: the same meters, the same way)

NOW = "2026-11-20T12:00:00+03:00"
RESIDENT, RESIDENT_PASSWORD, READ_PATH = "ivanov", "ivanov-demo-2026", "/meters/M-000023"
STAFF, STAFF_PASSWORD = "uk-staff", "uk-staff-demo-2026"
SETUPS = {  # name: (engine, gunicorn workers (0: waitress), threads per process)
    "sqlite": ("sqlite", 0, 8),
    "pg1": ("postgres", 1, 8),
    "pg2": ("postgres", 2, 4),
    "pg4": ("postgres", 4, 2),
}


def token_of(api: str, login: str, password: str) -> str:
    resp = requests.post(f"{api}/auth/token", json={"login": login, "password": password}, timeout=30)
    resp.raise_for_status()
    return resp.json()["token"]




def client(job: tuple) -> tuple[list[float], int]:
    """One client process: requests for `seconds` after `start_at`; its latencies and failures."""
    api, token, kind, meters, seconds, start_at, round_ = job
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    latencies, failures, i = [], 0, 0
    time.sleep(max(0.0, start_at - time.time()))
    stop = time.perf_counter() + seconds
    while (began := time.perf_counter()) < stop:
        if kind == "reads":
            resp = session.get(f"{api}{READ_PATH}", timeout=60)
        else:
            meter, last = meters[i % len(meters)]
            value = last + Decimal(round_ * 100_000 + i + 1) / 1000
            resp = session.post(f"{api}/meters/{meter}/readings", json={"values": [str(value)]},
                                headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=60)
        latencies.append(time.perf_counter() - began)
        failures += resp.status_code >= 300
        i += 1
    return latencies, failures


def wrk_reads(api: str, token: str, clients: int, seconds: float) -> tuple:
    """The reads measured by wrk (C, epoll): a load generator that leaves the cores to the servers."""
    out = subprocess.run(["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{seconds:g}s", "--latency",
                          "-H", f"Authorization: Bearer {token}", f"{api}{READ_PATH}"],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def quantile(name: str) -> float:
        found = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if found is None:
            raise SystemExit(f"wrk's output has no {name}% line:\n{out}")
        value, unit = found.groups()
        return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    return rate, quantile("50"), quantile("99"), int(failed.group(1)) if failed else 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(api: str, levels: list[int], seconds: float, pool, use_wrk: bool) -> list[tuple]:
    reader = token_of(api, RESIDENT, RESIDENT_PASSWORD)
    writer = token_of(api, STAFF, STAFF_PASSWORD)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {writer}"
    meters = staff_meters(api, session)
    rows, round_ = [], 0
    for kind in ("reads", "submits"):
        token = reader if kind == "reads" else writer
        client((api, token, kind, meters, 0.5, 0, 99))  # warm-up: every worker's pool, caches
        for clients in levels:
            round_ += 1
            if kind == "reads" and use_wrk:
                rows.append((kind, clients, *wrk_reads(api, token, clients, seconds)))
                continue
            start_at = time.time() + 0.5
            jobs = [(api, token, kind, meters[c::clients], seconds, start_at, round_) for c in range(clients)]
            results = pool.map(client, jobs)
            latencies = [lat for lats, _ in results for lat in lats]
            failures = sum(f for _, f in results)
            rows.append((kind, clients, len(latencies) / seconds, statistics.median(latencies),
                         percentile(latencies, 0.99), failures))
    return rows


def serve(setup: str, tmp: str, db_url: str | None) -> tuple[subprocess.Popen, str]:
    engine, workers, threads = SETUPS[setup]
    gkh = str(Path(sys.executable).with_name("gkh"))
    env = {**os.environ, "GKH_HOME": f"{tmp}/{setup}", "GKH_CONFIG_DIR": f"{tmp}/config", "GKH_NOW": NOW}
    command = [gkh, "server", "run", "--port", "0", "--threads", str(threads)]
    if db_url:
        command += ["--db", db_url]
    if workers:
        command += ["--workers", str(workers)]
    log = open(f"{tmp}/{setup}.log", "w")
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    url = server.stdout.readline().strip()
    if not url:
        raise SystemExit(f"{setup}: gkh server run did not start: {Path(log.name).read_text()[-2000:]}")
    return server, f"{url}/api/v1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5, help="length of each measurement")
    parser.add_argument("--clients", default="1,4,8", help="the levels: client processes at once")
    parser.add_argument("--setups", default=",".join(SETUPS), help=f"of {', '.join(SETUPS)}")
    parser.add_argument("--python-reads", action="store_true", help="reads from Python clients even with wrk")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_reads
    levels = [int(n) for n in args.clients.split(",")]
    setups = args.setups.split(",")
    cluster = None
    if any(SETUPS[s][0] == "postgres" for s in setups):
        from tests.helpers.postgres import Cluster

        cluster = Cluster()
    results: dict[str, list[tuple]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp, multiprocessing.Pool(max(levels)) as pool:
            for setup in setups:
                db_url = cluster.url(cluster.new_database()) if SETUPS[setup][0] == "postgres" else None
                server, api = serve(setup, tmp, db_url)
                try:
                    results[setup] = measure(api, levels, args.seconds, pool, use_wrk)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
    finally:
        if cluster:
            cluster.stop()
    def described(setup: str) -> str:
        engine, workers, threads = SETUPS[setup]
        serving = f"{workers} gunicorn workers × {threads} threads" if workers else f"waitress, {threads} threads"
        return f"{setup} = {engine}, {serving}"

    print(f"{os.cpu_count()} cores; {args.seconds:g} s per measurement; reads by "
          f"{'wrk' if use_wrk else 'Python clients'}; submits by Python clients; setups: "
          + "; ".join(described(s) for s in setups))
    print(f"{'setup':<7} {'kind':<8} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>6} "
          f"{'× sqlite':>8}")
    base = {(k, c): rate for k, c, rate, *_ in results.get("sqlite", [])}
    for setup, rows in results.items():
        for kind, clients, rate, p50, p99, failures in rows:
            ratio = f"{rate / base[kind, clients]:.2f}" if (kind, clients) in base else "-"
            print(f"{setup:<7} {kind:<8} {clients:>7} {rate:>8.1f} {p50 * 1000:>8.1f} {p99 * 1000:>8.1f} "
                  f"{failures:>6} {ratio:>8}")


if __name__ == "__main__":
    main()
