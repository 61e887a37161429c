"""Files people attach (an appeal's attachments, a meeting's notice): the kinds the portal accepts, told by their
content as well as by their name, and the limits on their names and sizes.

A name is data, never a path: it is kept as given (Cyrillic too) once it passes `check_file_name`, and the
portal stores the bytes under an id of its own. A file is accepted when its extension is one of KINDS and its
first bytes are what that kind starts with: a PNG renamed `.pdf` is refused, and so is a program renamed
`.docx`.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import quoted
from gkh.i18n import _

__all__ = ["KINDS", "MAX_FILE_BYTES", "MAX_NAME_CHARS", "FileKind", "check_file_name", "check_file", "sniff"]

MAX_FILE_BYTES = 10 * 1024 * 1024  # 10 MiB each (DESIGN.md §2: appeal)
MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class FileKind:
    kind: str  # pdf, jpeg, png, tiff, doc, docx, xls, xlsx, odt, ods, rtf, txt
    media_type: str


_PDF = FileKind("pdf", "application/pdf")
_JPEG = FileKind("jpeg", "image/jpeg")
_PNG = FileKind("png", "image/png")
_TIFF = FileKind("tiff", "image/tiff")
_DOC = FileKind("doc", "application/msword")
_XLS = FileKind("xls", "application/vnd.ms-excel")
_DOCX = FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
_XLSX = FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_ODT = FileKind("odt", "application/vnd.oasis.opendocument.text")
_ODS = FileKind("ods", "application/vnd.oasis.opendocument.spreadsheet")
_RTF = FileKind("rtf", "application/rtf")
_TXT = FileKind("txt", "text/plain")

# The extensions accepted, each with the kind its content must be.
KINDS: dict[str, FileKind] = {
    "pdf": _PDF, "jpg": _JPEG, "jpeg": _JPEG, "png": _PNG, "tif": _TIFF, "tiff": _TIFF, "doc": _DOC,
    "docx": _DOCX, "xls": _XLS, "xlsx": _XLSX, "odt": _ODT, "ods": _ODS, "rtf": _RTF, "txt": _TXT,
}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97 and Excel 97 files alike: the extension tells which
_SIGNATURE_BYTES = 8192  # what filetype reads of a file (an OOXML file's first entries too)
# filetype's names for the kinds accepted.
_BY_GUESS = {"pdf": _PDF, "jpg": _JPEG, "png": _PNG, "tif": _TIFF, "docx": _DOCX, "xlsx": _XLSX, "odt": _ODT,
             "ods": _ODS, "rtf": _RTF}


def check_file_name(name: str, field: str = "name") -> tuple[str, str]:
    """A file's name as people give it → (the name, NFC-normalised and trimmed; its lower-case extension).
    Refused: empty, over 100 characters, a path (separators, "." or ".."), control characters, no extension."""
    text = unicodedata.normalize("NFC", name).strip() if isinstance(name, str) else ""
    if not text:
        raise InvalidInput(_("{field}: a file needs a name").format(field=field), field)
    if len(text) > MAX_NAME_CHARS:
        raise InvalidInput(_("{field}: a file's name may have at most {limit} characters; {name} has {count}")
                           .format(field=field, limit=MAX_NAME_CHARS, name=quoted(text[:40] + "…"),
                                   count=len(text)), field)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text) or "/" in text or "\\" in text \
            or text in (".", ".."):
        raise InvalidInput(_("{field}: {name} is not a plain file name").format(field=field, name=quoted(text)), field)
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem:
        raise InvalidInput(_("{field}: {name} has no extension; accepted: {kinds}").format(
            field=field, name=quoted(text), kinds=", ".join(KINDS)), field)
    return text, extension.lower()


def sniff(content: bytes) -> FileKind | None:
    """The kind the bytes are: by the `filetype` library's signatures, then by explicit rules where it has none or
    errs — Word 97 and Excel 97 (OLE2 compound files), RTF, a ZIP it does not place (told by what the archive holds:
    Office Open XML or OpenDocument), plain text; None when nothing fits. A kind the portal does not accept (an
    executable, an archive) comes back as what it is, so a refusal can name it."""
    import filetype  # imported when a file is checked: the command line's start-up never needs it

    guessed = filetype.guess(content[:_SIGNATURE_BYTES])
    if guessed is not None:
        known = _BY_GUESS.get(guessed.extension)
        if known is not None:
            return known
        if guessed.extension != "zip":
            return FileKind(guessed.extension, guessed.mime)
    head = content[:16]
    if head.startswith(_OLE2):
        return _DOC  # or _XLS: both are OLE2 compound files
    if head.startswith(b"{\\rtf"):
        return _RTF
    if head.startswith(b"PK\x03\x04"):
        return _zipped(content)
    if _is_text(content):
        return _TXT
    return None


def check_file(name: str, content: bytes, field: str = "file") -> tuple[str, FileKind]:
    """A file to attach: its checked name and its kind, or InvalidInput naming the file: too large, empty, an
    extension not accepted, or content that is not what its extension says."""
    text, extension = check_file_name(name, field)
    kind = KINDS.get(extension)
    if kind is None:
        raise InvalidInput(_("{field}: {name}: .{extension} files are not accepted; accepted: {kinds}").format(
            field=field, name=quoted(text), extension=extension, kinds=", ".join(KINDS)), field)
    if not content:
        raise InvalidInput(_("{field}: {name} is empty").format(field=field, name=quoted(text)), field)
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(_("{field}: {name} is larger than 10 MiB ({size} bytes)").format(
            field=field, name=quoted(text), size=len(content)), field)
    found = sniff(content)
    same = found is not None and (found == kind or {found.kind, kind.kind} == {"doc", "xls"})
    if not same and found is not None:
        raise InvalidInput(_("{field}: {name} is not a {kind} file by its content (it is {found})").format(
            field=field, name=quoted(text), kind=kind.kind.upper(), found=found.kind.upper()), field)
    if not same:
        raise InvalidInput(_("{field}: {name} is not a {kind} file by its content").format(
            field=field, name=quoted(text), kind=kind.kind.upper()), field)
    return text, kind


def _zipped(content: bytes) -> FileKind | None:
    """An Office Open XML or OpenDocument file, told by what the archive holds."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return {_ODT.media_type: _ODT, _ODS.media_type: _ODS}.get(mimetype)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return _DOCX
        if any(n.startswith("xl/") for n in names):
            return _XLSX
    return None


def _is_text(content: bytes) -> bool:
    """Plain text: no NUL, and UTF-8 (a BOM allowed) or Windows-1251 without control characters but line ends
    and tabs."""
    sample = content[:65536]
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            if encoding == "utf-8-sig" and len(content) > len(sample):
                # The sample may end inside a character: judge it without its last three bytes.
                try:
                    text = sample[:-3].decode(encoding)
                except UnicodeDecodeError:
                    continue
            else:
                continue
        return not any(ord(c) < 32 and c not in "\r\n\t\f" for c in text)
    return False
