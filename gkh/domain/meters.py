"""What the portal gives a new meter it is told of (a batch file's row names its serial number and resource, not its
unit, its display or when it is due for verification): the defaults by resource, as the meters of flats in Russia
commonly are (the verification intervals are those of the common types' approval certificates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from gkh.domain.readings import ZONE_NAMES

__all__ = ["MeterDefaults", "METER_DEFAULTS", "zones_of", "verification_due"]


@dataclass(frozen=True)
class MeterDefaults:
    """A new meter's unit, its display (whole and fraction digits) and its verification interval in years."""

    unit: str
    whole_digits: int
    fraction_digits: int
    interval_years: int


# resource → its new meter's defaults
METER_DEFAULTS: dict[str, MeterDefaults] = {
    "cold_water": MeterDefaults("m3", 5, 3, 6),
    "hot_water": MeterDefaults("m3", 5, 3, 4),
    "electricity": MeterDefaults("kWh", 6, 1, 16),
    "gas": MeterDefaults("m3", 5, 3, 10),
    "heat": MeterDefaults("Gcal", 4, 3, 4),
}


def zones_of(count: int) -> str:
    """A meter's tariff zones as stored: 1 → "T1", 2 → "T1,T2", 3 → "T1,T2,T3"."""
    return ",".join(ZONE_NAMES[:count])


def verification_due(resource: str, verified_on: date) -> date:
    """When a meter of `resource` verified on `verified_on` is due for its next verification."""
    return verified_on + relativedelta(years=METER_DEFAULTS[resource].interval_years)
