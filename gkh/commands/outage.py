"""gkh outage: house notifications of outages — hot or cold water, electricity, gas or heating off for a while.
Residents read those of their houses; the staff of an organisation post, change and cancel them for the houses
it serves.

`--new` lists only what this profile has not listed with `--new` before on this portal: what was reported (each
notice's id and version) is kept in the state folder (`outages-seen.json`), read, filtered, printed and recorded
under one file lock, so two runs at once report each notice once; a notice changed since (its version higher) is
new again. A cron job mails what `gkh outage list --new -o json` prints when it is not empty (README, "Outages")."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import typer

from gkh.commands.common import (
    DEFAULT_OUTPUT,
    DryRun,
    Limit,
    OutputChoice,
    Yes,
    gkh_of_profile,
    named_as_typed,
    output_options,
    runtime,
    say,
    show,
)
from gkh.i18n import _
from gkh.output import Column, Columns

if TYPE_CHECKING:
    from gkh.client.api import Client

app = typer.Typer(help="Outages in a house: hot or cold water, electricity, gas or heating off for a while — list "
                       "them (only the new ones, for a cron job), read one; staff post, change and cancel them.",
                  no_args_is_help=True)

RESOURCES = ("hot_water", "cold_water", "electricity", "gas", "heating")
MAX_TEXT_CHARS = 5_000  # the official notification's limits
MAX_TOPIC_CHARS = 200
SEEN_FILE = "outages-seen.json"

# A notice (the README's "Columns" table): csv/tsv/excel write them all, in this order, the instants as the
# portal sends them (UTC). A terminal's table shows the id, the resource, the status and the start and end in the
# house's own time, within 80 columns (--wide adds the address and the rest).
OUTAGE_COLUMNS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("house.guid", "House GUID", kind="id"),
    Column("house.address", "Address", kind="address"),
    Column("resource", "Resource", shown=True, kind="term"),
    Column("status", "Status", shown=True, kind="term"),
    Column("start", "Starts", shown=True, kind="date"),
    Column("end", "Ends", shown=True, kind="date"),
    Column("topic", "Topic"),
    Column("text", "Text"),
    Column("important", "Important"),
    Column("posted_by", "Posted by"),
    Column("updated_at", "Updated at", kind="date"),
    Column("version", "Version", kind="number"),
)
# What posting and changing answer: the notice, and whether it was a dry run (the notice as it would be).
POSTED_COLUMNS = Columns(OUTAGE_COLUMNS, Column("dry_run", "Dry run"))

OutageArg = typer.Argument(..., help="The notice's id (OT-000001).")
# The API's fields as the command line names them.
FIELDS = {"house": "--house", "resource": "--resource", "start": "--from", "end": "--to", "text": "--text",
          "topic": "--topic", "important": "--important", "status": "--active/--upcoming", "limit": "--limit",
          "id": "outage", "dry_run": "--dry-run"}

_WHEN = re.compile(r"(?:(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})|(?P<iso>\d{4}-\d{2}-\d{2}))"
                   r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2}))?")


def resource_choice(text: str) -> str:
    """--resource's parser: hot-water or hot_water, in any case."""
    resource = text.strip().lower().replace("-", "_")
    if resource not in RESOURCES:
        raise typer.BadParameter(_("{text} is not one of {choices}").format(
            text=repr(text), choices=", ".join(r.replace("_", "-") for r in RESOURCES)))
    return resource


def when_choice(text: str) -> str:
    """--from's and --to's parser: DD.MM.YYYY or YYYY-MM-DD, optionally with HH:MM (the house's own time), as
    the portal takes it: YYYY-MM-DD, or YYYY-MM-DDTHH:MM."""
    found = _WHEN.fullmatch(text.strip())
    bad = typer.BadParameter(_("{text} is not a date such as 01.12.2026 or 2026-12-01, optionally with a time "
                               "such as 09:00").format(text=repr(text)))
    if not found:
        raise bad
    try:
        day = (date.fromisoformat(found["iso"]) if found["iso"] else
               date(int(found["year"]), int(found["month"]), int(found["day"])))
    except ValueError:
        raise bad from None
    if found["hour"] is None:
        return day.isoformat()
    hour, minute = int(found["hour"]), int(found["minute"])
    if hour > 23 or minute > 59:
        raise bad
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def local_moment(when: str, *, end: bool) -> datetime:
    """A WHEN as the moment it names in the house's time, naive: a date's start, or for an end the end of it."""
    if "T" in when:
        return datetime.fromisoformat(when)
    day = datetime.fromisoformat(when)
    return day + timedelta(days=1) if end else day


