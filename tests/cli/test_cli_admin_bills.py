"""gkh admin bill import, in-process on the embedded demo portal: a Windows-1251 file from "1C" (semicolons, Russian
headers, decimal commas) goes in as the organisation's staff, its rejected rows written back as they were (exit 3);
the template; a dry run stores nothing; then the resident sees the imported bill in `gkh bill list`.

The demo portal's clock reads 2026-11-20 (Moscow): ivanov's account 87892735 (ЕЛС 77ЕЖ532838) with ООО «УК
Ленинский квартал» has bills up to 2026-10; 2026-11 has none yet."""

from __future__ import annotations

import json

import pytest

from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.rows import rows
from tests.helpers.rows import write_lines as write

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

STAFF = ["--profile", "uk-staff"]
NEW_BILL = "77ЕЖ532838-01-2611"
RU_HEADER = "Лицевой счёт;Расчетный период;Вид услуги;Объём;Ед. изм.;Тариф;Начислено;Срок оплаты"
MAINTENANCE = "87892735;11.2026;Содержание и ремонт жилого помещения;54,3;м2;32,50;;"
COLD = "87892735;11.2026;Холодное водоснабжение;4,5;м3;62,84;;"
HOT = "87892735;11.2026;ГВС;2,25;куб.м;301,53;678,00;15.12.2026"
FUTURE = "87892735;12.2026;ХВС;4,5;м3;62,84;;"
FOREIGN = "77ИВ845392;11.2026;Электроэнергия;80;кВт·ч;9,29;;"




@pytest.fixture
def staff(home):
    login("uk-staff", "uk-staff")
    return home


def test_a_1c_file_goes_in_its_rejects_are_written_back_and_the_resident_sees_the_bill(staff, tmp_path):
    bills = write(tmp_path / "bills.csv", [RU_HEADER, MAINTENANCE, FUTURE, COLD, FOREIGN, HOT])
    rejects = tmp_path / "rejects.csv"
    result = gkh(*STAFF, "admin", "bill", "import", str(bills), "--rejects", str(rejects), "--json")
    assert result.exit_code == 3, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["rejected"], summary["encoding"], summary["delimiter"]) == (3, 2, "cp1251",
                                                                                                   ";")
    assert [(r["line"], r["field"]) for r in summary["rejected_lines"]] == [(3, "period"), (5, "account")]
    said = result.stderr.splitlines()
    assert said[0] == "line 3: period: the period 2026-12 has not begun yet"
    assert said[1] == "line 5: account: no account 77ИВ845392 among your organisation's"
    assert rejects.read_bytes() == "".join(line + "\r\n" for line in (RU_HEADER, FUTURE, FOREIGN)).encode("cp1251")
    assert rows(staff, "SELECT total_kopecks, due_date, paid_kopecks FROM bills WHERE id = ?", NEW_BILL) == [
        (176475 + 28278 + 67800, "2026-12-15", 0)]
    again = gkh(*STAFF, "admin", "bills", "import", str(bills), "--json")  # the hidden alias
    assert again.exit_code == 3 and json.loads(again.stdout)["unchanged"] == 3
    listed = gkh_json("bill", "list", "--account", "77ЕЖ532838")
    assert listed[0]["id"] == NEW_BILL
    assert (listed[0]["period"], listed[0]["total"], listed[0]["status"]) == ("2026-11", "2725.53", "unpaid")
    table = gkh("bill", "list")
    assert table.exit_code == 0 and NEW_BILL in table.stdout


def test_the_template_a_dry_run_then_the_real_import(staff, tmp_path):
    template = gkh(*STAFF, "admin", "bill", "import", "--template")
    assert template.exit_code == 0
    assert template.stdout.splitlines() == ["account,period,service,zone,volume,unit,tariff,amount,due_date",
                                            "90000001,2026-11,maintenance,,54.3,m2,32.50,,"]
    path = write(tmp_path / "one.csv", [RU_HEADER, MAINTENANCE], "utf-8")
    tried = gkh(*STAFF, "admin", "bill", "import", str(path), "--dry-run", "--json")
    assert tried.exit_code == 0, tried.stderr
    assert json.loads(tried.stdout)["created"] == 1 and "stored nothing" in tried.stderr
    assert rows(staff, "SELECT count(*) FROM bills WHERE id = ?", NEW_BILL) == [(0,)]
    done = gkh(*STAFF, "admin", "bill", "import", str(path), "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["created"] == 1
    assert rows(staff, "SELECT total_kopecks, due_date FROM bills WHERE id = ?", NEW_BILL) == [(176475, "2026-12-10")]


def test_a_resident_may_not_import_bills(home, tmp_path):
    path = write(tmp_path / "bills.csv", [RU_HEADER, MAINTENANCE])
    result = gkh("admin", "bill", "import", str(path))
    assert (result.exit_code, result.stdout) == (4, "")
    assert rows(home, "SELECT count(*) FROM bills WHERE id = ?", NEW_BILL) == [(0,)]
