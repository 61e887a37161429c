"""The portal's database: the stores (SQLite; PostgreSQL in db.postgres, imported only for its URLs), the
dialect, its files, and the migrations. It knows nothing of the rest of gkh."""

from gkh.server.db.dialect import POSTGRES, SQLITE, Busy, Connection, Dialect, PortalStore, Row
from gkh.server.db.files import (
    PRIVATE_FILE,
    PRIVATE_FOLDER,
    database_files,
    file_lock,
    fsync_path,
    lock_path,
    private_folder,
    tighten,
)
from gkh.server.db.migrations import MIGRATIONS, SCHEMA_VERSION, Migration, Seed
from gkh.server.db.store import BUSY_TIMEOUT_MS, Store, open_portal, portal_version, upgrade_copy_path

__all__ = [
    "BUSY_TIMEOUT_MS",
    "Busy",
    "MIGRATIONS",
    "POSTGRES",
    "PRIVATE_FILE",
    "PRIVATE_FOLDER",
    "SCHEMA_VERSION",
    "SQLITE",
    "Connection",
    "Dialect",
    "Migration",
    "PortalStore",
    "Row",
    "Seed",
    "Store",
    "database_files",
    "file_lock",
    "fsync_path",
    "lock_path",
    "open_portal",
    "portal_version",
    "private_folder",
    "tighten",
    "upgrade_copy_path",
]
