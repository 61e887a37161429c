"""Load for the reliability runs (issue 17): a `gkh server run` to drive (faulty or not, SQLite or PostgreSQL), the
real client signed in as a demo user with a patient retry policy, the CLI under a profile of its own, work spread
over processes started by "spawn", and timings per operation kind (requests/s, p50, p99).

Used by tests/reliability/test_soak.py, tests/reliability/test_concurrency.py and benchmarks/concurrency.py; the
functions a child process runs live here, so "spawn" can import them.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

GKH = str(Path(sys.executable).with_name("gkh"))
SOAK_FAULTS = "drop=0.1,cut=0.05,error=0.1,delay=0.05,pause=0.2"
NOW = "2026-11-20T12:00:00+03:00"  # inside the demo's reading window and MT-000001's vote
PERIOD = "2026-11"
NEW_HOUSE = "г. Москва, ул. Строителей, д. 3"
ELECTRICITY = "77ИВ845392"  # the demo resident's electricity account, paid from his wallet
MEETING = "MT-000001"  # the demo meeting in voting
PASSWORDS = {"ivanov": "ivanov-demo-2026"}
ATTEMPTS = 10  # the client's tries per call under faults
BACKOFF = 0.02
CAP = 0.2  # the longest wait between tries (a 503's Retry-After: 1 is capped to it)


# --- the server -------------------------------------------------------------------------------------------------

@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path
    stderr: str = ""

    def said(self) -> str:
        """What the server wrote to stderr so far (all of it once stopped)."""
        return self.stderr or self.log.read_text(errors="replace")


@contextmanager
def serving(home: Path, db: str | None = None, *, workers: int = 0, threads: int = 8,
            faults: str | None = None) -> Iterator[Server]:
    """`gkh server run` on a free port: the data folder's SQLite portal (one waitress process) or the PostgreSQL
    database `db` (gunicorn with `workers`); faults as `--faults` says. Stopped (SIGTERM) on leaving."""
    log = home.parent / f"server-{time.monotonic_ns()}.log"
    args = [GKH, "server", "run", "--port", "0", "--threads", str(threads), "--workers", str(workers)]
    args += ["--db", db] if db else []
    args += ["--faults", faults] if faults else []
    env = {**os.environ, "GKH_HOME": str(home), "GKH_NOW": os.environ.get("GKH_NOW", NOW)}
    env.pop("GKH_FAULTS", None)
    with open(log, "w") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    server = Server(proc.stdout.readline().strip() if proc.stdout else "", proc, log)
    try:
        assert server.url.startswith("http://127.0.0.1:"), log.read_text()
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server.stderr = log.read_text(errors="replace")


def password_of(login: str) -> str:
    from gkh.server.demo import DEMO_USERS

    return next(u.password for u in DEMO_USERS if u.login == login)


def client(url: str, login: str, *, attempts: int = ATTEMPTS) -> Any:
    """The real API client signed in as a demo user, retrying `attempts` times with a small backoff."""
    from gkh.client.api import Client, RetryPolicy

    api = Client(url, timeout=60, retry=RetryPolicy(attempts=attempts, backoff=BACKOFF, cap=CAP))
    api.set_token(api.sign_in(login, password_of(login))["token"])
    return api


# --- the CLI ----------------------------------------------------------------------------------------------------

def cli_env(folder: Path, url: str, login: str) -> dict[str, str]:
    """The environment of a CLI user of its own (config and state under `folder`), its `remote` profile set to
    the server and signed in; GKH_RETRIES 10 with a small backoff."""
    env = {**os.environ, "GKH_CONFIG_DIR": str(folder / "config"), "GKH_STATE_DIR": str(folder / "state"),
           "GKH_RETRIES": str(ATTEMPTS), "GKH_BACKOFF": str(BACKOFF)}
    env.pop("GKH_FAULTS", None)
    run_cli(env, "config", "set", "url", url, check=True)
    run_cli(env, "auth", "login", "--user", login, "--password-stdin", input=password_of(login) + "\n", check=True)
    return env


def run_cli(env: dict[str, str], *args: str, input: str | None = None, check: bool = False,
            timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([GKH, "--profile", "remote", *args], input=input, capture_output=True, text=True,
                          env=env, timeout=timeout)
    if check:
        assert done.returncode == 0, (args, done.returncode, done.stderr)
    return done


# --- timings ----------------------------------------------------------------------------------------------------

@dataclass
class Timings:
    """Seconds each call of a kind took (retries included), and the errors by kind."""

    calls: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def timed(self, kind: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """call(*args, **kwargs), timed under `kind`; None (the error noted) when it raises."""
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except Exception as error:  # noqa: BLE001  (recorded, the caller decides)
            self.errors.setdefault(kind, []).append(f"{type(error).__name__}: {error}")
            return None
        finally:
            self.calls.setdefault(kind, []).append(time.perf_counter() - started)

    def merge(self, other: Timings) -> None:
        for kind, seconds in other.calls.items():
            self.calls.setdefault(kind, []).extend(seconds)
        for kind, errors in other.errors.items():
            self.errors.setdefault(kind, []).extend(errors)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def rate_table(timings: Timings, seconds: float, title: str) -> str:
    """kind, calls, requests/s over the run, p50 and p99 in ms, errors."""
    lines = [title, f"{'kind':<10}{'calls':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"]
    for kind in sorted(timings.calls):
        values = timings.calls[kind]
        lines.append(f"{kind:<10}{len(values):>8}{len(values) / seconds:>9.1f}{percentile(values, 0.5) * 1000:>9.0f}"
                     f"{percentile(values, 0.99) * 1000:>9.0f}{len(timings.errors.get(kind, ())):>8}")
    return "\n".join(lines)


def tally_table(rows: dict[str, tuple[int, int, int]], title: str) -> str:
    """kind, attempted, duplicated, lost."""
    lines = [title, f"{'kind':<18}{'attempted':>10}{'duplicated':>11}{'lost':>6}"]
    lines += [f"{kind:<18}{a:>10}{d:>11}{lost:>6}" for kind, (a, d, lost) in rows.items()]
    return "\n".join(lines)


# --- processes --------------------------------------------------------------------------------------------------

def in_processes(jobs: Sequence[tuple[Callable[..., Any], tuple]]) -> list[Any]:
    """Run each (function, arguments) in a process of its own, started by "spawn", all at once; their results in
    order (an exception in one is raised here)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=context) as pool:
        futures = [pool.submit(function, *args) for function, args in jobs]
        return [future.result() for future in futures]


