"""Meter readings: the rules the portal enforces for meters, readings and the submission window (README).

Pure: no I/O, no clock. Whatever depends on time takes `now` (an aware datetime) and the house's zone,
or a `today` already computed in the house's zone with `local_date`.

Two kinds of error:
- `InvalidInput` (HTTP 400, exit 2): input that can never be right — not a number, negative, more digits than
  any meter has (15 whole + 7 fraction), an unparseable date; and for this meter, malformed whatever the
  portal's state: not one value per tariff zone (`wrong_zone_count`), more digits than it shows
  (`too_many_digits`).
- `ReadingRefused` (HTTP 422, exit 5): input refused because of this meter or this house's state — outside the
  window, a meter past its verification date, a date in the future or before the previous reading, lower
  than the previous reading, a rollover that cannot be one, a period closed for billing.

Values are `Decimal` in code and canonical decimal TEXT in storage and JSON (`canonical`): 15 + 7 digits do
not fit an int64 once scaled, and a float would lose them.
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal
from zoneinfo import ZoneInfo

from gkh.domain.dates import format_person_date, local_date, parse_person_date
from gkh.domain.errors import InvalidInput, Refused
from gkh.domain.identifiers import quoted
from gkh.i18n import N_, _, ngettext

__all__ = [
    "ZONE_NAMES",
    "MAX_WHOLE_DIGITS",
    "MAX_FRACTION_DIGITS",
    "ReadingRefused",
    "MeterSpec",
    "SubmissionWindow",
    "DEFAULT_WINDOW",
    "parse_reading_value",
    "canonical",
    "canonical_values",
    "digit_counts",
    "check_values",
    "check_window",
    "reading_date",
    "check_reading_date",
    "check_period_open",
    "is_overdue",
    "check_verification",
    "consumption",
    "ROLLOVER_SHARE",
    "check_rollover",
    "suspicious_jump",
]

ZONE_NAMES = ("T1", "T2", "T3")
MAX_WHOLE_DIGITS = 15
MAX_FRACTION_DIGITS = 7

# Far more precision than 15 + 7 digits need, so sums and wraps are always exact.
_CTX = Context(prec=60)
# [0-9], not \d: \d also matches other scripts' digits. No sign, no exponent, no NaN/Infinity, no grouping.
_VALUE_RE = re.compile(r"^([0-9]+)(?:[.,]([0-9]+))?$")
# Longer text is refused before any work (leading zeros could otherwise make it arbitrarily long).
_MAX_TEXT = 64
_VALUE_EXPECTED = N_(
    "a meter reading such as 123.45 or 123,45 (digits, an optional decimal point or comma;"
    " at most {max_whole} whole and {max_fraction} fraction digits)"
)


def _value_expected() -> str:
    return _(_VALUE_EXPECTED).format(max_whole=MAX_WHOLE_DIGITS, max_fraction=MAX_FRACTION_DIGITS)


class ReadingRefused(Refused):
    """A reading refused because of the meter or the house's state (HTTP 422, exit code 5)."""


# --- meter ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterSpec:
    """What the rules need of a meter: its tariff zones (in order) and its digit capacity."""

    zones: tuple[str, ...]
    whole_digits: int
    fraction_digits: int

    def __post_init__(self) -> None:
        zones = tuple(self.zones)
        if not 1 <= len(zones) <= len(ZONE_NAMES) or zones != ZONE_NAMES[: len(zones)]:
            raise InvalidInput(
                _("a meter's zones must be T1, T1 T2 or T1 T2 T3; got {got}").format(
                    got=quoted(" ".join(map(str, zones)))),
                "zones",
            )
        object.__setattr__(self, "zones", zones)
        if not _is_int(self.whole_digits) or not 1 <= self.whole_digits <= MAX_WHOLE_DIGITS:
            raise InvalidInput(
                _("a meter's whole digits must be 1–{max}; got {got}").format(
                    max=MAX_WHOLE_DIGITS, got=repr(self.whole_digits)),
                "whole_digits",
            )
        if not _is_int(self.fraction_digits) or not 0 <= self.fraction_digits <= MAX_FRACTION_DIGITS:
            raise InvalidInput(
                _("a meter's fraction digits must be 0–{max}; got {got}").format(
                    max=MAX_FRACTION_DIGITS, got=repr(self.fraction_digits)),
                "fraction_digits",
            )

    @property
    def capacity(self) -> Decimal:
        """Where the counter wraps: 10**whole_digits (a 5-digit meter goes 99999.9… → 00000)."""
        return Decimal(10) ** self.whole_digits

    @property
    def largest(self) -> Decimal:
        """The largest value the meter can show, e.g. 99999.999 for 5 + 3 digits."""
        return _CTX.subtract(self.capacity, Decimal(1).scaleb(-self.fraction_digits))


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _meter(meter_id: str | None) -> str:
    """The meter a message is about, a noun phrase that stands alone in the message's language."""
    return _("meter {meter}").format(meter=meter_id) if meter_id else _("this meter")


