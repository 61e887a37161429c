"""The installed `gkh` binary against a real `gkh server run` subprocess on a free loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS, H1_GUID

pytestmark = pytest.mark.e2e

GKH = str(Path(sys.executable).with_name("gkh"))


@pytest.fixture
def server(home):
    proc = subprocess.Popen([GKH, "server", "run", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=os.environ.copy())
    url = proc.stdout.readline().strip()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def run(*args: str, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([GKH, *args], input=input, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_sign_in_and_work_against_the_http_portal(server):
    assert run("--profile", "remote", "config", "set", "url", server).returncode == 0
    login = run("--profile", "remote", "auth", "login", "--user", "petrova", "--password-stdin",
                input="petrova-demo-2026\n")
    assert login.returncode == 0, login.stderr
    assert "petrova" in login.stderr and login.stdout == ""
    link = run("--profile", "remote", "account", "link", "--house", "ленина 5", "--number", "40187299",
               "--payer", "Петрова", "--json")
    assert link.returncode == 0, link.stderr
    assert json.loads(link.stdout)["account"]["house"]["guid"] == H1_GUID
    listed = run("--profile", "remote", "account", "list")
    assert [line.split("\t")[2] for line in listed.stdout.splitlines()] == ["40187299"]
    status = json.loads(run("--profile", "remote", "auth", "status", "--json").stdout)
    assert status["login"] == "petrova" and status["portal"] == server


def test_the_embedded_portal_with_no_setup_sees_the_same_data(server):
    # The default profile reaches the same database in-process, while the server runs.
    result = run("account", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert [a["els"] for a in json.loads(result.stdout)] == DEMO_RESIDENT_ACCOUNTS


def test_a_stopped_server_is_exit_6(home):
    env = {"GKH_URL": "http://127.0.0.1:9", "GKH_TOKEN": "x", "GKH_RETRIES": "2", "GKH_BACKOFF": "0"}
    result = run("account", "list", env=env)
    assert result.returncode == 6
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
