"""Start-up cost of the commands people and cron run most, against a baseline, in one run.

    python benchmarks/startup.py [--runs 15]

Prints the median wall time of each command (a fresh process every run) and its ratio to
`python -c "import requests"`. The embedded portal is created once before timing starts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(argv: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    gkh = shutil.which("gkh") or str(Path(sys.executable).with_name("gkh"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GKH_HOME": f"{tmp}/home", "GKH_CONFIG_DIR": f"{tmp}/config"}
        subprocess.run([gkh, "meter", "submit", "M-000023", "2700"], env=env, capture_output=True, check=True)
        # (that first run created the portal: what follows times a warm one)
        cases = {
            'python -c "import requests"': [sys.executable, "-c", "import requests"],
            "gkh --version": [gkh, "--version"],
            "gkh --help": [gkh, "--help"],
            "gkh account list --json (embedded)": [gkh, "account", "list", "--json"],
            "gkh meter submit (embedded, unchanged)": [gkh, "meter", "submit", "M-000023", "2700"],
        }
        results = {name: median_seconds(argv, env, args.runs) for name, argv in cases.items()}
    baseline = results['python -c "import requests"']
    print(f"median of {args.runs} runs each, one process per run")
    for name, seconds in results.items():
        print(f"{name:42} {seconds * 1000:8.1f} ms   {seconds / baseline:5.2f}× import requests")


if __name__ == "__main__":
    main()
