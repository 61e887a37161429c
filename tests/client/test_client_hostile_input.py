"""What the client refuses before sending anything: URLs requests or urllib3 would choke on, undecodable
arguments, empty path segments; and an embedded portal whose data cannot be used (exit 6, one line)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from gkh.client.api import Client, RetryPolicy, normalise_base_url, open_local_portal
from gkh.client.errors import InvalidRequest, PortalUnusable
from gkh.errors import ExitCode, describe_error

BASE = "https://portal.example.ru"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


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


def test_a_corrupt_store_is_unusable_naming_the_folder(tmp_path):
    (tmp_path / "portal.sqlite3").write_bytes(b"garbage " * 1000)
    with pytest.raises(PortalUnusable) as caught:
        Client.for_local(tmp_path, NOW)
    assert caught.value.message == f"the local portal's data at {tmp_path} cannot be used: file is not a database"
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    assert describe_error(caught.value) == (
        f"{caught.value.message} (check GKH_HOME, or restore the folder from a backup)", ExitCode.UNREACHABLE)


@pytest.mark.parametrize(
    ("layout", "reason"),
    [("home is a file", "{home} is not a folder"),
     ("home is under a file", "{parent} is not a folder"),
     ("the database is a folder", "portal.sqlite3 is not a file")],
)
def test_a_store_that_is_not_a_folder_of_files_is_unusable(tmp_path, layout, reason):
    home = tmp_path / "home"
    if layout == "home is a file":
        home.write_text("x")
    elif layout == "home is under a file":
        tmp_path.joinpath("file").write_text("x")
        home = tmp_path / "file" / "gkh"
    else:
        (home / "portal.sqlite3").mkdir(parents=True)
    with pytest.raises(PortalUnusable) as caught:
        open_local_portal(home, NOW)
    expected = reason.format(home=home, parent=home.parent)
    assert caught.value.message == f"the local portal's data at {home} cannot be used: {expected}"
