"""Faults injected on purpose (gkh.server.faults): the spec read or refused, each fault doing what it says to the
embedded portal's requests (the work committed or not), and `gkh server run --faults` — loud about it — through
which the real client, retrying with its keys, still pays exactly once per command."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from gkh.client.transport import LOCAL_BASE, LocalTransport
from gkh.domain.errors import InvalidInput
from gkh.server.faults import Faults, parse_faults
from tests.helpers.demo import COLD, SEED_NOW

GKH = str(Path(sys.executable).with_name("gkh"))


def test_a_spec_is_read_with_its_shares_pause_and_seed():
    assert parse_faults("drop=0.2, cut=0.1,error=0.1,delay=0.05") == Faults(error=0.1, drop=0.2, cut=0.1, delay=0.05)
    assert parse_faults("error=1,pause=2,seed=7") == Faults(error=1.0, pause=2.0, seed=7)
    assert parse_faults("drop=0.2,error=0.1").said() == "error 10 %, drop 20 %"


@pytest.mark.parametrize("spec, says", [
    ("drop=0.2,lose=0.1", "'lose=0.1' is not one of"),
    ("drop", "'drop' is not one of"),
    ("drop=0.2,drop=0.3", "'drop=0.3' is not one of"),
    ("drop=1.5", "a share of requests is 0–1"),
    ("drop=nan", "a share of requests is 0–1"),
    ("drop=x", "a share of requests is 0–1"),
    ("delay=0.5,pause=0", "pause 0–60 seconds"),
    ("error=0.1,seed=-1", "seed a whole number"),
    ("drop=0.6,error=0.6", "add up to more than 1"),
    ("drop=0", "no fault is given a share above 0"),
])
def test_a_spec_that_cannot_be_right_is_refused_naming_the_option(spec, says):
    with pytest.raises(InvalidInput) as refused:
        parse_faults(spec, "--faults")
    assert refused.value.field == "--faults" and refused.value.message.startswith("--faults: ")
    assert says in refused.value.message


# --- in this process: the embedded portal -------------------------------------------------------------------------


@pytest.fixture
def faulty(sqlite_portal, home):
    """A session to the embedded portal's app made faulty by a spec, signed in as the demo resident."""
    from gkh.server.services.session import sign_in_without_password

    token = sign_in_without_password(sqlite_portal.store, "ivanov", SEED_NOW)["token"]

    def make(spec: str) -> requests.Session:
        sqlite_portal._app = None
        sqlite_portal.inject_faults(spec, "--faults")
        session = requests.Session()
        session.mount(LOCAL_BASE + "/", LocalTransport(sqlite_portal.app))
        session.headers["Authorization"] = f"Bearer {token}"
        return session

    return make


def stored(home: Path) -> list[str]:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return [r[0] for r in conn.execute("SELECT reading_values FROM readings WHERE meter_id = ? AND period = ?",
                                           (COLD, "2026-11"))]


def submit(session: requests.Session, value: str, key: str) -> requests.Response:
    return session.post(f"{LOCAL_BASE}/api/v1/meters/{COLD}/readings", json={"values": [value]},
                        headers={"Idempotency-Key": key})


def test_dropped_the_work_is_committed_and_the_caller_hears_nothing(faulty, home):
    session = faulty("drop=1")
    with pytest.raises(requests.exceptions.ConnectionError):
        submit(session, "2700.5", "k1")
    assert stored(home) == ['{"T1": "2700.5"}']


def test_cut_short_the_work_is_committed_and_the_body_is_broken(faulty, home):
    session = faulty("cut=1")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        submit(session, "2700.5", "k1")
    assert stored(home) == ['{"T1": "2700.5"}']


def test_an_error_is_503_before_the_work(faulty, home):
    session = faulty("error=1")
    answer = submit(session, "2700.5", "k1")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert answer.json()["error"]["code"] == "unavailable"
    assert stored(home) == []


