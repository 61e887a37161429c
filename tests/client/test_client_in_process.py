"""Client.in_process: any WSGI app in this process, reached through LocalTransport; the client itself loads
no server (the command runtime opens the portal and hands its app over)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from gkh.client.api import Client, RetryPolicy
from gkh.client.core import ClientCore
from gkh.client.errors import NotFound, ServerError
from gkh.client.resources.accounts import Accounts
from gkh.client.resources.addresses import Addresses
from gkh.client.resources.meters import Meters
from gkh.client.resources.portal import PortalSession
from tests.helpers.demo import SEED_NOW

CLIENT = Path(__file__).resolve().parents[2] / "gkh" / "client"


def json_app(status: str = "200 OK", body: bytes = b'{"ok": true}', content_type: str = "application/json"):
    seen: list[dict] = []

    def app(environ, start_response):
        seen.append(environ)
        start_response(status, [("Content-Type", content_type), ("X-Request-Id", "r-1")])
        return [body]

    app.seen = seen  # type: ignore[attr-defined]
    return app


def test_an_app_in_this_process_is_keyed_and_named_as_the_local_portal():
    app = json_app()
    client = Client.in_process(app, "0123456789abcdef", token="t", retry=RetryPolicy(attempts=1))
    assert client.request("GET", "/me") == {"ok": True}
    assert app.seen[0]["PATH_INFO"] == "/api/v1/me"
    assert app.seen[0]["HTTP_AUTHORIZATION"] == "Bearer t"
    assert client.portal_key == "local:0123456789abcdef"
    assert repr(client) == "<Client local:0123456789abcdef signed in>"


def test_messages_name_the_local_portal_not_the_internal_url():
    client = Client.in_process(json_app(body=b"<html>"), "p", retry=RetryPolicy(attempts=1))
    with pytest.raises(ServerError) as caught:
        client.portal_info()
    assert caught.value.message == "the local portal answered 200 with something that is not JSON"


def test_errors_from_the_app_are_typed_as_over_http():
    body = json.dumps({"error": {"code": "meter_not_found", "message": "no meter M-1", "field": None}}).encode()
    client = Client.in_process(json_app("404 Not Found", body), "p", retry=RetryPolicy(attempts=1))
    with pytest.raises(NotFound) as caught:
        client.meter("M-1")
    assert (caught.value.code, caught.value.request_id) == ("meter_not_found", "r-1")


def test_closing_the_client_runs_on_close_once():
    closed: list[bool] = []
    with Client.in_process(json_app(), "p", on_close=lambda: closed.append(True)) as client:
        client.portal_info()
    client.close()
    assert closed == [True]


def test_the_real_portal_app_in_process(portal):
    client = Client.in_process(portal.app, portal.portal_id, retry=RetryPolicy(attempts=1))
    client.set_token(portal.sign_in_demo_resident(SEED_NOW)["token"])
    assert client.portal_info()["id"] == portal.portal_id
    assert client.portal_key == f"local:{portal.portal_id}"
    assert len(client.accounts()) == 2


def test_the_client_is_the_core_with_one_resource_per_noun():
    assert issubclass(Client, ClientCore)
    for resource, methods in [(PortalSession, ["portal_info", "sign_in", "sign_out", "me"]),
                              (Addresses, ["search_addresses", "house"]),
                              (Accounts, ["accounts", "account", "link_account", "unlink_account"]),
                              (Meters, ["meters", "meter", "submit_reading", "meter_history"])]:
        assert issubclass(Client, resource)
        for name in methods:
            assert getattr(Client, name) is getattr(resource, name)
    assert str(inspect.signature(Client.submit_reading)) == (
        "(self, meter: 'str', values: 'list[str]', *, date: 'str | None' = None, rollover: 'bool' = False, "
        "dry_run: 'bool' = False) -> 'dict'")
