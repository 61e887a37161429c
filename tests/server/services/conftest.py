"""Services called as a library: a fresh demo portal's store, and its users as the services see them.

Every test runs on both engines (the `portal` fixture, tests/conftest.py): SQLite, then PostgreSQL through the
session's throwaway cluster (tests.helpers.postgres); the PostgreSQL half skips with its reason where no cluster
can be started, and fails instead under GKH_REQUIRE_POSTGRES=1 (CI)."""

from __future__ import annotations

import pytest

from gkh.server.access import User


@pytest.fixture
def store(portal):
    return portal.store


@pytest.fixture
def user(store):
    def user(login: str) -> User:
        with store.read() as conn:
            row = conn.execute("SELECT id, login, name, email, role, org_id FROM users WHERE login = ?",
                               (login,)).fetchone()
        return User(**dict(row))

    return user
