"""gkh server: run the portal over HTTP, start it over, back it up, copy it to another database, list the demo
users."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from gkh.commands.common import DEFAULT_OUTPUT, OutputChoice, Yes, confirm, output_options, runtime, say, show
from gkh.errors import ExitCode, GkhError
from gkh.i18n import N_, _
from gkh.output import Column, Columns
from gkh.paths import data_home

app = typer.Typer(help="Run and look after the portal (the reference server).", no_args_is_help=True)

Db = Annotated[str | None, typer.Option(
    "--db", envvar="GKH_DB", metavar="DATABASE",
    help="The portal's database: a SQLite file's path or a postgresql:// URL (default: portal.sqlite3 in the "
         "data folder; GKH_DB sets it too). Only `gkh server` reads it: the CLI's local:// portal stays the "
         "data folder's SQLite one.")]


def _portal(db: str | None):
    return runtime().server_portal(db)  # a store that cannot be used is one line and exit 6


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback unless told otherwise)."),
    port: int = typer.Option(8080, help="Port to listen on; 0 picks a free one."),
    threads: int = typer.Option(8, min=1, help="Threads per process."),
    workers: int = typer.Option(0, min=0, help="Serve with this many processes (gunicorn, Unix; from "
                                "gkh[postgres]); 0: one process (waitress)."),
    pool_size: int | None = typer.Option(None, "--pool-size", min=1, help="Database connections per process "
                                         "on PostgreSQL (default: as many as threads)."),
    db: Db = None,
    outbox: Path | None = typer.Option(None, "--outbox", metavar="DIR", help="Where the receipts SMTP did not "
                                       "take are written as .eml files (default: the data folder's outbox/); "
                                       "SMTP is set by the portal's smtp.* settings or GKH_SMTP_*."),
    faults: str | None = typer.Option(None, "--faults", envvar="GKH_FAULTS", metavar="SPEC",
                                      help="Fail on purpose, for testing clients: e.g. drop=0.2,cut=0.1,error=0.1,"
                                           "delay=0.05 (shares of API requests: drop the connection after the work "
                                           "is committed, cut the answer short, 503 before the work, a pause); "
                                           "pause=SECONDS, seed=N. Never on a real portal."),
    trusted_proxy: str | None = typer.Option(None, "--trusted-proxy", envvar="GKH_TRUSTED_PROXIES",
                                             metavar="ADDRESSES",
                                             help="The reverse proxies in front (e.g. 127.0.0.1, or 10.0.0.0/8,::1): "
                                                  "from them the caller's address is read in X-Forwarded-For and the "
                                                  "scheme and host in X-Forwarded-Proto and -Host."),
) -> None:
    """Serve the portal's API over HTTP (prints the URL it really listens on, then what it runs and the database
    it serves)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    connections = pool_size or threads
    outbox = outbox.expanduser() if outbox is not None else data_home() / "outbox"
    from gkh.server.local import parse_trusted_proxies

    proxies = parse_trusted_proxies(trusted_proxy)  # addresses that cannot be right: exit 2, before anything
    if faults is not None:
        from gkh.server.local import parse_faults

        parse_faults(faults)  # a spec that cannot be right: one line, exit 2, before anything is opened
    if workers:
        _run_workers(host, port, workers, threads, connections, db, outbox, faults, proxies)
        return
    from gkh.server.serve import create_http_server

    portal = runtime().server_portal(db, pool_size=connections)
    portal.outbox = outbox
    portal.proxies = proxies
    if faults is not None:
        portal.inject_faults(faults, "--faults")
    postman = portal.postman  # settings that cannot be right: one line, exit 2, before listening
    try:
        server = create_http_server(portal.app, host=host, port=port, threads=threads)
    except OSError as error:
        raise GkhError(_("cannot listen on {host}:{port}: {reason}").format(host=host, port=port,
                                                                           reason=error.strerror),
                       ExitCode.ERROR) from None
    print(f"http://{host}:{server.effective_port}", flush=True)
    say(_("gkh: portal {portal} from {source}: one process, {threads} threads (waitress); Ctrl-C stops it")
        .format(portal=portal.portal_id, source=portal.source, threads=threads))
    say(_receipts_line(postman))
    if faults is not None:
        _say_faults(faults)
    portal.retry_receipts()
    try:
        server.run()
    except KeyboardInterrupt:
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    finally:
        server.close()


