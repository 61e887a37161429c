"""The client loads the server only for local://: importing it must not pull in the server or Falcon."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_importing_the_client_does_not_import_the_server_or_falcon():
    modules = loaded_after("import gkh.client.api")
    assert "requests" in modules
    assert not {m for m in modules if m == "falcon" or m.startswith(("falcon.", "gkh.server", "waitress", "typer"))}


def test_the_errors_import_nothing_heavy():
    modules = loaded_after("import gkh.client.errors")
    assert not {m for m in modules if m.split(".")[0] in ("requests", "urllib3", "falcon", "typer")}
    assert not {m for m in modules if m.startswith("gkh.server")}
