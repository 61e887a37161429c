"""Who may run each `gkh admin` command (issue 16), through the command line on the embedded demo portal: the
portal's admin every one; a managing organisation's staff (uk-staff) the owner registers of its houses, its
accounts' bills and its houses' periods; a supplier's staff (energo-staff) its accounts' bills and the periods of
the houses it serves; an inspector and a resident none. A refusal is exit 4, one line on stderr, nothing on stdout,
and changes nothing. Every command of the tree has its row here: a new one without fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer

from tests.helpers.cli import gkh, login

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

ROLES = ("admin", "uk-staff", "energo-staff", "inspector", "ivanov")
LENINA = "83804ac7-87c6-472e-a474-d02c6f740e9c"  # г. Москва, ул. Ленина, д. 5: managed by the УК, served by both
ORG = ["--name", "ТСЖ «Берёзка»", "--short-name", "ТСЖ Берёзка", "--inn", "7707083893", "--ogrn", "1027700132195",
       "--kind", "managing", "--dry-run"]

# Each command: its arguments ({file} a CSV written for the role), and who besides the admin may run it.
COMMANDS: dict[str, tuple[list[str], set[str]]] = {
    "org list": ([], set()),
    "org add": (ORG, set()),
    "user list": ([], set()),
    "user add": (["--login", "perm-check", "--name", "Проверка", "--role", "resident", "--dry-run"], set()),
    "user disable": (["petrova"], set()),
    "user enable": (["petrova"], set()),
    "user reset-password": (["petrova"], set()),
    "settings list": ([], set()),
    "settings set": (["portal.name", "Портал ТСЖ", "--dry-run"], set()),
    "settings unset": (["portal.name"], set()),
    "house import": (["{houses}", "--dry-run"], set()),
    "owner import": (["{owners}", "--dry-run"], {"uk-staff"}),
    "owner list": (["--house", LENINA], {"uk-staff"}),
    "bill import": (["{bills}", "--dry-run"], {"uk-staff", "energo-staff"}),
    "period close": (["2026-10", "--house", LENINA, "--dry-run"], {"uk-staff", "energo-staff"}),
    "period list": (["--house", LENINA], {"uk-staff", "energo-staff"}),
}
# A bill's line of an account of each staff's own organisation (the demo resident's two accounts).
OWN_ACCOUNT = {"uk-staff": "87892735", "energo-staff": "77ИВ845392", "admin": "77ЕЖ532838"}


def _leaves(group, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue  # an alias (owners, bills): the same command
        if hasattr(command, "commands"):
            names += _leaves(command, f"{prefix}{name} ")
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_admin_command_has_its_row():
    from gkh.cli import app

    admin = typer.main.get_command(app).commands["admin"]  # type: ignore[attr-defined]
    assert sorted(_leaves(admin)) == sorted(COMMANDS)


def _files(tmp_path: Path, role: str) -> dict[str, str]:
    files = {
        "houses": "guid,address,town,oktmo,region\n"
                  "f88dff80-7a02-4289-80be-edca9d932149,\"г. Москва, ул. Строителей, д. 5\",Москва,45376000,77\n",
        "owners": f"house,flat,owner,share\n{LENINA},12,Иванов Иван Петрович,1/2\n",
        "bills": f"account,period,service,zone,volume,tariff\n{OWN_ACCOUNT.get(role, '87892735')},2026-11,"
                 + ("electricity,T1,80,9.29\n" if role == "energo-staff" else "maintenance,,54.3,32.50\n"),
    }
    paths = {}
    for name, text in files.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        paths[name] = str(path)
    return paths


def _state(home: Path) -> list:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return [conn.execute(sql).fetchall() for sql in (
            "SELECT login, disabled_at, must_change_password, password_hash FROM users ORDER BY id",
            "SELECT * FROM portal_settings WHERE key NOT IN ('portal_id') ORDER BY key",
            "SELECT count(*) FROM organisations", "SELECT count(*) FROM houses", "SELECT count(*) FROM owners",
            "SELECT count(*), sum(total_kopecks) FROM bills", "SELECT count(*) FROM closed_periods")]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_admin_command_is_run_by_whom_it_is_for_and_refused_to_everyone_else(command, home, tmp_path):
    args, also = COMMANDS[command]
    for role in ROLES:
        if role != "ivanov":
            login(role, role)
    assert gkh("account", "list").exit_code == 0  # the demo resident signs in by itself on first use
    for role in ROLES:
        (tmp_path / role).mkdir()
        files = _files(tmp_path / role, role)
        argv = [a.format(**files) for a in args]
        profile = [] if role == "ivanov" else ["--profile", role]
        before = _state(home)
        done = gkh(*profile, "admin", *command.split(), *argv)
        if role == "admin" or role in also:
            assert done.exit_code == 0, f"{role}: {done.stderr}"
        else:
            assert (done.exit_code, done.stdout) == (4, ""), f"{role}: {done.stderr}"
            assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("gkh: "), done.stderr
            assert _state(home) == before, role
