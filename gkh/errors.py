"""Errors the command line reports as one line and an exit code."""

from __future__ import annotations


class ExitCode:
    """The documented exit codes (README, "Exit codes")."""

    OK = 0
    ERROR = 1
    USAGE = 2
    BATCH_ROWS_FAILED = 3
    AUTH = 4
    REFUSED = 5
    UNREACHABLE = 6
    PENDING = 7
    INTERRUPTED = 130


class GkhError(Exception):
    """Something the user should read: one line, naming the field, and the exit code to leave with."""

    def __init__(self, message: str, exit_code: int = ExitCode.ERROR, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint
