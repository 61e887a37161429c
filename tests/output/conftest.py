"""Fixtures for the output tests."""

import pytest


@pytest.fixture
def pipe(monkeypatch):
    """Output goes to a pipe, not a terminal."""
    monkeypatch.setenv("GKH_FORCE_TTY", "0")


@pytest.fixture
def terminal(monkeypatch):
    """Output goes to a terminal."""
    monkeypatch.setenv("GKH_FORCE_TTY", "1")
