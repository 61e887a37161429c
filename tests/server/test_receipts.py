"""Receipts: the message as a mail reader parses it back, its number and row, and its delivery through a real
SMTP server started by the test (aiosmtpd): plain, with login, with STARTTLS, down and then up again; the outbox
folder's copy when SMTP is not set or does not answer."""

from __future__ import annotations

import os
import shutil
import ssl
import stat
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from gkh.domain.errors import InvalidInput
from gkh.server.receipts import DEFAULT_SENDER, MailSettings, Postman, ReceiptFacts, compose, record_receipt, rubles
from tests.helpers.serving import free_port

MSK = ZoneInfo("Europe/Moscow")
COMPLETED = datetime(2026, 11, 27, 10, 5, tzinfo=MSK)
NOW = datetime(2026, 11, 27, 7, 5, 30, tzinfo=ZoneInfo("UTC"))
SENDER = "ЖКУ онлайн <receipts@gkh.example.org>"
NNBSP, NBSP = "\u202f", "\u00a0"


def facts(payment_id: str = "P-000001", **changes) -> ReceiptFacts:
    """Two UK bills paid by card with an advance, as ivanov would."""
    values = dict(
        payment_id=payment_id, kind="bill", payee_name="ООО «УК Ленинский квартал»", payee_inn="7701234567",
        account="77ЕЖ532838",
        bills=[("77ЕЖ532838-01-2609", "2026-09", Decimal("3942.99")),
               ("77ЕЖ532838-01-2610", "2026-10", Decimal("8238.80"))],
        advance=Decimal("5000.00"), amount=Decimal("17181.79"), commission=Decimal("137.45"),
        total=Decimal("17319.24"), method="card", completed_at=COMPLETED, email_to="ivanov@example.com")
    values.update(changes)
    return ReceiptFacts(**values)


