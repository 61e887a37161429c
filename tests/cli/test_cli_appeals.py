"""gkh appeal through the command line, in-process on the embedded demo portal (local://, always SQLite): each rule
— one topic and one text, the text UTF-8 (a file, or stdin), every attachment checked by its content before any
request (a real PDF, PNG, DOCX, ODT, XLS, text in cp1251 and UTF-8 accepted; an ELF renamed .pdf and an 11 MiB
file refused), names kept as data (a path with ../ gives its plain name, Cyrillic kept) — and the whole life: a
resident sends with attachments, the managing organisation's staff take it and answer with a file, the author
downloads it byte-identical; withdrawing; then over HTTP against a served portal.

The files are written by the tests themselves."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import struct
import zipfile
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.cli.test_cli_meetings import pdf_bytes
from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.demo import password_of

APPEAL_FIELDS = {"id", "house", "topic", "addressee", "status", "registered_at", "due_date", "text", "attachments",
                 "answer", "author", "taken_at", "withdrawn_at"}
TEXT = "Протекает крыша над квартирой 12 после каждого дождя. Прошу провести осмотр и ремонт кровли."
ANSWER = "Осмотр кровли назначен на 25.11.2026, ремонт — до 01.12.2026. Акт осмотра прилагаем."


# --- files as people attach them, made here -----------------------------------------------------------------------


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real PNG: signature, IHDR, one IDAT of grey pixels, IEND, each chunk with its CRC."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def zipped(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries):
            archive.writestr(name, data, zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zipped([
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                                b'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'),
        ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>'),
        ("word/document.xml", '<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>Акт</w:t></w:r></w:p>'
                              '</w:body></w:document>'.encode()),
    ])


def odt_bytes() -> bytes:
    return zipped([("mimetype", b"application/vnd.oasis.opendocument.text"),
                   ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest/>'),
                   ("content.xml", '<?xml version="1.0"?><office:document-content>Заявление'
                                   '</office:document-content>'.encode())], stored_first=True)


def xls_bytes() -> bytes:
    """An Excel 97 file's start: the OLE2 compound file header, then its sectors (empty here)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHH", 0x3E, 3, 0xFFFE) \
        + struct.pack("<H", 9) + struct.pack("<H", 6)
    return header + b"\x00" * (512 - len(header)) + b"\xff" * 512


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100


