"""Behind a trusted reverse proxy (`gkh server run --trusted-proxy`): the caller's address from X-Forwarded-For (the
failed sign-ins counted per the real caller, not per the proxy), the scheme and host from X-Forwarded-Proto and
-Host (a card page's link as people reach the portal); from anyone else those headers are not believed."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from gkh.client.transport import LOCAL_BASE, LocalTransport
from gkh.domain.errors import InvalidInput
from gkh.server.proxies import TrustedProxies, parse_trusted_proxies
from tests.helpers.demo import password_of

pytestmark = pytest.mark.sqlite_only  # the app in this process on the embedded portal

LOOPBACK = parse_trusted_proxies("127.0.0.1, ::1")


@pytest.mark.parametrize("peer, forwarded, client", [
    ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
    ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the rightmost: what our proxy saw
    ("127.0.0.1", "203.0.113.7, 127.0.0.1", "203.0.113.7"),  # two proxies of ours in a row
    ("127.0.0.1", "127.0.0.1, ::1", "127.0.0.1"),  # all ours: the leftmost
    ("127.0.0.1", None, "127.0.0.1"),
    ("192.0.2.9", "203.0.113.7", "192.0.2.9"),  # not a proxy of ours: its header is not believed
    ("127.0.0.1", "x" * 100, "x" * 64),
])
def test_the_callers_address(peer, forwarded, client):
    assert LOOPBACK.client(peer, forwarded) == client
    assert TrustedProxies().client(peer, forwarded) == peer  # none trusted: always the peer


def test_networks_are_read_and_a_wrong_one_is_named():
    assert parse_trusted_proxies("10.0.0.0/8").trusts("10.1.2.3") and not parse_trusted_proxies("").trusts("10.1.2.3")
    with pytest.raises(InvalidInput) as refused:
        parse_trusted_proxies("127.0.0.1, proxy.local", "GKH_TRUSTED_PROXIES")
    assert refused.value.message.startswith("GKH_TRUSTED_PROXIES: 'proxy.local' is not an IP address or network")


@pytest.fixture
def behind(sqlite_portal):
    """A session to the embedded portal's app as a proxy on 127.0.0.1 reaches it (LocalTransport's REMOTE_ADDR),
    with the proxies the test trusts."""

    def make(trusted: str) -> requests.Session:
        sqlite_portal._app = None
        sqlite_portal.proxies = parse_trusted_proxies(trusted)
        session = requests.Session()
        session.mount(LOCAL_BASE + "/", LocalTransport(sqlite_portal.app))
        return session

    return make


def failed_sign_in_keys(home) -> list[str]:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return [r[0] for r in conn.execute("SELECT key FROM throttle WHERE scope = 'sign_in_address' ORDER BY key")]


@pytest.mark.parametrize("trusted, counted", [("127.0.0.1", "203.0.113.7"), ("", "127.0.0.1")])
def test_failed_sign_ins_are_counted_per_the_caller_the_proxy_names(behind, home, trusted, counted):
    session = behind(trusted)
    answer = session.post(f"{LOCAL_BASE}/api/v1/auth/token", json={"login": "ivanov", "password": "wrong-one"},
                          headers={"X-Forwarded-For": "203.0.113.7"})
    assert answer.status_code == 401
    assert failed_sign_in_keys(home) == [counted]


@pytest.mark.parametrize("trusted, link", [("127.0.0.1", "https://dom.example.org/acquirer/"),
                                           ("", f"{LOCAL_BASE}/acquirer/")])
def test_a_card_pages_link_is_where_people_reach_the_portal(behind, trusted, link):
    session = behind(trusted)
    token = session.post(f"{LOCAL_BASE}/api/v1/auth/token",
                         json={"login": "ivanov", "password": password_of("ivanov")}).json()["token"]
    answer = session.post(f"{LOCAL_BASE}/api/v1/wallet/top-ups", json={"amount": "100.00"},
                          headers={"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https",
                                   "X-Forwarded-Host": "dom.example.org"})
    assert answer.status_code == 202, answer.text  # pending until confirmed on the page
    assert answer.json()["confirmation_url"].startswith(link)


def test_gkh_server_run_refuses_an_address_it_cannot_read(home):
    from tests.helpers.cli import gkh

    refused = gkh("server", "run", "--port", "0", "--trusted-proxy", "nginx")
    assert refused.exit_code == 2 and "--trusted-proxy: 'nginx' is not an IP address" in refused.stderr


