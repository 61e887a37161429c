"""gkh server: run the portal over HTTP, start it over, back it up, list the demo users."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from gkh.commands.common import AsJson, Output, Yes, confirm, runtime, say, show
from gkh.errors import ExitCode, GkhError
from gkh.paths import data_home

app = typer.Typer(help="Run and look after the portal (the reference server).", no_args_is_help=True)



def _portal():
    return runtime().local_portal  # a store that cannot be used is one line and exit 6


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback unless told otherwise)."),
    port: int = typer.Option(8080, help="Port to listen on; 0 picks a free one."),
    threads: int = typer.Option(8, help="Worker threads."),
) -> None:
    """Serve the portal's API over HTTP (prints the URL it really listens on)."""
    from gkh.server.serve import create_http_server

    portal = _portal()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        server = create_http_server(portal.app, host=host, port=port, threads=threads)
    except OSError as error:
        raise GkhError(f"cannot listen on {host}:{port}: {error.strerror}", ExitCode.ERROR) from None
    print(f"http://{host}:{server.effective_port}", flush=True)
    say(f"gkh: portal {portal.portal_id} from {portal.home} (Ctrl-C stops it)")
    try:
        server.run()
    except KeyboardInterrupt:
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    finally:
        server.close()


@app.command()
def reset(yes: Yes = False) -> None:
    """Delete the portal's data and start over with a fresh demo world (stop `gkh server run` first)."""
    from gkh.server.local import reset_portal

    home = data_home()
    confirm(f"Delete the portal under {home} and start over?", yes,
            unable="reset deletes every account, reading and payment: add --yes to confirm")
    reset_portal(home)
    portal = _portal()
    say(f"gkh: a new demo portal {portal.portal_id} is ready")


@app.command()
def users(output: Output = None, as_json: AsJson = False) -> None:
    """The demo users' logins and fixed passwords (a demo portal only)."""
    portal = _portal()
    if not portal.is_demo:
        raise GkhError("this portal is not a demo portal: it has no fixed passwords to show")
    show(portal.demo_users(), output, as_json)


@app.command()
def backup(
    file: Path = typer.Argument(..., help="Where to write the copy (an SQLite database)."),
    force: bool = typer.Option(False, "--force", help="Overwrite FILE if it exists."),
) -> None:
    """Write a consistent copy of the portal's database (SQLite's backup API; safe while it runs)."""
    import sqlite3

    from gkh.server.local import BackupRefused

    portal = _portal()
    try:
        written = portal.backup(file, overwrite=force)  # checks the target first: never the live file, never a device
    except BackupRefused as refused:
        raise GkhError(str(refused), ExitCode.USAGE) from None
    except (OSError, sqlite3.Error) as error:
        raise GkhError(f"cannot write the backup {file}: {getattr(error, 'strerror', None) or error}") from None
    finally:
        portal.close()
    say(f"gkh: portal backed up to {written}")
