"""gkh auth: sign in, see who is signed in, sign out."""

from __future__ import annotations

import sys

import typer

from gkh.commands.common import DEFAULT_OUTPUT, OutputChoice, ask, can_prompt, output_options, runtime, say, show
from gkh.errors import ExitCode, GkhError
from gkh.i18n import N_, _, human_time, term
from gkh.output import Column, Columns

app = typer.Typer(help="Sign in to the portal, and out.", no_args_is_help=True)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = ask(_("Password"), secret=True,
                       unable=_("no terminal to ask for the password: pipe it in with --password-stdin"))
    if not password:
        raise GkhError(_("password: empty"), ExitCode.USAGE)
    return password


@app.command()
def login(
    user: str = typer.Option(None, "--user", "-u", help="Your login (asked for when omitted)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
) -> None:
    """Sign in with a login and password (by hidden prompt, or --password-stdin). A profile the config file does
    not have yet is added to it."""
    from gkh.config.settings import DEFAULT_PROFILE, add_profile

    rt = runtime(new_profile=True)
    if not user:
        user = ask(_("Login"), unable=_("--user is required without a terminal"))
    password = _read_password(password_stdin)
    client = rt.anonymous_client()
    portal_id = None  # a local portal's id is in its key already
    if not rt.is_local:  # the token will only ever be sent back to a portal giving this same id
        portal_id = rt.remote_portal_id(client)
        if portal_id is None:
            raise GkhError(_("{url} gave no portal id (GET /api/v1/portal): it does not look like a gkh portal")
                           .format(url=rt.url), ExitCode.UNREACHABLE,
                           hint=_("check the portal's URL: {command}").format(
                               command=f"gkh --profile {rt.profile} config get url"))
    result = client.sign_in(user, password)
    rt.keep_sign_in(client, result, portal_id)
    added = add_profile(rt.profile) if rt.profile != DEFAULT_PROFILE else False
    said = (_("gkh: signed in to {url} as {login} ({name}, {role}) on the new profile {profile}; the sign-in lasts "
              "until {until} and is renewed by use") if added else
            _("gkh: signed in to {url} as {login} ({name}, {role}) on profile {profile}; the sign-in lasts until "
              "{until} and is renewed by use"))
    who = result["user"]
    say(said.format(url=rt.url, login=who["login"], name=who["name"], role=term(who["role"]),
                    profile=rt.profile, until=human_time(result["expires_at"])))
    if who.get("must_change_password"):
        if password_stdin or not can_prompt():
            _tell_to_set_password()
        else:  # at a terminal: the one-time password is at hand, only the new one is asked
            _set_own_password_now(client, password, rt)


def _set_own_password_now(client, one_time: str, rt) -> None:
    """Right after a sign-in with a one-time password, at a terminal: the new password typed twice and set. A
    refusal is said with the command that does it later (the sign-in is kept either way)."""
    from gkh.client.errors import PortalError
    from gkh.commands.common import gkh_of_profile
    from gkh.errors import describe_error

    say(_("gkh: that was a one-time password: choose your own now (at least 10 characters, not your login)"))
    unable = _("no terminal to ask for the new password")
    new = ask(_("New password"), secret=True, unable=unable)
    later = _("set it later: {command}").format(command=f"{gkh_of_profile()} auth password")
    if ask(_("New password again"), secret=True, unable=unable) != new:
        raise GkhError(_("the new passwords typed differ: nothing was changed"), ExitCode.USAGE, hint=later)
    try:
        client.change_password(one_time, new)
    except PortalError as error:
        described = describe_error(error)
        if described is None:
            raise
        raise GkhError(described[0], described[1], hint=later) from None
    say(_("gkh: your own password is set (profile {profile})").format(profile=rt.profile))


def _tell_to_set_password() -> None:
    """Signed in with a one-time password: the one line saying what to do first (never silenced by -q)."""
    from gkh.commands.common import gkh_of_profile
    from gkh.errors import set_password_line
    from gkh.output import message

    message(f"gkh: {set_password_line(gkh_of_profile())}")


def _read_new_password(password_stdin: bool) -> tuple[str, str]:
    """The current password and the new one: two lines of stdin, or hidden prompts (the new one twice)."""
    if password_stdin:
        current = sys.stdin.readline().rstrip("\r\n")
        new = sys.stdin.readline().rstrip("\r\n")
    else:
        unable = _("no terminal to ask for the passwords: pipe the current one and the new one in, a line each, "
                   "with --password-stdin")
        current = ask(_("Current password"), secret=True, unable=unable)
        new = ask(_("New password"), secret=True, unable=unable)
        if ask(_("New password again"), secret=True, unable=unable) != new:
            raise GkhError(_("the new passwords typed differ: nothing was changed"), ExitCode.USAGE)
    if not current:
        raise GkhError(_("current password: empty"), ExitCode.USAGE)
    if not new:
        raise GkhError(_("new password: empty"), ExitCode.USAGE)
    return current, new


@app.command()
def password(
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the current password and the new "
                                        "one from stdin, a line each."),
) -> None:
    """Set a password of your own (after signing in with a one-time password, or any time): the current one, then
    the new one twice, by hidden prompt. At least 10 characters, not your login. Your other sign-ins end; this
    one stays."""
    from gkh.client.errors import PermissionDenied
    from gkh.commands.common import named_as_typed

    rt = runtime()
    client = rt.client
    current, new = _read_new_password(password_stdin)
    try:
        with named_as_typed({"new": _("new password"), "current": _("current password")}):
            client.change_password(current, new)
    except PermissionDenied as denied:
        if denied.code != "wrong_password":
            raise
        raise GkhError(_("the current password is wrong: nothing was changed"), ExitCode.AUTH) from None
    say(_("gkh: your password on {url} is changed (profile {profile}); your other sign-ins ended, this one "
          "stays").format(url=rt.url, profile=rt.profile))


