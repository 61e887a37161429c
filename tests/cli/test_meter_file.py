"""gkh meter submit --file and --template: a readings file (a meter, T1–T3, the day) checked row by row before
anything is sent, the portal's warnings and refusals merged in line order, the summary; the single submit as it
was — on the embedded portal, its batch call answered by a stand-in that records what the command sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli_e2e import server  # noqa: F401 - `gkh server run` on a free port, on each engine
from tests.helpers.cli import gkh
from tests.helpers.demo import COLD, HOT, POWER


class StandIn:
    """The readings' batch call: each chunk recorded; a meter it does not know rejected, a jump warned of."""

    def __init__(self):
        self.chunks: list[list[dict]] = []

    def __call__(self, rows, dry_run=False):
        rows = list(rows)
        self.chunks.append(rows)
        answer = {"created": 0, "updated": 0, "unchanged": 0, "rejected": [], "warnings": []}
        for row in rows:
            if row["meter"] == "M-999999":
                answer["rejected"].append({"line": row["line"], "field": "meter",
                                           "message": f"line {row['line']}: meter: no meter M-999999 of yours"})
                continue
            if row["T1"] == "9999":
                answer["warnings"].append({"line": row["line"],
                                           "message": f"line {row['line']}: meter {row['meter']}: a suspicious jump"})
            answer["created"] += 1
        return answer

    @property
    def sent(self) -> list[dict]:
        return [row for chunk in self.chunks for row in chunk]


@pytest.fixture
def portal_batch(home, monkeypatch) -> StandIn:
    from gkh.client.resources.batches import Batches

    stand_in = StandIn()
    monkeypatch.setattr(Batches, "submit_readings", lambda self, rows, dry_run=False: stand_in(rows, dry_run))
    return stand_in


def submitted(*args: str, **kwargs):
    return gkh("meter", "submit", *args, **kwargs)


def test_the_template_has_the_columns_and_the_demo_resident_s_cold_water_meter():
    result = submitted("--template")
    assert (result.exit_code, result.stdout) == (0, f"meter,T1,T2,T3,date\n{COLD},2700.5,,,\n")


def test_a_1251_file_with_russian_headers_and_decimal_commas(tmp_path, portal_batch):
    path = tmp_path / "readings.csv"
    path.write_bytes(("Счетчик;Т1;Т2;Т3;Дата\r\n"
                      f"{COLD};2700,5;;;20.11.2026\r\n"
                      f"{POWER};2800,1;3600;2500,25;20.11.26\r\n").encode("cp1251"))
    result = submitted("--file", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["encoding"], summary["delimiter"]) == (2, "cp1251", ";")
    assert portal_batch.sent == [
        {"line": 2, "meter": COLD, "T1": "2700,5", "T2": None, "T3": None, "date": "20.11.2026"},
        {"line": 3, "meter": POWER, "T1": "2800,1", "T2": "3600", "T3": "2500,25", "date": "20.11.26"}]