@pytest.fixture
def files(tmp_path):
    """Every kind of file a test attaches, written to a folder of its own, by name."""
    folder = tmp_path / "files"
    folder.mkdir()
    made = {
        "акт осмотра.pdf": pdf_bytes("Inspection report"),
        "фото.png": png_bytes(),
        "акт.docx": docx_bytes(),
        "заявление.odt": odt_bytes(),
        "расчёт.xls": xls_bytes(),
        "письмо-1251.txt": "Текст письма в кодировке Windows-1251.\r\n".encode("cp1251"),
        "письмо-utf8.txt": "Текст письма в UTF-8.\n".encode(),
        "program.pdf": ELF,
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def offline(home):
    """A profile whose portal cannot be reached: whatever it runs makes no request, or fails with exit 6."""
    assert gkh("--profile", "offline", "config", "set", "url", "http://127.0.0.1:9").exit_code == 0
    return ["--profile", "offline"]


def send_args(*more: str, topic: str = "roof", to: str = "ORG-0001") -> list[str]:
    return ["appeal", "send", "--house", "ленина 5", "--topic", topic, "--to", to, *more]


# --- refused before any request ---------------------------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize("topics", [[], ["--topic", "roof", "--other-topic", "Шум"]])
def test_exactly_one_topic_or_exit_2_naming_both(offline, topics):
    result = gkh(*offline, "appeal", "send", "--house", "ленина 5", "--to", "ORG-0001", "--text", TEXT, *topics)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "gkh: give either --topic CODE or --other-topic TITLE\n"


@pytest.mark.sqlite_only
@pytest.mark.parametrize("title,count", [("   ", 0), ("Ш" * 251, 251)])
def test_ones_own_topic_has_1_to_250_characters(offline, title, count):
    result = gkh(*offline, "appeal", "send", "--house", "ленина 5", "--to", "ORG-0001", "--text", TEXT,
                 "--other-topic", title)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"gkh: --other-topic: 1 to 250 characters; got {count}\n"


@pytest.mark.sqlite_only
def test_exactly_one_text_within_10000_characters(offline, tmp_path):
    both = gkh(*offline, *send_args("--text", TEXT, "--text-file", "-"))
    neither = gkh(*offline, *send_args())
    for result in (both, neither):
        assert (result.exit_code, result.stderr) == (2, "gkh: give either --text or --text-file (- for stdin)\n")
    long = gkh(*offline, *send_args("--text", "я" * 10001))
    assert (long.exit_code, long.stderr) == (2, "gkh: the text may have at most 10000 characters; it has 10001\n")
    empty = gkh(*offline, *send_args("--text-file", "-"), input=" \n")
    assert (empty.exit_code, empty.stderr) == (2, "gkh: the text is empty\n")
    missing = gkh(*offline, *send_args("--text-file", str(tmp_path / "нет.txt")))
    assert missing.exit_code == 2 and missing.stderr.startswith(f"gkh: --text-file: cannot read {tmp_path}/нет.txt")


@pytest.mark.sqlite_only
def test_a_text_not_in_utf8_is_one_line_naming_the_file_and_the_byte(offline, tmp_path):
    cp1251 = tmp_path / "жалоба.txt"
    cp1251.write_bytes("Крыша течёт".encode("cp1251"))
    result = gkh(*offline, *send_args("--text-file", str(cp1251)))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"gkh: --text-file: {cp1251} is not UTF-8 text: byte 1 is 0xCA; it looks like "
                             "Windows-1251: save it as UTF-8\n")
    broken = "Крыша".encode() + b"\xff\xfe" + "течёт".encode()  # UTF-8 until byte 11
    piped = gkh(*offline, *send_args("--text-file", "-"), input=broken)
    assert (piped.exit_code, piped.stderr) == (2, "gkh: --text-file: stdin is not UTF-8 text: byte 11 is 0xFF\n")


@pytest.mark.sqlite_only
def test_every_bad_attachment_is_reported_on_its_own_line_before_any_request(offline, files, tmp_path):
    big = tmp_path / "скан.pdf"
    with open(big, "wb") as out:
        out.write(pdf_bytes())
        out.truncate(11 * 1024 * 1024)  # 11 MiB
    exe = tmp_path / "setup.exe"
    exe.write_bytes(ELF)
    result = gkh(*offline, *send_args("--text", TEXT, "--attach", str(files / "фото.png"),
                                      "--attach", str(files / "program.pdf"), "--attach", str(big),
                                      "--attach", str(exe), "--attach", str(tmp_path / "нет.pdf"),
                                      "--attach", str(files / "sub" / ".." / "акт.docx")))
    assert (result.exit_code, result.stdout) == (2, "")
    lines = result.stderr.splitlines()
    assert lines[0] == 'gkh: --attach: "program.pdf" is not a PDF file by its content (it is ELF)'
    assert lines[1] == f'gkh: --attach: "скан.pdf" is larger than 10 MiB ({11 * 1024 * 1024} bytes)'
    assert lines[2].startswith('gkh: --attach: "setup.exe": .exe files are not accepted; accepted: pdf, jpg, ')
    assert lines[3].startswith(f"gkh: --attach: cannot read {tmp_path}/нет.pdf")
    assert len(lines) == 5 and "акт.docx" in lines[4]  # a folder on the way that is not there: not read


@pytest.mark.sqlite_only
def test_more_than_ten_attachments_is_exit_2(offline, files):
    many = [arg for _ in range(11) for arg in ("--attach", str(files / "фото.png"))]
    result = gkh(*offline, *send_args("--text", TEXT, *many))
    assert (result.exit_code, result.stderr) == (2, "gkh: --attach: at most 10 files; got 11\n")


@pytest.mark.sqlite_only
def test_every_accepted_kind_passes_the_local_check_and_reaches_the_portal(offline, files):
    """All the good files pass here: the command goes on to the portal (unreachable: exit 6, not 2)."""
    good = [name for name in sorted(os.listdir(files)) if name != "program.pdf"]
    args = [arg for name in good for arg in ("--attach", str(files / name))]
    result = gkh(*offline, *send_args("--text", TEXT, *args))
    assert result.exit_code == 6, result.stderr
    assert "cannot reach" in result.stderr and "--attach" not in result.stderr


