"""gkh admin owner import and gkh admin owner list, in-process on the embedded demo portal: a Windows-1251 owners
file with Russian headers imported by the managing organisation's staff (a flat created, shares kept within the
whole flat, another organisation's house refused), its rejects written back as they were; the template imported
as-is after a dry run that stores nothing; a flat sold (the README's example); the register listed as a table and as
JSON; who may."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gkh.server.demo import H6_GUID
from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.rows import rows
from tests.helpers.rows import write_lines as write

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

ADMIN = ["--profile", "admin"]
STAFF = ["--profile", "uk-staff"]
RU_HEADER = "Адрес дома;Квартира;Площадь помещения;ФИО собственника;Доля в праве;Запись ЕГРН;Логин"
STROITELEY_3 = "г. Москва, ул. Строителей, д. 3"
MALYSHEVA_51 = "г. Екатеринбург, ул. Малышева, д. 51"




def register(home: Path) -> list[tuple]:
    return rows(home, "SELECT f.number, f.area, o.name, o.share_num, o.share_den, o.document FROM owners o JOIN flats f"
                      " ON f.id = o.flat_id WHERE f.house_guid = ? ORDER BY f.id, o.id", H6_GUID)


@pytest.fixture
def staff(home):
    login("uk-staff", "uk-staff")
    return home


def test_a_windows_1251_owners_file_goes_in_then_again_unchanged_and_its_rejects_are_written_back(staff, tmp_path):
    too_much = f"{STROITELEY_3};1;;Новоселова Мария Петровна;1/2;;"
    elsewhere = f"{MALYSHEVA_51};3;40;Уральцев Иван;1;;"
    lines = [RU_HEADER, f"{STROITELEY_3};1;54,3;Новоселов Пётр Ильич;1;77-77/051-77/051/2026-1;", too_much,
             f"{STROITELEY_3};2;40,1;Иванова Анна;0,5;;", elsewhere, f"{STROITELEY_3};2;;Иванов Олег;1/2;;"]
    owners = write(tmp_path / "owners.csv", lines)
    rejects = tmp_path / "rejects.csv"
    result = gkh(*STAFF, "admin", "owner", "import", str(owners), "--rejects", str(rejects), "--json")
    assert result.exit_code == 3, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["rejected"], summary["encoding"], summary["delimiter"]) == (3, 2, "cp1251",
                                                                                                   ";")
    assert [(r["line"], r["field"]) for r in summary["rejected_lines"]] == [(3, "share"), (5, "house")]
    said = result.stderr.splitlines()
    assert said[0] == "line 3: share: the owners of flat 1 would hold 3/2 of it; at most 1"
    assert said[1] == "line 5: house: not among the houses your organisation manages"
    assert rejects.read_bytes() == "".join(line + "\r\n" for line in (RU_HEADER, too_much, elsewhere)).encode("cp1251")
    assert register(staff) == [("1", "54.3", "Новоселов Пётр Ильич", 1, 1, "77-77/051-77/051/2026-1"),
                               ("2", "40.1", "Иванова Анна", 1, 2, None), ("2", "40.1", "Иванов Олег", 1, 2, None)]
    again = gkh(*STAFF, "admin", "owner", "import", str(owners), "--json")
    assert again.exit_code == 3 and json.loads(again.stdout)["unchanged"] == 3


def readme_sale() -> list[str]:
    """The lines of the README's example of a flat changing hands."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return text.split("A flat that changes hands", 1)[1].split("```\n", 2)[1].splitlines()


