"""The portal's settings: each known key with its documented default, its meaning and its check.

A setting's value is text, as the portal stores it; a check takes what a person typed and gives the text to store
(normalised: "0,8" → "0.8", "yes" → "true"), or raises InvalidInput naming the key. Keys the portal keeps for itself
(its id, the demo mark, when it was made) are not settings: nobody sets them. The SMTP password is never a setting
(only the GKH_SMTP_PASSWORD variable), so that no copy of the database holds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.utils import parseaddr

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import quoted
from gkh.domain.money import parse_amount
from gkh.i18n import N_, _

MAX_COMMISSION = Decimal(5)  # percent of the sum
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_HOST_RE = re.compile(r"^[A-Za-z0-9._:\[\]-]{1,253}\Z")
_COMMISSION_RE = re.compile(r"^[0-9]{1,3}(?:[.,][0-9]{1,2})?\Z")
_DAY_RE = re.compile(r"^[0-9]{1,2}\Z")
_PORT_RE = re.compile(r"^[0-9]{1,5}\Z")
_MAX_TEXT = 200


@dataclass(frozen=True)
class Setting:
    """One known setting: its key, the text it has when unset (None: nothing), what it means, and its check."""

    key: str
    default: str | None
    description: str  # marked with N_: shown through _()
    check: Callable[[str, str], str]  # (key, value typed) → the value to store
    stored_as: str = ""  # the row's key in the portal's settings, when not the setting's own

    @property
    def row_key(self) -> str:
        return self.stored_as or self.key


def _plain_text(key: str, value: str, *, empty: bool) -> str:
    text = value.strip()
    if not text and not empty:
        raise InvalidInput(_("{key} must not be empty").format(key=key), key)
    if len(text) > _MAX_TEXT:
        raise InvalidInput(_("{key} must be at most {limit} characters; got {count}").format(
            key=key, limit=_MAX_TEXT, count=len(text)), key)
    if any(not ch.isprintable() for ch in text):
        raise InvalidInput(_("{key} must be one line of printable text; got {got}").format(
            key=key, got=quoted(text)), key)
    return text


def _name(key: str, value: str) -> str:
    return _plain_text(key, value, empty=False)


def _optional_text(key: str, value: str) -> str:
    return _plain_text(key, value, empty=True)


def _day(key: str, value: str) -> str:
    text = value.strip()
    if not _DAY_RE.match(text) or not 1 <= int(text) <= 31:
        raise InvalidInput(_("{key} must be a day of the month from 1 to 31; got {got}").format(
            key=key, got=quoted(value)), key)
    return str(int(text))


def _commission(key: str, value: str) -> str:
    return format_percent(parse_percent(value, key))


def _host(key: str, value: str) -> str:
    text = value.strip()
    if text and not _HOST_RE.match(text):
        raise InvalidInput(_("{key} must be a host name or address (or empty: no SMTP); got {got}").format(
            key=key, got=quoted(value)), key)
    return text


def _port(key: str, value: str) -> str:
    text = value.strip()
    if not _PORT_RE.match(text) or not 1 <= int(text) <= 65535:
        raise InvalidInput(_("{key} must be a port number from 1 to 65535; got {got}").format(
            key=key, got=quoted(value)), key)
    return str(int(text))


def _flag(key: str, value: str) -> str:
    text = value.strip().lower()
    if text in _TRUE:
        return "true"
    if text in _FALSE:
        return "false"
    raise InvalidInput(_("{key} must be true or false (yes/no, on/off, 1/0); got {got}").format(
        key=key, got=quoted(value)), key)


def _address(key: str, value: str) -> str:
    text = _plain_text(key, value, empty=False)
    address = parseaddr(text)[1]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address:
        raise InvalidInput(_('{key} must be an e-mail address such as "ЖКУ <receipts@example.org>"; got {got}').format(
            key=key, got=quoted(value)), key)
    return text


def _amounts(key: str, value: str) -> str:
    parts = [part.strip() for part in value.split(",")]
    if parts == [""]:
        return ""
    amounts = []
    for part in parts:
        try:
            amounts.append(parse_amount(part, key))
        except InvalidInput:
            raise InvalidInput(_("{key} must be sums in roubles separated by commas, such as "
                                 '"13.13, 66.60"; got {got}').format(key=key, got=quoted(part)), key) from None
    return ", ".join(f"{amount:.2f}" for amount in amounts)


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("portal.name", "gkh", N_("the portal's name, as clients show it"), _name, stored_as="name"),
    Setting("readings.window_from", "15", N_("the day of the month a house's window for meter readings opens "
                                            "(a house imported without its own window gets it)"), _day),
    Setting("readings.window_to", "25", N_("the last day of the month a house's window for meter readings is "
                                          "open (a house imported without its own window gets it)"), _day),
    Setting("payments.card_commission", "0", N_("the commission of a card payment in percent of the sum, 0 to 5 "
                                                "(a new organisation's rate)"), _commission),
    Setting("smtp.host", None, N_("the SMTP server receipts are sent through (empty: no SMTP; the receipts stay in "
                                  "the outbox); its password only in GKH_SMTP_PASSWORD"), _host),
    Setting("smtp.port", None, N_("the SMTP server's port (unset: 587 with STARTTLS, else 25)"), _port),
    Setting("smtp.starttls", "false", N_("whether to switch the SMTP connection to TLS (STARTTLS) before "
                                         "signing in and sending"), _flag),
    Setting("smtp.user", None, N_("the login on the SMTP server (empty: send without signing in)"), _optional_text),
    Setting("smtp.from", "gkh <receipts@gkh.invalid>", N_("the From address of the receipts"), _address),
    Setting("acquirer.decline_amounts", None, N_("the demo acquirer's test sums it declines, separated by "
                                                 "commas"), _amounts),
)}

# The settings that decide whether the SMTP server is reachable: setting one of them checks it.
SMTP_KEYS = ("smtp.host", "smtp.port", "smtp.starttls", "smtp.user")


def setting(key: str) -> Setting:
    """The known setting `key`; InvalidInput naming `key` (and listing the known ones) for any other."""
    found = SETTINGS.get(key) if isinstance(key, str) else None
    if found is None:
        raise InvalidInput(_("{key} is not a setting of the portal; the settings are: {known}").format(
            key=quoted(key), known=", ".join(SETTINGS)), "key")
    return found


def check_setting(key: str, value: str) -> str:
    """The text to store for `key` set to `value` (normalised), or InvalidInput naming the key."""
    known = setting(key)
    if not isinstance(value, str):
        raise InvalidInput(_("{key} must be given as text").format(key=key), key)
    return known.check(key, value)


def effective(values: Mapping[str, str | None], key: str) -> str | None:
    """The value of `key` among `values` (the stored ones, by setting key), else its default."""
    value = values.get(key)
    return value if value is not None else SETTINGS[key].default


def check_together(values: Mapping[str, str | None], changed: str) -> None:
    """The rules between settings, once `changed` has its new value among `values`: a window opens no later than
    it closes. InvalidInput naming the changed key."""
    if changed in ("readings.window_from", "readings.window_to"):
        first = int(effective(values, "readings.window_from") or 0)
        last = int(effective(values, "readings.window_to") or 0)
        if first > last:
            raise InvalidInput(_("the readings window would open on day {first} and close on day {last}: "
                                 "readings.window_from must be at most readings.window_to").format(
                first=first, last=last), changed)


def parse_percent(value: str, field: str) -> Decimal:
    """A commission in percent: 0 to 5, at most 2 decimals, a decimal comma or point ("0,8", "0.8")."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        percent = Decimal(text.replace(",", ".")) if _COMMISSION_RE.match(text) else None
    except InvalidOperation:
        percent = None
    if percent is None or not 0 <= percent <= MAX_COMMISSION:
        raise InvalidInput(_("{field} must be a percentage from 0 to 5 with at most 2 decimals, such as 0.8; "
                             "got {got}").format(field=field, got=quoted(value)), field)
    return percent


def format_percent(percent: Decimal) -> str:
    """Decimal percent → its shortest text: 0.80 → "0.8", 5.00 → "5"."""
    text = f"{percent.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_to_bp(percent: Decimal) -> int:
    """Percent → basis points of the sum (0.8 % = 80), as organisations store their rate."""
    return int(percent * 100)


def bp_to_percent(bp: int) -> str:
    """Basis points → the percent as text (80 → "0.8")."""
    return format_percent(Decimal(bp) / 100)
