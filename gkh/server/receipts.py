"""Receipts: the e-mail that tells a payer a payment went through, recorded with the payment and delivered after.

`record_receipt` runs inside the payment's own transaction: it takes the next receipt number, composes the RFC
5322 message (the standard library's `email`, UTF-8) and stores it in the `receipts` table, so every server
process can read it and `GET /payments/{id}/receipt` can answer it. Delivery comes after the commit
(`Postman.deliver`): through SMTP when the portal has an SMTP host set (settings, or the environment), else, or
while the SMTP server does not answer, the row stays in the outbox (retried by `Postman.deliver_pending`) and the
message is also written as `<outbox>/<number>.eml` for a person to open.

Every SQL statement on the receipts table lives here; the table itself is the payments migration's.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from gkh.clock import current_now
from gkh.domain.dates import format_instant
from gkh.domain.errors import InvalidInput
from gkh.domain.money import KOPECK
from gkh.i18n import _
from gkh.server.db import PRIVATE_FILE, Connection, PortalStore, fsync_path, private_folder

__all__ = ["DEFAULT_SENDER", "MailSettings", "Postman", "ReceiptFacts", "record_receipt", "rubles",
           "start_retries"]

log = logging.getLogger("gkh.server.receipts")

DEFAULT_SENDER = "gkh <receipts@gkh.invalid>"
SMTP_TIMEOUT_S = 10
NO_SMTP = "no SMTP server is set"  # a receipt's last_error, as log lines are: in English whatever the request's
RETRY_EVERY_S = 60  # how often a serving process retries the outbox when SMTP is set
# The retry loop leaves a fresh receipt to the request that recorded it (which tries it right after its commit):
# it picks up a row only once that try has failed, or when this long has passed (the process may have died).
FRESH_FOR = timedelta(minutes=5)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_HOST_RE = re.compile(r"^[A-Za-z0-9._:\[\]-]{1,253}$")


@dataclass(frozen=True)
class ReceiptFacts:
    """Everything the receipt says; the payments service fills it inside the payment's transaction."""

    payment_id: str
    kind: str  # 'bill' | 'top_up'
    payee_name: str | None
    payee_inn: str | None
    account: str | None
    bills: list[tuple[str, str, Decimal]]  # (ИПД, period "YYYY-MM", the amount applied to it), oldest first
    advance: Decimal
    amount: Decimal
    commission: Decimal
    total: Decimal
    method: str  # 'wallet' | 'card'
    completed_at: datetime  # aware, already in the house's zone (Europe/Moscow for a top-up)
    email_to: str | None


# --- composing ----------------------------------------------------------------------------------------------
# The receipt is always in Russian, whatever the request's language: it is a fiscal-style document for the
# portal's residents (the seed's users), stored once and sent as it is, so its words are not run through the
# catalogue.

_METHODS = {"wallet": "кошелёк „Виртуальный мир“", "card": "банковская карта"}
_SUBJECTS = {"bill": "Чек об оплате ЖКУ № {number}",
             "top_up": "Чек о пополнении кошелька „Виртуальный мир“ № {number}"}


