"""The options every verb shares: checked while the command line is parsed, and the same everywhere."""

from __future__ import annotations

import sqlite3

import pytest

from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNTS
from tests.helpers.cli import gkh, login
from tests.helpers.demo import COLD

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite


def store_rows(home) -> dict[str, list[tuple]]:
    """What a change by a resident would touch: readings, account links and idempotency keys."""
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("readings", "account_links", "idempotency_keys")}


BAD_OUTPUT_CHANGES = {
    "meter submit": ["meter", "submit", COLD, "2700"],
    "account link": ["--profile", "petrova", "account", "link", "--house", "ленина 5",
                     "--number", DEMO_PETROVA_ACCOUNT.number, "--payer", "Петрова"],
    "account unlink": ["account", "unlink", DEMO_RESIDENT_ACCOUNTS[0], "--yes"],
}


@pytest.mark.parametrize("verb", BAD_OUTPUT_CHANGES)
def test_a_bad_output_format_is_2_and_changes_nothing(home, verb):
    login("petrova", "petrova")
    assert gkh("account", "list").exit_code == 0  # the demo resident signed in beforehand
    before = store_rows(home)
    result = gkh(*BAD_OUTPUT_CHANGES[verb], "-o", "xml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"gkh: Invalid value for '--output' / '-o': 'xml' is not one of table, wide, json, "
                             f"csv, tsv, excel (see: gkh {verb} --help)\n")
    assert store_rows(home) == before


def verbs() -> dict[str, object]:
    """Every verb of gkh by its path ("meter submit"), as Typer built it."""
    import typer

    from gkh.cli import app

    found, todo = {}, [("", typer.main.get_command(app))]
    while todo:
        path, command = todo.pop()
        for name, sub in getattr(command, "commands", {}).items():
            todo.append((f"{path} {name}".strip(), sub))
        if not hasattr(command, "commands"):
            found[path] = command
    return found


SHARED = {"--output": "Output format: table, wide (a table of every column), json, csv, tsv or excel.",
          "--json": "JSON output (the same as -o json).",
          "--limit": "At most this many items (default: all of them).",
          "--dry-run": "Let the portal check everything, and change nothing.",
          "--yes": "Do not ask (required off a terminal)."}


def test_the_shared_options_are_spelt_and_explained_the_same_on_every_verb():
    seen: dict[str, set] = {name: set() for name in SHARED}
    for verb, command in verbs().items():
        for param in command.params:
            for name in SHARED.keys() & set(param.opts):
                seen[name].add((tuple(param.opts), param.help, param.metavar))
    assert seen == {
        "--output": {(("--output", "-o"), SHARED["--output"], "FORMAT")},
        "--json": {(("--json",), SHARED["--json"], None)},
        "--limit": {(("--limit",), SHARED["--limit"], "N")},
        "--dry-run": {(("--dry-run",), SHARED["--dry-run"], None)},
        "--yes": {(("--yes", "-y"), SHARED["--yes"], None)},
    }


def with_option(name: str) -> list[str]:
    return sorted(verb for verb, command in verbs().items() if any(name in p.opts for p in command.params))


def test_data_verbs_take_the_output_options_and_list_verbs_a_limit():
    assert with_option("--output") == with_option("--json") == [
        "account import", "account link", "account list", "account show", "account unlink", "address search",
        "admin bill import", "admin bills import",  # the hidden alias too
        "admin house import", "admin org add", "admin org list",
        "admin owner import", "admin owner list", "admin owners import", "admin owners list",  # the hidden alias too
        "admin period close", "admin period list",
        "admin settings list", "admin user list", "appeal addressees",
        "appeal answer", "appeal list", "appeal send", "appeal show", "appeal take", "appeal topics",
        "appeal withdraw", "auth status",
        "bill list", "bill show", "config list", "doctor", "house show", "meeting file", "meeting list",
        "meeting results", "meeting review", "meeting show", "meeting vote", "meter history", "meter list",
        "meter submit", "outage cancel", "outage change", "outage list", "outage post", "outage show", "pay",
        "payment list", "payment show", "payment wait", "server copy", "server users",
        "wallet show", "wallet top-up"]
    assert with_option("--limit") == ["account list", "address search", "appeal addressees", "appeal list",
                                      "bill list", "meeting list", "meter list", "outage list",
                                      "payment list"]
    assert with_option("--dry-run") == ["account import", "account link", "account unlink", "admin bill import",
                                        "admin bills import", "admin house import",
                                        "admin org add", "admin owner import", "admin owners import",
                                        "admin period close", "admin settings set", "admin user add",
                                        "appeal send",
                                        "meeting file", "meeting vote",
                                        "meter submit", "outage change", "outage post", "pay", "wallet top-up"]
    assert with_option("--yes") == ["account unlink", "appeal withdraw", "outage cancel", "pay", "server reset",
                                    "wallet top-up"]


