"""Owners' meetings: the notice's completeness (every problem at once, each with its field), the dates the review
allows, the status a day reads, and the results weighed by area."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from gkh.domain.errors import InvalidInput, Refused
from gkh.domain.meetings import (
    Question,
    area_text,
    check_notice,
    check_vote,
    check_voting_start,
    earliest_start,
    owner_area,
    register_as_of,
    review_due,
    share_text,
    status_on,
    tally,
)

GOOD = """
[meeting]
house = "г. Москва, ул. Ленина, д. 5"
kind = "extraordinary"
form = "electronic_vote"
voting_start = 2026-12-10
voting_end = "24.12.2026"
materials = "Офис ООО «УК Ленинский квартал», ул. Ленина, д. 5, пом. 1"

[administrator]
kind = "person"
name = "Петрова Анна Сергеевна"
address = "г. Москва, ул. Ленина, д. 5, кв. 34"
phone = "+7 (495) 123-45-67"
email = "petrova@example.com"

[[initiators]]
name = "Петрова Анна Сергеевна"
flat = "34"

[[agenda]]
text = "Выбрать председателя и секретаря собрания."

[[agenda]]
text = "Разрешить пользование общим имуществом (крыша) для размещения антенн."
two_thirds = true
"""


def test_a_complete_notice():
    notice = check_notice(tomllib.loads(GOOD))
    assert notice.voting_start == date(2026, 12, 10)
    assert notice.voting_end == date(2026, 12, 24)  # a string in the CLI's date format is read too
    assert [q.two_thirds for q in notice.agenda] == [False, True]
    assert notice.initiators[0].flat == "34"


def test_every_problem_is_listed_at_once_with_its_field():
    data = tomllib.loads(GOOD)
    data["meeting"]["kind"] = "urgent"
    del data["meeting"]["materials"]
    data["administrator"]["email"] = "petrova"
    data["agenda"][1]["text"] = "я" * 3001
    data["agenda"].append({"text": "", "two_thirds": "yes"})
    with pytest.raises(InvalidInput) as caught:
        check_notice(data)
    error = caught.value
    assert error.code == "incomplete_notice"
    assert error.details == {
        "meeting.kind": "must be one of annual, extraordinary; got urgent",
        "meeting.materials": "missing",
        "administrator.email": "must be an e-mail address such as name@example.org",
        "agenda[2].text": "longer than 3000 characters",
        "agenda[3].text": "empty",
        "agenda[3].two_thirds": "must be true or false",
    }
    assert error.message.startswith("the notice has 6 problems: meeting.kind: must be one of")
    assert error.field == "meeting.kind"


def test_missing_parts_and_a_vote_too_long():
    data = tomllib.loads(GOOD)
    data["meeting"]["voting_end"] = date(2027, 3, 1)
    del data["initiators"], data["agenda"], data["administrator"]
    with pytest.raises(InvalidInput) as caught:
        check_notice(data)
    assert caught.value.details == {
        "meeting.voting_end": "the vote must last 7 to 60 days, both ends counted; got 82",
        "administrator": "missing",
        "initiators": "at least one is needed ([[initiators]])",
        "agenda": "at least one is needed ([[agenda]])",
    }


@pytest.mark.parametrize(("start", "end", "ok"), [
    (date(2026, 12, 10), date(2026, 12, 16), True),  # 7 days
    (date(2026, 12, 10), date(2026, 12, 15), False),  # 6
    (date(2026, 12, 10), date(2027, 2, 7), True),  # 60
    (date(2026, 12, 10), date(2027, 2, 8), False),  # 61
])
def test_the_vote_lasts_7_to_60_days(start, end, ok):
    data = tomllib.loads(GOOD)
    data["meeting"].update(voting_start=start, voting_end=end)
    if ok:
        check_notice(data)
    else:
        with pytest.raises(InvalidInput, match="the vote must last 7 to 60 days"):
            check_notice(data)


def test_the_earliest_start_follows_the_review():
    filed = date(2026, 11, 20)
    assert review_due(filed) == date(2026, 12, 4)
    assert earliest_start(filed) == date(2026, 12, 5)
    # Across the New Year the review takes longer than 10 days; the start waits for it.
    assert earliest_start(date(2026, 12, 25)) == date(2027, 1, 20)
    check_voting_start(date(2026, 12, 5), filed)
    with pytest.raises(Refused) as caught:
        check_voting_start(date(2026, 12, 4), filed)
    assert caught.value.code == "too_early"
    assert caught.value.details == {"earliest_start": "2026-12-05"}
    assert "05.12.2026" in caught.value.message


@pytest.mark.parametrize(("stored", "today", "reads"), [
    ("under_review", date(2026, 12, 9), "under_review"),
    ("under_review", date(2026, 12, 10), "expired"),
    ("published", date(2026, 12, 9), "published"),
    ("published", date(2026, 12, 10), "voting"),
    ("published", date(2026, 12, 24), "voting"),
    ("published", date(2026, 12, 25), "closed"),
    ("rejected", date(2026, 12, 25), "rejected"),
])
def test_the_status_walks_with_the_calendar(stored, today, reads):
    assert status_on(stored, date(2026, 12, 10), date(2026, 12, 24), today) == reads


AGENDA = (Question(1, "председатель", False), Question(2, "крыша", True))


def test_votes_only_while_voting_and_on_the_agenda():
    check_vote("voting", {1: "for", 2: "abstain"}, AGENDA)
    with pytest.raises(Refused, match="not voting now"):
        check_vote("published", {1: "for"}, AGENDA)
    with pytest.raises(InvalidInput, match="no question 3"):
        check_vote("voting", {3: "for"}, AGENDA)
    with pytest.raises(InvalidInput, match="for, against or abstain"):
        check_vote("voting", {1: "yes"}, AGENDA)


def test_results_weigh_area_and_need_a_quorum():
    # A house of 300 m²: a owns ½ of a 100 m² flat and all of a 50 m² one; b the other ½; c 100 m².
    weights = {"a": owner_area([(Fraction(1, 2), "100"), (Fraction(1), "50.0")]),
               "b": owner_area([(Fraction(1, 2), "100")]), "c": Fraction(100)}
    assert weights["a"] == 100
    total = Fraction(300)
    votes = {"a": {1: "for", 2: "for"}, "b": {1: "against", 2: "for"}}  # 150 m² of 300: no quorum
    results = tally(total, weights, votes, AGENDA)
    assert not results.quorum and not any(q.adopted for q in results.questions)
    votes["c"] = {1: "abstain", 2: "for"}  # 250 of 300 took part
    results = tally(total, weights, votes, AGENDA)
    assert results.quorum and share_text(results.voted_area, total) == "83.33"
    first, second = results.questions
    assert first.areas == {"for": 100, "against": 50, "abstain": 100}
    assert not first.adopted  # 100 of the 250 cast is no majority
    assert second.adopted  # 250 of 300 ≥ two thirds
    votes["c"] = {1: "for", 2: "against"}
    first, second = tally(total, weights, votes, AGENDA).questions
    assert first.adopted and not second.adopted  # 150 of 300 is under two thirds
    assert area_text(Fraction(1, 3)) == "0.33" and share_text(Fraction(2), Fraction(3)) == "66.67"


def test_results_count_the_register_of_the_end_of_the_vote():
    moscow = ZoneInfo("Europe/Moscow")
    voting_now = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    assert register_as_of(date(2026, 12, 1), moscow, voting_now) == voting_now
    # Closed on 11 October: the register as it stood at midnight after the last day, Moscow time (21:00 UTC).
    closed = register_as_of(date(2026, 10, 11), moscow, voting_now)
    assert closed.astimezone(timezone.utc) == datetime(2026, 10, 11, 21, 0, tzinfo=timezone.utc)
