"""gkh payment: the payments I made — list them, show one (and save its receipt), wait for a card payment's outcome.

Paying itself is the top-level `gkh pay` (commands/pay.py); the wallet is `gkh wallet`."""

from __future__ import annotations

import sys

import typer

from gkh.commands.common import (
    DEFAULT_OUTPUT,
    Limit,
    OutputChoice,
    named_as_typed,
    output_options,
    runtime,
    show,
    whole_number,
)
from gkh.i18n import _
from gkh.output import Column, Columns

app = typer.Typer(help="Payments made: list them, show one with its receipt, wait for a card payment's outcome.",
                  no_args_is_help=True)

STATUSES = ("pending", "succeeded", "declined")
DEFAULT_TIMEOUT = 120  # seconds a command waits for a card payment's outcome
MAX_TIMEOUT = 3600

# The bills a payment went to (a pending one's: where it will go), oldest first.
PAID_BILL_COLUMNS = Columns(
    Column("id", "IPD", shown=True, kind="id"),
    Column("period", "Period", shown=True, kind="id"),
    Column("amount", "Amount", shown=True, kind="number"),
)
# A payment (the README's "Columns" table): csv/tsv/excel write them all, in this order. A terminal's table shows
# the id, its kind, the account, the amount and total, the method, the status and the receipt's number.
PAYMENT_COLUMNS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("kind", "Kind", shown=True, kind="term"),
    Column("account", "Account", shown=True, kind="id"),
    Column("bills", "Bills", items=PAID_BILL_COLUMNS),
    Column("advance", "Advance", kind="number"),
    Column("payee.id", "Payee id", kind="id"),
    Column("payee.name", "Payee"),
    Column("payee.inn", "Payee INN", kind="id"),
    Column("amount", "Amount", shown=True, kind="number"),
    Column("commission", "Commission", kind="number"),
    Column("total", "Total", shown=True, kind="number"),
    Column("method", "Method", shown=True, kind="term"),
    Column("status", "Status", shown=True, kind="term"),
    Column("decline_reason", "Decline reason", kind="term"),
    Column("created_at", "Created at", kind="date"),
    Column("completed_at", "Completed at", kind="date"),
    Column("expires_at", "Expires at", kind="date"),
    Column("confirmation_url", "Confirmation URL"),
    Column("email", "E-mail"),
    Column("receipt.number", "Receipt", shown=True, kind="id"),
    Column("receipt.emailed_to", "Receipt e-mailed to"),
    Column("receipt.sent_at", "Receipt sent at", kind="date"),
    Column("receipt.delivery", "Receipt delivery", kind="term"),
    Column("warnings", "Warnings"),
)
# What pay and top-up answer: the payment, and whether it was a dry run (the quote: status "quote").
PAID_COLUMNS = Columns(PAYMENT_COLUMNS, Column("dry_run", "Dry run"))

PaymentArg = typer.Argument(..., help="The payment's id (P-000001).")
Timeout = typer.Option(str(DEFAULT_TIMEOUT), "--timeout", parser=whole_number(1, MAX_TIMEOUT), metavar="SECONDS",
                       help="How long to wait for a card payment's outcome (1…3600 seconds).")


def status_choice(text: str) -> str:
    """--status's parser: a payment's status."""
    if text not in STATUSES:
        raise typer.BadParameter(_("{text} is not one of {choices}").format(text=repr(text),
                                                                           choices=", ".join(STATUSES)))
    return text


def payment_id(text: str, field: str = "payment") -> str:
    """A payment's id as typed (p-000001, P-1, a Cyrillic Р) in its one spelling, P-000001; a usage error else."""
    from gkh.domain.errors import InvalidInput
    from gkh.domain.identifiers import fold_lookalikes, quoted

    folded = fold_lookalikes(text.strip()).upper().replace("Р", "P")
    number = folded[2:] if folded.startswith("P-") else ""
    if not (number.isascii() and number.isdigit()) or not 1 <= len(number) <= 9:
        raise InvalidInput(_("{field} must be a payment's id such as P-000001; got {got}").format(
            field=field, got=quoted(text)), field)
    return f"P-{int(number):06d}"


@app.command("list")
@output_options
def list_(
    account: str = typer.Option(None, "--account", help="Only the payments to this account (its ЕЛС, or ИЖКУ)."),
    status: str = typer.Option(None, "--status", parser=status_choice, metavar="pending|succeeded|declined",
                               help="Only the payments with this status."),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """The payments I made (staff: those to the organisation), newest first: amount, method, status, receipt."""
    if account is not None:
        from gkh.domain.identifiers import els_of

        account = els_of(account, field="--account")  # a typo costs no request
    with named_as_typed({"account": "--account", "status": "--status", "limit": "--limit"}):
        payments = runtime().client.payments(account=account, status=status, limit=limit)
    show(payments, PAYMENT_COLUMNS, output, empty=_("no payments"))


@app.command("show")
@output_options
def show_(
    payment: str = PaymentArg,
    receipt: str = typer.Option(None, "--receipt", metavar="FILE",
                                help="Also save the receipt, the e-mail as sent (an .eml file), to FILE; - writes "
                                     "it to stdout instead of the payment."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """One payment read down: the bills it went to, the payee, amount, commission, total, status and receipt."""
    pid = payment_id(payment)
    client = runtime().client
    with named_as_typed({"id": "payment"}):
        if receipt == "-":  # the e-mail's bytes are the data: nothing else on stdout
            data = client.payment_receipt(pid)
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        found = client.payment(pid)
        if receipt is not None:
            save_receipt(client, pid, receipt)
    show(found, PAYMENT_COLUMNS, output)


def save_receipt(client, pid: str, target: str) -> None:
    """Write the payment's receipt to the file `target`, whole or not at all (a temporary file renamed)."""
    import os
    import secrets
    from pathlib import Path

    from gkh.commands.common import say
    from gkh.errors import ExitCode, GkhError

    data = client.payment_receipt(pid)
    path = Path(target).expanduser()
    if path.is_dir():
        raise GkhError(_("--receipt: {path} is a folder; give a file's name (e.g. {example})").format(
            path=path, example=path / f"{pid}.eml"), ExitCode.USAGE)
    temp = path.with_name(f".gkh-receipt-{secrets.token_hex(6)}.part")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise GkhError(_("cannot write {path}: {reason}").format(path=path, reason=error.strerror or error),
                       ExitCode.ERROR) from None
    say(_("gkh: the receipt of {payment} saved to {path}").format(payment=pid, path=path))


@app.command("wait")
@output_options
def wait(
    payment: str = PaymentArg,
    timeout: int = Timeout,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Wait for a card payment's outcome. Exit 0 when it succeeded, 5 when it was declined (cancelled, declined by
    the bank, or expired unconfirmed), 7 when it is still pending at the timeout."""
    from gkh.commands.pay import finish, wait_for_outcome

    pid = payment_id(payment)
    client = runtime().client
    with named_as_typed({"id": "payment"}):
        found = client.payment(pid)
        if found.get("status") == "pending" and found.get("confirmation_url"):
            from gkh.output import message

            message(_("gkh: confirm the payment at {url}").format(url=found["confirmation_url"]))
        found = wait_for_outcome(client, found, timeout)
    finish(found, output, quiet_off_terminal=False)
