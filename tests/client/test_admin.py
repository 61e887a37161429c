"""The admin's calls as the client sends them: settings listed, set, a dry run and back to the default; organisations
listed and added with only the details given; users listed, added with their one-time password, disabled, enabled
and given a new one-time password; a password of one's own — and the portal's refusals as typed errors."""

from __future__ import annotations

import json

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, PermissionDenied, Refused

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def sent(call) -> dict:
    return json.loads(call.request.body)


def error(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


SETTING = {"key": "readings.window_from", "value": "10", "default": "15",
           "description": "The first day of a house's reading window"}
ORGANISATION = {"id": "ORG-0007", "name": "ТСЖ «Берёзка»", "short_name": "ТСЖ Берёзка", "inn": "7707083893",
                "ogrn": "1027700132195", "kpp": None, "kind": "managing", "card_commission": "0.8"}
USER = {"login": "ivanov", "name": "Иванов И. И.", "email": None, "role": "resident", "organisation": None,
        "must_change_password": True, "disabled_at": None, "created_at": "2026-11-20T09:00:00Z"}


def test_settings_are_listed_and_set_with_the_value_in_the_body(stub, client):
    stub.get(f"{API}/admin/settings", json={"items": [SETTING]})
    stub.put(f"{API}/admin/settings/readings.window_from", json=SETTING,
             match=[matchers.json_params_matcher({"value": "10"})])
    assert client.admin_settings() == [SETTING]
    assert client.set_admin_setting("readings.window_from", "10") == SETTING
    assert stub.calls[1].request.headers["Authorization"] == "Bearer gkh_token"
    assert stub.calls[1].request.headers["Idempotency-Key"]


def test_a_setting_back_to_its_default_sends_null_and_a_dry_run_says_so_in_the_query(stub, client):
    stub.put(f"{API}/admin/settings/smtp.host", json={**SETTING, "key": "smtp.host", "value": None},
             match=[matchers.json_params_matcher({"value": None})])
    stub.put(f"{API}/admin/settings/smtp.port", json={**SETTING, "key": "smtp.port", "value": "25"},
             match=[matchers.query_param_matcher({"dry_run": "true"})])
    assert client.set_admin_setting("smtp.host", None)["value"] is None
    assert client.set_admin_setting("smtp.port", "25", dry_run=True)["value"] == "25"


def test_a_key_is_one_path_segment_and_a_refused_value_names_the_key(stub, client):
    stub.put(f"{API}/admin/settings/a%2Fb", status=400,
             json=error("invalid", "unknown setting a/b", field="key"))
    stub.put(f"{API}/admin/settings/readings.window_to", status=400,
             json=error("invalid", "readings.window_to must be a day of the month from 1 to 31; got '32'",
                        field="readings.window_to"))
    with pytest.raises(InvalidRequest) as unknown:
        client.set_admin_setting("a/b", "1")
    assert unknown.value.field == "key"
    with pytest.raises(InvalidRequest) as refused:
        client.set_admin_setting("readings.window_to", "32")
    assert refused.value.field == "readings.window_to"


def test_an_unreachable_smtp_server_is_refused(stub, client):
    stub.put(f"{API}/admin/settings/smtp.host", status=422,
             json=error("smtp_unreachable", "mail.example.org:587: connection refused", field="smtp.host"))
    with pytest.raises(Refused) as refused:
        client.set_admin_setting("smtp.host", "mail.example.org")
    assert refused.value.code == "smtp_unreachable"


def test_an_organisation_is_added_with_only_the_details_given(stub, client):
    stub.post(f"{API}/admin/organisations", status=201, json=ORGANISATION, match=[matchers.json_params_matcher({
        "name": "ТСЖ «Берёзка»", "inn": "7707083893", "ogrn": "1027700132195", "kind": "managing",
        "card_commission": "0.8"})])
    added = client.add_organisation("ТСЖ «Берёзка»", "7707083893", "1027700132195", "managing",
                                    card_commission="0.8")
    assert added["id"] == "ORG-0007"


def test_organisations_and_users_are_listed_page_after_page(stub, client):
    stub.get(f"{API}/admin/organisations", json={"items": [ORGANISATION], "next_cursor": "c2"})
    stub.get(f"{API}/admin/organisations", match=[matchers.query_param_matcher({"limit": "1000", "cursor": "c2"})],
             json={"items": [{**ORGANISATION, "id": "ORG-0008"}]})
    stub.get(f"{API}/admin/users", json={"items": [USER]})
    assert [o["id"] for o in client.admin_organisations()] == ["ORG-0007", "ORG-0008"]
    assert client.admin_users() == [USER]


def test_the_same_inn_with_other_details_is_refused(stub, client):
    stub.post(f"{API}/admin/organisations", status=409,
              json=error("organisation_exists", "an organisation with ИНН 7707083893 exists", field="inn"))
    with pytest.raises(Refused) as refused:
        client.add_organisation("Другое", "7707083893", "1027700132195", "supplier", dry_run=True)
    assert (refused.value.code, refused.value.field) == ("organisation_exists", "inn")
    assert stub.calls[0].request.url.endswith("?dry_run=true")


def test_a_user_is_added_with_their_organisation_and_the_answer_holds_the_one_time_password(stub, client):
    answer = {"user": {**USER, "role": "staff", "organisation": "ORG-0007"}, "one_time_password": "abcdefgh23456789"}
    stub.post(f"{API}/admin/users", status=201, json=answer, match=[matchers.json_params_matcher({
        "login": "ivanov", "name": "Иванов И. И.", "role": "staff", "org": "7707083893"})])
    assert client.add_user("ivanov", "Иванов И. И.", "staff", org="7707083893") == answer


def test_a_taken_login_is_refused(stub, client):
    stub.post(f"{API}/admin/users", status=409, json=error("login_taken", "the login ivanov is taken", field="login"))
    with pytest.raises(Refused) as refused:
        client.add_user("ivanov", "Иванов", "resident", email="ivanov@example.org")
    assert refused.value.code == "login_taken"
    assert sent(stub.calls[0])["email"] == "ivanov@example.org"


def test_disable_enable_and_a_new_one_time_password_post_to_the_users_path(stub, client):
    stub.post(f"{API}/admin/users/ivanov/disable", json={**USER, "disabled_at": "2026-11-20T09:00:00Z"})
    stub.post(f"{API}/admin/users/ivanov/enable", json=USER)
    stub.post(f"{API}/admin/users/iva%2Fnov/password", json={"user": USER, "one_time_password": "x" * 16})
    assert client.disable_user("ivanov")["disabled_at"]
    assert client.enable_user("ivanov")["disabled_at"] is None
    assert client.reset_user_password("iva/nov")["one_time_password"] == "x" * 16


def test_the_admin_routes_refuse_anyone_else(stub, client):
    stub.get(f"{API}/admin/users", status=403, json=error("forbidden", "only the portal's admins manage users"))
    with pytest.raises(PermissionDenied):
        client.admin_users()


def test_a_password_of_ones_own_and_a_wrong_current_one_is_403_not_401(stub, client):
    stub.post(f"{API}/auth/password", json={"status": "changed"},
              match=[matchers.json_params_matcher({"current": "one-time", "new": "a-long-new-one"})])
    stub.post(f"{API}/auth/password", status=403, json=error("wrong_password", "the current password is wrong",
                                                             field="current"))
    assert client.change_password("one-time", "a-long-new-one") == {"status": "changed"}
    with pytest.raises(PermissionDenied) as wrong:
        client.change_password("nope", "a-long-new-one")
    assert wrong.value.code == "wrong_password"


# --- houses and periods ------------------------------------------------------------------------------------------

GUID = "f88dff80-7a02-4289-80be-edca9d932149"
CLOSED = {"house": {"guid": GUID, "address": "г. Москва, ул. Строителей, д. 5"}, "period": "2026-11",
          "closed_at": "2026-11-26T03:00:00Z", "closed_by": "admin", "status": "closed"}


def test_a_chunk_of_houses_goes_to_the_admins_batch_with_the_same_key_on_a_retry(stub, client, sleeps):
    rows = [{"line": 2, "guid": GUID, "address": "г. Москва, ул. Строителей, д. 5", "town": "Москва",
             "oktmo": "45376000", "region": "77", "timezone": None, "managing_org": "7705124833"}]
    answer = {"created": 1, "updated": 0, "unchanged": 0, "rejected": [], "warnings": []}
    stub.post(f"{API}/admin/houses/batch", status=503, json=error("unavailable", "busy"))
    stub.post(f"{API}/admin/houses/batch", json=answer, match=[matchers.json_params_matcher({"rows": rows}),
                                                                matchers.query_param_matcher({"dry_run": "true"})])
    assert client.import_houses(rows, dry_run=True) == answer
    keys = {call.request.headers["Idempotency-Key"] for call in stub.calls}
    assert len(stub.calls) == 2 and len(keys) == 1 and sleeps


def test_a_period_is_closed_with_the_house_and_month_in_the_body_and_a_future_one_refused(stub, client):
    stub.post(f"{API}/periods/close", status=201, json=CLOSED,
              match=[matchers.json_params_matcher({"house": GUID, "period": "2026-11"})])
    stub.post(f"{API}/periods/close", status=422,
              json=error("period_in_future", "2027-01 has not begun in the house's time zone", field="period"))
    assert client.close_period(GUID, "2026-11") == CLOSED
    with pytest.raises(Refused) as future:
        client.close_period(GUID, "2027-01")
    assert (future.value.code, future.value.field) == ("period_in_future", "period")


def test_a_houses_closed_periods_are_listed_for_that_house(stub, client):
    item = {k: v for k, v in CLOSED.items() if k != "status"}
    stub.get(f"{API}/periods", json={"items": [item, {**item, "period": "2026-10"}]},
             match=[matchers.query_param_matcher({"house": GUID, "limit": "1000"})])
    assert [p["period"] for p in client.closed_periods(GUID)] == ["2026-11", "2026-10"]


def test_staff_closing_another_organisations_house_is_not_found(stub, client):
    from gkh.client.errors import NotFound

    stub.post(f"{API}/periods/close", status=404, json=error("house_not_found", "no house " + GUID))
    with pytest.raises(NotFound):
        client.close_period(GUID, "2026-11")
