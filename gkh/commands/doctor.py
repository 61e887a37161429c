"""gkh doctor: where this gkh is and what it would use — the absolute path a crontab needs, the profile, its
portal, the files. Nothing here reaches the portal or creates a file."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from gkh.commands.common import DEFAULT_OUTPUT, OutputChoice, global_options, output_options, show
from gkh.errors import GkhError
from gkh.i18n import _, term
from gkh.output import Column, Columns

CRON_PATH = "/usr/bin:/bin"  # the PATH cron gives its jobs (Vixie cron, cronie, busybox crond)
DOCTOR_COLUMNS = Columns(
    Column("item", "Item", shown=True, kind="id"),
    Column("value", "Value", shown=True, kind="id"),  # paths: never cut
    Column("note", "Note", shown=True),
)


def gkh_executable() -> str | None:
    """The absolute path of the `gkh` being run (as started: a venv's or pip --user's script, a pipx link), else
    the one beside this Python, else the one on PATH; None when there is none (run as python -m gkh)."""
    started = sys.argv[0] if sys.argv else ""
    if Path(started).name in ("gkh", "gkh.exe"):
        found = started if os.sep in started else shutil.which(started)
        if found:
            return os.path.abspath(found)
    beside = Path(sys.executable).parent / "gkh"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    on_path = shutil.which("gkh")
    return os.path.abspath(on_path) if on_path else None


def on_cron_path(executable: str) -> bool:
    """Whether cron's PATH finds this very gkh by its bare name."""
    return any(os.path.abspath(os.path.join(folder, "gkh")) == executable for folder in CRON_PATH.split(":"))


@output_options
def doctor(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """Where this gkh is and what it uses: its absolute path (cron's PATH is /usr/bin:/bin, so a crontab needs
    it), the profile and where it comes from, the portal's URL, the config, credentials and data files."""
    from gkh import __version__
    from gkh.config import settings
    from gkh.config.credentials import CREDENTIALS_FILE_NAME
    from gkh.paths import config_home, data_home, portal_db

    rows: list[dict] = []

    def row(item: str, value: object, note: str = "") -> None:
        rows.append({"item": item, "value": "" if value is None else str(value), "note": note})

    row("version", __version__)
    executable = gkh_executable()
    if executable is None:
        row("executable", None, _("no gkh script found: run it as python -m gkh, or reinstall"))
    elif on_cron_path(executable):
        row("executable", executable, _("cron's PATH ({path}) finds it").format(path=CRON_PATH))
    else:
        row("executable", executable, _("cron's PATH is {path}: in a crontab write this path, not gkh")
            .format(path=CRON_PATH))
    row("python", sys.executable)
    problem: GkhError | None = None
    try:
        flag = global_options().profile
        profile = settings.active_profile(flag)
        row("profile", profile, _("from {source}").format(source=settings.profile_source(flag)))
        url = settings.resolve(profile)["url"]
        row("url", url.value, _("from {source}").format(source=term(url.source)))
        row("profiles", ", ".join(settings.list_profiles()))
    except GkhError as error:  # shown last, after what can still be said
        problem = error
    config = settings.config_file()
    row("config_file", config, "" if config.exists() else _("none yet (gkh config set makes it)"))
    credentials = config_home() / CREDENTIALS_FILE_NAME
    row("credentials_file", credentials, "" if credentials.exists() else _("none yet (gkh auth login makes it)"))
    home = data_home()
    row("data_folder", home, _("holds the local portal") if portal_db(home).exists()
        else _("no local portal yet (the first command on local:// makes it)"))
    show(rows, DOCTOR_COLUMNS, output)
    if problem is not None:
        raise problem
