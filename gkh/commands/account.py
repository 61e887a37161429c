"""gkh account: personal accounts — list, show, link, unlink."""

from __future__ import annotations

import typer

from gkh.commands.common import AsJson, DryRun, Limit, Output, Yes, ask, confirm, runtime, say, show

app = typer.Typer(help="Personal accounts (лицевые счета): list, show, link, unlink.", no_args_is_help=True)


@app.command("list")
def list_(limit: Limit = None, output: Output = None, as_json: AsJson = False) -> None:
    """Your accounts: a resident's linked ones; organisation staff, all of the organisation's."""
    accounts = runtime().client.accounts(limit=limit)
    show(accounts, output, as_json, empty="no accounts linked yet: gkh account link --house ADDRESS --number NUMBER")


@app.command("show")
def show_(
    account: str = typer.Argument(..., help="The account's ЕЛС (e.g. 77ЕЖ532838) or ИЖКУ."),
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """One account in full."""
    from gkh.domain.identifiers import els_of

    els = els_of(account)
    show(runtime().client.account(els), output, as_json)


# The API's fields of a link as the command line names them.
LINK_FIELDS = {name: f"--{name}" for name in ("house", "number", "els", "izhku", "payer", "org")}


@app.command()
def link(
    house: str = typer.Option(..., "--house", help="A FIAS GUID, or an address matching exactly one house."),
    number: str = typer.Option(None, "--number", help="The account number the organisation gave you."),
    els: str = typer.Option(None, "--els", help="Or the unified account number (ЕЛС)."),
    izhku: str = typer.Option(None, "--izhku", help="Or the service id (ИЖКУ)."),
    payer: str = typer.Option(None, "--payer", help="The payer's surname as printed on the bill (the proof that "
                              "it is yours to link); asked for on a terminal when not given."),
    org: str = typer.Option(None, "--org", help="The organisation's ИНН, when several at the house use the number."),
    dry_run: DryRun = False,
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """Link a personal account: the house, its number (or ЕЛС or ИЖКУ) and the payer's surname from the bill."""
    from gkh.commands.common import named_as_typed
    from gkh.commands.house import resolve_house
    from gkh.domain import identifiers
    from gkh.domain.payer import parse_payer

    # Check the shape here so a typo costs no request; the portal checks it again.
    kind, value = identifiers.one_payer_id(number=number, els=els, izhku=izhku, field_prefix="--")
    if org is not None:
        org = identifiers.normalize_inn(org, field="--org")
    if payer is None:
        payer = ask("The payer's surname, as printed on the bill",
                    unable="--payer is required: the payer's surname as printed on the bill")
    payer = parse_payer(payer, field="--payer")
    client = runtime().client
    with named_as_typed(LINK_FIELDS):
        result = client.link_account(resolve_house(client, house, "--house"), payer=payer, org=org,
                                     dry_run=dry_run, **{kind: value})
    account = result["account"]
    if account is None:  # a dry run of a new link: the portal shows nothing of an account before it is linked
        say("gkh: dry run: the details match; run it again without --dry-run to link the account")
    else:
        verb = {"linked": "linked", "unchanged": "was already linked:"}[result["status"]]
        say(f"gkh: {verb} {account['els']} ({account['organisation']['short_name']}, "
            f"{account['house']['address']}, flat {account['flat']})")
    if output or as_json:
        show(result, output, as_json)


@app.command()
def unlink(
    account: str = typer.Argument(..., help="The account's ЕЛС or ИЖКУ."),
    yes: Yes = False,
    dry_run: DryRun = False,
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """Unlink an account from you (the account itself stays with its organisation)."""
    from gkh.domain.identifiers import els_of

    els = els_of(account)
    if not dry_run:
        confirm(f"Unlink {els}? You will no longer see its bills or submit its readings.", yes)
    result = runtime().client.unlink_account(els, dry_run=dry_run)
    say(f"gkh: {'dry run: would have unlinked' if dry_run else 'unlinked'} {els}")
    if output or as_json:
        show(result, output, as_json)
