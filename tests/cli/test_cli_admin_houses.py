"""gkh admin house import and gkh admin period close|list, in-process on the embedded demo portal: a Windows-1251
houses file with Russian headers imported (the window from the portal's settings), the same file again unchanged,
its rejected rows (ours and the portal's) written back as they were; only admins import. A period closed by the
admin and by the house's own staff, listed, closed again unchanged, a month to come refused, another organisation's
house not found, a resident refused — and a reading of the closed month refused while the window is still open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gkh.commands.admin import PERIOD_CLOSED_COLUMNS
from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.demo import COLD
from tests.helpers.rows import rows
from tests.helpers.rows import write_lines as write

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

ADMIN = ["--profile", "admin"]
STAFF = ["--profile", "uk-staff"]
NEW_A = "0b3f6a2e-5c1d-4e8f-9a7b-1c2d3e4f5a6b"
NEW_B = "4d5e6f70-8192-4a3b-bc4d-5e6f708192a3"
UNKNOWN_INN = "7707083893"  # a valid ИНН no organisation of the demo portal has
MOSCOW_INN = "7705124833"  # ООО «УК Ленинский квартал», ORG-0001
RU_HEADER = ("ФИАС;Адрес;Город;ОКТМО;Регион;Часовой пояс;Управляющая организация;Год постройки;Этажность;Подъезды;"
             "Общая площадь;Жилая площадь;Состояние;Класс энергоэффективности")
LENINA_5 = "г. Москва, ул. Ленина, д. 5"
MALYSHEVA_51 = "г. Екатеринбург, ул. Малышева, д. 51"


def house_row(guid: str, address: str, oktmo: str = "45376000", org: str = MOSCOW_INN, floors: str = "17") -> str:
    return f"{guid};{address};Москва;{oktmo};77;Europe/Moscow;{org};2026;{floors};3;15230,5;11020,8;исправный;B"




@pytest.fixture
def admin(home):
    login("admin", "admin")
    return home


# --- houses ---------------------------------------------------------------------------------------------------


def test_a_windows_1251_houses_file_goes_in_then_again_unchanged_and_its_rejects_are_written_back(admin, tmp_path):
    bad_oktmo = house_row("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "г. Москва, ул. Строителей, д. 9", oktmo="4537")
    no_org = house_row("1f2e3d4c-5b6a-4978-8877-665544332211", "г. Москва, ул. Строителей, д. 11",
                       org=UNKNOWN_INN)
    lines = [RU_HEADER, house_row(NEW_A, "г. Москва, ул. Строителей, д. 5"), bad_oktmo,
             house_row(NEW_B, "г. Москва, ул. Строителей, д. 7"), no_org]
    houses = write(tmp_path / "houses.csv", lines)
    rejects = tmp_path / "rejects.csv"
    result = gkh(*ADMIN, "admin", "house", "import", str(houses), "--rejects", str(rejects), "--json")
    assert result.exit_code == 3, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["rejected"], summary["encoding"], summary["delimiter"]) == (2, 2, "cp1251",
                                                                                                   ";")
    assert [(r["line"], r["field"]) for r in summary["rejected_lines"]] == [(3, "oktmo"), (5, "managing_org")]
    said = result.stderr.splitlines()
    assert said[0].startswith("line 3: oktmo: ") and said[1].startswith("line 5: managing_org: ")
    assert UNKNOWN_INN in said[1]
    assert rejects.read_bytes() == "".join(line + "\r\n" for line in (RU_HEADER, bad_oktmo, no_org)).encode("cp1251")
    stored = rows(admin, "SELECT guid, address, timezone, window_from, window_to, floors, total_area, managing_org_id "
                         "FROM houses WHERE guid IN (?, ?) ORDER BY address", NEW_A, NEW_B)
    assert stored == [(NEW_A, "г. Москва, ул. Строителей, д. 5", "Europe/Moscow", 15, 25, 17, "15230.5", "ORG-0001"),
                      (NEW_B, "г. Москва, ул. Строителей, д. 7", "Europe/Moscow", 15, 25, 17, "15230.5", "ORG-0001")]
    again = gkh(*ADMIN, "admin", "house", "import", str(houses), "--json")
    assert again.exit_code == 3 and json.loads(again.stdout)["unchanged"] == 2
    found = gkh_json("address", "search", "строителей 5")
    assert [h["guid"] for h in found] == [NEW_A]  # the new house is found by its address


def test_a_changed_row_updates_the_house_and_the_settings_window_is_the_new_houses(admin, tmp_path):
    assert gkh(*ADMIN, "admin", "settings", "set", "readings.window_from", "10").exit_code == 0
    first = write(tmp_path / "one.csv", [RU_HEADER, house_row(NEW_A, "г. Москва, ул. Строителей, д. 5")], "utf-8")
    assert gkh(*ADMIN, "admin", "house", "import", str(first)).exit_code == 0
    changed = write(tmp_path / "two.csv", [RU_HEADER, house_row(NEW_A, "г. Москва, ул. Строителей, д. 5",
                                                                floors="18")], "utf-8")
    result = gkh(*ADMIN, "admin", "house", "import", str(changed), "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].split(",")[:4] == ["0", "1", "0", "0"]
    assert rows(admin, "SELECT floors, window_from, window_to FROM houses WHERE guid = ?", NEW_A) == [(18, 10, 25)]


def test_a_dry_run_stores_no_house_and_the_template_goes_in(admin, tmp_path):
    template = gkh(*ADMIN, "admin", "house", "import", "--template")
    assert template.exit_code == 0 and template.stdout.startswith("guid,address,")
    path = tmp_path / "template.csv"
    path.write_text(template.stdout, encoding="utf-8")
    count = rows(admin, "SELECT count(*) FROM houses")
    tried = gkh(*ADMIN, "admin", "house", "import", str(path), "--dry-run", "--json")
    assert tried.exit_code == 0, tried.stderr
    assert json.loads(tried.stdout)["created"] == 1 and "stored nothing" in tried.stderr
    assert rows(admin, "SELECT count(*) FROM houses") == count
    done = gkh(*ADMIN, "admin", "house", "import", str(path), "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["created"] == 1
    assert rows(admin, "SELECT count(*) FROM houses") == [(count[0][0] + 1,)]


@pytest.mark.parametrize("profile", [STAFF, []], ids=["staff", "resident"])
def test_only_admins_import_houses(home, tmp_path, profile):
    if profile:
        login("uk-staff", "uk-staff")
    path = write(tmp_path / "houses.csv", [RU_HEADER, house_row(NEW_A, "г. Москва, ул. Строителей, д. 5")])
    result = gkh(*profile, "admin", "house", "import", str(path))
    assert (result.exit_code, result.stdout) == (4, "")
    assert rows(home, "SELECT count(*) FROM houses WHERE guid = ?", NEW_A) == [(0,)]


# --- periods --------------------------------------------------------------------------------------------------


def test_the_admin_closes_a_period_lists_it_and_closing_again_changes_nothing(admin):
    tried = gkh(*ADMIN, "admin", "period", "close", "2026-11", "--house", "ленина 5", "--dry-run")
    assert tried.exit_code == 0, tried.stderr
    assert "stored nothing" in tried.stderr
    assert rows(admin, "SELECT count(*) FROM closed_periods") == [(0,)]
    closed = gkh(*ADMIN, "admin", "period", "close", "2026-11", "--house", "ленина 5")
    assert closed.exit_code == 0, closed.stderr
    shown = dict(zip(PERIOD_CLOSED_COLUMNS.names, closed.stdout.rstrip("\n").split("\t"), strict=True))
    assert [shown[k] for k in ("period", "house.address", "house.timezone", "closed_by", "status", "dry_run")] == [
        "2026-11", LENINA_5, "Europe/Moscow", "admin", "closed", ""]
    assert closed.stderr == f"gkh: 2026-11 of {LENINA_5} closed: its readings are final\n"
    again = gkh(*ADMIN, "admin", "period", "close", "11.2026", "--house", "ленина 5", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "unchanged"
    assert "closed already" in again.stderr
    listed = gkh_json(*ADMIN, "admin", "period", "list", "--house", "ленина 5")
    assert [(p["period"], p["house"]["address"]) for p in listed] == [("2026-11", LENINA_5)]
    assert rows(admin, "SELECT period FROM closed_periods") == [("2026-11",)]


def test_a_reading_of_the_closed_month_is_refused_while_the_window_is_still_open(admin, tmp_path):
    assert gkh("meter", "submit", COLD, "2700", "--dry-run").exit_code == 0  # the window (1–31) is open
    assert gkh(*ADMIN, "admin", "period", "close", "2026-11", "--house", "ленина 5").exit_code == 0
    refused = gkh("meter", "submit", COLD, "2700")
    assert (refused.exit_code, refused.stdout) == (5, "")
    assert "the period 2026-11 is closed for billing" in refused.stderr
    readings = write(tmp_path / "readings.csv", ["meter,T1", f"{COLD},2700"], "utf-8")
    batch = gkh("meter", "submit", "--file", str(readings), "--json")
    assert batch.exit_code == 3, batch.stderr
    assert [(r["line"], "the period 2026-11 is closed for billing" in r["message"])
            for r in json.loads(batch.stdout)["rejected_lines"]] == [(2, True)]


def test_a_month_to_come_and_a_malformed_one_are_refused(admin):
    future = gkh(*ADMIN, "admin", "period", "close", "2026-12", "--house", "ленина 5")
    assert (future.exit_code, future.stdout) == (5, "")
    malformed = gkh(*ADMIN, "admin", "period", "close", "ноябрь", "--house", "ленина 5")
    assert (malformed.exit_code, malformed.stdout) == (2, "") and malformed.stderr.startswith("gkh: PERIOD ")
    assert rows(admin, "SELECT count(*) FROM closed_periods") == [(0,)]


def test_staff_close_their_own_houses_period_but_not_another_organisations(home):
    login("uk-staff", "uk-staff")
    closed = gkh(*STAFF, "admin", "period", "close", "11.2026", "--house", "ленина 5", "--json")
    assert closed.exit_code == 0, closed.stderr
    assert (json.loads(closed.stdout)["closed_by"], json.loads(closed.stdout)["period"]) == ("uk-staff", "2026-11")
    assert [p["period"] for p in gkh_json(*STAFF, "admin", "period", "list", "--house", "ленина 5")] == ["2026-11"]
    other = gkh(*STAFF, "admin", "period", "close", "2026-11", "--house", MALYSHEVA_51)
    assert (other.exit_code, other.stdout) == (1, "")
    assert rows(home, "SELECT count(*) FROM closed_periods") == [(1,)]


def test_a_resident_may_not_close_or_list_periods(home):
    closing = gkh("admin", "period", "close", "2026-11", "--house", "ленина 5")
    listing = gkh("admin", "period", "list", "--house", "ленина 5")
    assert (closing.exit_code, closing.stdout, listing.exit_code, listing.stdout) == (4, "", 4, "")
    assert rows(home, "SELECT count(*) FROM closed_periods") == [(0,)]


def _fields() -> dict[str, tuple]:
    from gkh.domain.batch import HOUSE_FIELDS, OWNER_FIELDS
    from gkh.domain.bills import BILL_FIELDS

    return {"house": HOUSE_FIELDS, "owner": OWNER_FIELDS, "bill": BILL_FIELDS}


@pytest.mark.parametrize("kind", ["house", "owner", "bill"])
def test_the_readme_documents_every_field_of_an_admin_import_its_russian_names_and_whether_it_is_required(kind):
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = []
    for line in text.split(f"<!-- {kind} fields -->\n", 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        name, russian, required = (cell.strip() for cell in line.strip("|").split("|")[:3])
        documented.append((name.strip("`"), tuple(r.strip() for r in russian.split(",")), required == "yes"))
    assert documented == [(f.name, f.russian, f.required) for f in _fields()[kind]]
