"""gkh doctor: the absolute path a crontab needs, the profile in use and why, the files — without the portal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gkh.commands import doctor
from tests.helpers.cli import gkh, gkh_json

pytestmark = pytest.mark.sqlite_only  # the embedded local:// portal's files, always SQLite


def rows(*args: str, **kwargs) -> dict[str, dict]:
    return {row["item"]: row for row in gkh_json("doctor", *args, **kwargs)}


def test_doctor_says_where_gkh_is_and_what_it_uses(home, tmp_path):
    found = rows()
    assert list(found) == ["version", "executable", "python", "profile", "url", "profiles", "config_file",
                           "credentials_file", "data_folder"]
    assert found["executable"]["value"] == str(Path(sys.executable).parent / "gkh")  # pytest runs it: the venv's
    assert found["executable"]["note"] == "cron's PATH is /usr/bin:/bin: in a crontab write this path, not gkh"
    assert (found["profile"]["value"], found["profile"]["note"]) == ("local", "from default")
    assert (found["url"]["value"], found["url"]["note"]) == ("local://", "from default")
    assert found["config_file"]["value"] == str(tmp_path / "config" / "config.toml")
    assert found["config_file"]["note"] == "none yet (gkh config set makes it)"
    assert (found["data_folder"]["value"], found["data_folder"]["note"]) == (str(home), "holds the local portal")


def test_doctor_says_where_the_profile_comes_from(home):
    assert gkh("--profile", "staff", "config", "set", "url", "http://127.0.0.1:9").exit_code == 0
    assert rows("--profile", "staff")["profile"]["note"] == "from --profile"
    from_env = rows(env={"GKH_PROFILE": "staff"})
    assert from_env["profile"]["note"] == "from GKH_PROFILE"
    assert (from_env["url"]["value"], from_env["url"]["note"]) == ("http://127.0.0.1:9", "from file")
    assert rows()["profiles"]["value"] == "local, staff"


def test_doctor_on_an_unknown_profile_shows_the_rest_and_says_why_last(home):
    result = gkh("doctor", "--profile", "staf")
    assert result.exit_code == 2
    assert result.stdout.splitlines()[1].startswith("executable\t")
    assert result.stderr.startswith('gkh: --profile: there is no profile "staf"; the profiles are local')


def test_doctor_neither_creates_nor_reaches_anything(tmp_path, monkeypatch):
    monkeypatch.setenv("GKH_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    result = gkh("doctor", env={"GKH_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "config").exists()


def test_the_executable_is_the_gkh_being_run(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "gkh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script), "doctor"])
    assert doctor.gkh_executable() == str(script)
    monkeypatch.setenv("PATH", str(script.parent))
    monkeypatch.setattr(sys, "argv", ["gkh", "doctor"])  # started by its bare name: found on PATH
    assert doctor.gkh_executable() == str(script)
    assert not doctor.on_cron_path(str(script))
    assert doctor.on_cron_path("/usr/bin/gkh") and doctor.on_cron_path("/bin/gkh")