def rubles(amount: Decimal) -> str:
    """Decimal → "1 234,56 ₽" as Russian readers write it: thousands grouped by a narrow no-break space, a
    decimal comma, a no-break space before the sign."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    sign = "−" if amount < 0 else ""
    whole, _dot, cents = f"{abs(amount).quantize(KOPECK):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        whole, tail = whole[:-3], whole[-3:]
        groups.insert(0, tail)
    return f"{sign}{chr(0x202F).join([whole, *groups])},{cents}\u00a0₽"


def _moment(dt: datetime) -> str:
    """An aware datetime as a Russian reader reads it, in its own zone: "27.11.2026 10:05 +03:00"."""
    offset = dt.utcoffset()
    if offset is None:
        raise ValueError("the receipt's time must be aware (in the house's zone)")
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{dt:%d.%m.%Y %H:%M} {sign}{hours:02d}:{mins:02d}"


def _period(period: str) -> str:
    """ "2026-09" → "09.2026"."""
    year, _sep, month = period.partition("-")
    return f"{month}.{year}" if month else period


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip("[] ") if "@" in address else ""
    return domain or "gkh.invalid"


def _body(facts: ReceiptFacts, number: str) -> str:
    lines = [_SUBJECTS.get(facts.kind, _SUBJECTS["bill"]).format(number=number), ""]
    if facts.kind == "top_up":
        lines.append("Операция: пополнение кошелька „Виртуальный мир“")
    else:
        lines.append("Операция: оплата жилищно-коммунальных услуг")
    if facts.payee_name:
        lines.append(f"Получатель: {facts.payee_name}")
    if facts.payee_inn:
        lines.append(f"ИНН получателя: {facts.payee_inn}")
    if facts.account:
        lines.append(f"Лицевой счёт (ЕЛС): {facts.account}")
    if facts.bills:
        lines += ["", "Оплаченные платёжные документы:"]
        lines += [f"  {bill_id} за {_period(period)}: {rubles(applied)}" for bill_id, period, applied in facts.bills]
    if facts.advance > 0:
        lines.append(f"Аванс на лицевой счёт: {rubles(facts.advance)}")
    lines += [
        "",
        f"Сумма: {rubles(facts.amount)}",
        f"Комиссия: {rubles(facts.commission)}",
        f"Итого: {rubles(facts.total)}",
        f"Способ оплаты: {_METHODS.get(facts.method, facts.method)}",
        f"Дата и время: {_moment(facts.completed_at)}",
        f"Платёж: {facts.payment_id}",
        f"Чек: {number}",
        "",
        "Письмо отправлено порталом ЖКУ автоматически, отвечать на него не нужно.",
    ]
    return "\n".join(lines) + "\n"


def compose(facts: ReceiptFacts, number: str, sender: str) -> bytes:
    """The receipt's RFC 5322 bytes (CRLF line ends, UTF-8 body in quoted-printable, the subject as encoded
    words). An address that only SMTPUTF8 can carry (a non-ASCII mailbox or domain: encoded words are not
    allowed in one) makes the headers raw UTF-8 instead (RFC 6532), and its delivery asks for SMTPUTF8."""
    addresses = [parseaddr(sender)[1], parseaddr(facts.email_to)[1] if facts.email_to else ""]
    message = EmailMessage(policy=SMTP if all(a.isascii() for a in addresses) else SMTPUTF8)
    message["From"] = sender
    if facts.email_to:
        message["To"] = facts.email_to
    message["Subject"] = _SUBJECTS.get(facts.kind, _SUBJECTS["bill"]).format(number=number)
    message["Date"] = format_datetime(facts.completed_at)
    # From the sender's domain, never the machine's host name (make_msgid's default): a receipt tells nothing
    # of the server that made it.
    message["Message-ID"] = make_msgid(idstring=number, domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_body(facts, number), charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = "ru"  # after set_content, which replaces every Content-* header
    return message.as_bytes()


def _next_number(tx: Connection) -> str:
    row = tx.execute("SELECT number FROM receipts ORDER BY length(number) DESC, number DESC LIMIT 1").fetchone()
    last = int(row[0].removeprefix("R-")) if row else 0
    return f"R-{last + 1:06d}"


def record_receipt(tx: Connection, facts: ReceiptFacts, sender: str, now: datetime) -> str:
    """Inside the payment's transaction: take the next number (R-000001…), compose the message, insert the
    receipts row (delivery 'outbox', sent_at NULL). Returns the number."""
    number = _next_number(tx)
    message = compose(facts, number, sender)
    tx.execute("INSERT INTO receipts (payment_id, number, emailed_to, message, created_at, delivery, sent_at, "
               "attempts, last_error) VALUES (?, ?, ?, ?, ?, 'outbox', NULL, 0, NULL)",
               (facts.payment_id, number, facts.email_to, message, format_instant(now)))
    return number


# --- settings -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MailSettings:
    """Where receipts are sent: an SMTP server (STARTTLS and login when given) and the From address. The
    password comes from GKH_SMTP_PASSWORD alone: never stored, printed or logged (repr hides it)."""

    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str

    def __repr__(self) -> str:
        return (f"MailSettings(host={self.host!r}, port={self.port}, starttls={self.starttls}, user={self.user!r}, "
                f"password={'***' if self.password else None}, sender={self.sender!r})")

    @property
    def where(self) -> str:
        """host:port, as a start-up line says where receipts go."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @classmethod
    def load(cls, store: PortalStore, environ: Mapping[str, str]) -> MailSettings | None:
        """The portal settings smtp.host, smtp.port, smtp.starttls, smtp.user, smtp.from, each overridden by
        GKH_SMTP_HOST, GKH_SMTP_PORT, GKH_SMTP_STARTTLS, GKH_SMTP_USER, GKH_SMTP_FROM; the password from
        GKH_SMTP_PASSWORD. None when no host is set (no SMTP). A value that cannot be right is InvalidInput (a
        ValueError) naming the setting."""

        def value(key: str) -> tuple[str, str | None]:
            variable = "GKH_SMTP_" + key.upper()
            if (text := environ.get(variable, "").strip()) != "":
                return variable, text
            stored = store.setting(f"smtp.{key}")
            return f"smtp.{key}", (stored.strip() or None) if stored is not None else None

        host_name, host = value("host")
        if host is None:
            return None
        if not _HOST_RE.match(host):
            raise InvalidInput(_("{setting} must be a host name or address; got {value}").format(
                setting=host_name, value=repr(host)), host_name)
        tls_name, tls_text = value("starttls")
        starttls = False
        if tls_text is not None:
            if tls_text.lower() not in (*_TRUE, *_FALSE):
                raise InvalidInput(_("{setting} must be true or false (yes/no, on/off, 1/0); got {value}").format(
                    setting=tls_name, value=repr(tls_text)), tls_name)
            starttls = tls_text.lower() in _TRUE
        port_name, port_text = value("port")
        port = 587 if starttls else 25
        if port_text is not None:
            if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise InvalidInput(_("{setting} must be a port number from 1 to 65535; got {value}").format(
                    setting=port_name, value=repr(port_text)), port_name)
            port = int(port_text)
        _user_name, user = value("user")
        sender_name, sender = value("from")
        if sender is not None and "@" not in parseaddr(sender)[1]:
            raise InvalidInput(_("{setting} must be an e-mail address such as \"ЖКУ <receipts@example.org>\"; "
                                 "got {value}").format(setting=sender_name, value=repr(sender)), sender_name)
        password = environ.get("GKH_SMTP_PASSWORD") or None
        return cls(host=host, port=port, starttls=starttls, user=user, password=password,
                   sender=sender or DEFAULT_SENDER)


