"""The portal's API through a real HTTP server (waitress in a thread), driven with requests.

Every test runs on both engines (the `portal` fixture, tests/conftest.py): SQLite, then PostgreSQL through the
session's throwaway cluster (tests.helpers.postgres); the PostgreSQL half skips with its reason where no cluster
can be started, and fails instead under GKH_REQUIRE_POSTGRES=1 (CI)."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
import requests

from gkh.server.demo import (
    DEMO_RESIDENT_ACCOUNT_DETAILS,
    DEMO_RESIDENT_ACCOUNTS,
    H1_GUID,
    H2_GUID,
    H3_GUID,
    H5_GUID,
    ORG_UK_MOSCOW,
)
from tests.helpers.api import Api, assert_error
from tests.helpers.rows import db, links

FIRST, SECOND = DEMO_RESIDENT_ACCOUNT_DETAILS


# -- signing in ---------------------------------------------------------------------------------


def test_sign_in_gives_a_token_for_90_days_and_me_tells_who(http_portal):
    resp = requests.post(f"{http_portal}/api/v1/auth/token",
                         json={"login": "uk-staff", "password": "uk-staff-demo-2026"}, timeout=10)
    assert resp.status_code == 201
    body = resp.json()
    assert body["expires_at"] == "2027-02-18T09:00:00+00:00"  # GKH_NOW + 90 days
    assert body["user"]["role"] == "staff"
    me = Api(http_portal, body["token"]).get("/me").json()
    assert me["login"] == "uk-staff"
    assert me["organisation"]["id"] == ORG_UK_MOSCOW
    assert me["portal"]["demo"] is True
    assert me["token_expires_at"] == body["expires_at"]


@pytest.mark.parametrize("login,password", [("ivanov", "wrong"), ("nobody", "ivanov-demo-2026")])
def test_a_wrong_login_or_password_is_401_and_says_neither_which(http_portal, login, password):
    resp = requests.post(f"{http_portal}/api/v1/auth/token", json={"login": login, "password": password}, timeout=10)
    error = assert_error(resp, 401, "invalid_credentials")
    assert error["message"] == "wrong login or password"


def test_sign_in_without_a_password_names_the_field(http_portal):
    resp = requests.post(f"{http_portal}/api/v1/auth/token", json={"login": "ivanov"}, timeout=10)
    assert_error(resp, 400, "invalid", "password")


def test_no_token_and_an_unknown_token_are_401(http_portal):
    assert_error(Api(http_portal).get("/me"), 401, "unauthenticated")
    assert_error(Api(http_portal, "gkh_forged").get("/me"), 401, "unauthenticated")


def test_an_expired_token_is_401_token_expired(ivanov, monkeypatch):
    monkeypatch.setenv("GKH_NOW", "2027-02-19T12:00:00+03:00")  # 91 days on
    assert_error(ivanov.get("/me"), 401, "token_expired")


def test_use_renews_the_token_so_a_monthly_job_never_signs_in_again(ivanov, monkeypatch):
    for month in ("2026-12-20", "2027-01-20", "2027-02-20", "2027-03-20", "2027-06-17"):
        monkeypatch.setenv("GKH_NOW", f"{month}T12:00:00+03:00")
        assert ivanov.get("/me").status_code == 200
    assert ivanov.get("/me").json()["token_expires_at"] == "2027-09-15T09:00:00+00:00"


def test_sign_out_revokes_the_token(ivanov):
    assert ivanov.delete("/auth/token").json() == {"status": "revoked"}
    assert_error(ivanov.get("/me"), 401, "unauthenticated")


def test_the_portal_tells_its_id_without_a_token(http_portal, portal):
    info = Api(http_portal).get("/portal").json()
    assert info == {"id": portal.portal_id, "name": "Демо-портал gkh", "demo": True, "version": info["version"]}


# -- errors are JSON, always ---------------------------------------------------------------------


def test_unknown_route_and_wrong_method_are_json(http_portal, ivanov):
    assert_error(ivanov.get("/nowhere"), 404, "not_found")
    error = assert_error(Api(http_portal).put("/me"), 405, "method_not_allowed")
    assert "PUT" in error["message"]


def test_malformed_json_and_a_non_object_body_are_400(ivanov):
    resp = ivanov.post("/accounts/links", data=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_json")
    assert_error(ivanov.post("/accounts/links", json=[1, 2]), 400, "invalid")


def test_an_oversized_body_is_a_json_413(ivanov):
    resp = ivanov.post("/accounts/links", data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                       headers={"Content-Type": "application/json"})
    assert_error(resp, 413, "too_large")


def test_an_unexpected_failure_is_a_json_500_without_internals(ivanov, monkeypatch):
    from gkh.server.services import accounts

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(accounts, "account_view", broken)
    error = assert_error(ivanov.get("/accounts"), 500, "internal")
    assert "secret" not in error["message"]


def test_a_bad_clock_setting_is_reported_not_guessed(ivanov, monkeypatch):
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:00:00")
    error = assert_error(ivanov.get("/me"), 500, "bad_clock", "GKH_NOW")
    assert "offset" in error["message"]


# -- addresses and houses ------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["ленина 5", "ул. Ленина, д. 5", "Ленина д5", "ЛЕНИНА 5", "москва ленина 5",
                                   "Ленина 5, кв. 12", "ленина 5 москва 123456", "Лeнина 5"])  # the last: Latin e
def test_the_ways_people_type_an_address_find_the_same_house(ivanov, query):
    items = ivanov.get("/addresses", params={"q": query}).json()["items"]
    assert [h["guid"] for h in items] == [H1_GUID]
    assert items[0]["address"] == "г. Москва, ул. Ленина, д. 5"


def test_a_street_alone_finds_its_houses_in_both_towns(ivanov):
    items = ivanov.get("/addresses", params={"q": "ленина"}).json()["items"]
    assert {h["guid"] for h in items} == {H1_GUID, H5_GUID}
    assert {h["town"] for h in items} == {"Москва", "Екатеринбург"}


def test_korpus_is_matched_exactly(ivanov):
    assert [h["guid"] for h in ivanov.get("/addresses", params={"q": "пр-т Мира 12 к2"}).json()["items"]] == [H3_GUID]
    assert [h["guid"] for h in ivanov.get("/addresses", params={"q": "мира 12 кор.2"}).json()["items"]] == [H3_GUID]
    both = ivanov.get("/addresses", params={"q": "мира 12"}).json()["items"]
    assert {h["guid"] for h in both} == {H2_GUID, H3_GUID}


def test_address_search_pages_with_a_cursor(ivanov):
    first = ivanov.get("/addresses", params={"q": "мира", "limit": 1}).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = ivanov.get("/addresses", params={"q": "мира", "limit": 1, "cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None
    assert {first["items"][0]["guid"], second["items"][0]["guid"]} == {H2_GUID, H3_GUID}


def test_a_search_that_finds_nothing_is_404_with_the_nearest_houses(ivanov):
    error = assert_error(ivanov.get("/addresses", params={"q": "ленина 7"}), 404, "house_not_found")
    assert error["message"] == 'no house matches "ленина 7"'
    assert [h["guid"] for h in error["details"]["suggestions"]] == [H5_GUID, H1_GUID]
    assert error["details"]["suggestions"][1]["address"] == "г. Москва, ул. Ленина, д. 5"
    nothing_near = assert_error(ivanov.get("/addresses", params={"q": "несуществующая 99"}), 404, "house_not_found")
    assert nothing_near["details"] == {"suggestions": []}


def test_a_later_page_with_nothing_left_is_an_empty_page_not_404(ivanov):
    # A cursor past the last house (as one a client kept while the houses changed): nothing more, no error.
    past_the_last = base64.urlsafe_b64encode(json.dumps(["я", ""]).encode()).decode().rstrip("=")
    page = ivanov.get("/addresses", params={"q": "мира", "cursor": past_the_last})
    assert page.status_code == 200 and page.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("params,field", [({}, "q"), ({"q": " ,. "}, "q"), ({"q": "мира", "limit": "0"}, "limit"),
                                          ({"q": "мира", "limit": "x"}, "limit"),
                                          ({"q": "мира", "cursor": "garbage!"}, "cursor")])
def test_bad_search_parameters_name_the_field(ivanov, params, field):
    assert_error(ivanov.get("/addresses", params=params), 400, "invalid", field)


def test_house_passport(ivanov):
    house = ivanov.get(f"/houses/{H1_GUID.upper()}").json()
    assert house["guid"] == H1_GUID
    assert house["readings_window"] == {"from_day": 1, "to_day": 31}
    assert house["flats"] == 220
    assert house["managing_organisation"]["inn"] == "7705124833"
    assert house["timezone"] == "Europe/Moscow"
    assert house["common_meters"] and all(m["serial"] for m in house["common_meters"])
    ekb = ivanov.get(f"/houses/{H5_GUID}").json()
    assert ekb["timezone"] == "Asia/Yekaterinburg"


def test_an_unknown_house_is_404_and_a_malformed_guid_400(ivanov):
    assert_error(ivanov.get("/houses/00000000-0000-4000-8000-000000000000"), 404, "house_not_found")
    assert_error(ivanov.get("/houses/not-a-guid"), 400, "invalid", "guid")


# -- accounts --------------------------------------------------------------------------------------


def test_my_accounts_are_the_two_linked_ones(ivanov):
    page = ivanov.get("/accounts").json()
    assert [a["els"] for a in page["items"]] == DEMO_RESIDENT_ACCOUNTS
    assert page["next_cursor"] is None
    first = page["items"][0]
    assert first["izhku"] == FIRST.izhku and first["number"] == FIRST.number
    assert first["house"]["guid"] == H1_GUID and first["flat"] == "12"
    assert first["linked_at"]


def test_show_an_account_by_els_in_any_case_or_latin_look_alikes(ivanov):
    latin = FIRST.els.replace("Е", "E").lower()  # what a person may type on a Latin keyboard
    assert ivanov.get(f"/accounts/{latin}").json()["els"] == FIRST.els


def test_another_residents_account_is_404_never_403(sign_in):
    petrova = sign_in("petrova")
    error = assert_error(petrova.get(f"/accounts/{FIRST.els}"), 404, "account_not_found")
    assert FIRST.els in error["message"]
    assert petrova.get("/accounts").json() == {"items": [], "next_cursor": None}


def test_staff_page_through_all_their_organisations_accounts(sign_in, home):
    staff = sign_in("uk-staff")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = staff.get("/accounts", params=params).json()
        seen += [a["els"] for a in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = db(home).execute("SELECT count(*) FROM accounts WHERE org_id = ?", (ORG_UK_MOSCOW,)).fetchone()[0]
    assert expected >= 2500
    assert len(seen) == len(set(seen)) == expected
    assert pages == 3
    assert all(a["organisation"]["id"] == ORG_UK_MOSCOW for a in page["items"])


def test_an_inspector_has_no_accounts_to_list(sign_in):
    assert_error(sign_in("inspector").get("/accounts"), 403, "forbidden")


def petrova_flat_account(home) -> sqlite3.Row:
    return db(home).execute(
        "SELECT a.* FROM accounts a JOIN flats f ON f.id = a.flat_id "
        "WHERE a.house_guid = ? AND f.number = '34' AND a.org_id = ?", (H1_GUID, ORG_UK_MOSCOW)
    ).fetchone()


@pytest.mark.parametrize("kind", ["number", "els", "izhku"])
def test_link_an_account_by_number_els_or_izhku(sign_in, home, kind):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    resp = petrova.post("/accounts/links", json={"house": H1_GUID, kind: account[kind], "payer": "Петрова"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "linked"
    assert resp.json()["account"]["els"] == account["els"]
    assert links(home, "petrova") == [account["els"]]
    again = petrova.post("/accounts/links", json={"house": H1_GUID, kind: account[kind], "payer": "Петрова"})
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert links(home, "petrova") == [account["els"]]


def test_link_needs_the_account_to_be_at_that_house(sign_in, home):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    assert_error(petrova.post("/accounts/links", json={"house": H2_GUID, "els": account["els"], "payer": "Петрова"}),
                 404, "account_not_found")
    assert_error(petrova.post("/accounts/links", json={"house": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                                                       "els": account["els"], "payer": "Петрова"}),
                 404, "house_not_found")
    assert links(home, "petrova") == []


@pytest.mark.parametrize("body,field", [
    ({"els": "77ЕЖ532838"}, "house"),
    ({"house": H1_GUID}, "number"),
    ({"house": H1_GUID, "number": "1", "els": "77ЕЖ532838"}, "number"),
    ({"house": H1_GUID, "els": "77DD532838"}, "els"),
    ({"house": H1_GUID, "izhku": "77ЕЖ532838"}, "izhku"),
    ({"house": H1_GUID, "number": "40187299", "payer": "Петрова", "org": "7705124830"}, "org"),
    ({"house": "Ленина 5", "number": "40187299", "payer": "Петрова"}, "house"),
    ({"house": H1_GUID, "number": "40187299"}, "payer"),
    ({"house": H1_GUID, "number": "40187299", "payer": " "}, "payer"),
    ({"house": H1_GUID, "number": "40187299", "payer": "12345"}, "payer"),
    ({"house": H1_GUID, "number": "40187299", "payer": "Петрова\u001b[31m"}, "payer"),
    ({"house": H1_GUID, "number": "40187299", "payer": "П" * 201}, "payer"),
    ({"house": H1_GUID, "number": "40187299", "payer": 7}, "payer"),
])
def test_malformed_link_requests_name_the_field(sign_in, home, body, field):
    assert_error(sign_in("petrova").post("/accounts/links", json=body), 400, "invalid", field)
    assert links(home, "petrova") == []


def test_a_number_two_organisations_share_at_one_house_needs_org(sign_in, home):
    account = petrova_flat_account(home)
    with db(home) as conn:  # the supplier happens to number an account the same way
        conn.execute("UPDATE accounts SET number = ? WHERE house_guid = ? AND org_id = 'ORG-0002' AND flat_id = ?",
                     (account["number"], H1_GUID, account["flat_id"]))
    petrova = sign_in("petrova")
    error = assert_error(petrova.post("/accounts/links", json={"house": H1_GUID, "number": account["number"],
                                                                 "payer": "Петрова"}),
                         400, "org_required", "org")
    assert "7705124833" in error["message"] and "7736402199" in error["message"]
    resp = petrova.post("/accounts/links", json={"house": H1_GUID, "number": account["number"], "payer": "Петрова",
                                                       "org": "7705124833"})
    assert resp.status_code == 201
    assert links(home, "petrova") == [account["els"]]


def test_only_residents_link(sign_in):
    assert_error(sign_in("uk-staff").post("/accounts/links", json={"house": H1_GUID, "number": "40187299",
                                                                   "payer": "Петрова"}),
                 403, "forbidden")


def test_unlink_then_it_is_gone_and_unlinking_again_is_404(ivanov, home):
    resp = ivanov.delete(f"/accounts/links/{SECOND.els}")
    assert resp.json()["status"] == "unlinked"
    assert links(home, "ivanov") == [FIRST.els]
    assert_error(ivanov.delete(f"/accounts/links/{SECOND.els}"), 404, "account_not_found")
    assert_error(ivanov.get(f"/accounts/{SECOND.els}"), 404, "account_not_found")


# -- dry run and exactly once --------------------------------------------------------------------------


def test_dry_run_checks_everything_and_commits_nothing(sign_in, home):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    resp = petrova.post("/accounts/links", params={"dry_run": "true"},
                        json={"house": H1_GUID, "els": account["els"], "payer": "Петрова"})
    assert resp.status_code == 201
    assert resp.json()["dry_run"] is True and resp.json()["status"] == "linked"
    assert links(home, "petrova") == []
    bad = petrova.post("/accounts/links", params={"dry_run": "1"},
                        json={"house": H2_GUID, "els": account["els"], "payer": "Петрова"})
    assert_error(bad, 404, "account_not_found")
    unlink = petrova.delete(f"/accounts/links/{account['els']}", params={"dry_run": "true"})
    assert_error(unlink, 404, "account_not_found")


def test_dry_run_unlink_keeps_the_link(ivanov, home):
    assert ivanov.delete(f"/accounts/links/{SECOND.els}", params={"dry_run": "true"}).json()["dry_run"] is True
    assert links(home, "ivanov") == DEMO_RESIDENT_ACCOUNTS


def test_a_repeated_idempotency_key_replays_the_stored_response(sign_in, home):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    body = {"house": H1_GUID, "els": account["els"], "payer": "Петрова"}
    first = petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    with db(home) as conn:  # were the work done again it would now say "unchanged"
        conn.execute("DELETE FROM account_links")
    replay = petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "k-1"})
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert links(home, "petrova") == []


def test_the_same_key_with_another_body_is_422(sign_in, home):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    petrova.post("/accounts/links", json={"house": H1_GUID, "els": account["els"], "payer": "Петрова"},
                 headers={"Idempotency-Key": "k"})
    other = petrova.post("/accounts/links", json={"house": H1_GUID, "izhku": account["izhku"], "payer": "Петрова"},
                         headers={"Idempotency-Key": "k"})
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")


def test_keys_belong_to_their_user(sign_in, home):
    petrova, ivanov = sign_in("petrova"), sign_in("ivanov")
    account = petrova_flat_account(home)
    petrova.post("/accounts/links", json={"house": H1_GUID, "els": account["els"], "payer": "Петрова"},
                 headers={"Idempotency-Key": "k"})
    resp = ivanov.post("/accounts/links", json={"house": H1_GUID, "els": account["els"], "payer": "Петрова"},
                       headers={"Idempotency-Key": "k"})
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers
    assert account["els"] in links(home, "ivanov")


def _claimed_elsewhere(home, login: str, body: dict, key: str, holder: str | None, lease_until: str):
    """A claim of `key` for this very request left in the store, as a process `holder` made it."""
    with db(home) as conn:
        user_id = conn.execute("SELECT id FROM users WHERE login = ?", (login,)).fetchone()[0]
        request_hash = conn.execute("SELECT request_hash FROM idempotency_keys WHERE key = 'probe'").fetchone()[0]
        conn.execute("DELETE FROM account_links")
        conn.execute("INSERT INTO idempotency_keys (user_id, key, request_hash, lease_until, holder, created_at) "
                     "VALUES (?, ?, ?, ?, ?, '2026-11-20T09:00:00+00:00')",
                     (user_id, key, request_hash, lease_until, holder))


def _link_body(sign_in, home):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    body = {"house": H1_GUID, "els": account["els"], "payer": "Петрова"}
    # First find the request's hash the way the server makes it, from a rehearsal with another key.
    petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "probe"})
    return petrova, account, body


def _live_lease() -> str:
    from gkh.domain.dates import format_instant
    from gkh.server.idempotency import LEASE, real_now

    return format_instant(real_now() + LEASE)


def test_in_progress_then_takeover_after_the_real_lease_whatever_the_portals_clock(sign_in, home, monkeypatch):
    from datetime import timedelta

    from gkh.server import idempotency

    petrova, account, body = _link_body(sign_in, home)
    # A claim of this very process (another of its threads still at work on it): in progress.
    _claimed_elsewhere(home, "petrova", body, "busy", idempotency.this_process().text(), _live_lease())
    resp = petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "busy"})
    assert_error(resp, 409, "in_progress", "Idempotency-Key")
    assert resp.headers["Retry-After"] == "1"
    assert links(home, "petrova") == []

    real = idempotency.real_now()
    monkeypatch.setattr(idempotency, "real_now", lambda: real + timedelta(seconds=61))  # GKH_NOW stays frozen
    taken = petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "busy"})
    assert taken.status_code == 201 and "Idempotent-Replayed" not in taken.headers
    assert links(home, "petrova") == [account["els"]]
    replay = petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "busy"})
    assert replay.headers["Idempotent-Replayed"] == "true"


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


@pytest.mark.parametrize("holder", ["gone", "restarted", "before holders"])
def test_a_claim_whose_process_is_gone_is_taken_over_at_once(sign_in, home, holder):
    from gkh.server import idempotency

    me = idempotency.this_process()
    petrova, account, body = _link_body(sign_in, home)
    text = {"gone": f"{me.place} {_dead_pid()} - 0123456789abcdef",  # killed with kill -9 mid-request
            "restarted": f"{me.place} {me.pid} {me.started or '-'} 0123456789abcdef",  # a container's pid 1 again
            "before holders": None}[holder]
    lease = _live_lease() if holder != "before holders" else "2026-11-20T09:01:00+00:00"
    _claimed_elsewhere(home, "petrova", body, "busy", text, lease)
    taken = petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "busy"})
    assert taken.status_code == 201, taken.text
    assert links(home, "petrova") == [account["els"]]


def test_the_threads_of_a_new_worker_hold_claims_as_one_process(monkeypatch):
    """A forked worker's first requests arrive on several threads at once: they make one holder, not one each (a
    holder of another token under this very pid is a process gone, whose claim is taken over: twice the work)."""
    import threading

    from gkh.server import idempotency

    me = idempotency.this_process()
    monkeypatch.setattr(idempotency, "_holder", idempotency.Holder(me.place, me.pid + 1, "", "forkedfromparent"))
    slow_place = idempotency._place

    def place() -> str:  # as slow as a loaded machine's /proc, so that the threads overlap
        import time

        time.sleep(0.02)
        return slow_place()

    monkeypatch.setattr(idempotency, "_place", place)
    start, held = threading.Barrier(8), []

    def first_request() -> None:
        start.wait()
        held.append(idempotency.this_process())

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({h.token for h in held}) == 1 and held[0].pid == me.pid
    assert not idempotency.holder_gone(held[0].text())


@pytest.mark.parametrize("holder", ["another machine", "a live process here"])
def test_a_claim_of_a_live_or_unknowable_process_waits_for_its_lease(sign_in, home, holder):
    import os

    from gkh.server import idempotency

    me = idempotency.this_process()
    parent = os.getppid()
    text = {"another machine": f"elsewhere {me.pid} - 0123456789abcdef",
            "a live process here": f"{me.place} {parent} {idempotency._started(parent) or '-'} 0123456789abcdef"}
    petrova, account, body = _link_body(sign_in, home)
    _claimed_elsewhere(home, "petrova", body, "busy", text[holder], _live_lease())
    resp = petrova.post("/accounts/links", json=body, headers={"Idempotency-Key": "busy"})
    assert_error(resp, 409, "in_progress", "Idempotency-Key")
    assert links(home, "petrova") == []


def test_a_refused_request_frees_its_key(sign_in, home):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    wrong = petrova.post("/accounts/links", json={"house": H2_GUID, "els": account["els"], "payer": "Петрова"},
                         headers={"Idempotency-Key": "k"})
    assert wrong.status_code == 404
    assert db(home).execute("SELECT count(*) FROM idempotency_keys").fetchone()[0] == 0


def test_keys_are_forgotten_after_24_hours(sign_in, home, monkeypatch):
    petrova = sign_in("petrova")
    account = petrova_flat_account(home)
    petrova.post("/accounts/links", json={"house": H1_GUID, "els": account["els"], "payer": "Петрова"},
                 headers={"Idempotency-Key": "k"})
    monkeypatch.setenv("GKH_NOW", "2026-11-21T12:00:01+03:00")
    resp = petrova.post("/accounts/links", json={"house": H1_GUID, "izhku": account["izhku"], "payer": "Петрова"},
                        headers={"Idempotency-Key": "k"})
    assert resp.status_code == 200 and resp.json()["status"] == "unchanged"


def test_a_malformed_idempotency_key_is_400(ivanov):
    resp = ivanov.post("/accounts/links", json={"house": H1_GUID, "number": "1"},
                       headers={"Idempotency-Key": "x" * 300})
    assert_error(resp, 400, "invalid", "Idempotency-Key")
    assert "details" not in resp.json()["error"]  # only a refusal with details has them


def test_a_form_body_is_415_and_401_names_the_scheme(http_portal):
    resp = requests.post(f"{http_portal}/api/v1/auth/token", data={"login": "ivanov", "password": "x"}, timeout=10)
    assert_error(resp, 415, "unsupported_media_type")
    assert Api(http_portal).get("/me").headers["WWW-Authenticate"] == "Bearer"
