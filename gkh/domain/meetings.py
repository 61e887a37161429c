"""Owners' general meetings (ОСС) by electronic vote: the notice and its completeness, the dates the review and
the vote allow, the status a meeting reads on a given day, and the results.

Pure rules (no clock: `today` is passed in, in the house's zone). The notice is what `meeting.toml` holds, read as
a mapping (tomllib's output, or the API's JSON body): its five parts are general information (`meeting`), the
`administrator`, the `initiators`, the `agenda`, and the notice's electronic image (a PDF, checked by the portal).
Filing checks every part at once and lists every problem with its field (`agenda[2].text`), so a person fixes
the whole file in one go.

Areas and shares are exact (fractions of square metres); they are rounded only when shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from gkh.domain.dates import format_person_date, parse_person_date
from gkh.domain.errors import InvalidInput, Refused
from gkh.domain.workdays import add_working_days
from gkh.i18n import N_, _, ngettext, term

KINDS = ("annual", "extraordinary")
FORMS = ("electronic_vote",)
ADMINISTRATOR_KINDS = ("person", "organisation")
CHOICES = ("for", "against", "abstain")
STATUSES = ("under_review", "published", "voting", "closed", "rejected", "expired")

MAX_QUESTION_CHARS = 3000  # the official limit of an agenda question
MAX_QUESTIONS = 100
MAX_TEXT = 500  # a name, an address, where the materials are
MAX_INITIATORS = 50
REVIEW_WORKING_DAYS = 10  # the inspectorate's check (the seed: file 10–12 days before the vote)
MIN_NOTICE_DAYS = 10  # the notice is published at least 10 days before the vote (ЖК РФ ст. 45 ч. 4)
MIN_VOTE_DAYS, MAX_VOTE_DAYS = 7, 60  # counted with both ends: 1 to 7 December is 7 days

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,25}$")

_MISSING = N_("missing")
_EMPTY = N_("empty")


@dataclass(frozen=True)
class Administrator:
    kind: str  # person | organisation
    name: str
    address: str
    phone: str
    email: str


@dataclass(frozen=True)
class Initiator:
    name: str
    flat: str | None


@dataclass(frozen=True)
class Question:
    number: int
    text: str
    two_thirds: bool  # needs two thirds of all owners' votes, not a majority of those cast


@dataclass(frozen=True)
class Notice:
    house: str  # a FIAS GUID or an address query: the portal resolves it
    kind: str
    form: str
    voting_start: date
    voting_end: date
    materials: str  # where the meeting's materials can be seen
    administrator: Administrator
    initiators: tuple[Initiator, ...]
    agenda: tuple[Question, ...]


class _Problems:
    """Every problem of a notice, each with its field, in the file's order."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self.muted = False  # the fields of a part that is missing as a whole: one problem, not one per field

    def add(self, field: str, reason: str) -> None:
        if not self.muted:
            self.found.setdefault(field, reason)

    @contextmanager
    def part(self, data: Mapping[str, Any], key: str) -> Iterator[Mapping[str, Any]]:
        """A part that is a table, its fields checked inside; when it is missing or not a table, only that."""
        table = self.table(data, key)
        self.muted = table is None
        try:
            yield table or {}
        finally:
            self.muted = False

    def text(self, data: Mapping[str, Any], field: str, key: str, *, limit: int = MAX_TEXT,
             required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.add(field, _(_MISSING))
            return ""
        if not isinstance(value, str):
            self.add(field, _("must be text"))
            return ""
        value = value.strip()
        if not value and required:
            self.add(field, _(_EMPTY))
        elif len(value) > limit:
            self.add(field, _("longer than {limit} characters").format(limit=limit))
        elif any(ord(c) < 32 and c not in "\n\t" for c in value):
            self.add(field, _("holds control characters"))
        return value

    def choice(self, data: Mapping[str, Any], field: str, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(data, field, key)
        if value and value not in allowed:
            self.add(field, _("must be one of {allowed}; got {got}").format(allowed=", ".join(allowed), got=value))
        return value

    def day(self, data: Mapping[str, Any], field: str, key: str) -> date | None:
        value = data.get(key)
        if value is None:
            self.add(field, _(_MISSING))
            return None
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if not isinstance(value, str):
            self.add(field, _("must be a date (a TOML date such as 2026-12-10, or \"10.12.2026\")"))
            return None
        try:
            return parse_person_date(value, field=field)
        except InvalidInput as error:
            self.add(field, error.message)
            return None

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
        """A part that is a table; None (one problem, not one per field) when missing or not a table."""
        value = data.get(key)
        if value is None:
            self.add(key, _(_MISSING))
            return None
        if not isinstance(value, Mapping):
            self.add(key, _("must be a table ([{key}])").format(key=key))
            return None
        return value

    def rows(self, data: Mapping[str, Any], key: str, limit: int) -> list[Mapping[str, Any]]:
        value = data.get(key)
        if value is None or value == []:
            self.add(key, _("at least one is needed ([[{key}]])").format(key=key))
            return []
        if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
            self.add(key, _("must be a list of tables ([[{key}]])").format(key=key))
            return []
        if len(value) > limit:
            self.add(key, _("at most {limit}; got {count}").format(limit=limit, count=len(value)))
            return []
        return value


def check_notice(data: Mapping[str, Any]) -> Notice:
    """The notice from `meeting.toml`'s mapping, or one InvalidInput (code `incomplete_notice`) listing every
    missing or wrong part: `details` maps each field (`agenda[2].text`) to its reason."""
    problems = _Problems()
    if not isinstance(data, Mapping):
        raise InvalidInput(_("the notice must be a table of its parts"), "notice", code="incomplete_notice")
    with problems.part(data, "meeting") as general:
        house = problems.text(general, "meeting.house", "house")
        kind = problems.choice(general, "meeting.kind", "kind", KINDS)
        form = problems.choice(general, "meeting.form", "form", FORMS) if "form" in general else FORMS[0]
        start = problems.day(general, "meeting.voting_start", "voting_start")
        end = problems.day(general, "meeting.voting_end", "voting_end")
        materials = problems.text(general, "meeting.materials", "materials")
    if start is not None and end is not None:
        days = (end - start).days + 1
        if not MIN_VOTE_DAYS <= days <= MAX_VOTE_DAYS:
            problems.add("meeting.voting_end", _("the vote must last {low} to {high} days, both ends counted; "
                                                 "got {days}").format(low=MIN_VOTE_DAYS, high=MAX_VOTE_DAYS,
                                                                      days=days))

    with problems.part(data, "administrator") as admin:
        administrator = Administrator(
            kind=problems.choice(admin, "administrator.kind", "kind", ADMINISTRATOR_KINDS),
            name=problems.text(admin, "administrator.name", "name"),
            address=problems.text(admin, "administrator.address", "address"),
            phone=problems.text(admin, "administrator.phone", "phone", limit=25),
            email=problems.text(admin, "administrator.email", "email", limit=254),
        )
        if administrator.phone and not _PHONE_RE.match(administrator.phone):
            problems.add("administrator.phone", _("must be a phone number such as +7 495 123-45-67"))
        if administrator.email and not _EMAIL_RE.match(administrator.email):
            problems.add("administrator.email", _("must be an e-mail address such as name@example.org"))

    initiators = []
    for i, row in enumerate(problems.rows(data, "initiators", MAX_INITIATORS), start=1):
        name = problems.text(row, f"initiators[{i}].name", "name")
        flat = problems.text(row, f"initiators[{i}].flat", "flat", limit=20, required=False) or None
        initiators.append(Initiator(name, flat))

    agenda = []
    for i, row in enumerate(problems.rows(data, "agenda", MAX_QUESTIONS), start=1):
        text = problems.text(row, f"agenda[{i}].text", "text", limit=MAX_QUESTION_CHARS)
        two_thirds = row.get("two_thirds", False)
        if not isinstance(two_thirds, bool):
            problems.add(f"agenda[{i}].two_thirds", _("must be true or false"))
            two_thirds = False
        agenda.append(Question(i, text, two_thirds))

    if problems.found:
        count = len(problems.found)
        listed = "; ".join(f"{field}: {reason}" for field, reason in problems.found.items())
        raise InvalidInput(ngettext("the notice has {count} problem: {problems}",
                                    "the notice has {count} problems: {problems}", count)
                           .format(count=count, problems=listed),
                           next(iter(problems.found)), code="incomplete_notice", details=problems.found)
    assert start is not None and end is not None  # a missing date is a problem above
    return Notice(house, kind, form, start, end, materials, administrator, tuple(initiators), tuple(agenda))


def review_due(filed_on: date) -> date:
    """The last day of the inspectorate's review: the 10th working day after the day of filing."""
    return add_working_days(filed_on, REVIEW_WORKING_DAYS)


def earliest_start(filed_on: date) -> date:
    """The first day the vote may start: the day after the review is due, and never under 10 days after filing."""
    return max(review_due(filed_on) + timedelta(days=1), filed_on + timedelta(days=MIN_NOTICE_DAYS))


def check_voting_start(start: date, filed_on: date) -> None:
    """Refused (`too_early`) when the vote would start before the review and the notice's 10 days allow."""
    earliest = earliest_start(filed_on)
    if start < earliest:
        raise Refused("too_early", _("the vote cannot start before {earliest}: the inspectorate reviews a notice "
                                     "within {days} working days (until {due}); got {start}").format(
                          earliest=format_person_date(earliest), days=REVIEW_WORKING_DAYS,
                          due=format_person_date(review_due(filed_on)), start=format_person_date(start)),
                      "meeting.voting_start", details={"earliest_start": earliest.isoformat()})


def status_on(stored: str, voting_start: date, voting_end: date, today: date) -> str:
    """What a meeting reads on `today` (the house's zone): the stored decision walked forward by the calendar —
    a published meeting is `voting` from its start and `closed` after its end; one still under review at its
    start has `expired`; a rejected one stays rejected."""
    if stored == "under_review":
        return "expired" if today >= voting_start else "under_review"
    if stored == "published":
        if today > voting_end:
            return "closed"
        return "voting" if today >= voting_start else "published"
    return stored


def register_as_of(voting_end: date, zone: tzinfo, now: datetime) -> datetime:
    """The moment whose owner register a meeting's results count: now while it votes, the end of its last voting day
    (in the house's zone) once closed, so owners who sell or buy a flat after the vote leave its results as they
    were."""
    end = datetime.combine(voting_end + timedelta(days=1), time(0), tzinfo=zone)
    return min(now, end)


def check_vote(status: str, choices: Mapping[int, str], agenda: Iterable[Question]) -> None:
    """A vote is cast while the meeting is voting, on questions of its agenda, each for, against or abstain."""
    if status != "voting":
        raise Refused("not_voting", _("the meeting is not voting now (it is {status})").format(status=term(status)),
                      "status", details={"status": status})
    numbers = {q.number for q in agenda}
    if not choices:
        raise InvalidInput(_("give at least one answer, such as 1=for"), "votes")
    for number, choice in choices.items():
        if number not in numbers:
            raise InvalidInput(_("the agenda has no question {number} (it has 1 to {last})").format(
                number=number, last=max(numbers)), "votes")
        if choice not in CHOICES:
            raise InvalidInput(_("question {number}: the answer must be for, against or abstain; got {got}").format(
                number=number, got=choice), "votes")


@dataclass(frozen=True)
class QuestionResult:
    number: int
    two_thirds: bool
    areas: dict[str, Fraction]  # choice → the voting area
    adopted: bool


@dataclass(frozen=True)
class Results:
    total_area: Fraction  # the owner register's area: the whole house's votes
    voted_area: Fraction  # the area of the owners who took part
    quorum: bool  # more than half of all votes took part
    questions: tuple[QuestionResult, ...]

    @property
    def turnout(self) -> Fraction:
        return self.voted_area / self.total_area if self.total_area else Fraction(0)


def owner_area(holdings: Iterable[tuple[Fraction, Decimal | str]]) -> Fraction:
    """An owner's votes: the sum over their flats of share × the flat's area."""
    return sum((share * Fraction(Decimal(area)) for share, area in holdings), Fraction(0))


def tally(total_area: Fraction, weights: Mapping[Any, Fraction], votes: Mapping[Any, Mapping[int, str]],
          agenda: Iterable[Question]) -> Results:
    """The results: each owner's latest answers weighed by their area. The quorum is more than half of all
    owners' area; a question is adopted by more than half of the area that took part, or, where it needs two
    thirds, by two thirds of all owners' area; without a quorum nothing is adopted."""
    voters = [owner for owner, answers in votes.items() if answers]
    voted = sum((weights[owner] for owner in voters), Fraction(0))
    quorum = total_area > 0 and voted * 2 > total_area
    questions = []
    for question in agenda:
        areas = {choice: Fraction(0) for choice in CHOICES}
        for owner in voters:
            choice = votes[owner].get(question.number)
            if choice is not None:
                areas[choice] += weights[owner]
        if question.two_thirds:
            adopted = quorum and areas["for"] * 3 >= total_area * 2
        else:
            adopted = quorum and areas["for"] * 2 > voted
        questions.append(QuestionResult(question.number, question.two_thirds, areas, adopted))
    return Results(total_area, voted, bool(quorum), tuple(questions))


def area_text(area: Fraction) -> str:
    """An area for people and JSON: square metres rounded half-up to hundredths ("1234.57")."""
    return str((Decimal(area.numerator) / Decimal(area.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def share_text(part: Fraction, whole: Fraction) -> str:
    """A part of a whole as a percentage rounded half-up to hundredths ("50.01"); "0.00" of nothing."""
    if not whole:
        return "0.00"
    return area_text(part * 100 / whole)
