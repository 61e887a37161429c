"""A meter named over HTTP as people type it: the portal id with a Cyrillic М or in lower case, the serial
number in lower case or in Latin look-alike letters (both engines)."""

from __future__ import annotations

import pytest

from tests.helpers.api import assert_error
from tests.helpers.demo import COLD
from tests.helpers.rows import db

LATIN = str.maketrans("АВЕКМНОРСТХУ", "ABEKMHOPCTXY")


def cold_serial(home) -> str:
    with db(home) as conn:
        return conn.execute("SELECT serial FROM meters WHERE id = ?", (COLD,)).fetchone()[0]


@pytest.mark.parametrize("typed", ["М-000023", "м-000023", "m-000023"])  # the first two with a Cyrillic М
def test_the_meter_id_in_either_script_or_case(ivanov, typed):
    assert ivanov.get(f"/meters/{typed}").json()["id"] == COLD
    history = ivanov.get(f"/meters/{typed}/readings")
    assert history.status_code == 200 and history.json() == ivanov.get(f"/meters/{COLD}/readings").json()


def test_the_serial_in_lower_case_or_latin_letters(ivanov, home):
    serial = cold_serial(home)
    for typed in (serial.lower(), serial.translate(LATIN), serial.translate(LATIN).lower()):
        resp = ivanov.get(f"/meters/{typed}")
        assert resp.status_code == 200, (typed, resp.text)
        assert resp.json()["id"] == COLD and resp.json()["serial"] == serial


def test_a_meter_that_is_not_among_mine_is_named_as_typed(ivanov):
    error = assert_error(ivanov.get("/meters/М-999999"), 404, "meter_not_found")
    assert error["message"] == "no meter М-999999 among yours"
