"""The portal's files on disk: private modes whatever the umask, and a lock between processes."""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PRIVATE_FILE = 0o600  # the portal holds personal data: its files are its owner's alone
PRIVATE_FOLDER = 0o700
# The database and what SQLite and the store keep beside it (gkh.paths.PORTAL_SUFFIXES names the same).
DATABASE_SUFFIXES = ("", "-wal", "-shm", ".lock")


def database_files(db_path: Path) -> list[Path]:
    """The database file and its siblings (-wal, -shm, .lock), existing or not."""
    return [db_path.with_name(db_path.name + suffix) for suffix in DATABASE_SUFFIXES]


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entries to disk (a folder: so that a rename in it survives a crash); a file
    system that cannot is left as it is."""
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def lock_path(db_path: Path) -> Path:
    """The file whose lock serialises creating, migrating and deleting the database."""
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (two first uses at once create one world)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        _tighten_fd(fd)  # the umask or an older gkh may have left it open to others
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def private_folder(folder: Path) -> None:
    """Create the folder with mode 0700 whatever the umask; an existing one is left as it is (GKH_HOME may be
    a folder the user shares on purpose: the command layer warns about it)."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=PRIVATE_FOLDER)
    except FileExistsError:
        if folder.is_dir():
            return  # another process made it a moment ago
        raise
    os.chmod(folder, PRIVATE_FOLDER)  # mkdir's mode is filtered by the umask


def tighten(path: Path) -> None:
    """Take group and others' bits off one of the portal's own files (missing, or not ours: left alone)."""
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
    except OSError:
        pass


def _tighten_fd(fd: int) -> None:
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & 0o077:
        with suppress(OSError):
            os.fchmod(fd, mode & ~0o077)


def create_private_file(path: Path) -> None:
    """An empty file of mode 0600 (SQLite takes an empty file for a new database); an existing one is kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)  # exactly 0600 whatever the umask
    finally:
        os.close(fd)
