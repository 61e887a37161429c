"""A closed pipe is not an error: `gkh meter list -o csv | head -2` stops quietly with the command's own exit
code (0 when it succeeded), as the Python docs' recipe for SIGPIPE does, instead of "unexpected error:
BrokenPipeError" and exit 1."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gkh.output import release_closed_stream
from tests.helpers.demo import COLD, POWER

GKH = str(Path(sys.executable).with_name("gkh"))


def run_into_a_closed_pipe(*args: str, stderr_too: bool = False) -> subprocess.CompletedProcess:
    """gkh with its stdout (and stderr, if asked) a pipe whose reader has already gone."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run([GKH, *args], stdout=writer, stderr=writer if stderr_too else subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=120)
    finally:
        os.close(writer)


@pytest.fixture
def signed_in(home):
    """The demo resident signed in beforehand, so the first note on stderr is not part of the answer."""
    assert subprocess.run([GKH, "account", "list"], capture_output=True, timeout=120).returncode == 0
    return home


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [
    ["meter", "list", "-o", "csv"],
    ["meter", "list"],
    ["meter", "list", "--excel"],
    ["account", "list", "--json"],
    ["meter", "history", POWER, "--chart"],
    ["house", "show", "ленина 5", "-o", "table"],
    ["--help"],
], ids=" ".join)
def test_a_reader_that_went_away_is_exit_0_and_no_error(signed_in, args):
    result = run_into_a_closed_pipe(*args)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.sqlite_only
def test_the_commands_own_exit_code_stays_when_nobody_reads(signed_in):
    refused = run_into_a_closed_pipe("meter", "submit", COLD, "1", "--json")  # lower than the previous: 5
    assert refused.returncode == 5 and "lower than the previous" in refused.stderr
    assert run_into_a_closed_pipe("meter", "submit", COLD, "1", stderr_too=True).returncode == 5


@pytest.mark.sqlite_only
def test_head_sees_the_first_lines_and_gkh_exits_0(signed_in):
    pipeline = subprocess.run(["sh", "-c", f'"{GKH}" meter list -o csv | head -2; echo "gkh: $?"'],
                              capture_output=True, text=True, timeout=120)
    lines = pipeline.stdout.splitlines()
    assert lines[0].startswith("id,serial,") and lines[1].startswith(f"{COLD},") and lines[2] == "gkh: 0"
    assert pipeline.stderr == ""


def test_only_stdout_and_stderr_are_pointed_at_devnull():
    assert release_closed_stream(io.StringIO()) is False
    with open(os.devnull, "w") as other:
        assert release_closed_stream(other) is False


def test_a_closed_pipe_met_by_a_write_outside_the_output_module_ends_quietly_too(home):
    """A verb whose own write meets the closed pipe (not through gkh.output) is not an "unexpected error"."""
    code = ("import sys, gkh.commands.doctor as d, gkh.cli\n"
            "def broken(*a, **k): raise BrokenPipeError(32, 'Broken pipe')\n"
            "d.gkh_executable = broken\n"
            "sys.argv = ['gkh', 'doctor']\n"
            "gkh.cli.main()\n")
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run([sys.executable, "-c", code], stdout=writer, stderr=subprocess.PIPE, text=True,
                              timeout=120)
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (0, "")
