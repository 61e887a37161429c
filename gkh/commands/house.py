"""gkh house: a house's passport."""

from __future__ import annotations

import typer

from gkh.commands.common import AsJson, Output, runtime, say, show

app = typer.Typer(help="All the information about a house (its passport).", no_args_is_help=True)


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
        raise InvalidInput(f'{field} must be a FIAS GUID or an address naming a street or a house number, e.g. '
                           f'"ленина 5"; got {quoted(house.strip())}', field) from None
    with named_as_typed({"q": field}):
        matches = client.search_addresses(house, limit=11)
    if not matches:
        raise GkhError(f"{field}: no house matches {house!r}", ExitCode.ERROR,
                       hint="try fewer words, or: gkh address search")
    if len(matches) > 1:
        for candidate in matches[:10]:
            say(f"  {candidate['guid']}  {candidate['address']}")
        more = " (and more)" if len(matches) > 10 else ""
        raise GkhError(f"{field}: {house!r} matches several houses{more}: give the FIAS GUID or more of the "
                       "address", ExitCode.USAGE)
    return matches[0]["guid"]


@app.command("show")
def show_(
    house: str = typer.Argument(..., help="A FIAS GUID, or an address that matches exactly one house."),
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """The house passport: year built, floors, flats, areas, managing organisation, common meters."""
    client = runtime().client
    show(client.house(resolve_house(client, house)), output, as_json)
