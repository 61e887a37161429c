"""gkh appeal through the command line, in-process on the embedded demo portal (local://, always SQLite): each rule
— one topic and one text, the text UTF-8 (a file, or stdin), every attachment checked by its content before any
request (a real PDF, PNG, DOCX, ODT, XLS, text in cp1251 and UTF-8 accepted; an ELF renamed .pdf and an 11 MiB
file refused), names kept as data (a path with ../ gives its plain name, Cyrillic kept) — and the whole life: a
resident sends with attachments, the managing organisation's staff take it and answer with a file, the author
downloads it byte-identical; withdrawing; then over HTTP against a served portal.

The files are written by the tests themselves."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import pytest

from tests.cli.test_cli_meetings import pdf_bytes
from tests.helpers.cli import gkh

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
