"""From an empty portal to a working house, through the installed `gkh` binary alone (issue 16): the chair of a
housing cooperative makes the portal (`gkh server init`), serves it (`gkh server run` on a free loopback port),
adds the cooperative, its house and the owner register, and the people; the accountant imports the accounts and the
month's bills exported from 1C; a resident signs in with the one-time password, sets her own, links her account,
submits a reading and pays the imported bill by card on the acquirer's page; the accountant closes the month and
the reading can no longer change. On each engine: a SQLite file, then a new PostgreSQL database.

The portal's clock is the suite's GKH_NOW (2026-11-20 12:00 Moscow time: the November reading window is open).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

GKH = str(Path(sys.executable).with_name("gkh"))
INN = "7707083893"  # the cooperative's ИНН and ОГРН (their check digits hold)
OGRN = "1027700132195"
HOUSE = "5a1e8f3c-2b7d-4c6e-9f10-3d4b5a6c7e8f"
ADDRESS = "г. Казань, ул. Берёзовая, д. 7"
ANNA = "Берёзова Анна Ивановна"


def run(*args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([GKH, *args], input=input, capture_output=True, text=True, timeout=timeout,
                          env=os.environ.copy())


def ok(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    done = run(*args, input=input)
    assert done.returncode == 0, f"gkh {' '.join(args)}: exit {done.returncode}\n{done.stderr}"
    return done


def as_json(*args: str) -> object:
    return json.loads(ok(*args, "--json").stdout)


@pytest.fixture
def portal_db(engine, tmp_path, request):
    """Where the new portal lives: a SQLite file not yet made, or an empty PostgreSQL database."""
    if engine == "sqlite":
        folder = tmp_path / "srv"
        folder.mkdir()
        yield str(folder / "portal.sqlite3")
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = cluster.new_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.discard(name)


@pytest.fixture
def served(portal_db, home):
    """`gkh server init` then `gkh server run` on it; yields the portal's URL."""
    ok("server", "init", "--db", portal_db, "--admin-login", "chair", "--admin-name", "Председатель ТСЖ",
       "--password-stdin", input="chair-password-1\n")
    proc = subprocess.Popen([GKH, "server", "run", "--db", portal_db, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"gkh server run said {url!r}"
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def sign_in(profile: str, url: str, login: str, password: str) -> None:
    ok("--profile", profile, "config", "set", "url", url)
    ok("--profile", profile, "auth", "login", "--user", login, "--password-stdin", input=password + "\n")


def first_sign_in(profile: str, url: str, login: str, one_time: str, own: str) -> None:
    """A new user's first sign-in: the one-time password, then one's own before anything else."""
    sign_in(profile, url, login, one_time)
    stopped = run("--profile", profile, "account", "list")
    assert stopped.returncode == 4 and "auth password" in stopped.stderr
    ok("--profile", profile, "auth", "password", "--password-stdin", input=f"{one_time}\n{own}\n")


def write(path: Path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return str(path)


def test_from_an_empty_portal_to_a_closed_month_through_the_command_line(served, tmp_path):
    url = served
    chair = ("--profile", "chair")
    sign_in("chair", url, "chair", "chair-password-1")
    assert as_json(*chair, "admin", "org", "list") == []  # an empty portal: no demo world

    # The cooperative, its house, the owner register (the chair's work).
    ok(*chair, "admin", "org", "add", "--name", "ТСЖ «Берёзка»", "--short-name", "ТСЖ Берёзка", "--inn", INN,
       "--ogrn", OGRN, "--kind", "managing", "--commission", "0,8")
    houses = write(tmp_path / "houses.csv",
                   "ФИАС;Адрес;Город;ОКТМО;Регион;Часовой пояс;Управляющая организация;Год постройки;Этажность\n"
                   f"{HOUSE};{ADDRESS};Казань;92701000;16;Europe/Moscow;{INN};1987;9\n", "cp1251")
    imported = as_json(*chair, "admin", "house", "import", houses)
    assert (imported["created"], imported["rejected"]) == (1, 0)
    owners = write(tmp_path / "owners.csv",
                   "Дом;Квартира;Площадь;Собственник;Доля\n"
                   f"{HOUSE};1;54,3;{ANNA};1\n"
                   f"{HOUSE};2;71;Соколов Пётр Ильич;1/2\n"
                   f"{HOUSE};2;71;Соколова Мария Петровна;1/2\n", "cp1251")
    registered = as_json(*chair, "admin", "owner", "import", owners)
    assert (registered["created"], registered["rejected"]) == (3, 0)
    register = as_json(*chair, "admin", "owner", "list", "--house", HOUSE)
    assert sorted((o["flat"], o["owner"], o["share"]) for o in register) == [
        ("1", ANNA, "1"), ("2", "Соколов Пётр Ильич", "1/2"), ("2", "Соколова Мария Петровна", "1/2")]

    # The people: the accountant (the cooperative's staff) and a resident, each with a one-time password.
    buh_once = ok(*chair, "admin", "user", "add", "--login", "buh", "--name", "Бухгалтер ТСЖ", "--role", "staff",
                  "--org", INN).stdout.strip()
    anna_once = ok(*chair, "admin", "user", "add", "--login", "anna", "--name", ANNA, "--role",
                   "resident").stdout.strip()
    assert len(buh_once) == len(anna_once) == 16

    # The accountant: the personal accounts with their meters, then October's bills as 1C exports them.
    first_sign_in("buh", url, "buh", buh_once, "buh-own-password")
    buh = ("--profile", "buh")
    accounts = write(tmp_path / "accounts.csv",
                     "Дом;Квартира;Лицевой счет;Площадь;Плательщик;Заводской номер счетчика;Ресурс\n"
                     f"{HOUSE};1;Б-001;54,3;{ANNA};ХВ-26-100001;ХВС\n"
                     f"{HOUSE};2;Б-002;71;Соколов Пётр Ильич;;\n", "cp1251")
    loaded = as_json(*buh, "account", "import", accounts)
    assert (loaded["created"], loaded["rejected"]) == (2, 0)
    bills = write(tmp_path / "bills.csv",
                  "Лицевой счет;Период;Услуга;Объем;Тариф\n"
                  "Б-001;10.2026;Содержание жилого помещения;54,3;32,50\n"
                  "Б-001;10.2026;ХВС;4,5;62,84\n"
                  "Б-002;10.2026;Содержание жилого помещения;71;32,50\n", "cp1251")
    billed = as_json(*buh, "admin", "bill", "import", bills)
    assert (billed["created"], billed["rejected"]) == (3, 0)

    # The resident: her own password, her account linked, a reading, the bill paid by card.
    first_sign_in("anna", url, "anna", anna_once, "anna-own-password")
    anna = ("--profile", "anna")
    linked = as_json(*anna, "account", "link", "--house", HOUSE, "--number", "Б-001", "--payer", "Берёзова")
    els = linked["account"]["els"]
    [meter] = as_json(*anna, "meter", "list")
    assert meter["serial"] == "ХВ-26-100001"
    submitted = as_json(*anna, "meter", "submit", meter["id"], "12,5")
    assert submitted["status"] == "accepted"
    [bill] = as_json(*anna, "bill", "list", "--unpaid")
    # 54,3 m² × 32,50 = 1764,75; 4,5 m³ × 62,84 = 282,78.
    assert (bill["account"], bill["period"], bill["total"]) == (els, "2026-10", "2047.53")
    assert bill["id"] == f"{els}-01-2610" and bill["payee"]["inn"] == INN
    pending = run(*anna, "pay", els, "--yes", "--timeout", "1")
    assert pending.returncode == 7, pending.stderr  # the card page waits for her
    page = next(word for word in pending.stderr.split() if "/acquirer/" in word)
    assert requests.post(page, data={"action": "pay"}, timeout=10).status_code == 200
    [payment] = as_json(*anna, "payment", "list")
    waited = as_json(*anna, "payment", "wait", payment["id"], "--timeout", "10")
    assert waited["status"] == "succeeded" and waited["amount"] == "2047.53"
    assert as_json(*anna, "bill", "list", "--unpaid") == []

    # The accountant closes November: the reading is final.
    closed = as_json(*buh, "admin", "period", "close", "2026-11", "--house", HOUSE)
    assert closed["status"] == "closed"
    refused = run(*anna, "meter", "submit", meter["id"], "13")
    assert refused.returncode == 5 and "closed" in refused.stderr
    history = as_json(*anna, "meter", "history", meter["id"])
    assert [(r["period"], r["values"]) for r in history] == [("2026-11", {"T1": "12.5"})]

    # What the others may not do: the resident administers nothing, the accountant adds no users.
    assert run(*anna, "admin", "owner", "list", "--house", HOUSE).returncode == 4
    assert run(*buh, "admin", "user", "add", "--login", "x-x", "--name", "X", "--role", "admin").returncode == 4
