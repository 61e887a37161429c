"""Hostile command-line input: what an attacker or a careless user types, one row per case (issue 7).

Each row runs gkh in-process against a copy of the demo portal and checks the exit code, that stderr is one
line without a traceback, and that no control character reaches the terminal raw. A row started with
--debug expects the traceback as well, with the same one line last and the same exit code.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import gkh
from tests.helpers.demo import COLD

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

ESC_TITLE = "\x1b]0;PWNED\x07"  # an OSC sequence that renames the terminal window
LONG = "9" * 100_000
# What a terminal obeys instead of showing: C0 but tab and newline, DEL, C1 (0x9b is CSI), bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
UNREACHABLE = {"GKH_URL": "http://127.0.0.1:1", "GKH_RETRIES": "1"}  # port 1: connection refused at once
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _garbage_db(home: Path, tmp: Path) -> dict:
    (home / "portal.sqlite3").write_bytes(b"this is not a database\x00" * 200)
    for suffix in ("-wal", "-shm"):
        (home / f"portal.sqlite3{suffix}").unlink(missing_ok=True)
    return {}


def _home_is_a_file(home: Path, tmp: Path) -> dict:
    (tmp / "a-file").write_text("not a folder")
    return {"GKH_HOME": str(tmp / "a-file")}


def _home_under_a_file(home: Path, tmp: Path) -> dict:
    (tmp / "a-file").write_text("not a folder")
    return {"GKH_HOME": str(tmp / "a-file" / "gkh")}


def _db_is_a_folder(home: Path, tmp: Path) -> dict:
    (tmp / "other" / "portal.sqlite3").mkdir(parents=True)
    return {"GKH_HOME": str(tmp / "other")}


def _home_read_only(home: Path, tmp: Path) -> dict:
    (tmp / "locked").mkdir(mode=0o500)
    return {"GKH_HOME": str(tmp / "locked" / "gkh")}


def _config(content: str | bytes):
    def write(home: Path, tmp: Path) -> dict:
        folder = Path(os.environ["GKH_CONFIG_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.toml").write_bytes(content if isinstance(content, bytes) else content.encode())
        return {}
    return write


def _config_is_a_folder(home: Path, tmp: Path) -> dict:
    (Path(os.environ["GKH_CONFIG_DIR"]) / "config.toml").mkdir(parents=True)
    return {}


def case(id_, args, code, *, env=None, setup=None, input=None, marks=()):
    return pytest.param(list(args), code, env or {}, setup, input, id=id_, marks=marks)


CASES = [
    # escape sequences, in arguments and echoed back by the portal or by the argument parser (item 4)
    case("esc-meter-echoed-in-404", ["meter", "history", "\x1b[31mX"], 1),
    case("osc-meter-echoed-in-404", ["meter", "history", ESC_TITLE], 1),
    case("c1-csi-meter", ["meter", "history", "\x9b31mX"], 1),
    case("bidi-override-meter", ["meter", "history", "M-\u202e320000"], 1),
    case("esc-unknown-command", ["meter", ESC_TITLE], 2),
    case("esc-option-value", ["meter", "history", "--months", "\x1b[2J", COLD], 2),
    case("esc-els", ["account", "show", "\x1b[2J"], 2),
    case("esc-house-search", ["house", "show", ESC_TITLE], 1),
    case("esc-profile", ["--profile", "\x1b[31m", "meter", "list"], 2),
    case("esc-config-key", ["config", "set", ESC_TITLE, "1"], 2),
    case("esc-config-url", ["config", "set", "url", f"http://portal.example{ESC_TITLE}"], 2),
    case("esc-in-env-url", ["meter", "list"], 2, env={"GKH_URL": f"http://a{ESC_TITLE}b"}),
    # bytes the locale cannot decode: a lone surrogate in argv (item 6)
    case("surrogate-house", ["house", "show", "\udcff"], 2),
    case("surrogate-meter", ["meter", "history", "\udcff"], 2),
    case("surrogate-submit-meter", ["meter", "submit", "\udcff", "1"], 2),
    case("surrogate-address", ["address", "search", "\udcff"], 2),
    case("surrogate-reading", ["meter", "submit", COLD, "1\udcff"], 2),
    case("surrogate-unknown-command", ["\udcff"], 2),
    case("surrogate-env-url", ["meter", "list"], 2, env={"GKH_URL": "http://\udcff"}),
    # portal URLs requests or urllib3 would choke on (item 6), and a 120 KB one (item 10)
    case("url-nul-escape-in-host", ["meter", "list"], 2, env={"GKH_URL": "http://%00"}),
    case("url-nul-escape-with-token", ["meter", "list"], 2, env={"GKH_URL": "http://%00", "GKH_TOKEN": "x"}),
    case("url-control-char", ["meter", "list"], 2, env={"GKH_URL": "http://a\x01b", "GKH_TOKEN": "x"}),
    case("url-empty-label", ["meter", "list"], 2, env={"GKH_URL": "http://a..b", "GKH_TOKEN": "x"}),
    case("url-bad-ipv6", ["meter", "list"], 2, env={"GKH_URL": "http://[::1", "GKH_TOKEN": "x"}),
    case("url-120kb-set", ["config", "set", "url", "http://" + "a" * 120_000 + ".ru"], 2),
    case("url-120kb-env", ["meter", "list"], 2, env={"GKH_URL": "http://" + "a" * 120_000 + ".ru"}),
    case("url-empty-set", ["config", "set", "url", ""], 2),
    case("url-ftp-set", ["config", "set", "url", "ftp://portal.example.ru"], 2),
    # exit codes that lied (item 6)
    case("unknown-host-not-signed-in", ["meter", "list"], 6,
         env={"GKH_URL": "http://gkh-no-such-host.invalid", "GKH_RETRIES": "1"}),
    case("unknown-host-with-token", ["meter", "list"], 6,
         env={"GKH_URL": "http://gkh-no-such-host.invalid", "GKH_RETRIES": "1", "GKH_TOKEN": "x"}),
    case("debug-bad-token", ["--debug", "meter", "list"], 4, env={"GKH_TOKEN": "not-a-token"}),
    case("debug-unreachable", ["--debug", "meter", "list"], 6, env={**UNREACHABLE, "GKH_TOKEN": "x"}),
    case("debug-surrogate", ["--debug", "house", "show", "\udcff"], 2),
    case("debug-not-found-with-esc", ["--debug", "meter", "history", ESC_TITLE], 1),
    # the local portal's store: corrupt, not a folder, a folder where its file should be, unwritable
    case("home-corrupt-db", ["meter", "list"], 6, setup=_garbage_db),
    # option numbers: int() would take other scripts' digits and superscripts
    case("months-arabic-indic", ["meter", "history", COLD, "--months", "١٢"], 2),
    case("months-superscript", ["meter", "history", COLD, "--months", "²"], 2),
    case("limit-fullwidth", ["account", "list", "--limit", "１"], 2),
    case("limit-huge", ["account", "list", "--limit", "9" * 40], 2),
    case("home-corrupt-db-server-users", ["server", "users"], 6, setup=_garbage_db),
    case("home-is-a-file-server-backup", ["server", "backup", "copy.sqlite3"], 6, setup=_home_is_a_file),
    case("home-is-a-file", ["meter", "list"], 6, setup=_home_is_a_file),
    case("home-under-a-file", ["meter", "list"], 6, setup=_home_under_a_file),
    case("home-db-is-a-folder", ["meter", "list"], 6, setup=_db_is_a_folder),
    case("home-read-only", ["meter", "list"], 6, setup=_home_read_only,
         marks=pytest.mark.skipif(ROOT, reason="root may write to a read-only folder")),
    case("home-cannot-be-created", ["meter", "list"], 6, env={"GKH_HOME": "/proc/gkh-home"},
         marks=pytest.mark.skipif(sys.platform != "linux", reason="/proc takes no new folders on Linux only")),
    # the config file: nested 5 000 deep, a folder, not UTF-8, a wrong value
    case("config-nested-5000", ["meter", "list"], 2, setup=_config("a = " + "[" * 5000 + "]" * 5000 + "\n")),
    case("config-is-a-folder", ["meter", "list"], 2, setup=_config_is_a_folder),
    case("config-not-utf8", ["meter", "list"], 2, setup=_config(b"a = '\xff\x1b'\n")),
    case("config-url-with-esc", ["meter", "list"], 2, setup=_config('[profiles.local]\nurl = "http://a\\u001bb"\n')),
    # settings: NaN, Infinity, 1e9, negative, empty, too long
    case("timeout-nan", ["config", "set", "timeout", "NaN"], 2),
    case("timeout-infinity", ["config", "set", "timeout", "Infinity"], 2),
    case("timeout-1e9", ["config", "set", "timeout", "1e9"], 2),
    case("timeout-a-billion", ["config", "set", "timeout", "1000000000"], 2),
    case("timeout-negative", ["config", "set", "timeout", "--", "-5"], 2),
    case("timeout-empty", ["config", "set", "timeout", ""], 2),
    case("retries-long", ["config", "set", "retries", LONG], 2),
    case("profile-long", ["--profile", "p" * 100_000, "meter", "list"], 2),
    case("profile-empty", ["--profile", "", "meter", "list"], 2),
    # meter readings: NaN, 1e9, Infinity, negative, other alphabets, empty, too long
    case("reading-nan", ["meter", "submit", COLD, "NaN"], 2),
    case("reading-1e9", ["meter", "submit", COLD, "1e9"], 2),
    case("reading-infinity", ["meter", "submit", COLD, "Infinity"], 2),
    case("reading-negative", ["meter", "submit", COLD, "--", "-5"], 2),
    case("reading-arabic-digits", ["meter", "submit", COLD, "١٢٣"], 2),
    case("reading-devanagari-digits", ["meter", "submit", COLD, "१२३"], 2),
    case("reading-fullwidth-digits", ["meter", "submit", COLD, "１２３"], 2),
    case("reading-superscript", ["meter", "submit", COLD, "²"], 2),
    case("reading-empty", ["meter", "submit", COLD, ""], 2),
    case("reading-100kb", ["meter", "submit", COLD, LONG], 2),
    case("reading-date-nonsense", ["meter", "submit", COLD, "1", "--date", "31.02.2026"], 2),
    case("reading-date-arabic", ["meter", "submit", COLD, "1", "--date", "٢٠.١١.٢٠٢٦"], 2),
    # identifiers: Latin where Cyrillic is needed, empty, too long
    case("els-latin-letters", ["account", "show", "77EZ532838"], 2),
    case("els-greek-letters", ["account", "show", "77ΕΖ532838"], 2),
    case("els-empty", ["account", "show", ""], 2),
    case("els-100kb", ["account", "show", LONG], 2),
    case("els-option-latin", ["meter", "list", "--account", "77EZH532838"], 2),
    case("meter-empty", ["meter", "history", ""], 2),
    case("meter-100kb", ["meter", "history", LONG], 1),
    case("house-empty", ["house", "show", ""], 2),
    # numbers the parser gets as text
    case("months-nan", ["meter", "history", "--months", "NaN", COLD], 2),
    case("months-1e9", ["meter", "history", "--months", "1e9", COLD], 2),
    case("months-negative", ["meter", "history", "--months", "-1", COLD], 2),
    case("limit-infinity", ["meter", "list", "--limit", "Infinity"], 2),
    case("limit-zero", ["meter", "list", "--limit", "0"], 2),
    case("output-unknown", ["meter", "list", "-o", ESC_TITLE], 2),
]


@pytest.fixture
def signed_in(home):
    """The demo resident signed in beforehand, so the first-use note does not count as an error line."""
    assert gkh("meter", "list").exit_code == 0
    return home


@pytest.mark.parametrize(("args", "code", "env", "setup", "input"), CASES)
def test_hostile_input_is_one_escaped_line_and_the_documented_exit_code(signed_in, tmp_path, args, code, env,
                                                                       setup, input):
    if setup is not None:
        env = {**env, **setup(signed_in, tmp_path)}
    result = gkh(*args, env=env, input=input)
    lines = result.stderr.splitlines()
    assert result.exit_code == code, result.stderr[-2000:]
    assert not RAW_CONTROL.search(result.stdout + result.stderr)
    assert lines and lines[-1].startswith("gkh: ") and "\udcff" not in result.stderr
    if args[0] == "--debug":  # the traceback too, and still the one line and the exit code
        assert "Traceback" in result.stderr
    else:
        assert len(lines) == 1 and "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


HOSTILE_METERS = {"items": [{"id": f"M-1{ESC_TITLE}", "serial\x1b[2J": "С-\x9b31m1", "note": "a\u202eb"}],
                  "next_cursor": None}


@pytest.mark.parametrize("output", [["-o", "table"], ["-o", "csv"], ["-o", "tsv"], [], ["--json"]],
                         ids=["table", "csv", "tsv", "terminal-default", "json"])
def test_a_hostile_portals_data_and_errors_reach_the_terminal_escaped(home, output):
    import responses

    portal = "http://portal.test"
    env = {"GKH_URL": portal, "GKH_TOKEN": "t", "GKH_RETRIES": "1"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        stub.get(f"{portal}/api/v1/portal", json={"id": "p1", "name": f"evil{ESC_TITLE}"})
        stub.get(f"{portal}/api/v1/meters", json=HOSTILE_METERS)
        stub.get(f"{portal}/api/v1/meters/M-1/readings", status=404,
                 json={"error": {"code": "not_found", "message": f"no meter {ESC_TITLE}\x1b[2J here", "field": None}})
        listed = gkh("meter", "list", *output, env=env, tty=not output)
        failed = gkh("meter", "history", "M-1", env=env)
    assert listed.exit_code == 0 and not RAW_CONTROL.search(listed.stdout + listed.stderr)
    assert ("\\u001b]0;PWNED\\u0007" if output == ["--json"] else "\\x1b]0;PWNED\\x07") in listed.stdout
    assert failed.exit_code == 1
    assert failed.stderr == "gkh: no meter \\x1b]0;PWNED\\x07\\x1b[2J here\n"
