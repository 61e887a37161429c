"""Shell completion: the scripts in completions/ are what `gkh completion SHELL` prints, and they work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import gkh

COMPLETIONS = Path(__file__).resolve().parents[2] / "completions"
GKH = str(Path(sys.executable).with_name("gkh"))


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_shipped_scripts_are_current(shell):
    result = gkh("completion", shell)
    assert result.exit_code == 0
    assert (COMPLETIONS / f"gkh.{shell}").read_text() == result.stdout, \
        f"regenerate: gkh completion {shell} > completions/gkh.{shell}"


def test_an_unknown_shell_is_2():
    result = gkh("completion", "tcsh")
    assert result.exit_code == 2 and "bash, zsh, fish" in result.stderr


@pytest.mark.parametrize("words,cword,expected", [("gkh acc", 1, "account"), ("gkh meter su", 2, "submit"),
                                                  ("gkh account list --js", 3, "--json")])
def test_bash_completes_nouns_verbs_and_options(words, cword, expected):
    env = {**os.environ, "_GKH_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    proc = subprocess.run([GKH], env=env, capture_output=True, text=True, timeout=60)
    assert expected in proc.stdout.split()
