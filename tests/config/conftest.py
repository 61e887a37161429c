"""Fixtures for the settings and credentials tests: a config folder of the test's own, no GKH_* settings."""

import pytest


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """GKH_CONFIG_DIR in the test's temporary folder (not created), with no setting coming from the environment."""
    folder = tmp_path / "config"
    monkeypatch.setenv("GKH_CONFIG_DIR", str(folder))
    for name in ("GKH_PROFILE", "GKH_URL", "GKH_TIMEOUT", "GKH_RETRIES", "GKH_BACKOFF"):
        monkeypatch.delenv(name, raising=False)
    return folder
