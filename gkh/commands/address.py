"""gkh address: the portal's address directory."""

from __future__ import annotations

import typer

from gkh.commands.common import DEFAULT_OUTPUT, Limit, OutputChoice, output_options, runtime, show
from gkh.i18n import _
from gkh.output import Column, Columns

app = typer.Typer(help="Find houses in the address directory.", no_args_is_help=True)

# A house found in the directory (the README's "Columns" table): csv/tsv/excel write them all, in this order.
HOUSE_FOUND_COLUMNS = Columns(
    Column("guid", "FIAS GUID", shown=True, kind="id"),
    Column("address", "Address", shown=True, kind="address"),
    Column("town", "Town"),
    Column("oktmo", "OKTMO", kind="id"),
    Column("timezone", "Time zone"),
)


@app.command()
@output_options
def search(
    query: str = typer.Argument(..., help='Part of an address: "ленина 5", "ул. Ленина, д. 5", "пр-т Мира 12 к2".'),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Houses whose address matches (case, ё, "ул."/"д." and punctuation don't matter; town optional)."""
    from gkh.commands.common import named_as_typed
    from gkh.domain.address import query_needles

    with named_as_typed({"q": "query", "limit": "--limit"}):
        query_needles(query)  # a query with nothing to search for is malformed: say so before any request
        houses = runtime().client.search_addresses(query, limit=limit)
    show(houses, HOUSE_FOUND_COLUMNS, output, empty=_("no house matches {query}").format(query=repr(query)))