def outage_id(text: str, field: str = "outage") -> str:
    """A notice's id as typed (ot-1, OT-000001, Cyrillic ОТ) in its one spelling, OT-000001; a usage error else."""
    from gkh.domain.errors import InvalidInput
    from gkh.domain.identifiers import portal_number, quoted

    number = portal_number(text, "OT")
    if number is None:
        raise InvalidInput(_("{field} must be an outage's id such as OT-000001; got {got}").format(
            field=field, got=quoted(text)), field)
    return f"OT-{number:06d}"


def checked_text(text: str) -> str:
    from gkh.errors import ExitCode, GkhError

    text = text.strip()
    if not 1 <= len(text) <= MAX_TEXT_CHARS:
        raise GkhError(_("--text: 1 to {limit} characters; got {count}").format(limit=MAX_TEXT_CHARS,
                                                                                count=len(text)), ExitCode.USAGE)
    return text


def checked_topic(topic: str) -> str:
    from gkh.errors import ExitCode, GkhError

    topic = topic.strip()
    if not 1 <= len(topic) <= MAX_TOPIC_CHARS:
        raise GkhError(_("--topic: 1 to {limit} characters; got {count}").format(limit=MAX_TOPIC_CHARS,
                                                                                 count=len(topic)), ExitCode.USAGE)
    return topic


def check_order(start: str | None, end: str | None) -> None:
    """Both given: the start before the end, said before any request (exit 2)."""
    from gkh.errors import ExitCode, GkhError

    if start is not None and end is not None and local_moment(start, end=False) >= local_moment(end, end=True):
        raise GkhError(_("--to: the outage must end after it starts ({start} … {end})").format(start=start, end=end),
                       ExitCode.USAGE)


# --- what people read: the start and end in the house's own time ------------------------------------------------


def for_people(output: OutputChoice) -> bool:
    """Whether the output is read by people (a table, or a record read down), not a machine's format."""
    from gkh.output import is_terminal

    return output.format in ("table", "wide") or (output.format is None and is_terminal(sys.stdout))


def house_time(value: object, zone: Any) -> object:
    """An instant the portal sent as the house's wall-clock time (2026-12-01 09:00; 01.12.2026 09:00 in Russian)."""
    from gkh import i18n

    if not isinstance(value, str) or zone is None:
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
    except ValueError:
        return value
    return f"{i18n.human_date(moment)} {moment.strftime('%H:%M')}"


def zone_of(name: object) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name)) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def in_house_time(items: list[dict], zones: Callable[[str], Any]) -> list[dict]:
    """The notices with their start and end as each house's wall-clock time (`zones`: a house's GUID → its zone)."""
    shown = []
    for item in items:
        zone = zones(str((item.get("house") or {}).get("guid") or ""))
        shown.append({**item, "start": house_time(item.get("start"), zone), "end": house_time(item.get("end"), zone)})
    return shown


def house_zones(client: Client) -> Callable[[str], Any]:
    """A house's time zone by its GUID, from its passport, each house asked once (None when it cannot be told)."""
    from gkh.client.errors import PortalError

    known: dict[str, Any] = {}

    def zone(guid: str) -> Any:
        if guid not in known:
            try:
                known[guid] = zone_of(client.house(guid).get("timezone")) if guid else None
            except PortalError:
                known[guid] = None
        return known[guid]

    return zone


def show_outages(client: Client, found: Any, columns: Columns, output: OutputChoice, *,
                 empty: str | None = None) -> None:
    """Notices (a list, or one) as the output asks; for people, their times in each house's zone."""
    if for_people(output):
        zones = house_zones(client)
        found = in_house_time(found, zones) if isinstance(found, list) else in_house_time([found], zones)[0]
    show(found, columns, output, empty=empty)


# --- what --new has reported ---------------------------------------------------------------------------------------


