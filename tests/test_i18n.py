"""Russian for people, English for programs: the catalogue is whole, the language is chosen as documented, and
what a Russian reader sees changes while machine output does not."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gkh import i18n
from gkh.server.db import migrations
from gkh.server.demo import DEMO_RESIDENT_ACCOUNT_DETAILS
from tests.helpers.cli import gkh
from tools import i18n as catalogue

RU = {"GKH_LANG": "ru"}
SECOND = DEMO_RESIDENT_ACCOUNT_DETAILS[1]  # one of the demo resident's two accounts


# --- the catalogue ------------------------------------------------------------------------------------------


def test_every_message_for_people_has_russian_text():
    """Fails naming each marked message without Russian text, each translation that lost a placeholder, a
    gkh.mo not compiled from gkh.po, and each message for people written as a bare string or f-string."""
    assert catalogue.problems() == []


def test_the_check_finds_a_message_without_russian_text(tmp_path):
    package = tmp_path / "gkh"
    package.mkdir()
    (package / "rules.py").write_text(
        'from gkh.i18n import _\n'
        'def f(x):\n'
        '    raise InvalidInput(_("{x} is new").format(x=x))\n'
        'def g(x):\n'
        '    raise InvalidInput(f"{x} is bare")\n', encoding="utf-8")
    found = catalogue.problems(package, catalogue.CATALOGUE)
    assert any(line.startswith('no Russian text: "{x} is new"') for line in found)
    assert any("a bare message" in line and "rules.py:5" in line for line in found)


def test_translations_keep_their_placeholders_and_the_compiled_catalogue_reads_back():
    entries = catalogue.read_po(catalogue.CATALOGUE)
    assert len(entries) > 400
    for entry in entries.values():
        wanted = catalogue.placeholders(entry.msgid) | catalogue.placeholders(entry.plural or "")
        for text in entry.strings:
            assert catalogue.placeholders(text) <= wanted, entry.msgid
    token = i18n.use("ru")
    try:
        assert i18n._("Address") == "Адрес"
        assert i18n.term("cold_water") == "холодная вода"
        assert i18n.term("a word nobody knows") == "a word nobody knows"  # a newer portal's status: as it is
    finally:
        i18n.reset(token)


def test_the_vocabulary_covers_the_portal_s_own_lists():
    """Every resource, role, organisation kind, bill service and unit the schema allows is a word the tables can
    show in Russian."""
    schema = Path(migrations.__file__).read_text(encoding="utf-8")
    allowed = set()
    for column in ("resource", "role", "kind", "service", "unit"):
        for found in re.findall(rf"{column} TEXT NOT NULL CHECK \({column} IN \(([^)]*)\)\)", schema):
            allowed |= set(re.findall(r"'([A-Za-z0-9_]+)'", found))
    assert {"cold_water", "resident", "managing", "sewerage", "Gcal"} <= allowed
    assert allowed <= set(i18n.VOCABULARY)


# --- choosing the language --------------------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "language"), [
    ({}, "en"),
    ({"LANG": "ru_RU.UTF-8"}, "ru"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "ru_RU.UTF-8"}, "ru"),  # LC_ALL before LANG
    ({"LC_MESSAGES": "ru_RU", "LANG": "en_GB.UTF-8"}, "ru"),
    ({"GKH_LANG": "en", "LC_ALL": "ru_RU.UTF-8"}, "en"),  # GKH_LANG before the locale
    ({"GKH_LANG": "ru", "LANG": "C"}, "ru"),
    ({"GKH_LANG": "de"}, "en"),
])
def test_the_language_comes_from_gkh_lang_else_the_locale(environ, language):
    assert i18n.language_from_environment(environ) == language


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("ru", "ru"), ("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("en;q=0.5, ru;q=0.7", "ru"),
    ("de-DE, en;q=0.3", "en"), ("ru;q=0", "en"), ("ru;q=abc", "en"), ("*", "en"),
])
def test_the_portal_speaks_what_accept_language_prefers(header, language):
    assert i18n.language_from_header(header) == language


# --- what a Russian reader sees -----------------------------------------------------------------------------


def test_a_table_in_russian_has_russian_headers_words_and_dates(home):
    english = gkh("meter", "list", tty=True)
    russian = gkh("meter", "list", tty=True, env=RU)
    assert english.exit_code == russian.exit_code == 0
    assert "Serial" in english.stdout and "cold_water" in english.stdout and "2026-10-20" in english.stdout
    assert "Заводской номер" in russian.stdout and "холодная вода" in russian.stdout
    assert "20.10.2026" in russian.stdout and "2026-10-20" not in russian.stdout
    assert "Serial" not in russian.stdout


def test_the_locale_alone_is_enough(home, monkeypatch):
    monkeypatch.delenv("GKH_LANG")
    shown = gkh("auth", "status", tty=True, env={"LANG": "ru_RU.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert shown.exit_code == 0, shown.stderr
    assert "Роль:" in shown.stdout and "житель" in shown.stdout


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "excel"])
def test_machine_output_is_the_same_in_every_language(home, fmt):
    english = gkh("meter", "list", "-o", fmt)
    russian = gkh("meter", "list", "-o", fmt, env=RU)
    assert english.exit_code == russian.exit_code == 0
    assert russian.stdout == english.stdout
    assert "cold_water" in russian.stdout and "2026-10-20" in russian.stdout


def test_a_refusal_reads_in_russian_and_keeps_its_exit_code(home):
    english = gkh("meter", "submit", "M-000023", "1")
    russian = gkh("meter", "submit", "M-000023", "1", env=RU)
    assert english.exit_code == russian.exit_code == 5
    assert "is lower than the previous" in english.stderr
    assert russian.stderr.startswith("gkh: ") and "M-000023" in russian.stderr
    assert "новое показание 1 меньше предыдущего 2671.947" in russian.stderr, russian.stderr
    assert "lower" not in russian.stderr


def test_a_malformed_value_reads_in_russian_naming_the_meter(home):
    russian = gkh("meter", "submit", "M-000023", "abc", env=RU)
    assert russian.exit_code == 2
    assert "M-000023" in russian.stderr and "ожидается показание счётчика" in russian.stderr, russian.stderr


def test_the_portal_answers_in_the_language_asked_for(http_portal):
    import requests

    url = f"{http_portal}/api/v1/accounts"
    english = requests.get(url, timeout=10)
    russian = requests.get(url, headers={"Accept-Language": "ru-RU,ru;q=0.9"}, timeout=10)
    assert english.status_code == russian.status_code == 401
    assert english.headers["Content-Language"] == "en" and russian.headers["Content-Language"] == "ru"
    assert russian.json()["error"]["code"] == english.json()["error"]["code"]
    assert russian.json()["error"]["message"] != english.json()["error"]["message"]
    assert russian.json()["error"]["message"] == "сначала войдите: для этого запроса нужен токен (bearer)"
    again = requests.get(url, timeout=10)  # the thread that served Russian serves the default next
    assert again.json()["error"]["message"] == english.json()["error"]["message"]


# --- prompts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["y", "yes", "д", "да", "Да", "YES"])
def test_a_confirmation_takes_yes_in_either_language(home, answer):
    done = gkh("account", "unlink", SECOND.els, input=answer + "\n", tty=True, env=RU)
    assert done.exit_code == 0, done.stderr
    assert "[д/Н]" in done.stderr
    assert SECOND.els not in _linked()


@pytest.mark.parametrize("answer", ["n", "no", "н", "нет", "", "maybe"])
def test_anything_else_cancels(home, answer):
    kept = gkh("account", "unlink", SECOND.els, input=answer + "\n", tty=True)
    assert kept.exit_code == 1
    assert "cancelled" in kept.stderr
    assert SECOND.els in _linked()


def _linked() -> list[str]:
    listed = gkh("account", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    return [account["els"] for account in json.loads(listed.stdout)]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_at_a_prompt_exits_130(home):
    """A person pressing Ctrl-C at "Unlink …? [y/N]" leaves with 130 and the account stays linked."""
    environment = {**os.environ, "GKH_HOME": str(home), "GKH_FORCE_TTY": "1"}
    child = subprocess.Popen([sys.executable, "-m", "gkh", "account", "unlink", SECOND.els],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=environment, cwd=Path(__file__).parent.parent)
    try:
        _wait_for_prompt(child)
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert b"interrupted" in err
    assert SECOND.els in _linked()


def _wait_for_prompt(child: subprocess.Popen) -> None:
    """Until the question is on stderr (read byte by byte: the prompt has no line end)."""
    seen = b""
    deadline = time.monotonic() + 30
    while b"[y/N]" not in seen:
        assert time.monotonic() < deadline and child.poll() is None, seen
        seen += child.stderr.read(1)


def test_a_demo_user_s_description_is_russian_for_people_and_english_for_programs(home):
    russian = gkh("server", "users", "--wide", env=RU)
    machine = gkh("server", "users", "-o", "csv", env=RU)
    assert russian.exit_code == machine.exit_code == 0
    assert "жилищный инспектор" in russian.stdout and "житель" in russian.stdout
    assert "housing inspector" in machine.stdout and "resident" in machine.stdout


@pytest.mark.parametrize(("args", "english", "russian"), [
    (["meter", "submit"], "Missing argument 'meter'.", "не указан аргумент 'meter'"),
    (["meter", "list", "--foo"], "No such option: --foo", "нет такого параметра: --foo"),
    (["meter", "lst"], "No such command 'lst'.", "нет такой команды 'lst'"),
    (["meter", "history", "M-000023", "x"], "unexpected extra argument", "лишние аргументы (x)"),
    (["meter", "list", "--limit"], "requires an argument", "параметру '--limit' нужно значение"),
])
def test_the_parser_s_usage_errors_read_in_russian_too(home, args, english, russian):
    said_en, said_ru = gkh(*args), gkh(*args, env=RU)
    assert said_en.exit_code == said_ru.exit_code == 2
    assert english in said_en.stderr
    assert russian in said_ru.stderr, said_ru.stderr


def test_every_usage_error_pattern_has_its_message():
    from gkh.cli import USAGE_ERRORS

    for pattern, message in USAGE_ERRORS:
        assert set(re.compile(pattern).groupindex) == catalogue.placeholders(message), pattern


def test_help_reads_in_russian(home):
    english, russian = gkh("meter", "history", "--help"), gkh("meter", "history", "--help", env=RU)
    assert english.exit_code == russian.exit_code == 0
    assert "How many months back." in english.stdout and "Options" in english.stdout
    assert "На сколько месяцев назад." in russian.stdout and "Параметры" in russian.stdout
    assert "[по умолчанию: 12]" in russian.stdout
    root = gkh("--help", env=RU)
    assert "Счётчики (ИПУ)" in root.stdout and "Команды" in root.stdout
