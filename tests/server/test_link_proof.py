"""Linking someone's account needs what only a holder of the bill knows, and guessing is limited.

The attack this closes: account numbers are guessable, so `POST /accounts/links {house, number}` let
any resident take over a neighbour's account, and a dry run named its payer without leaving a trace.

Every test runs on both engines (the `portal` fixture, tests/conftest.py): SQLite, then PostgreSQL through the
session's throwaway cluster (tests.helpers.postgres); the PostgreSQL half skips with its reason where no cluster
can be started, and fails instead under GKH_REQUIRE_POSTGRES=1 (CI).
"""

from __future__ import annotations

import pytest
import requests

from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNT_DETAILS, H1_GUID
from tests.helpers.api import assert_error
from tests.helpers.demo import COLD
from tests.helpers.rows import db, links

IVANOV_UK = DEMO_RESIDENT_ACCOUNT_DETAILS[0]


def link(api, number: str, payer: str, **params):
    return api.post("/accounts/links", params=params, json={"house": H1_GUID, "number": number, "payer": payer})


def test_a_stranger_with_the_number_but_not_the_surname_learns_nothing(petrova, home):
    wrong_surname = assert_error(link(petrova, IVANOV_UK.number, "Петрова"), 404, "account_not_found")
    no_such_number = assert_error(link(petrova, "99999999", "Петрова"), 404, "account_not_found")
    assert wrong_surname["message"] == no_such_number["message"]
    for leak in ("Иванов", IVANOV_UK.els, "68.6", IVANOV_UK.number):
        assert leak not in wrong_surname["message"]
    assert links(home, "petrova") == []


def test_a_dry_run_says_only_whether_the_details_match(petrova, home):
    right = link(petrova, IVANOV_UK.number, "Иванов", dry_run="true")
    assert right.status_code == 201, right.text
    assert right.json() == {"status": "linked", "account": None, "dry_run": True}
    assert "Иван Петрович" not in right.text and IVANOV_UK.els not in right.text
    assert_error(link(petrova, IVANOV_UK.number, "Сидоров", dry_run="true"), 404, "account_not_found")
    assert links(home, "petrova") == []


@pytest.mark.parametrize("payer", ["Иванов", "иванов", "ИВAНОВ", "  Иванов ", "иванов иван петрович",
                                   "Иванов  Иван  Петрович"])
def test_the_surname_is_forgiven_case_spaces_and_latin_look_alikes(petrova, home, payer):
    resp = link(petrova, IVANOV_UK.number, payer)  # "ИВAНОВ" has a Latin A
    assert resp.status_code == 201, resp.text
    assert resp.json()["account"]["els"] == IVANOV_UK.els
    assert links(home, "petrova") == [IVANOV_UK.els]


def test_yo_and_ye_are_one_letter(petrova, home):
    rows = db(home).execute("SELECT number, payer FROM accounts WHERE house_guid = ? AND org_id = ? ORDER BY id",
                            (H1_GUID, IVANOV_UK.org_id)).fetchall()
    row = next(r for r in rows if "ё" in r["payer"].split()[0])  # the first payer with ё in the surname
    surname = row["payer"].split()[0]
    assert "ё" in surname
    assert link(petrova, row["number"], surname.replace("ё", "е")).status_code == 201


def test_a_relative_who_knows_the_bill_links_it_and_her_reading_is_signed_with_her_name(sign_in, petrova):
    assert link(petrova, IVANOV_UK.number, "Иванов").status_code == 201
    submitted = petrova.post(f"/meters/{COLD}/readings", json={"values": ["2675.5"]})
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["submitted_by"] == "Петрова Анна Сергеевна"
    history = sign_in("ivanov").get(f"/meters/{COLD}/readings", params={"months": 2}).json()["items"]
    assert [(h["period"], h["submitted_by"]) for h in history] == [
        ("2026-10", None), ("2026-11", "Петрова Анна Сергеевна")]


def test_failed_links_are_limited_per_user_then_allowed_after_the_hour(sign_in, petrova, home, monkeypatch):
    for attempt in range(5):  # dry runs count: otherwise they would be a free oracle
        assert_error(link(petrova, f"1000000{attempt}", "Петрова", dry_run="true"), 404, "account_not_found")
    locked = link(petrova, DEMO_PETROVA_ACCOUNT.number, "Петрова")  # even the right details, so no oracle
    assert_error(locked, 429, "too_many_attempts")
    assert 3000 < int(locked.headers["Retry-After"]) <= 3600
    assert links(home, "petrova") == []
    # another person is not held back by her mistakes
    assert link(sign_in("ivanov"), DEMO_PETROVA_ACCOUNT.number, "Петрова").status_code == 201
    monkeypatch.setenv("GKH_NOW", "2026-11-20T13:00:01+03:00")
    assert link(petrova, DEMO_PETROVA_ACCOUNT.number, "Петрова").status_code == 201
    assert links(home, "petrova") == [DEMO_PETROVA_ACCOUNT.els]


