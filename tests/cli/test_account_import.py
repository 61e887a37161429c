"""gkh account import: the file as people have it (Windows-1251 or UTF-8 with a BOM, semicolons, decimal commas,
Russian headers, blank and short lines), every row checked before anything is sent, chunks, the rejects file that
can be fed back, the summary, the lock, the template — on the embedded portal, its batch call answered by a
stand-in that keeps accounts as the portal does (upsert on the number), so what the command sends is seen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli_e2e import server  # noqa: F401 - `gkh server run` on a free port, on each engine
from tests.helpers.cli import gkh, login
from tests.helpers.rows import write_lines as write

GKH = str(Path(sys.executable).with_name("gkh"))
HOUSE = "г. Москва, ул. Строителей, д. 3"
RU_HEADER = "Дом;Квартира;Лицевой счет;ЕЛС;Площадь;Доля;ФИО;Вид;Номер счетчика;Ресурс;Зоны"


class StandIn:
    """The portal's batch call as the command sees it: each chunk recorded, accounts kept by number (created,
    then unchanged or updated), a house it does not know rejected as the portal words it."""

    def __init__(self):
        self.chunks: list[list[dict]] = []
        self.accounts: dict[str, dict] = {}
        self.hold = None  # called with each chunk before it is answered

    def __call__(self, client, rows, *, dry_run=False):
        rows = list(rows)
        self.chunks.append(rows)
        if self.hold:
            self.hold(rows)
        answer = {"created": 0, "updated": 0, "unchanged": 0, "rejected": [], "warnings": []}
        for row in rows:
            if row["house"] == "нет такого дома":
                answer["rejected"].append({"line": row["line"], "field": "house",
                                           "message": f"line {row['line']}: house: no house {row['house']!r}"})
                continue
            kept = {k: v for k, v in row.items() if k != "line"}
            before = self.accounts.get(row["number"])
            answer["created" if before is None else "unchanged" if before == kept else "updated"] += 1
            if not dry_run:
                self.accounts[row["number"]] = kept
        return answer

    @property
    def sent(self) -> list[dict]:
        return [row for chunk in self.chunks for row in chunk]


@pytest.fixture
def portal_batch(home, monkeypatch) -> StandIn:
    from gkh.client.resources.batches import Batches

    login("local", "uk-staff")  # the organisation's staff, who import accounts
    stand_in = StandIn()
    monkeypatch.setattr(Batches, "import_accounts", lambda self, rows, dry_run=False: stand_in(self, rows,
                                                                                              dry_run=dry_run))
    return stand_in



def row(number: str, payer: str = "Иванов Иван Иванович", area: str = "54,3", flat: str = "12",
        house: str = HOUSE) -> str:
    return f"{house};{flat};{number};;{area};1/2;{payer};собственник;ХВ-26-{number};ХВС;1"


def imported(*args: str, **kwargs):
    return gkh("account", "import", *args, **kwargs)


def test_a_1c_export_windows_1251_semicolons_decimal_commas_russian_headers(tmp_path, portal_batch):
    path = write(tmp_path / "accounts.csv", [RU_HEADER, row("10000001"), row("10000002", area="61,05")])
    result = imported(str(path), "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "rejected_lines": [],
                       "warnings": [], "encoding": "cp1251", "delimiter": ";", "dry_run": False}
    assert portal_batch.sent[0] == {"line": 2, "house": HOUSE, "flat": "12", "number": "10000001", "els": None,
                                    "area": "54,3", "share": "1/2", "payer": "Иванов Иван Иванович",
                                    "kind": "собственник", "meter_serial": "ХВ-26-10000001",
                                    "meter_resource": "ХВС", "meter_zones": "1"}
    assert portal_batch.sent[1]["area"] == "61,05"
    again = imported(str(path), "--json")
    assert json.loads(again.stdout)["unchanged"] == 2 and json.loads(again.stdout)["created"] == 0


def test_utf8_with_a_bom_and_commas(tmp_path, portal_batch):
    header = "house,flat,number,els,area,share,payer,kind"
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f'{header}\n"{HOUSE}",7,10000003,,"48,2",1,Петрова Анна,owner\n'.encode())
    summary = json.loads(imported(str(path), "-o", "json").stdout)
    assert (summary["encoding"], summary["delimiter"], summary["created"]) == ("utf-8-sig", ",", 1)
    assert portal_batch.sent[0]["house"] == HOUSE and portal_batch.sent[0]["area"] == "48,2"


def test_a_1251_file_whose_first_2000_rows_are_plain_ascii(tmp_path, portal_batch):
    rows = [row(f"2{n:07d}", payer="Ivanov Ivan", house="83804ac7-87c6-472e-a474-d02c6f740e9c")
            for n in range(2000)]
    path = write(tmp_path / "a.csv", ["house;flat;number;els;area;share;payer;kind;meter_serial;meter_resource;"
                                      "meter_zones", *[r.replace("собственник", "owner").replace("ХВС", "cold_water")
                                                       .replace("ХВ-", "CW-") for r in rows],
                                      row("30000001", payer="Ёлкин Пётр")])
    result = imported(str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["encoding"] == "cp1251"
    assert portal_batch.sent[-1]["payer"] == "Ёлкин Пётр" and len(portal_batch.sent) == 2001
    assert [len(chunk) for chunk in portal_batch.chunks] == [1000, 1000, 1]


def test_blank_lines_are_skipped_and_short_and_long_ones_rejected(tmp_path, portal_batch):
    path = write(tmp_path / "a.csv", [RU_HEADER, "", row("10000001"), ";;;;;;;;;;", f"{HOUSE};5;10000002",
                                      row("10000003") + ";лишнее", "   ", row("10000004")])
    result = imported(str(path))
    assert result.exit_code == 3
    assert result.stderr.splitlines() == ["line 5: payer: empty", "line 6: the row has more cells than the header"]
    assert [r["line"] for r in portal_batch.sent] == [3, 8]


def test_an_unknown_header_is_one_line_listing_the_expected_and_nothing_is_sent(tmp_path, portal_batch):
    path = write(tmp_path / "a.csv", ["Дом;Квартира;Счёт;ФИО", row("10000001")])
    result = imported(str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"gkh: {path}: line 1: unknown column 'Счёт'; expected: house (дом); ")
    assert "meter_zones (зоны)?" in result.stderr
    assert portal_batch.chunks == []


def test_duplicate_rows_go_in_once(tmp_path, portal_batch):
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001"), row("10000001")])
    summary = json.loads(imported(str(path), "--json").stdout)
    assert (summary["created"], summary["unchanged"]) == (1, 1)


def test_good_and_bad_rows_exit_3_the_rejects_as_they_were_fixed_and_fed_back(tmp_path, portal_batch):
    bad_area, unknown_house = row("10000002", area="пятьдесят"), row("10000004", house="нет такого дома")
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001"), bad_area, row("10000003"), unknown_house,
                                      row("10000005")])
    rejects = tmp_path / "rejects.csv"
    result = imported(str(path), "--rejects", str(rejects), "--batch-size", "2", "--json")
    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["rejected"]) == (3, 2)
    assert [(r["line"], r["field"]) for r in summary["rejected_lines"]] == [(3, "area"), (5, "house")]
    assert result.stderr.splitlines() == [
        "line 3: area: must be square metres above 0 with at most 2 decimals (54,3 or 54.30); got 'пятьдесят'",
        "line 5: house: no house 'нет такого дома'"]
    assert rejects.read_bytes() == (f"{RU_HEADER}\r\n{bad_area}\r\n{unknown_house}\r\n").encode("cp1251")
    assert [len(chunk) for chunk in portal_batch.chunks] == [2, 2]

    rejects.write_bytes(rejects.read_bytes().replace("пятьдесят".encode("cp1251"), b"50").replace(
        "нет такого дома".encode("cp1251"), HOUSE.encode("cp1251")))
    fixed = imported(str(rejects), "--rejects", str(tmp_path / "again.csv"), "--json")
    assert fixed.exit_code == 0, fixed.stderr
    assert json.loads(fixed.stdout)["created"] == 2
    assert (tmp_path / "again.csv").read_bytes() == f"{RU_HEADER}\r\n".encode("cp1251")


def test_a_dry_run_says_so(tmp_path, portal_batch):
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001")])
    result = imported(str(path), "--dry-run", "--json")
    assert json.loads(result.stdout)["dry_run"] is True and "stored nothing" in result.stderr
    assert portal_batch.accounts == {}


def test_stdin_and_the_template_fed_back(tmp_path, portal_batch):
    template = imported("--template")
    assert template.exit_code == 0
    lines = template.stdout.splitlines()
    assert lines[0] == "house,flat,number,els,area,share,payer,kind,meter_serial,meter_resource,meter_zones"
    assert lines[1].startswith(f'"{HOUSE}",')
    result = imported("-", "--json", input=template.stdout)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["created"] == 1
    assert portal_batch.sent[0]["house"] == HOUSE and portal_batch.sent[0]["line"] == 2


def test_off_a_terminal_no_progress_bar_and_the_summary_as_a_row(tmp_path, portal_batch):
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001")])
    result = imported(str(path))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "1\t0\t0\t0\tcp1251\t;\tfalse\n"
    shown = imported(str(path), tty=True)
    assert "Unchanged" in shown.stdout and 'as Windows-1251, fields separated by ";"' in shown.stderr


def test_a_second_import_while_one_runs_refuses(tmp_path, portal_batch):
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001")])
    seen = {}

    def second(rows):
        seen["run"] = subprocess.run([GKH, "account", "import", str(path)], capture_output=True, text=True,
                                     timeout=60, env=os.environ.copy())

    portal_batch.hold = second
    assert imported(str(path)).exit_code == 0
    assert seen["run"].returncode == 1
    assert seen["run"].stderr.splitlines()[-1] == (
        "gkh: another gkh account import is running for this profile; wait for it to finish")
    assert imported(str(path)).exit_code == 0  # the lock went with the run


def test_a_file_that_is_not_there_and_no_file(tmp_path, portal_batch):
    missing = imported(str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    assert imported().exit_code == 2


def test_the_portal_gone_mid_file_says_up_to_where_the_rows_are_in(tmp_path, portal_batch):
    from gkh.client.errors import Unreachable

    def gone(rows):
        if len(portal_batch.chunks) == 3:
            raise Unreachable("cannot reach portal.example.ru: connection refused", code="unreachable")

    portal_batch.hold = gone
    path = write(tmp_path / "a.csv", [RU_HEADER, *(row(f"1000000{n}") for n in range(1, 8))])
    result = imported(str(path), "--batch-size", "2", "--rejects", str(tmp_path / "rejects.csv"))
    assert result.exit_code == 6 and result.stdout == ""
    assert result.stderr.splitlines()[-2:] == [
        "gkh: cannot reach portal.example.ru: connection refused (check the portal's URL: gkh --profile local "
        "config get url)", "gkh: rows up to line 5 are in; run the same command again to finish"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith((".csv", ".tmp"))] == ["a.csv"]  # none half-made
    portal_batch.hold = None
    again = imported(str(path), "--json")
    assert (json.loads(again.stdout)["created"], json.loads(again.stdout)["unchanged"]) == (3, 4)


def test_given_as_utf8_a_file_without_a_bom_gets_rejects_without_one(tmp_path, portal_batch):
    path = tmp_path / "a.csv"
    path.write_text("house,flat,number,payer\nх,1,10000001,\n", encoding="utf-8")
    rejects = tmp_path / "r.csv"
    result = imported(str(path), "--encoding", "utf-8", "--rejects", str(rejects), "--json")
    assert result.exit_code == 3 and json.loads(result.stdout)["encoding"] == "utf-8"
    assert rejects.read_bytes() == "house,flat,number,payer\nх,1,10000001,\n".encode()


# --- on the embedded demo portal itself ------------------------------------------------------------------------

def held(home: Path, number: str) -> list[tuple]:
    """(house address, flat, payer, area, meters) of the organisation's account with this number, as stored."""
    from tests.helpers.rows import db

    with db(home) as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT h.address, f.number AS flat, a.payer, a.area, (SELECT COUNT(*) FROM meters m WHERE "
            "m.account_id = a.id) AS meters FROM accounts a JOIN houses h ON h.guid = a.house_guid "
            "LEFT JOIN flats f ON f.id = a.flat_id WHERE a.number = ? AND a.org_id = 'ORG-0001'", (number,))]


