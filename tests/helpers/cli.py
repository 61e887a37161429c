"""gkh run in-process as the command-line tests run it, and a profile signed in as a demo user."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gkh.cli import app
from tests.helpers.demo import password_of


def gkh(*args: str, input: str | None = None, tty: bool = False, env: dict | None = None):
    """Run gkh in-process; stdout and stderr apart; the terminal forced on or off."""
    environment = {"GKH_FORCE_TTY": "1" if tty else "0", **(env or {})}
    return CliRunner().invoke(app, list(args), input=input, env=environment)


def gkh_json(*args: str, **kwargs):
    result = gkh(*args, "--json", **kwargs)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def login(profile: str, user: str) -> None:
    result = gkh("--profile", profile, "auth", "login", "--user", user, "--password-stdin",
                 input=password_of(user) + "\n")
    assert result.exit_code == 0, result.stderr
