"""gkh admin: the portal's admin at work — its organisations, its users, its houses, their owner registers, bills
and closed periods, and its settings. Only the portal's admins may (everyone else is refused, exit 4), but for what
an organisation's staff do for their own houses and accounts: `owner import|list` (a managing organisation's
houses), `bill import` (their organisation's accounts), `period close|list` (the houses their organisation serves).

A new user, and one whose password was reset, gets a one-time password: `user add` and `user reset-password`
print it on stdout and nothing else (a note on stderr), once — the portal keeps only its hash. They sign in with
it and set their own with `gkh auth password` before anything else."""

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
    OutputChoice,
    named_as_typed,
    output_options,
    runtime,
    say,
    show,
)
from gkh.i18n import _, term
from gkh.output import Column, Columns

app = typer.Typer(help="The portal's admin (admins; an organisation's staff: their houses' owner registers, their "
                       "accounts' bills, their houses' periods): its organisations, users, houses, owners, bills, "
                       "periods and settings.",
                  no_args_is_help=True)
org_app = typer.Typer(help="The portal's organisations: list them, add one.", no_args_is_help=True)
user_app = typer.Typer(help="The portal's users: list them, add one with a one-time password, disable, enable, "
                            "give a new one-time password.", no_args_is_help=True)
settings_app = typer.Typer(help="The portal's settings: list them with their defaults, set one, unset one.",
                           no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
house_app = typer.Typer(help="The portal's houses: import them from a CSV file (FIAS GUID, address, time zone, "
                             "reading window, passport).", no_args_is_help=True)
period_app = typer.Typer(help="A house's periods: close a month, whose readings become final, and list the closed "
                              "ones (admins any house; staff the houses their organisation serves).",
                         no_args_is_help=True)
app.add_typer(settings_app, name="settings")
app.add_typer(house_app, name="house")
app.add_typer(period_app, name="period")
owner_app = typer.Typer(help="The houses' owner registers (who owns which flat, with what share): import them "
                             "from a CSV file, list a house's (admins any house; a managing organisation's staff the "
                             "houses it manages).", no_args_is_help=True)
app.add_typer(owner_app, name="owner")
app.add_typer(owner_app, name="owners", hidden=True)
bill_app = typer.Typer(help="Bills (ЕПД) from the organisation's accounting: import their lines from a CSV file "
                            "(admins; staff for their organisation's accounts).", no_args_is_help=True)
app.add_typer(bill_app, name="bill")
app.add_typer(bill_app, name="bills", hidden=True)

KINDS = ("managing", "supplier", "inspectorate", "authority")
ROLES = ("resident", "staff", "inspector", "admin")

# An organisation (the README's "Columns" table): csv/tsv/excel write them all, in this order; a terminal's table
# shows its id, kind, short name, ИНН and card commission.
ORGANISATION_COLUMNS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("kind", "Kind", shown=True, kind="term"),
    Column("name", "Name"),
    Column("short_name", "Short name", shown=True),
    Column("inn", "INN", shown=True, kind="id"),
    Column("ogrn", "OGRN", kind="id"),
    Column("kpp", "KPP", kind="id"),
    Column("card_commission", "Card commission, %", shown=True, kind="number"),
    Column("phone", "Phone", kind="id"),
    Column("email", "E-mail"),
    Column("address", "Address", kind="address"),
    Column("bank_name", "Bank"),
    Column("bik", "BIK", kind="id"),
    Column("bank_account", "Bank account", kind="id"),
    Column("correspondent_account", "Correspondent account", kind="id"),
)
# What adding answers: the organisation, and whether it was a dry run (the organisation as it would be).
ORGANISATION_ADDED_COLUMNS = Columns(ORGANISATION_COLUMNS, Column("dry_run", "Dry run"))

# A user as the admin sees them (the README's "Columns" table).
USER_COLUMNS = Columns(
    Column("login", "Login", shown=True, kind="id"),
    Column("name", "Name", shown=True),
    Column("email", "E-mail"),
    Column("role", "Role", shown=True, kind="term"),
    Column("organisation", "Organisation", shown=True, kind="id"),
    Column("must_change_password", "Must set a password"),
    Column("disabled_at", "Disabled at", shown=True, kind="date"),
    Column("created_at", "Created at", kind="date"),
)

