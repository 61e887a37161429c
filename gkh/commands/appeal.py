"""gkh appeal: appeals and complaints — the portal's topics, the organisations that receive appeals, sending one
with its attachments, the appeals one may see, their files, withdrawing; the addressee's staff take and answer.

Everything that can be checked here is, before any request: exactly one topic and one text, the text UTF-8 and
of a length the portal takes, and every attachment by its name and content (domain.files.check_file) — every bad
one is listed at once (exit 2) and nothing is sent. Then the files are uploaded, then the appeal refers to them;
the portal checks everything again."""

from __future__ import annotations

import hashlib
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

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

app = typer.Typer(help="Appeals and complaints: send one with attachments to an organisation or authority, follow "
                       "it, download the answer; staff take and answer them.", no_args_is_help=True)

STATUSES = ("sent", "in_work", "answered", "withdrawn")
ADDRESSEE_TYPES = ("inspectorate", "managing", "supplier", "authority")
MAX_TEXT_CHARS = 10_000
MAX_TOPIC_CHARS = 250
MAX_ATTACHMENTS = 10
KEPT_FILE = "appeals.json"  # the sends and answers whose outcome is not known yet (gkh.commands.kept)

TOPIC_COLUMNS = Columns(
    Column("code", "Code", shown=True, kind="id"),
    Column("title", "Topic", shown=True),
)
# An organisation that receives appeals: its id or ИНН is what `appeal send --to` takes.
ADDRESSEE_COLUMNS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("name", "Name", shown=True),
    Column("short_name", "Short name"),
    Column("inn", "INN", shown=True, kind="id"),
    Column("type", "Type", shown=True, kind="term"),
    Column("address", "Address", kind="address"),
)
FILE_COLUMNS = Columns(
    Column("id", "ID", kind="id"),
    Column("name", "Name", shown=True),
    Column("size", "Size, bytes", shown=True, kind="number"),
    Column("type", "Type", kind="id"),
)
# An appeal (the README's "Columns" table): csv/tsv/excel write them all, in this order. A terminal's table shows
# the id, the address, the addressee, the status and the due date.
APPEAL_COLUMNS = Columns(
    Column("id", "ID", shown=True, kind="id"),
    Column("house.guid", "House GUID", kind="id"),
    Column("house.address", "Address", shown=True, kind="address"),
    Column("topic.code", "Topic code", kind="id"),
    Column("topic.title", "Topic"),
    Column("addressee.id", "Addressee ID", kind="id"),
    Column("addressee.name", "Addressee", shown=True),
    Column("addressee.inn", "Addressee's INN", kind="id"),
    Column("status", "Status", shown=True, kind="term"),
    Column("registered_at", "Registered", kind="date"),
    Column("due_date", "Answer due", shown=True, kind="date"),
    Column("text", "Text"),
    Column("attachments", "Attachments", items=FILE_COLUMNS),
    Column("answer.text", "Answer"),
    Column("answer.answered_at", "Answered at", kind="date"),
    Column("answer.attachments", "Answer's files", items=FILE_COLUMNS),
    Column("author", "Author"),
    Column("taken_at", "Taken at", kind="date"),
    Column("withdrawn_at", "Withdrawn at", kind="date"),
)
# What sending answers: the appeal, and whether it was a dry run (the appeal as it would be, its id empty).
SENT_COLUMNS = Columns(APPEAL_COLUMNS, Column("dry_run", "Dry run"))

AppealArg = typer.Argument(..., help="The appeal's id (A-000001).")
# The API's fields as the command line names them.
SEND_FIELDS = {"house": "--house", "topic": "--topic", "other_topic": "--other-topic", "to": "--to",
               "text": "--text", "attachments": "--attach", "file": "--attach", "X-File-Name": "--attach",
               "dry_run": "--dry-run", "id": "appeal"}


def status_choice(text: str) -> str:
    """--status's parser: an appeal's status."""
    if text not in STATUSES:
        raise typer.BadParameter(_("{text} is not one of {choices}").format(text=repr(text),
                                                                           choices=", ".join(STATUSES)))
    return text


