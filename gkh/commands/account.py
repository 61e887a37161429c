"""gkh account: personal accounts — list, show, link, unlink, import from a CSV file."""

from __future__ import annotations

import typer

from gkh.commands.batchfile import (
    BatchSizeOption,
    DelimiterOption,
    EncodingOption,
    FileArgument,
    RejectsOption,
    TemplateOption,
)
from gkh.commands.common import (
    DEFAULT_OUTPUT,
    DryRun,
    Limit,
    OutputChoice,
    Yes,
    ask,
    confirm,
    output_options,
    runtime,
    say,
    show,
)
from gkh.i18n import _
from gkh.output import Column, Columns

app = typer.Typer(help="Personal accounts (лицевые счета): list, show, link, unlink, import.", no_args_is_help=True)

# An account's columns (the README's "Columns" table): csv/tsv/excel write them all, in this order.
ACCOUNT_COLUMNS = Columns(
    Column("els", "ELS", shown=True, kind="id"),
    Column("izhku", "Service id", kind="id"),
    Column("number", "Number", shown=True, kind="id"),
    Column("organisation.id", "Organisation id", kind="id"),
    Column("organisation.kind", "Organisation kind", kind="term"),
    Column("organisation.name", "Organisation, full name"),
    Column("organisation.short_name", "Organisation", shown=True),
    Column("organisation.inn", "Organisation INN", kind="id"),
    Column("house.guid", "House GUID", kind="id"),
    Column("house.address", "Address", shown=True, kind="address"),
    Column("flat", "Flat", shown=True, kind="id"),
    Column("payer", "Payer"),
    Column("area", "Area, m²", kind="number"),
    Column("opened_on", "Opened on", kind="date"),
    Column("linked_at", "Linked at", kind="date"),
)
# What link and unlink answer: what happened, and the account (none for a dry run of a new link).
LINK_COLUMNS = Columns(
    Column("status", "Status", shown=True, kind="term"),
    Column("dry_run", "Dry run"),
    ACCOUNT_COLUMNS.under("account"),
)


@app.command("list")
@output_options
def list_(limit: Limit = None, output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """Your accounts: a resident's linked ones; organisation staff, all of the organisation's."""
    accounts = runtime().client.accounts(limit=limit)
    show(accounts, ACCOUNT_COLUMNS, output,
         empty=_("no accounts linked yet: gkh account link --house ADDRESS --number NUMBER"))


@app.command("show")
@output_options
def show_(
    account: str = typer.Argument(..., help="The account's ЕЛС (e.g. 77ЕЖ532838) or ИЖКУ."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """One account in full."""
    from gkh.domain.identifiers import els_of

    els = els_of(account)
    show(runtime().client.account(els), ACCOUNT_COLUMNS, output)


# The API's fields of a link as the command line names them.
LINK_FIELDS = {name: f"--{name}" for name in ("house", "number", "els", "izhku", "payer", "org")} | {
    "last_bill": "--last-bill"}


@app.command()
@output_options
def link(
    house: str = typer.Option(..., "--house", help="A FIAS GUID, or an address matching exactly one house."),
    number: str = typer.Option(None, "--number", help="The account number the organisation gave you."),
    els: str = typer.Option(None, "--els", help="Or the unified account number (ЕЛС)."),
    izhku: str = typer.Option(None, "--izhku", help="Or the service id (ИЖКУ)."),
    payer: str = typer.Option(None, "--payer", help="The payer's surname as printed on the bill (the proof that "
                              "it is yours to link); asked for on a terminal when neither it nor --last-bill is "
                              "given."),
    last_bill: str = typer.Option(None, "--last-bill", metavar="AMOUNT",
                                  help="Or the total of the account's last bill (4312,85), the proof instead of "
                                       "the surname (or beside it: then both must match)."),
    org: str = typer.Option(None, "--org", help="The organisation's ИНН, when several at the house use the number."),
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Link a personal account: the house, its number (or ЕЛС or ИЖКУ) and, from the bill, the payer's surname or
    its total."""
    from gkh.commands.common import named_as_typed
    from gkh.commands.house import resolve_house
    from gkh.domain import identifiers
    from gkh.domain.money import format_amount, parse_amount
    from gkh.domain.payer import parse_payer

    # Check the shape here so a typo costs no request; the portal checks it again.
    kind, value = identifiers.one_payer_id(number=number, els=els, izhku=izhku, field_prefix="--")
    if org is not None:
        org = identifiers.normalize_inn(org, field="--org")
    total = format_amount(parse_amount(last_bill, field="--last-bill")) if last_bill is not None else None
    if payer is None and total is None:
        payer = ask(_("The payer's surname, as printed on the bill"),
                    unable=_("--payer is required: the payer's surname as printed on the bill (or --last-bill, "
                             "the total of the account's last bill)"))
    payer = parse_payer(payer, field="--payer") if payer is not None else None
    client = runtime().client
    with named_as_typed(LINK_FIELDS):
        result = client.link_account(resolve_house(client, house, "--house"), payer=payer, last_bill=total,
                                     org=org, dry_run=dry_run, **{kind: value})
    account = result["account"]
    if account is None:  # a dry run of a new link: the portal shows nothing of an account before it is linked
        say(_("gkh: dry run: the details match; run it again without --dry-run to link the account"))
    else:
        said = (_("gkh: linked {els} ({organisation}, {address}, flat {flat})") if result["status"] == "linked"
                else _("gkh: was already linked: {els} ({organisation}, {address}, flat {flat})"))
        say(said.format(els=account["els"], organisation=account["organisation"]["short_name"],
                        address=account["house"]["address"], flat=account["flat"]))
    if output.asked:
        show(result, LINK_COLUMNS, output)


@app.command()
@output_options
def unlink(
    account: str = typer.Argument(..., help="The account's ЕЛС or ИЖКУ."),
    yes: Yes = False,
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Unlink an account from you (the account itself stays with its organisation)."""
    from gkh.domain.identifiers import els_of

    els = els_of(account)
    if not dry_run:
        confirm(_("Unlink {els}? You will no longer see its bills or submit its readings.").format(els=els), yes)
    result = runtime().client.unlink_account(els, dry_run=dry_run)
    say((_("gkh: dry run: would have unlinked {els}") if dry_run else _("gkh: unlinked {els}")).format(els=els))
    if output.asked:
        show(result, LINK_COLUMNS, output)




@app.command("import")
@output_options
def import_(
    file: str = FileArgument,
    template: bool = TemplateOption,
    encoding: str = EncodingOption,
    delimiter: str = DelimiterOption,
    rejects: str = RejectsOption,
    batch_size: int = BatchSizeOption,
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Create or update the organisation's accounts from a CSV file (organisation staff): house, flat, number,
    ЕЛС, area, share, payer, kind, and the flat's meter. Columns by their English or Russian names; Windows-1251
    or UTF-8; commas, semicolons or tabs. Safe to re-run: an account already as the file says is "unchanged".

    Rejected rows are listed on stderr (line N: field: reason) and written to --rejects as they were; the others
    go in. Exit 0 all rows in, 3 some rejected, 2 a file or header that cannot be read (nothing sent), 1 another
    import running for this profile, and the usual codes for the portal's answers.
    """
    from gkh.commands.batchfile import accounts_kind, import_command

    import_command(accounts_kind, file, template, encoding=encoding, delimiter=delimiter, dry_run=dry_run,
                   rejects=rejects, batch_size=batch_size, output=output)