@pytest.fixture
def staff(home):
    login("local", "uk-staff")


def test_the_template_goes_in_as_it_is_then_is_unchanged_and_a_dry_run_stores_nothing(home, staff, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(imported("--template").stdout, encoding="utf-8")
    dry = imported(str(path), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert (json.loads(dry.stdout)["created"], json.loads(dry.stdout)["dry_run"]) == (1, True)
    assert held(home, "90000001") == []
    first = imported(str(path), "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["created"] == 1
    assert held(home, "90000001") == [(HOUSE, "1", "Иванов Иван Иванович", "54.3", 1)]
    again = imported(str(path), "--json")
    assert (json.loads(again.stdout)["unchanged"], json.loads(again.stdout)["created"]) == (1, 0)


def test_the_portal_s_refusals_and_ours_in_line_order_and_the_rejects_fed_back(home, staff, tmp_path):
    elsewhere = row("10000003", house="г. Екатеринбург, ул. Ленина, д. 24")
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001"), row("10000002", area="0"), elsewhere,
                                      row("10000004", flat="77")])
    rejects = tmp_path / "rejects.csv"
    result = imported(str(path), "--rejects", str(rejects), "--json")
    assert result.exit_code == 3, result.stderr
    summary = json.loads(result.stdout)
    assert [(r["line"], r["field"]) for r in summary["rejected_lines"]] == [(3, "area"), (4, "house")]
    assert summary["created"] == 2
    assert rejects.read_bytes() == f"{RU_HEADER}\r\n{row('10000002', area='0')}\r\n{elsewhere}\r\n".encode("cp1251")
    rejects.write_bytes(f"{RU_HEADER}\r\n{row('10000002')}\r\n".encode("cp1251"))
    fixed = imported(str(rejects), "--json")
    assert fixed.exit_code == 0 and json.loads(fixed.stdout)["created"] == 1


def test_a_resident_may_not_import_accounts(home, tmp_path):
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001")])
    result = imported(str(path))
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith("gkh: ")  # the refusal alone: nothing went in
    assert "are in" not in result.stderr


# --- against a real `gkh server run` ---------------------------------------------------------------------------

def many(count: int, start: int = 0) -> list[str]:
    """`count` new accounts at the demo's new house, each with its flat's cold-water meter (1C's way)."""
    return [row(f"5{n:07d}", flat=str(n + 1), area=f"{40 + n % 30},{n % 10}") for n in range(start, start + count)]


def imported_at(home: Path, numbers: list[str]) -> tuple[int, int]:
    """(accounts, their meters) the portal holds with these numbers."""
    from tests.helpers.rows import db

    marks = ",".join("?" * len(numbers))
    with db(home) as conn:
        accounts = conn.execute(f"SELECT COUNT(*) AS n FROM accounts WHERE number IN ({marks})", numbers).fetchone()
        meters = conn.execute(f"SELECT COUNT(*) AS n FROM meters m JOIN accounts a ON a.id = m.account_id "
                              f"WHERE a.number IN ({marks})", numbers).fetchone()
    return accounts["n"], meters["n"]


def remote(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([GKH, "--profile", "remote", *args], capture_output=True, text=True, timeout=120,
                          env=os.environ.copy(), **kwargs)


@pytest.fixture
def staff_remote(engine, request):
    """The demo organisation's staff signed in to `gkh server run` (the profile "remote"); its URL."""
    from tests.helpers.demo import password_of

    url = request.getfixturevalue("server")
    assert remote("config", "set", "url", url).returncode == 0
    login = remote("auth", "login", "--user", "uk-staff", "--password-stdin", input=password_of("uk-staff") + "\n")
    assert login.returncode == 0, login.stderr
    return url


@pytest.mark.e2e
def test_over_http_an_import_then_the_same_file_again_is_all_unchanged(staff_remote, home, tmp_path):
    path = write(tmp_path / "a.csv", [RU_HEADER, *many(250)])
    first = remote("account", "import", str(path), "--batch-size", "100", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["created"] == 250
    again = remote("account", "import", str(path), "--json")
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["unchanged"], json.loads(again.stdout)["created"]) == (250, 0)
    assert imported_at(home, [f"5{n:07d}" for n in range(250)]) == (250, 250)


@pytest.mark.e2e
@pytest.mark.sqlite_only
def test_killed_mid_import_then_run_again_every_row_is_in_exactly_once(staff_remote, home, tmp_path):
    import time

    from gkh.server.demo.world import H6_GUID
    from tests.helpers.rows import db

    def at_the_new_house() -> int:
        with db(home) as conn:
            return conn.execute("SELECT COUNT(*) AS n FROM accounts WHERE house_guid = ?", (H6_GUID,)).fetchone()["n"]

    rows = 5000
    path = write(tmp_path / "a.csv", [RU_HEADER, *many(rows)])
    command = [GKH, "--profile", "remote", "account", "import", str(path), "--batch-size", "100"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while at_the_new_house() < 200 and time.monotonic() < deadline:
        time.sleep(0.005)
    child.kill()  # SIGKILL: no handler runs; the chunk in flight is in whole or not at all
    child.wait(timeout=10)
    # The portal still finishes a chunk it was sent before the kill: count once nothing has changed for a while.
    before, steady_since = at_the_new_house(), time.monotonic()
    while time.monotonic() - steady_since < 0.5:
        time.sleep(0.05)
        if (now := at_the_new_house()) != before:
            before, steady_since = now, time.monotonic()
    assert 200 <= before < rows, "killed too late to show anything: make the file longer"
    assert before % 100 == 0  # one transaction a chunk: never a part of one
    again = remote("account", "import", str(path), "--batch-size", "100", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["created"], summary["unchanged"], summary["rejected"]) == (rows - before, before, 0)
    assert imported_at(home, [f"5{n:07d}" for n in range(rows)]) == (rows, rows)


@pytest.mark.parametrize("size", ["1000", "1"])  # the duplicate in the same chunk, then in the next one
def test_on_the_portal_a_row_twice_in_one_file_goes_in_once(home, staff, tmp_path, size):
    path = write(tmp_path / "a.csv", [RU_HEADER, row("10000001"), row("10000001"), row("10000001", area="60")])
    result = imported(str(path), "--batch-size", size, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["unchanged"], summary["updated"]) == (1, 1, 1)
    assert held(home, "10000001") == [(HOUSE, "12", "Иванов Иван Иванович", "60", 1)]


def test_stderr_lists_twenty_rejected_rows_and_json_all_of_them(tmp_path, portal_batch):
    path = write(tmp_path / "a.csv", [RU_HEADER, *(row(f"1{n:07d}", area="0") for n in range(25))])
    result = imported(str(path), "--json")
    assert result.exit_code == 3
    said = result.stderr.splitlines()
    assert len(said) == 21 and said[0].startswith("line 2: area: ") and said[-1] == "… and 5 more"
    assert [r["line"] for r in json.loads(result.stdout)["rejected_lines"]] == list(range(2, 27))
    assert portal_batch.chunks == []  # nothing worth a request
