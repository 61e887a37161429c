"""A portal's admin API over HTTP, on both engines: the settings (each check, SMTP reachable or not), organisations
(check digits, the same again, a conflicting one), users with one-time passwords (the password change they must make
first), disabling and enabling them, a new one-time password; the password change's refusals."""

from __future__ import annotations

import pytest
import requests
from aiosmtpd.controller import Controller

from gkh.domain.identifiers import complete_inn10, complete_ogrn13
from tests.helpers.api import Api, assert_error
from tests.helpers.rows import db
from tests.helpers.serving import free_port

INN = complete_inn10("770123456")
OGRN = complete_ogrn13("102770012345")
ORG = {"name": "ТСЖ «Берёзка»", "short_name": "ТСЖ Берёзка", "inn": INN, "ogrn": OGRN, "kind": "managing"}


def settings_of(api: Api) -> dict[str, dict]:
    resp = api.get("/admin/settings")
    assert resp.status_code == 200, resp.text
    return {item["key"]: item for item in resp.json()["items"]}


def stored_settings(home) -> dict[str, str]:
    with db(home) as conn:
        return dict(conn.execute("SELECT key, value FROM portal_settings").fetchall())


def sign_in_with(http_portal: str, login: str, password: str) -> requests.Response:
    return requests.post(f"{http_portal}/api/v1/auth/token", json={"login": login, "password": password}, timeout=10)


def signed_in(http_portal: str, login: str, password: str) -> Api:
    resp = sign_in_with(http_portal, login, password)
    assert resp.status_code == 201, resp.text
    return Api(http_portal, resp.json()["token"])


# -- settings -------------------------------------------------------------------------------------------------------


def test_settings_list_every_key_with_its_default(sign_in):
    listed = settings_of(sign_in("admin"))
    assert {"portal.name", "readings.window_from", "readings.window_to", "payments.card_commission", "smtp.host",
            "smtp.port", "smtp.starttls", "smtp.user", "smtp.from", "acquirer.decline_amounts"} == set(listed)
    assert listed["readings.window_from"] == {**listed["readings.window_from"], "value": None, "default": "15"}
    assert listed["readings.window_to"]["default"] == "25"
    assert listed["payments.card_commission"]["default"] == "0"
    assert listed["portal.name"]["value"]  # the demo's name
    assert listed["acquirer.decline_amounts"]["value"]  # the demo's test sums
    assert all(item["description"] for item in listed.values())


