"""Profiles and settings: flags > environment > config file > defaults, and the file kept intact."""

from __future__ import annotations

import os
import stat
import tomllib

import pytest

from gkh.config import settings
from gkh.config.settings import (
    KEYS,
    Setting,
    active_profile,
    get_value,
    list_profiles,
    resolve,
    set_default_profile,
    set_value,
    unset_value,
)
from gkh.errors import ExitCode, GkhError


def write_config(folder, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    return folder / "config.toml"


def test_keys_are_listed_in_order_with_env_default_and_help():
    assert list(KEYS) == ["url", "timeout", "retries", "backoff"]
    assert [k.env for k in KEYS.values()] == ["GKH_URL", "GKH_TIMEOUT", "GKH_RETRIES", "GKH_BACKOFF"]
    assert all(k.help for k in KEYS.values())


def test_nothing_configured_gives_the_local_portal_and_defaults(config_dir):
    assert active_profile(None) == "local"
    assert resolve("local") == {
        "url": Setting("url", "local://", "default"),
        "timeout": Setting("timeout", 30, "default"),
        "retries": Setting("retries", 4, "default"),
        "backoff": Setting("backoff", 0.5, "default"),
    }
    assert not config_dir.exists()  # reading never creates anything


def test_flag_beats_env_beats_file_beats_default(config_dir, monkeypatch):
    write_config(config_dir, """
[profiles.staff]
url = "https://file.example.ru/"
timeout = 10
retries = 2
""")
    monkeypatch.setenv("GKH_URL", "https://env.example.ru")
    monkeypatch.setenv("GKH_TIMEOUT", "20")

    got = resolve("staff")

    assert got["url"] == Setting("url", "https://env.example.ru", "env")
    assert got["timeout"] == Setting("timeout", 20, "env")
    assert got["retries"] == Setting("retries", 2, "file")
    assert got["backoff"] == Setting("backoff", 0.5, "default")


def test_each_source_in_turn_for_one_key(config_dir, monkeypatch):
    assert get_value("staff", "backoff").source == "default"
    set_value("staff", "backoff", "0.25")
    assert get_value("staff", "backoff") == Setting("backoff", 0.25, "file")
    monkeypatch.setenv("GKH_BACKOFF", "0")
    assert get_value("staff", "backoff") == Setting("backoff", 0, "env")


def test_a_profile_absent_from_the_file_starts_from_the_defaults(config_dir):
    write_config(config_dir, '[profiles.staff]\nurl = "https://portal.example.ru"\n')
    got = resolve("inspector")
    assert got["url"] == Setting("url", "local://", "default")
    assert {s.source for s in got.values()} == {"default"}


def test_default_profile_from_the_file_then_gkh_profile_then_the_flag(config_dir, monkeypatch):
    write_config(config_dir, 'default_profile = "staff"\n[profiles.staff]\ntimeout = 5\n'
                             '[profiles.inspector]\n[profiles.admin]\n')
    assert active_profile(None) == "staff"
    monkeypatch.setenv("GKH_PROFILE", "inspector")
    assert active_profile(None) == "inspector"
    assert active_profile("admin") == "admin"


@pytest.mark.parametrize("given, source", [("flag", "--profile"), ("env", "GKH_PROFILE"), ("file", "default_profile")])
def test_a_profile_neither_in_the_file_nor_local_is_refused_naming_those_there_are(config_dir, monkeypatch, given,
                                                                                  source):
    path = write_config(config_dir, ('default_profile = "staf"\n' if given == "file" else "")
                        + '[profiles.staff]\nurl = "https://portal.example.ru"\n[profiles.admin]\n')
    if given == "env":
        monkeypatch.setenv("GKH_PROFILE", "staf")
    with pytest.raises(GkhError) as caught:
        active_profile("staf" if given == "flag" else None)
    shown = f"{path}: default_profile" if given == "file" else source
    assert caught.value.message == f'{shown}: there is no profile "staf"; the profiles are admin, local, staff'
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.hint == ("to make it: gkh --profile staf config set url URL, "
                                 "or gkh --profile staf auth login")
    assert active_profile("staf" if given == "flag" else None, new=True) == "staf"  # config set, auth login


def test_local_and_the_files_profiles_need_no_more(config_dir):
    assert active_profile("local") == "local"  # no file at all
    write_config(config_dir, "[profiles.empty]\n")
    assert active_profile("empty") == "empty"
    assert resolve("empty")["url"] == Setting("url", "local://", "default")


def test_add_profile_gives_it_an_empty_table_once(config_dir):
    write_config(config_dir, '[profiles.staff]\ntimeout = 5\n')
    assert settings.add_profile("remote") is True
    assert settings.add_profile("remote") is False
    assert tomllib.loads((config_dir / "config.toml").read_text()) == {
        "profiles": {"staff": {"timeout": 5}, "remote": {}}}
    assert list_profiles() == ["local", "remote", "staff"]


def test_profile_source_says_where_the_profile_comes_from(config_dir, monkeypatch):
    assert settings.profile_source(None) == "default"
    write_config(config_dir, 'default_profile = "staff"\n[profiles.staff]\n')
    assert settings.profile_source(None) == "file"
    monkeypatch.setenv("GKH_PROFILE", "staff")
    assert settings.profile_source(None) == "GKH_PROFILE"
    assert settings.profile_source("staff") == "--profile"


def test_an_empty_gkh_profile_counts_as_unset(monkeypatch):
    monkeypatch.setenv("GKH_PROFILE", "")
    assert active_profile(None) == "local"


@pytest.mark.parametrize("name", ["", "a b", "../etc", "x" * 65, "дом"])
def test_a_bad_profile_name_is_a_usage_error_naming_profile(name):
    with pytest.raises(GkhError) as caught:
        active_profile(name)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message.startswith("--profile must be 1-64 letters, digits, - or _")


def test_a_bad_gkh_profile_names_the_variable(monkeypatch):
    monkeypatch.setenv("GKH_PROFILE", "no good")
    with pytest.raises(GkhError, match=r'^GKH_PROFILE must be .*; got "no good"$'):
        active_profile(None)


@pytest.mark.parametrize("env, raw, message", [
    ("GKH_TIMEOUT", "abc", 'GKH_TIMEOUT must be a positive number of seconds; got "abc"'),
    ("GKH_TIMEOUT", "0", 'GKH_TIMEOUT must be a positive number of seconds; got "0"'),
    ("GKH_TIMEOUT", "nan", 'GKH_TIMEOUT must be a positive number of seconds; got "nan"'),
    ("GKH_RETRIES", "11", 'GKH_RETRIES must be a whole number of attempts from 1 to 10; got "11"'),
    ("GKH_RETRIES", "2.5", 'GKH_RETRIES must be a whole number of attempts from 1 to 10; got "2.5"'),
    ("GKH_BACKOFF", "-1", 'GKH_BACKOFF must be a number of seconds, 0 or more; got "-1"'),
    ("GKH_URL", "ftp://x", 'GKH_URL must be local:// or an http(s) URL; got "ftp://x"'),
])
def test_a_bad_value_from_the_environment_names_the_variable(monkeypatch, env, raw, message):
    monkeypatch.setenv(env, raw)
    with pytest.raises(GkhError) as caught:
        resolve("local")
    assert caught.value.message == message
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_bad_value_from_the_file_names_the_file_and_profile(config_dir):
    path = write_config(config_dir, '[profiles.staff]\nurl = "gopher://old"\n')
    with pytest.raises(GkhError) as caught:
        resolve("staff")
    assert caught.value.message == (
        f'{path}, profile "staff": url must be local:// or an http(s) URL; got "gopher://old"')
    assert caught.value.exit_code == ExitCode.USAGE
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("toml_value", ["true", "-3", "11", '"many"', "4.5"])
def test_bad_retries_in_the_file_are_refused_whatever_their_toml_type(config_dir, toml_value):
    write_config(config_dir, f"[profiles.staff]\nretries = {toml_value}\n")
    with pytest.raises(GkhError, match=r'profile "staff": retries must be a whole number'):
        resolve("staff")


def test_a_good_env_value_stands_in_for_a_bad_one_in_the_file(config_dir, monkeypatch):
    write_config(config_dir, '[profiles.local]\ntimeout = "soon"\n')
    monkeypatch.setenv("GKH_TIMEOUT", "7")
    assert resolve("local")["timeout"] == Setting("timeout", 7, "env")


def test_unknown_keys_in_the_file_are_ignored_when_read(config_dir):
    write_config(config_dir, '[profiles.staff]\ncolour = "always"\nretries = 3\n')
    assert resolve("staff")["retries"] == Setting("retries", 3, "file")


def test_malformed_toml_names_the_file_and_line(config_dir):
    path = write_config(config_dir, 'default_profile = "staff"\n[profiles.staff\nurl = 1\n')
    for call in (lambda: resolve("staff"), lambda: active_profile(None), list_profiles,
                 lambda: set_value("staff", "timeout", "5")):
        with pytest.raises(GkhError) as caught:
            call()
        assert caught.value.exit_code == ExitCode.USAGE
        assert str(path) in caught.value.message
        assert "line 2" in caught.value.message
        assert "\n" not in caught.value.message
    assert path.read_text() == 'default_profile = "staff"\n[profiles.staff\nurl = 1\n'  # never overwritten


def test_a_profiles_entry_that_is_not_a_table_is_malformed(config_dir):
    path = write_config(config_dir, 'profiles = "staff"\n')
    with pytest.raises(GkhError, match="profiles must be a table") as caught:
        resolve("local")
    assert str(path) in caught.value.message


@pytest.mark.parametrize("raw, stored", [
    ("https://Portal.Example.RU/api/", "https://portal.example.ru/api"),
    ("https://portal.example.ru:443/", "https://portal.example.ru"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("local://", "local://"),
    ("LOCAL://", "local://"),
])
def test_urls_are_normalised(raw, stored):
    assert set_value("staff", "url", raw) == Setting("url", stored, "file")
    assert get_value("staff", "url").value == stored


@pytest.mark.parametrize("raw", ["portal.example.ru", "https://", "https://x/?a=1", "https://x:99999",
                                 "file:///etc/passwd", "https://a b"])
def test_bad_urls_are_refused(raw):
    with pytest.raises(GkhError, match=r"^url must be local:// or an http\(s\) URL"):
        set_value("staff", "url", raw)


def test_a_password_in_a_url_is_refused_and_not_echoed():
    with pytest.raises(GkhError) as caught:
        set_value("staff", "url", "https://ivan:s3cret@portal.example.ru")
    assert "s3cret" not in caught.value.message
    assert "user name or password" in caught.value.message


def test_set_and_unset_round_trip_and_keep_other_profiles_intact(config_dir):
    path = write_config(config_dir, """default_profile = "staff"
future_option = true

[profiles.staff]
url = "https://portal.example.ru"
colour = "always"

[profiles.inspector]
timeout = 12
""")
    assert set_value("staff", "timeout", "7.5") == Setting("timeout", 7.5, "file")
    assert set_value("admin", "retries", "2") == Setting("retries", 2, "file")

    document = tomllib.loads(path.read_text())
    assert document == {
        "default_profile": "staff",
        "future_option": True,
        "profiles": {
            "staff": {"url": "https://portal.example.ru", "colour": "always", "timeout": 7.5},
            "inspector": {"timeout": 12},
            "admin": {"retries": 2},
        },
    }
    assert list_profiles() == ["admin", "inspector", "local", "staff"]

    assert unset_value("staff", "timeout") is True
    assert unset_value("staff", "timeout") is False
    assert unset_value("nobody", "url") is False
    assert get_value("staff", "timeout") == Setting("timeout", 30, "default")
    assert tomllib.loads(path.read_text())["profiles"]["inspector"] == {"timeout": 12}
    assert resolve("inspector")["timeout"] == Setting("timeout", 12, "file")


def test_set_creates_a_private_folder_and_leaves_no_temp_files(config_dir):
    set_value("local", "backoff", "0")
    assert stat.S_IMODE(os.stat(config_dir).st_mode) == 0o700
    assert sorted(p.name for p in config_dir.iterdir()) == ["config.toml", "config.toml.lock"]
    assert tomllib.loads((config_dir / "config.toml").read_text()) == {"profiles": {"local": {"backoff": 0}}}


def test_unset_without_a_file_creates_nothing(config_dir):
    assert unset_value("local", "url") is False
    assert not config_dir.exists()


@pytest.mark.parametrize("call", [
    lambda: set_value("local", "colour", "always"),
    lambda: get_value("local", "colour"),
    lambda: unset_value("local", "colour"),
])
def test_an_unknown_key_is_refused_listing_the_valid_keys(call):
    with pytest.raises(GkhError) as caught:
        call()
    assert caught.value.message == 'unknown setting "colour"; valid keys: url, timeout, retries, backoff'
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_refused_value_leaves_the_file_untouched(config_dir):
    path = write_config(config_dir, '[profiles.staff]\ntimeout = 5\n')
    before = path.read_bytes()
    with pytest.raises(GkhError, match=r'^timeout must be a positive number of seconds; got "-1"$'):
        set_value("staff", "timeout", "-1")
    assert path.read_bytes() == before


def test_set_default_profile(config_dir):
    set_value("staff", "url", "https://portal.example.ru")
    set_default_profile("staff")
    assert active_profile(None) == "staff"
    assert (config_dir / "config.toml").read_text().startswith('default_profile = "staff"\n')
    set_default_profile(None)
    assert active_profile(None) == "local"


def test_the_config_folder_is_read_at_call_time(tmp_path, monkeypatch):
    set_value("local", "timeout", "9")
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert get_value("local", "timeout").source == "default"
    assert settings.config_file() == tmp_path / "elsewhere" / "config.toml"


# --- hostile values (issue 7): too long, control characters, hosts that cannot be, a file nested too deeply


def test_a_120_kb_url_is_refused_naming_the_key_and_not_echoed_whole(config_dir):
    with pytest.raises(GkhError) as caught:
        set_value("staff", "url", "http://" + "a" * 120_000 + ".ru")
    assert caught.value.message == 'url must be at most 2048 characters; got "http://' + "a" * 50 + '..."'
    assert caught.value.exit_code == ExitCode.USAGE
    assert not (config_dir / "config.toml").exists()


@pytest.mark.parametrize(("raw", "why"), [
    ("http://portal.example.ru\x1b]0;x\x07", "without spaces or control characters"),
    ("http://portal\u202eur.example", "without spaces or control characters"),
    ("http://\udcff.ru", "without spaces or control characters"),
    ("http://portal.example.ru/a\tb", "without spaces or control characters"),
    ("http://%00", "with a valid host name"),
    ("http://a..b", "with a valid host name"),
    ("http://" + "a" * 64 + ".ru", "with a valid host name"),
    ("http://[fe80::zz]", "must be local:// or an http(s) URL; got"),
])
def test_urls_with_control_characters_or_impossible_hosts_are_refused(raw, why):
    with pytest.raises(GkhError, match=r"^url must be local:// or an http\(s\) URL") as caught:
        set_value("staff", "url", raw)
    assert why in caught.value.message
    assert "\x1b" not in caught.value.message  # quoted as JSON: \u001b


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("timeout", "1000000000", 'timeout must be at most 3600 seconds; got "1000000000"'),
    ("backoff", "86400", 'backoff must be at most 3600 seconds; got "86400"'),
    ("retries", "9" * 5000, 'retries must be at most 2048 characters; got "' + "9" * 57 + '..."'),
    ("timeout", "1e9", 'timeout must be a positive number of seconds; got "1e9"'),
    ("timeout", "Infinity", 'timeout must be a positive number of seconds; got "Infinity"'),
])
def test_numbers_too_large_to_mean_anything_are_refused(key, raw, message):
    with pytest.raises(GkhError) as caught:
        set_value("staff", key, raw)
    assert caught.value.message == message


def test_a_config_file_nested_5000_deep_is_a_one_line_usage_error(config_dir):
    path = write_config(config_dir, "a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(GkhError) as caught:
        resolve("local")
    assert caught.value.message == f"{path} is not valid TOML: nested too deeply"
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_folder_in_place_of_the_config_file_is_a_usage_error(config_dir):
    (config_dir / "config.toml").mkdir(parents=True)
    with pytest.raises(GkhError) as caught:
        active_profile(None)
    assert caught.value.message == f"{config_dir / 'config.toml'} is a folder, not a config file"
    assert caught.value.exit_code == ExitCode.USAGE
