"""What every verb shares: the global options, the output options, and the signed-in client.

Nothing here imports requests or the server at the top: a verb builds its client when it runs,
so `gkh --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gkh.errors import DATABASE_UNUSABLE, ExitCode, GkhError
from gkh.i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable

    from gkh.client.api import Client
    from gkh.output import Columns
    from gkh.server.local import Portal

@dataclass(frozen=True)
class GlobalOptions:
    """The options given before the noun (Typer takes callback options only there), kept on ctx.obj."""

    profile: str | None = None
    debug: bool = False
    no_input: bool = False
    quiet: bool = False


def global_options() -> GlobalOptions:
    """The global options of the command being run, from Typer's context (the defaults outside a command)."""
    from typer._click.globals import get_current_context  # Typer vendors click and does not re-export this

    ctx = get_current_context(silent=True)
    options = ctx.find_object(GlobalOptions) if ctx is not None else None
    return options if options is not None else GlobalOptions()


def whole_number(low: int, high: int | None = None):
    """An option's parser for a whole number in [low, high], ASCII digits only (int() takes '١٢' and '²')."""

    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            raise typer.BadParameter(_("{text} is not a whole number").format(text=repr(text)))
        if int(text) < low or (high is not None and int(text) > high):
            raise typer.BadParameter(_("{text} is not in the range {low}…{high}").format(text=text, low=low, high=high)
                                     if high else _("{text} is below {low}").format(text=text, low=low))
        return int(text)

    return parse


def output_choice(text: str) -> str:
    """-o's parser: a bad format is a usage error while parsing, before the verb changes anything."""
    from gkh.output import FORMATS

    if text not in FORMATS:
        raise typer.BadParameter(_("{text} is not one of {formats}").format(text=repr(text),
                                                                            formats=", ".join(FORMATS)))
    return text


# The options the data verbs repeat, defined once so that each means (and says) the same on every verb.
Output = Annotated[str | None, typer.Option("--output", "-o", parser=output_choice, metavar="FORMAT",
                                            help="Output format: table, wide (a table of every column), json, "
                                                 "csv, tsv or excel.")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON output (the same as -o json).")]
Wide = Annotated[bool, typer.Option("--wide", help="A table of every column, none cut (the same as -o wide).")]
Excel = Annotated[bool, typer.Option("--excel", help="CSV as Excel opens it: BOM, semicolons, decimal commas "
                                                     "(the same as -o excel).")]
Header = Annotated[bool, typer.Option("--header", help="A header row on tab-separated output too.")]
Limit = Annotated[int | None, typer.Option("--limit", parser=whole_number(1), metavar="N",
                                           help="At most this many items (default: all of them).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Let the portal check everything, and change nothing.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required off a terminal).")]


@dataclass(frozen=True)
class OutputChoice:
    """What a verb's output options asked for: a format (None: a table on a terminal, else tab-separated
    rows) and whether tab-separated rows get a header."""

    format: str | None = None
    header: bool = False

    @classmethod
    def of(cls, output: str | None = None, as_json: bool = False, wide: bool = False, excel: bool = False,
           header: bool = False) -> OutputChoice:
        """--json, then --excel, win over -o; --wide widens a table (-o table or none) and means nothing to
        the other formats, which always have every column."""
        chosen: str | None
        if as_json:
            chosen = "json"
        elif excel:
            chosen = "excel"
        elif output in (None, "table") and wide:
            chosen = "wide"
        else:
            chosen = output
        return cls(chosen, header)

    @property
    def asked(self) -> bool:
        """Whether any output option was given: a verb quiet by default (meter submit off a terminal, account
        link) prints its result only then."""
        return self.format is not None or self.header


DEFAULT_OUTPUT = OutputChoice()

# The output options each verb that prints data takes, in this order, with their defaults.
_OUTPUT_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("output", Output, None), ("as_json", AsJson, False), ("wide", Wide, False), ("excel", Excel, False),
    ("header", Header, False))