# Who is signed in (the README's "Columns" table): csv/tsv/excel write them all, in this order.
STATUS_COLUMNS = Columns(
    Column("profile", "Profile", shown=True),
    Column("portal", "Portal", shown=True),
    Column("portal_id", "Portal id", shown=True, kind="id"),
    Column("demo", "Demo portal", shown=True),
    Column("login", "Login", shown=True, kind="id"),
    Column("name", "Name", shown=True),
    Column("role", "Role", shown=True, kind="term"),
    Column("organisation", "Organisation", shown=True),
    Column("token_source", "Token from", shown=True, kind="term"),
    Column("expires_at", "Signed in until", shown=True, kind="date"),
)


@app.command()
@output_options
def status(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """Who is signed in on this profile, to which portal, and until when."""
    import os

    rt = runtime()
    me = rt.client.me()
    show({
        "profile": rt.profile,
        "portal": rt.url,
        "portal_id": me["portal"]["id"],
        "demo": me["portal"]["demo"],
        "login": me["login"],
        "name": me["name"],
        "role": me["role"],
        "organisation": (me.get("organisation") or {}).get("short_name"),
        "token_source": "GKH_TOKEN" if os.environ.get("GKH_TOKEN") else "stored",
        "expires_at": me["token_expires_at"],
    }, STATUS_COLUMNS, output)
    if me.get("must_change_password"):
        _tell_to_set_password()


@app.command()
def logout() -> None:
    """Sign out: the portal forgets the token and so does this machine. On the local demo portal gkh then no
    longer signs its demo resident in by itself, until gkh auth login (or gkh server reset)."""
    import os

    from gkh.client.errors import AuthenticationError
    from gkh.config.credentials import CredentialStore

    rt = runtime()
    if os.environ.get("GKH_TOKEN"):
        raise GkhError(_("the token comes from GKH_TOKEN: unset it to sign out"), ExitCode.USAGE)
    client = rt.anonymous_client()
    store = CredentialStore()
    stored = store.get(rt.profile, client.portal_key)
    demo = rt.is_local and rt.local_portal.is_demo  # where gkh would sign the demo resident in by itself
    if stored is None:
        if demo and not store.is_signed_out(rt.profile, client.portal_key):
            store.remove(rt.profile, client.portal_key, stay_signed_out=True)
            say(_(SIGNED_OUT_OF_DEMO).format(profile=rt.profile))
            return
        say(_("gkh: not signed in to {url} on profile {profile}").format(url=rt.url, profile=rt.profile))
        return
    if not rt.is_local and (stored.portal_id is None or stored.portal_id != rt.remote_portal_id(client)):
        store.remove(rt.profile, client.portal_key)  # another portal answers there now: it must not see the token
        say(_("gkh: forgot the token for {url} (profile {profile}) without sending it: the portal there now is not "
              "the one that issued it").format(url=rt.url, profile=rt.profile))
        return
    client.set_token(stored.token)
    try:
        client.sign_out()
    except AuthenticationError:
        pass  # already expired or revoked there: forgetting it here is all that is left
    store.remove(rt.profile, client.portal_key, stay_signed_out=demo)
    if demo:
        say(_(SIGNED_OUT_OF_DEMO).format(profile=rt.profile))
    else:
        say(_("gkh: signed out of {url} (profile {profile})").format(url=rt.url, profile=rt.profile))


SIGNED_OUT_OF_DEMO = N_("gkh: signed out of the local demo portal (profile {profile}): gkh will not sign its demo "
                        "resident in by itself until gkh --profile {profile} auth login")
