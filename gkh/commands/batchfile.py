"""Batch files on the command line (issue 15): `gkh account import FILE` and `gkh meter submit --file FILE`.

One runner for both. The file (stdin spooled to a temporary file first, so it can be read twice) is read once
to decide its encoding (`EncodingProbe`, over all of it) and count its lines for the progress bar, then again as
CSV: each row checked here by the domain's rules (a bad row costs no request), the good ones sent in chunks of
`--batch-size`, the portal's refusals merged with ours in line order. Rejected rows are written to `--rejects`
exactly as the file had them, in its encoding, so the file can be fixed and fed back. Only the current chunk's
rows are kept: memory does not grow with the file. A re-run is safe (the portal upserts on the natural key): a
run cut short says up to which line the rows are in.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import hashlib
import io
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from gkh.commands.common import (
    OutputChoice,
    global_options,
    profile_in_use,
    runtime,
    say,
    show,
    warn,
    whole_number,
)
from gkh.errors import ExitCode, GkhError
from gkh.i18n import N_, _
from gkh.output import Column, Columns

if TYPE_CHECKING:
    from gkh.client.api import Client
    from gkh.domain.batch import Field

ENCODINGS = {"auto": None, "utf-8": "utf-8-sig", "utf8": "utf-8-sig", "cp1251": "cp1251",
             "windows-1251": "cp1251"}  # utf-8 given: a BOM, if there is one, is still not data
DELIMITER_NAMES = {"auto": None, ",": ",", ";": ";", "tab": "\t", "\t": "\t"}
ENCODING_NAMES = {"utf-8-sig": N_("UTF-8 with a BOM"), "utf-8": N_("UTF-8"), "cp1251": N_("Windows-1251")}
MAX_SHOWN = 20  # rejected rows listed on stderr; -o json has them all
READ_SIZE = 1 << 20
SPOOL_IN_MEMORY = 8 << 20  # stdin up to this size stays in memory, more goes to a temporary file

# The summary (created / updated / unchanged / rejected), as a record for people and a row for csv/tsv.
SUMMARY_COLUMNS = Columns(
    Column("created", "Created", shown=True, kind="number"),
    Column("updated", "Updated", shown=True, kind="number"),
    Column("unchanged", "Unchanged", shown=True, kind="number"),
    Column("rejected", "Rejected", shown=True, kind="number"),
    Column("encoding", "Encoding", kind="id"),
    Column("delimiter", "Delimiter", kind="id"),
    Column("dry_run", "Dry run"),
)


@dataclass(frozen=True)
class BatchKind:
    """What a batch file holds: the command that reads it (for messages and its lock), its columns, the domain's
    check of one row, the client's call for a chunk, and the template's example line."""

    command: str
    fields: tuple[Field, ...]
    check: Callable[[int, dict[str, Any]], object]  # the cells by field, None for an empty one
    send: Callable[[Client, list[dict], bool], dict]
    example: str


def accounts_kind() -> BatchKind:
    from gkh.domain.batch import ACCOUNT_FIELDS, parse_account_row

    return BatchKind("gkh account import", ACCOUNT_FIELDS, parse_account_row,
                     lambda client, rows, dry_run: client.import_accounts(rows, dry_run=dry_run),
                     '"г. Москва, ул. Строителей, д. 3",1,90000001,,54.3,1,Иванов Иван Иванович,owner,'
                     "ХВ-26-000001,cold_water,1")


def readings_kind() -> BatchKind:
    from gkh.domain.batch import READING_FIELDS, parse_reading_row

    return BatchKind("gkh meter submit --file", READING_FIELDS, parse_reading_row,
                     lambda client, rows, dry_run: client.submit_readings(rows, dry_run=dry_run),
                     "M-000023,2700.5,,,")


def houses_kind() -> BatchKind:
    from gkh.domain.batch import HOUSE_FIELDS, parse_house_row

    # The example: a new build managed by the demo portal's Moscow organisation (its ИНН); an empty window: the
    # portal's readings.window_* settings.
    example = {"guid": "f88dff80-7a02-4289-80be-edca9d932149", "address": "г. Москва, ул. Строителей, д. 5",
               "town": "Москва", "oktmo": "45376000", "region": "77", "timezone": "Europe/Moscow",
               "managing_org": "7705124833", "year_built": "2026", "floors": "17", "entrances": "3",
               "total_area": "15230.5", "living_area": "11020.8", "condition": "исправный", "energy_class": "B"}
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([example.get(f.name, "") for f in HOUSE_FIELDS])
    return BatchKind("gkh admin house import", HOUSE_FIELDS, parse_house_row,
                     lambda client, rows, dry_run: client.import_houses(rows, dry_run=dry_run), line.getvalue())


def bills_kind() -> BatchKind:
    from gkh.domain.bills import BILL_FIELDS, parse_bill_row

    # The example: a line of the November bill of the account the accounts template creates in the demo's new build;
    # an empty amount is volume × tariff, an empty due date the 10th of the next month.
    example = {"account": "90000001", "period": "2026-11", "service": "maintenance", "volume": "54.3", "unit": "m2",
               "tariff": "32.50"}
    return BatchKind("gkh admin bill import", BILL_FIELDS, parse_bill_row,
                     lambda client, rows, dry_run: client.import_bills(rows, dry_run=dry_run),
                     ",".join(example.get(f.name, "") for f in BILL_FIELDS))


def owners_kind() -> BatchKind:
    from gkh.domain.batch import OWNER_FIELDS, parse_owner_row

    # The example: flat 1 of the demo's new build, which its Moscow managing organisation keeps the register of; the
    # portal creates the flat (hence its area), the owner holds all of it.
    example = {"house": "г. Москва, ул. Строителей, д. 3", "flat": "1", "area": "54.3",
               "owner": "Новоселов Пётр Ильич", "share": "1"}
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([example.get(f.name, "") for f in OWNER_FIELDS])
    return BatchKind("gkh admin owner import", OWNER_FIELDS, parse_owner_row,
                     lambda client, rows, dry_run: client.import_owners(rows, dry_run=dry_run), line.getvalue())


def write_template(kind: BatchKind) -> None:
    """The header of English names and one example line, UTF-8 with commas: a file to fill in and import."""
    from gkh.output import write_lines

    write_lines([",".join(f.name for f in kind.fields), kind.example])


def import_command(kind: Callable[[], BatchKind], file: str | None, template: bool, **options: Any) -> None:
    """An import verb's work (`account import`, `admin house import`): the template to fill in, or the file's rows
    (`options`: run_batch's)."""
    if template:
        if file is not None:
            raise GkhError(_("--template prints a file to fill in: give no FILE with it"), ExitCode.USAGE)
        write_template(kind())
        return
    if file is None:
        raise GkhError(_("give the CSV file to import (- reads standard input), or --template for one to fill in"),
                       ExitCode.USAGE)
    run_batch(kind(), file, **options)


def encoding_choice(text: str) -> str:
    if text.lower() not in ENCODINGS:
        raise typer.BadParameter(_("{text} is not one of {choices}").format(
            text=repr(text), choices="auto, utf-8, cp1251"))
    return text.lower()


def delimiter_choice(text: str) -> str:
    if text.lower() not in DELIMITER_NAMES:
        raise typer.BadParameter(_("{text} is not one of {choices}").format(text=repr(text),
                                                                            choices='auto, ",", ";", tab'))
    return text.lower()


# The options of a batch file, the same for `account import` and `meter submit --file`.
EncodingOption = typer.Option("auto", "--encoding", parser=encoding_choice, metavar="auto|utf-8|cp1251",
                              help="The file's encoding (default: UTF-8 when all of it is, else Windows-1251).")
DelimiterOption = typer.Option("auto", "--delimiter", parser=delimiter_choice, metavar="auto|,|;|tab",
                               help="What separates the fields (default: judged from the header row).")
RejectsOption = typer.Option(None, "--rejects", metavar="FILE",
                             help="Write the rejected rows here as the file had them, under its header: fix them "
                                  "and feed this file back.")
BatchSizeOption = typer.Option("1000", "--batch-size", parser=whole_number(1, 1000), metavar="1…1000",
                               help="Rows per request.")
# An import verb's file and its template (`account import`, `admin house|owner|bill import`).
FileArgument = typer.Argument(None, metavar="FILE|-", help="The CSV file (- reads standard input).")
TemplateOption = typer.Option(False, "--template", help="Print the header row and an example line (UTF-8, commas), to "
                              "fill in and import.")


@dataclass
class Source:
    """The file as read twice: its bytes (a file, or stdin spooled), its name for messages, its encoding and
    delimiter, and how many lines it has."""

    file: IO[bytes]
    name: str
    encoding: str = "utf-8"
    delimiter: str = ","
    lines: int = 0


@dataclass
class Tally:
    """What the portal answered so far, with our own refusals."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    done_to: int = 0  # every row up to this line is in (or was rejected)


def open_source(path: str) -> Source:
    """The file named, or stdin (`-`) spooled so it can be read twice; one that cannot be read is exit 2."""
    if path == "-":
        from gkh.output import is_terminal

        if is_terminal(sys.stdin):  # nothing piped in: it would wait for a person to type a CSV file
            raise GkhError(_("- reads the file from standard input, which is a terminal here: pipe the file in, "
                             "or give its name"), ExitCode.USAGE)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by run_batch
        stdin = getattr(sys.stdin, "buffer", None) or sys.stdin
        while chunk := stdin.read(READ_SIZE):
            spool.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
        spool.seek(0)
        return Source(spool, _("standard input"))
    try:
        return Source(open(path, "rb"), path)  # noqa: SIM115 - closed by run_batch
    except OSError as error:
        raise GkhError(_("cannot read {path}: {reason}").format(path=path, reason=error.strerror or error),
                       ExitCode.USAGE) from None


def probe(source: Source, encoding: str, delimiter: str) -> None:
    """The first pass: the encoding (unless given), the count of lines; then the delimiter from the header."""
    from gkh.domain.batch import BOM, EncodingProbe, sniff_delimiter

    found = EncodingProbe()
    lines, last = 0, b""
    while chunk := source.file.read(READ_SIZE):
        if ENCODINGS[encoding] is None:
            found.feed(chunk)
        lines += chunk.count(b"\n")
        last = chunk
    source.lines = lines + (1 if last and not last.endswith(b"\n") else 0)
    source.encoding = ENCODINGS[encoding] or found.encoding()
    source.file.seek(0)
    header = source.file.readline()
    if source.encoding == "utf-8-sig" and not header.startswith(BOM):
        source.encoding = "utf-8"  # given as UTF-8: said, and the rejects written, as the file is
    source.file.seek(0)
    given = DELIMITER_NAMES[delimiter]
    source.delimiter = given or sniff_delimiter(header.decode(source.encoding, errors="replace"))


def raw_lines(text: IO[str], taken: list[str]) -> Iterator[str]:
    """The decoded lines of the file, each also put in `taken` as it was (its line break too): csv.reader asks for
    the lines of one row at a time, so a row's raw text is what `taken` got since the row before."""
    for line in text:
        taken.append(line)
        yield line


def run_batch(kind: BatchKind, path: str, *, encoding: str, delimiter: str, dry_run: bool, rejects: str | None,
              batch_size: int, output: OutputChoice) -> None:
    """The whole command: read, check, send in chunks, write the rejects, say the summary; exit 3 when rows were
    rejected."""
    source = open_source(path)
    with contextlib.closing(source.file):
        probe(source, encoding, delimiter)
        _run(kind, source, dry_run=dry_run, rejects=rejects, batch_size=batch_size, output=output)


def _run(kind: BatchKind, source: Source, *, dry_run: bool, rejects: str | None, batch_size: int,
         output: OutputChoice) -> None:
    from gkh.domain.batch import RowProblem, map_header
    from gkh.domain.errors import InvalidInput
    from gkh.output import is_terminal

    text = io.TextIOWrapper(source.file, encoding=source.encoding, newline="")
    taken: list[str] = []
    reader = csv.reader(raw_lines(text, taken), delimiter=source.delimiter)
    try:
        header_cells = next(reader, [])
        header_raw = "".join(taken)
        taken.clear()
        columns = map_header(header_cells, kind.fields)
    except InvalidInput as error:
        raise GkhError(_("{file}: {message}").format(file=source.name, message=error.message), ExitCode.USAGE) \
            from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise _unreadable(source, error, reader.line_num) from None
    if is_terminal(sys.stderr):
        say(_('gkh: reading {file} as {encoding}, fields separated by {delimiter}').format(
            file=source.name, encoding=_(ENCODING_NAMES[source.encoding]), delimiter=_said(source.delimiter)))

    run = runtime()
    client = run.client  # signed in only now: a file that cannot be read costs no request
    from gkh.config._files import locked
    from gkh.paths import state_home

    owner = hashlib.sha256(json.dumps([run.profile, client.portal_key, kind.command]).encode("utf-8")).hexdigest()
    busy = _("another {command} is running for this profile; wait for it to finish").format(command=kind.command)
    tally = Tally()
    with locked(state_home() / f"batch-{owner[:16]}", busy=busy), \
            _Rejects(rejects, source.encoding, header_raw) as rejected_file, \
            _progress(source.lines - reader.line_num) as advance, \
            _Sending(lambda rows: kind.send(client, rows, dry_run), lambda answer, sent: settle(answer, sent),
                     lambda error: _failed(error, tally, dry_run)) as sending:
        chunk: list[dict[str, Any]] = []
        raws: dict[int, str] = {}
        ours: list[dict] = []  # our refusals since the last chunk went, merged with its answer in line order
        names = [f.name for f in kind.fields]

        def settle(answer: dict, sent: _Sent) -> None:
            """A chunk's answer, in file order: its counts, its refusals with ours before it, its warnings."""
            tally.created += int(answer.get("created", 0))
            tally.updated += int(answer.get("updated", 0))
            tally.unchanged += int(answer.get("unchanged", 0))
            theirs = [dict(r) for r in answer.get("rejected", [])]
            for item in sorted(sent.ours + theirs, key=lambda r: r["line"]):
                raw = sent.raws.get(item["line"])
                if raw is not None:
                    rejected_file.write(raw)
                tally.rejected.append({k: item.get(k) for k in ("line", "field", "message")})
            tally.warnings += answer.get("warnings", [])
            for warning in answer.get("warnings", []):
                warn(str(warning.get("message", "")))
            tally.done_to = sent.to

        def flush() -> None:
            sending.send(_Sent(list(chunk), dict(raws), list(ours), reader.line_num))
            chunk.clear()
            raws.clear()
            ours.clear()

        width = len(header_cells)
        where = [(name, columns.get(name)) for name in names]  # None: a column the file does not have
        check = kind.check
        try:
            for cells in reader:
                line = reader.line_num - len(taken) + 1
                raw = taken[0] if len(taken) == 1 else "".join(taken)
                if advance is not None:
                    advance(len(taken))
                taken.clear()
                if not "".join(cells).strip():
                    continue  # a blank row (or only delimiters): Excel leaves them
                count = len(cells)
                # The cells as the file has them, trimmed (None: empty): what is checked here and what is sent.
                sent: dict[str, Any] = {name: (cells[index].strip() or None) if index is not None and index < count
                                        else None for name, index in where}
                raws[line] = raw
                if count > width and "".join(cells[width:]).strip():
                    ours.append({"line": line, "field": None, "message": _(
                        "line {line}: the row has more cells than the header").format(line=line)})
                else:
                    try:
                        check(line, sent)
                    except RowProblem as problem:
                        ours.append({"line": line, "field": problem.field, "message": problem.message})
                    else:
                        sent["line"] = line
                        chunk.append(sent)
                if len(chunk) >= batch_size or len(ours) >= batch_size:  # a file of bad rows is streamed too
                    flush()
            if chunk or ours:
                flush()
            sending.drain()
        except (UnicodeDecodeError, csv.Error) as error:
            raise _unreadable(source, error, reader.line_num) from None
        except KeyboardInterrupt:
            if not dry_run:
                _resume(tally)
            raise
        rejected_file.finish()
    _summary(kind, source, tally, dry_run, output)


def _failed(error: Exception, tally: Tally, dry_run: bool) -> typer.Exit:
    """A chunk the portal did not take: the error's own line (and code), then up to where the rows are in (every
    row before this chunk: the one before it was settled before this one was sent)."""
    from gkh.errors import describe_error
    from gkh.output import message

    described = describe_error(error, profile_in_use())
    if described is None:
        raise error
    line, code = described
    message(f"gkh: {line}")
    if not dry_run:
        _resume(tally)
    return typer.Exit(code)


def _resume(tally: Tally) -> None:
    """What a run cut short after a chunk went in says: the rows up to where it got are in, the same command
    finishes the rest (cut short before: the error alone says it, nothing is in)."""
    from gkh.output import message

    if tally.done_to:
        message(_("gkh: rows up to line {line} are in; run the same command again to finish").format(
            line=tally.done_to))


def _summary(kind: BatchKind, source: Source, tally: Tally, dry_run: bool, output: OutputChoice) -> None:
    from gkh.output import message

    for item in tally.rejected[:MAX_SHOWN]:
        message(str(item["message"]))
    if len(tally.rejected) > MAX_SHOWN:
        message(_("… and {count} more").format(count=len(tally.rejected) - MAX_SHOWN))
    summary = {"created": tally.created, "updated": tally.updated, "unchanged": tally.unchanged,
               "rejected": len(tally.rejected), "rejected_lines": tally.rejected, "warnings": tally.warnings,
               "encoding": source.encoding, "delimiter": source.delimiter, "dry_run": dry_run}
    if output.format != "json":
        summary = {k: v for k, v in summary.items() if k not in ("rejected_lines", "warnings")}
    show(summary, SUMMARY_COLUMNS, output)
    if dry_run:
        say(_("gkh: dry run: the portal checked the rows and stored nothing"))
    if tally.rejected:
        raise typer.Exit(ExitCode.BATCH_ROWS_FAILED)


def _said(delimiter: str) -> str:
    return _("tabs") if delimiter == "\t" else f'"{delimiter}"'


def _unreadable(source: Source, error: Exception, read: int) -> GkhError:
    """A file that cannot be read as decided (or as given), naming the line: the first that cannot be decoded
    (the text is decoded a block at a time, whose error does not say which line), or the one csv stopped at
    (`read` lines in)."""
    line, reason = max(read, 1), str(error)
    if isinstance(error, UnicodeDecodeError):
        source.file.seek(0)
        for number, raw in enumerate(source.file, start=1):
            try:
                raw.decode(source.encoding)
            except UnicodeDecodeError as bad:
                line, reason = number, bad.reason
                break
    return GkhError(_("{file}: line {line} cannot be read as {encoding}: {reason}; try --encoding").format(
        file=source.name, line=line, encoding=_(ENCODING_NAMES[source.encoding]), reason=reason),
        ExitCode.USAGE)


@dataclass
class _Sent:
    """A chunk on its way: its rows, the raw text of each of its lines, our refusals since the chunk before, and
    the line it ends at."""

    rows: list[dict[str, Any]]
    raws: dict[int, str]
    ours: list[dict]
    to: int


class _Sending:
    """Chunks sent one at a time by a thread of their own while the next is read and checked: over HTTP the portal
    works on one chunk while this process parses the next (two cores busy, not one after the other). At most one
    chunk is in flight; each answer is settled, in file order, before the next chunk goes, so a failure leaves
    every earlier chunk settled."""

    def __init__(self, send: Callable[[list[dict]], dict], settle: Callable[[dict, _Sent], None],
                 failed: Callable[[Exception], BaseException]):
        from concurrent.futures import ThreadPoolExecutor

        self._send, self._settle, self._failed = send, settle, failed
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gkh-batch")
        self._pending: tuple[Any, _Sent] | None = None

    def __enter__(self) -> _Sending:
        return self

    def send(self, sent: _Sent) -> None:
        self.drain()
        # The thread runs in a copy of this context: the language of the messages the portal is asked for.
        self._pending = (self._pool.submit(contextvars.copy_context().run, self._send, sent.rows)
                         if sent.rows else None, sent)

    def drain(self) -> None:
        """Wait for the chunk in flight and settle it (its failure raised here, in the main thread)."""
        if self._pending is not None:
            future, sent = self._pending
            self._pending = None
            try:
                answer = future.result() if future is not None else {}
            except Exception as error:
                raise self._failed(error) from None
            self._settle(answer, sent)

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)  # a chunk in flight is answered (or fails) before the command ends


