"""gkh meter: meters of my accounts, submitting readings (by hand or from cron), their history."""

from __future__ import annotations

import sys

import typer

from gkh.commands.batchfile import BatchSizeOption, DelimiterOption, EncodingOption, RejectsOption
from gkh.commands.common import (
    DEFAULT_OUTPUT,
    DryRun,
    Limit,
    OutputChoice,
    named_as_typed,
    output_options,
    runtime,
    say,
    show,
    shown_argument,
    warn,
    whole_number,
)
from gkh.errors import ExitCode, GkhError
from gkh.i18n import N_, _, term
from gkh.output import Column, Columns

app = typer.Typer(help="Meters (ИПУ): list them, submit readings on time, see their history.",
                  no_args_is_help=True)

ZONES = ("T1", "T2", "T3")  # every meter's columns have all three tariff zones, empty where it has fewer


def _zones(path: str, headers: tuple[str, str, str], *, shown: bool) -> list[Column]:
    return [Column(f"{path}.{zone}", header, shown=shown, kind="number") for zone, header in zip(ZONES, headers)]


ZONE_HEADERS = (N_("T1"), N_("T2"), N_("T3"))


# A meter (the README's "Columns" table): csv/tsv/excel write them all, in this order.
METER_COLUMNS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("serial", "Serial", shown=True, kind="id"),
    Column("resource", "Resource", shown=True, kind="term"),
    Column("unit", "Unit", kind="term"),
    Column("zones", "Zones"),
    Column("account", "Account", kind="id"),
    Column("house.guid", "House GUID", kind="id"),
    Column("house.address", "Address", kind="address"),
    Column("last_reading.date", "Last read", shown=True, kind="date"),
    _zones("last_reading.values", ZONE_HEADERS, shown=True),
    Column("verification_due", "Verification due", kind="date"),
    Column("overdue", "Overdue"),
    Column("window.from", "Window from", kind="date"),
    Column("window.to", "Window to", kind="date"),
    Column("window.open", "Open", shown=True),
    Column("window.period", "Window's period", kind="id"),
    Column("window.from_day", "Window from day", kind="number"),
    Column("window.from_last_day", "Window from the last day"),
    Column("window.to_day", "Window to day", kind="number"),
    Column("window.to_last_day", "Window to the last day"),
    Column("window.to_next_month", "Window ends next month"),
)
# A reading, as history lists them.
READING_COLUMNS = Columns(
    Column("meter", "Meter", kind="id"),
    Column("period", "Period", shown=True, kind="id"),
    Column("date", "Date", shown=True, kind="date"),
    _zones("values", ZONE_HEADERS, shown=True),
    _zones("consumption", (N_("Used T1"), N_("Used T2"), N_("Used T3")), shown=True),
    Column("status", "Status", kind="term"),
    Column("warnings", "Warnings"),
    Column("submitted_by", "Submitted by"),
)
# What submit answers: the reading, and whether it was a dry run.
SUBMITTED_COLUMNS = Columns(READING_COLUMNS, Column("dry_run", "Dry run"))

MeterArg = typer.Argument(..., help="The meter's portal id (M-000123) or its serial number.")
# The API's fields as the command line names them (values is the VALUES argument).
SUBMIT_FIELDS = {"date": "--date", "rollover": "--rollover", "dry_run": "--dry-run"}
CHART_WIDTH = 40


