"""The installed `gkh` binary against a real `gkh server run` subprocess on a free loopback port.

The server runs on each engine (the `engine` fixture, tests/conftest.py): on the data folder's SQLite portal,
then with `--db` on a fresh PostgreSQL database copied from the session's template. The embedded portal seeing
the server's data is SQLite's alone: local:// always is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS, H1_GUID
from tests.helpers.demo import COLD
from tests.helpers.rows import stored

pytestmark = pytest.mark.e2e

GKH = str(Path(sys.executable).with_name("gkh"))


@pytest.fixture
def server(home, engine, request):
    """`gkh server run` on a free port, on the test's engine; yields its base URL."""
    db = ["--db", request.getfixturevalue("pg_database")] if engine == "postgres" else []
    proc = subprocess.Popen([GKH, "server", "run", "--port", "0", *db], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"gkh server run said {url!r}"
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def run(*args: str, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([GKH, *args], input=input, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def remote(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return run("--profile", "remote", *args, input=input)


def test_the_main_journey_sign_in_accounts_submit_history(server, home):
    assert remote("config", "set", "url", server).returncode == 0
    login = remote("auth", "login", "--user", "ivanov", "--password-stdin", input="ivanov-demo-2026\n")
    assert login.returncode == 0, login.stderr
    listed = remote("account", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["els"] for a in json.loads(listed.stdout)] == DEMO_RESIDENT_ACCOUNTS
    submitted = remote("meter", "submit", COLD, "2700,5", "--json")
    assert submitted.returncode == 0, submitted.stderr
    assert json.loads(submitted.stdout)["status"] == "accepted"
    again = remote("meter", "submit", COLD, "2700.500")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    history = remote("meter", "history", COLD, "--months", "2", "--json")
    assert history.returncode == 0, history.stderr
    assert [(r["period"], r["values"]) for r in json.loads(history.stdout)][-1] == ("2026-11", {"T1": "2700.5"})
    assert [(r["period"], r["reading_values"]) for r in stored(home, COLD, "2026-11")] == [
        ("2026-11", '{"T1": "2700.5"}')]  # in the server's database, whichever engine it is


def test_sign_in_and_link_against_the_http_portal(server):
    assert remote("config", "set", "url", server).returncode == 0
    login = remote("auth", "login", "--user", "petrova", "--password-stdin", input="petrova-demo-2026\n")
    assert login.returncode == 0, login.stderr
    assert "petrova" in login.stderr and login.stdout == ""
    link = remote("account", "link", "--house", "ленина 5", "--number", "40187299", "--payer", "Петрова", "--json")
    assert link.returncode == 0, link.stderr
    assert json.loads(link.stdout)["account"]["house"]["guid"] == H1_GUID
    listed = remote("account", "list")
    assert [line.split("\t")[2] for line in listed.stdout.splitlines()] == ["40187299"]
    status = json.loads(remote("auth", "status", "--json").stdout)
    assert status["login"] == "petrova" and status["portal"] == server


@pytest.mark.sqlite_only  # the embedded portal is the data folder's SQLite file, which the server shares
def test_the_embedded_portal_with_no_setup_sees_the_same_data(server):
    # The default profile reaches the same database in-process, while the server runs.
    result = run("account", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert [a["els"] for a in json.loads(result.stdout)] == DEMO_RESIDENT_ACCOUNTS


def test_a_stopped_server_is_exit_6(home):
    env = {"GKH_URL": "http://127.0.0.1:9", "GKH_TOKEN": "x", "GKH_RETRIES": "2", "GKH_BACKOFF": "0"}
    result = run("account", "list", env=env)
    assert result.returncode == 6
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
