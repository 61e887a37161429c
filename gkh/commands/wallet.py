"""gkh wallet: the «Виртуальный мир» wallet — its balance, and topping it up by card."""

from __future__ import annotations

import typer

from gkh.commands.common import (
    DEFAULT_OUTPUT,
    DryRun,
    OutputChoice,
    Yes,
    can_prompt,
    named_as_typed,
    output_options,
    runtime,
    show,
)
from gkh.commands.payment import Timeout
from gkh.errors import ExitCode, GkhError
from gkh.i18n import _
from gkh.output import Column, Columns

app = typer.Typer(help="The «Виртуальный мир» wallet: its balance (gkh pay --method wallet spends it, with no "
                       "commission), and topping it up by card.", no_args_is_help=True)

# The wallet (the README's "Columns" table).
WALLET_COLUMNS = Columns(
    Column("balance", "Balance", shown=True, kind="number"),
    Column("operator", "Operator", shown=True),
    Column("updated_at", "Updated at", shown=True, kind="date"),
)


@app.command("show")
@output_options
def show_(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """My wallet's balance and its operator."""
    show(runtime().client.wallet(), WALLET_COLUMNS, output)


@app.command("top-up")
@output_options
def top_up(
    amount: str = typer.Option(..., "--amount", metavar="SUM", help="How much to put in (500, 1234,56)."),
    email: str = typer.Option(None, "--email", metavar="ADDRESS",
                              help="Where the receipt is e-mailed; default: your profile's e-mail on the portal."),
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: int = Timeout,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Top the wallet up by card (no commission): the quote, a confirmation (--yes off a terminal), then the card
    page as for gkh pay, and the outcome waited for. Exit codes as for gkh pay: 0 done, 5 declined, 7 still pending
    at the timeout."""
    from gkh.commands.pay import YES_NEEDED, charge
    from gkh.domain.money import format_amount
    from gkh.domain.payments import parse_email, parse_payment_amount

    typed = format_amount(parse_payment_amount(amount, field="--amount"))
    address = parse_email(email, field="--email") if email is not None else None
    if not dry_run and not yes and not can_prompt():
        raise GkhError(_(YES_NEEDED), ExitCode.USAGE)
    run = runtime()
    client = run.client
    with named_as_typed({"amount": "--amount", "email": "--email"}):
        charge(run, client, "top_up", {"email": address}, typed, dry_run=dry_run, yes=yes, timeout=timeout,
               output=output, send=lambda body, **kw: client.top_up(**body, **kw))
