"""gkh meeting: owners' general meetings by electronic vote — a notice's template, filing it with its PDF, the
meetings one may see, the inspectorate's review, votes, and the results.

The notice (meeting.toml) is checked here first, whole (domain.meetings.check_notice), and its PDF by content
(domain.files.check_file), so a bad file costs no request and every problem is listed at once; the portal checks
everything again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from gkh.commands.common import (
    DEFAULT_OUTPUT,
    DryRun,
    Limit,
    OutputChoice,
    gkh_of_profile,
    named_as_typed,
    output_options,
    runtime,
    say,
    show,
)
from gkh.i18n import N_, _
from gkh.output import Column, Columns

app = typer.Typer(help="Owners' general meetings by electronic vote: file a notice, review it, vote, see results.",
                  no_args_is_help=True)

STATUSES = ("under_review", "published", "voting", "closed", "rejected", "expired")  # domain.meetings.STATUSES
# The answers a vote takes, in either language and any case: each with the API's word.
ANSWERS = {"for": "for", "against": "against", "abstain": "abstain",
           "за": "for", "против": "against", "воздержался": "abstain", "воздержалась": "abstain"}

INITIATOR_COLUMNS = Columns(
    Column("name", "Name", shown=True),
    Column("flat", "Flat", shown=True, kind="id"),
)
QUESTION_COLUMNS = Columns(
    Column("number", "No.", shown=True, kind="number"),
    Column("text", "Question", shown=True),
    Column("two_thirds", "Two thirds", shown=True),
)
# A meeting (the README's "Columns" table): csv/tsv/excel write them all, in this order. A terminal's table shows
# the id, the address, the kind, the status and the voting dates.
MEETING_COLUMNS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("house.guid", "House GUID", kind="id"),
    Column("house.address", "Address", shown=True, kind="address"),
    Column("kind", "Kind", shown=True, kind="term"),
    Column("form", "Form", kind="term"),
    Column("status", "Status", shown=True, kind="term"),
    Column("filed_by", "Filed by"),
    Column("filed_at", "Filed at", kind="date"),
    Column("review_due", "Review due", kind="date"),
    Column("earliest_start", "Earliest start", kind="date"),
    Column("voting_start", "Voting from", shown=True, kind="date"),
    Column("voting_end", "Voting to", shown=True, kind="date"),
    Column("materials", "Materials"),
    Column("administrator.kind", "Administrator kind", kind="term"),
    Column("administrator.name", "Administrator"),
    Column("administrator.address", "Administrator's address", kind="address"),
    Column("administrator.phone", "Administrator's phone", kind="id"),
    Column("administrator.email", "Administrator's e-mail"),
    Column("initiators", "Initiators", items=INITIATOR_COLUMNS),
    Column("agenda", "Agenda", items=QUESTION_COLUMNS),
    Column("notice.name", "Notice"),
    Column("notice.size", "Notice size", kind="number"),
    Column("rejection_reason", "Rejection reason"),
)
# What filing answers: the meeting, and whether it was a dry run (the meeting as it would be, its id empty).
FILED_COLUMNS = Columns(MEETING_COLUMNS, Column("dry_run", "Dry run"))
ANSWER_COLUMNS = Columns(
    Column("number", "Question", shown=True, kind="number"),
    Column("choice", "Answer", shown=True, kind="term"),
)
# What a vote answers: all my current answers (a list here; the JSON keeps the API's object by question number),
# the area they weigh, when. dry_run says whether it was one.
VOTE_COLUMNS = Columns(
    Column("meeting", "Meeting", shown=True, kind="id"),
    Column("votes", "Answers", shown=True, items=ANSWER_COLUMNS),
    Column("area", "Area, m²", shown=True, kind="number"),
    Column("voted_at", "Voted at", shown=True, kind="date"),
    Column("dry_run", "Dry run"),
)
# The results, one row per question: areas in m², shares in percent of `of` (all: the register's whole area, for
# a two-thirds question; voted: the area that took part).
RESULT_COLUMNS = Columns(
    Column("number", "No.", shown=True, kind="number"),
    Column("text", "Question"),
    Column("two_thirds", "Two thirds"),
    Column("of", "Shares of", kind="term"),
    Column("for.area", "For, m²", shown=True, kind="number"),
    Column("for.share", "For, %", shown=True, kind="number"),
    Column("against.area", "Against, m²", shown=True, kind="number"),
    Column("against.share", "Against, %", shown=True, kind="number"),
    Column("abstain.area", "Abstain, m²", shown=True, kind="number"),
    Column("abstain.share", "Abstain, %", shown=True, kind="number"),
    Column("adopted", "Adopted", shown=True),
)

MeetingArg = typer.Argument(..., help="The meeting's id (MT-000001).")
# The API's fields as the command line names them.
FILE_FIELDS = {"notice": "--notice", "file": "--notice", "X-File-Name": "--notice", "dry_run": "--dry-run"}


def status_choice(text: str) -> str:
    """--status's parser: a meeting's status."""
    if text not in STATUSES:
        raise typer.BadParameter(_("{text} is not one of {choices}").format(text=repr(text),
                                                                           choices=", ".join(STATUSES)))
    return text


def meeting_id(text: str, field: str = "meeting") -> str:
    """A meeting's id as typed (mt-1, MT-000001, Cyrillic МТ) in its one spelling, MT-000001; a usage error else."""
    from gkh.domain.errors import InvalidInput
    from gkh.domain.identifiers import portal_number, quoted

    number = portal_number(text, "MT")
    if number is None:
        raise InvalidInput(_("{field} must be a meeting's id such as MT-000001; got {got}").format(
            field=field, got=quoted(text)), field)
    return f"MT-{number:06d}"