def parsed(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def money(text: str) -> str:
    """ "12 181,79" as the receipt writes it: a narrow no-break space between thousands, a no-break one before ₽."""
    return text.replace(" ", NNBSP) + NBSP + "₽"


# --- the message ------------------------------------------------------------------------------------------

def test_the_message_parses_back_with_its_headers_and_figures():
    raw = compose(facts(), "R-000042", SENDER)
    assert b"\r\n" in raw and raw.isascii()  # RFC 5322 as SMTP carries it: CRLF, 7-bit (encoded words, QP)
    message = parsed(raw)
    assert message["From"] == SENDER
    assert message["To"] == "ivanov@example.com"
    assert message["Subject"] == "Чек об оплате ЖКУ № R-000042"
    assert parsedate_to_datetime(message["Date"]) == COMPLETED
    assert message["Message-ID"].endswith("@gkh.example.org>") and "R-000042" in message["Message-ID"]
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    body = message.get_content()
    for line in ["Получатель: ООО «УК Ленинский квартал»", "ИНН получателя: 7701234567",
                 "Лицевой счёт (ЕЛС): 77ЕЖ532838",
                 f"77ЕЖ532838-01-2609 за 09.2026: {money('3 942,99')}",
                 f"77ЕЖ532838-01-2610 за 10.2026: {money('8 238,80')}",
                 f"Аванс на лицевой счёт: {money('5 000,00')}",
                 f"Сумма: {money('17 181,79')}", f"Комиссия: {money('137,45')}", f"Итого: {money('17 319,24')}",
                 "Способ оплаты: банковская карта", "Дата и время: 27.11.2026 10:05 +03:00",
                 "Платёж: P-000001", "Чек: R-000042"]:
        assert line in body.splitlines() or f"  {line}" in body.splitlines(), line


def test_a_wallet_payment_without_advance_and_a_top_up():
    body = parsed(compose(facts(method="wallet", advance=Decimal("0.00"), commission=Decimal("0.00")), "R-000001",
                          DEFAULT_SENDER)).get_content()
    assert "Способ оплаты: кошелёк „Виртуальный мир“" in body and "Аванс" not in body
    top_up = parsed(compose(facts(kind="top_up", payee_name=None, payee_inn=None, account=None, bills=[],
                                  advance=Decimal("0.00"), amount=Decimal("500.00"), commission=Decimal("0.00"),
                                  total=Decimal("500.00"), email_to=None), "R-000002", DEFAULT_SENDER))
    assert top_up["Subject"] == "Чек о пополнении кошелька „Виртуальный мир“ № R-000002"
    assert top_up["To"] is None  # no address: no To header
    assert top_up["Message-ID"].endswith("@gkh.invalid>")
    text = top_up.get_content()
    assert f"Итого: {money('500,00')}" in text and "Получатель" not in text and "ЕЛС" not in text


def test_the_time_is_the_houses_whatever_the_instant_says():
    elsewhere = COMPLETED.astimezone(ZoneInfo("Asia/Vladivostok"))
    body = parsed(compose(facts(completed_at=elsewhere), "R-000001", SENDER)).get_content()
    assert "Дата и время: 27.11.2026 17:05 +10:00" in body


def test_rubles_are_grouped_and_exact():
    assert rubles(Decimal("0.5")) == f"0,50{NBSP}₽"
    assert rubles(Decimal("1000000.00")) == f"1{NNBSP}000{NNBSP}000,00{NBSP}₽"
    with pytest.raises(TypeError):
        rubles(12.5)  # type: ignore[arg-type]


# --- the row ----------------------------------------------------------------------------------------------

def add_payment(store, payment_id: str) -> None:
    """A succeeded payment row for the receipt to belong to (the receipts row references it)."""
    seq = int(payment_id.removeprefix("P-"))

    def work(tx):
        user = tx.execute("SELECT id FROM users WHERE login = 'ivanov'").fetchone()[0]
        tx.execute("INSERT INTO payments (id, seq, user_id, kind, method, amount_kopecks, commission_kopecks, "
                   "status, email, created_at, completed_at) VALUES (?, ?, ?, 'bill', 'card', 1718179, 13745, "
                   "'succeeded', 'ivanov@example.com', ?, ?)",
                   (payment_id, seq, user, NOW.isoformat(), NOW.isoformat()))

    store.transact(work)


def recorded(store, payment_id: str = "P-000001", **changes) -> str:
    add_payment(store, payment_id)
    return store.transact(lambda tx: record_receipt(tx, facts(payment_id, **changes), SENDER, NOW))


def row(store, payment_id: str = "P-000001") -> dict:
    with store.read() as conn:
        found = conn.execute("SELECT * FROM receipts WHERE payment_id = ?", (payment_id,)).fetchone()
        return {key: found[key] for key in ("number", "emailed_to", "message", "created_at", "delivery", "sent_at",
                                             "attempts", "last_error")}


def test_receipts_are_numbered_in_order_and_wait_in_the_outbox(portal):
    assert recorded(portal.store, "P-000001") == "R-000001"
    assert recorded(portal.store, "P-000002", email_to=None) == "R-000002"
    first = row(portal.store)
    assert (first["number"], first["emailed_to"], first["delivery"], first["sent_at"], first["attempts"]) == (
        "R-000001", "ivanov@example.com", "outbox", None, 0)
    assert parsed(bytes(first["message"]))["Subject"] == "Чек об оплате ЖКУ № R-000001"
    assert row(portal.store, "P-000002")["emailed_to"] is None


def test_a_receipt_belongs_to_its_payments_transaction(portal):
    add_payment(portal.store, "P-000001")

    def fails(tx):
        record_receipt(tx, facts(), SENDER, NOW)
        raise RuntimeError("the payment failed after the receipt was recorded")

    with pytest.raises(RuntimeError):
        portal.store.transact(fails)
    with portal.store.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM receipts").fetchone()[0] == 0


# --- the settings -----------------------------------------------------------------------------------------

def set_setting(store, key: str, value: str) -> None:
    store.transact(lambda tx: tx.execute(
        "INSERT INTO portal_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value)))


def test_mail_settings_from_the_portal_and_the_environment(portal):
    store = portal.store
    assert MailSettings.load(store, {}) is None  # no host: no SMTP
    set_setting(store, "smtp.host", "mail.example.org")
    set_setting(store, "smtp.from", SENDER)
    plain = MailSettings.load(store, {})
    assert (plain.host, plain.port, plain.starttls, plain.user, plain.password, plain.sender) == (
        "mail.example.org", 25, False, None, None, SENDER)
    set_setting(store, "smtp.starttls", "yes")
    set_setting(store, "smtp.user", "receipts")
    tls = MailSettings.load(store, {"GKH_SMTP_PASSWORD": "s3cret-pw"})
    assert (tls.port, tls.starttls, tls.user, tls.password) == (587, True, "receipts", "s3cret-pw")
    assert "s3cret-pw" not in repr(tls)
    env = MailSettings.load(store, {"GKH_SMTP_HOST": "127.0.0.1", "GKH_SMTP_PORT": "2525",
                                    "GKH_SMTP_STARTTLS": "off", "GKH_SMTP_FROM": "gkh <a@b.example>"})
    assert (env.host, env.port, env.starttls, env.sender) == ("127.0.0.1", 2525, False, "gkh <a@b.example>")


@pytest.mark.parametrize("environ, named", [
    ({"GKH_SMTP_PORT": "70000"}, "GKH_SMTP_PORT"),
    ({"GKH_SMTP_PORT": "smtp"}, "GKH_SMTP_PORT"),
    ({"GKH_SMTP_STARTTLS": "maybe"}, "GKH_SMTP_STARTTLS"),
    ({"GKH_SMTP_FROM": "receipts"}, "GKH_SMTP_FROM"),
    ({"GKH_SMTP_HOST": "mail example"}, "GKH_SMTP_HOST"),
])
@pytest.mark.sqlite_only
def test_mail_settings_that_cannot_be_right_name_the_setting(portal, environ, named):
    with pytest.raises(InvalidInput) as raised:
        MailSettings.load(portal.store, {"GKH_SMTP_HOST": "mail.example.org", **environ})
    assert raised.value.field == named and named in str(raised.value)


# --- delivery ---------------------------------------------------------------------------------------------

class Collector:
    """An aiosmtpd handler that keeps every envelope it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """Start a real SMTP server on a free loopback port (aiosmtpd) with the given options; stopped after."""
    started = []

    def start(port: int | None = None, **options):
        handler = Collector()
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **options)
        controller.start()
        started.append(controller)
        return controller, handler

    yield start
    for controller in started:
        controller.stop()


def settings(port: int, **changes) -> MailSettings:
    values = dict(host="127.0.0.1", port=port, starttls=False, user=None, password=None, sender=SENDER)
    values.update(changes)
    return MailSettings(**values)


def test_delivered_through_smtp_once(portal, smtp_server, tmp_path):
    controller, handler = smtp_server()
    recorded(portal.store)
    postman = Postman(settings(controller.port), tmp_path / "outbox")
    postman.deliver(portal.store, "P-000001", NOW)
    postman.deliver(portal.store, "P-000001", NOW)  # delivered already: nothing goes twice
    assert postman.deliver_pending(portal.store, NOW + timedelta(hours=1)) == 0
    stored = row(portal.store)
    assert (stored["delivery"], stored["sent_at"], stored["attempts"], stored["last_error"]) == (
        "smtp", "2026-11-27T07:05:30+00:00", 1, None)
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert (envelope.mail_from, envelope.rcpt_tos) == ("receipts@gkh.example.org", ["ivanov@example.com"])
    mail = parsed(envelope.original_content)
    assert mail["Subject"] == "Чек об оплате ЖКУ № R-000001"
    assert f"Итого: {money('17 319,24')}" in mail.get_content()
    assert not (tmp_path / "outbox").exists()  # nothing for a person to pick up


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
def test_login_with_the_password_from_the_environment(portal, smtp_server, tmp_path):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append(auth_data)
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"receipts", b"s3cret-pw")
        return AuthResult(success=ok, handled=False)

    controller, handler = smtp_server(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    set_setting(portal.store, "smtp.host", "127.0.0.1")
    set_setting(portal.store, "smtp.user", "receipts")
    loaded = MailSettings.load(portal.store, {"GKH_SMTP_PORT": str(controller.port),
                                              "GKH_SMTP_PASSWORD": "s3cret-pw"})
    recorded(portal.store)
    Postman(loaded, tmp_path / "outbox").deliver(portal.store, "P-000001", NOW)
    assert row(portal.store)["delivery"] == "smtp" and len(handler.envelopes) == 1
    # A wrong password: refused, kept in the outbox, the error names the server, never the password.
    recorded(portal.store, "P-000002")
    wrong = MailSettings.load(portal.store, {"GKH_SMTP_PORT": str(controller.port),
                                             "GKH_SMTP_PASSWORD": "wrong-pw-123"})
    Postman(wrong, tmp_path / "outbox").deliver(portal.store, "P-000002", NOW)
    failed = row(portal.store, "P-000002")
    assert failed["delivery"] == "outbox" and failed["attempts"] == 1
    assert "535" in failed["last_error"] and f"127.0.0.1:{controller.port}" in failed["last_error"]
    assert "wrong-pw-123" not in failed["last_error"]
    assert len(handler.envelopes) == 1
    assert (tmp_path / "outbox" / "R-000002.eml").read_bytes() == bytes(failed["message"])


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A throwaway self-signed certificate for 127.0.0.1, trusted by the process's default TLS context
    (SSL_CERT_FILE); skipped only when the openssl command is missing."""
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
def test_starttls_then_login(portal, smtp_server, certificate, tmp_path):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append(session.ssl is not None)
        ok = (auth_data.login, auth_data.password) == (b"receipts", b"s3cret-pw")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 235 or 535 itself

    controller, handler = smtp_server(tls_context=certificate, require_starttls=True, authenticator=authenticator,
                                      auth_required=True)
    recorded(portal.store)
    postman = Postman(settings(controller.port, starttls=True, user="receipts", password="s3cret-pw"), None)
    postman.deliver(portal.store, "P-000001", NOW)
    assert row(portal.store)["delivery"] == "smtp", row(portal.store)["last_error"]
    assert logins == [True] and len(handler.envelopes) == 1
    # Without STARTTLS the server refuses to take it: the receipt stays in the outbox.
    recorded(portal.store, "P-000002")
    Postman(settings(controller.port), None).deliver(portal.store, "P-000002", NOW)
    assert row(portal.store, "P-000002")["delivery"] == "outbox" and len(handler.envelopes) == 1


def test_smtp_down_then_up(portal, smtp_server, tmp_path):
    port = free_port()  # nobody listens there yet
    outbox = tmp_path / "outbox"
    postman = Postman(settings(port), outbox)
    recorded(portal.store)
    postman.deliver(portal.store, "P-000001", NOW)
    waiting = row(portal.store)
    assert (waiting["delivery"], waiting["sent_at"], waiting["attempts"]) == ("outbox", None, 1)
    assert f"127.0.0.1:{port}" in waiting["last_error"] and "refused" in waiting["last_error"].lower()
    file = outbox / "R-000001.eml"
    assert file.read_bytes() == bytes(waiting["message"])
    assert stat.S_IMODE(file.stat().st_mode) == 0o600 and stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert [p.name for p in outbox.iterdir()] == ["R-000001.eml"]  # no temporary file left behind
    assert postman.deliver_pending(portal.store, NOW + timedelta(minutes=1)) == 0  # still down

    controller, handler = smtp_server(port=port)
    later = NOW + timedelta(minutes=2)
    assert postman.deliver_pending(portal.store, later) == 1
    sent = row(portal.store)
    assert (sent["delivery"], sent["sent_at"], sent["attempts"], sent["last_error"]) == (
        "smtp", "2026-11-27T07:07:30+00:00", 3, None)
    assert len(handler.envelopes) == 1 and handler.envelopes[0].original_content == bytes(sent["message"])
    assert postman.deliver_pending(portal.store, later) == 0


def test_without_smtp_the_receipt_waits_in_the_outbox_folder(portal, tmp_path):
    outbox = tmp_path / "outbox"
    recorded(portal.store)
    postman = Postman(None, outbox)
    assert postman.sender == DEFAULT_SENDER
    postman.deliver(portal.store, "P-000001", NOW)
    waiting = row(portal.store)
    assert (waiting["delivery"], waiting["attempts"], waiting["last_error"]) == ("outbox", 1, "no SMTP server is set")
    file = outbox / "R-000001.eml"
    assert parsed(file.read_bytes())["Subject"] == "Чек об оплате ЖКУ № R-000001"
    file.write_bytes(b"a person's own notes")
    postman.deliver(portal.store, "P-000001", NOW)  # tried again: the file there is never rewritten
    assert file.read_bytes() == b"a person's own notes"
    assert postman.deliver_pending(portal.store, NOW + timedelta(hours=1)) == 0  # nothing to send it with


def test_a_receipt_without_an_address_is_only_written_to_the_folder(portal, smtp_server, tmp_path):
    controller, handler = smtp_server()
    recorded(portal.store, email_to=None)
    postman = Postman(settings(controller.port), tmp_path / "outbox")
    postman.deliver(portal.store, "P-000001", NOW)
    assert postman.deliver_pending(portal.store, NOW + timedelta(hours=1)) == 0
    stored = row(portal.store)
    assert (stored["delivery"], stored["attempts"]) == ("outbox", 0) and handler.envelopes == []
    assert (tmp_path / "outbox" / "R-000001.eml").exists()


@pytest.mark.sqlite_only
def test_the_retry_loop_leaves_a_fresh_receipt_to_its_request(portal, smtp_server):
    controller, handler = smtp_server()
    recorded(portal.store)  # recorded at NOW, never tried (the request's own try comes right after its commit)
    postman = Postman(settings(controller.port), None)
    assert postman.deliver_pending(portal.store, NOW + timedelta(minutes=1)) == 0
    assert postman.deliver_pending(portal.store, NOW + timedelta(minutes=6)) == 1  # that request never tried
    assert len(handler.envelopes) == 1


def test_delivery_never_raises(portal, tmp_path):
    file = tmp_path / "not-a-folder"
    file.write_text("")
    recorded(portal.store)
    Postman(None, file).deliver(portal.store, "P-000001", NOW)  # the folder cannot be made: logged, not raised
    Postman(None, None).deliver(portal.store, "P-404", NOW)  # no such receipt
    assert row(portal.store)["attempts"] == 1


@pytest.mark.sqlite_only
def test_server_run_refuses_smtp_settings_that_cannot_be_right(home):
    from tests.helpers.cli import gkh

    result = gkh("server", "run", "--port", "0", env={"GKH_SMTP_HOST": "127.0.0.1", "GKH_SMTP_PORT": "0",
                                                      "GKH_SMTP_PASSWORD": "s3cret-pw"})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "GKH_SMTP_PORT" in result.stderr and "65535" in result.stderr
    assert "s3cret-pw" not in result.stderr and result.stdout == ""


# --- through the API ----------------------------------------------------------------------------------------

@pytest.fixture
def serve(portal):
    """Serve the portal's store through an app with the given postman (waitress in a thread); yields a function
    that signs a demo user in and returns an Api."""
    from gkh.server.app import create_app
    from gkh.server.serve import create_http_server
    from tests.helpers.api import Api
    from tests.helpers.demo import password_of
    from tests.helpers.serving import stop_waitress

    servers = []

    def start(postman: Postman, login: str = "ivanov") -> Api:
        server = create_http_server(create_app(portal.store, postman), host="127.0.0.1", port=0, threads=4,
                                    asyncore_loop_timeout=0.05)
        servers.append((server, threading.Thread(target=server.run, daemon=True)))
        servers[-1][1].start()
        base = f"http://127.0.0.1:{server.effective_port}"
        resp = requests.post(f"{base}/api/v1/auth/token", json={"login": login, "password": password_of(login)},
                             timeout=10)
        assert resp.status_code == 201, resp.text
        return Api(base, resp.json()["token"])

    yield start
    for server, thread in servers:
        stop_waitress(server)
        thread.join(timeout=5)


LATEST = "77ЕЖ532838-01-2610"  # ivanov's newer unpaid bill, 8238.80; his wallet holds 8300.00


def test_a_wallet_payment_mails_its_receipt_through_smtp(portal, serve, smtp_server, tmp_path, monkeypatch):
    controller, handler = smtp_server()
    monkeypatch.setenv("GKH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GKH_SMTP_PORT", str(controller.port))
    postman = Postman(MailSettings.load(portal.store, os.environ), tmp_path / "outbox")
    ivanov = serve(postman)
    body = {"account": "77ЕЖ532838", "method": "wallet", "bill": LATEST}
    resp = ivanov.post("/payments", json=body, headers={"Idempotency-Key": "receipt-smtp-1"})
    assert resp.status_code == 201, resp.text
    payment = resp.json()
    assert payment["receipt"]["delivery"] == "smtp" and payment["receipt"]["sent_at"] is not None
    assert payment["receipt"]["emailed_to"] == "ivanov@example.com"
    again = ivanov.post("/payments", json=body, headers={"Idempotency-Key": "receipt-smtp-1"})
    assert again.status_code == 201 and again.json()["id"] == payment["id"]  # replayed: nothing mailed again
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["ivanov@example.com"] and envelope.mail_from == "receipts@gkh.invalid"
    mail = parsed(envelope.original_content)
    assert mail["Subject"] == f"Чек об оплате ЖКУ № {payment['receipt']['number']}"
    text = mail.get_content()
    for line in ["Получатель: ООО «УК Ленинский квартал»", "Лицевой счёт (ЕЛС): 77ЕЖ532838",
                 f"  {LATEST} за 10.2026: {money('8 238,80')}", f"Сумма: {money('8 238,80')}",
                 f"Комиссия: {money('0,00')}", f"Итого: {money('8 238,80')}",
                 "Способ оплаты: кошелёк „Виртуальный мир“", f"Платёж: {payment['id']}"]:
        assert line in text.splitlines(), line
    receipt = ivanov.get(f"/payments/{payment['id']}/receipt")
    assert receipt.status_code == 200 and receipt.content == envelope.original_content
    assert not (tmp_path / "outbox").exists()


def test_a_card_payment_mails_its_receipt_once_confirmed(portal, serve, smtp_server, tmp_path):
    controller, handler = smtp_server()
    ivanov = serve(Postman(settings(controller.port), tmp_path / "outbox"))
    pending = ivanov.post("/payments", json={"account": "77ЕЖ532838", "method": "card", "bill": LATEST}).json()
    assert pending["status"] == "pending" and pending["receipt"] is None and handler.envelopes == []
    page = requests.post(pending["confirmation_url"], data={"action": "pay"}, timeout=10)
    assert page.status_code == 200, page.text
    done = ivanov.get(f"/payments/{pending['id']}").json()
    assert done["status"] == "succeeded" and done["receipt"]["delivery"] == "smtp"
    assert len(handler.envelopes) == 1
    text = parsed(handler.envelopes[0].original_content).get_content()
    assert f"Комиссия: {money('65,91')}" in text and f"Итого: {money('8 304,71')}" in text
    assert "Способ оплаты: банковская карта" in text


def test_without_smtp_the_payment_says_outbox_and_the_folder_holds_it(portal, serve, tmp_path, monkeypatch):
    monkeypatch.delenv("GKH_SMTP_HOST", raising=False)
    outbox = tmp_path / "outbox"
    ivanov = serve(Postman(MailSettings.load(portal.store, {}), outbox))
    resp = ivanov.post("/payments", json={"account": "77ЕЖ532838", "method": "wallet", "bill": LATEST})
    assert resp.status_code == 201, resp.text
    payment = resp.json()
    number = payment["receipt"]["number"]
    assert (payment["receipt"]["delivery"], payment["receipt"]["sent_at"]) == ("outbox", None)
    receipt = ivanov.get(f"/payments/{payment['id']}/receipt")
    assert receipt.status_code == 200
    assert (outbox / f"{number}.eml").read_bytes() == receipt.content
    assert stat.S_IMODE((outbox / f"{number}.eml").stat().st_mode) == 0o600


@pytest.mark.sqlite_only  # the embedded portal
def test_the_embedded_portal_writes_receipts_to_its_data_folders_outbox(home, monkeypatch):
    from falcon import testing

    from gkh.server.local import Portal
    from tests.helpers.demo import SEED_NOW, password_of

    monkeypatch.delenv("GKH_SMTP_HOST", raising=False)
    portal = Portal(home, SEED_NOW)
    try:
        client = testing.TestClient(portal.app)
        token = client.simulate_post("/api/v1/auth/token", json={"login": "ivanov",
                                                                 "password": password_of("ivanov")}).json["token"]
        resp = client.simulate_post("/api/v1/payments", json={"account": "77ЕЖ532838", "method": "wallet"},
                                    headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 422, resp.text  # both bills (12181.79) are more than the wallet holds
        resp = client.simulate_post("/api/v1/payments", json={"account": "77ЕЖ532838", "method": "wallet",
                                                              "amount": "100"},
                                    headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 201, resp.text
        number = resp.json["receipt"]["number"]
        assert resp.json["receipt"]["delivery"] == "outbox"
        assert parsed((home / "outbox" / f"{number}.eml").read_bytes())["To"] == "ivanov@example.com"
    finally:
        portal.close()


def test_an_address_beyond_ascii_goes_as_smtputf8(portal, smtp_server, tmp_path):
    controller, handler = smtp_server(enable_SMTPUTF8=True)
    recorded(portal.store, email_to="иван@пример.рф")
    message = parsed(bytes(row(portal.store)["message"]))
    assert message["To"] == "иван@пример.рф"  # raw UTF-8 (RFC 6532), never an encoded word inside an address
    Postman(settings(controller.port), tmp_path / "outbox").deliver(portal.store, "P-000001", NOW)
    assert row(portal.store)["delivery"] == "smtp", row(portal.store)["last_error"]
    assert handler.envelopes[0].rcpt_tos == ["иван@пример.рф"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("processes", [[], ["--workers", "2"]], ids=["waitress", "gunicorn"])
def test_server_run_sends_receipts_through_the_smtp_server_it_names(home, smtp_server, tmp_path, processes):
    """`gkh server run` (one process, or gunicorn's workers) with GKH_SMTP_HOST/PORT: its start-up line says where
    receipts go, and a wallet payment's receipt arrives at that server."""
    from tests.helpers.api import Api
    from tests.helpers.demo import password_of

    controller, handler = smtp_server()
    log = tmp_path / "server.log"
    env = {**os.environ, "GKH_SMTP_HOST": "127.0.0.1", "GKH_SMTP_PORT": str(controller.port),
           "GKH_SMTP_PASSWORD": "s3cret-pw"}
    with open(log, "w") as errors:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("gkh")), "server", "run", "--port", "0",
                                 "--outbox", str(tmp_path / "mail"), *processes], stdout=subprocess.PIPE, stderr=errors,
                                text=True, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), log.read_text()
        token = requests.post(f"{url}/api/v1/auth/token", json={"login": "ivanov", "password": password_of("ivanov")},
                              timeout=10).json()["token"]
        resp = Api(url, token).post("/payments", json={"account": "77ЕЖ532838", "method": "wallet", "bill": LATEST})
        assert resp.status_code == 201, resp.text
        assert resp.json()["receipt"]["delivery"] == "smtp" and len(handler.envelopes) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    started = log.read_text()
    assert f"receipts: SMTP 127.0.0.1:{controller.port}" in started and "s3cret-pw" not in started
    assert not (tmp_path / "mail").exists()
