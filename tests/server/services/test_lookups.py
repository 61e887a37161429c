"""Finding things as people type them, without HTTP: meters by a portal id or serial number in any case and
with Latin/Cyrillic look-alikes, houses by addresses with a flat, an index or a look-alike letter, and the
nearest houses when an address search finds none. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from gkh.domain.address import query_needles, search_key
from gkh.domain.identifiers import serial_key
from gkh.server.demo import H1_GUID, H2_GUID, H3_GUID, H4_GUID, H5_GUID
from gkh.server.http import ApiError
from gkh.server.services import addresses, meters
from tests.helpers.demo import COLD, HOT, SEED_NOW

# -- meters ----------------------------------------------------------------------------------------------


def serial_of(store, meter: str) -> str:
    with store.read() as conn:
        return conn.execute("SELECT serial FROM meters WHERE id = ?", (meter,)).fetchone()[0]


LATIN = str.maketrans("АВЕКМНОРСТХУ", "ABEKMHOPCTXY")


@pytest.mark.parametrize("typed", ["М-000023", "м-000023", "m-000023", " M\u2013000023 "])  # Cyrillic М, an en dash
def test_a_meter_by_its_id_in_either_script_or_case(store, user, typed):
    assert meters.get_meter(store, user("ivanov"), typed, SEED_NOW)["id"] == COLD


@pytest.mark.parametrize("spelling", [str.lower, lambda s: s.translate(LATIN), lambda s: s.translate(LATIN).lower(),
                                      lambda s: f" {s.replace('-', chr(0x2013))} "])
def test_a_meter_by_its_serial_in_lower_case_latin_look_alikes_or_with_dashes(store, user, spelling):
    serial = serial_of(store, COLD)
    assert serial.startswith("ХВ-")  # Cyrillic Х and В, both with Latin twins
    typed = spelling(serial)
    assert typed != serial
    assert meters.get_meter(store, user("ivanov"), typed, SEED_NOW)["id"] == COLD
    history = meters.reading_history(store, user("ivanov"), typed, 2, SEED_NOW)
    assert history and history == meters.reading_history(store, user("ivanov"), COLD, 2, SEED_NOW)


def test_a_look_alike_of_someone_elses_meter_is_still_not_found(store, user):
    serial = serial_of(store, COLD)
    for typed in ("m-000023", serial.lower()):
        with pytest.raises(ApiError) as hidden:
            meters.get_meter(store, user("petrova"), typed, SEED_NOW)
        assert (hidden.value.error_code, hidden.value.description) == ("meter_not_found",
                                                                       f"no meter {typed} among yours")


def test_serials_that_fold_alike_on_one_account_must_be_told_apart_by_id(store, user):
    cold = serial_of(store, COLD)
    with store.write() as tx:  # another meter of the account whose serial differs from COLD's only in case
        tx.execute("UPDATE meters SET serial = ?, serial_key = ? WHERE id = ?", (cold.lower(), serial_key(cold), HOT))
    with pytest.raises(ApiError) as several:
        meters.get_meter(store, user("ivanov"), cold, SEED_NOW)
    assert several.value.status_code == 400 and several.value.field == "meter"
    assert f"({COLD}, {HOT})" in several.value.description


def test_every_stored_serial_key_is_its_serial_folded(store):
    with store.read() as conn:
        rows = conn.execute("SELECT serial, serial_key FROM meters").fetchall()
    assert rows and all(row["serial_key"] == serial_key(row["serial"]) for row in rows)


def test_every_stored_search_key_is_its_address_keyed_as_now(store):
    # The demo's houses were keyed when they were seeded; a change of the key's rules must key them again.
    with store.read() as conn:
        rows = conn.execute("SELECT address, search_key FROM houses").fetchall()
    assert rows and all(row["search_key"] == search_key(row["address"]) for row in rows)


def test_a_serial_is_looked_up_through_its_index(store):
    sql = "SELECT id FROM meters m WHERE m.serial_key = ?"
    with store.read() as conn:
        if store.dialect.name == "postgres":
            conn.execute("SET LOCAL enable_seqscan = off")  # a table this small may be scanned otherwise
            plan = conn.execute("EXPLAIN " + sql, ("ХВ-21-115444",)).fetchall()
        else:
            plan = conn.execute("EXPLAIN QUERY PLAN " + sql, ("ХВ-21-115444",)).fetchall()
    assert "meters_serial_key" in " ".join(str(tuple(row)) for row in plan)


# -- addresses -------------------------------------------------------------------------------------------


def search(store, query: str, limit: int = 10) -> list[str]:
    return [h["guid"] for h in addresses.search_houses(store, query_needles(query), limit, ["", ""],
                                                       query=query).items]


@pytest.mark.parametrize(("query", "guids"), [
    ("Ленина 5, кв. 12", [H1_GUID]),
    ("ленина 5 москва 123456", [H1_GUID]),
    ("620014, Екатеринбург, Малышева 51, оф. 3", [H4_GUID]),
    ("Лeнина 5", [H1_GUID]),  # a Latin e
    ("ЛEHИHA 5", [H1_GUID]),  # Latin E and H
    ("мира 12 кор.2", [H3_GUID]),
    ("мира 12 к-1", [H2_GUID]),
])
def test_addresses_as_people_write_them(store, query, guids):
    assert search(store, query) == guids


def not_found(store, query: str) -> ApiError:
    with pytest.raises(ApiError) as error:
        addresses.search_houses(store, query_needles(query), 10, ["", ""], query=query)
    assert (error.value.status_code, error.value.error_code) == (404, "house_not_found")
    assert error.value.description == f'no house matches "{query.strip()}"'
    return error.value


def suggested(store, query: str) -> list[str]:
    return [h["guid"] for h in not_found(store, query).details["suggestions"]]


def test_no_match_suggests_the_houses_of_the_same_street(store):
    assert suggested(store, "ленина 7") == [H5_GUID, H1_GUID]  # by address: г. Екатеринбург, then г. Москва
    assert suggested(store, "мира 12 к3") == [H2_GUID, H3_GUID]
    assert suggested(store, "пр-т Мира, д. 14") == [H2_GUID, H3_GUID]


def test_the_houses_sharing_the_most_words_are_the_nearest(store):
    assert suggested(store, "москва ленина 7") == [H1_GUID]  # both words
    assert suggested(store, "екатеринбург ленина 7") == [H5_GUID]
    assert suggested(store, "екатеринбург 99") == [H5_GUID, H4_GUID]  # the town alone, by address


def test_a_mistyped_word_still_finds_its_street_by_its_first_letters(store):
    assert suggested(store, "малышевв 51") == [H4_GUID]
    assert suggested(store, "москва ленна 5") == [H1_GUID]  # москва in full, ленна by "лен"


def test_a_suggestion_is_a_house_as_a_search_lists_it(store):
    (house,) = not_found(store, "москва ленина 7").details["suggestions"]
    assert house == {"guid": H1_GUID, "address": "г. Москва, ул. Ленина, д. 5", "town": "Москва",
                     "oktmo": "45376000", "timezone": "Europe/Moscow"}


@pytest.mark.parametrize("query", ["несуществующая 99", "99", "12 к7"])
def test_no_shared_word_no_suggestion(store, query):
    assert suggested(store, query) == []


def test_only_a_first_page_that_finds_nothing_is_404(store):
    needles = query_needles("ленина")
    past_the_last = addresses.search_houses(store, needles, 10, ["я", ""], query="ленина")
    assert past_the_last.items == [] and past_the_last.resume_after is None


def test_suggestions_are_few(store):
    assert len(suggested(store, "москва 99")) == 4  # the Moscow houses: H1, H2, H3, and the new build (schema v11)
    assert addresses.SUGGESTIONS_MAX == 5
