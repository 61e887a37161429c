"""gkh bill: the demo resident's bills (ЕПД) on the embedded portal (local://, always SQLite) — list, --unpaid,
--account, show with the payee's bank details and the lines, and what a typo or someone else's bill costs.

The demo world (tests/helpers/demo.py: the portal's clock reads 2026-11-20): ivanov's two accounts at
ул. Ленина, д. 5 have a bill for each past period up to 2026-10 (a period's bill is issued on the 1st of the
next month and due on its 10th); the managing organisation's account (77ЕЖ532838) owes its last two, the
electricity supplier's (77ИВ845392) its last one, all three past their due date."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from gkh.commands.bill import BILL_COLUMNS
from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNT_DETAILS, DEMO_RESIDENT_ACCOUNTS
from tests.helpers.cli import gkh, gkh_json, login

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

MANAGED, SUPPLIED = DEMO_RESIDENT_ACCOUNT_DETAILS  # ООО «УК Ленинский квартал», АО «СтоличЭнергоСбыт»
UNPAID = [f"{MANAGED.izhku}-2610", f"{SUPPLIED.izhku}-2610", f"{MANAGED.izhku}-2609"]  # newest first, then by id
LATEST = UNPAID[0]  # 77ЕЖ532838-01-2610
RU = {"GKH_LANG": "ru"}


def money(text: str) -> Decimal:
    assert isinstance(text, str) and "." in text and len(text.split(".")[1]) == 2, text  # exactly two decimals
    return Decimal(text)


def test_bill_list_shows_both_accounts_bills_newest_first(home):
    bills = gkh_json("bill", "list")
    assert {b["account"] for b in bills} == set(DEMO_RESIDENT_ACCOUNTS)
    assert [b["id"] for b in bills[:2]] == [f"{MANAGED.izhku}-2610", f"{SUPPLIED.izhku}-2610"]
    assert [(b["period"], b["id"]) for b in bills] == sorted(((b["period"], b["id"]) for b in bills),
                                                             key=lambda p: (_descending(p[0]), p[1]))
    for bill in bills:
        izhku = next(a.izhku for a in DEMO_RESIDENT_ACCOUNT_DETAILS if a.els == bill["account"])
        year, month = bill["period"].split("-")
        assert bill["id"] == f"{izhku}-{year[2:]}{month}"
        assert money(bill["due"]) == max(money(bill["total"]) - money(bill["paid"]), Decimal(0))
    assert len(gkh_json("bill", "list", "--limit", "2")) == 2


def _descending(period: str) -> tuple[int, int]:
    year, month = period.split("-")
    return -int(year), -int(month)


def test_unpaid_keeps_what_is_still_due(home):
    unpaid = gkh_json("bill", "list", "--unpaid")
    assert [b["id"] for b in unpaid] == UNPAID
    assert all(b["status"] == "unpaid" and b["paid"] == "0.00" and b["due"] == b["total"] for b in unpaid)
    assert all(b["overdue"] is True for b in unpaid)  # due by 10.11.2026 at the latest; today is 20.11.2026
    paid = [b for b in gkh_json("bill", "list") if b["id"] not in UNPAID]
    assert paid and all(b["status"] == "paid" and b["due"] == "0.00" and b["overdue"] is False for b in paid)


@pytest.mark.parametrize("typed", [MANAGED.els.replace("Е", "E"), MANAGED.els.lower().replace("е", "e"),
                                   MANAGED.izhku])
def test_account_typed_with_latin_look_alikes_or_as_its_izhku(home, typed):
    bills = gkh_json("bill", "list", "--account", typed)
    assert bills and {b["account"] for b in bills} == {MANAGED.els}
    assert [b["id"] for b in gkh_json("bill", "list", "--account", typed, "--unpaid")] == UNPAID[::2]


def test_the_suppliers_account_owes_its_last_bill(home):
    typed = SUPPLIED.els.replace("В", "B")  # a Latin B
    assert [b["id"] for b in gkh_json("bill", "list", "--account", typed, "--unpaid")] == [UNPAID[1]]


def test_an_account_that_is_not_yours_is_1_and_says_where_to_look(home):
    result = gkh("bill", "list", "--account", DEMO_PETROVA_ACCOUNT.els)
    assert result.exit_code == 1 and result.stdout == ""
    last = result.stderr.splitlines()[-1]
    assert DEMO_PETROVA_ACCOUNT.els in last and last.endswith("(run: gkh --profile local account list)")


def test_a_malformed_account_is_2_before_any_request(home):
    result = gkh("bill", "list", "--account", "77ЕЖ53", env={"GKH_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("gkh: --account") and "ЕЛС" in result.stderr


def test_on_a_terminal_a_table_that_fits_and_off_it_rows_for_awk(home):
    table = gkh("bill", "list", "--unpaid", tty=True, env={"COLUMNS": "80"}).stdout.splitlines()
    assert table[0].split() == ["IPD", "Period", "Due", "date", "Total", "Due", "Status", "Past", "due"]
    assert max(len(line) for line in table) <= 80
    assert [line.split()[0] for line in table[2:]] == UNPAID
    assert table[2].split()[-2:] == ["unpaid", "true"] and "2026-11-10" in table[2]
    rows = gkh("bill", "list", "--unpaid").stdout.splitlines()  # no header, every column
    assert [row.split("\t")[0] for row in rows] == UNPAID
    assert {len(row.split("\t")) for row in rows} == {len(BILL_COLUMNS)}


def test_csv_has_the_fixed_columns_and_the_lines_as_json_text(home):
    text = gkh("bill", "list", "-o", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert next(csv.reader(io.StringIO(text))) == BILL_COLUMNS.names
    assert len(rows) == len(gkh_json("bill", "list"))
    latest = next(r for r in rows if r["id"] == LATEST)
    assert latest["account"] == MANAGED.els and latest["period"] == "2026-10" and latest["status"] == "unpaid"
    assert latest["payee.name"].startswith("Общество с ограниченной ответственностью")
    assert latest["payee.inn"] == "7705124833" and latest["issued_on"] == "2026-11-01"
    assert latest["due_date"] == "2026-11-10" and latest["overdue"] == "true"
    lines = json.loads(latest["lines"])
    assert "maintenance" in {line["service"] for line in lines}
    assert sum(money(line["amount"]) for line in lines) == money(latest["total"])
    supplied = next(r for r in rows if r["id"] == UNPAID[1])
    assert supplied["payee.inn"] != latest["payee.inn"]
    assert {line["service"] for line in json.loads(supplied["lines"])} == {"electricity"}


def test_show_reads_the_bill_down_with_the_payees_bank_and_the_lines(home):
    bill = gkh_json("bill", "show", LATEST)
    payee, bank = bill["payee"], bill["payee"]["bank"]
    assert (bill["account"], bill["period"], bill["due_date"]) == (MANAGED.els, "2026-10", "2026-11-10")
    out = gkh("bill", "show", LATEST, tty=True).stdout
    assert out.startswith("IPD:") and LATEST in out.splitlines()[0]
    shown = {line.split(":")[0]: line.split(":", 1)[1].strip() for line in out.splitlines() if ":" in line
             and not line.startswith(" ")}
    assert shown["Payee, full name"] == payee["name"] and shown["Payee INN"] == payee["inn"] == "7705124833"
    assert shown["Payee KPP"] == payee["kpp"] and shown["Bank"] == bank["name"]
    assert shown["BIK"] == bank["bik"] and len(bank["bik"]) == 9
    assert shown["Settlement account"] == bank["account"] and len(bank["account"]) == 20
    assert shown["Correspondent account"] == bank["correspondent_account"]
    assert (shown["Total"], shown["Due"], shown["Status"], shown["Past due"]) == (bill["total"], bill["due"],
                                                                                  "unpaid", "true")
    assert "[{" not in out and '"service"' not in out  # the lines as a small table, not JSON
    items = out[out.index("Lines:"):].splitlines()
    assert items[0].split()[1:] == ["Service", "Zone", "Volume", "Unit", "Tariff", "Amount"]
    maintenance = next(line for line in bill["lines"] if line["service"] == "maintenance")
    row = next(line for line in items[1:] if "maintenance" in line)
    assert row.split()[-4:] == [maintenance["volume"], "m2", maintenance["tariff"], maintenance["amount"]]


@pytest.mark.parametrize("typed", [LATEST.replace("-", ""), LATEST.replace("Е", "E"), f" {LATEST.lower()} "])
def test_show_takes_the_ipd_without_hyphens_or_with_look_alikes(home, typed):
    assert gkh_json("bill", "show", typed) == gkh_json("bill", "show", LATEST)


@pytest.mark.parametrize("typed", ["77ЕЖ532838-01-261", "77ЕЖ532838", "77ЕЖ532838-01-26100", "2610"])
def test_a_malformed_ipd_is_2_naming_the_argument_and_costs_no_request(home, typed):
    result = gkh("bill", "show", typed, env={"GKH_URL": "http://127.0.0.1:9"})  # a request would be exit 6
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("gkh: bill: ") and "ИПД" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("ipd", [f"{DEMO_PETROVA_ACCOUNT.izhku}-2610",  # a neighbour's: not among yours
                                 f"{MANAGED.izhku}-2611"])  # November's, not issued before 01.12.2026
def test_a_bill_not_among_yours_is_1_and_says_where_to_look(home, ipd):
    result = gkh("bill", "show", ipd)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"gkh: no bill {ipd} among yours (run: gkh --profile local bill list)"


def test_nothing_to_list_is_said_for_people_only(home):
    login("petrova", "petrova")  # no linked account, so no bills
    empty = gkh("--profile", "petrova", "bill", "list", tty=True)
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "", "no bills\n")
    nothing = gkh("--profile", "petrova", "bill", "list", "--unpaid", tty=True)
    assert (nothing.exit_code, nothing.stdout, nothing.stderr) == (0, "", "nothing to pay\n")
    piped = gkh("--profile", "petrova", "bill", "list")
    assert (piped.exit_code, piped.stdout, piped.stderr) == (0, "", "")
    assert gkh_json("--profile", "petrova", "bill", "list") == []
    assert gkh("--profile", "petrova", "bill", "list", "-o", "csv").stdout == ",".join(BILL_COLUMNS.names) + "\n"


def _catalogue_has_the_bills_words() -> bool:
    import gettext

    from gkh import i18n

    russian = gettext.translation(i18n.DOMAIN, localedir=i18n.LOCALE_DIR, languages=[i18n.RUSSIAN], fallback=True)
    return russian.gettext("IPD") != "IPD" and russian.pgettext(i18n.TERM, "unpaid") != "unpaid"


@pytest.mark.skipif(not _catalogue_has_the_bills_words(), reason="the bills' Russian is not yet merged into "
                    "gkh/locale/ru/LC_MESSAGES/gkh.po (tests/test_i18n.py names what is missing)")
def test_in_russian_headers_words_and_dates_read_russian_and_csv_stays_english(home):
    table = gkh("bill", "list", "--unpaid", tty=True, env={**RU, "COLUMNS": "80"}).stdout
    assert table.splitlines()[0].split()[:3] == ["ИПД", "Период", "Срок"]
    assert "не оплачен" in table and "10.11.2026" in table and "2026-11-10" not in table and "unpaid" not in table
    assert max(len(line) for line in table.splitlines()) <= 80
    shown = gkh("bill", "show", LATEST, tty=True, env=RU).stdout
    assert "ИНН получателя:" in shown and "БИК:" in shown and "Расчётный счёт:" in shown
    assert "содержание жилого помещения" in shown and "м²" in shown and "maintenance" not in shown
    for fmt in ("csv", "tsv", "json", "excel"):
        english, russian = gkh("bill", "list", "-o", fmt), gkh("bill", "list", "-o", fmt, env=RU)
        assert english.exit_code == russian.exit_code == 0
        assert russian.stdout == english.stdout
    assert "unpaid" in english.stdout and "maintenance" in english.stdout
