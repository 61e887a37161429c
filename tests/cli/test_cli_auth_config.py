"""Signing in and out, profiles and settings, credentials kept per portal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS
from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.fs import mode


def test_login_with_password_stdin_then_status(home):
    login("staff", "uk-staff")
    status = gkh_json("--profile", "staff", "auth", "status")
    assert status["login"] == "uk-staff" and status["role"] == "staff" and status["profile"] == "staff"
    assert status["portal"] == "local://"
    assert status["expires_at"].startswith("2027-02-18")


def test_a_wrong_password_is_4_and_stores_nothing(home, tmp_path):
    result = gkh("--profile", "x", "auth", "login", "--user", "ivanov", "--password-stdin", input="nope\n")
    assert result.exit_code == 4
    assert "wrong login or password" in result.stderr
    creds = tmp_path / "config" / "credentials.json"
    assert not creds.exists() or "x" not in json.loads(creds.read_text()).get("profiles", {})


def test_login_off_a_terminal_without_password_stdin_is_2(home):
    result = gkh("auth", "login", "--user", "ivanov")
    assert result.exit_code == 2 and "--password-stdin" in result.stderr


def test_credentials_file_and_folder_modes(home, tmp_path):
    login("staff", "uk-staff")
    assert mode(tmp_path / "config" / "credentials.json") == 0o600
    assert mode(tmp_path / "config") == 0o700


def test_the_token_never_appears_in_output(home, tmp_path):
    login("staff", "uk-staff")
    token = next(iter(json.loads((tmp_path / "config" / "credentials.json").read_text())["profiles"]["staff"]
                      .values()))["token"]
    for args in (["auth", "status"], ["auth", "status", "--json"], ["--debug", "account", "list", "--limit", "1"]):
        result = gkh("--profile", "staff", *args)
        assert token not in result.stdout and token not in result.stderr


def test_debug_logs_requests_on_stderr_only(home):
    result = gkh("--debug", "account", "list")
    assert result.exit_code == 0
    assert "GET" in result.stderr and "/api/v1/accounts" in result.stderr
    assert "gkh: debug" not in result.stdout


def test_logout_forgets_the_token_here_and_there(home, tmp_path):
    login("staff", "uk-staff")
    stored = json.loads((tmp_path / "config" / "credentials.json").read_text())["profiles"]["staff"]
    token = next(iter(stored.values()))["token"]
    assert gkh("--profile", "staff", "auth", "logout").exit_code == 0
    after = json.loads((tmp_path / "config" / "credentials.json").read_text())["profiles"].get("staff", {})
    assert after == {}
    result = gkh("account", "list", env={"GKH_TOKEN": token})
    assert result.exit_code == 4 and "auth login" in result.stderr


def test_signs_in_again_by_itself_after_server_reset(home):
    assert gkh("account", "list").exit_code == 0
    assert gkh("server", "reset", "--yes").exit_code == 0
    again = gkh("account", "list")
    assert again.exit_code == 0, again.stderr
    assert [line.split("\t")[0] for line in again.stdout.splitlines()] == DEMO_RESIDENT_ACCOUNTS
    assert "signed in to the local demo portal" in again.stderr


def test_a_token_is_never_sent_to_another_portal(home, http_portal):
    assert gkh("account", "list").exit_code == 0  # a stored token for the local portal
    result = gkh("account", "list", env={"GKH_URL": http_portal})
    assert result.exit_code == 4
    assert "not signed in" in result.stderr and "auth login" in result.stderr


def test_a_profile_on_the_http_portal(home, http_portal):
    assert gkh("--profile", "remote", "config", "set", "url", http_portal).exit_code == 0
    login("remote", "ivanov")
    accounts = gkh_json("--profile", "remote", "account", "list")
    assert [a["els"] for a in accounts] == DEMO_RESIDENT_ACCOUNTS


def test_config_list_shows_each_values_source(home):
    assert gkh("--profile", "p", "config", "set", "timeout", "12").exit_code == 0
    rows = {r["key"]: r for r in gkh_json("--profile", "p", "config", "list", env={"GKH_RETRIES": "2"})}
    assert rows["timeout"] == {"profile": "p", "key": "timeout", "value": 12, "source": "file"}
    assert type(rows["timeout"]["value"]) is int  # a whole number of seconds is written as one: 12, not 12.0
    assert rows["retries"]["source"] == "env"
    assert (rows["url"]["value"], rows["url"]["source"]) == ("local://", "default")
    assert gkh("--profile", "p", "config", "get", "timeout").stdout == "12\n"


def test_config_rejects_unknown_keys_and_bad_values(home):
    unknown = gkh("config", "set", "colour", "red")
    assert unknown.exit_code == 2 and "url" in unknown.stderr
    bad = gkh("config", "set", "timeout", "soon")
    assert bad.exit_code == 2 and "timeout" in bad.stderr


def test_an_unreachable_portal_is_6_in_one_line(home):
    env = {"GKH_URL": "http://127.0.0.1:9", "GKH_TOKEN": "t", "GKH_RETRIES": "2", "GKH_BACKOFF": "0"}
    result = gkh("account", "list", env=env)
    assert result.exit_code == 6
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_help_and_version_import_neither_requests_nor_falcon_nor_the_server():
    for args in (["--help"], ["--version"]):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gkh", *args], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0
        imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                    if "|" in line} | {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
        for heavy in ("requests", "falcon", "gkh.server", "waitress", "tabulate"):
            assert heavy not in imported, f"gkh {' '.join(args)} imported {heavy}"


def test_usage_errors_are_plain_lines(home):
    result = gkh("account", "frobnicate")
    assert result.exit_code == 2
    assert "╭" not in result.stderr and "│" not in result.stderr


def test_login_asks_for_the_password_at_a_terminal_without_echoing_it(home):
    result = gkh("--profile", "staff", "auth", "login", "--user", "uk-staff", input="uk-staff-demo-2026\n", tty=True)
    assert result.exit_code == 0, result.stderr
    assert "Password" in result.stderr
    assert "uk-staff-demo-2026" not in result.stdout + result.stderr
    assert gkh_json("--profile", "staff", "auth", "status")["login"] == "uk-staff"


def test_no_input_never_prompts_even_at_a_terminal(home):
    result = gkh("--no-input", "auth", "login", "--user", "uk-staff", input="uk-staff-demo-2026\n", tty=True)
    assert result.exit_code == 2 and "--password-stdin" in result.stderr


def test_credentials_others_can_read_are_refused_until_a_new_login(home, tmp_path):
    login("staff", "uk-staff")
    creds = tmp_path / "config" / "credentials.json"
    os.chmod(creds, 0o644)
    result = gkh("--profile", "staff", "auth", "status")
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr == (f"gkh: {creds} is open to others (mode 0644): its tokens are not used "
                             f"(run: chmod 600 {creds})\n")
    login("staff", "uk-staff")  # rewriting the file makes it private again
    assert mode(creds) == 0o600
    assert gkh_json("--profile", "staff", "auth", "status")["login"] == "uk-staff"


def test_a_login_on_an_http_portal_records_the_portals_id(home, http_portal, portal, tmp_path):
    assert gkh("--profile", "remote", "config", "set", "url", http_portal).exit_code == 0
    login("remote", "ivanov")
    entries = json.loads((tmp_path / "config" / "credentials.json").read_text())["profiles"]["remote"]
    assert [e["portal_id"] for e in entries.values()] == [portal.portal_id]


# --- profiles: a mistyped name is an error, never the local demo's data (issue 10, item 8)


def test_a_mistyped_profile_is_2_naming_the_profiles_and_shows_nobodys_data(home, tmp_path):
    login("staff", "uk-staff")
    before = (tmp_path / "config" / "credentials.json").read_text()
    result = gkh("--profile", "staf", "account", "list")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ('gkh: --profile: there is no profile "staf"; the profiles are local, staff (to make it: '
                             "gkh --profile staf config set url URL, or gkh --profile staf auth login)\n")
    assert (tmp_path / "config" / "credentials.json").read_text() == before  # nobody was signed in for it


def test_an_unknown_profile_from_gkh_profile_or_the_files_default_is_2_too(home, tmp_path):
    assert gkh("--profile", "remote", "config", "set", "timeout", "5").exit_code == 0
    from_env = gkh("meter", "list", env={"GKH_PROFILE": "remot"})
    assert from_env.exit_code == 2
    assert from_env.stderr.startswith('gkh: GKH_PROFILE: there is no profile "remot"; the profiles are local, remote')
    config = tmp_path / "config" / "config.toml"
    config.write_text('default_profile = "remot"\n' + config.read_text())
    from_file = gkh("meter", "list")
    assert from_file.exit_code == 2
    assert from_file.stderr.startswith(f'gkh: {config}: default_profile: there is no profile "remot"')
    for verb in (["auth", "status"], ["auth", "logout"], ["config", "list"], ["config", "get", "url"],
                 ["config", "unset", "url"]):
        assert gkh("--profile", "nobody", *verb).exit_code == 2, verb


def test_auth_login_and_config_set_make_a_new_profile(home, tmp_path):
    result = gkh("--profile", "staff", "auth", "login", "--user", "uk-staff", "--password-stdin",
                 input="uk-staff-demo-2026\n")
    assert result.exit_code == 0, result.stderr
    assert "on the new profile staff;" in result.stderr
    assert (tmp_path / "config" / "config.toml").read_text() == "[profiles.staff]\n"
    again = gkh("--profile", "staff", "auth", "login", "--user", "uk-staff", "--password-stdin",
                input="uk-staff-demo-2026\n")
    assert "on profile staff;" in again.stderr
    assert gkh("--profile", "remote", "config", "set", "timeout", "5").exit_code == 0
    assert gkh_json("--profile", "remote", "config", "list")[0]["profile"] == "remote"
    failed = gkh("--profile", "typo", "auth", "login", "--user", "uk-staff", "--password-stdin", input="nope\n")
    assert failed.exit_code == 4
    assert "typo" not in (tmp_path / "config" / "config.toml").read_text()  # a failed sign-in makes nothing


# --- global options after the noun and the verb


def test_global_options_after_the_noun_and_verb_mean_what_they_mean_before_it(home):
    login("staff", "uk-staff")
    typo = gkh("account", "list", "--profile", "staf")
    assert typo.exit_code == 2 and 'there is no profile "staf"' in typo.stderr
    assert len(gkh("account", "list", "--limit", "3", "-p", "staff").stdout.splitlines()) == 3
    assert len(gkh("account", "list", "--profile=staff", "--limit", "3").stdout.splitlines()) == 3
    quiet = gkh("meter", "list", "-q")  # the demo resident's first sign-in says so, unless -q
    assert quiet.exit_code == 0 and quiet.stderr == ""
    debug = gkh("account", "--debug", "list")
    assert "gkh: debug: GET" in debug.stderr
    asked = gkh("account", "unlink", DEMO_RESIDENT_ACCOUNTS[0], "--no-input", tty=True)
    assert asked.exit_code == 2 and "--yes" in asked.stderr


def test_an_options_value_and_what_follows_double_dash_stay_where_they_are(home):
    assert gkh("account", "list").exit_code == 0  # signed in beforehand: the note is not part of the answer
    payer = gkh("account", "link", "--house", "ленина 5", "--number", "1", "--payer", "--debug")
    assert payer.exit_code == 1 and payer.stderr.startswith("gkh: no account at")  # "--debug" is the payer given
    assert "gkh: debug:" not in payer.stderr
    value = gkh("config", "set", "url", "--", "--debug")
    assert value.exit_code == 2 and 'got "--debug"' in value.stderr  # the value, not a global option


def test_every_verb_takes_the_global_options_after_it():
    from tests.cli.test_cli_options import verbs

    for verb in verbs():
        *noun, name = verb.split()
        for args in ([*noun, name, "--help", "-q", "--debug", "--no-input", "--profile", "x"],
                     [*noun, "--profile=x", "-q", name, "--help"]):
            result = gkh(*args)
            assert result.exit_code == 0, (args, result.stderr)
            assert result.stdout.startswith(f"Usage: gkh {verb} ") or result.stdout.startswith(f"Usage: gkh {verb}\n")


# --- hints name the profile in use


def test_hints_name_the_profile_in_use(home):
    login("staff", "uk-staff")
    result = gkh("account", "list", "--profile", "staff", env={"GKH_TOKEN": "not-a-token"})
    assert result.exit_code == 4
    assert result.stderr.endswith("(run: gkh --profile staff auth login)\n")
    from_env = gkh("account", "list", env={"GKH_TOKEN": "not-a-token", "GKH_PROFILE": "staff"})
    assert from_env.stderr.endswith("(run: gkh --profile staff auth login)\n")
    first = gkh("--profile", "local", "account", "list")
    assert "`gkh --profile local auth login --user LOGIN` signs in as someone else" in first.stderr


# --- gkh auth logout on the local demo portal sticks (item 9)


def test_logout_from_the_demo_portal_sticks_until_a_login(home):
    assert gkh("account", "list").exit_code == 0  # signed in as the demo resident by itself
    out = gkh("auth", "logout")
    assert (out.exit_code, out.stderr) == (0, "gkh: signed out of the local demo portal (profile local): gkh will "
                                              "not sign its demo resident in by itself until gkh --profile local "
                                              "auth login\n")
    for args in (["account", "list"], ["auth", "status"], ["meter", "submit", "M-000023", "2700"]):
        result = gkh(*args)
        assert (result.exit_code, result.stdout) == (4, ""), args
        assert result.stderr.endswith(
            "not signed in to the local demo portal (profile local): signed out with gkh auth logout "
            "(run: gkh --profile local auth login --user LOGIN; the demo users: gkh server users)\n"), args
        assert "as its demo resident" not in result.stderr and len(result.stderr.splitlines()) == 1
    again = gkh("auth", "logout")
    assert (again.exit_code, again.stderr) == (0, "gkh: not signed in to local:// on profile local\n")
    login("local", "petrova")
    assert gkh_json("auth", "status")["login"] == "petrova"
    assert gkh("auth", "logout").exit_code == 0
    assert gkh("account", "list").exit_code == 4  # signed out again: still no demo resident


def test_logout_before_any_sign_in_sticks_too_and_a_reset_starts_afresh(home):
    assert gkh("auth", "logout").stderr.startswith("gkh: signed out of the local demo portal (profile local)")
    assert gkh("account", "list").exit_code == 4
    assert gkh("server", "reset", "--yes").exit_code == 0  # a new portal: its demo resident signs in again
    fresh = gkh("account", "list")
    assert fresh.exit_code == 0 and "signed in to the local demo portal" in fresh.stderr


def test_logout_from_the_demo_portal_leaves_other_profiles_signed_in(home):
    login("staff", "uk-staff")
    assert gkh("auth", "logout").exit_code == 0
    assert gkh_json("--profile", "staff", "auth", "status")["login"] == "uk-staff"
