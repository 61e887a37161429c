"""gkh address: the portal's address directory."""

from __future__ import annotations

import typer

from gkh.commands.common import AsJson, Limit, Output, runtime, show

app = typer.Typer(help="Find houses in the address directory.", no_args_is_help=True)


@app.command()
def search(
    query: str = typer.Argument(..., help='Part of an address: "ленина 5", "ул. Ленина, д. 5", "пр-т Мира 12 к2".'),
    limit: Limit = None,
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """Houses whose address matches (case, ё, "ул."/"д." and punctuation don't matter; town optional)."""
    from gkh.commands.common import named_as_typed
    from gkh.domain.address import query_needles

    with named_as_typed({"q": "query", "limit": "--limit"}):
        query_needles(query)  # a query with nothing to search for is malformed: say so before any request
        houses = runtime().client.search_addresses(query, limit=limit)
    show(houses, output, as_json, columns=["guid", "address", "town", "oktmo", "timezone"],
         empty=f"no house matches {query!r}")
