from __future__ import annotations

import sqlite3

import pytest

from gkh.domain.address import QUERY_MAX_CHARS, address_tokens, matches, query_needles, search_key, word_needles
from gkh.domain.errors import InvalidInput

LENINA_5 = "г. Москва, ул. Ленина, д. 5"
LENINA_15 = "г. Москва, ул. Ленина, д. 15"
LENINA_5A = "г. Москва, ул. Ленина, д. 5а"
LENINA_5_2 = "г. Москва, ул. Ленина, д. 5/2"
MIRA_12_K2 = "г. Москва, пр-т Мира, д. 12, корп. 2"
MIRA_12_K1 = "г. Москва, пр-т Мира, д. 12, корп. 1"
MALYSHEVA = "г. Екатеринбург, ул. Малышева, д. 51, стр. 1"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        (LENINA_5, " москва ленина 5 "),
        (LENINA_15, " москва ленина 15 "),
        (LENINA_5A, " москва ленина 5а "),
        (LENINA_5_2, " москва ленина 5/2 "),
        (MIRA_12_K2, " москва мира 12 к2 "),
        (MALYSHEVA, " екатеринбург малышева 51 с1 "),
        ("г. Москва, ул. 1-я Тверская-Ямская, д. 7", " москва 1я тверская ямская 7 "),
        ("г. Санкт-Петербург, наб. реки Фонтанки, д. 10 лит. А", " санкт петербург реки фонтанки 10 лит а "),
        ("Свердловская обл., г. Екатеринбург, ул. 8 Марта, д. 5", " свердловская екатеринбург 8 марта 5 "),
        ("г. Москва, Ленинский проспект, дом 5, строение 2", " москва ленинский 5 с2 "),
        ("д. Ивановка, ул. Садовая, 3", " ивановка садовая 3 "),
        ("г. Москва, б-р Яна Райниса, д. 4, корпус 1", " москва яна райниса 4 к1 "),
        ("г. Москва, Фёдоровский пер., д. 9", " москва федоровский 9 "),
    ],
)
def test_search_key(address: str, key: str) -> None:
    assert search_key(address) == key


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("ленина 5", ["ленина", "5"]),
        ("ул. Ленина, д. 5", ["ленина", "5"]),
        ("Ленина д5", ["ленина", "5"]),
        ("Ленина д.5", ["ленина", "5"]),
        ("ул.Ленина,д.5", ["ленина", "5"]),
        ("ЛЕНИНА, 5", ["ленина", "5"]),
        ("Лёнина", ["ленина"]),
        ("ленина5", ["ленина", "5"]),
        ("ленина № 5", ["ленина", "5"]),
        ('ул. "Ленина" 5', ["ленина", "5"]),
        ("ленина 05", ["ленина", "5"]),
        # house letters
        ("5а", ["5а"]),
        ("5 а", ["5а"]),
        ("5А", ["5а"]),
        ("5-а", ["5а"]),
        ("5A", ["5а"]),  # Latin A
        ("д. 5а.", ["5а"]),
        ("5, а", ["5", "а"]),  # after a comma it is not a house letter
        ("5 г. москва", ["5", "москва"]),  # "г." is a town, not a house letter
        # slashed house numbers stay one token
        ("5/2", ["5/2"]),
        ("д. 5 / 2", ["5/2"]),
        ("д5/2а", ["5/2а"]),
        ("ленина/мира", ["ленина", "мира"]),
        # корпус
        ("пр-т Мира 12 к2", ["мира", "12", "к2"]),
        ("мира 12 к. 2", ["мира", "12", "к2"]),
        ("мира 12 корп. 2", ["мира", "12", "к2"]),
        ("мира 12 корпус 2", ["мира", "12", "к2"]),
        ("мира 12к2", ["мира", "12", "к2"]),
        ("мира 12 k2", ["мира", "12", "к2"]),  # Latin k
        ("мира 12 к 2а", ["мира", "12", "к2а"]),
        # строение
        ("малышева 51 стр. 1", ["малышева", "51", "с1"]),
        ("малышева 51 строение 1", ["малышева", "51", "с1"]),
        ("малышева 51 с1", ["малышева", "51", "с1"]),
        ("малышева 51 стр1", ["малышева", "51", "с1"]),
        ("малышева 51с1", ["малышева", "51", "с1"]),
        ("д. 5, корп. 2, стр. 1", ["5", "к2", "с1"]),
        # type words and abbreviations disappear
        ("проспект Мира", ["мира"]),
        ("просп. Мира", ["мира"]),
        ("пр. Мира", ["мира"]),
        ("Мира пр-кт", ["мира"]),
        ("пер. Сивцев Вражек", ["сивцев", "вражек"]),
        ("Рублёвское ш.", ["рублевское"]),
        ("шоссе Энтузиастов", ["энтузиастов"]),
        ("Гоголевский б-р", ["гоголевский"]),
        ("Гоголевский бульвар", ["гоголевский"]),
        ("наб. Фонтанки", ["фонтанки"]),
        ("Красная пл.", ["красная"]),
        ("мкр. Солнечный", ["солнечный"]),
        ("город Москва", ["москва"]),
        ("с. Покровское", ["покровское"]),  # "с." before a word is a village
        ("ул. д. к. стр.", []),
        # корпус as people abbreviate it
        ("мира 12 кор.2", ["мира", "12", "к2"]),
        ("мира 12 кор 2", ["мира", "12", "к2"]),
        ("мира 12 к-2", ["мира", "12", "к2"]),
        ("мира 12к-2", ["мира", "12", "к2"]),
        ("мира 12 корп.2", ["мира", "12", "к2"]),
        # a flat or an office is no part of a house's address
        ("Ленина 5, кв. 12", ["ленина", "5"]),
        ("ленина 5 кв12а", ["ленина", "5"]),
        ("ленина 5, квартира 12/1", ["ленина", "5"]),
        ("ленина 5, оф. 3", ["ленина", "5"]),
        ("ленина 5, офис 301, пом. 2", ["ленина", "5"]),
        ("ленина 5 кв.", ["ленина", "5"]),
        # nor a postal index
        ("ленина 5 москва 123456", ["ленина", "5", "москва"]),
        ("123456, г. Москва, ул. Ленина, д. 5", ["москва", "ленина", "5"]),
        ("620014 екатеринбург малышева 51", ["екатеринбург", "малышева", "51"]),
        ("ленина д. 123456", ["ленина", "123456"]),  # after "д." it is a house number, however unlikely
        ("ленина 12345", ["ленина", "12345"]),  # five digits: a house number
        # Latin look-alikes in a Cyrillic word, or a word of look-alikes alone, read as Cyrillic
        ("Лeнина 5", ["ленина", "5"]),  # a Latin e
        ("ЛEНИНA 5", ["ленина", "5"]),
        ("CAXAPOBA 5", ["сахарова", "5"]),
        ("Lenina 5", ["lenina", "5"]),  # a Latin word of its own is left alone
        ("мира 12 K2", ["мира", "12", "к2"]),
    ],
)
def test_address_tokens(text: str, tokens: list[str]) -> None:
    assert address_tokens(text) == tokens


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        ("ленина 5", [" ленина", " 5 "]),
        ("ленин", [" ленин"]),
        ("пр-т Мира 12 к2", [" мира", " 12 ", " к2 "]),
        ("5а", [" 5а "]),
        ("5/2", [" 5/2 "]),
        ("стр 1", [" с1 "]),
        ("1-я тверская", [" 1я ", " тверская"]),
        ("ленина ленина 5", [" ленина", " 5 "]),  # duplicates dropped
    ],
)
def test_query_needles(query: str, needles: list[str]) -> None:
    assert query_needles(query) == needles