# --- delivery -----------------------------------------------------------------------------------------------

class Postman:
    """Delivers the recorded receipts: through SMTP when `settings` are given, else (and on any failure) into
    the outbox: the row stays 'outbox' (retried) and the message is written to the `outbox` folder, if any."""

    def __init__(self, settings: MailSettings | None, outbox: Path | None):
        self.settings = settings
        self.outbox = outbox

    @property
    def sender(self) -> str:
        return self.settings.sender if self.settings is not None else DEFAULT_SENDER

    @property
    def where(self) -> str:
        """Where receipts go, for a start-up line."""
        if self.settings is not None:
            return _("receipts: SMTP {where}").format(where=self.settings.where)
        if self.outbox is not None:
            return _("receipts: outbox {folder}").format(folder=self.outbox)
        return _("receipts: kept in the database only")

    def deliver(self, store: PortalStore, payment_id: str, now: datetime) -> None:
        """After the payment's commit: send its receipt, or put it in the outbox. Never raises (the payment is
        done whatever happens to its mail): a failure is kept on the row and logged."""
        try:
            self._deliver(store, payment_id, now)
        except Exception:  # the payment stands; the retry loop has the row
            log.exception("receipt of %s: delivery failed", payment_id)

    def deliver_pending(self, store: PortalStore, now: datetime, limit: int = 50) -> int:
        """Retry the receipts still in the outbox with an address (SMTP set only); how many went. A round stops
        at the first failure to reach the server (the rest wait for the next round)."""
        if self.settings is None:
            return 0
        cutoff = format_instant(now - FRESH_FOR)
        with store.read(snapshot=False) as conn:
            rows = conn.execute("SELECT payment_id FROM receipts WHERE delivery = 'outbox' AND emailed_to IS NOT "
                                "NULL AND (attempts > 0 OR created_at < ?) ORDER BY created_at, number LIMIT ?",
                                (cutoff, limit)).fetchall()
        sent = 0
        for row in rows:
            try:
                outcome = self._deliver(store, row[0], now)
            except Exception:  # one bad row must not stop the loop for good
                log.exception("receipt of %s: delivery failed", row[0])
                continue
            if outcome == "sent":
                sent += 1
            elif outcome == "unreachable":
                break
        return sent

    def _deliver(self, store: PortalStore, payment_id: str, now: datetime) -> str:
        """'sent', 'failed', 'unreachable' (the server could not be reached), or 'skipped' (nothing to do)."""
        with store.read(snapshot=False) as conn:
            row = conn.execute("SELECT number, emailed_to, message, delivery, attempts FROM receipts "
                               "WHERE payment_id = ?", (payment_id,)).fetchone()
        if row is None or row["delivery"] != "outbox":
            return "skipped"
        number, to, message, attempts = row["number"], row["emailed_to"], bytes(row["message"]), row["attempts"]
        if to is None:  # nowhere to send it: only the folder's copy, for a person to open
            self._write_outbox(number, message)
            return "skipped"
        # Claim this try: the attempt counted only if nobody else counted one meanwhile (another request, the
        # retry loop, another process), so one message goes out once.
        claimed = store.transact(lambda tx: tx.execute(
            "UPDATE receipts SET attempts = attempts + 1 WHERE payment_id = ? AND delivery = 'outbox' "
            "AND attempts = ?", (payment_id, attempts)).rowcount, row_locks=True)
        if claimed != 1:
            return "skipped"
        if self.settings is None:
            outcome, error = "failed", NO_SMTP
        else:
            outcome, error = self._send(self.settings, to, message)
        if outcome == "sent":
            store.transact(lambda tx: tx.execute(
                "UPDATE receipts SET delivery = 'smtp', sent_at = ?, last_error = NULL WHERE payment_id = ?",
                (format_instant(now), payment_id)), row_locks=True)
            return outcome
        store.transact(lambda tx: tx.execute("UPDATE receipts SET last_error = ? WHERE payment_id = ?",
                                             (error[:500], payment_id)), row_locks=True)
        if self.settings is not None:
            log.warning("receipt %s of %s stays in the outbox: %s", number, payment_id, error)
        self._write_outbox(number, message)
        return outcome

    @staticmethod
    def _send(settings: MailSettings, to: str, message: bytes) -> tuple[str, str]:
        """(outcome, error): one SMTP session that hands the message over. The error text names the server
        and what went wrong, never a password."""
        sender = parseaddr(settings.sender)[1]
        options = [] if to.isascii() and sender.isascii() else ["SMTPUTF8"]
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.user:
                    smtp.login(settings.user, settings.password or "")
                smtp.sendmail(sender, [to], message, mail_options=options)
        except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected) as error:
            return "unreachable", _smtp_error(settings, error)
        except smtplib.SMTPException as error:  # the server answered, and refused
            return "failed", _smtp_error(settings, error)
        except OSError as error:  # refused, timed out, no such host, TLS failed
            return "unreachable", _smtp_error(settings, error)
        return "sent", ""

    def _write_outbox(self, number: str, message: bytes) -> None:
        """`<outbox>/<number>.eml`, 0600 in a 0700 folder, written whole (a temporary file linked into place)
        and never rewritten once there."""
        if self.outbox is None:
            return
        try:
            private_folder(self.outbox)
            target = self.outbox / f"{number}.eml"
            if target.exists():
                return
            temp = self.outbox / f".{number}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            try:
                try:
                    os.fchmod(fd, PRIVATE_FILE)  # exactly 0600 whatever the umask: it holds a payer's details
                    os.write(fd, message)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                try:
                    os.link(temp, target)  # fails if another process put it there first: theirs stays
                except FileExistsError:
                    pass
            finally:
                os.unlink(temp)
            fsync_path(self.outbox)
        except OSError as error:
            log.warning("receipt %s: cannot write it to the outbox %s: %s", number, self.outbox,
                        error.strerror or error)


