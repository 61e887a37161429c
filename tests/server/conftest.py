from __future__ import annotations

import pytest
import requests

from tests.helpers.api import Api
from tests.helpers.demo import password_of
from tests.helpers.rows import db


@pytest.fixture
def sign_in(http_portal):
    def sign_in(login: str) -> Api:
        resp = requests.post(
            f"{http_portal}/api/v1/auth/token", json={"login": login, "password": password_of(login)}, timeout=10
        )
        assert resp.status_code == 201, resp.text
        return Api(http_portal, resp.json()["token"])

    return sign_in


@pytest.fixture
def ivanov(sign_in) -> Api:
    return sign_in("ivanov")


@pytest.fixture
def petrova(sign_in) -> Api:
    """Another resident, with nothing linked."""
    return sign_in("petrova")


@pytest.fixture
def add_user(http_portal, home):
    """A user made for the test (a second clerk of an organisation, another inspectorate's inspector, a resident
    of another house), signed in: add(login, role, org_id) → its Api."""
    from gkh.server.passwords import hash_password

    def add(login: str, role: str, org_id: str | None) -> Api:
        with db(home) as conn:
            conn.execute("INSERT INTO users (login, name, email, role, org_id, password_hash, created_at)"
                         " VALUES (?, ?, NULL, ?, ?, ?, '2026-11-01T00:00:00+00:00')",
                         (login, "Тестов Тест Тестович", role, org_id, hash_password(f"{login}-password")))
        resp = requests.post(f"{http_portal}/api/v1/auth/token",
                             json={"login": login, "password": f"{login}-password"}, timeout=10)
        assert resp.status_code == 201, resp.text
        return Api(http_portal, resp.json()["token"])

    return add