# --- values -----------------------------------------------------------------------------------------


def digit_counts(value: Decimal) -> tuple[int, int]:
    """(whole, fraction) significant digits of a value: leading zeros and trailing fraction zeros don't count.

    So "00010" has 2 whole digits and "1.2300" 2 fraction digits: limits are judged on the value, not on
    how many zeros a person copied from the display. Zero is (0, 0).
    """
    _, digits, exp = value.as_tuple()
    if not isinstance(exp, int):
        raise ValueError(f"digit_counts needs a finite Decimal, got {value!r}")
    ds = list(digits)
    while exp < 0 and ds and ds[-1] == 0:
        ds.pop()
        exp += 1
    while ds and ds[0] == 0:
        ds.pop(0)
    if not ds:
        return 0, 0
    return max(0, len(ds) + exp), max(0, -exp)


def canonical(value: Decimal) -> str:
    """The one stored/JSON spelling of a value: plain digits, no exponent, no leading zeros, no trailing
    fraction zeros (and no lone point): 123.450 → "123.45", 00010 → "10", 1E+2 → "100", 0.000 → "0".

    Equal values have equal text, so "the same value again" is a text comparison too.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"canonical needs a finite Decimal, got {value!r}")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-"):
        text = text[1:] if text.strip("-0") == "" else text  # -0 → 0
    return text or "0"


def canonical_values(values: dict[str, Decimal]) -> dict[str, str]:
    """Zone → canonical text, in zone order (what JSON shows and storage keeps)."""
    return {zone: canonical(values[zone]) for zone in sorted(values, key=_zone_order)}


def _zone_order(zone: str) -> tuple[int, str]:
    return (ZONE_NAMES.index(zone) if zone in ZONE_NAMES else len(ZONE_NAMES), zone)


def parse_reading_value(text: str, field: str = "value") -> Decimal:
    """A reading a person typed → Decimal, exactly as typed (never via float).

    Accepts "123.45" and "123,45", "00010", "0"; surrounding whitespace is ignored. Refuses (InvalidInput):
    negative, empty, not a number, exponent, NaN/Infinity, thousands separators, and more than 15 whole or
    7 fraction significant digits (the most any meter has). Whether it fits *this* meter is `check_values`.
    """
    if not isinstance(text, str):
        # A float here would already have lost digits; an int/Decimal skips the format check.
        # quoted, not !r: repr() of an int over 4300 digits raises ValueError.
        raise InvalidInput(_("{field} must be given as text; got {got}").format(field=field, got=quoted(text)), field)
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(_("{field} must be {expected}; got an empty value").format(
            field=field, expected=_value_expected()), field)
    if len(stripped) > _MAX_TEXT:
        raise InvalidInput(_("{field} must be {expected}; got {got}").format(
            field=field, expected=_value_expected(), got=quoted(stripped)), field)
    if stripped[0] in "-\u2212":
        raise InvalidInput(_("{field} must not be negative; got {got}").format(field=field, got=quoted(stripped)),
                           field)
    m = _VALUE_RE.match(stripped)
    if not m:
        raise InvalidInput(_("{field} must be {expected}; got {got}").format(
            field=field, expected=_value_expected(), got=quoted(stripped)), field)
    whole, frac = m.group(1), m.group(2) or ""
    value = Decimal(f"{whole}.{frac}" if frac else whole)
    n_whole, n_frac = digit_counts(value)
    if n_whole > MAX_WHOLE_DIGITS:
        raise InvalidInput(
            _("{field} has {n} whole digits; no meter has more than {max}: got {got}").format(
                field=field, n=n_whole, max=MAX_WHOLE_DIGITS, got=quoted(stripped)),
            field,
        )
    if n_frac > MAX_FRACTION_DIGITS:
        raise InvalidInput(
            _("{field} has {n} fraction digits; no meter has more than {max}: got {got}").format(
                field=field, n=n_frac, max=MAX_FRACTION_DIGITS, got=quoted(stripped)),
            field,
        )
    return value


def check_values(
    meter: MeterSpec, values: list[Decimal], *, meter_id: str | None = None
) -> dict[str, Decimal]:
    """One value per zone of the meter, in order T1 T2 T3, each within the meter's digits → zone → value.

    InvalidInput `wrong_zone_count` or `too_many_digits` (field "values"): malformed for this meter whatever
    the portal's state, so 400 and exit 2, as a value that is no number.
    """
    values = list(values)
    for v in values:
        if not isinstance(v, Decimal) or not v.is_finite() or v < 0:
            # quoted, not !r: repr() of an int over 4300 digits raises ValueError.
            raise InvalidInput(_("a reading must be a finite, non-negative Decimal; got {got}").format(got=quoted(v)),
                               "values")
        # Before canonical(v) is shown: 1E+999999999 would spell a gigabyte of zeros into the message.
        n_whole, n_frac = digit_counts(v)
        if n_whole > MAX_WHOLE_DIGITS or n_frac > MAX_FRACTION_DIGITS:
            raise InvalidInput(
                _("a reading has {whole} whole and {fraction} fraction digits; no meter has more than"
                  " {max_whole} and {max_fraction}").format(
                    whole=n_whole, fraction=n_frac, max_whole=MAX_WHOLE_DIGITS, max_fraction=MAX_FRACTION_DIGITS),
                "values",
            )
    zones = meter.zones
    if len(values) != len(zones):
        if len(zones) == 1:
            message = _("{meter} has 1 tariff zone ({zones}): give one value; got {got}")
        else:
            message = ngettext(
                "{meter} has {n} tariff zone ({zones}): give {n} values, one per zone in order; got {got}",
                "{meter} has {n} tariff zones ({zones}): give {n} values, one per zone in order; got {got}",
                len(zones),
            )
        raise InvalidInput(
            message.format(meter=_meter(meter_id), n=len(zones), zones=" ".join(zones), got=len(values)),
            "values",
            code="wrong_zone_count",
            details={"zones": " ".join(zones)},
        )
    out: dict[str, Decimal] = {}
    for zone, v in zip(zones, values):
        n_whole, n_frac = digit_counts(v)
        if n_whole > meter.whole_digits or n_frac > meter.fraction_digits:
            if n_whole > meter.whole_digits:
                message = _("{zone}: {value} has {n} whole digits, but {meter} shows {whole} whole and {fraction}"
                            " fraction digits (at most {largest})")
            else:
                message = _("{zone}: {value} has {n} fraction digits, but {meter} shows {whole} whole and {fraction}"
                            " fraction digits (at most {largest})")
            raise InvalidInput(
                message.format(zone=zone, value=canonical(v), n=n_whole if n_whole > meter.whole_digits else n_frac,
                               meter=_meter(meter_id), whole=meter.whole_digits, fraction=meter.fraction_digits,
                               largest=canonical(meter.largest)),
                "values",
                code="too_many_digits",
                details={"zone": zone},
            )
        out[zone] = v
    return out


# --- submission window --------------------------------------------------------------------------------

# The last day a window ending in the next month may end on: the next month's window opens on its from day at
# the latest on the 28th (February), and the two must not share a day, or a reading's period would be ambiguous.
_LAST_NEXT_MONTH_DAY = 27


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(d: date, months: int) -> date:
    """The first day of the month `months` after d's (negative: before)."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _ordinal(n: int) -> str:
    """A day of the month as the message's language says it: "1st", "22nd", "15th" in English."""
    if 11 <= n % 100 <= 13:
        return _("{n}th").format(n=n)
    ordinal = {1: N_("{n}st"), 2: N_("{n}nd"), 3: N_("{n}rd")}.get(n % 10, N_("{n}th"))
    return _(ordinal).format(n=n)


