"""The README's crontab line, run as cron runs it: `sh -c`, `env -i` with only HOME and cron's own PATH
(/usr/bin:/bin, where a venv's or pip --user's gkh is not), gkh by the absolute path `gkh doctor` prints; against
`gkh server run` on each engine (the data folder's SQLite portal, or `--db` a fresh PostgreSQL database)."""

from __future__ import annotations

import json
import os
import re
import shutil
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
CRON_PATH = "/usr/bin:/bin"  # what cron gives its jobs
README_GKH = "/home/me/.local/bin/gkh"  # the README's example of the absolute path, for `gkh doctor`'s


def crontab_line() -> str:
    return next(line for line in README.read_text().splitlines() if line.startswith("0 9 20 * *"))


def crontab_command(gkh: str) -> str:
    """The README's crontab command, with this machine's gkh where the README has its example path."""
    return crontab_line().split(None, 5)[5].replace(README_GKH, gkh)


def installed_gkh() -> str:
    """The absolute path `gkh doctor` gives, as the README says to find it."""
    proc = subprocess.run([str(GKH_BIN / "gkh"), "doctor", "--json"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{GKH_BIN}:{os.environ.get('PATH', '')}"})
    assert proc.returncode == 0, proc.stderr
    return next(row["value"] for row in json.loads(proc.stdout) if row["item"] == "executable")


def as_cron(command: str, home: Path, input: str | None = None) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": CRON_PATH}
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


def sign_in_by_hand(gkh: str, url: str, cron_home: Path) -> None:
    """Once, by hand: point the default profile at the portal and sign in."""
    assert as_cron(f"{gkh} config set url {url}", cron_home).returncode == 0
    login = as_cron(f"{gkh} auth login --user ivanov --password-stdin", cron_home, input="ivanov-demo-2026\n")
    assert login.returncode == 0, login.stderr


def test_the_readme_line_runs_gkh_by_its_absolute_path_and_tries_each_meter():
    line = crontab_line()
    assert " gkh " not in f" {line} " and "&&" not in line
    assert line.count(f"{README_GKH} meter submit") == 2 and "; " in line
    assert installed_gkh() == str(GKH_BIN / "gkh")
    assert "gkh doctor" in README.read_text() and "command -v gkh" in README.read_text()


@pytest.mark.skipif(shutil.which("gkh", path=CRON_PATH) is not None, reason="a gkh is installed system-wide here")
def test_a_bare_gkh_is_not_found_on_crons_path(tmp_path):
    result = as_cron("gkh meter submit M-000023 1", tmp_path)
    assert result.returncode == 127 and "not found" in result.stderr


def test_the_readme_crontab_line_month_after_month(home, tmp_path, engine, request):
    database = request.getfixturevalue("pg_database") if engine == "postgres" else None
    cron_home = tmp_path / "cron-home"
    (cron_home / "meters").mkdir(parents=True)
    gkh = installed_gkh()
    command = crontab_command(gkh)
    months = [("2026-12-20T09:00:00+03:00", "2680,5", "770.25"), ("2027-01-20T09:00:00+03:00", "2686", "776.5")]
    port = free_port()
    for i, (now, cold, hot) in enumerate(months):
        proc, url = serve(home, now, port, database)  # the portal's clock at +1, then +2 months
        try:
            if i == 0:
                sign_in_by_hand(gkh, url, cron_home)
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


@pytest.mark.sqlite_only
def test_a_failed_meter_does_not_cost_the_next_and_each_message_names_its_meter(home, tmp_path):
    cron_home = tmp_path / "cron-home"
    (cron_home / "meters").mkdir(parents=True)
    gkh = installed_gkh()
    proc, url = serve(home, "2026-12-20T09:00:00+03:00", free_port(), None)
    try:
        sign_in_by_hand(gkh, url, cron_home)
        (cron_home / "meters" / "cold").write_text("26 80,5\n")  # the meter script garbled it
        (cron_home / "meters" / "hot").write_text("770.25\n")
        garbled = as_cron(crontab_command(gkh), cron_home)
        assert garbled.stderr == (f'gkh: meter {COLD}: value 1 must be a meter reading such as 123.45 or 123,45 '
                                  '(digits, an optional decimal point or comma; at most 15 whole and 7 fraction '
                                  'digits); got "26 80,5"\n')
        assert (garbled.returncode, garbled.stdout) == (0, "")  # the line's status is the last meter's
        (cron_home / "meters" / "cold").write_text("2500\n")  # lower than before: refused
        (cron_home / "meters" / "hot").write_text("123456789\n")  # more digits than the meter shows
        both = as_cron(crontab_command(gkh), cron_home)
        lines = both.stderr.splitlines()
        assert len(lines) == 2 and both.returncode == 2, both.stderr
        assert lines[0].startswith("gkh: values: T1: the new reading 2500 is lower than the previous") \
            and f"meter {COLD}" in lines[0]
        assert re.match(rf"gkh: values: T1: 123456789 has 9 whole digits, but meter {HOT} shows", lines[1])
    finally:
        stop(proc)
    with db(home) as conn:
        rows = [tuple(row) for row in conn.execute(
            "SELECT meter_id, reading_values FROM readings WHERE period = '2026-12' ORDER BY meter_id")]
    assert rows == [(HOT, '{"T1": "770.25"}')]  # stored although the cold one before it was not