@pytest.mark.parametrize("query", ["", "   ", "ул.", "ул. д.", ",.;", "г. пр-т корп."])
def test_query_needles_needs_a_token(query: str) -> None:
    with pytest.raises(InvalidInput) as info:
        query_needles(query)
    assert info.value.field == "q"
    assert len(info.value.message.splitlines()) == 1


def test_query_too_long() -> None:
    with pytest.raises(InvalidInput) as info:
        query_needles("ленина " * (QUERY_MAX_CHARS // 7 + 1))
    assert info.value.field == "q"


LENINA_QUERIES = [
    "ленина 5",
    "ул. Ленина, д. 5",
    "Ленина д5",
    "ЛЕНИНА 5",
    "ленина, 5",
    "Лёнина 5",
    "москва ленина 5",
    "ленин 5",
]


@pytest.mark.parametrize("query", LENINA_QUERIES)
def test_lenina_queries_match_only_house_5(query: str) -> None:
    needles = query_needles(query)
    assert matches(search_key(LENINA_5), needles)
    assert not matches(search_key(LENINA_15), needles)
    # A house number matches exactly: "5" is neither "5а" nor "5/2".
    assert not matches(search_key(LENINA_5A), needles)
    assert not matches(search_key(LENINA_5_2), needles)
    assert not matches(search_key("г. Москва, ул. Мира, д. 5"), needles)


def test_house_letter_and_slash_are_found_when_typed() -> None:
    assert matches(search_key(LENINA_5A), query_needles("ленина 5а"))
    assert matches(search_key(LENINA_5A), query_needles("Ленина д. 5 А"))
    assert not matches(search_key(LENINA_5), query_needles("ленина 5а"))
    assert matches(search_key(LENINA_5_2), query_needles("ленина 5/2"))
    assert not matches(search_key(LENINA_5), query_needles("ленина 5/2"))


@pytest.mark.parametrize(
    "query", ["пр-т Мира 12 к2", "мира 12 корп 2", "Мира, д. 12, корп. 2", "проспект мира 12к2"]
)
def test_korpus_query(query: str) -> None:
    needles = query_needles(query)
    assert matches(search_key(MIRA_12_K2), needles)
    assert not matches(search_key(MIRA_12_K1), needles)


def test_house_without_korpus_matches_every_korpus() -> None:
    needles = query_needles("мира 12")
    assert matches(search_key(MIRA_12_K1), needles)
    assert matches(search_key(MIRA_12_K2), needles)


@pytest.mark.parametrize("query", ["малышева 51", "Малышева 51 стр. 1", "екатеринбург малышева 51 с1"])
def test_stroenie_query(query: str) -> None:
    assert matches(search_key(MALYSHEVA), query_needles(query))


def test_town_must_match_when_given() -> None:
    assert not matches(search_key(MALYSHEVA), query_needles("москва малышева 51"))


def test_word_is_a_prefix_of_a_word_not_an_infix() -> None:
    key = search_key(LENINA_5)
    assert matches(key, query_needles("лен 5"))
    assert not matches(key, query_needles("енина 5"))


def test_sql_instr_agrees_with_matches() -> None:
    # The server filters with instr(); SQLite compares bytes, so both sides must be normalised alike.
    addresses = [LENINA_5, LENINA_15, LENINA_5A, LENINA_5_2, MIRA_12_K1, MIRA_12_K2, MALYSHEVA]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE house (address TEXT, search_key TEXT)")
    db.executemany("INSERT INTO house VALUES (?, ?)", [(a, search_key(a)) for a in addresses])
    for query in [*LENINA_QUERIES, "мира 12", "мира 12 к2", "малышева", "москва", "5а"]:
        needles = query_needles(query)
        where = " AND ".join(["instr(search_key, ?) > 0"] * len(needles))
        found = {row[0] for row in db.execute(f"SELECT address FROM house WHERE {where}", needles)}
        assert found == {a for a in addresses if matches(search_key(a), needles)}, query


@pytest.mark.parametrize(
    ("query", "address"),
    [
        ("Ленина 5, кв. 12", LENINA_5),
        ("ленина 5 москва 123456", LENINA_5),
        ("Лeнина 5", LENINA_5),
        ("мира 12 кор.2", MIRA_12_K2),
        ("мира 12 к-2", MIRA_12_K2),
    ],
)
def test_addresses_as_people_write_them_find_the_house(query: str, address: str) -> None:
    needles = query_needles(query)
    assert matches(search_key(address), needles)
    assert not matches(search_key(LENINA_15), needles) and not matches(search_key(MIRA_12_K1), needles)


def test_word_needles_are_the_streets_and_towns_of_a_query() -> None:
    assert word_needles(query_needles("москва, ул. Ленина, д. 5а, корп. 2, стр. 1")) == [" москва", " ленина"]
    assert word_needles(query_needles("5/2 к2")) == []
