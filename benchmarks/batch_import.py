"""Batch imports end to end: `gkh account import` and `gkh meter submit --file` of generated files, on the embedded
portal, over HTTP on loopback (SQLite, one waitress process) and on PostgreSQL (2 gunicorn workers), in one run.

    python benchmarks/batch_import.py [--rows 10000,100000] [--setups embedded,http,pg2] [--utf8] [--keep DIR]

For each size, benchmarks/batch_files.py writes the files (1C's way by default: Windows-1251, `;`, decimal commas,
Russian headers); for each setup a fresh demo portal (GKH_NOW inside the new house's reading window), the demo
staff of ООО «УК Ленинский квартал» signed in, then, each as its own `gkh` process:
- accounts: N new accounts, each creating its flat and a cold-water meter;
- again: the same file once more (every row unchanged);
- readings: a reading for each of those N meters.
Prints wall time, rows/s and the `gkh` process's peak memory (its own maxrss, from wait4) for each, the server
process's peak (VmHWM) where there is one, and, for the same rows in the same run, a plain `sqlite3`
`executemany` into a bare table (decoding and splitting the CSV included, no checks) — the floor — and each
setup's ratio to it. Compare within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.helpers.postgres: the throwaway cluster

NOW = "2026-11-20T12:00:00+03:00"  # in the 15th–25th window of the demo's new house
STAFF, STAFF_PASSWORD = "uk-staff", "uk-staff-demo-2026"
HERE = Path(__file__).resolve().parent
GKH = str(Path(sys.executable).with_name("gkh"))


def run_with_peak(argv: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, float, str]:
    """Run a command; its wall seconds, its own peak RSS in MiB (wait4's rusage), and its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=out, stderr=err)
        if stdin is not None:
            child.stdin.write(stdin.encode())
        child.stdin.close()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode not in (0, 3):
            raise SystemExit(f"{' '.join(argv[1:])}: exit {child.returncode}: {err.read().decode()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def server_peak(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def floor(accounts: Path, tmp: str) -> float:
    """Rows/s of a plain sqlite3 executemany of the same rows, chunks of 1000 each committed (WAL, synchronous
    NORMAL as the portal's store): the file decoded and split by csv, nothing checked."""
    db = sqlite3.connect(f"{tmp}/floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, house TEXT, flat TEXT,"
               " els TEXT, area TEXT, share TEXT, payer TEXT, kind TEXT, meter_serial TEXT, meter_resource TEXT,"
               " meter_zones TEXT)")
    started = time.perf_counter()
    with accounts.open(encoding="cp1251" if b";" in accounts.read_bytes()[:200] else "utf-8", newline="") as f:
        reader = csv.reader(f, delimiter=";" if ";" in f.readline() else ",")
        rows = 0
        while True:
            chunk = [row for _, row in zip(range(1000), reader)]
            if not chunk:
                break
            db.execute("BEGIN")
            db.executemany("INSERT INTO accounts (house, flat, number, els, area, share, payer, kind, meter_serial,"
                           " meter_resource, meter_zones) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk)
            db.execute("COMMIT")
            rows += len(chunk)
    seconds = time.perf_counter() - started
    db.close()
    return rows / seconds


def schema_floor(accounts: Path, tmp: str) -> float:
    """Rows/s of the same rows written straight into the portal's own tables (an empty portal at the current
    schema: flats, accounts and meters with their keys, unique indexes and foreign keys), a chunk of 1000 a
    transaction, nothing checked and nothing read but the new ids: what the schema itself costs."""
    import secrets
    from datetime import datetime, timezone

    from gkh.server.db import open_portal

    store = open_portal(Path(f"{tmp}/schema-{accounts.stem}.sqlite3"), datetime(2026, 11, 20, 9, tzinfo=timezone.utc))
    with store.write() as tx:
        tx.execute("INSERT INTO organisations (id, kind, name, short_name, inn, ogrn) VALUES ('ORG-0001', 'managing',"
                   " 'УК', 'УК', '7705124833', '1027700132195')")
        tx.execute("INSERT INTO houses (guid, address, town, search_key, oktmo) VALUES ('h', 'дом', 'Москва', 'дом',"
                   " '45376000')")
    letters, used = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ", set()
    started = time.perf_counter()
    rows = 0
    with accounts.open(encoding="cp1251" if b";" in accounts.read_bytes()[:200] else "utf-8", newline="") as f:
        reader = csv.reader(f, delimiter=";" if ";" in f.readline() else ",")
        while chunk := [row for _, row in zip(range(1000), reader)]:
            with store.write() as tx:
                tx.executemany("INSERT INTO flats (house_guid, number, area) VALUES ('h', ?, ?)",
                               [(r[1], r[4]) for r in chunk])
                flats = dict(tx.execute("SELECT number, id FROM flats WHERE id > ?", (rows,)).fetchall())
                els = []
                while len(els) < len(chunk):  # drawn at random, never twice (the portal asks its table instead)
                    drawn = "77" + secrets.choice(letters) + secrets.choice(letters) + f"{secrets.randbelow(10**6):06d}"
                    if drawn not in used:
                        used.add(drawn)
                        els.append(drawn)
                tx.executemany("INSERT INTO accounts (els, izhku, number, org_id, house_guid, flat_id, payer, area,"
                               " opened_on) VALUES (?, ?, ?, 'ORG-0001', 'h', ?, ?, ?, '2026-11-20')",
                               [(e, e + "-01", r[2], flats[r[1]], r[6], r[4]) for e, r in zip(els, chunk)])
                ids = dict(tx.execute("SELECT number, id FROM accounts WHERE id > ?", (rows,)).fetchall())
                tx.executemany("INSERT INTO meters (id, account_id, serial, serial_key, resource, unit, zones,"
                               " whole_digits, fraction_digits, installed_on, verified_on, verification_due) VALUES"
                               " (?, ?, ?, ?, 'cold_water', 'm3', 'T1', 5, 3, '2026-11-20', '2026-11-20',"
                               " '2032-11-20')",
                               [(f"M-{rows + i + 1:06d}", ids[r[2]], r[8], r[8].upper(), )
                                for i, r in enumerate(chunk)])
            rows += len(chunk)
    seconds = time.perf_counter() - started
    store.close()
    return rows / seconds


def setup_portal(setup: str, tmp: str, cluster) -> tuple[dict[str, str], subprocess.Popen | None]:
    """A fresh portal for `setup` and the environment of a `gkh` signed in as the staff on it (profile staff)."""
    env = {**os.environ, "GKH_HOME": f"{tmp}/{setup}-home", "GKH_CONFIG_DIR": f"{tmp}/{setup}-config",
           "GKH_STATE_DIR": f"{tmp}/{setup}-state", "GKH_NOW": NOW, "GKH_LANG": "en"}
    env.pop("GKH_URL", None)
    server = None
    if setup != "embedded":
        command = [GKH, "server", "run", "--port", "0", "--threads", "4"]
        if setup == "pg2":
            command += ["--db", cluster.url(cluster.new_database()), "--workers", "2"]
        log = open(f"{tmp}/{setup}.log", "w")
        server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        url = server.stdout.readline().strip()
        if not url:
            raise SystemExit(f"{setup}: gkh server run did not start: {Path(log.name).read_text()[-2000:]}")
        subprocess.run([GKH, "--profile", "staff", "config", "set", "url", url], env=env, check=True,
                       capture_output=True)
    subprocess.run([GKH, "--profile", "staff", "auth", "login", "--user", STAFF, "--password-stdin"], env=env,
                   input=STAFF_PASSWORD, text=True, check=True, capture_output=True)
    return env, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10000,100000", help="the sizes, comma-separated")
    parser.add_argument("--setups", default="embedded,http,pg2", help="of embedded, http, pg2")
    parser.add_argument("--utf8", action="store_true", help="UTF-8 files with commas (else Windows-1251 and ;)")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    setups = args.setups.split(",")
    cluster = None
    if "pg2" in setups:
        from tests.helpers.postgres import Cluster

        cluster = Cluster()
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            files = args.keep or Path(tmp) / "files"
            for rows in sizes:
                made = subprocess.run([sys.executable, str(HERE / "batch_files.py"), str(rows), str(files),
                                       *(["--utf8"] if args.utf8 else [])], check=True, capture_output=True,
                                      text=True).stdout.split()
                accounts, readings = Path(made[0]), Path(made[1])
                base = floor(accounts, tmp)
                Path(f"{tmp}/floor.sqlite3").unlink()
                results.append((rows, "sqlite3 floor", "accounts", rows / base, base, None, None))
                schema = schema_floor(accounts, tmp)
                results.append((rows, "schema floor", "accounts", rows / schema, schema, None, None))
                for setup in setups:
                    env, server = setup_portal(setup, f"{tmp}/{rows}", cluster)
                    try:
                        for kind, argv in (
                            ("accounts", ["account", "import", str(accounts)]),
                            ("again", ["account", "import", str(accounts)]),
                            ("readings", ["meter", "submit", "--file", str(readings)]),
                        ):
                            seconds, peak, out = run_with_peak([GKH, "--profile", "staff", *argv, "-o", "json"], env)
                            summary = json.loads(out)
                            done = summary["created"] + summary["updated"] + summary["unchanged"]
                            if summary["rejected"] or done != rows:
                                raise SystemExit(f"{setup} {kind}: {rows} rows but {json.dumps(summary)[:500]}")
                            results.append((rows, setup, kind, seconds, rows / seconds, peak,
                                            server_peak(server.pid) if server else None))
                    finally:
                        if server:
                            server.terminate()
                            server.wait(timeout=60)
    finally:
        if cluster:
            cluster.stop()
    print(f"{os.cpu_count()} cores; files: {'UTF-8, commas' if args.utf8 else 'Windows-1251, semicolons'}")
    print(f"{'rows':>7} {'setup':<14} {'kind':<9} {'seconds':>8} {'rows/s':>9} {'× floor':>8} {'gkh MiB':>8} "
          f"{'server MiB':>10}")
    floors = {rows: rate for rows, setup, _, _, rate, _, _ in results if setup == "sqlite3 floor"}
    for rows, setup, kind, seconds, rate, peak, server in results:
        print(f"{rows:>7} {setup:<14} {kind:<9} {seconds:>8.2f} {rate:>9.0f} {rate / floors[rows]:>8.3f} "
              f"{'' if peak is None else f'{peak:.0f}':>8} {'' if server is None else f'{server:.0f}':>10}")


if __name__ == "__main__":
    main()