def kopecks(amount: str | Decimal) -> int:
    value = Decimal(amount) * 100
    assert value == value.to_integral_value(), amount
    return int(value)


# --- what a child process does ----------------------------------------------------------------------------------

def pay_job(url: str, amounts: Sequence[str]) -> tuple[list[str | None], Timings]:
    """The demo resident pays his electricity account from the wallet once per amount; the payment ids told
    (None where the client gave up)."""
    timings, told = Timings(), []
    api = client(url, "ivanov")
    for amount in amounts:
        paid = timings.timed("payment", api.pay, ELECTRICITY, "wallet", amount=amount)
        told.append(paid["id"] if paid and paid["status"] == "succeeded" else None)
    return told, timings


def readings_job(url: str, start: dict[str, str], rounds: int, step: str = "0.001") -> tuple[dict[str, str], Timings]:
    """Staff submit a reading of each of their meters per round, each a step above the last; the value each meter
    was last told was stored."""
    timings, told = Timings(), {}
    api = client(url, "uk-staff")
    for n in range(1, rounds + 1):
        for meter, first in start.items():
            value = str(Decimal(first) + n * Decimal(step))
            if timings.timed("reading", api.submit_reading, meter, [value]):
                told[meter] = value
    return told, timings


def readings_file_job(url: str, folder: str, start: dict[str, str], rounds: int,
                      step: str = "0.001") -> tuple[dict[str, str], list[str], Timings]:
    """Staff submit a readings file per round with `gkh meter submit --file` (each meter a step above the last);
    the values of the rounds the CLI said went in whole, and what it said when one did not."""
    timings, told, failures = Timings(), {}, list[str]()
    work = Path(folder)
    env = cli_env(work, url, "uk-staff")
    for n in range(1, rounds + 1):
        values = {meter: str(Decimal(first) + n * Decimal(step)) for meter, first in start.items()}
        path = work / f"readings-{n}.csv"
        path.write_text("meter,T1\n" + "".join(f"{m},{v}\n" for m, v in values.items()), encoding="utf-8")
        done = timings.timed("file", run_cli, env, "meter", "submit", "--file", str(path))
        if done is not None and done.returncode == 0:
            told.update(values)
        else:
            failures.append(done.stderr if done is not None else str(timings.errors["file"][-1]))
    return told, failures, timings