@pytest.mark.sqlite_only
@pytest.mark.parametrize("verb", [["show"], ["withdraw", "--yes"], ["take"], ["download"],
                                  ["answer", "--text", "ответ"]])
def test_a_malformed_appeal_id_is_exit_2(offline, verb):
    result = gkh(*offline, "appeal", verb[0], "AP-1", *verb[1:])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "gkh: appeal must be an appeal's id such as A-000001; got \"AP-1\"\n"


@pytest.mark.sqlite_only
def test_withdrawing_off_a_terminal_needs_yes(offline):
    result = gkh(*offline, "appeal", "withdraw", "A-000001")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "gkh: this needs confirmation: add --yes to run it without a terminal\n"
    typed = gkh(*offline, "appeal", "withdraw", "a-1", tty=True, input="n\n")
    assert typed.exit_code == 1 and typed.stderr.startswith("Withdraw the appeal A-000001? It cannot be sent again.")
    assert typed.stderr.endswith("gkh: cancelled\n")


@pytest.mark.sqlite_only
def test_download_into_a_folder_that_is_not_there_is_exit_2(offline, tmp_path):
    result = gkh(*offline, "appeal", "download", "A-000001", "--dir", str(tmp_path / "нет"))
    assert (result.exit_code, result.stderr) == (2, f"gkh: --dir: there is no folder {tmp_path}/нет\n")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["list", "--status", "done"], ["addressees", "--type", "bank"]])
