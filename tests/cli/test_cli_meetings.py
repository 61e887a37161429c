"""gkh meeting through the command line, in-process on the embedded demo portal (local://, always SQLite): the
whole life of a meeting — the template filled in, filed by an owner with a real PDF, approved by the inspector,
voted on (and a vote changed) once the portal's clock (GKH_NOW) reaches the vote, results, closed after the end —
and each refusal with its message and exit code; then over HTTP against a served portal.

The demo world (tests/helpers/demo.py; the clock at 2026-11-20 12:00 +03:00): at ул. Ленина, д. 5 ivanov owns half
of flat 12 and petrova flats 34 and 35; MT-000001 is voting (about 35 % of the area so far), MT-000002 closed. A
notice filed on 2026-11-20 is reviewed by 2026-12-04 (ten working days), so its vote starts 2026-12-05 at the
earliest."""

from __future__ import annotations

import json
import re
import tomllib
import zlib

import pytest

from gkh.domain.meetings import check_notice
from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.demo import password_of

FILED_ON, REVIEW_DUE, EARLIEST = "2026-11-20", "2026-12-04", "2026-12-05"
VOTING_NOW = "2026-12-07T12:00:00+03:00"  # the new meeting's vote: 2026-12-05 to 2026-12-18
AFTER_THE_END = "2026-12-19T12:00:00+03:00"
# The template's empty values, as an owner of flat 34 fills them in.
FILLED = {
    "meeting.house": "ленина 5",
    "meeting.materials": "ул. Ленина, д. 5, кв. 34, по будням с 18:00 до 20:00",
    "administrator.name": "Петрова Анна Сергеевна",
    "administrator.address": "115054, г. Москва, ул. Ленина, д. 5, кв. 34",
    "administrator.phone": "+7 495 123-45-67",
    "administrator.email": "petrova@example.com",
    "initiators.name": "Петрова Анна Сергеевна",
    "initiators.flat": "34",
    "agenda.text": "Избрать совет многоквартирного дома в составе трёх человек.",
}
MEETING_FIELDS = {"id", "house", "kind", "form", "status", "filed_by", "filed_at", "review_due", "earliest_start",
                  "voting_start", "voting_end", "materials", "administrator", "initiators", "agenda", "notice",
                  "rejection_reason"}


def pdf_bytes(text: str = "Notice of the owners' meeting") -> bytes:
    """A small valid one-page PDF, its content stream compressed, its cross-reference table exact."""
    content = zlib.compress(f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode("ascii"))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
               b" /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def fill(template: str, values: dict[str, str], **changed: str) -> str:
    """The template with its empty values filled in (`section.key` → value) and any line's value changed
    (`voting_start="2026-12-01"`: the key's TOML value as written)."""
    lines, section = [], ""
    for line in template.splitlines():
        if header := re.match(r"^\[\[?(\w+)\]\]?", line):
            section = header.group(1)
        elif setting := re.match(r'^(\w+) = ', line):
            key = setting.group(1)
            if key in changed:
                line = f"{key} = {changed[key]}"
            elif line.startswith(f'{key} = ""') and f"{section}.{key}" in values:
                line = f"{key} = {json.dumps(values[f'{section}.{key}'], ensure_ascii=False)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture
def notice(tmp_path):
    path = tmp_path / "уведомление.pdf"
    path.write_bytes(pdf_bytes())
    return path


@pytest.fixture
def toml(tmp_path):
    """Writes meeting.toml from the template: filled in, with any value changed."""

    def write(values: dict[str, str] = FILLED, **changed: str):
        template = gkh("meeting", "template")
        assert template.exit_code == 0, template.stderr
        path = tmp_path / "meeting.toml"
        path.write_text(fill(template.stdout, values, **changed), encoding="utf-8")
        return path

    return write


@pytest.fixture
def offline(home):
    """A profile whose portal cannot be reached: whatever it runs makes no request, or fails with exit 6."""
    assert gkh("--profile", "offline", "config", "set", "url", "http://127.0.0.1:9").exit_code == 0
    return ["--profile", "offline"]


def file_as(profile: str, toml_path, pdf, *more: str):
    return gkh("--profile", profile, "meeting", "file", str(toml_path), "--notice", str(pdf), *more)


