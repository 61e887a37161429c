"""The `gkh` command: global options, the nouns, and the one place errors become exit codes."""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from gkh import __version__
from gkh.errors import GkhError


class GkhGroup(TyperGroup):
    """The root group: every GkhError from any verb becomes one line on stderr and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GkhError as error:
            if _state["debug"]:
                raise
            line = f"gkh: {error.message}"
            if error.hint:
                line += f" ({error.hint})"
            print(line, file=sys.stderr)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="gkh",
    cls=GkhGroup,
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
    # Each noun's module imports only typer at the top: the heavy parts load when a verb runs.
    from gkh.commands import server

    app.add_typer(server.app, name="server")


_mount()


def main() -> None:
    app()
