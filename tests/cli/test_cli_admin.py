"""gkh admin through the command line, in-process on the embedded demo portal signed in as its admin: the
portal's settings (set, a dry run, unset, a refused value), organisations (a dry run, added, listed), users (the
one-time password alone on stdout, the new user stopped until `gkh auth password`, disabled, enabled, given a new
one-time password) and anyone else refused; then `gkh server init` making an empty portal that a real
`gkh server run` serves to its admin over HTTP, and refusing a database that holds one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.rows import rows

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

GKH = str(Path(sys.executable).with_name("gkh"))
ADMIN = ["--profile", "admin"]
BERYOZKA = ["--name", "ТСЖ «Берёзка»", "--short-name", "ТСЖ Берёзка", "--inn", "7707083893", "--ogrn",
            "1027700132195", "--kind", "managing", "--commission", "0,8"]


@pytest.fixture
def admin(home):
    login("admin", "admin")
    return home


def admin_gkh(*args: str, **kwargs):
    return gkh(*ADMIN, "admin", *args, **kwargs)



# --- settings ------------------------------------------------------------------------------------------------------


def test_settings_are_listed_set_tried_and_unset(admin):
    listed = {item["key"]: item for item in gkh_json(*ADMIN, "admin", "settings", "list")}
    assert listed["readings.window_from"]["value"] is None and listed["readings.window_from"]["default"] == "15"
    tried = admin_gkh("settings", "set", "readings.window_from", "10", "--dry-run")
    assert (tried.exit_code, tried.stdout) == (0, "") and "nothing was stored" in tried.stderr
    assert gkh_json(*ADMIN, "admin", "settings", "list")[1]["value"] is None
    done = admin_gkh("settings", "set", "readings.window_from", "10")
    assert (done.exit_code, done.stdout, done.stderr) == (0, "", "gkh: readings.window_from = 10\n")
    table = admin_gkh("settings", "list", tty=True, env={"COLUMNS": "80"}).stdout.splitlines()
    assert table[0].split() == ["Key", "Value", "Default", "Meaning"]
    assert next(line for line in table if line.startswith("readings.window_from")).split()[1:3] == ["10", "15"]
    unset = admin_gkh("settings", "unset", "readings.window_from")
    assert unset.exit_code == 0 and unset.stderr == "gkh: readings.window_from is unset: its default, 15, holds\n"
    assert rows(admin, "SELECT value FROM portal_settings WHERE key = 'readings.window_from'") == []


@pytest.mark.parametrize("key,value", [("readings.window_to", "32"), ("payments.card_commission", "5.01")])
def test_a_refused_value_is_exit_2_naming_the_key_and_changes_nothing(admin, key, value):
    before = rows(admin, "SELECT key, value FROM portal_settings ORDER BY key")
    refused = admin_gkh("settings", "set", key, value)
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr.startswith(f"gkh: {key} ") and refused.stderr.count("\n") == 1
    assert rows(admin, "SELECT key, value FROM portal_settings ORDER BY key") == before


def test_an_unknown_setting_is_exit_2_listing_the_known_ones(admin):
    refused = admin_gkh("settings", "set", "portal.colour", "blue")
    assert refused.exit_code == 2 and "portal.colour" in refused.stderr and "readings.window_from" in refused.stderr


def test_an_smtp_server_that_does_not_answer_is_exit_5_and_nothing_is_stored(admin):
    from tests.helpers.serving import free_port

    port = str(free_port())  # nobody listens there
    assert admin_gkh("settings", "set", "smtp.port", port).exit_code == 0  # no host yet: nothing to reach
    refused = admin_gkh("settings", "set", "smtp.host", "127.0.0.1")
    assert (refused.exit_code, refused.stdout) == (5, "") and f"127.0.0.1:{port}" in refused.stderr
    assert rows(admin, "SELECT value FROM portal_settings WHERE key = 'smtp.host'") == []


# --- organisations -------------------------------------------------------------------------------------------------


def test_an_organisation_is_tried_added_and_listed(admin):
    count = len(gkh_json(*ADMIN, "admin", "org", "list"))
    tried = gkh_json(*ADMIN, "admin", "org", "add", *BERYOZKA, "--dry-run")
    assert tried["inn"] == "7707083893" and tried["card_commission"] == "0.8"
    assert len(gkh_json(*ADMIN, "admin", "org", "list")) == count
    added = admin_gkh("org", "add", *BERYOZKA)
    assert added.exit_code == 0, added.stderr
    number, kind, name, short, inn, *_ = added.stdout.rstrip("\n").split("\t")
    assert (kind, short, inn) == ("managing", "ТСЖ Берёзка", "7707083893") and number.startswith("ORG-")
    assert added.stderr == f"gkh: organisation {number} (ТСЖ Берёзка)\n"
    listed = gkh_json(*ADMIN, "admin", "org", "list")
    assert len(listed) == count + 1 and listed[-1]["id"] == number
    assert admin_gkh("org", "add", *BERYOZKA).exit_code == 0  # the same again: unchanged
    assert len(gkh_json(*ADMIN, "admin", "org", "list")) == count + 1


def test_an_organisation_with_a_bad_inn_names_the_option(admin):
    bad = admin_gkh("org", "add", *[("7707083894" if arg == "7707083893" else arg) for arg in BERYOZKA])
    assert (bad.exit_code, bad.stdout) == (2, "") and bad.stderr.startswith("gkh: --inn")


def test_the_same_inn_with_other_details_is_refused(admin):
    assert admin_gkh("org", "add", *BERYOZKA).exit_code == 0
    other = admin_gkh("org", "add", *BERYOZKA[:-2], "--commission", "1")
    assert other.exit_code == 5 and other.stdout == ""


# --- users ---------------------------------------------------------------------------------------------------------


def add_user(*args: str) -> str:
    added = admin_gkh("user", "add", *args)
    assert added.exit_code == 0, added.stderr
    assert added.stdout.count("\n") == 1  # the one-time password alone
    return added.stdout.rstrip("\n")


def test_a_new_user_signs_in_with_the_one_time_password_and_must_set_their_own_first(admin):
    added = admin_gkh("user", "add", "--login", "Sidorov", "--name", "Сидоров С. С.", "--role", "resident")
    assert added.exit_code == 0, added.stderr
    password = added.stdout.rstrip("\n")
    assert len(password) == 16 and added.stdout == password + "\n"
    assert "one-time password" in added.stderr and password not in added.stderr
    signed_in = gkh("--profile", "sid", "auth", "login", "--user", "sidorov", "--password-stdin",
                    input=password + "\n")
    assert signed_in.exit_code == 0, signed_in.stderr
    assert signed_in.stderr.splitlines()[-1] == "gkh: set your own password now: gkh --profile sid auth password"
    stopped = gkh("--profile", "sid", "account", "list")
    assert (stopped.exit_code, stopped.stdout) == (4, "")
    assert stopped.stderr == "gkh: set your own password now: gkh --profile sid auth password\n"
    status = gkh("--profile", "sid", "auth", "status", "--json")  # allowed, and says so
    assert status.exit_code == 0 and status.stderr.endswith("set your own password now: gkh --profile sid auth "
                                                             "password\n")
    short = gkh("--profile", "sid", "auth", "password", "--password-stdin", input=f"{password}\nshort\n")
    assert short.exit_code == 2 and "10" in short.stderr
    wrong = gkh("--profile", "sid", "auth", "password", "--password-stdin", input="not-it-at-all\nmy-own-password\n")
    assert (wrong.exit_code, wrong.stderr) == (4, "gkh: the current password is wrong: nothing was changed\n")
    changed = gkh("--profile", "sid", "auth", "password", "--password-stdin", input=f"{password}\nmy-own-password\n")
    assert changed.exit_code == 0, changed.stderr
    assert "password" in changed.stderr and changed.stdout == ""
    assert gkh("--profile", "sid", "account", "list").exit_code == 0  # the same sign-in goes on
    again = gkh("--profile", "sid2", "auth", "login", "--user", "sidorov", "--password-stdin",
                input="my-own-password\n")
    assert again.exit_code == 0 and "set your own password" not in again.stderr
    user = next(u for u in gkh_json(*ADMIN, "admin", "user", "list") if u["login"] == "sidorov")
    assert user["must_change_password"] is False


def test_at_a_terminal_the_new_password_is_asked_twice_and_must_match(admin):
    password = add_user("--login", "kozlov", "--name", "Козлов", "--role", "resident")
    assert gkh("--profile", "k", "auth", "login", "--user", "kozlov", "--password-stdin",
               input=password + "\n").exit_code == 0
    differ = gkh("--profile", "k", "auth", "password", input=f"{password}\nmy-own-password\nmy-own-passwort\n",
                 tty=True)
    assert differ.exit_code == 2 and differ.stderr.endswith("gkh: the new passwords typed differ: nothing was "
                                                            "changed\n")
    assert differ.stderr.startswith("Current password: New password: New password again: ")
    off = gkh("--profile", "k", "auth", "password", input=f"{password}\n")
    assert off.exit_code == 2 and "--password-stdin" in off.stderr


def test_at_a_terminal_the_sign_in_with_a_one_time_password_asks_for_ones_own_at_once(admin):
    password = add_user("--login", "orlov", "--name", "Орлов", "--role", "resident")
    differ = gkh("--profile", "o", "auth", "login", "--user", "orlov",
                 input=f"{password}\nmy-own-password\nsomething-else\n", tty=True)
    assert differ.exit_code == 2
    assert differ.stderr.endswith("gkh: the new passwords typed differ: nothing was changed (set it later: "
                                  "gkh --profile o auth password)\n")
    assert gkh("--profile", "o", "account", "list").exit_code == 4  # signed in, still with the one-time one
    short = gkh("--profile", "o", "auth", "login", "--user", "orlov", input=f"{password}\nshort\nshort\n", tty=True)
    assert short.exit_code == 2 and "(set it later: gkh --profile o auth password)" in short.stderr
    done = gkh("--profile", "o", "auth", "login", "--user", "orlov",
               input=f"{password}\nmy-own-password\nmy-own-password\n", tty=True)
    assert done.exit_code == 0, done.stderr
    assert done.stderr.startswith("Password: gkh: signed in to local:// as orlov")
    assert "New password: New password again: gkh: your own password is set (profile o)\n" in done.stderr
    assert gkh("--profile", "o", "account", "list").exit_code == 0
    dry = admin_gkh("user", "add", "--login", "orlov-2", "--name", "Орлов", "--role", "resident", "--dry-run")
    assert (dry.exit_code, dry.stdout) == (0, "") and "stored nothing" in dry.stderr
    assert "orlov-2" not in [u["login"] for u in gkh_json(*ADMIN, "admin", "user", "list")]


def test_staff_are_added_with_their_organisation_and_listed(admin):
    add_user("--login", "uk-two", "--name", "Второй сотрудник", "--role", "staff", "--org", "ORG-0001",
             "--email", "two@uk.example")
    missing = admin_gkh("user", "add", "--login", "uk-three", "--name", "Третий", "--role", "staff")
    assert (missing.exit_code, missing.stdout) == (2, "") and "--org" in missing.stderr
    taken = admin_gkh("user", "add", "--login", "uk-two", "--name", "Другой", "--role", "resident")
    assert (taken.exit_code, taken.stdout) == (5, "")
    listed = gkh(*ADMIN, "admin", "user", "list").stdout.splitlines()
    assert "uk-two\tВторой сотрудник\ttwo@uk.example\tstaff\tORG-0001\ttrue\t\t" in "\n".join(listed)
    assert [line.split("\t")[0] for line in listed] == sorted(line.split("\t")[0] for line in listed)


def test_a_disabled_user_cannot_sign_in_until_enabled_and_a_reset_password_is_one_time(admin):
    login("petrova", "petrova")
    assert gkh("--profile", "petrova", "account", "list").exit_code == 0
    disabled = admin_gkh("user", "disable", "petrova")
    assert (disabled.exit_code, disabled.stdout) == (0, "") and "disabled" in disabled.stderr
    assert gkh("--profile", "petrova", "account", "list").exit_code == 4  # her sign-in ended
    refused = gkh("--profile", "petrova", "auth", "login", "--user", "petrova", "--password-stdin",
                  input="petrova-demo-2026\n")
    assert refused.exit_code == 4 and "wrong login or password" in refused.stderr
    assert next(u for u in gkh_json(*ADMIN, "admin", "user", "list") if u["login"] == "petrova")["disabled_at"]
    assert admin_gkh("user", "enable", "petrova").exit_code == 0
    login("petrova", "petrova")
    reset = admin_gkh("user", "reset-password", "petrova")
    assert reset.exit_code == 0 and len(reset.stdout.rstrip("\n")) == 16 and reset.stdout.count("\n") == 1
    assert gkh("--profile", "petrova", "account", "list").exit_code == 4  # her sign-ins ended
    signed_in = gkh("--profile", "petrova", "auth", "login", "--user", "petrova", "--password-stdin",
                    input=reset.stdout)
    assert signed_in.exit_code == 0 and "set your own password now" in signed_in.stderr


def test_an_unknown_user_is_exit_1_and_the_admin_cannot_disable_themselves(admin):
    assert admin_gkh("user", "disable", "nobody").exit_code == 1
    assert admin_gkh("user", "disable", "admin").exit_code == 5


@pytest.mark.parametrize("args", [["org", "list"], ["user", "list"], ["settings", "list"],
                                  ["settings", "set", "portal.name", "x"],
                                  ["user", "add", "--login", "x-x-x", "--name", "X", "--role", "admin"]])
def test_anyone_but_an_admin_is_exit_4(home, args):
    login("uk-staff", "uk-staff")
    for profile in ([], ["--profile", "uk-staff"]):  # the demo resident, then staff
        refused = gkh(*profile, "admin", *args)
        assert (refused.exit_code, refused.stdout) == (4, ""), refused.stderr
    assert rows(home, "SELECT count(*) FROM users WHERE login = 'x-x-x'") == [(0,)]


# --- an empty portal ------------------------------------------------------------------------------------------------


def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([GKH, *args], input=input, capture_output=True, text=True, timeout=60, env=os.environ.copy())


@pytest.fixture
def empty_portal(home, tmp_path):
    db = tmp_path / "srv" / "portal.sqlite3"
    db.parent.mkdir()
    made = gkh("server", "init", "--db", str(db), "--admin-login", "chair", "--admin-name", "Председатель ТСЖ",
               "--password-stdin", input="chair-password-1\n")
    assert (made.exit_code, made.stdout) == (0, ""), made.stderr
    assert f"gkh server run --db {db}" in made.stderr
    return db


def test_init_makes_an_empty_portal_whose_admin_signs_in_over_http(empty_portal):
    proc = subprocess.Popen([GKH, "server", "run", "--port", "0", "--db", str(empty_portal)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        assert run("--profile", "coop", "config", "set", "url", url).returncode == 0
        signed_in = run("--profile", "coop", "auth", "login", "--user", "chair", "--password-stdin",
                        input="chair-password-1\n")
        assert signed_in.returncode == 0, signed_in.stderr
        assert "set your own password" not in signed_in.stderr  # a password of their own from the start
        users = json.loads(run("--profile", "coop", "admin", "user", "list", "--json").stdout)
        assert [(u["login"], u["name"], u["role"]) for u in users] == [("chair", "Председатель ТСЖ", "admin")]
        assert json.loads(run("--profile", "coop", "admin", "org", "list", "--json").stdout) == []
        status = json.loads(run("--profile", "coop", "auth", "status", "--json").stdout)
        assert status["demo"] is False
        demo = run("--profile", "coop", "auth", "login", "--user", "ivanov", "--password-stdin",
                   input="ivanov-demo-2026\n")
        assert demo.returncode == 4  # no demo users there
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_init_on_a_portal_is_refused_and_leaves_it_as_it_was(empty_portal):
    before = empty_portal.read_bytes()
    again = gkh("server", "init", "--db", str(empty_portal), "--admin-login", "other", "--password-stdin",
                input="other-password-1\n")
    assert (again.exit_code, again.stdout) == (2, "")
    assert "already holds a portal" in again.stderr and again.stderr.count("\n") == 1
    assert empty_portal.read_bytes() == before


@pytest.mark.parametrize("args,stdin,said", [
    (["--admin-login", "ch"], "chair-password-1\n", "--admin-login"),
    (["--admin-login", "chair"], "short\n", "10"),
    (["--admin-login", "chair"], "chair\n", "password"),
    (["--admin-login", "chair"], "\n", "password: empty"),
])
def test_init_refuses_a_bad_admin_before_making_anything(home, tmp_path, args, stdin, said):
    db = tmp_path / "portal.sqlite3"
    refused = gkh("server", "init", "--db", str(db), *args, "--password-stdin", input=stdin)
    assert (refused.exit_code, refused.stdout) == (2, "") and said in refused.stderr
    assert not db.exists()


def test_init_at_a_terminal_asks_for_the_password_twice(home, tmp_path):
    db = tmp_path / "portal.sqlite3"
    differ = gkh("server", "init", "--db", str(db), "--admin-login", "chair",
                 input="chair-password-1\nchair-password-2\n", tty=True)
    assert differ.exit_code == 2 and differ.stderr.endswith("the passwords typed differ: nothing was created\n")
    assert not db.exists()
    made = gkh("server", "init", "--db", str(db), "--admin-login", "chair",
               input="chair-password-1\nchair-password-1\n", tty=True)
    assert made.exit_code == 0, made.stderr
    assert db.exists()


def test_init_on_postgresql_makes_an_empty_portal_once_and_refuses_the_demo_one(home, postgres_cluster, pg_database):
    name = postgres_cluster.new_database()
    try:
        url = postgres_cluster.url(name)
        made = gkh("server", "init", "--db", url, "--admin-login", "chair", "--password-stdin",
                   input="chair-password-1\n")
        assert made.exit_code == 0, made.stderr
        with postgres_cluster.admin(name) as conn:
            users = conn.execute("SELECT login, role, must_change_password FROM users").fetchall()
            demo = conn.execute("SELECT value FROM portal_settings WHERE key = 'demo'").fetchall()
            houses = conn.execute("SELECT count(*) FROM houses").fetchone()[0]
        assert (users, demo, houses) == ([("chair", "admin", 0)], [], 0)
        again = gkh("server", "init", "--db", url, "--admin-login", "other", "--password-stdin",
                    input="other-password-1\n")
        assert again.exit_code == 2 and "already holds a portal" in again.stderr
    finally:
        postgres_cluster.discard(name)
    demo_portal = gkh("server", "init", "--db", pg_database, "--admin-login", "other", "--password-stdin",
                      input="other-password-1\n")
    assert (demo_portal.exit_code, demo_portal.stdout) == (2, "")


# --- the README ----------------------------------------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[list[str]]:
    """The commands of the README's blocks marked to run as written on the demo portal, each split as a shell
    would split it."""
    import shlex

    text = README.read_text(encoding="utf-8")
    commands = []
    for block in text.split("<!-- runs as written: the demo admin -->\n")[1:]:
        assert block.startswith("```sh\n")
        for line in block.split("```")[1].splitlines()[1:]:
            words = shlex.split(line, comments=True)
            assert words[0] == "gkh", line
            commands.append(words[1:])
    return commands


def test_the_readme_admin_examples_run_as_written_on_the_demo_portal(home):
    one_time: dict[str, str] = {}
    commands = readme_commands()
    assert len(commands) >= 10
    for args in commands:
        if args[-3:-1] == ["login", "--user"] and args[-1] in one_time:  # asked for their own at once
            ran = gkh(*args, input=f"{one_time[args[-1]]}\nmy-own-password\nmy-own-password\n", tty=True)
            assert "gkh: your own password is set" in ran.stderr
        elif args[-3:-1] == ["login", "--user"]:
            ran = gkh(*args, input="admin-demo-2026\n", tty=True)
        elif args[-2:] == ["auth", "password"]:
            current = one_time[args[1]]
            ran = gkh(*args, input=f"{current}\nmy-own-password\nmy-own-password\n", tty=True)
        else:
            ran = gkh(*args)
        assert ran.exit_code == 0, f"{args}: {ran.stderr}"
        if "user" in args and ("add" in args or "reset-password" in args):
            one_time[args[args.index("--login") + 1] if "--login" in args else args[-1]] = ran.stdout.strip()
    assert gkh("--profile", "sidorov", "account", "list").exit_code == 0  # his own password set


def test_the_readme_settings_table_is_the_portals_every_key_and_default(home):
    login("admin", "admin")
    text = README.read_text(encoding="utf-8").split("<!-- settings -->\n", 1)[1]
    documented = []
    for line in text.splitlines()[2:]:
        if not line.startswith("|"):
            break
        key, default = (cell.strip().strip("`") for cell in line.strip("|").split("|")[:2])
        documented.append((key, None if default == "—" else default))
    settings = gkh_json(*ADMIN, "admin", "settings", "list")
    assert documented == [(item["key"], item["default"] or None) for item in settings]
