"""gkh bill: payment documents (ЕПД) of my accounts — list them, show one with its lines and the payee's bank."""

from __future__ import annotations

import typer

from gkh.commands.common import (
    DEFAULT_OUTPUT,
    Limit,
    OutputChoice,
    gkh_of_profile,
    named_as_typed,
    output_options,
    runtime,
    show,
)
from gkh.i18n import _
from gkh.output import Column, Columns

app = typer.Typer(help="Bills (ЕПД, payment documents): list them, show one with its lines and the payee's "
                       "bank details.", no_args_is_help=True)

# A bill's lines, one per service (and tariff zone): a small table in `bill show`, JSON text in csv/tsv/excel.
LINE_COLUMNS = Columns(
    Column("service", "Service", shown=True, kind="term"),
    Column("zone", "Zone", shown=True, kind="id"),
    Column("volume", "Volume", shown=True, kind="number"),
    Column("unit", "Unit", shown=True, kind="term"),
    Column("tariff", "Tariff", shown=True, kind="number"),
    Column("amount", "Amount", shown=True, kind="number"),
)
# A bill (the README's "Columns" table): csv/tsv/excel write them all, in this order. A terminal's table shows
# what fits 80 columns: the ИПД (its first ten characters are the account's ЕЛС), the period, the amounts billed
# and still due, the due date, the status and whether it is overdue; `--wide` adds the account, what is paid, …
BILL_COLUMNS = Columns(
    Column("id", "IPD", shown=True, kind="id"),
    Column("account", "Account", kind="id"),
    Column("period", "Period", shown=True, kind="id"),
    Column("payee.id", "Payee id", kind="id"),
    Column("payee.kind", "Payee kind", kind="term"),
    Column("payee.name", "Payee, full name"),
    Column("payee.short_name", "Payee"),
    Column("payee.inn", "Payee INN", kind="id"),
    Column("payee.kpp", "Payee KPP", kind="id"),
    Column("payee.bank.name", "Bank"),
    Column("payee.bank.bik", "BIK", kind="id"),
    Column("payee.bank.account", "Settlement account", kind="id"),
    Column("payee.bank.correspondent_account", "Correspondent account", kind="id"),
    Column("issued_on", "Issued on", kind="date"),
    Column("due_date", "Due date", shown=True, kind="date"),
    Column("total", "Total", shown=True, kind="number"),
    Column("paid", "Paid", kind="number"),
    Column("due", "Due", shown=True, kind="number"),
    Column("status", "Status", shown=True, kind="term"),
    Column("overdue", "Past due", shown=True),
    Column("lines", "Lines", items=LINE_COLUMNS),
)


def _hint(command: str) -> str:
    return _("run: {command}").format(command=f"{gkh_of_profile()} {command}")


@app.command("list")
@output_options
def list_(
    account: str = typer.Option(None, "--account", help="Only this account's bills (its ЕЛС, or ИЖКУ)."),
    unpaid: bool = typer.Option(False, "--unpaid", help="Only the bills with something still due."),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Bills of my accounts, newest period first: what was billed, what is still due and by when."""
    from gkh.client.errors import NotFound
    from gkh.errors import ExitCode, GkhError

    if account is not None:
        from gkh.domain.identifiers import els_of

        # The shape is checked here, so a typo costs no request; the portal checks it again.
        account = els_of(account, field="--account")
    try:
        with named_as_typed({"account": "--account", "limit": "--limit", "unpaid": "--unpaid"}):
            bills = runtime().client.bills(account=account, unpaid=unpaid, limit=limit)
    except NotFound as error:
        if error.code != "account_not_found":
            raise
        raise GkhError(error.message, ExitCode.ERROR, hint=_hint("account list")) from None
    show(bills, BILL_COLUMNS, output, empty=_("nothing to pay") if unpaid else _("no bills"))


@app.command("show")
@output_options
def show_(
    bill: str = typer.Argument(..., help="The bill's ИПД (e.g. 77ЕЖ532838-01-2610; the hyphens may be left out)."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """One bill in full: the payee with its ИНН, КПП and bank details, the amounts, and its lines per service."""
    from gkh.domain.identifiers import normalize_ipd

    ipd = normalize_ipd(bill, field="bill")  # a typo costs no request; the portal checks it again
    with named_as_typed({"id": "bill"}):  # a bill not among yours: gkh.errors' hint names `bill list`
        found = runtime().client.bill(ipd)
    show(found, BILL_COLUMNS, output)
