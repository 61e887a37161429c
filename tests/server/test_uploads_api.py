"""Uploading a file before it is used (POST /uploads) over HTTP, on both engines: the raw body with its name in
X-File-Name, checked by its content; the limits; Idempotency-Key; free uploads deleted after a day.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW)."""

from __future__ import annotations

import hashlib
import re
import zlib

import pytest

from gkh.protocol import encode_file_name
from tests.helpers.api import assert_error
from tests.helpers.rows import db

OCTETS = "application/octet-stream"


def pdf(text: str = "Notice of the owners' general meeting") -> bytes:
    """A real one-page PDF with one line of text: objects, a cross-reference table with their offsets, a trailer."""
    stream = f"BT /F1 12 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
               b" /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def png() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def upload(api, content: bytes, name: str = "Сообщение о собрании.pdf", **headers):
    return api.post("/uploads", data=content,
                    headers={"X-File-Name": encode_file_name(name), "Content-Type": OCTETS, **headers})


def uploads(home) -> list:
    with db(home) as conn:
        return conn.execute("SELECT id, user_id, name, media_type, size, data, created_at, used_by FROM uploads"
                            " ORDER BY created_at, id").fetchall()


def test_a_pdf_is_stored_under_an_id_of_its_own(petrova, home):
    before = len(uploads(home))
    content = pdf()
    resp = upload(petrova, content)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert re.fullmatch(r"F-[0-9a-f]{16}", body["id"])
    assert body == {"id": body["id"], "name": "Сообщение о собрании.pdf", "size": len(content),
                    "type": "application/pdf"}
    rows = uploads(home)
    assert len(rows) == before + 1
    row = next(r for r in rows if r["id"] == body["id"])
    assert bytes(row["data"]) == content and row["used_by"] is None and row["name"] == "Сообщение о собрании.pdf"


def test_a_plain_ascii_name_is_taken_too(petrova):
    resp = petrova.post("/uploads", data=pdf(), headers={"X-File-Name": "notice.pdf", "Content-Type": OCTETS})
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "notice.pdf"


def test_a_png_renamed_pdf_is_refused_by_its_content(petrova, home):
    before = len(uploads(home))
    error = assert_error(upload(petrova, png(), "notice.pdf"), 400, "invalid", "file")
    assert "notice.pdf" in error["message"] and "PDF" in error["message"]
    assert len(uploads(home)) == before
    # As itself, the PNG is a file like any other.
    assert upload(petrova, png(), "plan.png").json()["type"] == "image/png"


@pytest.mark.parametrize(("name", "content"), [("notice.exe", b"MZ\x90\x00"), ("notice.pdf", b"")])
def test_a_kind_not_accepted_or_an_empty_file_is_refused(petrova, home, name, content):
    before = len(uploads(home))
    assert_error(upload(petrova, content, name), 400, "invalid", "file")
    assert len(uploads(home)) == before


def test_the_name_is_required_and_must_be_a_name(petrova, home):
    before = len(uploads(home))
    resp = petrova.post("/uploads", data=pdf(), headers={"Content-Type": OCTETS})
    assert "X-File-Name" in assert_error(resp, 400, "invalid", "X-File-Name")["message"]
    resp = petrova.post("/uploads", data=pdf(), headers={"Content-Type": OCTETS, "X-File-Name": "../etc/x.pdf"})
    assert_error(resp, 400, "invalid", "X-File-Name")
    assert len(uploads(home)) == before


def test_over_ten_mebibytes_is_413_and_nothing_stored(petrova, home):
    before = len(uploads(home))
    content = pdf() + b"\n" * (10 * 1024 * 1024)
    assert_error(upload(petrova, content), 413, "too_large", "file")
    # Streamed without a Content-Length, too.
    resp = petrova.post("/uploads", data=iter([content[:1024], content[1024:]]),
                        headers={"X-File-Name": "notice.pdf", "Content-Type": OCTETS})
    assert_error(resp, 413, "too_large", "file")
    assert len(uploads(home)) == before


def test_exactly_ten_mebibytes_is_taken(petrova):
    head = pdf()
    content = head + b"\n" * (10 * 1024 * 1024 - len(head))
    resp = upload(petrova, content)
    assert resp.status_code == 201, resp.text
    assert resp.json()["size"] == 10 * 1024 * 1024


def test_signing_in_is_required(http_portal):
    from tests.helpers.api import Api

    assert_error(upload(Api(http_portal), pdf()), 401, "unauthenticated")


def test_the_same_idempotency_key_stores_once(petrova, home):
    before = len(uploads(home))
    first = upload(petrova, pdf(), **{"Idempotency-Key": "notice-1"})
    again = upload(petrova, pdf(), **{"Idempotency-Key": "notice-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert len(uploads(home)) == before + 1
    # The same key with other bytes is another request: refused.
    other = upload(petrova, pdf("another"), **{"Idempotency-Key": "notice-1"})
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")


def test_a_free_upload_is_deleted_a_day_later_when_another_is_stored(petrova, ivanov, home, monkeypatch):
    kept = upload(petrova, pdf()).json()["id"]
    with db(home) as conn:  # taken by a meeting: kept whatever its age
        conn.execute("UPDATE uploads SET used_by = 'MT-000001' WHERE id = ?", (kept,))
    free = upload(petrova, pdf()).json()["id"]
    monkeypatch.setenv("GKH_NOW", "2026-11-21T11:59:00+03:00")
    upload(ivanov, pdf())
    assert {free, kept} <= {r["id"] for r in uploads(home)}  # not a day old yet
    monkeypatch.setenv("GKH_NOW", "2026-11-21T12:01:00+03:00")
    newest = upload(ivanov, pdf()).json()["id"]
    ids = {r["id"] for r in uploads(home)}
    assert free not in ids and {kept, newest} <= ids
    # The demo meetings' notices are used: never deleted.
    with db(home) as conn:
        assert conn.execute("SELECT count(*) FROM uploads WHERE used_by IN ('MT-000001', 'MT-000002')"
                            ).fetchone()[0] == 3


def test_the_stored_bytes_are_the_sent_ones(ivanov, home):
    content = pdf("checksum")
    body = upload(ivanov, content).json()
    row = next(r for r in uploads(home) if r["id"] == body["id"])
    assert hashlib.sha256(bytes(row["data"])).hexdigest() == hashlib.sha256(content).hexdigest()
