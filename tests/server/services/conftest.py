"""Services called as a library: a fresh demo portal's store, and its users as the services see them."""

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