# A setting of the portal (the README's "Columns" table and its "Settings" table).
PORTAL_SETTING_COLUMNS = Columns(
    Column("key", "Key", shown=True, kind="id"),
    Column("value", "Value", shown=True),
    Column("default", "Default", shown=True),
    Column("description", "Meaning", shown=True),
)

# A house's closed period (the README's "Columns" table): `period list`; `period close` adds what happened.
CLOSED_PERIOD_COLUMNS = Columns(
    Column("period", "Period", shown=True, kind="id"),
    Column("house.guid", "FIAS GUID", kind="id"),
    Column("house.address", "Address", shown=True, kind="address"),
    Column("house.town", "Town"),
    Column("house.oktmo", "OKTMO", kind="id"),
    Column("house.timezone", "Time zone"),
    Column("closed_at", "Closed at", shown=True, kind="date"),
    Column("closed_by", "Closed by", shown=True, kind="id"),
)
PERIOD_CLOSED_COLUMNS = Columns(CLOSED_PERIOD_COLUMNS, Column("status", "Status", shown=True, kind="term"),
                                Column("dry_run", "Dry run"))

# An owner in a house's register (the README's "Columns" table): `owner list`.
OWNER_COLUMNS = Columns(
    Column("flat", "Flat", shown=True, kind="id"),
    Column("area", "Area, m²", shown=True, kind="number"),
    Column("owner", "Owner", shown=True),
    Column("share", "Share", shown=True, kind="id"),
    Column("document", "Registration of the right"),
    Column("login", "Login", shown=True, kind="id"),
)

# The API's fields as the command line names them.
ORGANISATION_FIELDS = {"name": "--name", "short_name": "--short-name", "inn": "--inn", "ogrn": "--ogrn",
                       "kpp": "--kpp", "kind": "--kind", "card_commission": "--commission", "phone": "--phone",
                       "email": "--email", "address": "--address", "dry_run": "--dry-run"}
USER_FIELDS = {"login": "LOGIN", "name": "--name", "email": "--email", "role": "--role", "org": "--org"}
SETTING_FIELDS = {"key": "KEY", "value": "VALUE", "dry_run": "--dry-run"}
PERIOD_FIELDS = {"house": "--house", "period": "PERIOD", "dry_run": "--dry-run"}

LoginArg = typer.Argument(..., metavar="LOGIN", help="The user's login.")


def _choice(choices: tuple[str, ...]):
    def parse(text: str) -> str:
        chosen = text.strip().lower()
        if chosen not in choices:
            raise typer.BadParameter(_("{text} is not one of {choices}").format(text=repr(text),
                                                                                choices=", ".join(choices)))
        return chosen

    return parse


# --- organisations -------------------------------------------------------------------------------------------------