@app.command("list")
@output_options
def list_(
    account: str = typer.Option(None, "--account", help="Only this account's meters (its ЕЛС)."),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Meters of my linked accounts, with their last reading and this month's submission window."""
    if account is not None:
        from gkh.domain.identifiers import normalize_els

        account = normalize_els(account, field="--account")
    with named_as_typed({"account": "--account", "limit": "--limit"}):
        meters = runtime().client.meters(account=account, limit=limit)
    show(meters, METER_COLUMNS, output, empty=_("no meters on your accounts"))


@app.command()
@output_options
def submit(
    meter: str = typer.Argument(None, help="The meter's portal id (M-000123) or its serial number."),
    values: list[str] = typer.Argument(None, help="One value per tariff zone, in order T1 T2 T3 (123.45 or 123,45)."),
    date: str = typer.Option(None, "--date", help="The day the reading was taken (DD.MM.YYYY, DD.MM.YY or "
                             "YYYY-MM-DD); default: today in the house's time zone."),
    rollover: bool = typer.Option(False, "--rollover", help="The meter passed its largest value and restarted."),
    file: str = typer.Option(None, "--file", metavar="FILE|-", help="Submit every reading of a CSV file (meter, "
                             "T1, T2, T3, date; - reads standard input) instead of one."),
    template: bool = typer.Option(False, "--template", help="Print a readings file's header row and an example "
                                  "line (UTF-8, commas), to fill in and submit with --file."),
    encoding: str = EncodingOption,
    delimiter: str = DelimiterOption,
    rejects: str = RejectsOption,
    batch_size: int = BatchSizeOption,
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Submit a meter reading (or with --file, all of a CSV file's). Safe to re-run from cron: the same value again
    is "unchanged", exit 0.

    Off a terminal it prints nothing on success unless -o/--json is given; warnings and errors go to
    stderr, each naming the meter. The exit code says what happened: 0 stored or unchanged; 1 no such
    meter of yours; 2 malformed (a value, not one value per tariff zone, more digits than the meter shows,
    --date); 4 not signed in, or not allowed; 5 refused by the portal's rules (outside the window, lower
    than the previous reading, a closed period, ...); 6 the portal unreachable after retries; 130
    interrupted.

    With --file: rejected rows listed on stderr (line N: field: reason) and written to --rejects as they were;
    the others go in. Exit 0 all rows in, 3 some rejected, 2 a file or header that cannot be read (nothing sent),
    1 another one running for this profile.
    """
    if file is not None or template:
        from gkh.commands.batchfile import readings_kind, run_batch, write_template

        if meter is not None or values or date is not None or rollover or (file is not None and template):
            raise GkhError(_("--file and --template take the meters, values and dates from the file: give no "
                             "METER, VALUES, --date or --rollover with them, nor both"), ExitCode.USAGE)
        if template:
            write_template(readings_kind())
            return
        run_batch(readings_kind(), file, encoding=encoding, delimiter=delimiter, dry_run=dry_run, rejects=rejects,
                  batch_size=batch_size, output=output)
        return
    if meter is None or not values:  # required without --file or --template, as the parser would say
        from typer._click.exceptions import MissingParameter
        from typer._click.globals import get_current_context

        ctx = get_current_context()
        missing = "meter" if meter is None else "values"
        raise MissingParameter(ctx=ctx, param=next(p for p in ctx.command.params if p.name == missing))
    from gkh.domain.dates import parse_person_date
    from gkh.domain.readings import canonical, parse_reading_value
    from gkh.output import is_terminal

    with named_as_typed(SUBMIT_FIELDS, about=_("meter {meter}").format(meter=shown_argument(meter))):
        # The format is checked here, so a typo costs no request; the portal checks everything again.
        typed = [canonical(parse_reading_value(v, field=f"value {i}")) for i, v in enumerate(values, start=1)]
        taken = parse_person_date(date, field="--date", short_year=True).isoformat() if date is not None else None
        result = runtime().client.submit_reading(meter, typed, date=taken, rollover=rollover, dry_run=dry_run)
    for warning in result.get("warnings", []):
        warn(f"{result['meter']} {warning}")
    if output.asked or is_terminal(sys.stdout):
        show(result, SUBMITTED_COLUMNS, output)
    if dry_run:
        say(_("gkh: dry run: the portal checked the reading and stored nothing"))


@app.command()
@output_options
def history(
    meter: str = MeterArg,
    months: int = typer.Option("12", "--months", parser=whole_number(1, 120), metavar="1…120",
                               help="How many months back."),
    chart: bool = typer.Option(False, "--chart", help="Draw monthly consumption as a bar chart."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Readings per period with the consumption since the one before, oldest first."""
    client = runtime().client
    with named_as_typed({"months": "--months"}):
        readings = client.meter_history(meter, months=months)
    if chart:
        from gkh.output import write_lines  # escaped: the periods and the unit come from the portal

        write_lines(consumption_chart(readings, client.meter(meter)["unit"]))
        return
    show(readings, READING_COLUMNS, output, empty=_("no readings in that time"))


def consumption_chart(readings: list[dict], unit: str, width: int = CHART_WIDTH) -> list[str]:
    """One bar per period: the consumption of all zones together, scaled to the largest month."""
    from decimal import Decimal

    totals = [(r["period"], sum((Decimal(v) for v in r["consumption"].values()), Decimal(0))
               if r["consumption"] else None) for r in readings]
    peak = max((t for _, t in totals if t), default=Decimal(0))
    lines = []
    for period, total in totals:
        if total is None:
            lines.append(f"{period}  {'':{width}}  —")
            continue
        bar = "█" * (round(total / peak * width) if peak else 0)
        lines.append(f"{period}  {bar:{width}}  {total} {term(unit)}")
    return lines
