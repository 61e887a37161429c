from __future__ import annotations

import pytest
import requests

from tests.helpers.api import Api
from tests.helpers.demo import password_of


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
