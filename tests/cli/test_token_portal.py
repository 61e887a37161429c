"""A stored token goes back only to the portal that issued it, told by the portal's id, not by its URL."""

from __future__ import annotations

import secrets
import sqlite3
import threading

import pytest
import responses
import waitress

from gkh.config.credentials import Credential, CredentialStore
from tests.helpers.cli import gkh, login
from tests.helpers.demo import SEED_NOW
from tests.helpers.serving import free_port, stop_waitress

URL = "https://portal.example.ru"
ISSUER, IMPOSTOR = "5f3a9c1e0b7d4a26", "9c1e0b7d4a265f3a"


def serve(app, port: int):
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=2, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread


def recorded(app, seen: list):
    """The app, noting each request's path and Authorization header."""
    def wsgi(environ, start_response):
        seen.append((environ["PATH_INFO"], environ.get("HTTP_AUTHORIZATION")))
        return app(environ, start_response)
    return wsgi


def test_a_different_portal_later_on_the_same_port_never_gets_the_token(home, portal, seeded_db, tmp_path):
    from gkh.server.local import Portal

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server, thread = serve(portal.app, port)
    try:
        assert gkh("--profile", "remote", "config", "set", "url", url).exit_code == 0
        login("remote", "ivanov")
        assert gkh("--profile", "remote", "account", "list").exit_code == 0
    finally:
        stop_waitress(server)
        thread.join(timeout=5)

    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    with sqlite3.connect(seeded_db) as src, sqlite3.connect(other / "portal.sqlite3") as dest:
        src.backup(dest)
        dest.execute("UPDATE portal_settings SET value = ? WHERE key = 'portal_id'", (secrets.token_hex(8),))
    src.close()
    dest.close()
    impostor = Portal(other, SEED_NOW)
    seen: list = []
    server, thread = serve(recorded(impostor.app, seen), port)
    try:
        result = gkh("--profile", "remote", "account", "list")
    finally:
        stop_waitress(server)
        thread.join(timeout=5)
        impostor.close()
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr == (f"gkh: the portal at {url} (id {impostor.portal_id[:8]}) is not the one this token was "
                             f"issued by (id {portal.portal_id[:8]}): the token was not sent "
                             "(run: gkh --profile remote auth login)\n")
    assert seen == [("/api/v1/portal", None)]


@pytest.fixture
def remote(tmp_path, monkeypatch):
    """GKH_URL at a made-up portal answered by `responses`; a helper storing a token for it."""
    from gkh.client.api import Client

    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GKH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GKH_URL", URL)
    monkeypatch.delenv("GKH_TOKEN", raising=False)
    key = Client(URL).portal_key

    def store_token(portal_id: str | None) -> None:
        CredentialStore().put("local", Credential(token="tok-issued", login="ivanov", expires_at=None, portal=key,
                                                  saved_at="2026-11-20T12:00:00+03:00", portal_id=portal_id))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as stubs:
        stubs.get(URL + "/api/v1/accounts", json={"items": [], "next_cursor": None})
        stubs.delete(URL + "/api/v1/auth/token", json={})
        yield stubs, store_token


def portal_says(stubs, portal_id: str | None) -> None:
    stubs.get(URL + "/api/v1/portal", json={"id": portal_id, "name": "Портал", "demo": False, "version": "1"})


def authorizations(stubs) -> list:
    return [(call.request.path_url.split("?")[0], call.request.headers.get("Authorization")) for call in stubs.calls]


@pytest.mark.parametrize("stored_id,shown", [(ISSUER, ISSUER[:8]), (None, "not recorded")])
def test_a_token_is_not_sent_when_the_portal_id_differs_or_was_never_recorded(remote, stored_id, shown):
    stubs, store_token = remote
    store_token(stored_id)
    portal_says(stubs, IMPOSTOR)
    result = gkh("account", "list")
    assert result.exit_code == 4
    assert f"(id {IMPOSTOR[:8]}) is not the one this token was issued by (id {shown})" in result.stderr
    assert result.stderr.endswith("(run: gkh --profile local auth login)\n") and len(result.stderr.splitlines()) == 1
    assert authorizations(stubs) == [("/api/v1/portal", None)]


def test_a_portal_giving_no_id_gets_no_token(remote):
    stubs, store_token = remote
    store_token(ISSUER)
    stubs.get(URL + "/api/v1/portal", json={"name": "not gkh"})
    assert gkh("account", "list").exit_code == 4
    assert authorizations(stubs) == [("/api/v1/portal", None)]


def test_the_issuing_portal_gets_the_token_after_one_look_at_its_id(remote):
    stubs, store_token = remote
    store_token(ISSUER)
    portal_says(stubs, ISSUER)
    result = gkh("account", "list")
    assert result.exit_code == 0, result.stderr
    assert authorizations(stubs) == [("/api/v1/portal", None), ("/api/v1/accounts", "Bearer tok-issued")]


def test_gkh_token_is_sent_as_is(remote):
    stubs, _ = remote
    result = gkh("account", "list", env={"GKH_TOKEN": "tok-for-this-run"})
    assert result.exit_code == 0, result.stderr
    assert authorizations(stubs) == [("/api/v1/accounts", "Bearer tok-for-this-run")]


def test_logout_at_another_portal_forgets_the_token_without_sending_it(remote):
    stubs, store_token = remote
    store_token(ISSUER)
    portal_says(stubs, IMPOSTOR)
    result = gkh("auth", "logout")
    assert result.exit_code == 0, result.stderr
    assert "without sending it" in result.stderr
    assert authorizations(stubs) == [("/api/v1/portal", None)]
    assert CredentialStore().for_profile("local") == []


def test_login_needs_the_portal_to_say_who_it_is(remote):
    stubs, _ = remote
    stubs.get(URL + "/api/v1/portal", json={"name": "not gkh"})
    stubs.post(URL + "/api/v1/auth/token", json={"token": "t", "expires_at": None, "user": {}})
    result = gkh("auth", "login", "--user", "ivanov", "--password-stdin", input="secret\n")
    assert result.exit_code == 6 and "gave no portal id" in result.stderr
    assert authorizations(stubs) == [("/api/v1/portal", None)]  # the password was not sent either


def test_an_unreachable_portal_is_6_before_any_token_is_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("GKH_TOKEN", raising=False)
    env = {"GKH_URL": f"http://127.0.0.1:{free_port()}", "GKH_RETRIES": "1", "GKH_BACKOFF": "0"}
    result = gkh("account", "list", env=env)
    assert result.exit_code == 6, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "not signed in" not in result.stderr

