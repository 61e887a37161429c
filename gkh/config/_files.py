"""Private file plumbing shared by the config file and the credential store: a folder only its owner
can enter, a write that is all or nothing, and a lock for each read-modify-write."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from gkh.errors import ExitCode, GkhError
from gkh.i18n import _
from gkh.paths import config_home

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def ensure_private_folder(folder: Path) -> None:
    """Create the folder with mode 0700; tighten an existing one only if it is gkh's own config folder."""
    try:
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                folder.mkdir(mode=PRIVATE_FOLDER)
            except FileExistsError:
                pass  # another gkh made it a moment ago; fall through to the check below
            else:
                os.chmod(folder, PRIVATE_FOLDER)  # mkdir's mode is filtered by the umask
                return
        if _is_own_config_folder(folder):
            mode = stat.S_IMODE(os.stat(folder).st_mode)
            if mode & 0o077:
                os.chmod(folder, mode & ~0o077)
    except OSError as error:
        raise GkhError(_("cannot create the folder {folder}: {reason}").format(folder=folder, reason=error.strerror),
                       ExitCode.ERROR) from None


def _is_own_config_folder(folder: Path) -> bool:
    return is_own_folder(folder, config_home())


def is_own_folder(folder: Path, own: Path) -> bool:
    """Only gkh's own folder `own` (its config or its default data folder), owned by us, and never a shared
    (sticky) folder or the home folder itself: GKH_CONFIG_DIR and GKH_HOME may point anywhere, and chmod-ing
    /tmp or ~ would break other programs."""
    try:
        if folder.resolve() != own.resolve() or folder.resolve() == Path.home().resolve():
            return False
        info = os.stat(folder)
    except (OSError, RuntimeError):
        return False
    return info.st_uid == os.geteuid() and not info.st_mode & stat.S_ISVTX


def write_private_file(path: Path, data: bytes) -> None:
    """Replace the file in one step with a new one of mode 0600: a temp file beside it, fsync, os.replace."""
    ensure_private_folder(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)  # exactly 0600 whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        os.chmod(path, PRIVATE_FILE)
        _fsync_folder(path.parent)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise GkhError(_("cannot write {path}: {reason}").format(path=path, reason=error.strerror),
                       ExitCode.ERROR) from None


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash right after must not bring the old file back)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def locked(path: Path, *, busy: str | None = None) -> Iterator[None]:
    """Hold an exclusive flock on `<path>.lock` (kept, never deleted: deleting lock files races). With `busy`, do
    not wait: while another process holds it, refuse at once with that message (exit 1)."""
    ensure_private_folder(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as error:
        raise GkhError(_("cannot open the lock file {path}: {reason}").format(path=lock_path, reason=error.strerror),
                       ExitCode.ERROR) from None
    try:
        try:
            import fcntl
        except ImportError:  # not POSIX: no advisory locks, the atomic replace still holds
            pass
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if busy is not None else 0))
            except BlockingIOError:
                raise GkhError(busy or "", ExitCode.ERROR) from None
        yield
    finally:
        os.close(fd)  # closing releases the flock


def read_state(path: Path, section: str) -> dict:
    """The object under `section` of a JSON state file (gkh's own: kept attempts, seen notices); {} when the file
    is not there or damaged — it is rewritten whole on the next change."""
    data = read_bytes(path)
    try:
        document = json.loads(data) if data else {}
    except ValueError:
        document = {}
    found = document.get(section) if isinstance(document, dict) else None
    return found if isinstance(found, dict) else {}


def write_state(path: Path, section: str, value: dict) -> None:
    """A JSON state file holding `value` under `section`, written whole (0600)."""
    write_private_file(path, json.dumps({section: value}, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")


def read_bytes(path: Path) -> bytes | None:
    """The file's contents, or None when it does not exist; any other failure is one line."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise GkhError(_("cannot read {path}: {reason}").format(path=path, reason=error.strerror),
                       ExitCode.ERROR) from None