# --- the template ------------------------------------------------------------------------------------------------

_COMMENT_AT = 30  # the column the template's comments start at


def template_text(today) -> str:
    """meeting.toml's template: keys in English, comments in the reader's language; the voting dates the earliest
    a notice filed `today` allows, 14 days long. It parses; once its empty values are filled in it passes
    check_notice."""
    from datetime import timedelta

    from gkh.domain.meetings import MAX_QUESTION_CHARS, REVIEW_WORKING_DAYS, earliest_start
    from gkh.i18n import human_date

    start = earliest_start(today)
    end = start + timedelta(days=13)

    def line(setting: str, comment: str | None = None) -> str:
        return f"{setting:<{_COMMENT_AT - 1}} # {comment}" if comment else setting

    def comment(text: str) -> str:
        return f"# {text}"

    lines = [
        comment(_("An owners' general meeting by electronic vote: its notice. Fill in every empty value, then run:")),
        comment("  gkh meeting file meeting.toml --notice notice.pdf"),
        comment(_("Dates: TOML dates (2026-12-14) or text (\"14.12.2026\").")),
        comment(_("The housing inspectorate reviews a notice within {days} working days; the vote may start the day "
               "after,").format(days=REVIEW_WORKING_DAYS)),
        comment(_("and no sooner than 10 days after filing: for a notice filed today, on {earliest}.").format(
            earliest=human_date(start))),
        "",
        line("[meeting]", _("general information")),
        line('house = ""', _("the house: its FIAS GUID, or an address of one house (\"ленина 5\")")),
        line('kind = "extraordinary"', _("annual or extraordinary")),
        line('form = "electronic_vote"', _("the form: an electronic vote (the only one)")),
        line(f"voting_start = {start.isoformat()}", _("the vote's first day")),
        line(f"voting_end = {end.isoformat()}", _("its last day: the vote lasts 7 to 60 days, both counted")),
        line('materials = ""', _("where the meeting's materials can be seen")),
        "",
        line("[administrator]", _("who runs the vote: a person or an organisation")),
        line('kind = "person"', _("person or organisation")),
        line('name = ""', _("full name, or the organisation's name")),
        line('address = ""', _("postal address")),
        line('phone = ""', _("e.g. +7 495 123-45-67")),
        line('email = ""', _("e.g. name@example.org")),
        "",
        line("[[initiators]]", _("an owner calling the meeting; repeat the table for each")),
        line('name = ""', _("full name")),
        line('flat = ""', _("the flat's number (may stay empty)")),
        "",
        line("[[agenda]]", _("a question, numbered in this order; repeat the table for each")),
        line('text = ""', _("at most {limit} characters").format(limit=MAX_QUESTION_CHARS)),
        line("two_thirds = false", _("true: adopted only by two thirds of all owners' votes")),
    ]
    return "\n".join(lines) + "\n"


@app.command()
def template() -> None:
    """Print a commented template of a meeting's notice (meeting.toml): gkh meeting template > meeting.toml."""
    sys.stdout.write(template_text(runtime().now.date()))  # today as the portal's clock (GKH_NOW) reads it
    sys.stdout.flush()


# --- filing ---------------------------------------------------------------------------------------------------------