def import_job(url: str, folder: str, rows: int, seed: int = 1) -> tuple[int, str, list[str], Timings]:
    """uk-staff imports `rows` new accounts (each with a cold-water meter) into the demo's new house with
    `gkh account import` of a file as 1C writes it (benchmarks/batch_files.py); its exit code, stderr, and the
    account numbers the file holds."""
    from benchmarks import batch_files

    timings, work = Timings(), Path(folder)
    path = work / f"accounts-{rows}.csv"
    lines = list(batch_files.accounts(rows, NEW_HOUSE, seed, True))
    batch_files.write(path, batch_files.ACCOUNT_HEADERS["ru"], iter(lines), False)
    env = cli_env(work, url, "uk-staff")
    done = timings.timed("import", run_cli, env, "account", "import", str(path), "--json")
    return done.returncode, done.stderr, [line[2] for line in lines], timings


def appeals_job(url: str, folder: str, tag: str, count: int) -> tuple[list[tuple[str, bytes]], Timings]:
    """The demo resident sends `count` appeals to the managing organisation, each with a file uploaded first;
    (text, the file's bytes) of each the client was told was sent."""
    timings, sent = Timings(), []
    api = client(url, "ivanov")
    house = api.accounts()[0]["house"]["guid"]
    for i in range(count):
        text = f"Обращение {tag}-{i}: в подъезде не горит свет."
        data = f"%PDF-1.4\n% фото {tag}-{i}\n".encode() + os.urandom(512)
        path = Path(folder) / f"photo-{tag}-{i}.pdf"
        path.write_bytes(data)
        upload = timings.timed("upload", api.upload_file, path)
        if upload is None:
            continue
        appeal = timings.timed("appeal", api.send_appeal, house, "ORG-0001", text, topic="maintenance",
                               attachments=[upload["id"]])
        if appeal is not None:
            sent.append((text, data))
    return sent, timings


def votes_job(url: str, login: str, rounds: int, questions: int) -> tuple[dict[int, str], Timings]:
    """An owner votes on the demo meeting `rounds` times, changing her mind each time; the answers as last cast
    (those the portal confirmed)."""
    timings, cast = Timings(), {}
    api = client(url, login)
    choices = ("for", "against", "abstain")
    for n in range(rounds):
        votes = {q: choices[(n + q) % 3] for q in range(1, questions + 1) if (n + q) % 2 or n == 0}
        if timings.timed("vote", api.vote, MEETING, votes) is not None:
            cast.update(votes)
    return cast, timings


LIST_KINDS = ("accounts", "bills", "payments", "meters")


@dataclass
class Mixed:
    """What one client process of the concurrency run did and was told."""

    readings: dict[str, str] = field(default_factory=dict)  # meter → the value last told stored
    paid: dict[str, int] = field(default_factory=dict)  # payment id → kopecks
    imported: list[str] = field(default_factory=list)  # account numbers of the chunks told stored
    cast: dict[int, str] = field(default_factory=dict)  # question → the choice last told stored
    timings: Timings = field(default_factory=Timings)


