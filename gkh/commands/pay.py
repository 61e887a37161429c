"""gkh pay: pay an account's bills by wallet or card — the quote first, a confirmation, then exactly one charge.

Exactly once, across runs too: the call's Idempotency-Key is kept in the state folder (`payments.json`) before
anything is sent and forgotten once the portal has given a definitive answer; when the outcome stays unknown
(the portal unreachable, 5xx after the retries), re-running the same command within 24 hours sends the kept
request with the kept key, and the portal replays its first outcome instead of charging again.

The card flow (`finish_card`) and waiting for an outcome (`wait_for_outcome`) serve `gkh wallet top-up` and
`gkh payment wait` too.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from gkh.commands.common import (
    DEFAULT_OUTPUT,
    DryRun,
    OutputChoice,
    Yes,
    can_prompt,
    confirm,
    named_as_typed,
    output_options,
    runtime,
    say,
    show,
    warn,
)
from gkh.commands.kept import KeptAttempts
from gkh.commands.payment import PAID_COLUMNS, PAYMENT_COLUMNS, Timeout
from gkh.errors import ExitCode, GkhError
from gkh.i18n import N_, _
from gkh.output import Column, Columns

if TYPE_CHECKING:
    from gkh.client.api import Client
    from gkh.commands.common import Runtime

POLL_SECONDS = 1.0  # how often a pending card payment is asked about (tests make it shorter)
sleep = time.sleep  # the wait between two questions (tests replace it)
KEPT_FILE = "payments.json"
SPINNER = "|/-\\"

# The quote as a person reads it before confirming, on stderr: the payee, the account, the bills and the part
# of the amount each gets, the advance, the amount, the commission and the method it depends on, the total.
QUOTE_COLUMNS = Columns(
    Column("payee.name", "Payee"),
    Column("payee.inn", "Payee INN", kind="id"),
    Column("account", "Account", kind="id"),
    Column("bills", "Bills", items=Columns(
        Column("id", "IPD", kind="id"), Column("period", "Period", kind="id"),
        Column("amount", "Amount", kind="number"))),
    Column("advance", "Advance", kind="number"),
    Column("amount", "Amount", kind="number"),
    Column("commission", "Commission", kind="number"),
    Column("method", "Method", kind="term"),
    Column("total", "Total", kind="number"),
)

DECLINED = {  # why a payment was declined, as the exit-5 line says it
    "cancelled": N_("cancelled on the card page"),
    "declined_by_bank": N_("declined by the bank"),
    "expired": N_("expired: not confirmed on the card page in time"),
}
YES_NEEDED = N_("paying needs confirmation: add --yes to pay without a terminal (nothing was charged)")


def method_choice(text: str) -> str:
    """--method's parser."""
    if text not in ("wallet", "card"):
        raise typer.BadParameter(_("{text} is not one of {choices}").format(text=repr(text),
                                                                           choices="wallet, card"))
    return text