def test_a_status_or_type_not_known_is_exit_2(offline, args):
    result = gkh(*offline, "appeal", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "is not one of" in result.stderr


# --- on the embedded portal -------------------------------------------------------------------------------------


@pytest.fixture
def ivanov(home):
    """The demo portal with its demo resident signed in on the default profile (said once, on the first run)."""
    assert gkh("auth", "status").exit_code == 0
    return home


def store(home, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def send(*args: str, profile: str | None = None, **kwargs):
    return gkh(*(["--profile", profile] if profile else []), "appeal", "send", "--house", "ленина 5", *args,
               **kwargs)


@pytest.mark.sqlite_only
def test_every_accepted_kind_is_uploaded_under_its_plain_name_cyrillic_kept(ivanov, files):
    (files / "sub").mkdir()
    good = [name for name in sorted(os.listdir(files)) if name.endswith((".pdf", ".png", ".docx", ".odt", ".xls",
                                                                         ".txt")) and name != "program.pdf"]
    attach = [arg for name in good for arg in ("--attach", str(files / "sub" / ".." / name))]
    result = send("--topic", "maintenance", "--to", "ORG-0001", "--text", TEXT, *attach, "--json")
    assert result.exit_code == 0, result.stderr
    appeal = json.loads(result.stdout)
    assert set(appeal) == APPEAL_FIELDS
    assert [(f["name"], f["size"]) for f in appeal["attachments"]] == [
        (name, (files / name).stat().st_size) for name in good]
    assert {f["name"]: f["type"] for f in appeal["attachments"]}["акт.docx"] == \
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    stored = dict(store(ivanov, f"SELECT u.name, u.data FROM uploads u JOIN appeal_files f ON f.upload_id = u.id "
                              f"WHERE f.appeal_id = '{appeal['id']}'"))
    assert stored == {name: (files / name).read_bytes() for name in good}


@pytest.mark.sqlite_only
def test_the_whole_life_sent_taken_answered_with_a_file_and_downloaded_byte_identical(ivanov, files, tmp_path):
    login("uk-staff", "uk-staff")
    login("energo-staff", "energo-staff")
    sent = send("--topic", "maintenance", "--to", "7705124833", "--text", TEXT, "--attach",
                str(files / "акт осмотра.pdf"), "--attach", str(files / "фото.png"), tty=True)
    assert sent.exit_code == 0, sent.stderr
    aid = re.search(r"^ID:\s+(A-\d{6})$", sent.stdout, re.M).group(1)
    assert aid == "A-000006"  # after the demo's five
    appeal = gkh_json("appeal", "show", aid)
    assert (appeal["status"], appeal["addressee"]["id"], appeal["topic"]["code"]) == ("sent", "ORG-0001",
                                                                                       "maintenance")
    registered = datetime.fromisoformat(appeal["registered_at"]).astimezone(ZoneInfo("Europe/Moscow")).date()
    assert appeal["due_date"] == (registered + timedelta(days=30)).isoformat()
    assert sent.stderr.splitlines()[-1].endswith(f"the answer is due by {appeal['due_date']}")

    login("petrova", "petrova")
    for profile in ("energo-staff", "petrova"):  # not its addressee's staff, not its author: not there at all
        hidden = gkh("--profile", profile, "appeal", "show", aid)
        assert (hidden.exit_code, hidden.stdout) == (1, ""), hidden.stderr
        assert hidden.stderr.splitlines()[-1].endswith(f"(run: gkh --profile {profile} appeal list)")
    own = gkh("appeal", "take", aid)  # the author sees it, but is no staff of the addressee
    assert (own.exit_code, own.stdout) == (4, "")

    assert aid in [a["id"] for a in gkh_json("--profile", "uk-staff", "appeal", "list", "--status", "sent")]
    taken = gkh_json("--profile", "uk-staff", "appeal", "take", aid)
    assert (taken["status"], taken["author"]) == ("in_work", "Иванов Иван Петрович")
    assert taken["taken_at"]
    again = gkh_json("--profile", "uk-staff", "appeal", "take", aid)  # the same person: unchanged
    assert again["status"] == "in_work"
    answer_text = tmp_path / "ответ.txt"
    answer_text.write_text(ANSWER, encoding="utf-8-sig")  # a BOM is fine
    answered = gkh_json("--profile", "uk-staff", "appeal", "answer", aid, "--text-file", str(answer_text),
                        "--attach", str(files / "акт.docx"), "--attach", str(files / "фото.png"))
    assert answered["status"] == "answered"
    assert answered["answer"]["text"] == ANSWER
    assert [f["name"] for f in answered["answer"]["attachments"]] == ["акт.docx", "фото.png"]

    mine = gkh_json("appeal", "show", aid)
    assert mine["answer"]["text"] == ANSWER and mine["status"] == "answered"
    folder = tmp_path / "скачано"
    folder.mkdir()
    downloaded = gkh("appeal", "download", aid, "--dir", str(folder))
    assert downloaded.exit_code == 0, downloaded.stderr
    written = [folder / n for n in ("акт осмотра.pdf", "фото.png", "акт.docx", "фото (1).png")]
    assert downloaded.stdout.splitlines() == [str(path) for path in written]
    sources = [files / "акт осмотра.pdf", files / "фото.png", files / "акт.docx", files / "фото.png"]
    assert [path.read_bytes() for path in written] == [path.read_bytes() for path in sources]
    twice = gkh("appeal", "download", aid, "--dir", str(folder))  # never over a file: the next number
    assert twice.stdout.splitlines()[0] == str(folder / "акт осмотра (1).pdf")
    assert len(os.listdir(folder)) == 8

    late = gkh("appeal", "withdraw", aid, "--yes")
    assert (late.exit_code, late.stdout) == (5, "")
    assert "answered" in late.stderr
    more = gkh("--profile", "uk-staff", "appeal", "answer", aid, "--text", "ещё")
    assert more.exit_code == 5


@pytest.mark.sqlite_only
def test_the_demos_answered_appeal_downloads_its_photo_and_the_answers_pdf(ivanov, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = gkh("appeal", "download", "A-000001")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["Фото протечки.png", "Акт осмотра кровли.pdf"]
    assert (tmp_path / "Акт осмотра кровли.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "Фото протечки.png").read_bytes().startswith(b"\x89PNG")
    none = gkh("appeal", "download", "A-000005")
    assert (none.exit_code, none.stdout, none.stderr) == (0, "", "gkh: A-000005 has no files\n")


@pytest.mark.sqlite_only
def test_a_file_name_that_is_not_plain_is_never_used_as_a_path(ivanov, tmp_path, monkeypatch):
    from gkh.client.api import Client

    shown = Client.appeal

    def hostile(self, appeal):
        found = shown(self, appeal)
        found["attachments"][0]["name"] = "../../evil.png"
        return found

    monkeypatch.setattr(Client, "appeal", hostile)
    folder = tmp_path / "in"
    folder.mkdir()
    result = gkh("appeal", "download", "A-000001", "--dir", str(folder))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(folder / "Акт осмотра кровли.pdf")]
    assert result.stderr.startswith('gkh: A-000001: the file F-') and \
        result.stderr.endswith(' is named "../../evil.png", not a plain file name: not saved\n')
    assert os.listdir(folder) == ["Акт осмотра кровли.pdf"]
    assert not [p for p in (tmp_path, tmp_path.parent) if (p / "evil.png").exists()]


@pytest.mark.sqlite_only
def test_a_wrong_addressee_is_refused_listing_who_can_receive_it(ivanov):
    before = store(ivanov, "SELECT count(*) FROM appeals")
    result = send("--topic", "utilities", "--to", "ORG-0005", "--text", TEXT)  # Sverdlovsk's inspectorate
    assert (result.exit_code, result.stdout) == (5, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("gkh: --to: ")
    for org in ("ORG-0001", "ORG-0002", "ORG-0004", "ORG-0006"):
        assert org in line
    assert line.endswith('(see: gkh --profile local appeal addressees --house "ленина 5")')
    assert store(ivanov, "SELECT count(*) FROM appeals") == before


@pytest.mark.sqlite_only
def test_a_dry_run_checks_the_files_on_the_portal_and_stores_nothing(ivanov, files):
    tables = "SELECT (SELECT count(*) FROM appeals), (SELECT count(*) FROM uploads)"
    before = store(ivanov, tables)
    dry = send("--other-topic", "Шум от вентиляции", "--to", "ORG-0001", "--text", TEXT, "--attach",
               str(files / "фото.png"), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    appeal = json.loads(dry.stdout)
    assert appeal["id"] is None and appeal["topic"] == {"code": "other", "title": "Шум от вентиляции"}
    assert dry.stderr == "gkh: dry run: the portal checked the appeal and each attachment, and stored nothing\n"
    assert store(ivanov, tables) == before


@pytest.mark.sqlite_only
def test_the_text_from_stdin_and_ones_own_topic(ivanov):
    piped = send("--other-topic", "Шум по ночам", "--to", "ORG-0006", "--text-file", "-", "--json",
                 input=("\ufeff" + TEXT + "\n").encode())
    assert piped.exit_code == 0, piped.stderr
    appeal = json.loads(piped.stdout)
    assert (appeal["text"], appeal["topic"]["title"], appeal["addressee"]["id"]) == (TEXT, "Шум по ночам",
                                                                                    "ORG-0006")
    assert appeal["attachments"] == [] and appeal["answer"] is None


@pytest.mark.sqlite_only
def test_withdrawing_is_the_authors_until_answered(ivanov):
    login("petrova", "petrova")
    others = gkh("appeal", "withdraw", "A-000004", "--yes")  # petrova's: not even seen
    assert (others.exit_code, others.stdout) == (1, "")
    done = gkh("appeal", "withdraw", "a-5", "--yes", "--json")
    assert done.exit_code == 0, done.stderr
    withdrawn = json.loads(done.stdout)
    assert (withdrawn["id"], withdrawn["status"]) == ("A-000005", "withdrawn") and withdrawn["withdrawn_at"]
    for aid, status in (("A-000005", "withdrawn"), ("A-000001", "answered")):
        refused = gkh("appeal", "withdraw", aid, "--yes")
        assert (refused.exit_code, refused.stdout) == (5, ""), refused.stderr
        assert status in refused.stderr
    typed = gkh("--profile", "petrova", "appeal", "withdraw", "A-000004", tty=True, input="да\n")
    assert typed.exit_code == 0, typed.stderr
    assert gkh_json("--profile", "petrova", "appeal", "show", "A-000004")["status"] == "withdrawn"


@pytest.mark.sqlite_only
def test_staff_may_not_send_and_only_the_addressees_staff_answer(ivanov):
    login("uk-staff", "uk-staff")
    login("energo-staff", "energo-staff")
    staff = gkh("--profile", "uk-staff", "appeal", "send", "--house", "ленина 5", "--topic", "yard", "--to",
                "ORG-0006", "--text", TEXT)
    assert (staff.exit_code, staff.stdout) == (4, "")
    other = gkh("--profile", "uk-staff", "appeal", "answer", "A-000003", "--text", "ответ")  # the supplier's
    assert (other.exit_code, other.stdout) == (1, "")
    answered = gkh_json("--profile", "energo-staff", "appeal", "answer", "A-000003", "--text", "Перерасчёт сделан.")
    assert answered["status"] == "answered"
    assert gkh_json("appeal", "show", "A-000003")["answer"]["text"] == "Перерасчёт сделан."


@pytest.mark.sqlite_only
def test_the_demos_appeals_and_the_searches(ivanov):
    assert [a["id"] for a in gkh_json("appeal", "list")] == ["A-000005", "A-000003", "A-000001"]
    assert [a["id"] for a in gkh_json("appeal", "list", "--status", "in_work")] == ["A-000003"]
    assert [a["id"] for a in gkh_json("appeal", "list", "--house", "ленина 5", "--limit", "1")] == ["A-000005"]
    topics = gkh_json("appeal", "topics")
    assert topics[0] == {"code": "house_management", "title": "Управление многоквартирным домом"}
    assert "other" not in [t["code"] for t in topics]
    serving = {o["id"]: o["type"] for o in gkh_json("appeal", "addressees", "--house", "ленина 5")}
    assert serving == {"ORG-0001": "managing", "ORG-0002": "supplier", "ORG-0004": "inspectorate",
                       "ORG-0006": "authority"}
    found = gkh_json("appeal", "addressees", "ЖИЛИЩНАЯ", "--type", "inspectorate")
    assert [o["id"] for o in found] == ["ORG-0004"]
    assert [o["id"] for o in gkh_json("appeal", "addressees", "--inn", "7736402199")] == ["ORG-0002"]
    table = gkh("appeal", "list", tty=True, env={"GKH_LANG": "ru", "COLUMNS": "80"})
    assert table.exit_code == 0 and max(len(line) for line in table.stdout.splitlines()) <= 80


# --- over HTTP -------------------------------------------------------------------------------------------------


def test_send_take_answer_and_download_over_http(home, http_portal, files, tmp_path):
    for user in ("ivanov", "uk-staff"):
        assert gkh("--profile", f"http-{user}", "config", "set", "url", http_portal).exit_code == 0
        signed = gkh("--profile", f"http-{user}", "auth", "login", "--user", user, "--password-stdin",
                     input=password_of(user) + "\n")
        assert signed.exit_code == 0, signed.stderr
    sent = gkh_json("--profile", "http-ivanov", "appeal", "send", "--house", "ленина 5", "--topic", "maintenance",
                    "--to", "ORG-0001", "--text", TEXT, "--attach", str(files / "письмо-1251.txt"))
    assert (sent["status"], [f["name"] for f in sent["attachments"]]) == ("sent", ["письмо-1251.txt"])
    taken = gkh_json("--profile", "http-uk-staff", "appeal", "take", sent["id"])
    assert taken["status"] == "in_work"
    answered = gkh_json("--profile", "http-uk-staff", "appeal", "answer", sent["id"], "--text", ANSWER,
                        "--attach", str(files / "акт осмотра.pdf"))
    assert answered["status"] == "answered"
    folder = tmp_path / "http"
    folder.mkdir()
    downloaded = gkh("--profile", "http-ivanov", "appeal", "download", sent["id"], "--dir", str(folder))
    assert downloaded.exit_code == 0, downloaded.stderr
    assert downloaded.stdout.splitlines() == [str(folder / "письмо-1251.txt"), str(folder / "акт осмотра.pdf")]
    assert (folder / "акт осмотра.pdf").read_bytes() == (files / "акт осмотра.pdf").read_bytes()
    assert (folder / "письмо-1251.txt").read_bytes() == (files / "письмо-1251.txt").read_bytes()


def losing_replies(url_end: str):
    """The embedded transport's send, but the portal's reply to a POST to a URL ending in `url_end` is lost on the
    way back, after the portal has done the work (as a dropped connection)."""
    import requests

    from gkh.client.transport import LocalTransport

    real = LocalTransport.send

    def losing(self, request, *args, **kwargs):
        answer = real(self, request, *args, **kwargs)
        if request.method == "POST" and request.url.endswith(url_end):
            raise requests.exceptions.ConnectionError("the answer was lost on the way back")
        return answer

    return losing


@pytest.mark.sqlite_only
def test_an_appeal_whose_answer_was_lost_is_registered_once_by_the_same_command_run_again(ivanov, files,
                                                                                         tmp_path, monkeypatch):
    """The portal registers the appeal but its answer never arrives: exit 6 and the attempt kept (its key and its
    uploads); the same command run again resumes it, and the portal replays the one appeal with its one file."""
    from gkh.client.transport import LocalTransport

    monkeypatch.setenv("GKH_BACKOFF", "0")
    losing = losing_replies("/api/v1/appeals")
    command = ["--topic", "maintenance", "--to", "ORG-0001", "--text", TEXT, "--attach", str(files / "фото.png")]
    count = "SELECT count(*) FROM appeals a JOIN users u ON u.id = a.author_id WHERE u.login = 'ivanov'"
    unused = "SELECT count(*) FROM uploads WHERE id NOT IN (SELECT upload_id FROM appeal_files)"
    before, unused_before = store(ivanov, count)[0][0], store(ivanov, unused)
    with monkeypatch.context() as lost:
        lost.setattr(LocalTransport, "send", losing)
        first = send(*command)
    assert first.exit_code == 6, first.stderr
    assert "outcome is unknown: run the same command again within 24 hours" in first.stderr
    kept = json.loads((tmp_path / "state" / "appeals.json").read_text())["attempts"]
    assert [len(entry["body"]["attachments"]) for entry in kept.values()] == [1]
    assert store(ivanov, count)[0][0] == before + 1  # registered, though nobody heard

    again = send(*command, "--json")
    assert again.exit_code == 0, again.stderr
    assert "resuming the appeal attempt" in again.stderr
    assert store(ivanov, count)[0][0] == before + 1  # not twice
    assert [f["name"] for f in json.loads(again.stdout)["attachments"]] == ["фото.png"]
    assert json.loads((tmp_path / "state" / "appeals.json").read_text())["attempts"] == {}
    assert store(ivanov, unused) == unused_before  # the second run uploaded nothing again


@pytest.mark.sqlite_only
def test_an_answer_whose_outcome_was_lost_is_stored_once_by_the_same_command_run_again(ivanov, files, tmp_path,
                                                                                      monkeypatch):
    """The portal stores the staff's answer but its reply never arrives: exit 6, the attempt kept; the same command
    run again resumes it and gets the answered appeal (not a refusal as answered already), its file uploaded once."""
    from gkh.client.transport import LocalTransport

    login("energo-staff", "energo-staff")
    monkeypatch.setenv("GKH_BACKOFF", "0")
    losing = losing_replies("/answer")
    command = ["--profile", "energo-staff", "appeal", "answer", "A-000003", "--text", "Перерасчёт сделан.",
               "--attach", str(files / "акт осмотра.pdf")]
    unused = "SELECT count(*) FROM uploads WHERE id NOT IN (SELECT upload_id FROM appeal_files)"
    unused_before = store(ivanov, unused)
    with monkeypatch.context() as lost:
        lost.setattr(LocalTransport, "send", losing)
        first = gkh(*command)
    assert first.exit_code == 6, first.stderr
    assert "the answer's outcome is unknown: run the same command again within 24 hours" in first.stderr
    assert store(ivanov, "SELECT status FROM appeals WHERE id = 'A-000003'") == [("answered",)]

    again = gkh(*command, "--json")
    assert again.exit_code == 0, again.stderr
    assert "resuming the answer attempt" in again.stderr
    answered = json.loads(again.stdout)
    assert (answered["status"], answered["answer"]["text"]) == ("answered", "Перерасчёт сделан.")
    assert [f["name"] for f in answered["answer"]["attachments"]] == ["акт осмотра.pdf"]
    assert json.loads((tmp_path / "state" / "appeals.json").read_text())["attempts"] == {}
    assert store(ivanov, unused) == unused_before  # the second run uploaded nothing again
    # Answered once: a third run is a new attempt, refused as the appeal is answered.
    assert gkh(*command).exit_code == 5