class _Rejects:
    """The rejects file: the header line, then each rejected row as the file had it, in its encoding; written
    beside the file asked for and renamed over it at the end (also when nothing was rejected). No --rejects:
    nothing is written."""

    def __init__(self, path: str | None, encoding: str, header: str):
        self.path = Path(path) if path else None
        self.encoding = encoding
        self.header = header if header.endswith(("\n", "\r")) else header + "\r\n"
        self.ending = "\r\n" if self.header.endswith("\r\n") else "\n"
        self.temp: Path | None = None
        self.out: IO[str] | None = None

    def __enter__(self) -> _Rejects:
        if self.path is not None:
            self.temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            try:
                self.out = open(self.temp, "w", encoding=self.encoding, newline="")  # noqa: SIM115
            except OSError as error:
                raise GkhError(_("cannot write {path}: {reason}").format(path=self.path, reason=error.strerror),
                               ExitCode.ERROR) from None
            self.out.write(self.header)
        return self

    def write(self, raw: str) -> None:
        if self.out is not None:
            self.out.write(raw if raw.endswith(("\n", "\r")) else raw + self.ending)

    def finish(self) -> None:
        if self.out is not None and self.temp is not None and self.path is not None:
            self.out.close()
            os.replace(self.temp, self.path)
            self.out = None

    def __exit__(self, *exc: object) -> None:
        if self.out is not None:  # cut short: the rejects file asked for is left as it was
            self.out.close()
            with contextlib.suppress(OSError):
                os.unlink(self.temp)  # type: ignore[arg-type]


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr (rows done of the total, rows a second, the time left) at a terminal unless -q;
    off it, nothing."""
    from gkh.output import is_terminal

    if global_options().quiet or not is_terminal(sys.stderr):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(_("{rate} rows/s").format(rate=f"{task.speed or 0:.0f}"))

    with Progress(BarColumn(), MofNCompleteColumn(), Rate(), TimeRemainingColumn(),
                  console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("", total=max(total, 0))
        yield lambda n: bar.advance(task, n)