@dataclass(frozen=True)
class SubmissionWindow:
    """Readings are accepted from day `from_day` of each month to day `to_day` of the same month, or of the
    next one with `to_next_month` (inclusive), judged on the date in the house's zone — the official schema's
    PeriodMetering: StartDate and EndDate, each a day (Date) or the month's last day (LastDay), EndDate with
    IsNextMonth.

    A day beyond a month's last day means that last day (to_day 31 = "to the end of the month"; from 30 to 31
    in February = just the 28th/29th). `from_last_day` / `to_last_day` say the day was stated as the month's
    last day (LastDay): the day is then 31, which means the same.

    A window opens once a month, and a reading belongs to the month its window opened in (`period_of`): with
    `to_next_month`, what is taken on the next month's days up to `to_day` is the previous month's. So that
    no day belongs to two windows, such a window ends before it opens again: `to_day` < `from_day` and at
    most the 27th (February's window may open on the 28th); it cannot end on the next month's last day.
    """

    from_day: int = 15
    to_day: int = 25
    to_next_month: bool = dataclasses.field(default=False, kw_only=True)
    from_last_day: bool = dataclasses.field(default=False, kw_only=True)
    to_last_day: bool = dataclasses.field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        for name in ("from_day", "to_day"):
            day = getattr(self, name)
            if not _is_int(day) or not 1 <= day <= 31:
                raise InvalidInput(_("the window's {name} must be a day 1–31; got {got}").format(
                    name=name, got=quoted(day)), name)
        for name in ("to_next_month", "from_last_day", "to_last_day"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInput(_("the window's {name} must be true or false; got {got}").format(
                    name=name, got=quoted(getattr(self, name))), name)
        for flag, name in (("from_last_day", "from_day"), ("to_last_day", "to_day")):
            if getattr(self, flag) and getattr(self, name) != 31:
                raise InvalidInput(
                    _("the window's {name} must be 31 when {flag} is set (the month's last day); got {got}").format(
                        name=name, flag=flag, got=getattr(self, name)),
                    name,
                )
        if not self.to_next_month:
            if self.from_day > self.to_day:
                raise InvalidInput(
                    _("the window must not start after it ends: from day {from_day} to day {to_day}").format(
                        from_day=self.from_day, to_day=self.to_day),
                    "from_day",
                )
        elif self.to_last_day or not self.to_day < self.from_day or self.to_day > _LAST_NEXT_MONTH_DAY:
            if self.to_last_day:
                message = _("a window ending in the next month must end before it opens again, on a day before the"
                            " {from_day} and at most the {last_day}; got the last day")
            else:
                message = _("a window ending in the next month must end before it opens again, on a day before the"
                            " {from_day} and at most the {last_day}; got the {to_day}")
            raise InvalidInput(
                message.format(from_day=_ordinal(self.from_day), last_day=_ordinal(_LAST_NEXT_MONTH_DAY),
                               to_day=_ordinal(self.to_day)),
                "to_day",
            )

    def bounds(self, month: date) -> tuple[date, date]:
        """First and last day of the window that opens in the month of `month` (any day of it); the last day
        is in the next month with `to_next_month`."""
        first = month.replace(day=1)
        end = _add_months(first, 1) if self.to_next_month else first
        return (
            first.replace(day=min(self.from_day, _last_day(first.year, first.month))),
            end.replace(day=min(self.to_day, _last_day(end.year, end.month))),
        )

    def opened_in(self, day: date) -> date:
        """The first day of the month whose window `day` belongs to: its own month, or with `to_next_month`
        the month before for its days up to `to_day` (a window's tail). A day outside every window belongs to
        the month it is in: a reading taken then is that month's."""
        first = day.replace(day=1)
        if self.to_next_month and day.day <= self.to_day:
            return _add_months(first, -1)
        return first

    def period_of(self, day: date) -> str:
        """The billing period ("YYYY-MM") of a reading taken on `day`: the month its window opened in."""
        month = self.opened_in(day)
        return f"{month.year:04d}-{month.month:02d}"

    def current(self, day: date) -> tuple[date, date] | None:
        """The first and last day of the window open on `day`, or None when none is."""
        first, last = self.bounds(self.opened_in(day))
        return (first, last) if first <= day <= last else None

    def is_open(self, day: date) -> bool:
        return self.current(day) is not None

    def next_opening(self, today: date) -> date:
        """The first day after `today` on which a window opens (this month's if it is still ahead)."""
        first, _ = self.bounds(today)
        if today < first:
            return first
        return self.bounds(_add_months(today, 1))[0]

    def describe(self) -> str:
        """"from the 15th to the 25th of each month", "from the 20th of each month to the 5th of the next",
        "from the 20th to the last day of each month" (with a note when to_day is past some months' end)."""
        days = {"from_day": _ordinal(self.from_day), "to_day": _ordinal(self.to_day)}
        if self.to_next_month:  # then to_day is at most the 27th, never the last day (__post_init__)
            if self.from_last_day:
                return _("from the last day of each month to the {to_day} of the next").format(**days)
            return _("from the {from_day} of each month to the {to_day} of the next").format(**days)
        if self.from_last_day:
            return _("on the last day of each month")
        if self.to_last_day:
            return _("from the {from_day} to the last day of each month").format(**days)
        if self.to_day > 28:
            return _("from the {from_day} to the {to_day} (or the month's last day) of each month").format(**days)
        return _("from the {from_day} to the {to_day} of each month").format(**days)


DEFAULT_WINDOW = SubmissionWindow(15, 25)


def check_window(window: SubmissionWindow, today: date) -> None:
    """ReadingRefused `outside_window` unless `today` (in the house's zone) is inside the window."""
    if window.is_open(today):
        return
    opens = window.next_opening(today)
    raise ReadingRefused(
        "outside_window",
        _("readings for this house are accepted {window}; today is {today} in the house's time zone;"
          " the next window opens {opens}").format(
            window=window.describe(), today=format_person_date(today), opens=format_person_date(opens)),
        None,
        {
            "from_day": str(window.from_day),
            "to_day": str(window.to_day),
            "to_next_month": "true" if window.to_next_month else "false",
            "next_opening": opens.isoformat(),
        },
    )


# --- reading date and period --------------------------------------------------------------------------


def reading_date(text: str | None, now: datetime, zone: ZoneInfo) -> date:
    """The date a person typed (DD.MM.YYYY or YYYY-MM-DD), or else today in the house's zone."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return local_date(now, zone)
    return parse_person_date(text, "date")


def check_reading_date(d: date, today: date, previous_date: date | None = None) -> None:
    """Not in the future (after `today` in the house's zone), not before the previous reading's date.

    The previous reading's own date is allowed: a resubmission in the same period replaces it.
    """
    if d > today:
        raise ReadingRefused(
            "date_in_future",
            _("the reading date {date} is in the future: today is {today} in the house's time zone").format(
                date=format_person_date(d), today=format_person_date(today)),
            "date",
        )
    if previous_date is not None and d < previous_date:
        raise ReadingRefused(
            "date_before_previous",
            _("the reading date {date} is before the previous reading's date {previous}").format(
                date=format_person_date(d), previous=format_person_date(previous_date)),
            "date",
        )


def check_period_open(period: str, closed: bool) -> None:
    """ReadingRefused `period_closed` when the period ("YYYY-MM") is closed for billing."""
    if closed:
        raise ReadingRefused(
            "period_closed",
            _("the period {period} is closed for billing: its readings can no longer change").format(period=period),
            "date",
            {"period": period},
        )


# --- verification -------------------------------------------------------------------------------------


def is_overdue(verification_due: date, day: date) -> bool:
    """After its verification date a meter counts as out of order (ПП № 354, п. 81(12): its verification
    interval has run out); on the date itself it is still in order."""
    return day > verification_due


def check_verification(verification_due: date, taken: date, *, meter_id: str | None = None) -> None:
    """ReadingRefused `meter_overdue` (field "meter") when the reading was taken after the meter's
    verification date: an out-of-order meter's reading is not used for billing."""
    if is_overdue(verification_due, taken):
        raise ReadingRefused(
            "meter_overdue",
            _("{meter} was due for verification on {date} and counts as out of order since then (ПП № 354, п. 81(12)):"
              " have the meter verified, then submit its readings again").format(
                meter=_meter(meter_id), date=format_person_date(verification_due)),
            "meter",
            {"verification_due": verification_due.isoformat()},
        )


# --- consumption --------------------------------------------------------------------------------------


def consumption(
    previous: dict[str, Decimal] | None,
    current: dict[str, Decimal],
    meter: MeterSpec,
    rollover: bool,
    *,
    meter_id: str | None = None,
) -> dict[str, Decimal] | None:
    """Per-zone consumption since the previous reading; None when there is no previous reading.

    Lower than the previous value is ReadingRefused `lower_than_previous` unless `rollover`, and then that
    zone wraps at the meter's capacity: (capacity − previous) + current. With `rollover`, zones that did not
    wrap are computed normally. A zone missing from `previous` (the meter's zones changed) is left out.
    """
    if previous is None:
        return None
    out: dict[str, Decimal] = {}
    for zone in sorted(current, key=_zone_order):
        cur = current[zone]
        prev = previous.get(zone)
        if prev is None:
            continue
        if cur >= prev:
            out[zone] = _CTX.subtract(cur, prev)
        elif rollover:
            out[zone] = _CTX.add(_CTX.subtract(meter.capacity, prev), cur)
        else:
            if _rollover_reason(prev, cur, meter) is None:
                message = _("{zone}: the new reading {value} is lower than the previous {previous} on {meter};"
                            " if the meter rolled over past {largest}, submit again with --rollover")
            else:
                message = _("{zone}: the new reading {value} is lower than the previous {previous} on {meter};"
                            " check the value")
            raise ReadingRefused(
                "lower_than_previous",
                message.format(zone=zone, value=canonical(cur), previous=canonical(prev), meter=_meter(meter_id),
                               largest=canonical(meter.largest)),
                "values",
                {"zone": zone, "previous": canonical(prev), "value": canonical(cur)},
            )
    return out


# A counter rolls over only from the last tenth of its range, and what it counted meanwhile is at most a tenth of
# the range: 763.779 → 5 on an 8-digit meter is a typo, not 99 999 241.221 m³.
ROLLOVER_SHARE = Decimal("0.1")


def _rollover_reason(previous: Decimal, current: Decimal, meter: MeterSpec) -> str | None:
    """Why going from `previous` down to `current` cannot be a rollover of this meter (None: it can)."""
    share = _CTX.multiply(meter.capacity, ROLLOVER_SHARE)
    from_ = _CTX.subtract(meter.capacity, share)
    if previous < from_:
        return _("a meter rolls over only after its largest value {largest}, and a rollover is accepted only from"
                 " {start} on (the last {share} of its range)").format(
            largest=canonical(meter.largest), start=canonical(from_), share=_percent(ROLLOVER_SHARE))
    used = _CTX.add(_CTX.subtract(meter.capacity, previous), current)
    if used > share:
        return _("that would be a consumption of {used}, more than {share} of the meter's range ({amount})").format(
            used=canonical(used), share=_percent(ROLLOVER_SHARE), amount=canonical(share))
    return None


def _percent(share: Decimal) -> str:
    return f"{canonical(_CTX.multiply(share, Decimal(100)))} %"


def check_rollover(
    previous: dict[str, Decimal] | None,
    current: dict[str, Decimal],
    meter: MeterSpec,
    history: list[dict[str, Decimal]],
    *,
    meter_id: str | None = None,
    factor: Decimal = Decimal(10),
) -> None:
    """With `rollover` stated, every zone lower than its previous reading must plausibly have rolled over:
    the previous value in the last 10 % of the meter's range, the consumption through zero at most 10 % of it,
    and not suspicious (over `factor` × the average monthly consumption in `history`, as `suspicious_jump`).

    Otherwise ReadingRefused `implausible_rollover` (field "values") with the reason. Zones that did not go
    lower are not judged here. Stored readings are never judged again: `consumption` only wraps.
    """
    if previous is None:
        return
    for zone in sorted(current, key=_zone_order):
        cur, prev = current[zone], previous.get(zone)
        if prev is None or cur >= prev:
            continue
        reason = _rollover_reason(prev, cur, meter)
        used = _CTX.add(_CTX.subtract(meter.capacity, prev), cur)
        if reason is None:
            past = [h[zone] for h in history if h.get(zone) is not None]
            average = _suspicious_average(used, past, factor)
            if average is not None:
                if len(past) == 1:
                    reason = _("that would be a consumption of {used}, more than {factor}× the average monthly"
                               " consumption {average} over the last month")
                else:
                    reason = ngettext("that would be a consumption of {used}, more than {factor}× the average monthly"
                                      " consumption {average} over the last {n} month",
                                      "that would be a consumption of {used}, more than {factor}× the average monthly"
                                      " consumption {average} over the last {n} months", len(past))
                reason = reason.format(used=canonical(used), factor=canonical(factor), average=canonical(average),
                                       n=len(past))
        if reason is not None:
            raise ReadingRefused(
                "implausible_rollover",
                _("{zone}: {previous} → {value} on {meter} is not a plausible rollover: {reason};"
                  " check the value").format(
                    zone=zone, previous=canonical(prev), value=canonical(cur), meter=_meter(meter_id), reason=reason),
                "values",
                {"zone": zone, "previous": canonical(prev), "value": canonical(cur), "consumption": canonical(used)},
            )


_AVERAGE_SHOWN = Decimal("0.001")


def suspicious_jump(
    consumption: dict[str, Decimal],
    history: list[dict[str, Decimal]],
    factor: Decimal = Decimal(10),
) -> list[str]:
    """Warnings (one line each) for zones whose consumption exceeds `factor` × the average monthly
    consumption in `history` (past periods' per-zone consumption). Nothing when a zone has no history or
    its average is 0. The comparison is exact (cons × n > factor × sum); only the shown average is rounded.
    """
    warnings: list[str] = []
    for zone in sorted(consumption, key=_zone_order):
        past = [h[zone] for h in history if h.get(zone) is not None]
        cons = consumption[zone]
        average = _suspicious_average(cons, past, factor)
        if average is not None:
            if len(past) == 1:
                warning = _("{zone}: consumption {used} is more than {factor}× the average monthly consumption"
                            " {average} over the last month; check the value")
            else:
                warning = ngettext("{zone}: consumption {used} is more than {factor}× the average monthly consumption"
                                   " {average} over the last {n} month; check the value",
                                   "{zone}: consumption {used} is more than {factor}× the average monthly consumption"
                                   " {average} over the last {n} months; check the value", len(past))
            warnings.append(warning.format(zone=zone, used=canonical(cons), factor=canonical(factor),
                                           average=canonical(average), n=len(past)))
    return warnings


def _suspicious_average(cons: Decimal, past: list[Decimal], factor: Decimal) -> Decimal | None:
    """The average of `past` as shown (rounded) when `cons` exceeds `factor` × it; None when it does not, or when
    there is no past or its total is 0. Exact: cons × n > factor × sum."""
    total = sum(past, Decimal(0))
    if not past or total <= 0:
        return None
    if _CTX.multiply(cons, Decimal(len(past))) > _CTX.multiply(factor, total):
        return _CTX.divide(total, Decimal(len(past))).quantize(_AVERAGE_SHOWN, context=_CTX)
    return None