class SeenOutages:
    """The notices `outage list --new` has reported, by profile and portal: id → the version reported (its
    updated_at when the portal sends no version). Kept in the state folder (0600, written whole), read and
    written under a file lock held while the portal is asked and the new ones printed: two runs at once report
    each notice once."""

    def __init__(self, profile: str, portal: str):
        from gkh.paths import state_home

        self.path = state_home() / SEEN_FILE
        self.key = json.dumps([profile, portal], ensure_ascii=False)

    @staticmethod
    def mark(item: dict) -> object:
        version = item.get("version")
        return version if isinstance(version, int) and not isinstance(version, bool) else item.get("updated_at")

    def report_new(self, fetch: Callable[[], list[dict]], report: Callable[[list[dict]], list[dict]], *,
                   complete: bool) -> None:
        """Under the lock: fetch the notices, report those not reported before (or changed since), and record
        what `report` says it printed. `complete`: the fetch was every notice the profile sees, so those gone
        from the portal are forgotten."""
        from gkh.config._files import locked, write_state

        with locked(self.path):
            document = self._read()
            seen = document.get(self.key)
            seen = dict(seen) if isinstance(seen, dict) else {}
            found = fetch()
            new = [item for item in found if item.get("id") not in seen or seen[item["id"]] != self.mark(item)]
            reported = report(new)
            if complete:
                listed = {item.get("id") for item in found}
                seen = {key: value for key, value in seen.items() if key in listed}
            seen.update({str(item["id"]): self.mark(item) for item in reported if item.get("id")})
            document[self.key] = seen
            write_state(self.path, "seen", document)

    def _read(self) -> dict:
        from gkh.config._files import read_state

        return read_state(self.path, "seen")  # damaged: every notice is new once more


# --- reading -----------------------------------------------------------------------------------------------------


def newest_first(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: (str(item.get("start") or ""), str(item.get("id") or "")), reverse=True)