def start_retries(postman: Postman, store: PortalStore, every: float = RETRY_EVERY_S,
                  clock: Callable[[], datetime] = current_now) -> threading.Event | None:
    """A daemon thread that retries the outbox (`deliver_pending`) every `every` seconds while the process
    serves, when SMTP is set (else None). Setting the returned event stops it. Several processes may each run
    one: every try is claimed on its row first."""
    if postman.settings is None:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                postman.deliver_pending(store, clock())
            except Exception:  # a database that is busy or gone for a moment: the next round tries again
                log.exception("retrying the receipts' outbox failed")

    threading.Thread(target=loop, name="gkh-receipts", daemon=True).start()
    return stop


def _smtp_error(settings: MailSettings, error: Exception) -> str:
    """One line about a failed SMTP session (stored as the row's last_error and logged): the server and the
    error, with the password (if the server echoed it) masked."""
    if isinstance(error, smtplib.SMTPResponseException):
        said = error.smtp_error
        detail = f"{error.smtp_code} {said.decode('utf-8', 'replace') if isinstance(said, bytes) else said}"
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{to}: {code} {text.decode('utf-8', 'replace')}"
                           for to, (code, text) in error.recipients.items())
    else:
        detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
    text = " ".join(f"SMTP {settings.where}: {type(error).__name__}: {detail}".split())
    if settings.password:
        text = text.replace(settings.password, "***")
    return text