def _say_faults(spec: str) -> None:
    from gkh.commands.common import warn
    from gkh.server.local import parse_faults

    said = parse_faults(spec).said()
    warn(_("FAULTS INJECTED ON PURPOSE: {faults} of the API's requests fail; answers will be lost and cut short: "
           "never serve real people like this").format(faults=said))


def _receipts_line(postman) -> str:
    """Where receipts go, for the start-up lines: SMTP host:port (the outbox retried every minute), or the
    outbox folder."""
    return _("gkh: {where}").format(where=postman.where)


def _run_workers(host: str, port: int, workers: int, threads: int, connections: int, db: str | None,
                 outbox: Path, faults: str | None, proxies) -> None:
    """gunicorn: the database opened (migrated, seeded) once here, then by each worker after the fork; each
    worker retries the receipts' outbox (every try is claimed on its row, so a receipt goes out once)."""
    if sys.platform == "win32":
        raise GkhError(_("--workers needs Unix (gunicorn forks its workers): run without it"), ExitCode.USAGE)
    try:
        from gkh.server.workers import PortalServer
    except ImportError:
        raise GkhError(_("--workers needs gunicorn: pip install 'gkh[postgres]'"), ExitCode.USAGE) from None
    rt = runtime()
    portal = rt.server_portal(db, pool_size=1)
    portal.outbox = outbox
    try:
        source, portal_id, database = portal.source, portal.portal_id, str(portal.db)
        receipts = _receipts_line(portal.postman)  # settings that cannot be right: one line, exit 2, before forking
    finally:
        portal.close()  # nothing may cross the fork: every worker opens its own

    def open_app():
        opened = rt.server_portal(database, pool_size=connections)
        opened.outbox = outbox
        opened.proxies = proxies
        if faults is not None:
            opened.inject_faults(faults, "--faults")
        app = opened.app
        stop_retries = opened.retry_receipts()

        def close() -> None:
            stop_retries()
            opened.close()

        return app, close

    def ready(bound_host: str, bound_port: int) -> None:
        print(f"http://{host}:{bound_port}", flush=True)
        say(_("gkh: portal {portal} from {source}: {workers} processes × {threads} threads (gunicorn); Ctrl-C "
              "stops it").format(portal=portal_id, source=source, workers=workers, threads=threads))
        say(receipts)
        if faults is not None:
            _say_faults(faults)

    PortalServer(open_app, host=host, port=port, workers=workers, threads=threads, on_ready=ready).run()


DEFAULT_ADMIN_NAME = N_("Portal admin")