def mixed_job(url: str, index: int, seconds: float, meters: dict[str, str], vote: tuple[str, int] | None,
              chunk: int = 100) -> Mixed:
    """One of the concurrency run's clients, no retries (a 5xx or a lock is an error, not hidden by a retry):
    round after round until `seconds` pass, a reading of each of its meters (a step up), a wallet payment of a
    few kopecks, a chunk of `chunk` new accounts in the new house (numbers and serials its own), a vote on its own
    question (`vote`: the owner and the question, or None), and one page of each list."""
    done = Mixed()
    staff, resident = client(url, "uk-staff", attempts=1), client(url, "ivanov", attempts=1)
    voter = client(url, vote[0], attempts=1) if vote else None
    timings, stop, n = done.timings, time.monotonic() + seconds, 0
    lists: dict[str, Callable[..., list[dict]]] = {"accounts": staff.accounts, "bills": staff.bills,
                                                   "payments": resident.payments, "meters": staff.meters}
    while time.monotonic() < stop:
        n += 1
        for meter, first in meters.items():
            value = str(Decimal(first) + n * Decimal("0.001"))
            if timings.timed("reading", staff.submit_reading, meter, [value]):
                done.readings[meter] = value
        amount = 1 + (index + n) % 9
        if paid := timings.timed("payment", resident.pay, ELECTRICITY, "wallet", amount=f"0.0{amount}"):
            done.paid[paid["id"]] = amount
        rows = [new_account(index, n, k) for k in range(chunk)]
        answer = timings.timed("import", staff.import_accounts, rows)
        if answer is not None and answer["created"] == chunk:
            done.imported += [str(row["number"]) for row in rows]
        elif answer is not None:
            timings.errors.setdefault("import", []).append(json_text(answer)[:500])
        if voter is not None and vote is not None:
            choice = ("for", "against", "abstain")[n % 3]
            if timings.timed("vote", voter.vote, MEETING, {vote[1]: choice}):
                done.cast[vote[1]] = choice
        for kind in LIST_KINDS:
            timings.timed(kind, lists[kind], limit=100)
    return done


def new_account(index: int, n: int, k: int) -> dict[str, Any]:
    """Client `index`'s row `k` of its chunk `n`: an account of its own in the new house, with a cold-water meter."""
    return {"line": k + 2, "house": NEW_HOUSE, "flat": f"{index}-{n}-{k}", "number": f"{index + 1}{n:05d}{k:04d}",
            "els": "", "area": "45.5", "share": "1", "payer": "Смирнов Иван Петрович", "kind": "собственник",
            "meter_serial": f"К{index}-{n}-{k}", "meter_resource": "cold_water", "meter_zones": "1"}


# --- the concurrency run (tests/reliability/test_concurrency.py, benchmarks/concurrency.py) -----------------------

class Outcome:
    """The concurrency run: each client's Mixed, the meters' first values, who votes on which question, the
    wallet before and after, the seconds it took."""

    def __init__(self, parts: list[Mixed], start: dict[str, str], votes: dict[int, tuple[str, int]],
                 wallet: tuple[Decimal, Decimal], elapsed: float):
        self.clients = len(parts)
        self.parts, self.start, self.votes, self.wallet, self.elapsed = parts, start, votes, wallet, elapsed
        self.timings = Timings()
        for part in parts:
            self.timings.merge(part.timings)

    def title(self, engine: str, workers: bool) -> str:
        return (f"{self.clients} clients at once for {self.elapsed:.0f} s on {engine} "
                f"({'gunicorn, 2 workers' if workers else 'waitress'}), no faults")


def concurrency(url: str, seconds: float, clients: int = 8, meters_each: int = 5) -> Outcome:
    """`clients` processes running mixed_job for `seconds` against the portal at `url` (`meters_each` meters a
    client); what they were told, and the wallet before and after."""
    staff, resident = client(url, "uk-staff"), client(url, "ivanov")
    meters = [m for m in staff.meters() if m["resource"] in ("cold_water", "hot_water") and m["window"]["open"]
              and not m["overdue"] and m["last_reading"]][:clients * meters_each]
    start = {m["id"]: m["last_reading"]["values"]["T1"] for m in meters}
    questions = len(resident.meeting(MEETING)["agenda"])
    pairs = [(login, q) for login in ("ivanov", "petrova") for q in range(1, questions + 1)]
    votes = {i: pairs[i] for i in range(min(clients, len(pairs)))}  # each pair (owner, question) one client's
    before = Decimal(resident.wallet()["balance"])
    ids = list(start)
    started = time.monotonic()
    parts = in_processes([(mixed_job, (url, i, seconds, {m: start[m] for m in ids[i::clients]},
                                                 votes.get(i))) for i in range(clients)])
    elapsed = time.monotonic() - started
    after = Decimal(resident.wallet()["balance"])
    return Outcome(parts, start, votes, (before, after), elapsed)


