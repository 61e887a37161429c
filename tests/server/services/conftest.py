"""Services called as a library: a fresh demo portal's store, and its users as the services see them.

Every test here runs on both engines: SQLite, then PostgreSQL through the session's throwaway cluster
(tests.helpers.postgres); the PostgreSQL half skips with its reason where no cluster can be started (so far
in CI: .ci/run does not start one yet)."""

from __future__ import annotations

import pytest

from gkh.server.access import User


@pytest.fixture
def store(portal_on_each_engine):
    return portal_on_each_engine.store


@pytest.fixture
def user(store):
    def user(login: str) -> User:
        with store.read() as conn:
            row = conn.execute("SELECT id, login, name, email, role, org_id FROM users WHERE login = ?",
                               (login,)).fetchone()
        return User(**dict(row))

    return user