@app.command()
def init(
    admin_login: str = typer.Option(..., "--admin-login", metavar="LOGIN",
                                    help="The first admin's login: 3–64 of a-z, 0-9, dot, underscore and hyphen."),
    admin_name: str = typer.Option(None, "--admin-name", metavar="NAME", show_default=False,
                                   help="The first admin's name, as others see it (default: Portal admin)."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the admin's password from stdin (else asked twice, hidden)."),
    db: Db = None,
) -> None:
    """Create an empty portal — no demo world: no houses, no organisations, one user, its admin — in a new SQLite
    file or an empty PostgreSQL database. The admin's password is their own (at least 10 characters). A database
    that already holds a portal is refused and left as it is."""
    from gkh.domain.users import check_new_password, normalize_login
    from gkh.paths import portal_db

    target: str | Path = db if db and _is_postgres(db) else Path(db).expanduser() if db else portal_db(data_home())
    login = normalize_login(admin_login, "--admin-login")
    name = (admin_name if admin_name is not None else _(DEFAULT_ADMIN_NAME)).strip()
    if not name:
        raise GkhError(_("--admin-name: empty"), ExitCode.USAGE)
    password = _new_admin_password(password_stdin)
    check_new_password(password, login, "", field="password")
    created = _init_portal(target, login, name, password)
    say(_("gkh: an empty portal {portal} in {source}, with its admin {login}; serve it with {command}").format(
        portal=created["portal_id"], source=created["source"], login=login,
        command=f"gkh server run --db {_shell_word(created['source'])}"))


def _is_postgres(db: str) -> bool:
    from gkh.server.local import is_postgres_url

    return is_postgres_url(db)


def _shell_word(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _new_admin_password(password_stdin: bool) -> str:
    """The first admin's password: a line of stdin, or typed twice at hidden prompts."""
    from gkh.commands.common import ask

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        unable = _("no terminal to ask for the admin's password: pipe it in with --password-stdin")
        password = ask(_("The admin's password"), secret=True, unable=unable)
        if ask(_("The admin's password again"), secret=True, unable=unable) != password:
            raise GkhError(_("the passwords typed differ: nothing was created"), ExitCode.USAGE)
    if not password:
        raise GkhError(_("password: empty"), ExitCode.USAGE)
    return password


def _init_portal(target: str | Path, login: str, name: str, password: str) -> dict:
    """The empty portal made, or one line and its exit code: a portal there already (2), a database that cannot
    be used (6)."""
    import sqlite3

    from gkh.client.errors import PortalUnusable
    from gkh.errors import DATABASE_UNUSABLE
    from gkh.server.local import PortalExists, init_portal, mask_url

    now = runtime().now
    try:
        return init_portal(target, now, login, name, password)
    except PortalExists as exists:
        raise GkhError(str(exists), ExitCode.USAGE) from None
    except (sqlite3.Error, OSError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        reason = reason[:1].lower() + reason[1:]  # "Permission denied" mid-sentence
        raise PortalUnusable(_("the portal's database {db} cannot be used: {reason}").format(db=target,
                                                                                          reason=reason),
                             code="portal_unusable") from None
    except ImportError:
        raise PortalUnusable(_("{db} needs psycopg: pip install 'gkh[postgres]'").format(db=mask_url(str(target))),
                             code=DATABASE_UNUSABLE) from None
    except Exception as error:
        if not isinstance(target, str) or _is_domain_error(error):
            raise
        reason = " ".join(str(error).split()) or type(error).__name__  # psycopg's own, without importing it here
        raise PortalUnusable(_("the portal's database {db} cannot be used: {reason}").format(
            db=mask_url(target), reason=mask_url(reason)), code=DATABASE_UNUSABLE) from None


def _is_domain_error(error: Exception) -> bool:
    from gkh.domain.errors import InvalidInput

    return isinstance(error, InvalidInput)


@app.command()
def reset(yes: Yes = False, db: Db = None) -> None:
    """Delete the portal's data and start over with a fresh demo world (stop `gkh server run` first)."""
    from gkh.server.local import is_postgres_url, recreate_commands, reset_portal

    if db and is_postgres_url(db):
        raise GkhError(_("resetting a PostgreSQL portal is dropping its database: run {commands} (the next "
                         "`gkh server` command on it seeds a fresh demo world)").format(commands=recreate_commands(db)),
                       ExitCode.USAGE)
    unable = _("reset deletes every account, reading and payment: add --yes to confirm")
    if db:
        path = Path(db).expanduser()
        confirm(_("Delete the portal {path} and start over?").format(path=path), yes, unable=unable)
        reset_portal(path.parent, path)
    else:
        home = data_home()
        confirm(_("Delete the portal under {home} and start over?").format(home=home), yes, unable=unable)
        reset_portal(home)
    portal = _portal(db)
    say(_("gkh: a new demo portal {portal} is ready").format(portal=portal.portal_id))


# A demo user (the README's "Columns" table): csv/tsv/excel write them all, in this order.
DEMO_USER_COLUMNS = Columns(
    Column("login", "Login", shown=True, kind="id"),
    Column("password", "Password", shown=True, kind="id"),
    Column("role", "Role", shown=True, kind="term"),
    Column("name", "Name", shown=True),
    Column("organisation", "Organisation"),
    Column("description", "Who they are", kind="phrase"),
)


@app.command()
@output_options
def users(output: OutputChoice = DEFAULT_OUTPUT, db: Db = None) -> None:
    """The demo users' logins and fixed passwords (a demo portal only)."""
    portal = _portal(db)
    try:
        if not portal.is_demo:
            raise GkhError(_("this portal is not a demo portal: it has no fixed passwords to show"))
        users = portal.demo_users()
    finally:
        portal.close()
    show(users, DEMO_USER_COLUMNS, output)


@app.command()
def backup(
    file: Path = typer.Argument(..., help="Where to write the copy (an SQLite database)."),
    force: bool = typer.Option(False, "--force", help="Overwrite FILE if it exists."),
    db: Db = None,
) -> None:
    """Write a consistent copy of the portal's database (SQLite's backup API; safe while it runs).
    A PostgreSQL portal is backed up with pg_dump: this says the command."""
    import sqlite3

    from gkh.server.local import BackupRefused, is_postgres_url, pg_dump_command

    if db and is_postgres_url(db):
        raise GkhError(_("a PostgreSQL portal is backed up with pg_dump: run {command}").format(
            command=pg_dump_command(db, file)), ExitCode.USAGE)
    portal = _portal(db)
    try:
        written = portal.backup(file, overwrite=force)  # checks the target first: never the live file, never a device
    except BackupRefused as refused:
        raise GkhError(str(refused), ExitCode.USAGE) from None
    except (OSError, sqlite3.Error) as error:
        raise GkhError(_("cannot write the backup {file}: {reason}").format(
            file=file, reason=getattr(error, "strerror", None) or error)) from None
    finally:
        portal.close()
    say(_("gkh: portal backed up to {file}").format(file=written))


# A table as `server copy` compares it on both sides.
COPY_COLUMNS = Columns(
    Column("table", "Table", shown=True, kind="id"),
    Column("rows", "Rows", shown=True, kind="number"),
    Column("checksum", "Checksum", kind="id"),
    Column("equal", "Equal", shown=True),
)


@app.command()
@output_options
def copy(
    source: Annotated[str, typer.Option(
        "--from", metavar="DATABASE", show_default=False,
        help="The portal to copy: a SQLite file's path or a postgresql:// URL (migrated first if old).")],
    target: Annotated[str, typer.Option(
        "--to", metavar="DATABASE", show_default=False,
        help="Where to copy it: a SQLite file's path (a new file, or an empty portal) or the postgresql:// URL "
             "of an empty database; its schema is made there, without the demo world.")],
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Copy a portal to another database, SQLite or PostgreSQL, as it is: its id, users, tokens and all (a
    move). Every table is compared afterwards (rows and a checksum) and reported."""
    from gkh.server.db.copy import CopyFailed, CopyRefused, TargetUnusable, copy_portal, same_database
    from gkh.server.local import is_postgres_url, mask_url, recreate_commands

    for option, db in (("--from", source), ("--to", target)):
        if not db.strip():
            raise GkhError(_("{option} is empty: give a SQLite file's path or a postgresql:// URL").format(
                option=option), ExitCode.USAGE)
    shown_from, shown_to = mask_url(source), mask_url(target)
    if not is_postgres_url(source) and not Path(source).expanduser().exists():
        raise GkhError(_("--from: there is no portal database at {db}").format(db=source), ExitCode.USAGE)
    if same_database(source, target):
        raise GkhError(_("--from and --to name the same database ({db}): copy to another one").format(db=shown_to),
                       ExitCode.USAGE)
    on_postgres = is_postgres_url(target)
    if on_postgres:
        start_over = _("drop and recreate it ({commands}), then copy again").format(
            commands=recreate_commands(target))
    else:
        start_over = ""
    now = runtime().now
    # The pool's own log lines about a failed connection would come before the one line that says it.
    logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
    portal = _portal(source)  # opened as every server command opens its database: migrated if old
    try:
        result = copy_portal(portal.store, target if on_postgres else Path(target), now)
    except CopyRefused as refused:
        raise GkhError(_("cannot copy to {db}: {reason}").format(db=shown_to, reason=refused), ExitCode.USAGE) \
            from None
    except TargetUnusable as unusable:
        raise GkhError(_("the target database {db} cannot be used: {reason}").format(
            db=shown_to, reason=mask_url(str(unusable))), ExitCode.UNREACHABLE) from None
    except CopyFailed as failed:
        if failed.incomplete:
            after = _("the target {db} is incomplete: {start_over}")
        elif on_postgres:
            after = _("no table was copied to {db}")
        else:
            after = _(NOTHING_WRITTEN)
        code = ExitCode.INTERRUPTED if failed.interrupted else ExitCode.ERROR
        raise GkhError(f"{mask_url(str(failed))}; {after.format(db=shown_to, start_over=start_over)}", code) from None
    finally:
        portal.close()
    show([{"table": t.table, "rows": t.rows, "checksum": t.checksum, "equal": t.equal} for t in result.tables],
         COPY_COLUMNS, output)
    if not result.equal:
        differing = ", ".join(result.differing())
        after = _("the target {db} does not match: {start_over}") if on_postgres else _(NOTHING_WRITTEN)
        raise GkhError(_("the copy differs from the source in {tables}; {after}").format(
            tables=differing, after=after.format(db=shown_to, start_over=start_over)))
    say(_("gkh: portal {portal} copied from {source} to {target}: {tables} tables, {rows} rows, each equal on both "
          "sides").format(portal=result.portal_id, source=shown_from, target=shown_to, tables=len(result.tables),
                          rows=result.rows))


NOTHING_WRITTEN = N_("nothing was written to {db}")
