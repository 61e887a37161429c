"""The `gkh` command: global options, the nouns, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
import traceback

import typer
from typer.core import TyperGroup

from gkh import __version__, i18n
from gkh.commands.common import PROFILE_IN_USE, GlobalOptions
from gkh.errors import ExitCode, describe_error
from gkh.i18n import N_, _


class GkhGroup(TyperGroup):
    """The root group: every error from any verb becomes one line on stderr and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, BrokenPipeError):  # a closed pipe ends quietly in main() below
            raise
        except KeyboardInterrupt:
            _error_line(_("gkh: interrupted"))
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as error:
            if _is_usage_error(error):
                raise  # main() below prints it as one line
            debug = isinstance(ctx.obj, GlobalOptions) and ctx.obj.debug  # set by root() below, if it ran
            if debug:  # the traceback as well, never instead of the line and its exit code
                from gkh.output import printable

                sys.stderr.write(printable("".join(traceback.format_exception(error))))
            described = describe_error(error, profile=ctx.meta.get(PROFILE_IN_USE))
            if described is None:
                unexpected = (_("unexpected error: {error}") if debug else
                              _("unexpected error: {error} (run with --debug for the traceback)"))
                described = unexpected.format(error=f"{type(error).__name__}: {error}"), ExitCode.ERROR
            line, code = described
            _error_line(f"gkh: {line}")
            raise typer.Exit(code) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Usage errors as one plain line with the next step, instead of click's three."""
        if not os.environ.get("_GKH_COMPLETE"):  # a shell asking for completions passes no argv
            args = lift_global_options(self, sys.argv[1:] if args is None else list(args))
        language = i18n.use(i18n.language_from_environment())  # GKH_LANG or the locale: messages for people
        speak_help(self)
        try:
            return self._main(args, prog_name, complete_var, standalone_mode, **extra)
        finally:
            i18n.reset(language)

    def _main(self, args, prog_name, complete_var, standalone_mode, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            _error_line(_("gkh: aborted"))
            sys.exit(ExitCode.ERROR)
        except Exception as error:
            if not _is_usage_error(error):
                raise
            if type(error).__name__ == "NoArgsIsHelpError":
                error.show()  # a bare `gkh NOUN`: the help is the answer
            else:
                ctx = getattr(error, "ctx", None)
                said = _("gkh: {error} (see: {command})") if ctx is not None else "gkh: {error}"
                command = f"{ctx.command_path} --help" if ctx is not None else ""
                _error_line(said.format(error=usage_message(error.format_message()), command=command))
            sys.exit(error.exit_code)
        sys.exit(result if isinstance(result, int) else ExitCode.OK)


# The command-line parser's (Typer's click's) own usage errors, which it writes in English only: each pattern
# and its message for people (the parser's words, so a test can run them through it).
USAGE_ERRORS = (
    (r"Missing argument (?P<name>.+)\.", N_("missing argument {name}")),
    (r"Missing option (?P<name>.+)\.", N_("missing option {name}")),
    (r"No such option: (?P<name>\S+)", N_("no such option: {name}")),
    (r"No such option: (?P<name>\S+) \(Possible options: (?P<choices>.+)\)",
     N_("no such option: {name} (possible options: {choices})")),
    (r"No such command (?P<name>.+)\. Did you mean (?P<guess>.+)\?",
     N_("no such command {name}; did you mean {guess}?")),
    (r"No such command (?P<name>.+)\.", N_("no such command {name}")),
    (r"Got unexpected extra argument\(s\) \((?P<arguments>.*)\)", N_("unexpected extra arguments ({arguments})")),
    (r"Option (?P<name>.+) requires an argument\.", N_("option {name} needs a value")),
    (r"Option (?P<name>.+) does not take a value\.", N_("option {name} does not take a value")),
    (r"Invalid value for (?P<name>.+?): (?P<reason>.*)", N_("invalid value for {name}: {reason}")),
)


def usage_message(text: str) -> str:
    """A usage error of the parser in the reader's language (as it is, when it is none of the known ones)."""
    import re

    if i18n.current() == i18n.ENGLISH:
        return text
    for pattern, message in USAGE_ERRORS:
        if found := re.fullmatch(pattern, text, re.DOTALL):
            return _(message).format(**found.groupdict())
    return text


# Typer's own words in a help page and its errors, which it looks up through gettext (typer.core._).
TYPER_WORDS = (N_("Arguments"), N_("Options"), N_("Commands"), N_("required"), N_("default: {default}"),
               N_("env var: {var}"), N_("(dynamic)"), N_("Aborted!"), N_("Missing command."))


def speak_help(command) -> None:
    """Every help text of the command tree (Typer builds it afresh for each run) in the reader's language: the
    verbs' descriptions, their options', the epilog, and Typer's own words. tools/i18n.py collects them from
    the same tree."""
    import typer.core

    typer.core._ = _  # Typer's words ("Options", "required") through the catalogue
    if i18n.current() == i18n.ENGLISH:
        return
    for each in command_tree(command):
        for attribute in ("help", "short_help", "epilog"):
            if text := getattr(each, attribute, None):
                setattr(each, attribute, _(text))
        for param in getattr(each, "params", ()):
            if text := getattr(param, "help", None):
                param.help = _(text)


def command_tree(command) -> list:
    """The command and every command under it."""
    found, stack = [], [command]
    while stack:
        found.append(each := stack.pop())
        stack.extend(getattr(each, "commands", {}).values())
    return found


# The root's options that every verb takes too: name → whether a value follows it.
GLOBAL_OPTIONS = {"--profile": True, "-p": True, "--debug": False, "--no-input": False, "--quiet": False, "-q": False}


def lift_global_options(root, args: list[str]) -> list[str]:
    """The command line with the global options given after the noun or the verb moved before the noun, where
    the root takes them (Typer takes a callback's options only there): `gkh meter submit M 1 -q --profile x`
    runs as `gkh -q --profile x meter submit M 1`. The verb's own options keep their values (`--payer -q` is a
    payer), and nothing after `--` moves."""
    lifted: list[str] = []
    kept: list[str] = []
    command = root
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            kept += [token, *tokens]
            break
        is_global, value_follows = _global_option(token)
        if command is not root and is_global:
            lifted += [token, *_next(tokens, value_follows)]
            continue
        kept.append(token)
        if token.startswith("-") and len(token) > 1:
            kept += _next(tokens, _takes_value(command, token))
            continue
        sub = command.commands.get(token) if hasattr(command, "commands") else None
        if sub is not None:  # the noun, then the verb: their own options are known from here on
            command = sub
        elif command is root:  # no such noun: the parser will say so
            kept += tokens
            break
    return lifted + kept


def _global_option(token: str) -> tuple[bool, bool]:
    """(whether the token is a global option, whether its value is the next token)."""
    name, equals, _ = token.partition("=")
    if token.startswith("--") and name in GLOBAL_OPTIONS:
        return True, GLOBAL_OPTIONS[name] and not equals
    if token in GLOBAL_OPTIONS:
        return True, GLOBAL_OPTIONS[token]
    return token.startswith("-p") and not token.startswith("--"), False  # -pNAME, the value attached


def _next(tokens, wanted: bool) -> list[str]:
    """The next token, if wanted and there is one."""
    if not wanted:
        return []
    following = next(tokens, None)
    return [] if following is None else [following]


def _takes_value(command, option: str) -> bool:
    """Whether `option`, as given to `command` (the root too), is followed by its value."""
    if option.startswith("--") and "=" in option:
        return False
    for param in getattr(command, "params", []):
        if option in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
            return not (getattr(param, "is_flag", False) or getattr(param, "count", False))
    return False


def _error_line(line: str) -> None:
    """An error line on stderr, through the one place that escapes control characters."""
    from gkh.output import message

    message(" ".join(line.split()))


def _is_usage_error(error: Exception) -> bool:
    # Typer vendors click, whose exceptions we may not import: recognise them by their shape.
    return hasattr(error, "format_message") and hasattr(error, "exit_code") and hasattr(error, "show")


app = typer.Typer(
    name="gkh",
    cls=GkhGroup,
    help="Housing and utility services from the shell: accounts, meter readings, bills, meetings, appeals, outages.",
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="The global options may also follow the noun and verb (gkh meter list --profile staff). In a crontab "
           "run gkh by its absolute path, as gkh doctor prints it: cron's PATH is /usr/bin:/bin.",
)


def _version(value: bool) -> None:
    if value:
        print(f"gkh {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: str = typer.Option(None, "--profile", "-p", help="The profile to use (else GKH_PROFILE, else the "
                                "config file's default_profile, else local).", show_default=False),
    debug: bool = typer.Option(False, "--debug", help="Tracebacks and a request log on stderr."),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt; fail instead."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No notes on stderr (errors and warnings still)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """gkh: housing and utility services from the shell."""
    ctx.obj = GlobalOptions(profile=profile, debug=debug, no_input=no_input, quiet=quiet)  # one per invocation


def _mount() -> None:
    # Each noun's module imports only typer at the top: the heavy parts load when a verb runs.
    from gkh.commands import (
        account,
        address,
        admin,
        appeal,
        auth,
        bill,
        completion,
        config,
        doctor,
        house,
        meeting,
        meter,
        outage,
        pay,
        payment,
        server,
        wallet,
    )

    app.add_typer(auth.app, name="auth")
    app.add_typer(config.app, name="config")
    app.add_typer(address.app, name="address")
    app.add_typer(house.app, name="house")
    app.add_typer(account.app, name="account")
    app.add_typer(meter.app, name="meter")
    app.add_typer(bill.app, name="bill")
    app.command("pay")(pay.pay)
    app.add_typer(payment.app, name="payment")
    app.add_typer(wallet.app, name="wallet")
    app.add_typer(meeting.app, name="meeting")
    app.add_typer(appeal.app, name="appeal")
    app.add_typer(outage.app, name="outage")
    app.add_typer(admin.app, name="admin")
    app.add_typer(server.app, name="server")
    app.command("doctor")(doctor.doctor)
    app.command("completion", help="Print the shell completion script for bash, zsh or fish "
                "(e.g. gkh completion bash > ~/.local/share/bash-completion/completions/gkh).")(completion.completion)


_mount()


def main() -> None:
    import os

    if os.environ.get("_GKH_COMPLETE"):  # a shell asking for completions: teach Typer its shells first
        from typer.completion import completion_init

        completion_init()
    # A reader that went away (`gkh meter list | head -2`) is not an error (the Python docs' recipe for SIGPIPE):
    # gkh.output lets a closed stdout or stderr go to os.devnull and the verb ends with its own exit code; the
    # last flush happens here, where a closed pipe can still be caught, not at the interpreter's exit.
    code: str | int | None = ExitCode.OK
    try:
        app()
    except SystemExit as exiting:  # how Typer always ends
        code = exiting.code
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # click met the closed pipe itself (its --help)
            code = ExitCode.OK
    except BrokenPipeError:  # a write outside gkh.output (click's own): stop there, quietly
        code = ExitCode.OK
    from gkh.output import release_closed_stream

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        release_closed_stream(sys.stdout)
    sys.exit(code)
