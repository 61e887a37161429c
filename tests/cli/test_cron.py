"""The README's crontab line, run as cron runs it: `sh -c`, `env -i` with only HOME and PATH, no terminal; against
`gkh server run` on each engine (the data folder's SQLite portal, or `--db` a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.demo import COLD, HOT
from tests.helpers.rows import db
from tests.helpers.serving import free_port

pytestmark = pytest.mark.e2e

GKH_BIN = Path(sys.executable).parent
README = Path(__file__).resolve().parents[2] / "README.md"


def crontab_command() -> str:
    line = next(line for line in README.read_text().splitlines() if line.startswith("0 9 20 * *"))
    return line.split(None, 5)[5]


def as_cron(command: str, home: Path, input: str | None = None) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": f"{GKH_BIN}:/usr/bin:/bin"}
    return subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-c", command],
                          input=input, stdin=None if input else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)


def serve(portal_home: Path, now: str, port: int, database: str | None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "GKH_HOME": str(portal_home), "GKH_NOW": now}
    db = ["--db", database] if database else []
    proc = subprocess.Popen([str(GKH_BIN / "gkh"), "server", "run", "--port", str(port), *db], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, proc.stdout.readline().strip()


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def test_the_readme_crontab_line_month_after_month(home, tmp_path, engine, request):
    database = request.getfixturevalue("pg_database") if engine == "postgres" else None
    cron_home = tmp_path / "cron-home"
    (cron_home / "meters").mkdir(parents=True)
    command = crontab_command()
    months = [("2026-12-20T09:00:00+03:00", "2680,5", "770.25"), ("2027-01-20T09:00:00+03:00", "2686", "776.5")]
    port = free_port()
    for i, (now, cold, hot) in enumerate(months):
        proc, url = serve(home, now, port, database)  # the portal's clock at +1, then +2 months
        try:
            if i == 0:  # once, by hand: point the default profile at the portal and sign in
                assert as_cron(f"gkh config set url {url}", cron_home).returncode == 0
                login = as_cron("gkh auth login --user ivanov --password-stdin", cron_home, input="ivanov-demo-2026\n")
                assert login.returncode == 0, login.stderr
            (cron_home / "meters" / "cold").write_text(cold + "\n")
            (cron_home / "meters" / "hot").write_text(hot + "\n")
            result = as_cron(command, cron_home)
            assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
            again = as_cron(command, cron_home)  # cron's retry, or a second entry: unchanged
            assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
        finally:
            stop(proc)
    with db(home) as conn:  # the server's database, whichever engine it is
        rows = [tuple(row) for row in conn.execute(
            "SELECT meter_id, period, reading_values FROM readings WHERE period >= '2026-12' "
            "ORDER BY period, meter_id")]
    assert rows == [(COLD, "2026-12", '{"T1": "2680.5"}'), (HOT, "2026-12", '{"T1": "770.25"}'),
                    (COLD, "2027-01", '{"T1": "2686"}'), (HOT, "2027-01", '{"T1": "776.5"}')]
