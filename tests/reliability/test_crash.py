"""Crash safety: `gkh server run` killed with SIGKILL (its whole process group: waitress on SQLite, 2 gunicorn
workers on PostgreSQL) during a batch import, a payment and an upload, then started again on the same database and
port. The store is whole (SQLite: `PRAGMA integrity_check`, foreign keys), and running the very same command again
finishes the work exactly once: every row in once, one charge, one appeal with its file. A claim on an
Idempotency-Key that the killed server held is taken over at once by the retry, never 409 in_progress for the
lease. And `gkh pay` itself killed after its request was sent, then run again: one charge.

(`gkh account import` killed mid-file is tests/cli/test_account_import.py's.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tests.helpers.demo import password_of
from tests.helpers.rows import db
from tests.helpers.serving import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GKH = str(Path(sys.executable).with_name("gkh"))
BATCH_FILES = Path(__file__).resolve().parents[2] / "benchmarks" / "batch_files.py"
NEW_HOUSE = "г. Москва, ул. Строителей, д. 3"  # the demo's new build, served by the demo staff's organisation
WALLET_ACCOUNT = "77ИВ845392"


class Server:
    """`gkh server run` on a fixed port in a process group of its own, so that SIGKILL reaches every worker."""

    def __init__(self, home: Path, db_args: list[str], workers: int):
        self.home, self.db_args, self.workers = home, db_args, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.logs: list[Path] = []

    def start(self, faults: str | None = None) -> None:
        log = self.home / f"server-{len(self.logs)}.log"
        self.logs.append(log)
        args = [GKH, "server", "run", "--port", str(self.port), "--workers", str(self.workers), *self.db_args]
        deadline = time.monotonic() + 30
        while True:
            with open(log, "w") as err:
                self.proc = subprocess.Popen(args + (["--faults", faults] if faults else []), stdout=subprocess.PIPE,
                                             stderr=err, text=True, env=os.environ.copy(), start_new_session=True)
            said = self.proc.stdout.readline().strip()
            if said == self.url:
                return
            self.proc.wait(timeout=30)  # the port not free yet after a kill: try again shortly
            assert time.monotonic() < deadline, f"gkh server run said {said!r}: {log.read_text()}"
            time.sleep(0.3)

    def kill(self) -> None:
        """SIGKILL to the whole process group: no handler runs, nothing is flushed or closed."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)  # the master; its workers are zombies until init reaps them

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def tracebacks(self) -> list[str]:
        return [log.name for log in self.logs if "Traceback" in log.read_text()]


@pytest.fixture
def server(home, engine, request):
    db_args = ["--db", request.getfixturevalue("pg_database")] if engine == "postgres" else []
    s = Server(home, db_args, workers=2 if engine == "postgres" else 0)
    s.start()
    yield s
    s.stop()


