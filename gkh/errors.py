"""Errors the command line reports as one line, and the one table of exit codes."""

from __future__ import annotations

from gkh.i18n import _


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
        (portal.AuthenticationError, ExitCode.AUTH, _("run: {command}").format(command=f"{gkh} auth login")),
        (portal.PermissionDenied, ExitCode.AUTH,
         _("check who is signed in: {command}").format(command=f"{gkh} auth status")),
        (portal.NotFound, ExitCode.ERROR, None),
        (portal.Refused, ExitCode.REFUSED, None),
        (portal.Unreachable, ExitCode.UNREACHABLE,
         _("check the portal's URL: {command}").format(command=f"{gkh} config get url")),
        (portal.PortalUnusable, ExitCode.UNREACHABLE, _("check GKH_HOME, or restore the folder from a backup")),
        (portal.ServerError, ExitCode.UNREACHABLE, None),
    ]
    if isinstance(error, portal.PortalUnusable) and error.code == DATABASE_UNUSABLE:
        return _line(error.message, error.field, _("check --db / GKH_DB, and that the database server runs")), \
            ExitCode.UNREACHABLE
    if isinstance(error, portal.PermissionDenied) and error.code == PASSWORD_CHANGE_REQUIRED:
        return set_password_line(gkh), ExitCode.AUTH
    if isinstance(error, portal.NotFound) and (hint := not_found_hint(error.code, error.details, gkh)):
        return _line(error.message, error.field, hint), ExitCode.ERROR
    for kind, code, hint in table:
        if isinstance(error, kind):
            return _line(error.message, error.field, hint), code
    return _line(error.message, error.field, None), ExitCode.ERROR


PASSWORD_CHANGE_REQUIRED = "password_change_required"  # signed in with a one-time password: set one's own first


def set_password_line(gkh: str = "gkh") -> str:
    """What a user signed in with a one-time password is told, wherever they are stopped."""
    return _("set your own password now: {command}").format(command=f"{gkh} auth password")


SUGGESTIONS_SHOWN = 5


def not_found_hint(code: str, details: object, gkh: str = "gkh") -> str | None:
    """What to try after a 404 the portal names (`gkh` is how the hint's commands begin): the meters or bills there are,
    or the nearest houses an address search found instead (its error's details.suggestions)."""
    listed = {"meter_not_found": "meter list", "bill_not_found": "bill list",  # where the caller's are listed
              "payment_not_found": "payment list", "meeting_not_found": "meeting list",
              "appeal_not_found": "appeal list", "outage_not_found": "outage list"}
    if code == "receipt_not_found":  # a pending or declined payment has none: its status says which
        return _("a receipt comes once a payment succeeded; see: {command}").format(command=f"{gkh} payment list")
    if code in listed:
        return _("run: {command}").format(command=f"{gkh} {listed[code]}")
    if code != "house_not_found":
        return None
    suggestions = details.get("suggestions") if isinstance(details, dict) else None
    addresses = [" ".join(str(house.get("address", "")).split()) for house in suggestions or []
                 if isinstance(house, dict)]
    addresses = [address for address in addresses if address][:SUGGESTIONS_SHOWN]
    if addresses:
        return _("did you mean: {addresses}").format(addresses="; ".join(addresses))
    command = f'{gkh} address search "<street> <number>"'
    if suggestions is not None:  # a search's, or a GUID's
        return _("try fewer words, or find the house: {command}").format(command=command)
    return _("find the house: {command}").format(command=command)


def _line(message: str, field: str | None, hint: str | None) -> str:
    """Name the field when the message does not already; the next step goes last."""
    line = " ".join(message.split())
    if field and field not in line:
        line = _("{field}: {message}").format(field=field, message=line)
    if hint:
        line = _("{message} ({hint})").format(message=line, hint=hint)
    return line
