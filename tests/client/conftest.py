"""Fixtures for the client tests: HTTP stubs that fail a test when one goes unused, and recorded waits."""

import pytest
import responses


@pytest.fixture
def stub():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []
