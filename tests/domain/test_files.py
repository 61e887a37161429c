"""Attachments are told by their content as well as their name; their names are data, never paths."""

from __future__ import annotations

import io
import zipfile

import pytest

from gkh.domain.errors import InvalidInput
from gkh.domain.files import MAX_FILE_BYTES, check_file, check_file_name, sniff

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("Уведомление о собрании.pdf", PDF, "pdf"),
    ("фото протечки.PNG", PNG, "png"),
    ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "jpeg"),
    ("scan.tif", b"II*\x00" + b"\x00" * 20, "tiff"),
    ("акт.docx", DOCX, "docx"),
    ("расчёт.xlsx", XLSX, "xlsx"),
    ("текст.odt", ODT, "odt"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "xls"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "doc"),
    ("письмо.rtf", b"{\\rtf1\\ansi hello}", "rtf"),
    ("заметка.txt", "Текст в UTF-8".encode(), "txt"),
    ("заметка.txt", "Текст в cp1251".encode("cp1251"), "txt"),
])
def test_accepted_by_name_and_content(name, content, kind):
    checked, found = check_file(name, content)
    assert checked == name and found.kind == kind


@pytest.mark.parametrize(("name", "content", "message"), [
    ("notice.pdf", PNG, "is not a PDF file by its content"),
    ("акт.docx", ODT, "is not a DOCX file by its content"),
    ("program.exe", b"MZ\x90\x00", ".exe files are not accepted"),
    ("Уведомление.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "is not a PDF file by its content \\(it is ELF\\)"),
    ("scan.png", b"GIF89a" + b"\x00" * 20, "is not a PNG file by its content \\(it is GIF\\)"),
    ("notice.pdf", b"", "is empty"),
    ("notice.pdf", b"%PDF-" + b"0" * MAX_FILE_BYTES, "is larger than 10 MiB"),
    ("binary.txt", b"abc\x00def", "is not a TXT file by its content"),
    ("README", b"text", "has no extension"),
    ("../etc/passwd.txt", b"root", "is not a plain file name"),
    ("a\nb.txt", b"x", "is not a plain file name"),
    ("я" * 98 + ".pdf", PDF, "at most 100 characters"),
])
def test_refused_naming_the_file(name, content, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        check_file(name, content, field="attach")
    assert caught.value.field == "attach"
    assert caught.value.message.startswith("attach: ")


def test_a_name_is_kept_as_given_but_normalised():
    decomposed = "е\u0308лка.pdf"  # ё as e + combining diaeresis: what some file systems hand over
    assert check_file_name(decomposed) == ("ёлка.pdf", "pdf")


def test_a_broken_zip_is_nothing():
    assert sniff(b"PK\x03\x04" + b"\x00" * 40) is None