# --- the template ------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_the_template_parses_and_only_its_empty_values_are_missing(home):
    template = gkh("meeting", "template")
    assert template.exit_code == 0 and template.stderr == ""
    data = tomllib.loads(template.stdout)
    assert set(data) == {"meeting", "administrator", "initiators", "agenda"}
    assert (data["meeting"]["voting_start"].isoformat(), data["meeting"]["voting_end"].isoformat()) == (
        EARLIEST, "2026-12-18")  # the earliest a notice filed today may start, 14 days long
    assert f"for a notice filed today, on {EARLIEST}." in template.stdout
    filled = tomllib.loads(fill(template.stdout, FILLED))
    assert check_notice(filled).agenda[0].text == FILLED["agenda.text"]


@pytest.mark.sqlite_only
def test_the_templates_comments_are_in_the_readers_language_and_its_keys_english(home):
    russian = gkh("meeting", "template", env={"GKH_LANG": "ru"}).stdout
    english = gkh("meeting", "template").stdout
    keys = [line.split("#")[0].rstrip() for line in english.splitlines() if not line.startswith("#")]
    assert [line.split("#")[0].rstrip() for line in russian.splitlines() if not line.startswith("#")] == keys
    assert tomllib.loads(russian) == tomllib.loads(english)


# --- refused before any request ------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_an_incomplete_notice_lists_every_problem_one_per_line_and_asks_nothing(offline, toml, notice):
    values = {k: v for k, v in FILLED.items() if k not in ("meeting.house", "administrator.email")}
    path = toml(values, voting_end='"01.12.2026"', two_thirds='"yes"')
    result = gkh(*offline, "meeting", "file", str(path), "--notice", str(notice))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"gkh: {path}: the notice has 4 problems:",
        "  meeting.house: empty",
        "  meeting.voting_end: the vote must last 7 to 60 days, both ends counted; got -3",
        "  administrator.email: empty",
        "  agenda[1].two_thirds: must be true or false",
    ]


@pytest.mark.sqlite_only
def test_a_toml_syntax_error_is_one_line_naming_the_file_line_and_column(offline, tmp_path, notice):
    path = tmp_path / "meeting.toml"
    path.write_text('[meeting]\nhouse = "ленина 5"\nkind = extraordinary\n', encoding="utf-8")
    result = gkh(*offline, "meeting", "file", str(path), "--notice", str(notice))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"gkh: {path}, line 3, column 8: Invalid value (not TOML)\n"
    missing = gkh(*offline, "meeting", "file", str(tmp_path / "none.toml"), "--notice", str(notice))
    assert missing.exit_code == 2 and "none.toml" in missing.stderr and missing.stderr.count("\n") == 1


@pytest.mark.sqlite_only
def test_a_png_renamed_pdf_is_refused_by_its_content_before_any_request(offline, toml, tmp_path):
    fake = tmp_path / "notice.pdf"
    fake.write_bytes(PNG)
    result = gkh(*offline, "meeting", "file", str(toml()), "--notice", str(fake))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "gkh: --notice: \"notice.pdf\" is not a PDF file by its content (it is PNG)\n"
    png = tmp_path / "notice.png"
    png.write_bytes(PNG)
    result = gkh(*offline, "meeting", "file", str(toml()), "--notice", str(png))
    assert (result.exit_code, result.stderr) == (2, "gkh: --notice: \"notice.png\" must be a PDF (the notice's "
                                                    "electronic image)\n")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("pair", ["1", "1=", "=for", "x=for", "0=for", "1=maybe", "1:for", "١=for"])