def test_a_flat_sold_as_the_readme_shows_ends_the_seller_and_lists_the_buyer(staff, tmp_path):
    first = write(tmp_path / "first.csv", ["дом;квартира;площадь;собственник",
                                           f"{STROITELEY_3};1;54,3;Новоселов Пётр Ильич"])
    assert gkh(*STAFF, "admin", "owner", "import", str(first)).exit_code == 0
    sale = write(tmp_path / "sale.csv", readme_sale())
    result = gkh(*STAFF, "admin", "owner", "import", str(sale), "--json")
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["created"], json.loads(result.stdout)["updated"]) == (1, 1)
    listed = gkh_json(*STAFF, "admin", "owner", "list", "--house", "строителей 3")
    assert [(o["owner"], o["share"]) for o in listed] == [("Смирнов Олег Игоревич", "1")]
    assert json.loads(gkh(*STAFF, "admin", "owner", "import", str(sale), "--json").stdout)["unchanged"] == 2
    # Whom the flat's register never held cannot be ended: the line is named, exit 3.
    stranger = write(tmp_path / "stranger.csv", ["дом;квартира;собственник;доля", f"{STROITELEY_3};1;Петров Пётр;0"])
    refused = gkh(*STAFF, "admin", "owner", "import", str(stranger))
    assert refused.exit_code == 3
    assert refused.stderr.splitlines()[0] == ("line 2: share: share 0 ends an owner's ownership, but flat 1 has no "
                                              "owner Петров Пётр in the register")


def test_the_template_goes_in_as_is_after_a_dry_run_that_stores_nothing(home, tmp_path):
    login("admin", "admin")
    template = gkh(*ADMIN, "admin", "owner", "import", "--template")
    assert template.exit_code == 0 and template.stdout.startswith("house,flat,area,owner,share,document,login\n")
    path = tmp_path / "template.csv"
    path.write_text(template.stdout, encoding="utf-8")
    tried = gkh(*ADMIN, "admin", "owner", "import", str(path), "--dry-run", "--json")
    assert tried.exit_code == 0, tried.stderr
    assert json.loads(tried.stdout)["created"] == 1 and "stored nothing" in tried.stderr
    assert register(home) == []
    done = gkh(*ADMIN, "admin", "owners", "import", str(path), "--json")  # the hidden alias
    assert done.exit_code == 0 and json.loads(done.stdout)["created"] == 1
    assert register(home) == [("1", "54.3", "Новоселов Пётр Ильич", 1, 1, None)]


def test_the_register_is_listed_as_a_table_and_as_json(staff, tmp_path):
    path = write(tmp_path / "owners.csv", ["house,flat,area,owner,share",
                                           f'"{STROITELEY_3}",10,60,Петров Пётр,1',
                                           f'"{STROITELEY_3}",2,40,Сидорова Ольга,1/2'], "utf-8")
    assert gkh(*STAFF, "admin", "owner", "import", str(path)).exit_code == 0
    table = gkh(*STAFF, "admin", "owner", "list", "--house", "строителей 3", tty=True)
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["Flat", "Area,", "m²", "Owner", "Share"]  # no document or login to show
    assert lines[2].split() == ["2", "40", "Сидорова", "Ольга", "1/2"]
    assert lines[3].split() == ["10", "60", "Петров", "Пётр", "1"]
    items = gkh_json(*STAFF, "admin", "owner", "list", "--house", H6_GUID)
    assert items == [{"flat": "2", "area": "40", "owner": "Сидорова Ольга", "share": "1/2", "document": None,
                      "login": None},
                     {"flat": "10", "area": "60", "owner": "Петров Пётр", "share": "1", "document": None,
                      "login": None}]


def test_another_organisations_house_is_not_found_and_an_empty_register_says_so(staff):
    missing = gkh(*STAFF, "admin", "owner", "list", "--house", "малышева 51")
    assert missing.exit_code != 0 and missing.stdout == ""
    empty = gkh(*STAFF, "admin", "owner", "list", "--house", H6_GUID, tty=True)
    assert empty.exit_code == 0 and "register of this house is empty" in empty.stderr


@pytest.mark.parametrize("profile", [["--profile", "energo-staff"], []], ids=["supplier", "resident"])
def test_suppliers_staff_and_residents_may_not(home, tmp_path, profile):
    if profile:
        login("energo-staff", "energo-staff")
    path = write(tmp_path / "owners.csv", [RU_HEADER, f"{STROITELEY_3};1;54,3;Новоселов Пётр Ильич;1;;"])
    result = gkh(*profile, "admin", "owner", "import", str(path))
    assert (result.exit_code, result.stdout) == (4, "")
    assert gkh(*profile, "admin", "owner", "list", "--house", H6_GUID).exit_code == 4
    assert register(home) == []