def type_choice(text: str) -> str:
    """--type's parser: a kind of organisation that receives appeals."""
    if text not in ADDRESSEE_TYPES:
        raise typer.BadParameter(_("{text} is not one of {choices}").format(text=repr(text),
                                                                           choices=", ".join(ADDRESSEE_TYPES)))
    return text


def appeal_id(text: str, field: str = "appeal") -> str:
    """An appeal's id as typed (a-1, A-000001, Cyrillic А) in its one spelling, A-000001; a usage error else."""
    from gkh.domain.errors import InvalidInput
    from gkh.domain.identifiers import portal_number, quoted

    number = portal_number(text, "A")
    if number is None:
        raise InvalidInput(_("{field} must be an appeal's id such as A-000001; got {got}").format(
            field=field, got=quoted(text)), field)
    return f"A-{number:06d}"


# --- the text and the attachments, checked here ---------------------------------------------------------------


def read_text(text: str | None, text_file: str | None) -> str:
    """The appeal's (or answer's) text: --text, or --text-file (`-`: stdin), which must be UTF-8 (a BOM
    allowed). Exactly one of them; 1–10 000 characters. Every problem is one line (exit 2)."""
    from gkh.errors import ExitCode, GkhError

    if (text is None) == (text_file is None):
        raise GkhError(_("give either --text or --text-file (- for stdin)"), ExitCode.USAGE)
    if text_file is not None:
        source = _("stdin") if text_file == "-" else text_file
        try:
            data = sys.stdin.buffer.read() if text_file == "-" else Path(text_file).expanduser().read_bytes()
        except OSError as error:
            raise GkhError(_("--text-file: cannot read {path}: {reason}").format(
                path=source, reason=error.strerror or error), ExitCode.USAGE) from None
        text = decode_utf8(data, source)
    text = (text or "").strip()
    if not text:
        raise GkhError(_("the text is empty"), ExitCode.USAGE)
    if len(text) > MAX_TEXT_CHARS:
        raise GkhError(_("the text may have at most {limit} characters; it has {count}").format(
            limit=MAX_TEXT_CHARS, count=len(text)), ExitCode.USAGE)
    return text


def decode_utf8(data: bytes, source: str) -> str:
    """A text file's bytes as text: UTF-8, a BOM allowed; anything else is one line naming the file and the
    byte (counted from 1) where it stops being UTF-8, and the encoding it seems to be in."""
    from gkh.errors import ExitCode, GkhError

    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        offset = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0) + 1
        byte = f"0x{data[offset - 1]:02X}"
        if looks_like_cp1251(data):
            message = _("--text-file: {path} is not UTF-8 text: byte {offset} is {byte}; it looks like Windows-1251: "
                        "save it as UTF-8")
        else:
            message = _("--text-file: {path} is not UTF-8 text: byte {offset} is {byte}")
        raise GkhError(message.format(path=source, offset=offset, byte=byte), ExitCode.USAGE) from None


def looks_like_cp1251(data: bytes) -> bool:
    """Whether bytes that are not UTF-8 read as Russian text in Windows-1251: no control characters but line ends
    and tabs, and nearly all of what is not ASCII Russian letters (UTF-8's Cyrillic read so is half symbols)."""
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        return False
    if any(ord(c) < 32 and c not in "\r\n\t\f" for c in text):
        return False
    wide = [c for c in text if ord(c) > 127]
    russian = sum(1 for c in wide if "\u0410" <= c <= "\u044f" or c in "Ёё")
    return bool(wide) and russian >= 0.9 * len(wide)