def test_bad_rows_ours_and_the_portal_s_in_line_order_warnings_on_stderr(tmp_path, portal_batch):
    path = tmp_path / "readings.csv"
    lines = ["meter,T1,T2,T3,date", f"{COLD},2700.5,,,", "M-999999,1,,,", f"{HOT},abc,,,", f"{POWER},9999,,,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = submitted("--file", str(path), "--rejects", str(rejects), "--json")
    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert [(r["line"], r["field"]) for r in summary["rejected_lines"]] == [(3, "meter"), (4, "T1")]
    assert summary["warnings"] == [{"line": 5, "message": f"line 5: meter {POWER}: a suspicious jump"}]
    assert f"warning: line 5: meter {POWER}: a suspicious jump" in result.stderr.splitlines()
    assert rejects.read_text(encoding="utf-8") == f"meter,T1,T2,T3,date\nM-999999,1,,,\n{HOT},abc,,,\n"


@pytest.mark.parametrize("args", [[COLD, "--file", "x.csv"], [COLD, "2700", "--file", "x.csv"],
                                  ["--file", "x.csv", "--date", "20.11.2026"], ["--file", "x.csv", "--template"],
                                  ["--template", "--rollover"]])
def test_file_and_template_take_no_meter_values_date_or_rollover(args):
    result = submitted(*args)
    assert result.exit_code == 2 and "give no METER, VALUES, --date or --rollover" in result.stderr


def test_the_single_submit_still_needs_its_meter_and_values(home):
    assert "Missing argument 'meter'." in submitted().stderr
    assert "Missing argument 'values'." in submitted(COLD).stderr


def test_stdin_in_tabs_and_an_empty_file_of_rows(tmp_path, portal_batch):
    result = submitted("--file", "-", "--delimiter", "tab", "--json", input=f"meter\tT1\n{COLD}\t2700,5\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["delimiter"] == "\t" and portal_batch.sent[0]["T1"] == "2700,5"
    empty = submitted("--file", "-", "--json", input="meter,T1\n\n")
    assert empty.exit_code == 0 and json.loads(empty.stdout)["created"] == 0


def test_a_forced_encoding_the_file_is_not_in_is_exit_2(tmp_path: Path, portal_batch):
    path = tmp_path / "r.csv"
    path.write_bytes(f"Счетчик;Т1\r\n{COLD};1\r\n".encode("cp1251"))
    result = submitted("--file", str(path), "--encoding", "utf-8")
    assert result.exit_code == 2 and "cannot be read as UTF-8" in result.stderr and portal_batch.chunks == []


# --- on the embedded demo portal itself ------------------------------------------------------------------------

def test_the_template_goes_in_then_is_unchanged_and_a_dry_run_stores_nothing(home, tmp_path):
    from tests.helpers.rows import stored

    path = tmp_path / "readings.csv"
    path.write_text(submitted("--template").stdout, encoding="utf-8")
    dry = submitted("--file", str(path), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert [r for r in stored(home, COLD) if r["period"] == "2026-11"] == []
    first = submitted("--file", str(path), "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["created"] == 1
    assert [(r["period"], r["reading_values"]) for r in stored(home, COLD, "2026-11")] == [
        ("2026-11", '{"T1": "2700.5"}')]
    again = submitted("--file", str(path), "--json")
    assert (json.loads(again.stdout)["unchanged"], json.loads(again.stdout)["created"]) == (1, 0)


def test_on_the_portal_refusals_in_line_order_a_row_again_unchanged_a_later_one_replacing_and_a_jump_warned(
        home, tmp_path):
    from tests.helpers.rows import stored

    path = tmp_path / "readings.csv"
    path.write_text(f"meter;T1\n{COLD};2700,5\nM-000001;5\n{HOT};1\n{COLD};2700,5\n{COLD};2800\n", encoding="utf-8")
    result = submitted("--file", str(path), "--json")
    assert result.exit_code == 3, result.stderr
    summary = json.loads(result.stdout)
    assert [(r["line"], r["field"]) for r in summary["rejected_lines"]] == [(3, "meter"), (4, "T1")]
    assert summary["rejected_lines"][0]["message"] == "line 3: meter: no meter M-000001 among yours"
    assert (summary["created"], summary["unchanged"], summary["updated"]) == (1, 1, 1)
    assert [w["line"] for w in summary["warnings"]] == [6]
    assert f"warning: line 6: meter {COLD}: T1: consumption" in result.stderr
    assert [r["reading_values"] for r in stored(home, COLD, "2026-11")] == ['{"T1": "2800"}']


@pytest.mark.e2e
def test_over_http_a_readings_file_from_stdin_then_again_unchanged(engine, request, home):
    import os
    import subprocess
    import sys

    from tests.helpers.demo import password_of
    from tests.helpers.rows import stored

    url = request.getfixturevalue("server")  # `gkh server run` on a free port, on the test's engine

    def remote(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).with_name("gkh")), "--profile", "remote", *args],
                              input=input, capture_output=True, text=True, timeout=60, env=os.environ.copy())

    assert remote("config", "set", "url", url).returncode == 0
    assert remote("auth", "login", "--user", "ivanov", "--password-stdin",
                  input=password_of("ivanov") + "\n").returncode == 0
    readings = f"Счетчик;Т1;Т2;Т3\n{COLD};2700,5;;\n{POWER};2800,1;3600;2500,2\n"
    first = remote("meter", "submit", "--file", "-", "--json", input=readings)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["created"] == 2
    again = remote("meter", "submit", "--file", "-", input=readings)
    assert (again.returncode, again.stdout.split("\t")[:4]) == (0, ["0", "0", "2", "0"])
    assert [r["reading_values"] for r in stored(home, POWER, "2026-11")] == [
        '{"T1": "2800.1", "T2": "3600", "T3": "2500.2"}']


def test_a_byte_windows_1251_has_no_letter_for_is_named_by_its_line(tmp_path, portal_batch):
    lines = ["Счетчик;Т1".encode("cp1251"), *(f"{COLD};{n}".encode() for n in range(1, 400))]
    lines[150] = f"{COLD};1".encode() + b"\x98"  # neither UTF-8 nor a letter of Windows-1251
    path = tmp_path / "r.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    result = submitted("--file", str(path))
    assert result.exit_code == 2 and portal_batch.chunks == []
    assert result.stderr.splitlines()[-1] == (
        f"gkh: {path}: line 151 cannot be read as Windows-1251: character maps to <undefined>; try --encoding")


def test_stdin_at_a_terminal_is_refused_rather_than_waited_on(portal_batch):
    result = submitted("--file", "-", tty=True)
    assert result.exit_code == 2 and "pipe the file in" in result.stderr and portal_batch.chunks == []