def output_options(verb: Callable[..., None]) -> Callable[..., None]:
    """Give a verb the output options (-o, --json, --wide, --excel, --header), all in one place, as
    sqlite-utils' output decorator does: the verb declares `output: OutputChoice = DEFAULT_OUTPUT` and is
    given what they asked for. Put it under `@app.command(...)`."""
    import functools
    import inspect

    signature = inspect.signature(verb, eval_str=True)
    if "output" not in signature.parameters:
        raise TypeError(f"{verb.__name__} has no `output: OutputChoice` parameter for its output options")
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name != "output":
            parameters.append(parameter)
            continue
        parameters += [inspect.Parameter(name, parameter.kind, default=default, annotation=option)
                       for name, option, default in _OUTPUT_OPTIONS]

    @functools.wraps(verb)
    def with_output_options(*args: Any, **kwargs: Any) -> None:
        chosen = OutputChoice.of(*(kwargs.pop(name) for name, _, _ in _OUTPUT_OPTIONS))
        verb(*args, output=chosen, **kwargs)

    # Typer reads a verb's options from its signature: the wrapper shows the five options instead of `output`.
    with_output_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_output_options.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_output_options


def show(data: Any, columns: Columns, output: OutputChoice, *, empty: str | None = None) -> None:
    """Render a verb's data with its noun's columns as the output options asked; `empty` is said on a terminal
    when a list is empty."""
    from gkh.output import render

    render(data, fmt=output.format, columns=columns, header=output.header, empty=empty)


def say(text: str) -> None:
    """A note for the person at the keyboard, on stderr; -q silences it."""
    if not global_options().quiet:
        from gkh.output import message

        message(text)


def warn(text: str) -> None:
    """A warning on stderr (a suspicious jump, files open to others): never silenced, even by -q."""
    from gkh.output import warn as warning

    warning(text)


def can_prompt() -> bool:
    """Whether a person may be asked: stdin is a terminal (or GKH_FORCE_TTY says so) and --no-input is off."""
    from gkh.output import is_terminal

    return not global_options().no_input and is_terminal(sys.stdin)


def ask(question: str, *, unable: str, secret: bool = False) -> str:
    """Ask a person for a value on stderr; when nobody may be asked, a usage error saying `unable`."""
    if not can_prompt():
        raise GkhError(unable, ExitCode.USAGE)
    if secret:  # typed unseen (getpass), the question on stderr, never stdout; Ctrl-C there is exit 130 too
        from typer._click import termui  # Typer vendors click: its test runner stands in for this function

        from gkh.output import printable

        sys.stderr.write(printable(f"{question}: "))
        sys.stderr.flush()
        try:
            return termui.hidden_prompt_func("")
        except EOFError:
            sys.stderr.write("\n")
            raise typer.Abort() from None
    while not (answer := _typed_line(f"{question}: ").strip()):
        pass
    return answer


def confirm(question: str, yes: bool, *, unable: str | None = None) -> None:
    """Ask before a destructive step; when nobody may be asked (no terminal, --no-input), --yes is required.
    Yes is y/yes/д/да, in either language; anything else (no is the default) cancels."""
    from gkh.i18n import is_yes, yes_no_hint

    if yes:
        return
    if not can_prompt():
        raise GkhError(unable or _("this needs confirmation: add --yes to run it without a terminal"), ExitCode.USAGE)
    if not is_yes(_typed_line(f"{question} {yes_no_hint()}: ")):
        raise GkhError(_("cancelled"), ExitCode.ERROR)


def _typed_line(prompt: str) -> str:
    """One line typed at the prompt, the prompt wholly on stderr (click's prompts put their last character on
    stdout, into the data)."""
    from gkh.output import printable

    sys.stderr.write(printable(prompt))
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:  # end of input: "gkh: aborted", as at click's prompts, on a line of its own
        sys.stderr.write("\n")
        raise typer.Abort()
    return line.rstrip("\r\n")


PROFILE_IN_USE = "gkh.profile"  # the key in Typer's context meta under which the runtime leaves its profile


