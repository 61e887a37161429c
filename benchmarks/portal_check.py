"""What asking the portal for its id costs a command over HTTP, in one run.

    python benchmarks/portal_check.py [--runs 15]

A stored token is sent only after `GET /api/v1/portal` says it is the portal that issued it; a token
given in GKH_TOKEN is sent as is. Both run `gkh account list --json` against `gkh server run` on
loopback (a fresh process each time), so the difference is that one extra request.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from startup import median_seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    gkh = str(Path(sys.executable).with_name("gkh"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GKH_HOME": f"{tmp}/home", "GKH_CONFIG_DIR": f"{tmp}/config", "GKH_PROFILE": "bench"}
        server = subprocess.Popen([gkh, "server", "run", "--port", "0"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        try:
            url = server.stdout.readline().strip()
            subprocess.run([gkh, "config", "set", "url", url], env=env, check=True, stderr=subprocess.DEVNULL)
            subprocess.run([gkh, "auth", "login", "--user", "ivanov", "--password-stdin"], env=env, check=True,
                           input="ivanov-demo-2026\n", text=True, stderr=subprocess.DEVNULL)
            token = requests.post(f"{url}/api/v1/auth/token", json={"login": "ivanov", "password": "ivanov-demo-2026"},
                                  timeout=10).json()["token"]
            checked = median_seconds([gkh, "account", "list", "--json"], env, runs)
            given = median_seconds([gkh, "account", "list", "--json"], {**env, "GKH_TOKEN": token}, runs)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"median of {runs} runs each, one process per run, gkh server run on loopback")
    print(f"stored token, portal id checked first   {checked * 1000:7.1f} ms")
    print(f"GKH_TOKEN, sent as is                   {given * 1000:7.1f} ms   "
          f"(the check costs {(checked - given) * 1000:.1f} ms, {checked / given:.2f}×)")


if __name__ == "__main__":
    main()
