"""Dates and instants. The clock is never read here: "now" is always passed in.

Stored/JSON instants are ISO 8601 in UTC with an explicit offset and whole seconds,
e.g. "2026-11-20T09:00:00+00:00" (the same width for every instant, so they also sort as text).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.parser import isoparse

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import quoted
from gkh.i18n import N_, _

__all__ = [
    "parse_person_date",
    "parse_period",
    "parse_instant",
    "house_zone",
    "local_date",
    "period_of",
    "format_instant",
    "format_date",
    "format_person_date",
]


# Parsed by hand: dateutil's dayfirst misreads ISO dates and fills missing parts from the clock.
_RU_DATE_RE = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
_RU_SHORT_DATE_RE = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{2})$")
_ISO_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_DATE_FORMS = N_("DD.MM.YYYY or YYYY-MM-DD (e.g. 25.11.2026 or 2026-11-25)")
_DATE_FORMS_SHORT = N_("DD.MM.YYYY, DD.MM.YY or YYYY-MM-DD (e.g. 25.11.2026, 25.11.26 or 2026-11-25)")

_PERIOD_ISO_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_PERIOD_RU_RE = re.compile(r"^([0-9]{1,2})\.([0-9]{4})$")
# IANA names are a few ASCII words; ZoneInfo's tzdata fallback imports a package per "/" (RecursionError).
_ZONE_NAME_RE = re.compile(r"[A-Za-z0-9_+\-]{1,30}(?:/[A-Za-z0-9_+\-]{1,30}){0,3}")


def parse_person_date(text: str, field: str = "date", *, short_year: bool = False) -> date:
    """A date a person typed: DD.MM.YYYY (also D.M.YYYY) or ISO YYYY-MM-DD; nothing else.

    `short_year` also takes DD.MM.YY, as people write dates on paper and in Russian forms: the year is this
    century's (25.11.26 is 25.11.2026). The command line allows it (`--date`); the API keeps four digits.
    """
    forms = _(_DATE_FORMS_SHORT if short_year else _DATE_FORMS)
    if not isinstance(text, str):
        raise InvalidInput(_("{field} must be {expected}; got {got}").format(
            field=field, expected=forms, got=quoted(text)), field)
    stripped = text.strip()
    m = _RU_DATE_RE.match(stripped)
    short = _RU_SHORT_DATE_RE.match(stripped) if short_year else None
    if m:
        day, month, year = (int(g) for g in m.groups())
    elif short:
        day, month, year = (int(g) for g in short.groups())
        year += 2000
    else:
        m = _ISO_DATE_RE.match(stripped)
        if not m:
            raise InvalidInput(_("{field} must be {expected}; got {got}").format(
                field=field, expected=forms, got=quoted(stripped)), field)
        year, month, day = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            _("{field} {got} is not a real calendar date; expected {expected}").format(
                field=field, got=quoted(stripped), expected=forms),
            field,
        ) from None


def parse_period(text: str, field: str = "period") -> str:
    """A billing month: YYYY-MM (also MM.YYYY) → canonical "YYYY-MM"."""
    stripped = text.strip() if isinstance(text, str) else ""
    m = _PERIOD_ISO_RE.match(stripped)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        m = _PERIOD_RU_RE.match(stripped)
        year, month = (int(m.group(2)), int(m.group(1))) if m else (0, 0)
    if not 1 <= year or not 1 <= month <= 12:
        raise InvalidInput(
            _("{field} must be a month as YYYY-MM or MM.YYYY (e.g. 2026-11 or 11.2026); got {got}").format(
                field=field, got=quoted(text)),
            field,
        )
    return f"{year:04d}-{month:02d}"


def parse_instant(text: str, field: str = "now") -> datetime:
    """An ISO 8601 timestamp with a UTC offset (or Z) → aware datetime with a fixed-offset tzinfo."""
    expected = _("{field} must be an ISO 8601 timestamp with a UTC offset, e.g. 2026-11-20T12:00:00+03:00;"
                 " got {got}")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(expected.format(field=field, got=quoted(text)), field)
    stripped = text.strip()
    try:
        parsed = isoparse(stripped)
    except (ValueError, OverflowError):
        raise InvalidInput(expected.format(field=field, got=quoted(stripped)), field) from None
    offset = parsed.utcoffset()
    if offset is None:
        raise InvalidInput(_("{field} must carry a UTC offset, e.g. 2026-11-20T12:00:00+03:00; got {got}").format(
            field=field, got=quoted(stripped)), field)
    # Near datetime's limits (years 1 and 9999) UTC or a house's local time would overflow (OverflowError).
    if not date(1, 1, 3) <= parsed.date() <= date(9999, 12, 29):
        raise InvalidInput(_("{field} must be an instant within the years 1–9999; got {got}").format(
            field=field, got=quoted(stripped)), field)
    # datetime.timezone instead of dateutil's tzoffset/tzutc: plain stdlib objects compare and print predictably.
    tz = timezone.utc if offset == timedelta(0) else timezone(offset)
    return parsed.replace(tzinfo=tz)


def house_zone(name: str) -> ZoneInfo:
    """An IANA zone name (e.g. Europe/Moscow, Asia/Yekaterinburg) → ZoneInfo."""
    stripped = name.strip() if isinstance(name, str) else ""
    # "localtime" would follow the host's setting: a house's zone must not depend on the machine.
    if _ZONE_NAME_RE.fullmatch(stripped) and stripped.lower() not in ("localtime", "posixrules"):
        try:
            return ZoneInfo(stripped)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise InvalidInput(
        _("timezone must be an IANA zone name such as Europe/Moscow or Asia/Yekaterinburg; got {got}").format(
            got=quoted(name)),
        "timezone",
    )


def _require_aware(dt: datetime) -> datetime:
    # A naive datetime here is a programming error (GKH_NOW is checked by parse_instant), not user input.
    if not isinstance(dt, datetime) or dt.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got {dt!r}")
    return dt


def local_date(now: datetime, zone: ZoneInfo) -> date:
    """The calendar date at `now` in the house's zone."""
    return _require_aware(now).astimezone(zone).date()


def period_of(d: date) -> str:
    """The billing period (month) of a date: "YYYY-MM"."""
    return f"{d.year:04d}-{d.month:02d}"


def format_instant(dt: datetime) -> str:
    """Aware datetime → "2026-11-20T09:00:00+00:00": UTC, whole seconds (fractions are truncated)."""
    utc = _require_aware(dt).astimezone(timezone.utc).replace(microsecond=0)
    return utc.isoformat()


def format_date(d: date) -> str:
    """Date → ISO "2026-11-25" (JSON and storage)."""
    if isinstance(d, datetime):
        raise TypeError("format_date takes a date; use local_date() to turn an instant into a date")
    return d.isoformat()


def format_person_date(d: date) -> str:
    """Date → "25.11.2026", the form Russian users read in messages."""
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"
