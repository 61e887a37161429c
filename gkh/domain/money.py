"""Money: Decimal roubles in code, integer kopecks in storage, "1234.56" strings in JSON. Never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import quoted
from gkh.i18n import N_, _

__all__ = [
    "KOPECK",
    "MAX_AMOUNT",
    "parse_amount",
    "parse_percent",
    "to_kopecks",
    "from_kopecks",
    "format_amount",
    "format_kopecks",
    "percent_of",
]

KOPECK = Decimal("0.01")
# Far above any utility bill, far below int64 kopecks, so storage can never overflow.
MAX_AMOUNT = Decimal("999999999999.99")

# Thousands separators people paste: space, NBSP, narrow NBSP (what Russian locales print).
_GROUP_SEP = " \u00a0\u202f"
# Either plain digits, or 1–3 digits then groups of exactly 3; then an optional 1–2 digit fraction.
# [0-9] rather than \d so that other scripts' digits are refused.
_AMOUNT_RE = re.compile(
    rf"^(?P<int>[0-9]+|[0-9]{{1,3}}(?:[{_GROUP_SEP}][0-9]{{3}})+)(?:[.,](?P<frac>[0-9]{{1,2}}))?$"
)
_AMOUNT_EXPECTED = N_('a sum in roubles such as 1234.56, 1234,56, "1 234,56" or 100 (at most 2 decimals, not negative)')
# Generous precision so that products of big amounts and rates are exact before rounding.
_CTX = Context(prec=50)


# The messages used more than once, in the current language.
def _must_be() -> str:
    return _("{field} must be {expected}; got {got}")


def _negative() -> str:
    return _("{field} must not be negative; got {got}")


def _too_precise() -> str:
    return _("{field} must have at most 2 decimal places (kopecks); got {got}")


def _check_decimal(value: Decimal, raw: object, field: str) -> Decimal:
    if not value.is_finite():
        raise InvalidInput(_must_be().format(field=field, expected=_(_AMOUNT_EXPECTED), got=quoted(str(raw))), field)
    if value < 0:
        raise InvalidInput(_negative().format(field=field, got=quoted(str(raw))), field)
    if value > MAX_AMOUNT:
        raise InvalidInput(
            _("{field} must be at most {max}; got {got}").format(field=field, max=MAX_AMOUNT, got=quoted(str(raw))),
            field,
        )
    cents = value.quantize(KOPECK, context=_CTX)
    # A Decimal may carry trailing zeros (1.500) from arithmetic; only real sub-kopeck parts are refused.
    if cents != value:
        raise InvalidInput(
            _too_precise().format(field=field, got=quoted(str(raw))), field
        )
    return cents + Decimal("0.00")  # turns -0.00 into 0.00


def parse_amount(text: str | int | Decimal, field: str = "amount") -> Decimal:
    """A sum of money in roubles → Decimal quantized to kopecks.

    Text: "1234.56", "1234,56", "1 234,56" (space, NBSP or narrow NBSP between thousands), "100".
    An int means whole roubles (not kopecks). Zero is allowed here; whether zero makes sense is the caller's rule.
    """
    # bool is an int subclass; True roubles is surely a bug.
    if isinstance(text, float) or isinstance(text, bool):
        raise InvalidInput(
            _("{field} must be given as text or Decimal, never as a float (binary floats lose kopecks);"
              " got {got}").format(field=field, got=repr(text)),
            field,
        )
    if isinstance(text, int):
        # Shown as the Decimal: str() of an int over 4300 digits raises ValueError instead of InvalidInput.
        return _check_decimal(Decimal(text), Decimal(text), field)
    if isinstance(text, Decimal):
        return _check_decimal(text, text, field)
    if not isinstance(text, str):
        raise InvalidInput(_must_be().format(field=field, expected=_(_AMOUNT_EXPECTED), got=quoted(text)), field)
    stripped = text.strip(" \t\r\n" + _GROUP_SEP)
    if not stripped:
        raise InvalidInput(_("{field} must be {expected}; got an empty value").format(
            field=field, expected=_(_AMOUNT_EXPECTED)), field)
    if stripped.startswith("-") or stripped.startswith("\u2212"):
        raise InvalidInput(_negative().format(field=field, got=quoted(stripped)), field)
    m = _AMOUNT_RE.match(stripped)
    if not m:
        # Say precisely why the most common near-miss fails.
        if re.match(r"^[0-9 \u00a0\u202f]+[.,][0-9]{3,}$", stripped):
            raise InvalidInput(
                _too_precise().format(field=field, got=quoted(stripped)), field
            )
        raise InvalidInput(_must_be().format(field=field, expected=_(_AMOUNT_EXPECTED), got=quoted(stripped)), field)
    digits = re.sub(f"[{_GROUP_SEP}]", "", m.group("int"))
    value = Decimal(digits + "." + (m.group("frac") or "0"))
    return _check_decimal(value, stripped, field)


def parse_percent(text: str | int | Decimal, field: str = "rate") -> Decimal:
    """A percentage rate such as a card commission: 0–100, at most 2 decimals ("1", "1.5", "0,75")."""
    if isinstance(text, float) or isinstance(text, bool):
        raise InvalidInput(
            _("{field} must be given as text or Decimal, never as a float; got {got}").format(
                field=field, got=repr(text)),
            field,
        )
    if isinstance(text, str):
        stripped = text.strip()
        if stripped.endswith("%"):
            stripped = stripped[:-1].rstrip()
        value = parse_amount(stripped, field)
    else:
        value = parse_amount(text, field)
    if value > 100:
        raise InvalidInput(
            _("{field} must be a percentage from 0 to 100; got {got}").format(field=field, got=quoted(str(text))), field
        )
    return value


def _require_decimal(amount: object) -> Decimal:
    # Programming errors, not user input: plain TypeError/ValueError, never InvalidInput (HTTP 400).
    if isinstance(amount, float) or not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"money must be finite, got {amount}")
    return amount


def to_kopecks(amount: Decimal) -> int:
    """Decimal roubles → integer kopecks; refuses (ValueError) a value with a fraction of a kopeck."""
    amount = _require_decimal(amount)
    kopecks = amount.scaleb(2, context=_CTX)
    if kopecks != kopecks.to_integral_value():
        raise ValueError(f"{amount} has a fraction of a kopeck; round it first")
    return int(kopecks)


def from_kopecks(k: int) -> Decimal:
    """Integer kopecks → Decimal roubles with exactly two decimals (negative allowed: debts, refunds)."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"kopecks must be an int, got {type(k).__name__}")
    return Decimal(k).scaleb(-2, context=_CTX).quantize(KOPECK, context=_CTX)


def format_amount(amount: Decimal) -> str:
    """Decimal → "1234.56": always two decimals, no separators, "-" for negatives (the JSON form)."""
    return format_kopecks(to_kopecks(amount))


def format_kopecks(k: int) -> str:
    """Integer kopecks → "1234.56"."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"kopecks must be an int, got {type(k).__name__}")
    sign = "-" if k < 0 else ""
    whole, cents = divmod(abs(k), 100)
    return f"{sign}{whole}.{cents:02d}"


def percent_of(amount: Decimal, rate_percent: Decimal) -> Decimal:
    """rate_percent % of amount, rounded half-up to kopecks (1 % of 10.50 → 0.11)."""
    amount = _require_decimal(amount)
    rate = _require_decimal(rate_percent)
    exact = _CTX.divide(_CTX.multiply(amount, rate), Decimal(100))
    return exact.quantize(KOPECK, rounding=ROUND_HALF_UP, context=_CTX) + Decimal("0.00")
