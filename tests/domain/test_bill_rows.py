"""A bills file's row (a line of a bill, as 1C exports it) checked by the domain: Russian service words and units,
decimal commas, the defaults (unit, amount, zone, due date) and the refusals, each naming its line and field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gkh.domain.batch import RowProblem, map_header
from gkh.domain.bills import BILL_FIELDS, default_due_date, ipd, line_amount, parse_bill_row


def row(**cells: str) -> dict[str, str]:
    base = {"account": "77ЕЖ532838", "period": "2026-11", "service": "maintenance", "volume": "54.3",
            "tariff": "32.50"}
    return {**base, **cells}


def refusal(line: int = 4, **cells: str) -> RowProblem:
    with pytest.raises(RowProblem) as caught:
        parse_bill_row(line, row(**cells))
    return caught.value


def test_the_ipd_is_the_izhku_and_the_period_as_yymm():
    assert ipd("77ЕЖ532838-01", "2026-11") == "77ЕЖ532838-01-2611"
    assert ipd("77ЕЖ532838-01", "2027-01") == "77ЕЖ532838-01-2701"


def test_a_russian_1c_header_maps_to_the_fields():
    header = ["Лицевой счёт", "Расчетный период", "Вид услуги", "Тарифная зона", "Объём", "Ед. изм.", "Тариф",
              "Начислено", "Срок оплаты"]
    assert map_header(header, BILL_FIELDS) == {f.name: i for i, f in enumerate(BILL_FIELDS)}
    assert map_header(["ЕЛС", "месяц", "услуга", "количество", "цена"], BILL_FIELDS)["account"] == 0


def test_the_defaults_unit_amount_and_due_date():
    parsed = parse_bill_row(2, row())
    assert (parsed.els, parsed.number, parsed.period, parsed.service, parsed.zone) == (
        "77ЕЖ532838", None, "2026-11", "maintenance", None)
    assert (parsed.volume, parsed.unit, parsed.tariff_kopecks, parsed.amount_kopecks) == ("54.3", "m2", 3250, 176475)
    assert parsed.due_date is None
    assert default_due_date("2026-11") == date(2026, 12, 10)
    assert default_due_date("2026-12") == date(2027, 1, 10)


@pytest.mark.parametrize(("service", "unit", "expected"), [
    ("Содержание и ремонт", "м²", ("maintenance", "m2")),
    ("содержание жилого помещения", "кв.м", ("maintenance", "m2")),
    ("ХВС", "м3", ("cold_water", "m3")),
    ("Горячее водоснабжение", "куб.м", ("hot_water", "m3")),
    ("водоотведение", "м³", ("sewerage", "m3")),
    ("Отопление", "Гкал", ("heating", "Gcal")),
    ("Электроэнергия", "кВт·ч", ("electricity", "kWh")),
    ("электроснабжение", "квт*ч", ("electricity", "kWh")),
    ("hot_water", "", ("hot_water", "m3")),
])
def test_russian_service_words_and_units(service, unit, expected):
    parsed = parse_bill_row(2, row(service=service, unit=unit))
    assert (parsed.service, parsed.unit) == expected


def test_decimal_commas_and_a_given_amount_and_due_date_in_russian_form():
    parsed = parse_bill_row(2, row(account="87892735", period="11.2026", service="ГВС", volume="3,125",
                                   tariff="301,53", amount="900,00", due_date="15.12.2026"))
    assert (parsed.number, parsed.els, parsed.account) == ("87892735", None, "87892735")
    assert (parsed.period, parsed.volume, parsed.tariff_kopecks, parsed.amount_kopecks) == (
        "2026-11", "3.125", 30153, 90000)
    assert parsed.due_date == date(2026, 12, 15)


def test_the_default_amount_rounds_half_up_to_kopecks():
    assert parse_bill_row(2, row(service="хвс", volume="0,5", tariff="0.01")).amount_kopecks == 1  # 0.5 kopeck
    assert parse_bill_row(2, row(volume="1,0000001")).amount_kopecks == line_amount(Decimal("1.0000001"), 3250)
    assert line_amount(Decimal("1.0000001"), 3250) == 3250


def test_electricity_zones():
    assert parse_bill_row(2, row(service="electricity", volume="120")).zone == "T1"
    assert parse_bill_row(2, row(service="электроэнергия", zone="т2", volume="80")).zone == "T2"
    problem = refusal(service="electricity", zone="T4")
    assert (problem.line, problem.field) == (4, "zone")
    problem = refusal(service="maintenance", zone="T1")
    assert problem.field == "zone" and "only electricity" in problem.message


@pytest.mark.parametrize(("cells", "field", "says"), [
    ({"account": ""}, "account", "line 4: account: empty"),
    ({"period": "2026-13"}, "period", "line 4: period: "),
    ({"period": "ноябрь"}, "period", "line 4: period: "),
    ({"service": "газ"}, "service", "line 4: service: must be one of maintenance, cold_water"),
    ({"volume": "-1"}, "volume", "line 4: volume: must be a quantity of 0 or more"),
    ({"volume": "1,12345678"}, "volume", "at most 7 decimals"),
    ({"volume": "1e3"}, "volume", "line 4: volume: "),
    ({"volume": "много"}, "volume", "line 4: volume: "),
    ({"unit": "м3"}, "unit", "line 4: unit: maintenance is billed in m2; got 'м3'"),
    ({"unit": "литр"}, "unit", "line 4: unit: must be one of m2, m3, Gcal, kWh"),
    ({"tariff": "32,505"}, "tariff", "line 4: tariff: "),
    ({"tariff": "-1"}, "tariff", "line 4: tariff: "),
    ({"tariff": ""}, "tariff", "line 4: tariff: empty"),
    ({"amount": "12.345"}, "amount", "line 4: amount: "),
    ({"amount": "-5"}, "amount", "line 4: amount: "),
    ({"due_date": "31.10.2026"}, "due_date", "line 4: due_date: 2026-10-31 is before the period 2026-11 begins"),
    ({"due_date": "завтра"}, "due_date", "line 4: due_date: "),
])
def test_refusals_name_the_line_and_the_field(cells, field, says):
    problem = refusal(**cells)
    assert (problem.line, problem.field) == (4, field)
    assert says in problem.message
