"""The session service without HTTP: signing in and out, tokens, and who I am."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gkh.server.http import ApiError
from gkh.server.services import session
from tests.helpers.demo import SEED_NOW


def test_a_sign_in_gives_a_token_that_authenticates_its_user(store):
    signed_in = session.sign_in(store, "ivanov", "ivanov-demo-2026", "127.0.0.1", SEED_NOW)
    assert signed_in["expires_at"] == "2027-02-18T09:00:00+00:00"  # 90 days
    assert signed_in["user"]["login"] == "ivanov" and signed_in["user"]["organisation"] is None
    assert session.authenticate(store, signed_in["token"], SEED_NOW).login == "ivanov"


def test_a_sign_in_without_a_password_answers_as_a_sign_in_does(store):
    signed_in = session.sign_in_without_password(store, "uk-staff", SEED_NOW)
    assert set(signed_in) == {"token", "expires_at", "user"}
    assert signed_in["user"]["organisation"]["short_name"] == "ООО «УК Ленинский квартал»"
    assert session.authenticate(store, signed_in["token"], SEED_NOW).role == "staff"


def test_wrong_passwords_are_counted_until_the_login_is_locked(store):
    for _ in range(10):
        with pytest.raises(ApiError) as wrong:
            session.sign_in(store, "ivanov", "guess", "127.0.0.1", SEED_NOW)
        assert wrong.value.error_code == "invalid_credentials"
    with pytest.raises(ApiError) as locked:
        session.sign_in(store, "ivanov", "ivanov-demo-2026", "127.0.0.1", SEED_NOW)
    assert (locked.value.status_code, locked.value.error_code) == (429, "too_many_attempts")


def test_a_signed_out_token_no_longer_authenticates(store):
    token = session.sign_in_without_password(store, "ivanov", SEED_NOW)["token"]
    assert session.sign_out(store, token, SEED_NOW) == {"status": "revoked"}
    with pytest.raises(ApiError) as unknown:
        session.authenticate(store, token, SEED_NOW)
    assert unknown.value.error_code == "unauthenticated"


def test_a_token_is_renewed_by_use_and_expires_unused(store, user):
    token = session.sign_in_without_password(store, "ivanov", SEED_NOW)["token"]
    later = SEED_NOW + timedelta(days=60)
    session.authenticate(store, token, later)  # renewed: 90 days from now on
    assert session.me(store, user("ivanov"), token)["token_expires_at"] == "2027-04-19T09:00:00+00:00"
    with pytest.raises(ApiError) as expired:
        session.authenticate(store, token, later + timedelta(days=91))
    assert expired.value.error_code == "token_expired"


def test_me_and_the_portal(store, user):
    me = session.me(store, user("petrova"), None)
    assert (me["login"], me["role"], me["token_expires_at"]) == ("petrova", "resident", None)
    assert me["portal"] == session.portal_info(store)
    assert session.portal_info(store)["demo"] is True