@pytest.mark.parametrize("verb", with_option("--output"))
def test_every_verb_checks_the_output_format_before_anything_else(home, verb):
    result = gkh(*verb.split(), "-o", "yaml")  # required arguments missing too: the format is named first
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"gkh: Invalid value for '--output' / '-o': 'yaml' is not one of table, wide, json, "
                             f"csv, tsv, excel (see: gkh {verb} --help)\n")


@pytest.mark.parametrize("verb", with_option("--limit"))
@pytest.mark.parametrize("limit", ["0", "١٢", "²", "1e3", "-1"])
def test_every_limit_takes_ascii_digits_from_1(home, verb, limit):
    result = gkh(*verb.split(), "--limit", limit)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("gkh: Invalid value for '--limit': ") and result.stderr.count("\n") == 1


PAYER_PROMPT = "The payer's surname, as printed on the bill: "


def test_prompts_are_wholly_on_stderr_and_the_data_alone_on_stdout(home):
    login("petrova", "petrova")
    result = gkh("--profile", "petrova", "account", "link", "--house", "ленина 5",
                 "--number", DEMO_PETROVA_ACCOUNT.number, "--json", input="\nПетрова\n", tty=True)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("{") and '"status": "linked"' in result.stdout
    assert result.stderr.startswith(PAYER_PROMPT * 2 + "gkh: linked ")  # a blank answer is asked again
    user = gkh("--profile", "x", "auth", "login", "--password-stdin", input="uk-staff\n", tty=True)
    assert (user.exit_code, user.stdout) == (2, "")  # the login was read; stdin then held no password
    assert user.stderr == "Login: gkh: password: empty\n"


@pytest.mark.parametrize("args,line", [
    (["auth", "login"], "--user is required without a terminal"),
    (["auth", "login", "--user", "uk-staff"], "no terminal to ask for the password: pipe it in with --password-stdin"),
    (["account", "link", "--house", "ленина 5", "--number", DEMO_PETROVA_ACCOUNT.number],
     "--payer is required: the payer's surname as printed on the bill (or --last-bill, the total of the account's"
     " last bill)"),
    (["account", "unlink", DEMO_RESIDENT_ACCOUNTS[0]],
     "this needs confirmation: add --yes to run it without a terminal"),
    (["server", "reset"], "reset deletes every account, reading and payment: add --yes to confirm"),
])
@pytest.mark.parametrize("where", ["--no-input at a terminal", "off a terminal"])
def test_nobody_is_asked_with_no_input_or_off_a_terminal(home, args, line, where):
    assert gkh("account", "list").exit_code == 0  # signed in beforehand: the note is not part of the answer
    before = store_rows(home)
    no_input = where.startswith("--no-input")
    result = gkh(*(["--no-input"] if no_input else []), *args, input="y\nПетрова\n", tty=no_input)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"gkh: {line}\n")
    assert store_rows(home) == before


def test_an_unlink_at_a_terminal_asks_and_no_keeps_the_link(home):
    assert gkh("account", "list").exit_code == 0
    before = store_rows(home)
    els = DEMO_RESIDENT_ACCOUNTS[0]
    question = f"Unlink {els}? You will no longer see its bills or submit its readings. [y/N]: "
    kept = gkh("account", "unlink", els, input="n\n", tty=True)
    assert (kept.exit_code, kept.stdout, kept.stderr) == (1, "", f"{question}gkh: cancelled\n")
    ended = gkh("account", "unlink", els, input="", tty=True)
    assert (ended.exit_code, ended.stdout, ended.stderr) == (1, "", f"{question}\ngkh: aborted\n")
    assert store_rows(home) == before
    done = gkh("account", "unlink", els, input="yes\n", tty=True)
    assert (done.exit_code, done.stdout, done.stderr) == (0, "", f"{question}gkh: unlinked {els}\n")


def test_global_options_hold_for_one_invocation_only(home, tmp_path):
    """Many commands run in one process: -q, --no-input and --profile must not carry over to the next one."""
    assert gkh("-q", "server", "backup", str(tmp_path / "one.sqlite3")).stderr == ""
    assert gkh("server", "backup", str(tmp_path / "two.sqlite3")).stderr == \
        f"gkh: portal backed up to {tmp_path / 'two.sqlite3'}\n"
    assert gkh("--no-input", "account", "unlink", DEMO_RESIDENT_ACCOUNTS[0], tty=True).exit_code == 2
    asked = gkh("account", "unlink", DEMO_RESIDENT_ACCOUNTS[0], input="n\n", tty=True)
    assert asked.exit_code == 1 and asked.stderr.endswith("[y/N]: gkh: cancelled\n")
    assert gkh("--profile", "other", "config", "set", "timeout", "12").exit_code == 0
    assert gkh("config", "get", "timeout").stdout == "30\n"


def test_outside_a_command_the_helpers_use_the_defaults(capsys):
    from gkh.commands.common import GlobalOptions, global_options, say

    assert global_options() == GlobalOptions()
    say("gkh: a note")
    assert capsys.readouterr().err == "gkh: a note\n"