@org_app.command("list")
@output_options
def org_list(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """The portal's organisations, by id."""
    show(runtime().client.admin_organisations(), ORGANISATION_COLUMNS, output,
         empty=_("gkh: the portal has no organisations yet: add one with gkh admin org add"))


@org_app.command("add")
@output_options
def org_add(
    name: str = typer.Option(..., "--name", metavar="NAME", help="The full name (ТСЖ «Берёзка»)."),
    inn: str = typer.Option(..., "--inn", metavar="INN", help="ИНН: 10 digits, checked by its check digit."),
    ogrn: str = typer.Option(..., "--ogrn", metavar="OGRN", help="ОГРН: 13 digits, checked by its check digit."),
    kind: str = typer.Option(..., "--kind", parser=_choice(KINDS), metavar="KIND",
                             help="managing, supplier, inspectorate or authority."),
    short_name: str = typer.Option(None, "--short-name", metavar="NAME",
                                   help="The name people read in lists (default: the full name)."),
    kpp: str = typer.Option(None, "--kpp", metavar="KPP", help="КПП: 9 characters."),
    commission: str = typer.Option(None, "--commission", metavar="PERCENT",
                                   help="What a card payment to it costs, percent of the sum, 0–5 (0.8 or 0,8; "
                                        "default: the payments.card_commission setting)."),
    phone: str = typer.Option(None, "--phone", metavar="PHONE", help="Its phone number."),
    email: str = typer.Option(None, "--email", metavar="EMAIL", help="Its e-mail address."),
    address: str = typer.Option(None, "--address", metavar="ADDRESS", help="Its postal address."),
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Add an organisation: a managing organisation, a supplier, an inspectorate or an authority. Its id
    (ORG-0007) is printed; the same ИНН with the same details again changes nothing."""
    client = runtime().client
    with named_as_typed(ORGANISATION_FIELDS):
        added = client.add_organisation(name, inn, ogrn, kind, short_name=short_name, kpp=kpp,
                                        card_commission=commission, phone=phone, email=email, address=address,
                                        dry_run=dry_run)
    show({**added, "dry_run": True} if dry_run and output.format != "json" else added, ORGANISATION_ADDED_COLUMNS,
         output)
    if dry_run:
        say(_("gkh: dry run: the portal checked the organisation and stored nothing"))
    else:
        say(_("gkh: organisation {id} ({name})").format(id=added.get("id"), name=added.get("short_name")))


# --- users ---------------------------------------------------------------------------------------------------------


@user_app.command("list")
@output_options
def user_list(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """The portal's users, by login: their role, organisation, and whether they are disabled or have yet to set
    a password of their own."""
    show(runtime().client.admin_users(), USER_COLUMNS, output)


def _print_one_time_password(password: str) -> None:
    """The one-time password alone on stdout: the command's only data."""
    from gkh.output import write_lines

    write_lines([password])


@user_app.command("add")
def user_add(
    login: str = typer.Option(..., "--login", metavar="LOGIN",
                              help="Their login: 3–64 of a-z, 0-9, dot, underscore and hyphen."),
    name: str = typer.Option(..., "--name", metavar="NAME", help="Their name, as others see it."),
    role: str = typer.Option(..., "--role", parser=_choice(ROLES), metavar="ROLE",
                             help="resident, staff, inspector or admin."),
    org: str = typer.Option(None, "--org", metavar="ORG",
                            help="Their organisation's ИНН or id (ORG-0007): staff and inspectors only, who need "
                                 "one."),
    email: str = typer.Option(None, "--email", metavar="EMAIL", help="Their e-mail address."),
    dry_run: DryRun = False,
) -> None:
    """Add a user. Their one-time password is printed on stdout, once: give it to them; they set their own at
    their first sign-in (gkh auth password)."""
    from gkh.client.errors import ServerError, Unreachable
    from gkh.commands.common import gkh_of_profile
    from gkh.errors import ExitCode, GkhError

    client = runtime().client
    with named_as_typed({**USER_FIELDS, "login": "--login"}):
        try:
            added = client.add_user(login, name, role, org=org, email=email, dry_run=dry_run)
        except (Unreachable, ServerError) as lost:
            if dry_run:
                raise
            # The portal may have added them and its answer, with the only copy of the password, been lost.
            raise GkhError(_("{error}; the user may have been added all the same: look with {list}, and if they "
                             "are there give them a new one-time password with {reset}").format(
                error=lost.message, list=f"{gkh_of_profile()} admin user list",
                reset=f"{gkh_of_profile()} admin user reset-password {login.strip().lower()}"),
                ExitCode.UNREACHABLE) from lost
    if dry_run:
        say(_("gkh: dry run: the portal checked the user and stored nothing"))
        return
    _print_one_time_password(added["one_time_password"])
    user = added.get("user") or {}
    say(_("gkh: user {login} ({role}) added; their one-time password is above, shown this once: give it to them — "
          "they set their own at their first sign-in").format(login=user.get("login", login),
                                                               role=term(user.get("role", role))))


@user_app.command("disable")
def user_disable(login: str = LoginArg) -> None:
    """Disable a user: they can no longer sign in, and their sign-ins end at once. Enable undoes it."""
    with named_as_typed(USER_FIELDS):
        runtime().client.disable_user(login)
    say(_("gkh: user {login} disabled: they can no longer sign in").format(login=login))


@user_app.command("enable")
def user_enable(login: str = LoginArg) -> None:
    """Let a disabled user sign in again (with the password they had)."""
    with named_as_typed(USER_FIELDS):
        runtime().client.enable_user(login)
    say(_("gkh: user {login} enabled: they can sign in again").format(login=login))


@user_app.command("reset-password")
def user_reset_password(login: str = LoginArg) -> None:
    """Give a user who forgot their password a new one-time password, printed on stdout once; their sign-ins end
    and they set their own at the next one."""
    with named_as_typed(USER_FIELDS):
        answer = runtime().client.reset_user_password(login)
    _print_one_time_password(answer["one_time_password"])
    say(_("gkh: a new one-time password for {login} is above, shown this once; their sign-ins ended").format(
        login=login))


# --- settings ------------------------------------------------------------------------------------------------------


@settings_app.command("list")
@output_options
def settings_list(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """Every setting of the portal: its value (empty: unset), its default and what it means."""
    show(runtime().client.admin_settings(), PORTAL_SETTING_COLUMNS, output)


def _said_setting(item: dict) -> str:
    value, default = item.get("value"), item.get("default")
    if value is None:
        return (_("{key} is unset: its default, {default}, holds") if default not in (None, "") else
                _("{key} is unset")).format(key=item.get("key"), default=default)
    return _("{key} = {value}").format(key=item.get("key"), value=value)


@settings_app.command("set")
def settings_set(
    key: str = typer.Argument(..., metavar="KEY", help="The setting (gkh admin settings list names them)."),
    value: str = typer.Argument(..., metavar="VALUE", help="Its new value."),
    dry_run: DryRun = False,
) -> None:
    """Set one of the portal's settings: it is checked first (a refused value changes nothing); setting SMTP
    checks the mail server answers."""
    with named_as_typed(SETTING_FIELDS):
        item = runtime().client.set_admin_setting(key, value, dry_run=dry_run)
    said = _said_setting(item)
    say(_("gkh: dry run: {setting} would hold; nothing was stored").format(setting=said) if dry_run else
        _("gkh: {setting}").format(setting=said))


@settings_app.command("unset")
def settings_unset(
    key: str = typer.Argument(..., metavar="KEY", help="The setting (gkh admin settings list names them)."),
) -> None:
    """Put one of the portal's settings back to its default."""
    with named_as_typed(SETTING_FIELDS):
        item = runtime().client.set_admin_setting(key, None)
    say(_("gkh: {setting}").format(setting=_said_setting(item)))


# --- houses --------------------------------------------------------------------------------------------------------


@house_app.command("import")
@output_options
def house_import(
    file: str = FileArgument,
    template: bool = TemplateOption,
    encoding: str = EncodingOption,
    delimiter: str = DelimiterOption,
    rejects: str = RejectsOption,
    batch_size: int = BatchSizeOption,
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Create or update the portal's houses from a CSV file (admins): FIAS GUID, address, town, OKTMO, region,
    time zone, reading window, managing organisation (its ИНН) and the passport. Columns by their English or
    Russian names; Windows-1251 or UTF-8; commas, semicolons or tabs. Safe to re-run: a house already as the file
    says is "unchanged", and an empty cell keeps what the portal has.

    Rejected rows are listed on stderr (line N: field: reason) and written to --rejects as they were; the others
    go in. Exit 0 all rows in, 3 some rejected, 2 a file or header that cannot be read (nothing sent), 1 another
    import running for this profile, 4 not an admin, and the usual codes for the portal's answers.
    """
    from gkh.commands.batchfile import houses_kind, import_command

    import_command(houses_kind, file, template, encoding=encoding, delimiter=delimiter, dry_run=dry_run,
                   rejects=rejects, batch_size=batch_size, output=output)


# --- bills ---------------------------------------------------------------------------------------------------------


@bill_app.command("import")
@output_options
def bill_import(
    file: str = FileArgument,
    template: bool = TemplateOption,
    encoding: str = EncodingOption,
    delimiter: str = DelimiterOption,
    rejects: str = RejectsOption,
    batch_size: int = BatchSizeOption,
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Create or update bills (ЕПД) from the organisation's accounting (1C), a line of a bill a row: account (ЕЛС
    or the organisation's number), period, service, tariff zone, volume, unit, tariff, amount, due date. Admins
    may, for any account (by ЕЛС), and staff, for their organisation's accounts. Columns by their English or
    Russian names; Windows-1251 or UTF-8; commas, semicolons or tabs; decimal commas. An empty amount is volume ×
    tariff, an empty due date the 10th of the next month. Safe to re-run: a line already as the file says is
    "unchanged"; a bill with anything paid is not changed (put a correction in a later period's bill).

    Rejected rows are listed on stderr (line N: field: reason) and written to --rejects as they were; the others
    go in. Exit 0 all rows in, 3 some rejected, 2 a file or header that cannot be read (nothing sent), 1 another
    import running for this profile, 4 neither an admin nor staff, and the usual codes for the portal's answers.
    """
    from gkh.commands.batchfile import bills_kind, import_command

    import_command(bills_kind, file, template, encoding=encoding, delimiter=delimiter, dry_run=dry_run,
                   rejects=rejects, batch_size=batch_size, output=output)


# --- periods -------------------------------------------------------------------------------------------------------

HouseOption = typer.Option(..., "--house", metavar="HOUSE",
                           help="A FIAS GUID, or an address that matches exactly one house.")


@period_app.command("close")
@output_options
def period_close(
    period: str = typer.Argument(..., metavar="PERIOD", help="The month: 2026-11 or 11.2026."),
    house: str = HouseOption,
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Close a house's period: its readings become final, and a reading of that month is refused from then on,
    even while the house's reading window is open. Admins close any house's; staff those of the houses their
    organisation serves. A month not yet begun in the house's time zone is refused; closing again changes
    nothing."""
    from gkh.commands.house import resolve_house
    from gkh.domain.dates import parse_period

    with named_as_typed(PERIOD_FIELDS):
        month = parse_period(period)
        client = runtime().client
        closed = client.close_period(resolve_house(client, house, "--house"), month, dry_run=dry_run)
    show({**closed, "dry_run": True} if dry_run and output.format != "json" else closed, PERIOD_CLOSED_COLUMNS,
         output)
    address = (closed.get("house") or {}).get("address") or house
    if dry_run:
        say(_("gkh: dry run: the portal checked the period and stored nothing"))
    elif closed.get("status") == "unchanged":
        say(_("gkh: {period} of {house} was closed already; nothing changed").format(period=month, house=address))
    else:
        say(_("gkh: {period} of {house} closed: its readings are final").format(period=month, house=address))


@period_app.command("list")
@output_options
def period_list(
    house: str = HouseOption,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """The closed periods of a house, newest first (admins any house; staff the houses their organisation
    serves)."""
    from gkh.commands.house import resolve_house

    with named_as_typed(PERIOD_FIELDS):
        client = runtime().client
        items = client.closed_periods(resolve_house(client, house, "--house"))
    show(items, CLOSED_PERIOD_COLUMNS, output, empty=_("gkh: no period of this house is closed"))


# --- owners --------------------------------------------------------------------------------------------------------


@owner_app.command("import")
@output_options
def owner_import(
    file: str = FileArgument,
    template: bool = TemplateOption,
    encoding: str = EncodingOption,
    delimiter: str = DelimiterOption,
    rejects: str = RejectsOption,
    batch_size: int = BatchSizeOption,
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Create or update the houses' owner registers from a CSV file (admins, any house; a managing organisation's
    staff, the houses it manages): house (FIAS GUID or address), flat, its area (for a flat the portal lacks), the
    owner's name, their share (1/2, 0,5; empty: 1), the registration of the right and the login of the resident
    who is this owner (they may then vote at the house's meetings). Columns by their English or Russian names;
    Windows-1251 or UTF-8; commas, semicolons or tabs. Safe to re-run: an owner is matched by flat and name (case
    and ё aside), and one already as the file says is "unchanged"; an empty document or login keeps what the
    portal has. A row that would give a flat's owners more than the whole of it is rejected.

    Rejected rows are listed on stderr (line N: field: reason) and written to --rejects as they were; the others
    go in. Exit 0 all rows in, 3 some rejected, 2 a file or header that cannot be read (nothing sent), 1 another
    import running for this profile, 4 neither an admin nor a managing organisation's staff, and the usual codes
    for the portal's answers.
    """
    from gkh.commands.batchfile import import_command, owners_kind

    import_command(owners_kind, file, template, encoding=encoding, delimiter=delimiter, dry_run=dry_run,
                   rejects=rejects, batch_size=batch_size, output=output)


@owner_app.command("list")
@output_options
def owner_list(
    house: str = HouseOption,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """A house's owner register, by flat and owner's name (admins any house; a managing organisation's staff the
    houses it manages)."""
    from gkh.commands.house import resolve_house

    with named_as_typed({"house": "--house"}):
        client = runtime().client
        items = client.owners(resolve_house(client, house, "--house"))
    show(items, OWNER_COLUMNS, output, empty=_("gkh: the owner register of this house is empty"))