def concurrency_check(conn: Any, outcome: Outcome) -> dict[str, object]:
    """What the store holds that it should not, or lacks (empty: every write accounted for)."""
    wrong: dict[str, object] = {}
    import json

    told = {m: v for part in outcome.parts for m, v in part.readings.items()}
    held = {row[0]: (json.loads(row[1])["T1"], row[2]) for row in conn.execute(
        "SELECT meter_id, max(reading_values), count(*) FROM readings WHERE period = ? GROUP BY meter_id",
        (PERIOD,)).fetchall()}
    if bad := [m for m, v in told.items() if m not in held or Decimal(held[m][0]) != Decimal(v) or held[m][1] != 1]:
        wrong["readings"] = bad[:5]

    paid = {pid: k for part in outcome.parts for pid, k in part.paid.items()}
    ivanov = conn.execute("SELECT id FROM users WHERE login = 'ivanov'").fetchone()[0]
    stored = {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT p.id, p.amount_kopecks, (SELECT count(*) FROM receipts r WHERE r.payment_id = p.id) FROM payments p"
        " WHERE p.user_id = ? AND p.method = 'wallet'", (ivanov,)).fetchall()}
    if {pid: (k, 1) for pid, k in paid.items()} != stored:
        wrong["payments"] = (len(paid), len(stored))
    before, after = outcome.wallet
    if (before - after) * 100 != sum(paid.values()):
        wrong["wallet"] = (before - after, Decimal(sum(paid.values())) / 100)

    numbers = [n for part in outcome.parts for n in part.imported]
    counted = dict(conn.execute(
        "SELECT a.number, count(DISTINCT a.id) * 1000 + count(m.id) FROM accounts a LEFT JOIN meters m"
        " ON m.account_id = a.id WHERE a.number IN (" + ",".join("?" * len(numbers)) + ") GROUP BY a.number",
        numbers).fetchall()) if numbers else {}
    if len(set(numbers)) != len(numbers) or any(counted.get(n) != 1001 for n in numbers):
        wrong["accounts"] = Counter(counted.get(n) for n in numbers)

    for index, (login, question) in outcome.votes.items():
        cast = outcome.parts[index].cast.get(question)
        choices = {row[0] for row in conn.execute(
            "SELECT v.choice FROM meeting_votes v JOIN owners o ON o.id = v.owner_id JOIN users u ON u.id = o.user_id"
            " WHERE v.meeting_id = ? AND u.login = ? AND v.number = ?", (MEETING, login, question)).fetchall()}
        if cast is not None and choices != {cast}:
            wrong[f"vote {login} {question}"] = (cast, choices)
    return wrong


def json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


# --- the soak under faults (tests/reliability/test_soak.py, benchmarks/concurrency.py) -----------------------------

@dataclass
class Volumes:
    """The soak's volumes at `scale` (1: the issue's)."""

    scale: float = 1.0

    def __post_init__(self) -> None:
        s = self.scale
        self.payments = max(2, int(500 * s))
        self.single_meters, self.single_rounds = 50, max(1, int(20 * s))  # two processes: 1 000 submits
        self.file_meters, self.file_rounds = 200, max(1, int(5 * s))  # 1 000 rows
        self.accounts = max(10, int(20_000 * s))
        self.appeals = max(1, int(20 * s))  # per process, two processes
        self.votes = max(2, int(30 * s))  # per owner


@dataclass
class Soak:
    """What the soak's processes did and were told."""

    volumes: Volumes
    amounts: list[str]
    paid: list[str | None]
    told: dict[str, dict[str, str]]  # "readings (client)" / "readings (--file)" → meter → value last told
    file_failures: list[str]
    imported: tuple[int, str, list[str]]  # the CLI's exit code, its stderr, the file's account numbers
    sent: list[tuple[str, bytes]]
    cast: dict[str, dict[int, str]]  # owner → question → choice
    questions: int
    wallet: tuple[Decimal, Decimal]
    timings: Timings
    elapsed: float