@output_options
def pay(
    account: str = typer.Argument(..., help="The account to pay (its ЕЛС, or ИЖКУ)."),
    amount: str = typer.Option(None, "--amount", metavar="SUM",
                               help="How much (1234,56 or 1234.56); default: everything due on the account, or on "
                                    "the bill with --bill. More than owed is an advance on the account."),
    bill: str = typer.Option(None, "--bill", metavar="ИПД", help="Pay this bill only (its ИПД); default: the "
                             "account's oldest unpaid bills first."),
    method: str = typer.Option("card", "--method", parser=method_choice, metavar="wallet|card",
                               help="card (the default: it always works; the quote shows its commission before "
                                    "anything is charged) or wallet («Виртуальный мир»: no commission, if its "
                                    "balance covers the amount)."),
    email: str = typer.Option(None, "--email", metavar="ADDRESS",
                              help="Where the receipt is e-mailed; default: your profile's e-mail on the portal."),
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: int = Timeout,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Pay an account: the quote first (payee and ИНН, the bills, amount, commission, total), then, once confirmed,
    exactly one charge.

    On a terminal the quote is shown and confirmed; off one (or with --no-input) --yes is required. A card payment
    is confirmed on the card page whose URL is printed (the embedded demo portal's page gkh confirms itself); gkh
    waits for the outcome up to --timeout seconds. Re-running the same command within 24 hours after an unknown
    outcome (exit 6) never charges twice. Exit codes: 0 paid; 1 no such account or bill of yours; 2 malformed, or
    --yes needed; 4 not signed in or not a resident; 5 refused (nothing due, not enough in the wallet) or
    declined; 6 the portal unreachable; 7 still pending at the timeout (gkh payment wait P-… picks it up).
    """
    from gkh.domain.identifiers import els_of, normalize_ipd
    from gkh.domain.money import format_amount
    from gkh.domain.payments import parse_email, parse_payment_amount

    # Every argument is checked here, so a typo costs no request; the portal checks them again.
    els = els_of(account, field="account")
    typed = format_amount(parse_payment_amount(amount, field="--amount")) if amount is not None else None
    ipd = normalize_ipd(bill, field="--bill") if bill is not None else None
    address = parse_email(email, field="--email") if email is not None else None
    if not dry_run and not yes and not can_prompt():
        raise GkhError(_(YES_NEEDED), ExitCode.USAGE)
    run = runtime()
    client = run.client
    fields = {"amount": "--amount", "bill": "--bill", "method": "--method", "email": "--email"}
    request = {"account": els, "method": method, "amount": typed, "bill": ipd, "email": address}
    what = {k: v for k, v in request.items() if k != "amount"}
    with named_as_typed(fields):
        charge(run, client, "pay", what, typed, dry_run=dry_run, yes=yes, timeout=timeout, output=output,
               send=lambda body, **kw: client.pay(**body, **kw))


def charge(run: Runtime, client: Client, kind: str, what: dict[str, Any], typed: str | None, *, dry_run: bool,
           yes: bool, timeout: int, output: OutputChoice, send: Callable[..., dict]) -> None:
    """The quote, the confirmation and the one charge, its key kept across runs; then the card flow if pending.

    `what` is the request but its amount, `typed` the amount as given (None: what is due), `send(body,
    dry_run=, idempotency_key=)` the client's call. Payments of one profile on one portal run one at a time
    (a file lock in the state folder): a second `gkh pay` started meanwhile (two cron jobs overlapping) waits,
    then quotes what is still due, instead of paying the same bills again under a key of its own."""
    if dry_run:
        _charge(run, client, kind, what, typed, dry_run=dry_run, yes=yes, timeout=timeout, output=output, send=send)
        return
    from gkh.config._files import locked
    from gkh.paths import state_home

    owner = hashlib.sha256(json.dumps([run.profile, client.portal_key]).encode("utf-8")).hexdigest()[:16]
    with locked(state_home() / f"paying-{owner}"):
        _charge(run, client, kind, what, typed, dry_run=dry_run, yes=yes, timeout=timeout, output=output, send=send)


def _charge(run: Runtime, client: Client, kind: str, what: dict[str, Any], typed: str | None, *, dry_run: bool,
            yes: bool, timeout: int, output: OutputChoice, send: Callable[..., dict]) -> None:
    from gkh.client.errors import PortalError, Refused, ServerError, Unreachable
    from gkh.output import is_terminal

    kept = KeptAttempts(run.now, KEPT_FILE)
    # What the command was asked to pay (the amount as given, else "due"): the same command finds its attempt.
    slot = kept.slot(run.profile, client.portal_key, kind, what.get("account"), typed or "due", what.get("bill"),
                     what.get("method"), what.get("email"))
    resumed = None if dry_run else kept.get(slot)
    if resumed is not None:
        at = datetime.fromisoformat(resumed["saved_at"])
        say(_("gkh: resuming the payment attempt of {time}: the portal will not charge twice").format(
            time=at.strftime("%H:%M")))

    body = _body(what, typed)
    try:
        quote = send(body, dry_run=True)
    except Refused:
        if resumed is None:
            raise
        quote = None  # the first attempt may have paid what was due (or spent the wallet): resent as it was
    if dry_run:
        assert quote is not None
        _warn_all(quote)
        show(quote, PAID_COLUMNS, output)
        say(_("gkh: dry run: the portal quoted the payment and charged nothing"))
        return
    planned = _body(what, quote["amount"]) if quote is not None else None
    if resumed is not None:
        key, body = resumed["key"], resumed["body"]
        if planned != body:  # the bills changed since (or the quote failed): the kept request is asked about
            confirm(_("Send the payment attempt of {time} again ({amount} by {method})?").format(
                time=datetime.fromisoformat(resumed["saved_at"]).strftime("%H:%M"), amount=body.get("amount"),
                method=_term(body.get("method", "card"))), yes, unable=_(YES_NEEDED))
    else:
        assert quote is not None and planned is not None
        if is_terminal(sys.stderr):
            _show_quote(quote)
        confirm(_("Pay {total} by {method}?").format(total=quote["total"], method=_term(quote["method"])), yes,
                unable=_(YES_NEEDED))
        key, body = str(uuid.uuid4()), planned
        kept.put(slot, key, body)

    try:
        paid = send(body, idempotency_key=key)
    except (Unreachable, ServerError) as error:
        warn(_("the payment's outcome is unknown: re-running the same command within 24 hours will not charge "
               "twice"))
        raise error
    except PortalError as error:
        if error.status in (409, 429):  # still being worked on, or slowed down: the outcome is not known yet
            warn(_("the payment's outcome is unknown: re-running the same command within 24 hours will not charge "
                   "twice"))
        else:  # a definitive answer: nothing was charged
            kept.forget(slot)
        raise
    kept.forget(slot)
    if quote is None or paid.get("warnings") != quote.get("warnings") or not is_terminal(sys.stderr):
        _warn_all(paid)  # not already said with the quote just above
    if paid.get("status") == "pending":
        paid = finish_card(run, client, paid, timeout)
    finish(paid, output, quiet_off_terminal=True)


def _body(what: dict[str, Any], amount: str | None) -> dict[str, Any]:
    """The request's body as the client's call takes it (no empty fields): what the kept attempt compares."""
    return {k: v for k, v in {**what, "amount": amount}.items() if v is not None}


def _term(word: str) -> str:
    from gkh.i18n import term

    return term(word)


def _warn_all(payment: dict) -> None:
    for warning in payment.get("warnings") or []:
        warn(str(warning))


def _show_quote(quote: dict) -> None:
    """The quote read down on stderr, for the person about to confirm."""
    from gkh.output import render

    shown = dict(quote)
    if shown.get("kind") == "top_up":
        shown["payee"] = {"name": _("top-up of the wallet «Виртуальный мир»")}
    render(shown, fmt="table", columns=QUOTE_COLUMNS, stream=sys.stderr)
    _warn_all(quote)  # an advance, before it is confirmed


# --- the card flow and the outcome ---------------------------------------------------------------------------


def finish_card(run: Runtime, client: Client, payment: dict, timeout: int) -> dict:
    """A pending card payment: confirmed on the embedded portal's test page by gkh itself; elsewhere its URL shown
    (and, on a terminal, offered to the browser); then its outcome waited for."""
    from gkh.output import is_terminal, message

    url = payment.get("confirmation_url")
    if url and run.is_local:
        client.confirm_on_acquirer(url)
        say(_("gkh: the local demo portal has no bank: gkh confirmed {payment} on its card page itself").format(
            payment=payment["id"]))
        payment = client.payment(payment["id"])
    elif url:
        message(_("gkh: confirm the payment at {url}").format(url=url))
        if can_prompt() and is_terminal(sys.stderr):
            from gkh.i18n import is_yes, yes_no_hint

            sys.stderr.write(_("Open it in the browser?") + f" {yes_no_hint()}: ")
            sys.stderr.flush()
            if is_yes(sys.stdin.readline()):
                import webbrowser

                webbrowser.open(url)
    return wait_for_outcome(client, payment, timeout)


def wait_for_outcome(client: Client, payment: dict, timeout: int) -> dict:
    """Ask about the payment every POLL_SECONDS until it is no longer pending or `timeout` seconds have passed,
    a spinner on stderr at a terminal; the payment as last read."""
    from gkh.output import is_terminal

    spinner = is_terminal(sys.stderr)
    deadline = time.monotonic() + timeout
    turn = 0
    try:
        while payment.get("status") == "pending":
            if time.monotonic() >= deadline:
                break
            if spinner:
                sys.stderr.write("\r" + _("waiting for the card payment's outcome {spin}").format(
                    spin=SPINNER[turn % len(SPINNER)]))
                sys.stderr.flush()
                turn += 1
            sleep(POLL_SECONDS)
            payment = client.payment(payment["id"])
    except KeyboardInterrupt:  # the payment goes on without us: say how to pick it up
        raise GkhError(_("stopped waiting: payment {payment} may still be pending").format(payment=payment["id"]),
                       ExitCode.INTERRUPTED, hint=_wait_hint(payment["id"])) from None
    finally:
        if spinner and turn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
    return payment


def _wait_hint(payment: str) -> str:
    from gkh.commands.common import profile_in_use

    profile = profile_in_use()
    return _("run: {command}").format(command=f"gkh{f' --profile {profile}' if profile else ''} payment wait {payment}")


def finish(payment: dict, output: OutputChoice, *, quiet_off_terminal: bool) -> None:
    """Show the payment (at a terminal or when asked; `quiet_off_terminal` False: always) and leave with its
    outcome: succeeded 0, declined 5, still pending 7."""
    from gkh.output import is_terminal

    if output.asked or is_terminal(sys.stdout) or not quiet_off_terminal:
        show(payment, PAYMENT_COLUMNS, output)
    status = payment.get("status")
    if status == "declined":
        reason = payment.get("decline_reason")
        raise GkhError(_("payment {payment} was declined: {reason}").format(
            payment=payment["id"], reason=_(DECLINED[reason]) if reason in DECLINED else reason or "?"),
            ExitCode.REFUSED)
    if status == "pending":
        raise GkhError(_("payment {payment} is still pending").format(payment=payment["id"]), ExitCode.PENDING,
                       hint=_wait_hint(payment["id"]))
    if status == "succeeded" and quiet_off_terminal and is_terminal(sys.stderr):  # wait shows the payment instead
        say(_("gkh: paid {total}: {payment}").format(total=payment.get("total"), payment=payment["id"]))