def test_a_malformed_answer_is_exit_2_naming_it(offline, pair):
    result = gkh(*offline, "meeting", "vote", "MT-000001", "2=for", pair)
    assert (result.exit_code, result.stdout) == (2, "")
    shown = json.dumps(pair, ensure_ascii=False)
    assert result.stderr.startswith(f"gkh: answers: {shown} is not an answer: give the question's number and for, "
                                    "against"), result.stderr


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["--approve", "--reject", "no"], [], ["--reject", "  "]])
def test_a_review_takes_one_decision(offline, args):
    result = gkh(*offline, "meeting", "review", "MT-000001", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and "--reject" in result.stderr


@pytest.mark.sqlite_only
@pytest.mark.parametrize("verb", [["show"], ["results"], ["vote", "1=for"]])
def test_a_malformed_meeting_id_is_exit_2(offline, verb):
    result = gkh(*offline, "meeting", verb[0], "M-1", *verb[1:])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "gkh: meeting must be a meeting's id such as MT-000001; got \"M-1\"\n"


# --- the whole life ---------------------------------------------------------------------------------------------


def meeting_of(profile: str, mid: str) -> dict:
    return gkh_json("--profile", profile, "meeting", "show", mid)


def relogin(*users: str) -> None:
    """Sign in again once the clock has moved (tokens expire)."""
    for user in users:
        login(user, user)


@pytest.mark.sqlite_only
def test_the_whole_life_filed_approved_voted_changed_results_closed(home, toml, notice, monkeypatch, tmp_path):
    relogin("petrova", "ivanov", "inspector")
    filed = file_as("petrova", toml(), notice, "--json")
    assert filed.exit_code == 0, filed.stderr
    meeting = json.loads(filed.stdout)
    assert set(meeting) == MEETING_FIELDS
    mid = meeting["id"]
    assert re.fullmatch(r"MT-\d{6}", mid) and mid not in ("MT-000001", "MT-000002")
    assert (meeting["status"], meeting["review_due"], meeting["earliest_start"]) == (
        "under_review", REVIEW_DUE, EARLIEST)
    assert (meeting["voting_start"], meeting["voting_end"], meeting["kind"]) == (EARLIEST, "2026-12-18",
                                                                                   "extraordinary")
    assert meeting["notice"] == {"name": notice.name, "size": notice.stat().st_size}
    assert [q["text"] for q in meeting["agenda"]] == [FILLED["agenda.text"]]
    saved = gkh("--profile", "petrova", "meeting", "show", mid, "--notice", str(tmp_path), "--json")
    assert saved.exit_code == 0, saved.stderr
    assert (tmp_path / notice.name).read_bytes() == notice.read_bytes()  # the PDF as filed

    assert [m["id"] for m in gkh_json("--profile", "inspector", "meeting", "list", "--status", "under_review")] \
        == [mid]
    approved = gkh("--profile", "inspector", "meeting", "review", mid, "--approve", "--json")
    assert approved.exit_code == 0, approved.stderr
    assert json.loads(approved.stdout)["status"] == "published"
    early = gkh("meeting", "vote", mid, "1=for")
    assert early.exit_code == 5 and "published" in early.stderr

    monkeypatch.setenv("GKH_NOW", VOTING_NOW)
    relogin("petrova", "ivanov")
    assert meeting_of("ivanov", mid)["status"] == "voting"
    voted = gkh("--profile", "ivanov", "meeting", "vote", mid, "1=против", "--json")
    assert voted.exit_code == 0, voted.stderr
    first = json.loads(voted.stdout)
    assert (first["meeting"], first["votes"]) == (mid, {"1": "against"})
    changed = gkh_json("--profile", "ivanov", "meeting", "vote", mid, "1=For")
    assert changed["votes"] == {"1": "for"} and changed["area"] == first["area"]
    both = gkh_json("--profile", "petrova", "meeting", "vote", mid, "1=за")
    assert both["votes"] == {"1": "for"}
    results = gkh_json("--profile", "petrova", "meeting", "results", mid)
    assert (results["status"], results["final"]) == ("voting", False)
    [question] = results["questions"]
    assert question["for"]["area"] == results["voted_area"] and question["against"]["area"] == "0.00"
    assert not results["quorum"] and not question["adopted"]  # three owners of a big house: no quorum

    monkeypatch.setenv("GKH_NOW", AFTER_THE_END)
    relogin("petrova", "ivanov")
    assert meeting_of("petrova", mid)["status"] == "closed"
    late = gkh("--profile", "ivanov", "meeting", "vote", mid, "1=against")
    assert (late.exit_code, late.stdout) == (5, "")
    assert "closed" in late.stderr
    final = gkh("--profile", "ivanov", "meeting", "results", mid)
    assert final.exit_code == 0, final.stderr
    assert final.stdout.split("\t")[0] == "1"
    assert "the results are final" in final.stderr and "no quorum" in final.stderr


@pytest.mark.sqlite_only
def test_a_dry_run_files_nothing(home, toml, notice):
    relogin("petrova")
    dry = file_as("petrova", toml(), notice, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout)["id"] is None and "stored no meeting" in dry.stderr
    assert [m["id"] for m in gkh_json("--profile", "petrova", "meeting", "list")] == ["MT-000002", "MT-000001"]


@pytest.mark.sqlite_only
def test_a_filing_whose_answer_is_lost_says_to_look_before_filing_again(home, toml, notice, monkeypatch):
    from gkh.client.api import Client
    from gkh.client.errors import Unreachable

    def lost(self, *args, **kwargs):
        raise Unreachable("cannot reach the local portal: no answer within 30 s", code="unreachable")

    relogin("petrova")
    monkeypatch.setattr(Client, "file_meeting", lost)
    result = file_as("petrova", toml(), notice)
    assert (result.exit_code, result.stdout) == (6, "")
    assert result.stderr == ("gkh: cannot reach the local portal: no answer within 30 s; the notice may have been "
                             "filed all the same: look for it with gkh --profile petrova meeting list --status "
                             "under_review before filing it again\n")


@pytest.mark.sqlite_only
def test_on_a_terminal_filing_says_when_the_review_is_due(home, toml, notice):
    relogin("petrova")
    filed = gkh("--profile", "petrova", "meeting", "file", str(toml()), "--notice", str(notice), tty=True)
    assert filed.exit_code == 0, filed.stderr
    assert filed.stderr.splitlines()[-1] == f"gkh: filed {mid_of(filed.stdout)}: the inspectorate reviews it by " \
        f"{REVIEW_DUE}; the vote may start from {EARLIEST}"
    assert re.search(r"^ID:\s+MT-\d{6}$", filed.stdout, re.M)
    russian = gkh("--profile", "petrova", "meeting", "file", str(toml()), "--notice", str(notice), tty=True,
                  env={"GKH_LANG": "ru"})
    assert russian.exit_code == 0, russian.stderr
    assert "04.12.2026" in russian.stderr.splitlines()[-1] and "05.12.2026" in russian.stderr.splitlines()[-1]


def mid_of(shown: str) -> str:
    return re.search(r"^ID:\s+(MT-\d{6})$", shown, re.M).group(1)


# --- refusals by the portal -------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_not_an_owner_in_the_house_is_exit_4(home, toml, notice):
    relogin("ivanov")  # an owner at ул. Ленина, д. 5 only
    result = file_as("ivanov", toml({**FILLED, "meeting.house": "мира 12 корп. 1"}), notice)
    assert (result.exit_code, result.stdout) == (4, "")
    assert "owner" in result.stderr


@pytest.mark.sqlite_only
def test_too_early_a_start_is_exit_5_naming_the_earliest_date(home, toml, notice):
    relogin("petrova")
    result = file_as("petrova", toml(voting_start="2026-12-04", voting_end="2026-12-20"), notice)
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == ("gkh: meeting.voting_start: the vote cannot start before 05.12.2026: the inspectorate "
                             "reviews a notice within 10 working days (until 04.12.2026); got 04.12.2026\n")


@pytest.mark.sqlite_only
def test_a_notice_not_reviewed_by_its_start_expires_and_can_no_longer_be_approved(home, toml, notice, monkeypatch):
    relogin("petrova", "inspector")
    filed = gkh_json("--profile", "petrova", "meeting", "file", str(toml()), "--notice", str(notice))
    monkeypatch.setenv("GKH_NOW", VOTING_NOW)
    relogin("petrova", "inspector")
    assert meeting_of("petrova", filed["id"])["status"] == "expired"
    assert [m["id"] for m in gkh_json("--profile", "inspector", "meeting", "list", "--status", "expired")] == [
        filed["id"]]
    late = gkh("--profile", "inspector", "meeting", "review", filed["id"], "--approve")
    assert (late.exit_code, late.stdout) == (5, "")
    assert "expired" in late.stderr
    vote = gkh("--profile", "petrova", "meeting", "vote", filed["id"], "1=for")
    assert vote.exit_code == 5 and "expired" in vote.stderr


@pytest.mark.sqlite_only
def test_voting_outside_the_vote_is_exit_5(home):
    closed = gkh("meeting", "vote", "MT-000002", "1=for")
    assert (closed.exit_code, closed.stdout) == (5, "")
    assert "closed" in closed.stderr


@pytest.mark.sqlite_only
def test_someone_else_reviewing_is_exit_4(home, toml, notice):
    relogin("petrova", "ivanov", "uk-staff")
    filed = gkh_json("--profile", "petrova", "meeting", "file", str(toml()), "--notice", str(notice))
    for profile in ("petrova", "ivanov", "uk-staff"):  # the filer, another owner, the managing organisation
        result = gkh("--profile", profile, "meeting", "review", filed["id"], "--approve")
        assert (result.exit_code, result.stdout) == (4, ""), (profile, result.stderr)
    assert meeting_of("petrova", filed["id"])["status"] == "under_review"


@pytest.mark.sqlite_only
def test_a_rejection_reaches_the_filer_and_an_unknown_meeting_hints_the_list(home, toml, notice):
    relogin("petrova", "inspector")
    filed = gkh_json("--profile", "petrova", "meeting", "file", str(toml()), "--notice", str(notice))
    rejected = gkh_json("--profile", "inspector", "meeting", "review", filed["id"], "--reject", "Нет подписи")
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "Нет подписи")
    assert meeting_of("petrova", filed["id"])["rejection_reason"] == "Нет подписи"
    again = gkh("--profile", "inspector", "meeting", "review", filed["id"], "--approve")
    assert again.exit_code == 5 and "rejected" in again.stderr
    missing = gkh("meeting", "show", "MT-999999")
    assert (missing.exit_code, missing.stdout) == (1, "")
    assert missing.stderr.splitlines()[-1] == \
        "gkh: no meeting MT-999999 among those you may see (run: gkh --profile local meeting list)"


