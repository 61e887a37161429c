"""gkh house: a house's passport."""

from __future__ import annotations

import typer

from gkh.commands.common import DEFAULT_OUTPUT, OutputChoice, output_options, runtime, say, show
from gkh.i18n import _
from gkh.output import Column, Columns

app = typer.Typer(help="All the information about a house (its passport).", no_args_is_help=True)

# A house's passport (the README's "Columns" table): csv/tsv/excel write them all, in this order; `house show`
# at a terminal reads them down, the common meters as a small table.
COMMON_METER_COLUMNS = Columns(
    Column("resource", "Resource", kind="term"),
    Column("serial", "Serial", kind="id"),
    Column("unit", "Unit", kind="term"),
    Column("verified_on", "Verified on", kind="date"),
)
# The house's active and upcoming outages, soonest first (the outage notice's columns: gkh outage show).
HOUSE_OUTAGE_COLUMNS = Columns(
    Column("id", "ID", kind="id"),
    Column("resource", "Resource", kind="term"),
    Column("status", "Status", kind="term"),
    Column("start", "Starts", kind="date"),
    Column("end", "Ends", kind="date"),
    Column("topic", "Topic"),
)
HOUSE_COLUMNS = Columns(
    Column("guid", "FIAS GUID", shown=True, kind="id"),
    Column("address", "Address", shown=True, kind="address"),
    Column("town", "Town"),
    Column("oktmo", "OKTMO", kind="id"),
    Column("timezone", "Time zone"),
    Column("readings_window.from_day", "Readings from day", kind="number"),
    Column("readings_window.to_day", "Readings to day", kind="number"),
    Column("year_built", "Year built", kind="number"),
    Column("floors", "Floors", kind="number"),
    Column("entrances", "Entrances", kind="number"),
    Column("flats", "Flats", kind="number"),
    Column("total_area", "Total area, m²", kind="number"),
    Column("living_area", "Living area, m²", kind="number"),
    Column("condition", "Condition"),
    Column("energy_class", "Energy class"),
    Column("managing_organisation.id", "Managing organisation id", kind="id"),
    Column("managing_organisation.kind", "Managing organisation kind", kind="term"),
    Column("managing_organisation.name", "Managing organisation"),
    Column("managing_organisation.short_name", "Managing organisation, short name"),
    Column("managing_organisation.inn", "Managing organisation INN", kind="id"),
    Column("managing_organisation.ogrn", "Managing organisation OGRN", kind="id"),
    Column("managing_organisation.phone", "Managing organisation phone", kind="id"),
    Column("common_meters", "Common meters", items=COMMON_METER_COLUMNS),
    Column("outages", "Outages", items=HOUSE_OUTAGE_COLUMNS),
)


def resolve_house(client, house: str, field: str = "house") -> str:
    """A HOUSE argument to a FIAS GUID: a GUID as is, else an address matching exactly one house. Messages name
    `field`, the argument or option the person typed it as (`house`, `--house`)."""
    from gkh.commands.common import named_as_typed
    from gkh.domain.address import query_needles
    from gkh.domain.errors import InvalidInput
    from gkh.domain.identifiers import is_fias_guid, normalize_fias_guid, quoted
    from gkh.errors import ExitCode, GkhError

    if is_fias_guid(house):
        return normalize_fias_guid(house)
    try:
        query_needles(house)  # nothing to search for (empty, punctuation) is malformed: said before any request
    except InvalidInput:
        raise InvalidInput(_('{field} must be a FIAS GUID or an address naming a street or a house number, e.g. '
                             '"ленина 5"; got {got}').format(field=field, got=quoted(house.strip())), field) from None
    with named_as_typed({"q": field}):
        matches = client.search_addresses(house, limit=11)
    if not matches:
        raise GkhError(_("{field}: no house matches {house}").format(field=field, house=repr(house)), ExitCode.ERROR,
                       hint=_("try fewer words, or: gkh address search"))
    if len(matches) > 1:
        for candidate in matches[:10]:
            say(f"  {candidate['guid']}  {candidate['address']}")
        several = (_("{field}: {house} matches several houses (and more): give the FIAS GUID or more of the address")
                   if len(matches) > 10 else
                   _("{field}: {house} matches several houses: give the FIAS GUID or more of the address"))
        raise GkhError(several.format(field=field, house=repr(house)), ExitCode.USAGE)
    return matches[0]["guid"]


@app.command("show")
@output_options
def show_(
    house: str = typer.Argument(..., help="A FIAS GUID, or an address that matches exactly one house."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """The house passport: year built, floors, flats, areas, managing organisation, common meters, and the
    outages going on or to come (on a terminal, in the house's own time)."""
    from gkh.commands.outage import for_people, in_house_time, zone_of

    client = runtime().client
    passport = client.house(resolve_house(client, house))
    if for_people(output) and isinstance(passport.get("outages"), list):
        zone = zone_of(passport.get("timezone"))
        passport = {**passport, "outages": in_house_time(passport["outages"], lambda _guid: zone)}
    show(passport, HOUSE_COLUMNS, output)