def gkh(*args: str, input: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([GKH, "--profile", "remote", *args], input=input, capture_output=True, text=True,
                          timeout=timeout, env=quick_env())


def quick_env() -> dict[str, str]:
    """The client gives up soon on a portal that is gone (its retries are what a re-run continues)."""
    return {**os.environ, "GKH_RETRIES": "2", "GKH_BACKOFF": "0.05"}


def sign_in(server: Server, user: str) -> None:
    assert gkh("config", "set", "url", server.url).returncode == 0
    done = gkh("auth", "login", "--user", user, "--password-stdin", input=password_of(user) + "\n")
    assert done.returncode == 0, done.stderr


def token(server: Server, user: str) -> requests.Session:
    session = requests.Session()
    resp = session.post(f"{server.url}/api/v1/auth/token", json={"login": user, "password": password_of(user)},
                        timeout=30)
    assert resp.status_code == 201, resp.text
    session.headers["Authorization"] = f"Bearer {resp.json()['token']}"
    return session


def store_is_whole(home: Path, engine: str) -> None:
    """SQLite: integrity_check ok and no row pointing at nothing; either engine: no claim left held."""
    if engine == "sqlite":
        with sqlite3.connect(home / "portal.sqlite3") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()


def held_claims(home: Path) -> int:
    """Claims on a key with no stored answer: work begun and not finished."""
    with db(home) as conn:
        return conn.execute("SELECT COUNT(*) AS n FROM idempotency_keys WHERE response IS NULL").fetchone()["n"]


def wait_until(condition, seconds: float = 60, step: float = 0.005) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


# --- (a) a batch import -------------------------------------------------------------------------------------------

def accounts_file(tmp_path: Path, rows: int) -> Path:
    """benchmarks/batch_files.py's accounts file: `rows` new accounts at the new build (1C's way)."""
    made = subprocess.run([sys.executable, str(BATCH_FILES), str(rows), str(tmp_path)], capture_output=True,
                          text=True, timeout=60, check=True)
    return Path(made.stdout.split()[0])


def at_new_house(home: Path) -> int:
    from gkh.server.demo.world import H6_GUID

    with db(home) as conn:
        return conn.execute("SELECT COUNT(*) AS n FROM accounts WHERE house_guid = ?", (H6_GUID,)).fetchone()["n"]


def test_server_killed_mid_import_then_the_same_import_puts_every_row_in_once(server, home, engine, tmp_path):
    rows = 20_000
    path = accounts_file(tmp_path, rows)
    sign_in(server, "uk-staff")
    before = at_new_house(home)
    command = [GKH, "--profile", "remote", "account", "import", str(path), "--json"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=quick_env())
    # Kill once a few chunks are in and the next one is being worked on (its claim held).
    assert wait_until(lambda: at_new_house(home) - before >= 2000 and held_claims(home) > 0, 120), \
        child.communicate()
    server.kill()
    out, err = child.communicate(timeout=120)
    assert child.returncode != 0 and "Traceback" not in err, err  # the client told the portal went away
    landed, held = at_new_house(home) - before, held_claims(home)
    assert 0 < landed < rows and landed % 1000 == 0, landed  # one transaction a chunk: never a part of one
    assert held <= 1  # the chunk in flight, if any at the kill: its claim left by the dead server
    store_is_whole(home, engine)

    server.start()
    store_is_whole(home, engine)
    started = time.monotonic()
    again = gkh("account", "import", str(path), "--json")
    took = time.monotonic() - started
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["created"], summary["unchanged"], summary["rejected"]) == (rows - landed, landed, 0), summary
    assert at_new_house(home) - before == rows
    with db(home) as conn:
        meters = conn.execute("SELECT COUNT(*) AS n FROM meters WHERE serial LIKE ?", ("ХВ-26-%",)).fetchone()["n"]
    assert meters == rows
    print(f"\n[{engine}] import killed at {landed}/{rows} rows in ({held} claim held); the re-run put the other "
          f"{rows - landed} in, {landed} unchanged, in {took:.1f} s")
    assert server.tracebacks() == []


def test_a_chunk_s_claim_the_killed_server_held_is_taken_over_at_once(server, home, engine, tmp_path):
    """The same request with the same key, the server killed while it worked on it: the retry does it at once."""
    import csv

    path = accounts_file(tmp_path, 1000)
    with path.open(encoding="cp1251", newline="") as f:
        lines = list(csv.reader(f, delimiter=";"))[1:]
    names = ("house", "flat", "number", "els", "area", "share", "payer", "kind", "meter_serial", "meter_resource",
             "meter_zones")
    chunk = {"rows": [{"line": i + 2, **dict(zip(names, line, strict=True))} for i, line in enumerate(lines)]}
    staff = token(server, "uk-staff")
    before = at_new_house(home)
    key = "crash-chunk-1"

    def post(timeout: float) -> requests.Response:
        return staff.post(f"{server.url}/api/v1/accounts/batch", json=chunk, headers={"Idempotency-Key": key},
                          timeout=timeout)

    import threading

    sent = threading.Thread(target=lambda: _ignore(lambda: post(60)), daemon=True)
    sent.start()
    with db(home) as conn:
        def claimed() -> bool:
            return conn.execute("SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = ? AND response IS NULL",
                                (key,)).fetchone()["n"] == 1
        assert wait_until(claimed, 60, 0.002)
    server.kill()
    sent.join(timeout=30)
    landed = at_new_house(home) - before
    assert landed in (0, 1000)
    server.start()
    store_is_whole(home, engine)
    started = time.monotonic()
    retried = post(120)
    took = time.monotonic() - started
    assert retried.status_code in (200, 201), retried.text  # never 409 in_progress for the dead server's lease
    assert retried.json()["created"] + retried.json()["unchanged"] == 1000
    assert took < 30, f"{took:.1f} s: the retry waited for the dead server's lease"
    assert at_new_house(home) - before == 1000 and held_claims(home) == 0
    again = post(60)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == retried.json()
    print(f"\n[{engine}] the claim of the killed server taken over at once: the retry answered "
          f"{retried.status_code} in {took:.1f} s ({landed} rows had landed before the kill)")