def soak(url: str, folder: Path, volumes: Volumes) -> Soak:
    """The soak's operations from ten processes at once against the portal at `url` (work files under `folder`)."""
    v = volumes
    staff = client(url, "uk-staff")
    meters = [m for m in staff.meters() if m["resource"] in ("cold_water", "hot_water") and m["window"]["open"]
              and not m["overdue"] and m["last_reading"]]
    assert len(meters) >= v.single_meters + v.file_meters, len(meters)
    start = {m["id"]: m["last_reading"]["values"]["T1"] for m in meters}
    single = list(start)[:v.single_meters]
    files = {m: start[m] for m in list(start)[v.single_meters:v.single_meters + v.file_meters]}
    resident = client(url, "ivanov")
    before = Decimal(resident.wallet()["balance"])
    questions = len(resident.meeting(MEETING)["agenda"])
    amounts = [f"{Decimal(100 + i) / 100:.2f}" for i in range(v.payments)]  # each its own: 1.00, 1.01, …
    for name in ("file", "import", "appeals-a", "appeals-b"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    (paid_a, t1), (paid_b, t2), (told_a, t3), (told_b, t4), (told_file, file_failures, t5), \
        (exit_code, import_said, numbers, t6), (sent_a, t7), (sent_b, t8), (cast_ivanov, t9), \
        (cast_petrova, t10) = in_processes([
            (pay_job, (url, amounts[0::2])),
            (pay_job, (url, amounts[1::2])),
            (readings_job, (url, {m: start[m] for m in single[0::2]}, v.single_rounds)),
            (readings_job, (url, {m: start[m] for m in single[1::2]}, v.single_rounds)),
            (readings_file_job, (url, str(folder / "file"), files, v.file_rounds)),
            (import_job, (url, str(folder / "import"), v.accounts)),
            (appeals_job, (url, str(folder / "appeals-a"), "a", v.appeals)),
            (appeals_job, (url, str(folder / "appeals-b"), "b", v.appeals)),
            (votes_job, (url, "ivanov", v.votes, questions)),
            (votes_job, (url, "petrova", v.votes, questions)),
        ])
    elapsed = time.monotonic() - started
    after = Decimal(resident.wallet()["balance"])
    timings = Timings()
    for part in (t1, t2, t3, t4, t5, t6, t7, t8, t9, t10):
        timings.merge(part)
    told = {"readings (client)": {**told_a, **told_b}, "readings (--file)": told_file}
    return Soak(v, amounts, paid_a + paid_b, told, file_failures, (exit_code, import_said, numbers), sent_a + sent_b,
                {"ivanov": cast_ivanov, "petrova": cast_petrova}, questions, (before, after), timings, elapsed)


def soak_check(conn: Any, s: Soak) -> tuple[dict[str, tuple[int, int, int]], list[str]]:
    """The store read against what the soak was told: (kind → attempted, duplicated, lost), and what else is
    wrong (empty: nothing)."""
    import json

    v, tally, problems = s.volumes, {}, []

    def one(sql: str, *params: object) -> Any:
        return conn.execute(sql, params).fetchone()[0]

    ivanov = one("SELECT id FROM users WHERE login = 'ivanov'")
    # Payments: one per amount, one receipt each, the wallet and the bill exact to the kopeck.
    rows = conn.execute("SELECT p.id, p.amount_kopecks, (SELECT count(*) FROM receipts r WHERE r.payment_id = p.id)"
                        " FROM payments p WHERE p.user_id = ? AND p.method = 'wallet' AND p.status = 'succeeded'",
                        (ivanov,)).fetchall()
    per_amount = Counter(row[1] for row in rows)
    wanted = [kopecks(a) for a in s.amounts]
    tally["payments"] = (len(wanted), sum(per_amount[k] - 1 for k in wanted if per_amount[k] > 1),
                         sum(1 for k in wanted if not per_amount[k]))
    if sorted(per_amount.elements()) != sorted(wanted):
        problems.append("payments: stored amounts differ from those paid")
    if any(row[2] != 1 for row in rows):
        problems.append("payments: not one receipt each")
    if None in s.paid or not set(s.paid) <= {row[0] for row in rows}:
        problems.append("payments: a payment told is not stored")
    total = sum((Decimal(a) for a in s.amounts), Decimal(0))
    if s.wallet[0] - s.wallet[1] != total:
        problems.append(f"wallet: down by {s.wallet[0] - s.wallet[1]}, paid {total}")
    parts = conn.execute("SELECT pb.bill_id, sum(pb.amount_kopecks), b.paid_kopecks FROM payment_bills pb"
                         " JOIN payments p ON p.id = pb.payment_id JOIN bills b ON b.id = pb.bill_id"
                         " WHERE p.user_id = ? GROUP BY pb.bill_id, b.paid_kopecks", (ivanov,)).fetchall()
    if sum(Decimal(row[1]) for row in parts) / 100 != total or any(row[1] != row[2] for row in parts):
        problems.append(f"bills: paid totals {[(r[0], r[1], r[2]) for r in parts]} for {total} paid")

    # Readings: one per meter and month, holding the value last told.
    for kind, rounds, count in (("readings (client)", v.single_rounds, v.single_meters),
                                ("readings (--file)", v.file_rounds, v.file_meters)):
        told = s.told[kind]
        held = {row[0]: (json.loads(row[1])["T1"], row[2]) for row in conn.execute(
            "SELECT meter_id, max(reading_values), count(*) FROM readings WHERE period = ? AND meter_id IN"
            f" ({','.join('?' * len(told))}) GROUP BY meter_id", (PERIOD, *told)).fetchall()} if told else {}
        lost = sum(1 for meter, value in told.items() if meter not in held or Decimal(held[meter][0]) != Decimal(value))
        tally[kind] = (rounds * count, sum(n - 1 for _, n in held.values()), lost + count - len(told))
    problems += [f"readings --file: {failure[-300:]}" for failure in s.file_failures[:1]]

    # Accounts: every number of the file once in the new house, each with its one meter.
    exit_code, said, numbers = s.imported
    house = one("SELECT guid FROM houses WHERE address LIKE ?", "%Строителей, д. 3")
    accounts = dict(conn.execute(
        "SELECT a.number, count(DISTINCT a.id) * 1000 + count(m.id) FROM accounts a LEFT JOIN meters m"
        " ON m.account_id = a.id WHERE a.house_guid = ? GROUP BY a.number", (house,)).fetchall())
    tally["accounts"] = (len(numbers), sum(1 for n in numbers if accounts.get(n, 0) // 1000 > 1),
                         sum(1 for n in numbers if n not in accounts))
    if exit_code != 0:
        problems.append(f"account import: exit {exit_code}: {said[-500:]}")
    if any(accounts.get(n) != 1001 for n in numbers):
        problems.append("accounts: not one account with one meter each")

    # Appeals: each text once, with its one file as sent.
    stored = conn.execute("SELECT a.text, u.data FROM appeals a JOIN appeal_files f ON f.appeal_id = a.id"
                          " JOIN uploads u ON u.id = f.upload_id WHERE a.author_id = ? AND a.text LIKE ?",
                          (ivanov, "Обращение %")).fetchall()
    per_text = Counter(row[0] for row in stored)
    tally["appeals"] = (2 * v.appeals, sum(per_text[t] - 1 for t, _ in s.sent if per_text[t] > 1),
                        sum(1 for t, _ in s.sent if not per_text[t]) + 2 * v.appeals - len(s.sent))
    if {row[0]: bytes(row[1]) for row in stored} != dict(s.sent):
        problems.append("appeals: the stored files differ from those sent")
    if one("SELECT count(*) FROM uploads WHERE user_id = ? AND used_by IS NULL AND name LIKE 'photo-%'", ivanov):
        problems.append("uploads: a file uploaded and left unused (an upload doubled by a retry)")

    # Votes: each owner row of the two owners holds the answers as last cast.
    for login, cast in s.cast.items():
        held_votes = conn.execute(
            "SELECT v.owner_id, v.number, v.choice FROM meeting_votes v JOIN owners o ON o.id = v.owner_id"
            " JOIN users u ON u.id = o.user_id WHERE v.meeting_id = ? AND u.login = ?", (MEETING, login)).fetchall()
        owners = {row[0] for row in held_votes}
        wrong = sum(1 for row in held_votes if cast.get(row[1]) != row[2])
        tally[f"votes ({login})"] = (v.votes, 0, wrong + len(owners) * len(cast) - len(held_votes))
        if not owners:
            problems.append(f"votes: none stored for {login}")
    if claims := one("SELECT count(*) FROM idempotency_keys WHERE response IS NULL"):
        problems.append(f"idempotency: {claims} claims without their response")
    return tally, problems


def injected(said: str) -> Counter[str]:
    """The faults a server's stderr says it injected, by kind."""
    return Counter(line.split("fault injected: ")[1].split()[0] for line in said.splitlines()
                   if "fault injected: " in line)