def test_setting_a_value_stores_it_normalised_and_null_goes_back_to_the_default(sign_in, home):
    admin = sign_in("admin")
    resp = admin.put("/admin/settings/payments.card_commission", json={"value": "0,8"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["value"] == "0.8"
    assert stored_settings(home)["payments.card_commission"] == "0.8"
    resp = admin.put("/admin/settings/readings.window_to", json={"value": "20"}, params={"dry_run": "true"})
    assert resp.status_code == 200 and resp.json()["dry_run"] is True and resp.json()["value"] == "20"
    assert "readings.window_to" not in stored_settings(home)
    assert admin.put("/admin/settings/readings.window_to", json={"value": "20"}).status_code == 200
    assert settings_of(admin)["readings.window_to"]["value"] == "20"
    resp = admin.put("/admin/settings/readings.window_to", json={"value": None})
    assert resp.status_code == 200 and resp.json()["value"] is None and resp.json()["default"] == "25"
    assert "readings.window_to" not in stored_settings(home)


@pytest.mark.parametrize(("key", "value"), [
    ("readings.window_from", "0"), ("readings.window_from", "32"), ("readings.window_to", "32"),
    ("readings.window_from", "26"),  # after the window's default end
    ("payments.card_commission", "5.01"), ("payments.card_commission", "0.801"), ("payments.card_commission", "-1"),
    ("smtp.port", "0"), ("smtp.port", "65536"), ("smtp.starttls", "maybe"), ("smtp.from", "nobody"),
    ("smtp.host", "mail example"), ("portal.name", "  "), ("acquirer.decline_amounts", "12.3.4"),
])
def test_a_value_its_check_refuses_is_400_naming_the_key_and_nothing_is_stored(sign_in, home, key, value):
    before = stored_settings(home)
    error = assert_error(sign_in("admin").put(f"/admin/settings/{key}", json={"value": value}), 400, "invalid", key)
    assert key in error["message"] or "window" in error["message"]
    assert stored_settings(home) == before


def test_an_unknown_key_is_400_naming_key_and_listing_the_known_ones(sign_in):
    error = assert_error(sign_in("admin").put("/admin/settings/smtp.password", json={"value": "x"}), 400, "invalid",
                         "key")
    assert "smtp.host" in error["message"] and "readings.window_from" in error["message"]


def test_smtp_host_is_stored_when_its_server_answers(sign_in, home):
    controller = Controller(_Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        admin = sign_in("admin")
        assert admin.put("/admin/settings/smtp.port", json={"value": str(controller.port)}).status_code == 200
        resp = admin.put("/admin/settings/smtp.host", json={"value": "127.0.0.1"})
        assert resp.status_code == 200, resp.text
    finally:
        controller.stop()
    assert stored_settings(home)["smtp.host"] == "127.0.0.1"


def test_smtp_host_whose_server_does_not_answer_is_422_and_nothing_is_stored(sign_in, home):
    admin = sign_in("admin")
    closed = free_port()
    assert admin.put("/admin/settings/smtp.port", json={"value": str(closed)}).status_code == 200
    error = assert_error(admin.put("/admin/settings/smtp.host", json={"value": "127.0.0.1"}), 422,
                         "smtp_unreachable", "smtp.host")
    assert f"127.0.0.1:{closed}" in error["message"]
    assert "smtp.host" not in stored_settings(home)


class _Handler:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


@pytest.fixture
def tls_context(tmp_path, monkeypatch):
    """A throwaway self-signed certificate for 127.0.0.1, trusted by the process's default TLS context
    (SSL_CERT_FILE); skipped only when the openssl command is missing."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is missing: no certificate for the STARTTLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.sqlite_only  # TLS is the SMTP session's business, not the database's
def test_starttls_is_tried_when_set_and_refused_where_the_server_has_none(sign_in, home, tls_context):
    tls = Controller(_Handler(), hostname="127.0.0.1", port=free_port(), tls_context=tls_context,
                     require_starttls=True)
    plain = Controller(_Handler(), hostname="127.0.0.1", port=free_port())
    tls.start()
    plain.start()
    try:
        admin = sign_in("admin")
        for key, value in (("smtp.starttls", "yes"), ("smtp.port", str(tls.port))):
            assert admin.put(f"/admin/settings/{key}", json={"value": value}).status_code == 200
        assert admin.put("/admin/settings/smtp.host", json={"value": "127.0.0.1"}).status_code == 200
        error = assert_error(admin.put("/admin/settings/smtp.port", json={"value": str(plain.port)}), 422,
                             "smtp_unreachable", "smtp.port")
        assert "STARTTLS" in error["message"] or "starttls" in error["message"].lower()
    finally:
        tls.stop()
        plain.stop()
    assert stored_settings(home)["smtp.port"] == str(tls.port)


# -- organisations --------------------------------------------------------------------------------------------------


def organisations(home) -> int:
    with db(home) as conn:
        return conn.execute("SELECT count(*) FROM organisations").fetchone()[0]


def test_an_organisation_is_added_with_the_next_id_and_listed(sign_in, home):
    admin = sign_in("admin")
    before = organisations(home)
    resp = admin.post("/admin/organisations", json={**ORG, "card_commission": "0,8"})
    assert resp.status_code == 201, resp.text
    org = resp.json()
    assert org["id"] == f"ORG-{before + 1:04d}" and org["card_commission"] == "0.8" and org["inn"] == INN
    assert org["short_name"] == "ТСЖ Берёзка" and org["kind"] == "managing"
    listed = admin.get("/admin/organisations").json()["items"]
    assert [o["id"] for o in listed] == [f"ORG-{n:04d}" for n in range(1, before + 2)]
    assert listed[-1] == org
    # The same again: unchanged.
    again = admin.post("/admin/organisations", json={**ORG, "card_commission": "0.8"})
    assert again.status_code == 200 and again.json() == org
    # Other details under the same ИНН: a conflict.
    assert_error(admin.post("/admin/organisations", json={**ORG, "name": "ООО «Другое»"}), 409,
                 "organisation_exists", "inn")
    assert organisations(home) == before + 1


def test_a_new_organisation_gets_the_commission_setting(sign_in):
    admin = sign_in("admin")
    assert admin.put("/admin/settings/payments.card_commission", json={"value": "1.5"}).status_code == 200
    assert admin.post("/admin/organisations", json=ORG).json()["card_commission"] == "1.5"


@pytest.mark.parametrize(("field", "value"), [
    ("inn", INN[:-1] + str((int(INN[-1]) + 1) % 10)), ("ogrn", OGRN[:-1] + str((int(OGRN[-1]) + 1) % 10)),
    ("kind", "bank"), ("card_commission", "5.01"), ("name", ""), ("kpp", "12345"),
])
def test_an_organisation_refused_names_the_field(sign_in, home, field, value):
    before = organisations(home)
    error = assert_error(sign_in("admin").post("/admin/organisations", json={**ORG, field: value}), 400, "invalid",
                         field)
    if field in ("inn", "ogrn"):
        assert "check digit" in error["message"]
    assert organisations(home) == before


# -- users ----------------------------------------------------------------------------------------------------------


def add(admin: Api, **fields) -> dict:
    resp = admin.post("/admin/users", json={"login": "sidorov", "name": "Сидоров Сидор", "role": "resident",
                                            **fields})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_a_new_user_must_set_their_own_password_before_anything_else(sign_in, http_portal, home):
    admin = sign_in("admin")
    added = add(admin, email="sidorov@example.org")
    otp = added["one_time_password"]
    assert len(otp) == 16 and not set(otp) & set("0O1lI")
    assert added["user"] == {**added["user"], "login": "sidorov", "role": "resident", "organisation": None,
                             "must_change_password": True, "disabled_at": None}
    with db(home) as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE login = 'sidorov'").fetchone()[0]
    assert otp not in stored and stored.startswith("scrypt$")

    first = signed_in(http_portal, "sidorov", otp)
    other = signed_in(http_portal, "sidorov", otp)
    me = first.get("/me")
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    for method, path in (("get", "/accounts"), ("get", "/outages"), ("get", "/bills"), ("post", "/accounts/links")):
        error = assert_error(getattr(first, method)(path, json={}), 403, "password_change_required")
        assert "gkh auth password" in error["message"]
    resp = first.post("/auth/password", json={"current": otp, "new": "a-password-of-my-own"})
    assert resp.status_code == 200 and resp.json() == {"status": "changed"}
    assert first.get("/accounts").status_code == 200
    assert first.get("/me").json()["must_change_password"] is False
    assert_error(other.get("/me"), 401, "unauthenticated")  # the other token is gone
    assert sign_in_with(http_portal, "sidorov", otp).status_code == 401
    assert sign_in_with(http_portal, "sidorov", "a-password-of-my-own").status_code == 201


def test_sign_out_works_before_the_password_is_changed(sign_in, http_portal):
    otp = add(sign_in("admin"))["one_time_password"]
    user = signed_in(http_portal, "sidorov", otp)
    assert user.delete("/auth/token").status_code == 200


def test_staff_need_an_organisation_and_residents_refuse_one(sign_in, home):
    admin = sign_in("admin")
    assert_error(admin.post("/admin/users", json={"login": "clerk", "name": "Клерк", "role": "staff"}), 400,
                 "invalid", "org")
    assert_error(admin.post("/admin/users", json={"login": "res", "name": "Жилец", "role": "resident",
                                                  "org": "ORG-0001"}), 400, "invalid", "org")
    assert_error(admin.post("/admin/users", json={"login": "clerk", "name": "Клерк", "role": "staff",
                                                  "org": "ORG-0099"}), 400, "invalid", "org")
    staff = add(admin, login="clerk", role="staff", org="ORG-0001")["user"]
    assert staff["organisation"] == "ORG-0001"
    with db(home) as conn:
        inn = conn.execute("SELECT inn FROM organisations WHERE id = 'ORG-0002'").fetchone()[0]
    assert add(admin, login="clerk2", role="staff", org=inn)["user"]["organisation"] == "ORG-0002"


@pytest.mark.parametrize("login", ["ab", "a" * 65, "иванов", "with space", "semi;colon"])
def test_a_malformed_login_is_400_naming_login(sign_in, login):
    assert_error(sign_in("admin").post("/admin/users", json={"login": login, "name": "X", "role": "resident"}), 400,
                 "invalid", "login")


def test_a_taken_login_is_409_and_logins_are_lower_cased(sign_in):
    admin = sign_in("admin")
    assert add(admin, login="Sidorov.S")["user"]["login"] == "sidorov.s"
    assert_error(admin.post("/admin/users", json={"login": "SIDOROV.S", "name": "X", "role": "resident"}), 409,
                 "login_taken", "login")
    assert_error(admin.post("/admin/users", json={"login": "ivanov", "name": "X", "role": "resident"}), 409,
                 "login_taken", "login")


def test_users_are_listed_by_login(sign_in):
    admin = sign_in("admin")
    listed = admin.get("/admin/users").json()["items"]
    logins = [u["login"] for u in listed]
    assert logins == sorted(logins) and {"admin", "ivanov", "uk-staff"} <= set(logins)
    staff = next(u for u in listed if u["login"] == "uk-staff")
    assert staff["organisation"] == "ORG-0001" and staff["must_change_password"] is False


def test_a_disabled_user_is_refused_like_a_wrong_password_until_enabled(sign_in, http_portal):
    admin = sign_in("admin")
    petrova = sign_in("petrova")
    resp = admin.post("/admin/users/petrova/disable")
    assert resp.status_code == 200 and resp.json()["disabled_at"]
    assert_error(petrova.get("/me"), 401, "unauthenticated")
    from tests.helpers.demo import password_of

    wrong = sign_in_with(http_portal, "petrova", "wrong-password").json()["error"]
    refused = sign_in_with(http_portal, "petrova", password_of("petrova"))
    assert refused.status_code == 401 and refused.json()["error"]["message"] == wrong["message"]
    again = admin.post("/admin/users/petrova/disable")
    assert again.status_code == 200 and again.json() == resp.json()
    enabled = admin.post("/admin/users/petrova/enable")
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    assert sign_in_with(http_portal, "petrova", password_of("petrova")).status_code == 201


def test_an_admin_cannot_disable_themselves_and_unknown_users_are_404(sign_in):
    admin = sign_in("admin")
    assert_error(admin.post("/admin/users/admin/disable"), 422, "cannot_disable_self", "login")
    assert_error(admin.post("/admin/users/nobody/disable"), 404, "user_not_found")
    assert_error(admin.post("/admin/users/nobody/password"), 404, "user_not_found")


def test_a_reset_password_signs_the_user_out_and_asks_for_a_new_one(sign_in, http_portal):
    admin = sign_in("admin")
    petrova = sign_in("petrova")
    resp = admin.post("/admin/users/petrova/password")
    assert resp.status_code == 200, resp.text
    otp = resp.json()["one_time_password"]
    assert resp.json()["user"]["must_change_password"] is True
    assert_error(petrova.get("/me"), 401, "unauthenticated")
    again = signed_in(http_portal, "petrova", otp)
    assert_error(again.get("/accounts"), 403, "password_change_required")


# -- the password change --------------------------------------------------------------------------------------------


def test_the_password_change_refusals(sign_in, http_portal):
    from tests.helpers.demo import password_of

    current = password_of("petrova")
    petrova = sign_in("petrova")
    assert_error(petrova.post("/auth/password", json={"current": "wrong", "new": "a-long-new-password"}), 403,
                 "wrong_password", "current")
    for new in ("short", "petrova", "PETROVA", current):
        assert_error(petrova.post("/auth/password", json={"current": current, "new": new}), 400, "invalid", "new")
    assert_error(petrova.post("/auth/password", json={"current": current}), 400, "invalid", "new")
    assert_error(Api(http_portal).post("/auth/password", json={"current": current, "new": "a-long-new-password"}),
                 401, "unauthenticated")
    assert sign_in_with(http_portal, "petrova", current).status_code == 201  # unchanged


def test_wrong_current_passwords_are_throttled_like_sign_ins(sign_in):
    petrova = sign_in("petrova")
    codes = [petrova.post("/auth/password", json={"current": "wrong", "new": "a-long-new-password"}).status_code
             for _ in range(11)]
    assert codes[:10] == [403] * 10 and codes[10] == 429


# -- an empty portal, and the copy made before an upgrade -----------------------------------------------------------


@pytest.fixture
def empty_db(engine, tmp_path, request):
    """Where a new portal goes: a SQLite file's path not yet made, or an empty PostgreSQL database's URL."""
    if engine == "sqlite":
        yield tmp_path / "portal" / "portal.sqlite3"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = cluster.new_database()
    yield cluster.url(name)
    cluster.drop_database(name)


def test_an_empty_portal_has_no_demo_data_and_only_its_admin(empty_db):
    from falcon.testing import TestClient

    from gkh.server.app import create_app
    from gkh.server.db import open_portal
    from gkh.server.local import PortalExists, init_portal
    from tests.helpers.demo import SEED_NOW

    made = init_portal(empty_db, SEED_NOW, "Root", "Администратор", "the-admins-password")
    assert made["admin"]["login"] == "root" and made["admin"]["role"] == "admin"
    assert made["admin"]["must_change_password"] is False
    store = open_portal(empty_db, SEED_NOW)
    try:
        with store.read() as conn:
            counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("users", "organisations", "houses", "accounts", "meters", "bills", "payments")}
            keys = {r[0] for r in conn.execute("SELECT key FROM portal_settings")}
        assert counts == {"users": 1, "organisations": 0, "houses": 0, "accounts": 0, "meters": 0, "bills": 0,
                          "payments": 0}
        assert "demo" not in keys and made["portal_id"] == store.setting("portal_id")
        client = TestClient(create_app(store))
        token = client.simulate_post("/api/v1/auth/token", json={"login": "root", "password": "the-admins-password"})
        assert token.status_code == 201, token.text
        headers = {"Authorization": f"Bearer {token.json['token']}"}
        users = client.simulate_get("/api/v1/admin/users", headers=headers)
        assert [u["login"] for u in users.json["items"]] == ["root"]
        portal = client.simulate_get("/api/v1/portal").json
        assert portal["demo"] is False
    finally:
        store.close()
    before = empty_db.read_bytes() if not isinstance(empty_db, str) else None
    with pytest.raises(PortalExists):
        init_portal(empty_db, SEED_NOW, "other", "Другой", "another-password")
    if before is not None:
        assert empty_db.read_bytes() == before


@pytest.mark.sqlite_only
def test_a_v11_sqlite_portal_is_copied_beside_itself_before_it_is_upgraded(tmp_path):
    import sqlite3
    import stat

    from gkh.server.db import MIGRATIONS, SCHEMA_VERSION, SQLITE, Store, open_portal
    from tests.helpers.demo import SEED_NOW

    path = tmp_path / "portal.sqlite3"
    old = Store(path)
    for step in MIGRATIONS[:11]:  # the portal as the previous version left it
        with old.write() as tx:
            step.apply(tx, SQLITE)
            SQLITE.set_schema_version(tx, step.version)
    with old.write() as tx:
        tx.execute("INSERT INTO users (login, name, role, password_hash, created_at) VALUES ('boss', 'Начальник',"
                   " 'admin', 'scrypt$1$x$y', '2026-01-01T00:00:00+00:00')")
    old.close()

    store = open_portal(path, SEED_NOW)
    copy = tmp_path / "portal.sqlite3.v11.bak"
    assert store.upgrade_copy == copy and copy.exists()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 11
        assert conn.execute("SELECT login FROM users").fetchall() == [("boss",)]
    with store.read() as conn:
        assert SQLITE.schema_version(conn) == SCHEMA_VERSION
        assert conn.execute("SELECT must_change_password, disabled_at FROM users").fetchall()[0][:] == (0, None)
    store.close()
    copy.unlink()
    open_portal(path, SEED_NOW).close()  # at the current version: no copy
    assert not copy.exists()
    assert [p.name for p in tmp_path.iterdir() if ".bak" in p.name or ".tmp" in p.name] == []


def test_a_new_portal_is_not_copied(tmp_path):
    from gkh.server.db import open_portal
    from tests.helpers.demo import SEED_NOW

    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW)
    assert store.upgrade_copy is None
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "bak" in p.name) == []


def test_a_one_time_password_is_never_stored_in_the_clear_and_a_replay_carries_none(sign_in, home):
    admin = sign_in("admin")
    key = {"Idempotency-Key": "add-sidorov-1"}
    body = {"login": "sidorov", "name": "Сидоров Сидор", "role": "resident"}
    first = admin.post("/admin/users", json=body, headers=key)
    assert first.status_code == 201 and len(first.json()["one_time_password"]) == 16
    replay = admin.post("/admin/users", json=body, headers=key)
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["one_time_password"] is None and replay.json()["user"] == first.json()["user"]
    reset = admin.post("/admin/users/sidorov/password", headers={"Idempotency-Key": "reset-sidorov-1"})
    assert reset.status_code == 200 and len(reset.json()["one_time_password"]) == 16
    with db(home) as conn:
        stored = " ".join(str(r[0]) for r in conn.execute("SELECT response FROM idempotency_keys"))
    assert first.json()["one_time_password"] not in stored and reset.json()["one_time_password"] not in stored


def test_a_disabled_users_sign_ins_are_counted_like_wrong_passwords(sign_in, http_portal):
    from tests.helpers.demo import password_of

    assert sign_in("admin").post("/admin/users/petrova/disable").status_code == 200
    codes = [sign_in_with(http_portal, "petrova", password_of("petrova")).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


@pytest.mark.sqlite_only
def test_the_documented_smtp_defaults_are_those_receipts_are_sent_with(portal):
    from gkh.domain.settings import SETTINGS
    from gkh.server.receipts import MailSettings

    portal.store.transact(lambda tx: tx.execute("INSERT INTO portal_settings (key, value) VALUES ('smtp.host', ?)",
                                                ("mail.example.org",)))
    mail = MailSettings.load(portal.store, {})
    assert mail is not None
    assert (mail.starttls, mail.sender) == (SETTINGS["smtp.starttls"].default == "true", SETTINGS["smtp.from"].default)
    assert mail.port == 25 and SETTINGS["smtp.port"].default is None  # unset: 25 without STARTTLS, as documented