def read_notice(path: Path) -> dict[str, Any]:
    """meeting.toml as a mapping; a file that cannot be read or is not TOML is one line naming it (exit 2)."""
    import re
    import tomllib

    from gkh.errors import ExitCode, GkhError

    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise GkhError(_("cannot read {path}: {reason}").format(path=path, reason=error.strerror or error),
                       ExitCode.USAGE) from None
    except UnicodeDecodeError as error:
        raise GkhError(_("{path} is not UTF-8 text (byte {offset})").format(path=path, offset=error.start + 1),
                       ExitCode.USAGE) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        said = str(error)
        if found := re.search(r"\s*\(at line (\d+), column (\d+)\)$", said):
            raise GkhError(_("{path}, line {line}, column {column}: {reason} (not TOML)").format(
                path=path, line=found.group(1), column=found.group(2), reason=said[:found.start()]),
                ExitCode.USAGE) from None
        raise GkhError(_("{path}: {reason} (not TOML)").format(path=path, reason=said), ExitCode.USAGE) from None


def notice_body(notice) -> dict[str, Any]:
    """The API's body of a checked notice (domain.meetings.Notice): its parts, dates as ISO text."""
    general = {"house": notice.house, "kind": notice.kind, "form": notice.form,
               "voting_start": notice.voting_start.isoformat(), "voting_end": notice.voting_end.isoformat(),
               "materials": notice.materials}
    administrator = notice.administrator
    return {
        "meeting": general,
        "administrator": {"kind": administrator.kind, "name": administrator.name, "address": administrator.address,
                          "phone": administrator.phone, "email": administrator.email},
        "initiators": [{"name": i.name, **({"flat": i.flat} if i.flat else {})} for i in notice.initiators],
        "agenda": [{"text": q.text, "two_thirds": q.two_thirds} for q in notice.agenda],
    }


def list_problems(path: Path, problems: dict) -> None:
    """An incomplete notice: one line saying so, then each problem on a line of its own; exit 2."""
    from gkh.errors import ExitCode
    from gkh.i18n import ngettext
    from gkh.output import message

    count = len(problems)
    message("gkh: " + ngettext("{path}: the notice has {count} problem:", "{path}: the notice has {count} problems:",
                               count).format(path=path, count=count))
    for field, reason in problems.items():
        message(f"  {field}: {reason}")
    raise typer.Exit(ExitCode.USAGE)


def check_pdf(path: Path) -> None:
    """The notice's PDF checked here, by content, before anything is sent (exit 2 naming --notice)."""
    from gkh.domain.errors import InvalidInput
    from gkh.domain.files import MAX_FILE_BYTES, check_file
    from gkh.domain.identifiers import quoted
    from gkh.errors import ExitCode, GkhError

    if path.is_dir():
        raise GkhError(_("--notice: {path} is a folder, not a file").format(path=path), ExitCode.USAGE)
    try:
        with open(path, "rb") as file:
            content = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise GkhError(_("--notice: cannot read {path}: {reason}").format(path=path, reason=error.strerror or error),
                       ExitCode.USAGE) from None
    name, kind = check_file(path.name, content, field="--notice")
    if kind.kind != "pdf":
        raise InvalidInput(_("--notice: {name} must be a PDF (the notice's electronic image)").format(
            name=quoted(name)), "--notice")