def profile_in_use() -> str | None:
    """The profile the command being run resolved (None before it did): what hints name."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    return ctx.meta.get(PROFILE_IN_USE) if ctx is not None else None


def gkh_of_profile() -> str:
    """How a hint's command begins: `gkh`, with the profile in use when it is known (`gkh --profile staff`)."""
    profile = profile_in_use()
    return f"gkh --profile {profile}" if profile else "gkh"


class Runtime:
    """The active profile's settings, the portal's clock reading, and a client — each built on first use.

    `new_profile` lets the profile be one the config file does not have yet (the verbs that make one)."""

    def __init__(self, options: GlobalOptions | None = None, *, new_profile: bool = False):
        self.options = options if options is not None else GlobalOptions()
        self.new_profile = new_profile

    @cached_property
    def profile(self) -> str:
        from typer._click.globals import get_current_context

        from gkh.config.settings import active_profile

        name = active_profile(self.options.profile, new=self.new_profile)
        if (ctx := get_current_context(silent=True)) is not None:
            ctx.meta[PROFILE_IN_USE] = name  # for the hints of errors raised past this point
        return name

    @cached_property
    def settings(self) -> dict:
        from gkh.config.settings import resolve

        return resolve(self.profile)

    @cached_property
    def now(self) -> datetime:
        from gkh.clock import current_now
        from gkh.domain.errors import InvalidInput

        try:
            return current_now()
        except InvalidInput as error:
            raise GkhError(error.message, ExitCode.USAGE) from None

    @property
    def url(self) -> str:
        return str(self.settings["url"].value)

    @property
    def is_local(self) -> bool:
        from gkh.config.settings import LOCAL_URL

        return self.url == LOCAL_URL

    def anonymous_client(self) -> Client:
        from gkh.client.api import Client, RetryPolicy

        timeout = float(self.settings["timeout"].value)
        retry = RetryPolicy(attempts=int(self.settings["retries"].value), backoff=float(self.settings["backoff"].value))
        log = _debug_log if self.options.debug else None
        if self.is_local:  # the composition root of the embedded portal: the client itself never loads the server
            portal = self.local_portal
            if os.environ.get("GKH_FAULTS") and portal.faults is None:
                said = portal.inject_faults(os.environ["GKH_FAULTS"], "GKH_FAULTS")
                warn(_("GKH_FAULTS is set: the embedded portal fails on purpose ({faults})").format(faults=said))
            return Client.in_process(portal.app, portal.portal_id, on_close=portal.close, timeout=timeout,
                                     retry=retry, log=log)
        return Client(self.url, timeout=timeout, retry=retry, log=log)

    @cached_property
    def local_portal(self) -> Portal:
        """The embedded portal under the data folder, opened (created with its demo world on first use)."""
        from gkh.paths import data_home

        home = data_home()
        self.check_data_home(home)
        return open_local_portal(home, self.now)

    def server_portal(self, db: str | None, *, pool_size: int = 4) -> Portal:
        """The portal a `gkh server` command looks after: the database --db / GKH_DB names (a SQLite file's
        path or a `postgresql://` URL, with a pool of `pool_size` connections), else the embedded portal
        under the data folder."""
        if not db:
            return self.local_portal
        return open_portal_at(db, self.now, pool_size=pool_size)

    def check_data_home(self, home: Path) -> None:
        """One warning, once per command, when the data folder or the portal's files are open to others.
        Opening the portal makes its files private; the folder is tightened only if it is gkh's default one."""
        if self.__dict__.get("_home_checked"):
            return
        self._home_checked = True
        from gkh.config._files import is_own_folder
        from gkh.paths import default_data_home, open_to_others, portal_db, portal_files

        loose = {p: _mode(p) for p in [home, *portal_files(portal_db(home))] if open_to_others(p)}
        if not loose:
            return
        parts, step = [], ""
        if folder_mode := loose.pop(home, None):
            if is_own_folder(home, default_data_home()) and _chmod(home, folder_mode & ~0o077):
                parts.append(f"the data folder {home} was open to others ({folder_mode:04o}): made it private")
            else:  # a folder the user chose may be shared on purpose: theirs to change
                parts.append(f"the data folder {home} is open to others ({folder_mode:04o})")
                step = f"; run: chmod 700 {home}"
        if loose:
            files = ", ".join(f"{p.name} ({m:04o})" for p, m in loose.items())
            parts.append(f"the portal's files {files} were open to others: made them private")
        warn("; ".join(parts) + step)

    @cached_property
    def client(self) -> Client:
        """A client signed in: GKH_TOKEN, else the token stored for this profile and portal, else —
        on a local demo portal only — the demo resident, signed in here and said so once."""
        client = self.anonymous_client()
        if token := os.environ.get("GKH_TOKEN"):
            client.set_token(token)  # given for this run: sent as is
            return client
        from gkh.config.credentials import CredentialStore

        # Ask who answers at the URL before looking for a token: an unreachable portal is exit 6, not 4.
        here = None if self.is_local else self.remote_portal_id(client)
        store = CredentialStore()
        stored = store.get(self.profile, client.portal_key)
        if stored is not None:
            if not self.is_local and (stored.portal_id is None or stored.portal_id != here):
                raise GkhError(_("the portal at {url} (id {here}) is not the one this token was issued by (id "
                                 "{issuer}): the token was not sent").format(url=self.url, here=_short(here),
                                                                             issuer=_short(stored.portal_id)),
                               ExitCode.AUTH, hint=self._sign_in_hint())
            client.set_token(stored.token)
        elif self.is_local and self.local_portal.is_demo:
            if store.is_signed_out(self.profile, client.portal_key):  # `gkh auth logout` sticks
                raise GkhError(_("not signed in to the local demo portal (profile {profile}): signed out with "
                                 "gkh auth logout").format(profile=self.profile), ExitCode.AUTH,
                               hint=_("run: {command}; the demo users: gkh server users").format(
                                   command=f"gkh --profile {self.profile} auth login --user LOGIN"))
            self._sign_in_demo_resident(client)
        else:
            raise GkhError(_("not signed in to {url} (profile {profile})").format(url=self.url, profile=self.profile),
                           ExitCode.AUTH, hint=self._sign_in_hint())
        return client

    def _sign_in_hint(self) -> str:
        return _("run: {command}").format(command=f"gkh --profile {self.profile} auth login")

    def remote_portal_id(self, client: Client) -> str | None:
        """The id the portal at the URL gives (public GET /portal), asked once per run; None if it gives none."""
        if "_remote_portal_id" not in self.__dict__:
            info = client.portal_info()
            portal_id = info.get("id") if isinstance(info, dict) else None
            self._remote_portal_id = portal_id if isinstance(portal_id, str) and portal_id else None
        return self._remote_portal_id

    def _sign_in_demo_resident(self, client: Client) -> None:
        signed_in = self.local_portal.sign_in_demo_resident(self.now)
        self.keep_sign_in(client, signed_in)
        say(_("gkh: signed in to the local demo portal as its demo resident ({login}); `{command}` signs in as "
              "someone else").format(login=signed_in["user"]["login"],
                                     command=f"gkh --profile {self.profile} auth login --user LOGIN"))

    def keep_sign_in(self, client: Client, signed_in: dict, portal_id: str | None = None) -> None:
        """Store what a sign-in answered ({"token", "expires_at", "user"}) for this profile and portal, and use it."""
        from gkh.config.credentials import Credential, CredentialStore

        CredentialStore().put(self.profile, Credential(
            token=signed_in["token"], login=signed_in["user"]["login"], expires_at=signed_in["expires_at"],
            portal=client.portal_key, saved_at=self.now.isoformat(timespec="seconds"), portal_id=portal_id,
        ))
        client.set_token(signed_in["token"])