def _ignore(call) -> None:
    try:
        call()
    except requests.RequestException:
        pass


# --- (b) a payment ------------------------------------------------------------------------------------------------

def balance(home: Path) -> Decimal:
    from tests.helpers.rows import db as rows

    with rows(home) as conn:
        row = conn.execute("SELECT w.balance_kopecks AS k FROM wallets w JOIN users u ON u.id = w.user_id "
                           "WHERE u.login = ?", ("ivanov",)).fetchone()
    return Decimal(row["k"]) / 100


def wallet_payments(home: Path) -> int:
    with db(home) as conn:
        return conn.execute("SELECT COUNT(*) AS n FROM payments p JOIN users u ON u.id = p.user_id "
                            "WHERE u.login = ? AND p.method = 'wallet'", ("ivanov",)).fetchone()["n"]


def test_server_killed_during_payments_then_each_command_run_again_charges_once(server, home, engine):
    """The server (its requests each paused up to 2 s) killed at random moments of `gkh pay`; the command run again
    when it failed; each command charged exactly once."""
    rng = random.Random(17)
    sign_in(server, "ivanov")
    server.stop()
    server.start(faults="delay=1,pause=2")
    start_balance, start_count = balance(home), wallet_payments(home)
    trials, failed, held_seen = 3, 0, 0
    for trial in range(trials):
        amount = f"{trial + 1}.{trial + 10}"
        command = [GKH, "--profile", "remote", "pay", WALLET_ACCOUNT, "--method", "wallet", "--amount", amount,
                   "--yes", "--json"]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=quick_env())
        time.sleep(rng.uniform(0.2, 3.0))
        server.kill()
        out, err = child.communicate(timeout=120)
        held_seen += held_claims(home)
        server.start(faults="delay=1,pause=2")
        store_is_whole(home, engine)
        if child.returncode != 0:
            failed += 1
            assert "Traceback" not in err, err
            again = gkh("pay", WALLET_ACCOUNT, "--method", "wallet", "--amount", amount, "--yes", "--json")
            assert again.returncode == 0, again.stderr
        assert wallet_payments(home) - start_count == trial + 1, f"trial {trial}: not one charge"
    paid = sum(Decimal(f"{t + 1}.{t + 10}") for t in range(trials))
    assert start_balance - balance(home) == paid
    assert held_claims(home) == 0  # a payment's claim the dead server held: taken over by the kept key, finished
    print(f"\n[{engine}] {trials} payments, the server killed during each: {failed} commands failed and were run "
          f"again, {held_seen} claims left held by a dead server; one charge each, {paid} off the wallet")
    assert server.tracebacks() == []


# --- 2. `gkh pay` itself killed after its request was sent -------------------------------------------------------

def payments_by(home: Path, method: str) -> list[str]:
    with db(home) as conn:
        return [r["id"] for r in conn.execute(
            "SELECT p.id FROM payments p JOIN users u ON u.id = p.user_id WHERE u.login = ? AND p.method = ? "
            "ORDER BY p.seq", ("ivanov", method))]


def kept_keys(home: Path) -> int:
    kept = home.parent / "state" / "payments.json"
    return len(json.loads(kept.read_text())["attempts"]) if kept.exists() else 0


