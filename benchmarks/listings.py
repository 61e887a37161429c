"""What a page of a list costs the staff of a large organisation, in one run: the listings' queries with the
accounts a caller sees as a list of ids (`a.id IN (SELECT id FROM accounts WHERE org_id = ?)`, as gkh did up to
this benchmark) against a condition on the joined account row (gkh.server.access.visible_accounts, as it does now).

    python benchmarks/listings.py [--rows 100000] [--keep DIR]

Makes a fresh embedded demo portal, imports `--rows` accounts (each with its flat and meter) for ООО «УК Ленинский
квартал» with `gkh account import` (benchmarks/batch_files.py's file), then, on the portal's SQLite file, times the
first page (51 rows, as the API reads one more than it shows) of the accounts, meters and bills lists and one bill
by its id, each shape interleaved with the other (median of 15), for:
- large: the organisation with the imported accounts (most of the portal's);
- small-late: an organisation of 60 accounts that came last (the newest 60 accounts moved to ORG-0003 in a copy):
  where reading in the page's order and filtering has to pass every other organisation's rows.
Both shapes must return the same rows. Compare within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gkh.server.access import User, visible_accounts  # noqa: E402
from gkh.server.services import accounts, bills, meters  # noqa: E402

NOW = "2026-11-20T12:00:00+03:00"
STAFF, STAFF_PASSWORD = "uk-staff", "uk-staff-demo-2026"
HERE = Path(__file__).resolve().parent
GKH = str(Path(sys.executable).with_name("gkh"))
IDS = "a.id IN (SELECT id FROM accounts WHERE org_id = ?)"  # the shape before


def build(rows: int, folder: Path) -> Path:
    """A demo portal with `rows` accounts imported by the large organisation's staff: its SQLite file."""
    env = {**os.environ, "GKH_HOME": str(folder / "home"), "GKH_CONFIG_DIR": str(folder / "config"),
           "GKH_STATE_DIR": str(folder / "state"), "GKH_NOW": NOW}
    subprocess.run([sys.executable, str(HERE / "batch_files.py"), str(rows), str(folder)], check=True,
                   capture_output=True)
    subprocess.run([GKH, "auth", "login", "--user", STAFF, "--password-stdin"], input=STAFF_PASSWORD + "\n",
                   text=True, env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([GKH, "account", "import", str(folder / f"accounts-{rows}.csv")], env=env, check=True,
                   capture_output=True)
    print(f"{rows} accounts imported in {time.perf_counter() - started:.1f} s")
    return folder / "home" / "portal.sqlite3"


def small_late(db: Path, folder: Path) -> Path:
    """A copy of the portal where the 60 newest accounts are ORG-0003's and ORG-0003's others the large one's."""
    copy = folder / "small-late.sqlite3"
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as conn:
        large = conn.execute("SELECT org_id FROM users WHERE login = ?", (STAFF,)).fetchone()[0]
        conn.execute("UPDATE accounts SET org_id = ? WHERE org_id = 'ORG-0003'", (large,))
        conn.execute("UPDATE accounts SET org_id = 'ORG-0003' WHERE id IN (SELECT id FROM accounts ORDER BY id DESC"
                     " LIMIT 60)")
    return copy


def cases(conn: sqlite3.Connection, org: str) -> dict[str, tuple[str, list]]:
    """Each query with {visible} where the condition goes, and its parameters around the condition's own."""
    user_id = conn.execute("SELECT id FROM users WHERE login = ?", (STAFF,)).fetchone()[0]
    bill = conn.execute("SELECT b.id FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.org_id = ?"
                        " ORDER BY b.id DESC LIMIT 1", (org,)).fetchone()
    found = {
        "accounts page": (accounts._SELECT + " WHERE {visible} AND a.id > ? ORDER BY a.id LIMIT 51",
                          [user_id, "*", 0]),
        "meters page": (meters._SELECT + " WHERE {visible} AND m.id > ? ORDER BY m.id LIMIT 51", ["*", ""]),
        "bills page": (bills._SELECT + " WHERE {visible} AND (b.period < ? OR b.period = ? AND b.id > ?)"
                       " ORDER BY b.period DESC, b.id LIMIT 51", ["*", "9999-99", "9999-99", ""]),
    }
    if bill is not None:
        found["one bill"] = (bills._SELECT + " WHERE {visible} AND b.id = ?", ["*", bill[0]])
    return found


def measure(db: Path, label: str, org: str) -> None:
    now_condition, _params = visible_accounts(User(0, STAFF, "", None, "staff", org))
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    for name, (sql, params) in cases(conn, org).items():
        args = [org if p == "*" else p for p in params]
        before, after = sql.format(visible=IDS), sql.format(visible=now_condition)
        rows = [tuple(r) for r in conn.execute(before, args).fetchall()]
        assert rows == [tuple(r) for r in conn.execute(after, args).fetchall()], name
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(15):
            for shape, query in (("before", before), ("after", after)):
                started = time.perf_counter()
                conn.execute(query, args).fetchall()
                times[shape].append(time.perf_counter() - started)
        old, new = (statistics.median(times[s]) * 1000 for s in ("before", "after"))
        print(f"{label:11s} {name:14s} ids list {old:8.2f} ms   row condition {new:7.2f} ms   "
              f"ratio {old / new:7.1f}   ({len(rows)} rows)")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (else a temporary one)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gkh-listings-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        db = build(args.rows, folder)
        with sqlite3.connect(db) as conn:
            large = conn.execute("SELECT org_id FROM users WHERE login = ?", (STAFF,)).fetchone()[0]
        measure(db, "large", large)
        measure(small_late(db, folder), "small-late", "ORG-0003")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
