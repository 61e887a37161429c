"""What the client refuses before sending anything: URLs requests or urllib3 would choke on, undecodable
arguments, empty path segments; and an embedded portal whose data cannot be used (exit 6, one line)."""

from __future__ import annotations

import pytest

from gkh.client.api import Client, RetryPolicy, normalise_base_url
from gkh.client.errors import InvalidRequest
from gkh.errors import ExitCode, describe_error

BASE = "https://portal.example.ru"


@pytest.mark.parametrize(
    "url",
    ["http://%00", "http://%41", "http://a\x01b", "http://a\x1b]0;x\x07", "http://\u202eur.ltrop", "http://a..b",
     "http://" + "a" * 64 + ".ru", "http://a b", "http://\udcff", "http://[::1", "http://[zz]", "http://a:99999",
     "https://portal.example.ru/" + "p" * 2048, "ftp://portal.example.ru", "http://"],
)
def test_urls_that_would_fail_later_are_refused_at_once_naming_the_url(url):
    with pytest.raises(InvalidRequest) as caught:
        normalise_base_url(url)
    assert caught.value.field == "url" and caught.value.code == "invalid_url"
    assert len(caught.value.message) < 200  # a 120 KB URL is not echoed whole
    assert describe_error(caught.value)[1] == ExitCode.USAGE


@pytest.mark.parametrize(
    ("url", "called"),
    [("https://Portal.Example.RU/api/v1/", "https://portal.example.ru"),
     ("http://портал.рф:8080/gkh", "http://портал.рф:8080/gkh"),
     ("http://[::1]:8080", "http://[::1]:8080"),
     ("http://127.0.0.1:80", "http://127.0.0.1"),
     ("http://gkh_portal.internal.", "http://gkh_portal.internal.")],
)
def test_real_urls_still_pass(url, called):
    assert normalise_base_url(url)[0] == called


@pytest.fixture
def client() -> Client:
    return Client(BASE, token="t", retry=RetryPolicy(attempts=1))


@pytest.mark.parametrize(
    ("call", "field"),
    [pytest.param(lambda c: c.meter("\udcff"), "meter", id="surrogate-meter"),
     pytest.param(lambda c: c.house("83804ac7\udcff"), "house", id="surrogate-house"),
     pytest.param(lambda c: c.account(" "), "account", id="blank-account"),
     pytest.param(lambda c: c.meter_history(""), "meter", id="empty-meter"),
     pytest.param(lambda c: c.unlink_account(""), "account", id="empty-unlink"),
     pytest.param(lambda c: c.search_addresses("ленина\udcff"), "q", id="surrogate-query"),
     pytest.param(lambda c: c.sign_in("ivanov\udcff", "pw"), "login", id="surrogate-body"),
     pytest.param(lambda c: c.submit_reading("M-000023", ["1\udcff"]), "values", id="surrogate-in-a-list")],
)
def test_undecodable_or_empty_arguments_are_refused_before_any_request(stub, client, call, field):
    with pytest.raises(InvalidRequest) as caught:
        call(client)
    assert caught.value.field == field
    assert len(stub.calls) == 0  # the portal was never asked
