"""A new user's first commands on the embedded portal: accounts, addresses, houses."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from gkh.server.demo import (
    DEMO_PETROVA_ACCOUNT,
    DEMO_RESIDENT_ACCOUNT_DETAILS,
    DEMO_RESIDENT_ACCOUNTS,
    H1_GUID,
    H2_GUID,
    H3_GUID,
)
from tests.helpers.cli import gkh, gkh_json, login

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

FIRST, SECOND = DEMO_RESIDENT_ACCOUNT_DETAILS


def test_account_list_works_with_no_setup_and_says_so_once(home):
    first = gkh("account", "list")
    assert first.exit_code == 0, first.stderr
    assert [line.split("\t")[0] for line in first.stdout.splitlines()] == DEMO_RESIDENT_ACCOUNTS
    assert "signed in to the local demo portal" in first.stderr
    second = gkh("account", "list")
    assert second.stdout == first.stdout
    assert second.stderr == ""


def test_account_list_formats_carry_the_same_fields(home):
    accounts = gkh_json("account", "list")
    assert [a["els"] for a in accounts] == DEMO_RESIDENT_ACCOUNTS
    assert accounts[0]["organisation"]["inn"] == "7705124833"
    rows = list(csv.DictReader(io.StringIO(gkh("account", "list", "-o", "csv").stdout)))
    assert [r["els"] for r in rows] == DEMO_RESIDENT_ACCOUNTS
    assert rows[0]["organisation.inn"] == "7705124833" and rows[0]["house.guid"] == H1_GUID
    tsv = gkh("account", "list", "-o", "tsv").stdout.splitlines()
    assert tsv[0].split("\t") == list(rows[0].keys())
    plain = gkh("account", "list").stdout.splitlines()  # off a terminal: rows without a header
    assert plain == tsv[1:]
    table = gkh("account", "list", tty=True).stdout.splitlines()
    assert table[0].split()[:3] == ["ELS", "Number", "Organisation"]
    assert any(FIRST.els in line for line in table[2:])


def test_an_unknown_output_format_is_a_usage_error(home):
    result = gkh("account", "list", "-o", "xml")
    assert result.exit_code == 2 and "--output" in result.stderr and result.stdout == ""


def test_account_show_by_els_in_latin_look_alikes_or_izhku(home):
    assert gkh_json("account", "show", FIRST.els.replace("Е", "E").lower())["number"] == FIRST.number
    assert gkh_json("account", "show", FIRST.izhku)["els"] == FIRST.els


def test_account_show_malformed_is_2_and_unknown_is_1(home):
    bad = gkh("account", "show", "77ЕЖ53")
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.startswith("gkh: ") and "ЕЛС" in bad.stderr and len(bad.stderr.splitlines()) == 1
    missing = gkh("account", "show", "77ЖЖ000000")
    assert missing.exit_code == 1 and "77ЖЖ000000" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.parametrize("query", ["ленина 5", "ул. Ленина, д. 5", "Ленина д5"])
def test_address_search_the_ways_people_type(home, query):
    result = gkh("address", "search", query)
    assert result.exit_code == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == [H1_GUID]


def test_address_search_with_nothing_to_search_for_is_2(home):
    result = gkh("address", "search", " , ")
    assert result.exit_code == 2 and "q" in result.stderr


def test_address_search_without_matches_says_so_with_the_nearest_houses_and_exits_1(home):
    result = gkh("address", "search", "ленина 7")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == ('gkh: no house matches "ленина 7" (did you mean: г. Екатеринбург,'
                                              " ул. Ленина, д. 24; г. Москва, ул. Ленина, д. 5)")
    nothing_near = gkh("address", "search", "несуществующая 99", "--json")
    assert nothing_near.exit_code == 1 and nothing_near.stdout == ""
    assert nothing_near.stderr.splitlines()[-1] == ('gkh: no house matches "несуществующая 99" (try fewer words,'
                                                    ' or find the house: gkh --profile local address search'
                                                    ' "<street> <number>")')


def test_house_show_by_address_or_guid(home):
    by_address = gkh_json("house", "show", "ленина 5")
    assert by_address["guid"] == H1_GUID and by_address["managing_organisation"]["inn"] == "7705124833"
    table = gkh("house", "show", H1_GUID, tty=True)
    assert "Managing organisation:" in table.stdout and "Ленина" in table.stdout


def test_house_show_ambiguous_lists_the_candidates_and_exits_2(home):
    result = gkh("house", "show", "мира 12")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert H2_GUID in result.stderr and H3_GUID in result.stderr
    assert result.stderr.splitlines()[-1].startswith("gkh: house: ")


def test_house_show_no_match_is_1(home):
    result = gkh("house", "show", "несуществующая 99")
    assert result.exit_code == 1 and "no house matches" in result.stderr


def petrova_links(home) -> list[str]:
    conn = sqlite3.connect(home / "portal.sqlite3")
    return [r[0] for r in conn.execute(
        "SELECT a.els FROM account_links l JOIN accounts a ON a.id = l.account_id JOIN users u ON u.id = l.user_id "
        "WHERE u.login = 'petrova'")]


PETROVA = DEMO_PETROVA_ACCOUNT.number


def test_link_by_address_number_and_payer_then_list(home):
    login("petrova", "petrova")
    dry = gkh("--profile", "petrova", "account", "link", "--house", "ул. Ленина, д. 5", "--number", PETROVA,
              "--payer", "Петрова", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "dry run: the details match" in dry.stderr and petrova_links(home) == []
    result = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", PETROVA,
                 "--payer", "петрова")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # off a terminal, without -o: nothing but the note on stderr
    assert "linked" in result.stderr
    assert len(petrova_links(home)) == 1
    again = gkh("--profile", "petrova", "account", "link", "--house", H1_GUID, "--number", PETROVA,
                "--payer", "Петрова", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "unchanged"
    listed = gkh_json("--profile", "petrova", "account", "list")
    assert [a["number"] for a in listed] == [PETROVA]


def test_link_asks_for_the_payer_on_a_terminal(home):
    login("petrova", "petrova")
    result = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", PETROVA,
                 input="Петрова\n", tty=True)
    assert result.exit_code == 0, result.stderr
    assert "The payer's surname" in result.stderr
    assert len(petrova_links(home)) == 1


def test_link_without_the_payer_off_a_terminal_is_2(home):
    result = gkh("account", "link", "--house", "ленина 5", "--number", PETROVA)
    assert result.exit_code == 2 and "--payer is required" in result.stderr


def test_link_by_the_last_bill_s_total_instead_of_the_surname(home):
    """`--last-bill` as printed on the bill (a decimal comma, a space between thousands) proves the account."""
    login("petrova", "petrova")
    row = sqlite3.connect(home / "portal.sqlite3").execute(
        "SELECT b.total_kopecks FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.number = ?"
        " ORDER BY b.period DESC LIMIT 1", (PETROVA,)).fetchone()
    rubles, kopecks = divmod(row[0], 100)
    printed = f"{rubles:,}".replace(",", " ") + f",{kopecks:02d}"
    wrong = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", PETROVA,
                "--last-bill", "1,00")
    assert wrong.exit_code == 1 and "last bill's total" in wrong.stderr and petrova_links(home) == []
    result = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", PETROVA,
                 "--last-bill", printed)
    assert result.exit_code == 0, result.stderr
    assert len(petrova_links(home)) == 1


@pytest.mark.parametrize("amount", ["12,345", "-1", "сто"])
def test_a_malformed_last_bill_is_2_naming_it(home, amount):
    result = gkh("account", "link", "--house", "ленина 5", "--number", PETROVA, "--last-bill", amount)
    assert result.exit_code == 2 and "--last-bill" in result.stderr


def test_a_wrong_surname_is_the_same_1_as_an_unknown_number(home):
    login("petrova", "petrova")
    wrong = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", FIRST.number,
                "--payer", "Петрова")
    unknown = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", "99999999",
                  "--payer", "Петрова")
    assert wrong.exit_code == unknown.exit_code == 1
    assert wrong.stderr == unknown.stderr and "payer's surname" in wrong.stderr
    assert "Иванов" not in wrong.stderr and petrova_links(home) == []


@pytest.mark.parametrize("args,field", [
    (["--house", "ленина 5", "--payer", "Петрова"], "--number"),
    (["--house", "ленина 5", "--number", "1", "--els", FIRST.els, "--payer", "Петрова"], "--number"),
    (["--house", "ленина 5", "--els", "77DD000000", "--payer", "Петрова"], "--els"),
    (["--house", "ленина 5", "--number", PETROVA, "--payer", "Петрова", "--org", "7705124830"], "--org"),
    (["--house", "ленина 5", "--number", PETROVA, "--payer", "12345"], "--payer"),
    (["--house", "ленина 5", "--number", PETROVA, "--payer", ""], "--payer"),
])
def test_link_malformed_input_is_2_before_any_request(home, args, field):
    result = gkh("account", "link", *args)
    assert result.exit_code == 2
    assert field in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_link_an_account_at_another_house_is_1(home):
    login("petrova", "petrova")
    result = gkh("--profile", "petrova", "account", "link", "--house", H2_GUID, "--number", PETROVA,
                 "--payer", "Петрова")
    assert result.exit_code == 1 and "пр-т Мира, д. 12, корп. 1" in result.stderr
    assert petrova_links(home) == []


def test_unlink_needs_yes_off_a_terminal(home):
    refused = gkh("account", "unlink", SECOND.els)
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert gkh_json("account", "list")[1]["els"] == SECOND.els
    done = gkh("account", "unlink", SECOND.els, "--yes")
    assert done.exit_code == 0, done.stderr
    assert [a["els"] for a in gkh_json("account", "list")] == [FIRST.els]


def test_unlink_dry_run_keeps_it(home):
    assert gkh("account", "unlink", SECOND.els, "--dry-run").exit_code == 0
    assert len(gkh_json("account", "list")) == 2


def test_staff_see_all_2524_accounts_in_every_format(home):
    login("staff", "uk-staff")
    as_json = gkh_json("--profile", "staff", "account", "list")
    assert len(as_json) == len({a["els"] for a in as_json}) == 2524
    assert len(gkh("--profile", "staff", "account", "list").stdout.splitlines()) == 2524
    assert len(gkh("--profile", "staff", "account", "list", "-o", "csv").stdout.splitlines()) == 2525
    assert len(gkh("--profile", "staff", "account", "list", "-o", "tsv").stdout.splitlines()) == 2525
    assert len(gkh("--profile", "staff", "account", "list", tty=True).stdout.splitlines()) == 2526
    assert len(gkh_json("--profile", "staff", "account", "list", "--limit", "1500")) == 1500


def test_after_five_wrong_links_the_sixth_is_refused_with_5_and_when_to_try_again(home):
    login("petrova", "petrova")
    for _ in range(5):
        wrong = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", PETROVA,
                    "--payer", "Сидорова")
        assert wrong.exit_code == 1, wrong.stderr
    locked = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5", "--number", PETROVA,
                 "--payer", "Петрова")
    assert locked.exit_code == 5
    assert locked.stderr == "gkh: too many failed attempts to link an account: try again in 60 minutes\n"
    assert petrova_links(home) == []
