"""The embedded portal as the command line uses it: signing the demo resident in, and the demo users."""

from __future__ import annotations

import subprocess
import sys

import falcon.inspect
import falcon.testing
import pytest

from tests.helpers.demo import SEED_NOW, password_of


def test_the_demo_resident_is_signed_in_as_by_post_auth_token(portal):
    client = falcon.testing.TestClient(portal.app)
    by_http = client.simulate_post("/api/v1/auth/token", json={"login": "ivanov", "password": password_of("ivanov")})
    signed_in = portal.sign_in_demo_resident(SEED_NOW)
    assert set(signed_in) == set(by_http.json) == {"token", "expires_at", "user"}
    assert signed_in["user"] == by_http.json["user"]
    assert signed_in["expires_at"] == "2027-02-18T09:00:00+00:00"
    me = client.simulate_get("/api/v1/me", headers={"Authorization": f"Bearer {signed_in['token']}"})
    assert (me.status_code, me.json["login"], me.json["token_expires_at"]) == (200, "ivanov", signed_in["expires_at"])


def test_the_demo_users_are_shown_on_a_demo_portal_only(portal):
    assert [u["login"] for u in portal.demo_users()][:2] == ["ivanov", "petrova"]
    assert portal.demo_users()[0]["password"] == password_of("ivanov")
    with portal.store.write() as tx:
        tx.execute("UPDATE portal_settings SET value = '0' WHERE key = 'demo'")
    assert portal.demo_users() == []
    with pytest.raises(PermissionError):
        portal.sign_in_demo_resident(SEED_NOW)


def test_the_demo_resident_is_signed_in_in_process_only(portal):
    """The embedded portal signs its demo resident in without a password; no HTTP route does that."""
    signed_in = portal.sign_in_demo_resident(SEED_NOW)
    client = falcon.testing.TestClient(portal.app)
    me = client.simulate_get("/api/v1/me", headers={"Authorization": f"Bearer {signed_in['token']}"}).json
    assert me["login"] == "ivanov" and signed_in["expires_at"].startswith("2027-02-18")
    for route in falcon.inspect.inspect_app(portal.app).routes:
        path = route.path.replace("{", "").replace("}", "")
        for method in (m for m in route.methods if m.method in ("GET", "POST", "PUT", "PATCH", "DELETE")):
            for body in (None, {}, {"login": "ivanov"}, {"login": "ivanov", "password": ""}):
                answer = client.simulate_request(method.method, path, json=body)
                # JSON answers only: the acquirer's pages are HTML (and give out no bearer token either).
                media = answer.json if answer.headers.get("content-type", "").startswith("application/json") else {}
                assert "token" not in (media if isinstance(media, dict) else {}), (method, path, body)


@pytest.mark.parametrize("fresh", [False, True], ids=["existing", "created"])
def test_the_embedded_portal_never_imports_psycopg_or_gunicorn(home, tmp_path, monkeypatch, fresh):
    """local:// is SQLite alone: neither answering nor creating (migrating, seeding) a portal loads the
    PostgreSQL driver, whether it is installed or not."""
    if fresh:
        monkeypatch.setenv("GKH_HOME", str(tmp_path / "fresh"))
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gkh", "account", "list", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "gkh.server.db.store" in imported  # the embedded portal was opened in this process
    assert not {m for m in imported if m.split(".")[0] in ("psycopg", "psycopg_pool", "psycopg_binary", "gunicorn")}
    assert not {"gkh.server.db.postgres", "gkh.server.workers"} & imported
