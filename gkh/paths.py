"""Where gkh keeps its files. Read from the environment on every call: tests change it per test."""

import os
from pathlib import Path


def data_home() -> Path:
    """The portal's data folder: $GKH_HOME, else the XDG data dir's gkh/."""
    if home := os.environ.get("GKH_HOME"):
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg).expanduser() / "gkh"


def config_home() -> Path:
    """The client's config folder: $GKH_CONFIG_DIR, else the XDG config dir's gkh/."""
    if conf := os.environ.get("GKH_CONFIG_DIR"):
        return Path(conf).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg).expanduser() / "gkh"


def portal_db(home: Path) -> Path:
    return home / "portal.sqlite3"