def check_attachments(paths: list[Path], field: str = "--attach") -> list[tuple[Path, str]]:
    """Every attachment checked here, by its name and content, before anything is sent: [(path, its name)]. Each
    bad one is reported on a line of its own, then exit 2."""
    import os

    from gkh.domain.errors import InvalidInput
    from gkh.domain.files import MAX_FILE_BYTES, check_file, check_file_name
    from gkh.domain.identifiers import quoted
    from gkh.errors import ExitCode, GkhError
    from gkh.output import message

    if len(paths) > MAX_ATTACHMENTS:
        raise GkhError(_("{field}: at most {limit} files; got {count}").format(
            field=field, limit=MAX_ATTACHMENTS, count=len(paths)), ExitCode.USAGE)
    checked: list[tuple[Path, str]] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            problems.append(_("{field}: {path} is a folder, not a file").format(field=field, path=path))
            continue
        try:
            with open(path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                content = file.read(MAX_FILE_BYTES + 1)  # enough to know it is too large
        except OSError as error:
            problems.append(_("{field}: cannot read {path}: {reason}").format(
                field=field, path=path, reason=error.strerror or error))
            continue
        try:
            if size > MAX_FILE_BYTES:  # said with its whole size, not the part read
                plain, _extension = check_file_name(path.name, field)
                raise InvalidInput(_("{field}: {name} is larger than 10 MiB ({size} bytes)").format(
                    field=field, name=quoted(plain), size=size), field)
            name, _kind = check_file(path.name, content, field=field)
        except InvalidInput as bad:
            problems.append(bad.message if str(bad.message).startswith(field) else f"{field}: {bad.message}")
            continue
        checked.append((path, name))
    if problems:
        for problem in problems:
            message(f"gkh: {problem}")
        raise typer.Exit(ExitCode.USAGE)
    return checked


def upload_all(client, files: list[tuple[Path, str]], *, dry_run: bool = False) -> list[str]:
    """Upload the checked files in their order: their ids (F-…). A dry run lets the portal check each one and
    store none: no ids."""
    ids = []
    for path, name in files:
        if dry_run:
            client.check_upload(path, file_name=name)
        else:
            ids.append(client.upload_file(path, file_name=name)["id"])
    return ids


def _kept_attempt(run, identity: tuple, files: list[tuple[Path, str]], call: Callable[[list[str], str], dict], *,
                  resuming: str, lost: str) -> dict:
    """`call(upload ids, Idempotency-Key)` kept across runs (gkh.commands.kept): the key and the files' upload ids
    are written before anything is sent, so the same command (the same `identity` and files) run again after an
    unknown outcome resends the kept request under the kept key, uploading nothing again, and the portal does it
    once; forgotten on a definitive answer. `resuming` is said when an attempt is resumed ({time}); `lost` is the
    error when the outcome is unknown ({error}, exit 6)."""
    from gkh.client.errors import PortalError, Refused, ServerError, Unreachable
    from gkh.commands.kept import KeptAttempts
    from gkh.errors import ExitCode, GkhError

    kept = KeptAttempts(run.now, KEPT_FILE)
    slot = kept.slot(run.profile, run.client.portal_key, *identity, [(name, _digest(path)) for path, name in files])
    resumed = kept.get(slot)
    if resumed is not None:
        say(resuming.format(time=datetime.fromisoformat(resumed["saved_at"]).strftime("%H:%M")))
        key, ids = resumed["key"], list(resumed["body"]["attachments"])
    else:
        ids = upload_all(run.client, files)
        key = str(uuid.uuid4())
        kept.put(slot, key, {"attachments": ids})
    try:
        done = call(ids, key)
    except Refused:
        kept.forget(slot)  # a definitive answer: nothing was done
        raise
    except (Unreachable, ServerError) as error:
        raise GkhError(lost.format(error=error.message), ExitCode.UNREACHABLE) from error
    except PortalError as error:
        if error.status not in (409, 429):  # a definitive answer; still in the works or slowed down: kept
            kept.forget(slot)
        raise
    kept.forget(slot)
    return done


def _digest(path: Path) -> str:
    """A file's SHA-256: an attachment changed since the attempt makes another appeal."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def due_line(found: dict) -> str:
    from datetime import date

    from gkh.i18n import human_date

    return human_date(date.fromisoformat(found["due_date"])) if found.get("due_date") else "?"


# --- the topics and the addressees ---------------------------------------------------------------------------------


@app.command()
@output_options
def topics(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """The portal's topics (code and title), for appeal send --topic; or give your own with --other-topic."""
    show(runtime().client.appeal_topics(), TOPIC_COLUMNS, output, empty=_("no topics"))


@app.command()
@output_options
def addressees(
    query: str = typer.Argument(None, metavar="[QUERY]", help="A part of the name, in any case (\"жилищная "
                                                              "инспекция\")."),
    kind: str = typer.Option(None, "--type", parser=type_choice, metavar="TYPE",
                             help="Only this kind: inspectorate, managing, supplier or authority."),
    inn: str = typer.Option(None, "--inn", metavar="INN", help="Only the organisation with this INN."),
    house: str = typer.Option(None, "--house", metavar="HOUSE",
                              help="Only those receiving appeals about this house: its managing organisation, "
                                   "suppliers, inspectorate and administration (a FIAS GUID, or an address of one "
                                   "house)."),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Find the organisations and authorities that receive appeals: by a part of the name, type, INN, house."""
    client = runtime().client
    with named_as_typed({"q": "query", "type": "--type", "inn": "--inn", "house": "--house", "limit": "--limit"}):
        found = client.addressees(query, kind=kind, inn=inn, house=house, limit=limit)
    show(found, ADDRESSEE_COLUMNS, output, empty=_("no organisation receives appeals of this kind"))


# --- sending -----------------------------------------------------------------------------------------------------


@app.command()
@output_options
def send(
    house: str = typer.Option(..., "--house", metavar="HOUSE",
                              help="The house the appeal is about: a FIAS GUID, or an address of one house "
                                   "(\"ленина 5\")."),
    topic: str = typer.Option(None, "--topic", metavar="CODE", help="A topic's code (see: gkh appeal topics)."),
    other_topic: str = typer.Option(None, "--other-topic", metavar="TITLE",
                                    help="Your own topic instead, 1–250 characters."),
    to: str = typer.Option(..., "--to", metavar="ORG", help="The addressee: an organisation's id or INN (see: gkh "
                           "appeal addressees --house HOUSE)."),
    text: str = typer.Option(None, "--text", metavar="TEXT", help="The text, up to 10 000 characters."),
    text_file: str = typer.Option(None, "--text-file", metavar="FILE",
                                  help="Read the text from FILE, UTF-8 (- for stdin)."),
    attach: list[Path] = typer.Option(None, "--attach", metavar="FILE",  # noqa: B008
                                      help="Attach a file (repeat, at most 10): pdf, jpg, png, tif, doc, docx, xls, "
                                           "xlsx, odt, ods, rtf or txt, up to 10 MiB each."),
    dry_run: DryRun = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Send an appeal about a house, as a resident there: it is registered with an id and an answer due in 30
    days. Everything is checked before anything is sent (exit 2, each bad attachment on its own line); an addressee
    that does not receive appeals about the house is refused with those that do (exit 5)."""
    from gkh.client.errors import Refused
    from gkh.errors import ExitCode, GkhError
    from gkh.output import is_terminal

    if (topic is None) == (other_topic is None):
        raise GkhError(_("give either --topic CODE or --other-topic TITLE"), ExitCode.USAGE)
    if other_topic is not None and not 1 <= len(other_topic.strip()) <= MAX_TOPIC_CHARS:
        raise GkhError(_("--other-topic: 1 to {limit} characters; got {count}").format(
            limit=MAX_TOPIC_CHARS, count=len(other_topic.strip())), ExitCode.USAGE)
    body = read_text(text, text_file)
    files = check_attachments(list(attach or []))
    run = runtime()
    client = run.client
    request = {"house": house, "to": to.strip(), "text": body, "topic": topic.strip() if topic else None,
               "other_topic": other_topic.strip() if other_topic else None}
    with named_as_typed(SEND_FIELDS):
        try:
            if dry_run:
                upload_all(client, files, dry_run=True)
                sent = client.send_appeal(house, to.strip(), body, topic=request["topic"],
                                          other_topic=request["other_topic"], dry_run=True)
            else:
                sent = _kept_attempt(
                    run, (request,), files,
                    lambda ids, key: client.send_appeal(house, to.strip(), body, topic=request["topic"],
                                                        other_topic=request["other_topic"], attachments=ids,
                                                        idempotency_key=key),
                    resuming=_("gkh: resuming the appeal attempt of {time}: the portal will not register it twice"),
                    lost=_("{error}; the appeal's outcome is unknown: run the same command again within 24 hours, "
                           "it will not be registered twice"))
        except Refused as refused:
            if refused.code != "wrong_addressee":
                raise
            raise GkhError(_("--to: {message}").format(message=refused.message), ExitCode.REFUSED,
                           hint=_("see: {command}").format(
                               command=f'{gkh_of_profile()} appeal addressees --house "{house}"')) from None
    show({**sent, "dry_run": True} if dry_run and output.format != "json" else sent, SENT_COLUMNS, output)
    if dry_run:
        say(_("gkh: dry run: the portal checked the appeal and each attachment, and stored nothing") if files else
            _("gkh: dry run: the portal checked the appeal and stored nothing"))
    elif is_terminal(sys.stderr):
        say(_("gkh: sent {appeal} to {addressee}: the answer is due by {due}").format(
            appeal=sent.get("id"), addressee=(sent.get("addressee") or {}).get("name"), due=due_line(sent)))


# --- reading -----------------------------------------------------------------------------------------------------


@app.command("list")
@output_options
def list_(
    status: str = typer.Option(None, "--status", parser=status_choice, metavar="STATUS",
                               help="Only the appeals with this status: sent, in_work, answered or withdrawn."),
    house: str = typer.Option(None, "--house", metavar="HOUSE",
                              help="Only this house's appeals: a FIAS GUID, or an address that matches exactly one "
                                   "house."),
    limit: Limit = None,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """My appeals (staff: those addressed to the organisation), newest first."""
    from gkh.commands.house import resolve_house

    client = runtime().client
    guid = resolve_house(client, house, field="--house") if house is not None else None
    with named_as_typed({"house": "--house", "status": "--status", "limit": "--limit"}):
        found = client.appeals(status=status, house=guid, limit=limit)
    show(found, APPEAL_COLUMNS, output, empty=_("no appeals"))


@app.command("show")
@output_options
def show_(
    appeal: str = AppealArg,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """One appeal read down: the house, topic, addressee, status, due date, text, files, and the answer."""
    aid = appeal_id(appeal)
    with named_as_typed({"id": "appeal"}):
        found = runtime().client.appeal(aid)
    show(found, APPEAL_COLUMNS, output)


@app.command()
def download(
    appeal: str = AppealArg,
    folder: Path = typer.Option(None, "--dir", metavar="DIR", help="Save into this folder (default: the current "
                                "one)."),
) -> None:
    """Save every file of an appeal — its attachments and the answer's — into DIR under their own names, never
    over an existing file (a second \"скан.pdf\" becomes \"скан (1).pdf\"); print each path written."""
    from gkh.domain.errors import InvalidInput
    from gkh.domain.files import check_file_name
    from gkh.domain.identifiers import quoted
    from gkh.errors import ExitCode, GkhError
    from gkh.output import message

    aid = appeal_id(appeal)
    target = (folder or Path(".")).expanduser()
    if not target.is_dir():
        raise GkhError(_("--dir: there is no folder {folder}").format(folder=target), ExitCode.USAGE)
    client = runtime().client
    with named_as_typed({"id": "appeal"}):
        found = client.appeal(aid)
    files = list(found.get("attachments") or []) + list((found.get("answer") or {}).get("attachments") or [])
    if not files:
        say(_("gkh: {appeal} has no files").format(appeal=aid))
        return
    refused = 0
    for file in files:
        try:
            name, _extension = check_file_name(str(file.get("name") or ""), "name")
        except InvalidInput:
            refused += 1
            message(_("gkh: {appeal}: the file {file} is named {name}, not a plain file name: not saved").format(
                appeal=aid, file=file.get("id"), name=quoted(str(file.get("name")))))
            continue
        written = save_new(client, aid, str(file.get("id")), target, name)
        sys.stdout.write(f"{written}\n")
        sys.stdout.flush()
    if refused:
        raise typer.Exit(ExitCode.ERROR)


def save_new(client, aid: str, file_id: str, folder: Path, name: str) -> Path:
    """Download one file into `folder` under `name`, or `name (1)`, `name (2)`… when taken: never over a file."""
    import os

    from gkh.client.errors import InvalidRequest

    stem, dot, extension = name.rpartition(".")
    for number in range(1000):
        candidate = folder / (name if number == 0 else f"{stem} ({number}){dot}{extension}")
        if os.path.lexists(candidate):
            continue
        try:
            return client.download_appeal_file(aid, file_id, candidate).path
        except InvalidRequest as taken:  # a file of that name appeared meanwhile: the next number
            if taken.code != "file_exists":
                raise
    raise InvalidRequest(_("{folder} has too many files named like {name}").format(folder=folder, name=name),
                         code="file_exists", field="--dir")


# --- the author withdraws; the addressee's staff take and answer ---------------------------------------------------


@app.command()
@output_options
def withdraw(
    appeal: str = AppealArg,
    yes: Yes = False,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Withdraw an appeal of yours not yet answered (exit 5 once answered or withdrawn)."""
    from gkh.commands.common import confirm

    aid = appeal_id(appeal)
    confirm(_("Withdraw the appeal {appeal}? It cannot be sent again.").format(appeal=aid), yes)
    with named_as_typed({"id": "appeal"}):
        done = runtime().client.withdraw_appeal(aid)
    show(done, APPEAL_COLUMNS, output)
    say(_("gkh: {appeal} withdrawn").format(appeal=aid))


@app.command()
@output_options
def take(
    appeal: str = AppealArg,
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Take a sent appeal into work, as staff of its addressee (exit 5 when another has taken it)."""
    aid = appeal_id(appeal)
    with named_as_typed({"id": "appeal"}):
        taken = runtime().client.take_appeal(aid)
    show(taken, APPEAL_COLUMNS, output)
    say(_("gkh: {appeal} is in work: the answer is due by {due}").format(appeal=aid, due=due_line(taken)))


@app.command()
@output_options
def answer(
    appeal: str = AppealArg,
    text: str = typer.Option(None, "--text", metavar="TEXT", help="The answer's text, up to 10 000 characters."),
    text_file: str = typer.Option(None, "--text-file", metavar="FILE",
                                  help="Read the answer from FILE, UTF-8 (- for stdin)."),
    attach: list[Path] = typer.Option(None, "--attach", metavar="FILE",  # noqa: B008
                                      help="Attach a file to the answer (repeat, at most 10), as appeal send takes."),
    output: OutputChoice = DEFAULT_OUTPUT,
) -> None:
    """Answer an appeal, as staff of its addressee: the author sees the answer and downloads its files."""
    aid = appeal_id(appeal)
    body = read_text(text, text_file)
    files = check_attachments(list(attach or []))
    run = runtime()
    fields: dict[str, Any] = {**SEND_FIELDS, "text": "--text"}
    with named_as_typed(fields):
        answered = _kept_attempt(
            run, ({"answer": aid, "text": body},), files,
            lambda ids, key: run.client.answer_appeal(aid, body, ids, idempotency_key=key),
            resuming=_("gkh: resuming the answer attempt of {time}: the portal will not store it twice"),
            lost=_("{error}; the answer's outcome is unknown: run the same command again within 24 hours, it will "
                   "not be stored twice"))
    show(answered, APPEAL_COLUMNS, output)
    say(_("gkh: {appeal} answered").format(appeal=aid))
