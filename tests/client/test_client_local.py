"""The client against the real portal app: in-process through LocalTransport, and over HTTP through waitress.

The same story runs on both, as the CLI will: nothing above the client knows which transport it has.
"""

from __future__ import annotations

import pytest

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import AuthenticationError, InvalidRequest, NotFound, Refused
from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNTS, H1_GUID
from tests.helpers.demo import SEED_NOW, password_of

PETROVA_ACCOUNT = DEMO_PETROVA_ACCOUNT.number  # flat 34 at ул. Ленина, д. 5 (payer Петрова), not linked to ivanov
LINK_PETROVA = {"house": H1_GUID, "number": PETROVA_ACCOUNT, "payer": "Петрова"}
NO_RETRY = RetryPolicy(attempts=1)


@pytest.fixture
def local_client(portal):
    """The demo portal's app in this process, as the command runtime wires it."""
    client = Client.in_process(portal.app, portal.portal_id, retry=NO_RETRY)
    client.token = portal.sign_in_demo_resident(SEED_NOW)["token"]
    yield client
    client.close()


@pytest.fixture(params=["local", "http"])
def client(request, portal):
    """Signed in as the demo resident, in-process or over loopback HTTP."""
    if request.param == "local":
        yield request.getfixturevalue("local_client")
        return
    url = request.getfixturevalue("http_portal")
    token = portal.sign_in_demo_resident(SEED_NOW)["token"]
    client = Client(url, token=token, timeout=10, retry=NO_RETRY)
    yield client
    client.close()


def test_the_demo_resident_sees_both_demo_accounts(client):
    assert [a["els"] for a in client.accounts()] == DEMO_RESIDENT_ACCOUNTS


def test_one_account_by_its_cyrillic_els(client):
    account = client.account(DEMO_RESIDENT_ACCOUNTS[0])
    assert account["els"] == DEMO_RESIDENT_ACCOUNTS[0]
    assert account["house"]["guid"] == H1_GUID


def test_the_address_search_keeps_its_query(client):
    houses = client.search_addresses("ленина 5")
    assert [h["guid"] for h in houses] == [H1_GUID]


def test_paging_through_the_real_portal(client):
    first = client.accounts(limit=1)
    assert [a["els"] for a in first] == DEMO_RESIDENT_ACCOUNTS[:1]
    pages = list(client.paginate("/accounts", page_size=1))
    assert [a["els"] for a in pages] == DEMO_RESIDENT_ACCOUNTS


def test_someone_elses_account_is_not_found_and_typed(client):
    with pytest.raises(NotFound) as caught:
        client.account("77ЕЖ000000")
    assert caught.value.code == "account_not_found"
    assert caught.value.request_id


def test_a_malformed_house_guid_names_its_field(client):
    with pytest.raises(InvalidRequest) as caught:
        client.house("not-a-guid")
    assert caught.value.field == "guid"


def test_a_house_passport(client):
    assert client.house(H1_GUID)["address"] == "г. Москва, ул. Ленина, д. 5"


def test_a_dry_run_link_changes_nothing(client):
    result = client.link_account(H1_GUID, payer="Петрова", number=PETROVA_ACCOUNT, dry_run=True)
    assert result["status"] == "linked" and result["dry_run"] is True
    assert len(client.accounts()) == 2


def test_link_and_unlink_for_real(client):
    linked = client.link_account(H1_GUID, payer="Петрова", number=PETROVA_ACCOUNT)
    assert linked["status"] == "linked"
    els = linked["account"]["els"]
    assert len(client.accounts()) == 3
    assert client.unlink_account(els)["status"] == "unlinked"
    assert len(client.accounts()) == 2


def test_the_idempotency_key_arrives_and_is_honoured(client):
    first = client.request("POST", "/accounts/links", json=LINK_PETROVA, idempotency_key="link-petrova-1")
    replay = client.request("POST", "/accounts/links", json=LINK_PETROVA, idempotency_key="link-petrova-1")
    assert first == replay and first["status"] == "linked"  # replayed, not "unchanged"
    with pytest.raises(Refused) as caught:
        other = {**LINK_PETROVA, "number": None, "els": DEMO_RESIDENT_ACCOUNTS[0]}
        client.request("POST", "/accounts/links", json=other, idempotency_key="link-petrova-1")
    assert caught.value.code == "idempotency_key_reused"
    assert caught.value.field == "Idempotency-Key"


def test_signing_in_posts_the_credentials(client):
    result = client.sign_in("petrova", password_of("petrova"))
    assert result["user"]["login"] == "petrova"
    client.token = result["token"]
    assert client.me()["login"] == "petrova"
    assert client.sign_out() == {"status": "revoked"}
    with pytest.raises(AuthenticationError) as caught:
        client.me()
    assert caught.value.code == "unauthenticated"


def test_a_wrong_password_is_an_authentication_error(client):
    with pytest.raises(AuthenticationError) as caught:
        client.sign_in("petrova", "wrong")
    assert caught.value.code == "invalid_credentials"


def test_without_a_token_the_portal_asks_to_sign_in(client):
    client.token = None
    assert client.portal_info()["demo"] is True  # public
    with pytest.raises(AuthenticationError):
        client.accounts()


def test_the_local_portal_is_keyed_by_its_own_id(local_client, portal):
    info = local_client.portal_info()
    assert info["id"] == portal.portal_id and info["demo"] is True
    assert local_client.portal_key == f"local:{portal.portal_id}"


def test_a_local_client_logs_its_requests(portal):
    lines: list[str] = []
    with Client.in_process(portal.app, portal.portal_id, log=lines.append) as client:
        client.portal_info()
    assert lines and lines[0].startswith("GET http://gkh.local/api/v1/portal → 200")