@pytest.mark.parametrize("method", ["wallet", "card"])
def test_gkh_pay_killed_after_sending_then_run_again_charges_once(server, home, engine, method):
    """The portal pauses each request (up to 2 s) and says so in its log: once the payment's POST is in, gkh is
    killed; the portal finishes it; the same command run again replays it with the key kept in the state folder."""
    sign_in(server, "ivanov")
    server.stop()
    server.start(faults="delay=1,pause=2,seed=5")
    log = server.logs[-1]
    start_balance, before = balance(home), payments_by(home, method)
    command = ["pay", WALLET_ACCOUNT, "--method", method, "--amount", "2.50", "--yes", "--json",
               *(["--timeout", "1"] if method == "card" else [])]
    child = subprocess.Popen([GKH, "--profile", "remote", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=quick_env())
    # The quote is a dry-run POST; the second is the payment itself, paused by the portal before its work.
    assert wait_until(lambda: log.read_text().count("POST /api/v1/payments") >= 2, 60, 0.002)
    child.kill()
    child.wait(timeout=10)
    assert kept_keys(home) == 1, "gkh finished before it was killed: its pause was too short"
    # waitress has the whole request before the app sees it and goes on with the payment; whether gunicorn's
    # worker does, reading the body after the pause, the re-run's answer is the same: one payment.
    went_on = wait_until(lambda: len(payments_by(home, method)) > len(before), 4, 0.05)
    again = gkh(*command)
    assert again.returncode == (0 if method == "wallet" else 7), again.stderr  # card: pending at its timeout
    made = payments_by(home, method)[len(before):]
    assert len(made) == len(set(made)) and made[-1] in again.stdout + again.stderr
    assert len(made) == 1  # one command that reached the portal: one payment, however often it was sent
    if method == "wallet":
        assert start_balance - balance(home) == Decimal("2.50")
    assert kept_keys(home) == 0  # the definitive answer known: the key forgotten
    print(f"\n[{engine}] gkh pay --method {method} killed with its request sent: the portal "
          f"{'went on and made it' if went_on else 'had not made it; the re-run did'}: {made[-1]}, one payment")


# --- (c) an upload: an appeal with an attachment -----------------------------------------------------------------

def appeals_of_ivanov(home: Path) -> list[tuple[str, int, bytes]]:
    """ivanov's appeals about the staircase light: (id, its attachments, the first one's bytes)."""
    with db(home) as conn:
        found = conn.execute("SELECT a.id FROM appeals a JOIN users u ON u.id = a.author_id WHERE u.login = ? "
                             "AND a.text LIKE ? ORDER BY a.seq", ("ivanov", "Crash test:%")).fetchall()
        out = []
        for (appeal,) in found:
            files = conn.execute("SELECT u.data FROM appeal_files f JOIN uploads u ON u.id = f.upload_id "
                                 "WHERE f.appeal_id = ? ORDER BY f.position", (appeal,)).fetchall()
            out.append((appeal, len(files), bytes(files[0][0]) if files else b""))
    return out


def unused_uploads(home: Path) -> int:
    with db(home) as conn:
        return conn.execute("SELECT COUNT(*) AS n FROM uploads u JOIN users p ON p.id = u.user_id "
                            "WHERE p.login = ? AND u.used_by IS NULL", ("ivanov",)).fetchone()["n"]


@pytest.mark.parametrize("during", ["uploads", "appeals"])
def test_server_killed_during_an_appeal_with_a_file_then_the_same_command_sends_one(server, home, engine, tmp_path,
                                                                                   during):
    """The server killed while it holds the file's upload, or the appeal that refers to the uploaded file."""
    attachment = tmp_path / "акт-осмотра.txt"
    attachment.write_bytes(("Акт осмотра подъезда. " * 200_000).encode("utf-8")[:4 * 2**20])  # 4 MiB
    sign_in(server, "ivanov")
    server.stop()
    server.start(faults="delay=1,pause=2,seed=3")
    log = server.logs[-1]
    command = ["appeal", "send", "--house", "ленина 5", "--topic", "maintenance", "--to", "ORG-0001", "--text",
               "Crash test: не работает освещение в подъезде.", "--attach", str(attachment), "--json"]
    before = unused_uploads(home)
    child = subprocess.Popen([GKH, "--profile", "remote", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=quick_env())
    assert wait_until(lambda: f"POST /api/v1/{during}" in log.read_text(), 60, 0.002), log.read_text()
    server.kill()  # in the request's pause (up to 2 s), before its work
    out, err = child.communicate(timeout=120)
    assert child.returncode != 0 and "Traceback" not in err, (out, err)
    if during == "appeals":  # its answer lost: gkh keeps the attempt (its key, its upload) for the re-run
        assert "the appeal's outcome is unknown: run the same command again" in err, err
    assert appeals_of_ivanov(home) == []
    store_is_whole(home, engine)

    server.start()
    store_is_whole(home, engine)
    again = gkh(*command)
    assert again.returncode == 0, again.stderr
    sent = appeals_of_ivanov(home)
    assert [(a, n) for a, n, _ in sent] == [(json.loads(again.stdout)["id"], 1)]  # one appeal, its one file
    assert sent[0][2] == attachment.read_bytes()  # the file whole
    left = unused_uploads(home) - before
    assert left == 0  # the killed run's upload, if it was stored, is the one the re-run's appeal refers to
    print(f"\n[{engine}] server killed during POST /{during}: the store whole, the re-run sent one appeal with "
          f"its file ({attachment.stat().st_size} bytes); {left} upload left unused")
    assert server.tracebacks() == []


# --- what the kill of a worker leaves: a zombie ------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_a_claim_of_a_killed_process_not_yet_reaped_is_taken_over():
    """gunicorn's workers killed with their master are zombies until init reaps them (late, or never where init
    does not reap): a claim of such a process belongs to no one. Before, the retry got 409 in_progress for the
    whole 60 s lease (seen on PostgreSQL with 2 workers, the retry 1 s after the kill)."""
    from gkh.server.idempotency import Holder, _started, holder_gone, this_process

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = Holder(this_process().place, child.pid, _started(child.pid), "killed-worker").text()
        assert not holder_gone(holder)  # working still
        os.kill(child.pid, signal.SIGKILL)
        assert wait_until(lambda: open(f"/proc/{child.pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z", 10)
        assert holder_gone(holder)  # ended: a zombie until its parent (here: this test) reaps it
    finally:
        child.kill()
        child.wait()
    assert holder_gone(holder)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_payment_s_claim_the_killed_workers_held_is_taken_over_by_the_kept_key(server, home, engine):
    """Deterministic on PostgreSQL: the wallet's row is locked by the test, so the payment's work waits after its
    claim is made; the workers are killed then; `gkh pay` run again sends its kept key and pays at once, once."""
    import psycopg

    from tests.helpers.postgres import PORTAL_URLS

    sign_in(server, "ivanov")
    server.stop()
    server.start(faults="delay=1,pause=2")  # each request paused first: the time to lock the wallet's row
    log = server.logs[-1]
    start_balance, before = balance(home), payments_by(home, "wallet")
    command = ["pay", WALLET_ACCOUNT, "--method", "wallet", "--amount", "4.44", "--yes", "--json"]
    child = subprocess.Popen([GKH, "--profile", "remote", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=quick_env())
    # The quote (a dry run, which tries the work too) first; the payment's own POST then pauses in the portal.
    assert wait_until(lambda: log.read_text().count("POST /api/v1/payments") >= 2, 60, 0.002)
    with psycopg.connect(PORTAL_URLS[home]) as lock:
        lock.execute("SELECT w.balance_kopecks FROM wallets w JOIN users u ON u.id = w.user_id WHERE u.login = %s "
                     "FOR UPDATE", ("ivanov",))
        assert wait_until(lambda: held_claims(home) == 1, 60, 0.01), child.communicate()
        server.kill()
        lock.rollback()
    out, err = child.communicate(timeout=120)
    assert child.returncode == 6 and kept_keys(home) == 1, (child.returncode, err)  # unknown: the key kept
    assert payments_by(home, "wallet") == before and held_claims(home) == 1  # the claim left by a dead worker
    server.start()
    started = time.monotonic()
    again = gkh(*command)
    took = time.monotonic() - started
    assert again.returncode == 0, again.stderr
    assert took < 20, f"{took:.1f} s: the re-run waited for the dead worker's lease"
    made = payments_by(home, "wallet")[len(before):]
    assert len(made) == 1 and start_balance - balance(home) == Decimal("4.44") and held_claims(home) == 0
    print(f"\n[{engine}] a payment's claim held by a killed worker: the re-run with the kept key paid in {took:.1f} s,"
          f" once ({made[0]})")