def test_a_delay_pauses_then_does_the_work(faulty, home, sqlite_portal):
    session = faulty("delay=1,pause=0.01")
    assert submit(session, "2700.5", "k1").status_code == 201
    assert sqlite_portal.app.counts["delay"] == 1 and stored(home) == ['{"T1": "2700.5"}']


def test_the_same_seed_gives_the_same_faults_in_the_same_order():
    from gkh.server.faults import FaultyApp

    def draws(spec: str) -> list[str | None]:
        app = FaultyApp(lambda environ, start_response: [], parse_faults(spec))
        return [app._draw()[0] for _ in range(200)]

    first = draws("drop=0.3,error=0.3,seed=42")
    assert first == draws("drop=0.3,error=0.3,seed=42") != draws("drop=0.3,error=0.3,seed=43")
    assert 40 < first.count("drop") < 80 and 40 < first.count("error") < 80


def test_the_card_page_is_never_faulty(faulty):
    session = faulty("error=1")
    assert session.get(f"{LOCAL_BASE}/acquirer/nothing-here").status_code != 503


def test_the_embedded_portal_takes_gkh_faults_and_says_so(home, monkeypatch):
    from tests.helpers.cli import gkh

    monkeypatch.setenv("GKH_FAULTS", "error=1")
    monkeypatch.setenv("GKH_RETRIES", "1")
    monkeypatch.setenv("GKH_BACKOFF", "0.01")
    failed = gkh("meter", "submit", COLD, "2700,5")
    assert failed.exit_code != 0 and "GKH_FAULTS is set" in failed.stderr
    monkeypatch.setenv("GKH_FAULTS", "drop=2")
    refused = gkh("account", "list")
    assert refused.exit_code == 2 and "GKH_FAULTS: 'drop=2'" in refused.stderr


# --- gkh server run --faults: the real client's retries ------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("workers", [0, 2], ids=["waitress", "gunicorn"])
def test_through_a_faulty_server_each_payment_command_pays_exactly_once(home, engine, request, workers):
    db = ["--db", request.getfixturevalue("pg_database")] if engine == "postgres" else []
    spec = "drop=0.15,cut=0.1,error=0.1,delay=0.05,pause=0.2,seed=17"
    proc = subprocess.Popen([GKH, "server", "run", "--port", "0", "--workers", str(workers), "--faults", spec, *db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read()
        env = {**os.environ, "GKH_RETRIES": "10", "GKH_BACKOFF": "0.02"}

        def gkh(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
            return subprocess.run([GKH, "--profile", "remote", *args], input=input, capture_output=True, text=True,
                                  timeout=120, env=env)

        assert gkh("config", "set", "url", url).returncode == 0
        signed_in = gkh("auth", "login", "--user", "ivanov", "--password-stdin", input="ivanov-demo-2026\n")
        assert signed_in.returncode == 0, signed_in.stderr
        before = json.loads(gkh("wallet", "show", "--json").stdout)["balance"]
        paid = []
        for _ in range(8):
            done = gkh("pay", "77ИВ845392", "--method", "wallet", "--amount", "1", "--yes", "--json")
            assert done.returncode == 0, done.stderr
            paid.append(json.loads(done.stdout)["id"])
        listed = json.loads(gkh("payment", "list", "--json").stdout)
        after = json.loads(gkh("wallet", "show", "--json").stdout)["balance"]
    finally:
        proc.terminate()
        _, said = proc.communicate(timeout=20)
    assert "FAULTS INJECTED ON PURPOSE" in said
    injected = [line.split("fault injected: ")[1].split()[0] for line in said.splitlines()
                if "fault injected: " in line]
    assert len(injected) >= 5 and {"drop", "cut", "error"} & set(injected), said  # the faults did happen
    assert len(set(paid)) == 8 and sorted(p["id"] for p in listed if p["id"] in paid) == sorted(paid)
    assert len([p for p in listed if p["method"] == "wallet" and p["total"] == "1.00"]) == 8  # none doubled
    from decimal import Decimal

    assert Decimal(before) - Decimal(after) == 8
