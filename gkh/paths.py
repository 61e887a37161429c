"""Where gkh keeps its files, and who else can read them. Read from the environment on every call: tests
change it per test."""

import os
import stat
from pathlib import Path

# The portal's database and what SQLite and gkh keep beside it: all of it holds personal data.
PORTAL_SUFFIXES = ("", "-wal", "-shm", ".lock")


def data_home() -> Path:
    """The portal's data folder: $GKH_HOME, else the XDG data dir's gkh/."""
    if home := os.environ.get("GKH_HOME"):
        return Path(home).expanduser()
    return default_data_home()


def default_data_home() -> Path:
    """gkh's own data folder (the XDG data dir's gkh/), whatever GKH_HOME says."""
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg).expanduser() / "gkh"


def config_home() -> Path:
    """The client's config folder: $GKH_CONFIG_DIR, else the XDG config dir's gkh/."""
    if conf := os.environ.get("GKH_CONFIG_DIR"):
        return Path(conf).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg).expanduser() / "gkh"


def state_home() -> Path:
    """The client's state folder (what must outlive a run: a payment's idempotency key): $GKH_STATE_DIR, else the
    XDG state dir's gkh/."""
    if state := os.environ.get("GKH_STATE_DIR"):
        return Path(state).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg).expanduser() / "gkh"


def portal_db(home: Path) -> Path:
    return home / "portal.sqlite3"


def portal_files(db: Path) -> list[Path]:
    """The database file and its siblings (-wal, -shm, .lock), existing or not."""
    return [db.with_name(db.name + suffix) for suffix in PORTAL_SUFFIXES]


def open_to_others(path: Path) -> int:
    """The group/other permission bits of `path` that someone else can really use: its mode's 0o077 bits,
    less those a folder above it closes off (a 0755 folder inside a 0700 one is private). 0 when missing."""
    try:
        real = Path(os.path.realpath(path))
        bits = stat.S_IMODE(os.stat(real).st_mode) & 0o077
        for folder in real.parents:
            if not bits:
                break
            mode = os.stat(folder).st_mode
            if not mode & 0o011:  # neither group nor others may pass: the group's bits are out of reach
                bits &= ~0o070
            if not mode & 0o001:  # others may not pass
                bits &= ~0o007
        return bits
    except OSError:
        return 0
