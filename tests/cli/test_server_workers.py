"""`gkh server run --workers N`: gunicorn's processes serve one portal, say what runs, and answer their own
refusals in the portal's JSON error shape; a database that cannot be used is one line at once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from gkh.errors import ExitCode
from tests.helpers.cli import gkh
from tests.helpers.serving import free_port

GKH = str(Path(sys.executable).with_name("gkh"))


@pytest.fixture
def workers(home):
    """`gkh server run --workers 2 --threads 2` on the home's SQLite portal: (base URL, stderr so far)."""
    log = home / "server.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([GKH, "server", "run", "--port", "0", "--workers", "2", "--threads", "2"],
                                stdout=subprocess.PIPE, stderr=err, text=True, env=os.environ.copy())
    base = proc.stdout.readline().strip()
    assert base.startswith("http://127.0.0.1:"), log.read_text()
    yield base, log, proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


def raw(base: str, request: bytes) -> tuple[str, dict[str, str], dict]:
    """Send bytes as they are; the status line, headers and JSON body of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, json.loads(body)


def test_the_workers_serve_one_portal_and_say_what_runs(workers, home):
    base, log, proc = workers
    ids = {requests.get(f"{base}/api/v1/portal", timeout=10).json()["id"] for _ in range(20)}
    assert len(ids) == 1  # every process answers with the portal's one id, kept in the database
    time.sleep(0.5)
    said = [line for line in log.read_text().splitlines() if line.startswith("gkh: ")]
    assert said == [f"gkh: portal {ids.pop()} from {home / 'portal.sqlite3'}: 2 processes × 2 threads (gunicorn); "
                    "Ctrl-C stops it", f"gkh: receipts: outbox {home / 'outbox'}"]
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    assert "Traceback" not in log.read_text()


def test_gunicorns_own_refusals_are_the_portals_json_errors(workers):
    base = workers[0]
    status, headers, body = raw(base, b"GET /api/v1/portal HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n")
    assert status.startswith("HTTP/1.1 400 ")
    assert headers["content-type"] == "application/json"
    assert body["error"]["code"] == "invalid" and body["error"]["request_id"] == headers["x-request-id"]
    status, _, body = raw(base, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert status.startswith("HTTP/1.1 414 ") and body["error"]["code"] == "uri_too_long"


def test_a_header_over_8_kib_is_the_apps_431_naming_it(workers):
    resp = requests.get(f"{workers[0]}/api/v1/portal", headers={"X-Note": "a" * 9000}, timeout=10)
    assert resp.status_code == 431
    assert resp.json()["error"]["code"] == "headers_too_large" and resp.json()["error"]["field"] == "X-Note"


def test_workers_and_pool_size_must_be_whole_and_positive(home):
    for args in (["--workers", "-1"], ["--pool-size", "0"], ["--threads", "0"]):
        result = gkh("server", "run", "--port", "0", *args)
        assert result.exit_code == ExitCode.USAGE, (args, result.output)


def test_workers_without_gunicorn_say_how_to_get_it(home, monkeypatch):
    monkeypatch.setitem(sys.modules, "gkh.server.workers", None)  # as if gunicorn were not installed
    result = gkh("server", "run", "--port", "0", "--workers", "2")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.strip() == "gkh: --workers needs gunicorn: pip install 'gkh[postgres]'"


def test_a_postgresql_database_that_cannot_be_reached_is_one_line_at_once(home):
    began = time.monotonic()
    result = gkh("server", "users", "--db", f"postgresql://gkh:s3cret@127.0.0.1:{free_port()}/gkh")
    assert time.monotonic() - began < 5  # not the pool's 15 s of trying again
    assert result.exit_code == ExitCode.UNREACHABLE
    line = result.stderr.strip()
    assert "\n" not in line and "s3cret" not in line and "Traceback" not in line
    assert line.startswith("gkh: the portal's database postgresql://gkh:***@127.0.0.1:")
    assert line.endswith("(check --db / GKH_DB, and that the database server runs)")
