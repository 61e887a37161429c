"""A noun's columns: machine columns fixed whatever the data, a table for people that fits the terminal
(chosen columns, long text cut with …, addresses cut at their start), --wide for all of them uncut, one
record read down, and nested lists never as JSON for people."""

from __future__ import annotations

import io

import pytest

from gkh.output import Column, Columns, render

METERS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("resource", "Resource", shown=True),
    Column("house.address", "Address", shown=True, kind="address"),
    Column("organisation", "Organisation"),
    Column("values.T1", "T1", shown=True, kind="number"),
    Column("values.T2", "T2", shown=True, kind="number"),
    Column("values.T3", "T3", shown=True, kind="number"),
)
WATER = {"id": "M-000023", "resource": "cold_water", "house": {"address": "г. Москва, ул. Ленина, д. 5"},
         "organisation": "ООО «Управляющая компания Ленинский квартал»", "values": {"T1": "2671.947"}}
POWER = {"id": "M-000452", "resource": "electricity", "house": {"address": "г. Москва, пр-т Мира, д. 12, к. 2"},
         "organisation": "АО «СтоличЭнергоСбыт»", "values": {"T1": "2706.9", "T2": "3552.5", "T3": "2479.3"}}


def rendered(data, **kwargs) -> str:
    out = io.StringIO()
    render(data, stream=out, err=io.StringIO(), **kwargs)
    return out.getvalue()


# --- the machine columns -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "tsv", None])
@pytest.mark.parametrize("rows", [[WATER], [POWER], [WATER, POWER], [POWER, WATER]],
                         ids=["water", "power", "water-first", "power-first"])
def test_the_machine_columns_are_the_same_whichever_rows_come_first(pipe, fmt, rows):
    """The zones a first row lacks are no longer appended at the end: T1 T2 T3 are always there, in place."""
    lines = rendered(rows, fmt=fmt, columns=METERS, header=True).splitlines()
    separator = "," if fmt == "csv" else "\t"
    assert lines[0].split(separator) == ["id", "resource", "house.address", "organisation", "values.T1",
                                         "values.T2", "values.T3"]
    assert {line.count(separator) for line in lines} == {6} or fmt == "csv"  # csv quotes the address's commas
    for water in (line for line in lines if line.startswith("M-000023")):
        assert water.endswith(f"2671.947{separator}{separator}")


def test_a_field_the_noun_does_not_declare_is_not_written(pipe):
    row = {**WATER, "new_field": "x"}
    assert "new_field" not in rendered([row], fmt="csv", columns=METERS)


@pytest.mark.parametrize(("fmt", "header", "first"), [
    (None, False, "M-000023"),  # off a terminal without -o: rows only, for cut and awk
    (None, True, "id"),  # --header
    ("tsv", False, "id"),  # -o tsv has its header, as csv does
    ("tsv", True, "id"),
])
def test_header_adds_the_header_row_to_tab_separated_output(pipe, fmt, header, first):
    assert rendered([WATER], fmt=fmt, header=header, columns=METERS).split("\t")[0] == first


def test_an_empty_list_with_a_header_is_the_header_alone(pipe):
    assert rendered([], header=True, columns=Columns.named(["id", "serial"])) == "id\tserial\n"
    assert rendered([], columns=Columns.named(["id", "serial"])) == ""


def test_columns_refuse_a_name_twice_and_nest_under_a_key():
    with pytest.raises(ValueError, match="named twice"):
        Columns(Column("id", "ID"), Column("id", "Id"))
    nested = Columns(Column("status", "Status"), Columns(Column("els", "ELS", shown=True)).under("account"))
    assert nested.names == ["status", "account.els"]
    assert [c.header for c in nested] == ["Status", "ELS"] and list(nested)[1].shown


# --- the table for people ---------------------------------------------------------------------------------------


def test_a_table_shows_the_chosen_columns_with_their_headers_and_leaves_out_empty_ones(terminal):
    assert rendered([WATER], columns=METERS, width=200) == (
        "ID        Resource    Address                            T1\n"
        "--------  ----------  ---------------------------  --------\n"
        "M-000023  cold_water  г. Москва, ул. Ленина, д. 5  2671.947\n"
    )
    both = rendered([WATER, POWER], columns=METERS, width=200).splitlines()
    assert both[0].split() == ["ID", "Resource", "Address", "T1", "T2", "T3"]  # numbers aligned right


@pytest.mark.parametrize("width", [80, 70, 60])
def test_a_table_is_cut_to_the_terminals_width_text_at_its_end_addresses_at_their_start(terminal, width):
    rows = [{**WATER, "resource": "cold water for the bathroom and the kitchen"}, POWER]
    lines = rendered(rows, columns=METERS, width=width).splitlines()
    assert max(len(line) for line in lines) <= width
    assert lines[2].startswith("M-000023  cold water") and "…" in lines[2]
    assert "д. 5" in lines[2] and "к. 2" in lines[3]  # the house number survives: the cut is at the start
    assert lines[2].rstrip().endswith("2671.947") and lines[3].endswith("2479.3")  # numbers never cut