@pytest.mark.sqlite_only
def test_the_demos_meetings_listed_by_house_and_status(home):
    assert [m["id"] for m in gkh_json("meeting", "list", "--house", "ленина 5")] == ["MT-000002", "MT-000001"]
    voting = gkh_json("meeting", "list", "--house", "83804ac7-87c6-472e-a474-d02c6f740e9c", "--status", "voting")
    assert [(m["id"], m["status"], m["kind"]) for m in voting] == [("MT-000001", "voting", "annual")]
    assert gkh_json("meeting", "list", "--house", "мира 12 корп. 1") == []
    assert gkh_json("meeting", "list", "--limit", "1")[0]["id"] == "MT-000002"
    table = gkh("meeting", "list", tty=True, env={"GKH_LANG": "ru", "COLUMNS": "80"})
    assert table.exit_code == 0 and max(len(line) for line in table.stdout.splitlines()) <= 80


@pytest.mark.sqlite_only
def test_the_demos_meetings_results_with_and_without_quorum(home):
    voting = gkh_json("meeting", "results", "MT-000001")
    assert (voting["status"], voting["final"], voting["quorum"]) == ("voting", False, False)
    closed = gkh_json("meeting", "results", "MT-000002")
    assert (closed["status"], closed["final"], closed["quorum"]) == ("closed", True, True)
    adopted = {q["number"]: (q["two_thirds"], q["of"], q["adopted"]) for q in closed["questions"]}
    assert adopted[1] == (False, "voted", True) and adopted[2] == (True, "all", False)
    table = gkh("meeting", "results", "MT-000002", tty=True, env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.stderr
    assert table.stdout.splitlines()[0].split()[:3] == ["No.", "For,", "m²"]
    assert "quorum met" in table.stderr and "the results are final" in table.stderr


@pytest.mark.sqlite_only
def test_a_vote_counts_and_the_dry_run_stores_nothing(home):
    before = gkh_json("meeting", "results", "MT-000001")
    dry = gkh("meeting", "vote", "MT-000001", "1=for", "2=AGAINST", "3=воздержался", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout)["votes"] == {"1": "for", "2": "against", "3": "abstain"}
    assert "stored nothing" in dry.stderr
    assert gkh_json("meeting", "results", "MT-000001") == before
    assert gkh("meeting", "vote", "MT-000001", "1=for", "2=against", "3=abstain").exit_code == 0
    after = gkh_json("meeting", "results", "MT-000001")
    assert float(after["voted_area"]) > float(before["voted_area"])


# --- over HTTP -------------------------------------------------------------------------------------------------


def test_file_review_and_vote_over_http(home, http_portal, toml, notice, monkeypatch):
    for user in ("petrova", "inspector"):
        assert gkh("--profile", f"http-{user}", "config", "set", "url", http_portal).exit_code == 0
        signed = gkh("--profile", f"http-{user}", "auth", "login", "--user", user, "--password-stdin",
                     input=password_of(user) + "\n")
        assert signed.exit_code == 0, signed.stderr
    filed = gkh_json("--profile", "http-petrova", "meeting", "file", str(toml()), "--notice", str(notice))
    assert (filed["status"], filed["review_due"]) == ("under_review", REVIEW_DUE)
    approved = gkh_json("--profile", "http-inspector", "meeting", "review", filed["id"], "--approve")
    assert approved["status"] == "published"
    monkeypatch.setenv("GKH_NOW", VOTING_NOW)
    signed = gkh("--profile", "http-petrova", "auth", "login", "--user", "petrova", "--password-stdin",
                 input=password_of("petrova") + "\n")
    assert signed.exit_code == 0, signed.stderr
    voted = gkh_json("--profile", "http-petrova", "meeting", "vote", filed["id"], "1=за")
    assert voted["votes"] == {"1": "for"}
    assert gkh_json("--profile", "http-petrova", "meeting", "results", filed["id"])["questions"][0]["for"]["area"] \
        == voted["area"]