@app.command("list")
@output_options
def list_(
    house: str = typer.Option(None, "--house", metavar="HOUSE",
                              help="Only this house's notices: a FIAS GUID, or an address that matches exactly one "
                                   "house."),
    resource: str = typer.Option(None, "--resource", parser=resource_choice, metavar="RESOURCE",
                                 help="Only outages of hot-water, cold-water, electricity, gas or heating."),
    active: bool = typer.Option(False, "--active", help="Only those going on now (in the house's time)."),
    upcoming: bool = typer.Option(False, "--upcoming", help="Only those still to come (with --active: both)."),
    new: bool = typer.Option(False, "--new", help="Only those this profile has not listed with --new before, or "
                                                  "that changed since: for a cron job that mails them."),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """The outage notices of your houses (staff: of the houses the organisation serves), the latest start first;
    on a terminal, their times are each house's own."""
    from gkh.commands.house import resolve_house

    run = runtime()
    client = run.client
    guid = resolve_house(client, house, field="--house") if house is not None else None
    statuses = [status for status, asked in (("active", active), ("upcoming", upcoming)) if asked]

    def fetch(cap: int | None) -> list[dict]:
        with named_as_typed(FIELDS):
            if len(statuses) <= 1:
                return client.outages(house=guid, resource=resource, status=statuses[0] if statuses else None,
                                      limit=cap)
            both = [item for status in statuses for item in client.outages(house=guid, resource=resource,
                                                                            status=status)]
            return newest_first(both)[:cap] if cap is not None else newest_first(both)

    if not new:
        show_outages(client, fetch(limit), OUTAGE_COLUMNS, output, empty=_("no outages"))
        return

    def report(fresh: list[dict]) -> list[dict]:
        shown = fresh[:limit] if limit is not None else fresh
        show_outages(client, shown, OUTAGE_COLUMNS, output, empty=_("no new outages"))
        return shown

    SeenOutages(run.profile, client.portal_key).report_new(
        lambda: fetch(None), report, complete=guid is None and resource is None and not statuses)


@app.command("show")
@output_options
def show_(
    outage: str = OutageArg,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """One notice read down: the house, resource, status, start and end (in the house's time), topic and text."""
    oid = outage_id(outage)
    client = runtime().client
    with named_as_typed(FIELDS):
        found = client.outage(oid)
    show_outages(client, found, OUTAGE_COLUMNS, output)


# --- the staff post, change and cancel -----------------------------------------------------------------------------


@app.command()
@output_options
def post(
    house: str = typer.Option(..., "--house", metavar="HOUSE",
                              help="The house: a FIAS GUID, or an address of one house (\"ленина 5\")."),
    resource: str = typer.Option(..., "--resource", parser=resource_choice, metavar="RESOURCE",
                                 help="What is off: hot-water, cold-water, electricity, gas or heating."),
    start: str = typer.Option(..., "--from", parser=when_choice, metavar="WHEN",
                              help="From: 01.12.2026 (the day's start) or 2026-12-01, optionally with a time, "
                                   "\"01.12.2026 09:00\": the house's own time."),
    end: str = typer.Option(..., "--to", parser=when_choice, metavar="WHEN",
                            help="To: 14.12.2026 (to the day's end) or 2026-12-14, optionally with a time, "
                                 "\"14.12.2026 17:00\": the house's own time."),
    text: str = typer.Option(..., "--text", metavar="TEXT", help="The notice's text, up to 5 000 characters."),
    topic: str = typer.Option(None, "--topic", metavar="TOPIC",
                              help="Its title, up to 200 characters (default: one after the resource, "
                                   "«Отключение горячей воды»)."),
    important: bool = typer.Option(False, "--important", help="Mark it important (an emergency)."),
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Post an outage notice for a house your organisation serves, as its staff: every resident there sees it."""
    from gkh.client.errors import ServerError, Unreachable
    from gkh.commands.house import resolve_house
    from gkh.errors import ExitCode, GkhError

    body = checked_text(text)
    title = checked_topic(topic) if topic is not None else None
    check_order(start, end)
    client = runtime().client
    guid = resolve_house(client, house, field="--house")
    with named_as_typed(FIELDS):
        try:
            posted = client.post_outage(guid, resource, start, end, body, topic=title, important=important,
                                        dry_run=dry_run)
        except (Unreachable, ServerError) as lost:
            if dry_run:
                raise
            # The portal may have stored it and its answer been lost: a second run would post it twice.
            raise GkhError(_("{error}; the notice may have been posted all the same: look for it with {command} "
                             "before posting it again").format(
                error=lost.message, command=f'{gkh_of_profile()} outage list --house "{house}"'),
                ExitCode.UNREACHABLE) from lost
    show_outages(client, {**posted, "dry_run": True} if dry_run and output.format != "json" else posted,
                 POSTED_COLUMNS, output)
    if dry_run:
        say(_("gkh: dry run: the portal checked the notice and stored nothing"))
    else:
        say(_("gkh: posted {outage} for {address}").format(outage=posted.get("id"),
                                                           address=(posted.get("house") or {}).get("address")))


@app.command()
@output_options
def change(
    outage: str = OutageArg,
    start: str = typer.Option(None, "--from", parser=when_choice, metavar="WHEN",
                              help="A new start, as post --from takes it."),
    end: str = typer.Option(None, "--to", parser=when_choice, metavar="WHEN", help="A new end, as post --to takes it."),
    text: str = typer.Option(None, "--text", metavar="TEXT", help="A new text, up to 5 000 characters."),
    topic: str = typer.Option(None, "--topic", metavar="TOPIC", help="A new title, up to 200 characters."),
    important: bool = typer.Option(None, "--important/--not-important", help="Mark it important, or not.",
                                   show_default=False),
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Change a notice your organisation posted (the dates, text, topic, importance): residents' `--new` lists it
    again. A cancelled one cannot change (exit 5)."""
    from gkh.errors import ExitCode, GkhError

    oid = outage_id(outage)
    if all(value is None for value in (start, end, text, topic, important)):
        raise GkhError(_("nothing to change: give --from, --to, --text, --topic or --important/--not-important"),
                       ExitCode.USAGE)
    body = checked_text(text) if text is not None else None
    title = checked_topic(topic) if topic is not None else None
    check_order(start, end)
    client = runtime().client
    with named_as_typed(FIELDS):
        changed = client.change_outage(oid, start=start, end=end, text=body, topic=title, important=important,
                                       dry_run=dry_run)
    show_outages(client, {**changed, "dry_run": True} if dry_run and output.format != "json" else changed,
                 POSTED_COLUMNS, output)
    say(_("gkh: dry run: the portal checked the change and stored nothing") if dry_run else
        _("gkh: {outage} changed").format(outage=oid))


@app.command()
@output_options
def cancel(
    outage: str = OutageArg,
    yes: Yes = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Cancel a notice your organisation posted: it stays listed, cancelled."""
    from gkh.commands.common import confirm

    oid = outage_id(outage)
    confirm(_("Cancel the outage notice {outage}? Residents see it cancelled.").format(outage=oid), yes)
    client = runtime().client
    with named_as_typed(FIELDS):
        done = client.cancel_outage(oid)
    show_outages(client, done, OUTAGE_COLUMNS, output)
    say(_("gkh: {outage} cancelled").format(outage=oid))