@app.command("file")
@output_options
def file_(
    notice_file: Path = typer.Argument(..., metavar="FILE", help="The notice: a meeting.toml (see: gkh meeting "
                                                                 "template)."),
    notice: Path = typer.Option(..., "--notice", metavar="PDF", help="The notice's electronic image: a PDF."),
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """File a meeting's notice with the housing inspectorate, as an owner of a flat in the house. Every problem of
    the file is listed at once (exit 2); a vote starting before the review allows is refused with the earliest
    date (exit 5); not an owner is exit 4. The meeting is then under review until the inspectorate decides."""
    from gkh.client.errors import InvalidRequest, ServerError, Unreachable
    from gkh.domain.errors import InvalidInput
    from gkh.domain.meetings import check_notice
    from gkh.errors import ExitCode, GkhError
    from gkh.output import is_terminal

    data = read_notice(notice_file)
    try:
        checked = check_notice(data)
    except InvalidInput as incomplete:
        if incomplete.code != "incomplete_notice" or not incomplete.details:
            raise
        list_problems(notice_file, incomplete.details)
    check_pdf(notice)
    client = runtime().client
    with named_as_typed(FILE_FIELDS):
        try:
            upload = client.upload_file(notice)
            try:
                meeting = client.file_meeting(notice_body(checked), upload["id"], dry_run=dry_run)
            except (Unreachable, ServerError) as lost:
                if dry_run:
                    raise
                # The portal may have filed it and its answer been lost: a second run would file it twice.
                look = f"{gkh_of_profile()} meeting list --status under_review"
                raise GkhError(_("{error}; the notice may have been filed all the same: look for it with {command} "
                                 "before filing it again").format(error=lost.message, command=look),
                               ExitCode.UNREACHABLE) from lost
        except InvalidRequest as refused:
            if refused.code == "incomplete_notice" and isinstance(refused.details, dict) and refused.details:
                list_problems(notice_file, refused.details)
            raise
    show(meeting, FILED_COLUMNS, output)
    if dry_run:
        say(_("gkh: dry run: the portal checked the notice and stored no meeting (it needed the PDF uploaded: "
              "unused, the upload is deleted within 24 hours)"))
    elif is_terminal(sys.stderr):
        from datetime import date

        from gkh.i18n import human_date

        say(_("gkh: filed {meeting}: the inspectorate reviews it by {due}; the vote may start from {earliest}").format(
            meeting=meeting.get("id"), due=human_date(date.fromisoformat(meeting["review_due"])),
            earliest=human_date(date.fromisoformat(meeting["earliest_start"]))))


# --- reading --------------------------------------------------------------------------------------------------------


@app.command("list")
@output_options
def list_(
    house: str = typer.Option(None, "--house", help="Only this house's meetings: a FIAS GUID, or an address that "
                              "matches exactly one house."),
    status: str = typer.Option(None, "--status", parser=status_choice, metavar="STATUS",
                               help="Only the meetings with this status: under_review, published, voting, closed, "
                                    "rejected or expired."),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """The meetings of my houses (staff: the organisation's; inspectors: the inspectorate's), newest first."""
    from gkh.commands.house import resolve_house

    client = runtime().client
    guid = resolve_house(client, house, field="--house") if house is not None else None
    with named_as_typed({"house": "--house", "status": "--status", "limit": "--limit"}):
        meetings = client.meetings(house=guid, status=status, limit=limit)
    show(meetings, MEETING_COLUMNS, output, empty=_("no meetings"))


@app.command("show")
@output_options
def show_(
    meeting: str = MeetingArg,
    notice: str = typer.Option(None, "--notice", metavar="FILE",
                               help="Also save the notice's PDF to FILE (a folder: under the name it was filed "
                                    "under)."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """One meeting read down: the house, the dates, the administrator, the initiators, the agenda, the status."""
    mid = meeting_id(meeting)
    client = runtime().client
    with named_as_typed({"id": "meeting"}):
        found = client.meeting(mid)
        if notice is not None:
            save_notice(client, mid, Path(notice).expanduser())
    show(found, MEETING_COLUMNS, output)


def save_notice(client, mid: str, target: Path) -> None:
    """Write the meeting's notice to `target` (a folder: under its name), whole or not at all."""
    import os
    import secrets

    from gkh.errors import ExitCode, GkhError

    content = client.meeting_notice(mid)
    path = target / (content.file_name or f"{mid}.pdf") if target.is_dir() else target
    temp = path.with_name(f".gkh-notice-{secrets.token_hex(6)}.part")
    try:
        temp.write_bytes(content.data)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise GkhError(_("cannot write {path}: {reason}").format(path=path, reason=error.strerror or error),
                       ExitCode.ERROR) from None
    say(_("gkh: the notice of {meeting} saved to {path}").format(meeting=mid, path=path))


# --- the review -----------------------------------------------------------------------------------------------------


@app.command()
@output_options
def review(
    meeting: str = MeetingArg,
    approve: bool = typer.Option(False, "--approve", help="Approve the notice: the meeting is published."),
    reject: str = typer.Option(None, "--reject", metavar="REASON",
                               help="Reject the notice, saying why (shown to the owner who filed it)."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """The housing inspectorate's decision on a notice under review (an inspector of the house's region only):
    --approve publishes the meeting, --reject REASON turns it down. Exit 4 for anyone else, 5 when the meeting is
    not under review (already decided, or expired)."""
    from gkh.errors import ExitCode, GkhError

    if approve == (reject is not None):
        raise GkhError(_("give either --approve or --reject REASON"), ExitCode.USAGE)
    if reject is not None and not reject.strip():
        raise GkhError(_("--reject needs a reason: what the owner should fix"), ExitCode.USAGE)
    mid = meeting_id(meeting)
    with named_as_typed({"id": "meeting", "reason": "--reject", "decision": "--approve"}):
        reviewed = runtime().client.review_meeting(mid, "approve" if approve else "reject",
                                                   reject.strip() if reject is not None else None)
    show(reviewed, MEETING_COLUMNS, output)
    say(_("gkh: {meeting} approved: published").format(meeting=mid) if approve else
        _("gkh: {meeting} rejected").format(meeting=mid))


# --- voting ---------------------------------------------------------------------------------------------------------


def parse_answers(pairs: list[str]) -> dict[int, str]:
    """`1=for 2=против 3=Abstain` → {1: "for", 2: "against", 3: "abstain"}; a malformed pair is a usage error
    naming it."""
    from gkh.domain.errors import InvalidInput
    from gkh.domain.identifiers import quoted

    answers: dict[int, str] = {}
    for pair in pairs:
        number, equals, choice = pair.partition("=")
        number, choice = number.strip(), choice.strip().lower().replace("ё", "е")
        if not equals or not (number.isascii() and number.isdigit()) or len(number) > 3 or int(number) < 1 \
                or choice not in ANSWERS:
            raise InvalidInput(_("{pair} is not an answer: give the question's number and for, against or abstain "
                                 "(за, против, воздержался), e.g. 1=for").format(pair=quoted(pair)), "answers")
        if int(number) in answers and answers[int(number)] != ANSWERS[choice]:
            raise InvalidInput(_("question {number} is answered twice, differently").format(number=int(number)),
                               "answers")
        answers[int(number)] = ANSWERS[choice]
    return answers


@app.command()
@output_options
def vote(
    meeting: str = MeetingArg,
    answers: list[str] = typer.Argument(..., metavar="N=ANSWER...",
                                        help="Each question's number and answer: for, against or abstain (за, "
                                             "против, воздержался), e.g. 1=for 2=against."),
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Vote while the meeting is voting, as an owner in the house's register; a later answer to a question
    replaces the earlier one until the vote ends. Exit 4 when not an owner, 5 outside the voting time."""
    mid = meeting_id(meeting)
    given = parse_answers(answers)
    with named_as_typed({"id": "meeting", "votes": "answers", "dry_run": "--dry-run"}):
        answered = runtime().client.vote(mid, given, dry_run=dry_run)
    if output.format == "json":
        show(answered, VOTE_COLUMNS, output)
    else:
        votes = answered.get("votes") or {}
        listed = [{"number": int(n) if str(n).isdigit() else n, "choice": c}
                  for n, c in sorted(votes.items(), key=lambda item: int(item[0]) if str(item[0]).isdigit() else 0)]
        show({**answered, "votes": listed, "dry_run": True if dry_run else None}, VOTE_COLUMNS, output)
    if dry_run:
        say(_("gkh: dry run: the portal checked the vote and stored nothing"))


# --- results --------------------------------------------------------------------------------------------------------


@app.command()
@output_options
def results(
    meeting: str = MeetingArg,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """The results, from the vote's start: each question's for, against and abstain as areas (m²) and shares (%),
    and whether it is adopted; the turnout and quorum on stderr. Final once the meeting is closed."""
    mid = meeting_id(meeting)
    with named_as_typed({"id": "meeting"}):
        found = runtime().client.meeting_results(mid)
    if output.format == "json":
        show(found, RESULT_COLUMNS, output)
        return
    questions = found.get("questions") or []
    show(questions, RESULT_COLUMNS, output)
    say(quorum_line(found))
    if whole := [str(q.get("number")) for q in questions if q.get("of") == "all"]:
        from gkh.i18n import ngettext

        say(ngettext("gkh: question {numbers} needs two thirds of all owners' area: its shares are of the whole "
                     "area, the others' of the area that voted",
                     "gkh: questions {numbers} need two thirds of all owners' area: their shares are of the whole "
                     "area, the others' of the area that voted", len(whole)).format(numbers=", ".join(whole)))


def quorum_line(found: dict) -> str:
    """The results' first question for people: how much of the house voted, whether that is a quorum, how final."""
    from gkh.i18n import term

    quorum = _(QUORUM_MET) if found.get("quorum") else _(NO_QUORUM)
    final = _(FINAL) if found.get("final") else _(INTERIM).format(status=term(str(found.get("status"))))
    return _("gkh: {meeting}: {voted} of {total} m² voted, a turnout of {turnout} %: {quorum}; {final}").format(
        meeting=found.get("meeting"), voted=found.get("voted_area"), total=found.get("total_area"),
        turnout=found.get("turnout"), quorum=quorum, final=final)


QUORUM_MET = N_("quorum met (more than 50 %)")
NO_QUORUM = N_("no quorum (more than 50 % is needed): nothing is adopted")
FINAL = N_("the results are final")
INTERIM = N_("interim results: the meeting is {status}")
