"""Errors the command line reports as one line, and the one table of exit codes."""

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


DATABASE_UNUSABLE = "database_unusable"  # a server command's PostgreSQL database, not the data folder's file


def describe_error(error: Exception, profile: str | None = None) -> tuple[str, int] | None:
    """The one line and exit code for an error the user should see; None for a bug. The hints' commands name
    `profile`, the profile in use, when it is known."""
    from gkh.client import errors as portal
    from gkh.domain.errors import InvalidInput

    gkh = f"gkh --profile {profile}" if profile else "gkh"

    if isinstance(error, GkhError):
        return _line(error.message, None, error.hint), error.exit_code
    if isinstance(error, InvalidInput):
        return _line(error.message, error.field, None), ExitCode.USAGE
    if not isinstance(error, portal.PortalError):
        return None
    table: list[tuple[type, int, str | None]] = [
        (portal.InvalidRequest, ExitCode.USAGE, None),
        (portal.AuthenticationError, ExitCode.AUTH, f"run: {gkh} auth login"),
        (portal.PermissionDenied, ExitCode.AUTH, f"check who is signed in: {gkh} auth status"),
        (portal.NotFound, ExitCode.ERROR, None),
        (portal.Refused, ExitCode.REFUSED, None),
        (portal.Unreachable, ExitCode.UNREACHABLE, f"check the portal's URL: {gkh} config get url"),
        (portal.PortalUnusable, ExitCode.UNREACHABLE, "check GKH_HOME, or restore the folder from a backup"),
        (portal.ServerError, ExitCode.UNREACHABLE, None),
    ]
    if isinstance(error, portal.PortalUnusable) and error.code == DATABASE_UNUSABLE:
        return _line(error.message, error.field, "check --db / GKH_DB, and that the database server runs"), \
            ExitCode.UNREACHABLE
    if isinstance(error, portal.NotFound) and (hint := not_found_hint(error.code, error.details, gkh)):
        return _line(error.message, error.field, hint), ExitCode.ERROR
    for kind, code, hint in table:
        if isinstance(error, kind):
            return _line(error.message, error.field, hint), code
    return _line(error.message, error.field, None), ExitCode.ERROR


SUGGESTIONS_SHOWN = 5


def not_found_hint(code: str, details: object, gkh: str = "gkh") -> str | None:
    """What to try after a 404 the portal names (`gkh` is how the hint's commands begin): the meters there are,
    or the nearest houses an address search found instead (its error's details.suggestions)."""
    if code == "meter_not_found":
        return f"run: {gkh} meter list"
    if code != "house_not_found":
        return None
    suggestions = details.get("suggestions") if isinstance(details, dict) else None
    addresses = [" ".join(str(house.get("address", "")).split()) for house in suggestions or []
                 if isinstance(house, dict)]
    addresses = [address for address in addresses if address][:SUGGESTIONS_SHOWN]
    if addresses:
        return "did you mean: " + "; ".join(addresses)
    find = f'find the house: {gkh} address search "<street> <number>"'
    return f"try fewer words, or {find}" if suggestions is not None else find  # a search's, or a GUID's


def _line(message: str, field: str | None, hint: str | None) -> str:
    """Name the field when the message does not already; the next step goes last."""
    line = " ".join(message.split())
    if field and field not in line:
        line = f"{field}: {line}"
    if hint:
        line += f" ({hint})"
    return line
