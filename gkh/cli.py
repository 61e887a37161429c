"""The `gkh` command: global options, the nouns, and the one place errors become exit codes."""

from __future__ import annotations

import sys

import typer

from gkh import __version__
from gkh.errors import GkhError

app = typer.Typer(
    name="gkh",
    help="Housing and utility services from the shell: accounts, meter readings, bills, meetings, appeals.",
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        print(f"gkh {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and a request log on stderr."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """gkh: housing and utility services from the shell."""
    _state["debug"] = debug


def _mount() -> None:
    from gkh.commands import server

    app.add_typer(server.app, name="server")


def main() -> None:
    _mount()
    try:
        app()
    except GkhError as error:
        if _state["debug"]:
            raise
        line = f"gkh: {error.message}"
        if error.hint:
            line += f" ({error.hint})"
        print(line, file=sys.stderr)
        sys.exit(error.exit_code)
