"""Paying an account's bills: the amount a payment may have, its commission, where its money goes (the oldest
unpaid bills first, the rest an advance), how long a card payment waits for its confirmation, and the receipt's
e-mail address. Pure: money as Decimal or integer kopecks, `now` passed in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import quoted
from gkh.domain.money import format_kopecks, parse_amount, percent_of, to_kopecks
from gkh.i18n import _

__all__ = [
    "MAX_PAYMENT",
    "METHODS",
    "KINDS",
    "PENDING_FOR",
    "MAX_EMAIL",
    "parse_payment_amount",
    "parse_method",
    "parse_email",
    "commission",
    "allocate",
    "advance_warning",
    "expired",
    "decline_amounts",
    "format_roubles",
]

# A sane cap on one payment (issue 11): far above any bill, low enough that a typo of a few zeros is refused.
MAX_PAYMENT = Decimal("1000000.00")
METHODS = ("wallet", "card")
KINDS = ("bill", "top_up")
# A card payment not confirmed on the acquirer's page by then is declined ('expired').
PENDING_FOR = timedelta(minutes=15)
MAX_EMAIL = 254  # RFC 5321's path limit, less the angle brackets

# local@domain: no spaces or angle brackets, one @, a dot somewhere in the domain (not at its ends).
_EMAIL_RE = re.compile(r"^[^\s@<>,;\"]+@[^\s@<>,;\"]+\.[^\s@<>,;\".]+$")


def parse_payment_amount(text: str | Decimal, field: str = "amount") -> Decimal:
    """A payment's sum in roubles (money.parse_amount's forms): more than 0, at most MAX_PAYMENT, kopecks at most."""
    value = parse_amount(text, field)
    if value <= 0:
        raise InvalidInput(_("{field} must be more than 0; got {got}").format(field=field, got=quoted(str(text))),
                           field)
    if value > MAX_PAYMENT:
        raise InvalidInput(_("{field} must be at most {max} per payment; got {got}").format(
            field=field, max=format_kopecks(int(MAX_PAYMENT * 100)), got=quoted(str(text))), field)
    return value


def parse_method(text: object, field: str = "method") -> str:
    """How a payment is made: "wallet" (the «Виртуальный мир» wallet, no commission) or "card"."""
    if not isinstance(text, str) or text not in METHODS:
        raise InvalidInput(_("{field} must be one of {choices}; got {got}").format(
            field=field, choices=", ".join(METHODS), got=quoted(str(text))), field)
    return text


def parse_email(text: object, field: str = "email") -> str:
    """An e-mail address for a receipt: local@domain, at most MAX_EMAIL characters, surrounding spaces dropped."""
    if not isinstance(text, str):
        raise InvalidInput(_("{field} must be an e-mail address such as name@example.org; got {got}").format(
            field=field, got=quoted(str(text))), field)
    stripped = text.strip()
    if len(stripped) > MAX_EMAIL:
        raise InvalidInput(_("{field} must be at most {max} characters; got {count}").format(
            field=field, max=MAX_EMAIL, count=len(stripped)), field)
    if not _EMAIL_RE.match(stripped) or not stripped.isprintable():
        raise InvalidInput(_("{field} must be an e-mail address such as name@example.org; got {got}").format(
            field=field, got=quoted(stripped)), field)
    return stripped


def commission(amount: Decimal, rate_bp: int, method: str) -> Decimal:
    """What paying `amount` costs on top: nothing by wallet; by card the payee's rate (basis points of the sum,
    80 = 0.8 %) rounded half-up to kopecks (0.8 % of 12181.79 = 97.45)."""
    if method == "wallet":
        return Decimal("0.00")
    if method != "card":
        raise ValueError(f"unknown payment method {method!r}")
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= 10000:
        raise ValueError(f"a commission rate is 0–10000 basis points, got {rate_bp!r}")
    return percent_of(amount, Decimal(rate_bp).scaleb(-2))


def allocate(amount_k: int, unpaid: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], int]:
    """Where a payment of `amount_k` kopecks goes: to the bills in the order given (oldest first), each up to what
    is due on it, and what is left is an advance. Bills with nothing due take nothing."""
    if isinstance(amount_k, bool) or not isinstance(amount_k, int) or amount_k <= 0:
        raise ValueError(f"a payment is a positive number of kopecks, got {amount_k!r}")
    parts: list[tuple[str, int]] = []
    left = amount_k
    for bill_id, due_k in unpaid:
        if left == 0:
            break
        if due_k <= 0:
            continue
        part = min(left, due_k)
        parts.append((bill_id, part))
        left -= part
    return parts, left


def advance_warning(advance_k: int, account: str) -> str:
    """The warning a payment of more than is owed carries, for people."""
    return _("{amount} more than owed: an advance on account {account}").format(
        amount=format_kopecks(advance_k), account=account)


def expired(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a pending card payment's time to be confirmed has run out at `now`."""
    return expires_at is not None and now >= expires_at


def decline_amounts(setting: str | None) -> frozenset[Decimal]:
    """The amounts a test acquirer declines, from its portal setting ("13.13, 66.60"); a malformed one is ignored."""
    out = set()
    for part in (setting or "").split(","):
        try:
            out.add(parse_amount(part.strip()))
        except InvalidInput:
            continue
    return frozenset(out)


def format_roubles(amount: Decimal) -> str:
    """Decimal → "1 234,56 ₽": as Russian readers write a sum (groups of three, a decimal comma)."""
    whole, _sep, cents = format_kopecks(to_kopecks(amount)).partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return f"{sign}{' '.join(groups) or '0'},{cents} ₽"
