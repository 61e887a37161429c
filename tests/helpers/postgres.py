"""A throwaway PostgreSQL 15 cluster for the suite, and the test portals' databases in it.

The `postgres_cluster` fixture (tests/conftest.py) starts it itself, once per session, the first time a test
needs it: Debian's binaries (/usr/lib/postgresql/15/bin: initdb, pg_ctl; GKH_TEST_PG_BIN names another folder)
run as the `postgres` user when the suite runs as root (runuser), as the suite's own user otherwise, in a
temporary folder that user owns, on a free loopback port, without fsync; the cluster is stopped and its folder
removed at the end of the session. Each test's portal is a fresh database copied from a seeded template.

When no cluster can be started (psycopg not installed, no binaries, the server does not start) the
PostgreSQL half of the tests skips with the reason; with GKH_REQUIRE_POSTGRES=1 in the environment it fails
instead. CI sets it (.ci/run), so there the PostgreSQL half always runs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.helpers.serving import free_port

PG_BIN = Path(os.environ.get("GKH_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
TEMPLATE = "gkh_demo_template"
AHEAD = 2  # copies of a template made in the background ahead of the tests that will want them

# The portal databases of live test homes: tests.helpers.rows reads a home's rows from here when present.
PORTAL_URLS: dict[Path, str] = {}


class Unavailable(Exception):
    """No PostgreSQL cluster can be started here; the message says why."""


class Cluster:
    """A running cluster: `url(db)` for a database in it, `admin()` a superuser connection (autocommit)."""

    def __init__(self) -> None:
        try:
            import psycopg  # noqa: F401
            import psycopg_pool  # noqa: F401
        except ImportError:
            raise Unavailable("psycopg is not installed (pip install 'gkh[postgres]')") from None
        for tool in ("initdb", "pg_ctl"):
            if not (PG_BIN / tool).exists():
                raise Unavailable(f"no {PG_BIN / tool}: install postgresql-15 or set GKH_TEST_PG_BIN")
        self._as: list[str] = []
        self._conn: Any = None  # the control connection, used by the control thread alone
        self._control_thread = ThreadPoolExecutor(1, thread_name_prefix="gkh-pg-control")
        self._spares: dict[str, deque[Future[str]]] = {}
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise Unavailable("running as root without runuser: cannot start PostgreSQL as `postgres`")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="gkh-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        if self._as:
            shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        self._run("initdb", "-D", str(self.data), "-U", "gkh", "-A", "trust", "-E", "UTF8", "--locale=C")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        self.started = True

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(PG_BIN / tool), *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            self.remove()
            raise Unavailable(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-1000:]} {log}".strip())

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://gkh@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True)

    def new_database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of `template`."""
        return self._control(self._create, template).result()

    def drop_database(self, name: str) -> None:
        self._control(self._drop, name).result()

    def copy_of(self, template: str) -> str:
        """A new copy of `template`, most often made in the background while the test before ran; the next
        copies are ordered at once. Copying (a checkpoint, then the files) costs more than a small test."""
        spares = self._spares.setdefault(template, deque())
        while len(spares) <= AHEAD:
            spares.append(self._control(self._create, template))
        return spares.popleft().result(timeout=120)

    def discard(self, name: str) -> None:
        """Drop a database in the background: nobody waits for it."""
        self._control(self._drop, name)

    def _control(self, job: Any, argument: Any) -> Future[str]:
        """One statement on the session's one control connection, in the control thread, in order: CREATE
        and DROP DATABASE run one at a time, and a connection per database made or dropped would cost more
        than the statement."""
        return self._control_thread.submit(job, argument)

    def _execute(self, statement: str) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = self.admin()
        self._conn.execute(statement)

    def _create(self, template: str | None) -> str:
        name = f"gkh_{secrets.token_hex(6)}"
        # Copied file by file: the quickest way for a small database, which is what the test portals are.
        copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self._execute(f'CREATE DATABASE "{name}"{copy}')
        return name

    def _drop(self, name: str) -> str:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return name

    def stop(self) -> None:
        self._control_thread.shutdown(wait=True, cancel_futures=True)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if getattr(self, "started", False):
            subprocess.run([*self._as, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                            "stop"], capture_output=True, timeout=60)
            self.started = False
        self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class Rows:
    """A connection to a test portal's PostgreSQL database used as tests use sqlite3's: `?` placeholders,
    rows by name, `with conn:` commits."""

    def __init__(self, url: str):
        import psycopg

        from gkh.server.db.postgres import PgConnection, _row_factory

        self._raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        self._conn = PgConnection(self._raw)

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        return self._conn.execute(sql, parameters)

    def __enter__(self) -> Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()
