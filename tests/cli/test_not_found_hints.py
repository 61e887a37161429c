"""What to try when a meter or a house is not found: the command line's hint after the portal's 404, and the
look-alike spellings that find them in the first place (the embedded portal)."""

from __future__ import annotations

import sqlite3

import pytest

from gkh.client.errors import NotFound
from gkh.errors import ExitCode, describe_error
from gkh.server.demo import H1_GUID
from tests.helpers.cli import gkh, gkh_json
from tests.helpers.demo import COLD

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite


def cold_serial(home) -> str:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return conn.execute("SELECT serial FROM meters WHERE id = ?", (COLD,)).fetchone()[0]


@pytest.mark.parametrize("typed", ["М-000023", "m-000023"])  # a Cyrillic М; lower case
def test_meter_history_by_an_id_typed_with_a_look_alike(home, typed):
    assert gkh_json("meter", "history", typed) == gkh_json("meter", "history", COLD)


def test_meter_history_by_a_serial_in_lower_case_or_latin(home):
    serial = cold_serial(home)
    for typed in (serial.lower(), serial.translate(str.maketrans("ХВ", "XB"))):
        assert gkh_json("meter", "history", typed) == gkh_json("meter", "history", COLD)


def test_a_meter_not_found_says_where_to_look(home):
    result = gkh("meter", "history", "М-999999")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == "gkh: no meter М-999999 among yours (run: gkh --profile local meter list)"


def test_house_show_suggests_the_nearest_house(home):
    result = gkh("house", "show", "москва ленина 7")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ('gkh: no house matches "москва ленина 7"'
                                              " (did you mean: г. Москва, ул. Ленина, д. 5)")


def test_house_show_of_an_unknown_guid_says_how_to_find_one(home):
    result = gkh("house", "show", H1_GUID.replace("8", "9"))
    assert result.exit_code == 1
    assert result.stderr.endswith('(find the house: gkh --profile local address search "<street> <number>")\n')


def not_found(code: str, details=None) -> NotFound:
    return NotFound(f"no such thing ({code})", status=404, code=code, details=details)


def test_at_most_five_suggestions_each_on_the_one_line():
    houses = [{"address": f"г. Москва,\n ул. Ленина, д. {n}"} for n in range(1, 8)]
    line, code = describe_error(not_found("house_not_found", {"suggestions": houses}))
    assert code == ExitCode.ERROR and "\n" not in line
    assert line.endswith("(did you mean: г. Москва, ул. Ленина, д. 1; г. Москва, ул. Ленина, д. 2;"
                         " г. Москва, ул. Ленина, д. 3; г. Москва, ул. Ленина, д. 4; г. Москва, ул. Ленина, д. 5)")


@pytest.mark.parametrize("details", [None, {"suggestions": "x"}, {"suggestions": [1, {"guid": "g"}]}, ["x"]])
def test_odd_details_from_a_portal_still_give_a_hint(details):
    line, code = describe_error(not_found("house_not_found", details))
    assert code == ExitCode.ERROR and "find the house: gkh address search" in line


def test_other_404s_have_no_hint():
    assert describe_error(not_found("account_not_found")) == ("no such thing (account_not_found)", ExitCode.ERROR)
