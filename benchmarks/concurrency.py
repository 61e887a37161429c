"""Concurrency and the soak under faults, standalone (issue 17): what tests/reliability/test_concurrency.py and
test_soak.py run, with their figures, on SQLite and on PostgreSQL.

    python benchmarks/concurrency.py [--engine sqlite|postgres|both] [--seconds 30] [--clients 8]
                                     [--soak-scale 1] [--no-soak]

For each engine, a fresh demo portal (GKH_NOW inside the reading window and the demo meeting's vote) served by
`gkh server run` on loopback (SQLite: one waitress process, 8 threads; PostgreSQL: a throwaway cluster from
tests/helpers/postgres.py, gunicorn with 2 workers of 8 threads), then:

- concurrency: --clients processes (started by "spawn") for --seconds, no faults and no retries, each writing
  readings of meters of its own, wallet payments, chunks of 100 new accounts (the client's import_accounts), a
  vote, and reading a page of accounts, bills, payments and meters, round after round. Prints calls, requests/s
  over the run and p50/p99 in ms per kind, the errors (a 5xx or "database is locked" would be one), and whether
  the store holds every write it was told of;
- the soak: `--faults drop=0.1,cut=0.05,error=0.1,delay=0.05,pause=0.2`, ten processes through the real client
  (10 tries, 20 ms backoff) and the CLI: 500 wallet payments, 1 000 single readings and 1 000 by
  `gkh meter submit --file`, 20 000 accounts by `gkh account import`, 40 appeals with a file each, 60 votes
  (--soak-scale shrinks them). Prints the faults injected and per kind the operations attempted, duplicated and
  lost as the store holds them, then the calls' timings (retries included).

The machine's load shows in the figures: compare runs of one machine. One run on a 2-core machine shared with
other work (8 clients for 30 s; requests/s over the run, p50 and p99 in ms):

    kind          SQLite (waitress)        PostgreSQL (gunicorn, 2 workers)
    reading       46.2    46   221         49.4    32   179
    payment        9.2    80   293          9.9   125   312
    import         9.2    82   332          9.9   153   344
    vote           6.8    44   182          7.0    57   217
    accounts       9.2    39   106          9.9    25   111
    bills          9.2   110   262          9.9    84   175
    payments       9.2    24    79          9.9    28   104
    meters         9.2    99   345          9.9    27    92
    all          109 requests/s            116 requests/s; no error, no lock, every write in the store

The soak at the issue's volumes: 0 duplicated and 0 lost of every kind on both engines, in 32 s on SQLite
(714 faults injected) and 30 s on PostgreSQL (643); the 20 000 accounts' import took 8.9 s and 8.4 s.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NOW = "2026-11-20T12:00:00+03:00"


def fresh_home(folder: Path) -> Path:
    """A data folder holding a new demo portal (SQLite), made at the seed's instant."""
    from gkh.server import demo
    from gkh.server.db import open_portal
    from tests.helpers.demo import SEED_NOW

    home = folder / "home"
    home.mkdir(parents=True)
    home.chmod(0o700)
    open_portal(home / "portal.sqlite3", SEED_NOW, seed=demo.seed).close()
    return home


class Engine:
    """Where a run's portal lives: the data folder's SQLite file, or a new database of a throwaway cluster."""

    def __init__(self, name: str):
        self.name = name
        self.cluster = None
        if name == "postgres":
            from tests.helpers.postgres import Cluster

            self.cluster = Cluster()

    def portal(self, folder: Path) -> tuple[Path, str | None]:
        """A data folder, and the PostgreSQL URL of a new demo portal (None: the folder's SQLite one)."""
        home = fresh_home(folder)
        if self.cluster is None:
            return home, None
        from gkh.server import demo
        from gkh.server.db import open_portal
        from tests.helpers.demo import SEED_NOW

        url = self.cluster.url(self.cluster.new_database())
        open_portal(url, SEED_NOW, seed=demo.seed, pool_size=1).close()
        return home, url

    def rows(self, home: Path, url: str | None):
        if url is None:
            return sqlite3.connect(home / "portal.sqlite3")
        from tests.helpers.postgres import Rows

        return Rows(url)

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def run(engine: Engine, folder: Path, args: argparse.Namespace) -> bool:
    from tests.reliability import load

    ok = True
    home, url = engine.portal(folder / "concurrency")
    with load.serving(home, url, workers=2 if url else 0, threads=8) as server:
        outcome = load.concurrency(server.url, args.seconds, args.clients)
    with engine.rows(home, url) as conn:
        wrong = load.concurrency_check(conn, outcome)
    said = server.said()
    print(load.rate_table(outcome.timings, outcome.elapsed, outcome.title(engine.name, bool(url))))
    for kind, errors in outcome.timings.errors.items():
        print(f"  {kind}: {len(errors)} errors, e.g. {errors[0]}")
    locked = said.count("database is locked")
    print(f"store: {'every write accounted for' if not wrong else wrong}; "
          f"'database is locked' in the server's stderr: {locked}\n")
    ok &= not wrong and not outcome.timings.errors and not locked
    if args.no_soak:
        return ok
    home, url = engine.portal(folder / "soak")
    with load.serving(home, url, workers=2 if url else 0, threads=8, faults=load.SOAK_FAULTS) as server:
        done = load.soak(server.url, folder / "soak-work", load.Volumes(args.soak_scale))
    with engine.rows(home, url) as conn:
        tally, problems = load.soak_check(conn, done)
    serving = "gunicorn, 2 workers" if url else "waitress"
    print(load.tally_table(tally, f"soak under faults on {engine.name} ({serving}, {done.elapsed:.0f} s; faults "
                                  f"injected: {dict(load.injected(server.said()))})"))
    print(load.rate_table(done.timings, done.elapsed, "calls through the faults (retries included)"))
    print(f"store: {'as told' if not problems else problems}\n")
    return ok and not problems and all(d == 0 and lost == 0 for _, d, lost in tally.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--soak-scale", type=float, default=1.0)
    parser.add_argument("--no-soak", action="store_true")
    args = parser.parse_args()
    os.environ["GKH_NOW"] = NOW
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GKH_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ["GKH_STATE_DIR"] = str(Path(tmp) / "state")
        for name in (("sqlite", "postgres") if args.engine == "both" else (args.engine,)):
            engine = Engine(name)
            try:
                ok &= run(engine, Path(tmp) / name, args)
            finally:
                engine.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