def open_portal_at(db: str, now: datetime, *, pool_size: int = 4) -> Portal:
    """The portal in the database `db` names: a `postgresql://` URL, else a SQLite file's path. One that cannot
    be used is PortalUnusable (exit 6), its URL never shown with a password."""
    from gkh.client.errors import PortalUnusable
    from gkh.paths import data_home
    from gkh.server.local import Portal, is_postgres_url, mask_url

    if not is_postgres_url(db):
        path = Path(db).expanduser()
        return open_local_portal(path.parent, now, db=path)
    try:
        return Portal(data_home(), now, db=db, pool_size=pool_size)
    except ImportError:
        raise PortalUnusable(_("{db} needs psycopg: pip install 'gkh[postgres]'").format(db=mask_url(db)),
                             code=DATABASE_UNUSABLE) from None
    except Exception as error:  # psycopg's and its pool's errors, without importing them here
        reason = " ".join(str(error).split()) or type(error).__name__
        raise PortalUnusable(_("the portal's database {db} cannot be used: {reason}").format(
            db=mask_url(db), reason=mask_url(reason)), code=DATABASE_UNUSABLE) from None


def open_local_portal(home: Path, now: datetime, db: Path | None = None) -> Portal:
    """The embedded portal under `home` (in `db` if given, else the folder's portal.sqlite3); a folder or
    database that cannot be used is PortalUnusable (exit 6)."""
    import errno
    import sqlite3

    from gkh.client.errors import PortalUnusable
    from gkh.paths import portal_db
    from gkh.server.local import Portal

    given = db
    db = db if db is not None else portal_db(home)
    try:
        # sqlite's own words for these would be "unable to open database file" or "File exists"
        existing = next((folder for folder in (home, *home.parents) if folder.exists()), home)
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{existing} is not a folder")
        if db.exists() and not db.is_file():
            raise IsADirectoryError(errno.EISDIR, f"{db.name} is not a file")
        return Portal(home, now, db=given)
    except (sqlite3.Error, OSError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        reason = reason[:1].lower() + reason[1:]  # "Permission denied" mid-sentence
        unusable = (_("the local portal's data at {home} cannot be used: {reason}").format(home=home, reason=reason)
                    if given is None else
                    _("the portal's database {db} cannot be used: {reason}").format(db=given, reason=reason))
        raise PortalUnusable(unusable, code="portal_unusable") from error


def _short(portal_id: str | None) -> str:
    """A portal id as a person compares it: its first 8 characters, nothing a terminal would act on."""
    if not portal_id:
        return _("not recorded")
    return "".join(c if c.isalnum() else "?" for c in portal_id[:8])


def _mode(path: Path) -> int:
    import stat

    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0


def _chmod(path: Path, mode: int) -> bool:
    try:
        os.chmod(path, mode)
    except OSError:
        return False
    return True


def _debug_log(line: str) -> None:
    from gkh.output import message  # asked for with --debug: -q does not silence it

    message(f"gkh: debug: {line}")


def runtime(*, new_profile: bool = False) -> Runtime:
    """A fresh runtime per command, with that command's global options (tests run many in one process)."""
    return Runtime(global_options(), new_profile=new_profile)


@contextmanager
def named_as_typed(fields: Mapping[str, str], *, about: str | None = None) -> Iterator[None]:
    """Errors raised inside name the command line's arguments and options, not the API's fields: `fields` maps
    an API field to what the person typed it as ({"date": "--date", "q": "house"}), in the error's field and at
    the start of its message ("q is required" → "house is required"). With `about` (e.g. "meter M-000023"),
    every error's line names it too, unless it does already: a cron job's mail says which meter failed."""
    from gkh.client.errors import PortalError
    from gkh.domain.errors import InvalidInput

    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        if isinstance(error, InvalidInput | PortalError) and error.field is not None and error.field in fields:
            api = error.field
            typed = error.field = fields[api]
            if error.message.startswith((f"{api} ", f"{api}:")):
                error.message = typed + error.message[len(api):]
        if about is None:
            raise
        from gkh.errors import describe_error

        described = describe_error(error, profile_in_use())
        if described is None:  # a bug: its traceback as it is
            raise
        line, code = described
        raise GkhError(line if about in line else f"{about}: {line}", code) from error


def shown_argument(text: str, limit: int = 64) -> str:
    """An argument as a message repeats it: at most `limit` characters, then "…" (the rest is escaped on output)."""
    return text if len(text) <= limit else text[:limit] + "…"