def test_malformed_link_requests_are_not_counted_as_guesses(petrova):
    for _ in range(8):
        assert_error(link(petrova, "40187299", "1234"), 400, "invalid", "payer")
    assert link(petrova, DEMO_PETROVA_ACCOUNT.number, "Петрова").status_code == 201


# -- signing in -----------------------------------------------------------------------------------------


def sign_in_as(base: str, login: str, password: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/auth/token", json={"login": login, "password": password}, timeout=10)


@pytest.mark.parametrize("login", ["ivanov", "nobody-at-all"])
def test_ten_wrong_passwords_lock_the_login_whether_or_not_it_exists(http_portal, login, monkeypatch):
    for _ in range(10):
        assert_error(sign_in_as(http_portal, login, "wrong"), 401, "invalid_credentials")
    locked = sign_in_as(http_portal, login, "ivanov-demo-2026")
    error = assert_error(locked, 429, "too_many_attempts")
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert "login" in error["message"]
    assert sign_in_as(http_portal, "petrova", "petrova-demo-2026").status_code == 201  # others may still sign in
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:15:01+03:00")
    assert sign_in_as(http_portal, login, "wrong").status_code == 401  # a new window


def test_a_successful_sign_in_forgives_the_earlier_mistakes(http_portal):
    for _ in range(9):
        sign_in_as(http_portal, "ivanov", "wrong")
    assert sign_in_as(http_portal, "ivanov", "ivanov-demo-2026").status_code == 201
    for _ in range(9):
        assert sign_in_as(http_portal, "ivanov", "wrong").status_code == 401
    assert sign_in_as(http_portal, "ivanov", "ivanov-demo-2026").status_code == 201


def test_fifty_failures_from_one_address_lock_it_for_every_login(http_portal):
    for n in range(50):  # a password sprayer: one try per login
        assert sign_in_as(http_portal, f"user-{n}", "wrong").status_code == 401
    error = assert_error(sign_in_as(http_portal, "petrova", "petrova-demo-2026"), 429, "too_many_attempts")
    assert "address" in error["message"]


# -- the last bill's total as the proof -------------------------------------------------------------------


def last_bill_total(home, account_number: str) -> str:
    row = db(home).execute(
        "SELECT b.total_kopecks FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.number = ? AND"
        " a.house_guid = ? ORDER BY b.period DESC LIMIT 1", (account_number, H1_GUID)).fetchone()
    return f"{row[0] // 100},{row[0] % 100:02d}"  # as printed on the bill, a decimal comma


def link_by_bill(api, number: str, total: str, payer: str | None = None, **params):
    body = {"house": H1_GUID, "number": number, "last_bill": total, **({"payer": payer} if payer else {})}
    return api.post("/accounts/links", params=params, json=body)


def test_the_last_bill_s_total_proves_the_account_instead_of_the_surname(petrova, home):
    total = last_bill_total(home, IVANOV_UK.number)
    resp = link_by_bill(petrova, IVANOV_UK.number, total)
    assert resp.status_code == 201, resp.text
    assert resp.json()["account"]["els"] == IVANOV_UK.els
    assert links(home, "petrova") == [IVANOV_UK.els]


def test_an_older_bill_s_total_or_a_wrong_one_proves_nothing(petrova, home):
    older = db(home).execute(
        "SELECT b.total_kopecks FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.number = ? AND"
        " a.house_guid = ? ORDER BY b.period DESC LIMIT 1 OFFSET 1", (IVANOV_UK.number, H1_GUID)).fetchone()[0]
    latest = last_bill_total(home, IVANOV_UK.number)
    for total in (f"{older // 100}.{older % 100:02d}", "1,00"):
        assert total != latest.replace(",", ".")
        assert_error(link_by_bill(petrova, IVANOV_UK.number, total), 404, "account_not_found")
    assert links(home, "petrova") == []


def test_with_both_proofs_both_must_match(petrova, home):
    total = last_bill_total(home, IVANOV_UK.number)
    assert_error(link_by_bill(petrova, IVANOV_UK.number, total, payer="Сидоров"), 404, "account_not_found")
    assert_error(link_by_bill(petrova, IVANOV_UK.number, "1.00", payer="Иванов"), 404, "account_not_found")
    assert link_by_bill(petrova, IVANOV_UK.number, total, payer="Иванов").status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({"number": "40187299"}, "payer"),  # neither proof
    ({"number": "40187299", "last_bill": "12,345"}, "last_bill"),
    ({"number": "40187299", "last_bill": "-5"}, "last_bill"),
    ({"number": "40187299", "last_bill": 4312.85}, "last_bill"),  # a JSON number: money is text
])
def test_a_malformed_proof_names_its_field(petrova, body, field):
    assert_error(petrova.post("/accounts/links", json={"house": H1_GUID, **body}), 400, "invalid", field)