def test_the_terminal_width_comes_from_columns(terminal, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    assert max(len(line) for line in rendered([WATER, POWER], columns=METERS).splitlines()) == 60
    monkeypatch.setenv("COLUMNS", "200")
    assert "…" not in rendered([WATER, POWER], columns=METERS)


def test_ids_numbers_and_dates_are_never_cut_even_when_the_table_stays_too_wide(terminal):
    ids = Columns(Column("guid", "GUID", shown=True, kind="id"), Column("due", "Due", shown=True, kind="date"))
    row = {"guid": "83804ac7-87c6-472e-a474-d02c6f740e9c", "due": "2027-02-19"}
    assert rendered([row], columns=ids, width=20).splitlines()[2] == \
        "83804ac7-87c6-472e-a474-d02c6f740e9c  2027-02-19"


def test_wide_shows_every_column_uncut(terminal):
    out = rendered([WATER, POWER], fmt="wide", columns=METERS, width=40)
    assert out.splitlines()[0].split() == ["ID", "Resource", "Address", "Organisation", "T1", "T2", "T3"]
    assert "…" not in out and "ООО «Управляющая компания Ленинский квартал»" in out


def test_a_table_asked_for_off_a_terminal_is_the_same_table(pipe):
    assert rendered([WATER], fmt="table", columns=METERS, width=200).startswith("ID        Resource")


def test_line_breaks_in_a_value_keep_a_tables_row_on_one_line(terminal):
    out = rendered([{**WATER, "resource": "cold\nwater\r\nnow"}], columns=METERS, width=200)
    assert out.splitlines()[2].startswith("M-000023  cold water now  ")


# --- one record, nested lists --------------------------------------------------------------------------------

COMMON_METERS = Columns(Column("resource", "Resource"), Column("serial", "Serial", kind="id"))
HOUSE = Columns(
    Column("address", "Address", kind="address"),
    Column("floors", "Floors", kind="number"),
    Column("common_meters", "Common meters", items=COMMON_METERS),
)
PASSPORT = {"address": "г. Москва, ул. Ленина, д. 5", "floors": 11,
            "common_meters": [{"resource": "cold_water", "serial": "66652202", "unit": "m3"},
                              {"resource": "heat", "serial": "80939398", "unit": "Gcal"}]}


def test_one_record_reads_down_with_a_list_of_objects_as_a_small_table(terminal):
    assert rendered(PASSPORT, columns=HOUSE) == (
        "Address:        г. Москва, ул. Ленина, д. 5\n"
        "Floors:         11\n"
        "Common meters:  Resource    Serial\n"
        "                cold_water  66652202\n"
        "                heat        80939398\n"
    )


def test_a_list_of_objects_in_a_tables_cell_is_its_items_not_json(terminal):
    out = rendered([PASSPORT], columns=Columns(*(Column(c.name, c.header, True, c.kind, c.items) for c in HOUSE)),
                   width=200)
    assert "cold_water 66652202; heat 80939398" in out and "{" not in out and "[" not in out


def test_machine_formats_keep_a_list_of_objects_as_json_text(pipe):
    assert rendered(PASSPORT, fmt="tsv", columns=HOUSE).splitlines()[1] == (
        'г. Москва, ул. Ленина, д. 5\t11\t[{"resource":"cold_water","serial":"66652202","unit":"m3"},'
        '{"resource":"heat","serial":"80939398","unit":"Gcal"}]')


def test_a_records_small_table_wraps_its_long_text_at_words_to_the_terminals_width(terminal, monkeypatch):
    agenda = Columns(Column("number", "No.", kind="number"), Column("text", "Question"),
                     Column("two_thirds", "Two thirds"))
    meeting = Columns(Column("id", "ID", kind="id"), Column("agenda", "Agenda", items=agenda))
    question = ("Установить плату за содержание жилого помещения в размере 38,50 руб. за 1 м² в месяц с 1 января "
                "2027 года и принять решение о капитальном ремонте кровли")
    data = {"id": "MT-000001", "agenda": [{"number": 1, "text": question, "two_thirds": True}]}
    monkeypatch.setenv("COLUMNS", "80")
    lines = rendered(data, columns=meeting).splitlines()
    assert max(len(line) for line in lines) <= 80 and len(lines) > 3
    assert " ".join(" ".join(lines).split()).count("капитальном ремонте кровли") == 1  # every word kept, in order
    monkeypatch.setenv("COLUMNS", "400")
    assert len(rendered(data, columns=meeting).splitlines()) == 3  # room enough: one line a question
