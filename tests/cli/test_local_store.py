"""The embedded portal's store that cannot be used: one line naming the folder and why, exit 6."""

from __future__ import annotations

import sqlite3

import pytest

from gkh.client.errors import PortalUnusable
from gkh.commands.common import open_local_portal
from gkh.errors import ExitCode, describe_error
from tests.helpers.demo import SEED_NOW

pytestmark = pytest.mark.sqlite_only  # the embedded portal's SQLite file


def test_a_corrupt_store_is_unusable_naming_the_folder(tmp_path):
    (tmp_path / "portal.sqlite3").write_bytes(b"garbage " * 1000)
    with pytest.raises(PortalUnusable) as caught:
        open_local_portal(tmp_path, SEED_NOW)
    assert caught.value.message == f"the local portal's data at {tmp_path} cannot be used: file is not a database"
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    assert describe_error(caught.value) == (
        f"{caught.value.message} (check GKH_HOME, or restore the folder from a backup)", ExitCode.UNREACHABLE)


@pytest.mark.parametrize(
    ("layout", "reason"),
    [("home is a file", "{home} is not a folder"),
     ("home is under a file", "{parent} is not a folder"),
     ("the database is a folder", "portal.sqlite3 is not a file")],
)
def test_a_store_that_is_not_a_folder_of_files_is_unusable(tmp_path, layout, reason):
    home = tmp_path / "home"
    if layout == "home is a file":
        home.write_text("x")
    elif layout == "home is under a file":
        tmp_path.joinpath("file").write_text("x")
        home = tmp_path / "file" / "gkh"
    else:
        (home / "portal.sqlite3").mkdir(parents=True)
    with pytest.raises(PortalUnusable) as caught:
        open_local_portal(home, SEED_NOW)
    expected = reason.format(home=home, parent=home.parent)
    assert caught.value.message == f"the local portal's data at {home} cannot be used: {expected}"
