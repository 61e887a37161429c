"""Downloading to a path: streamed into a temporary file beside the target, renamed into place only when whole;
a cut-short answer leaves nothing behind."""

from __future__ import annotations

import os
import stat

import pytest

from gkh.client.api import Client, Downloaded, RetryPolicy
from gkh.client.errors import InvalidRequest, NotFound, Unreachable
from tests.helpers.files import ScriptedHttpServer, http_answer, recording_session

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
CSV = "ЕЛС;сумма\n77ЕЖ532838;1520.40\n".encode() * 1000


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="t", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_file_lands_whole_at_its_path_and_says_where_and_how_big(stub, client, tmp_path):
    stub.get(f"{API}/bills/export", body=CSV, content_type="text/csv; charset=utf-8")
    got = client.download("/bills/export", tmp_path / "bills.csv", params={"period": "2026-11"})
    assert got == Downloaded(tmp_path / "bills.csv", len(CSV), "text/csv")
    assert (tmp_path / "bills.csv").read_bytes() == CSV
    assert leftovers(tmp_path) == ["bills.csv"]
    assert stub.calls[0].request.headers["Accept"] == "*/*"
    assert stub.calls[0].request.params == {"period": "2026-11"}


def test_the_answer_is_read_as_a_stream(tmp_path):
    session, recorder = recording_session((200, {"Content-Type": "text/csv"}, CSV))
    client = Client(BASE, session=session, retry=RetryPolicy(attempts=1))
    client.download("/bills/export", tmp_path / "bills.csv", accept="text/csv")
    assert recorder.calls[0]["stream"] is True
    assert recorder.calls[0]["headers"]["Accept"] == "text/csv"


def test_the_file_gets_the_mode_any_new_file_of_the_user_gets(stub, client, tmp_path):
    stub.get(f"{API}/bills/export", body=CSV)
    old = os.umask(0o027)
    try:
        client.download("/bills/export", tmp_path / "bills.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "bills.csv").stat().st_mode) == 0o640


def test_an_existing_file_is_kept_unless_told_to_overwrite(stub, client, tmp_path):
    target = tmp_path / "bills.csv"
    target.write_text("mine")
    with pytest.raises(InvalidRequest) as caught:
        client.download("/bills/export", target)
    assert (caught.value.code, caught.value.field) == ("file_exists", "target")
    assert len(stub.calls) == 0 and target.read_text() == "mine"  # refused before asking the portal
    stub.get(f"{API}/bills/export", body=CSV)
    client.download("/bills/export", target, overwrite=True)
    assert target.read_bytes() == CSV and leftovers(tmp_path) == ["bills.csv"]


def test_into_a_folder_under_the_name_the_portal_gives(stub, client, tmp_path):
    stub.get(f"{API}/bills/B-1/receipt", body=b"<html>ok</html>", content_type="text/html",
             headers={"X-File-Name": "UTF-8''%D0%9A%D0%B2%D0%B8%D1%82%D0%B0%D0%BD%D1%86%D0%B8%D1%8F.html"})
    stub.get(f"{API}/bills/B-1/letter", body=b"From: portal\r\n\r\nhi", content_type="message/rfc822",
             headers={"Content-Disposition": "attachment; filename*=UTF-8''%D0%9F%D0%B8%D1%81%D1%8C%D0%BC%D0%BE.eml"})
    assert client.download("/bills/B-1/receipt", tmp_path).path == tmp_path / "Квитанция.html"
    assert client.download("/bills/B-1/letter", tmp_path).path == tmp_path / "Письмо.eml"
    assert leftovers(tmp_path) == ["Квитанция.html", "Письмо.eml"]


@pytest.mark.parametrize("headers", [{}, {"X-File-Name": "UTF-8''..%2F..%2Fetc%2Fpasswd"},
                                     {"Content-Disposition": 'attachment; filename="../x"'}])
def test_into_a_folder_without_a_name_it_can_use_nothing_is_written(stub, client, tmp_path, headers):
    into = tmp_path / "into"
    into.mkdir()
    stub.get(f"{API}/bills/export", body=CSV, headers=headers)
    with pytest.raises(InvalidRequest) as caught:
        client.download("/bills/export", into)
    assert caught.value.field == "target"
    assert leftovers(into) == [] and leftovers(tmp_path) == ["into"]


def test_an_error_answer_is_typed_and_writes_nothing(stub, client, tmp_path):
    stub.get(f"{API}/bills/B-9/receipt", status=404,
             json={"error": {"code": "bill_not_found", "message": "no bill B-9 among yours", "field": None}})
    with pytest.raises(NotFound) as caught:
        client.download("/bills/B-9/receipt", tmp_path / "r.html")
    assert caught.value.code == "bill_not_found"
    assert leftovers(tmp_path) == []


def test_a_missing_folder_is_refused_before_asking(stub, client, tmp_path):
    with pytest.raises(InvalidRequest) as caught:
        client.download("/bills/export", tmp_path / "no" / "bills.csv")
    assert caught.value.field == "target" and len(stub.calls) == 0


# --- answers cut short, over real HTTP --------------------------------------------------------------


@pytest.fixture
def served():
    servers: list[ScriptedHttpServer] = []

    def start(*answers: bytes) -> ScriptedHttpServer:
        servers.append(ScriptedHttpServer(*answers))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_an_answer_cut_short_every_time_leaves_no_file_and_is_unreachable(served, tmp_path, sleeps):
    cut = http_answer("200 OK", {"Content-Type": "text/csv"}, CSV, send=len(CSV) // 2)
    server = served(cut, cut)
    client = Client(server.url, timeout=5, retry=RetryPolicy(attempts=2, sleep=sleeps.append, jitter=lambda: 1.0))
    with pytest.raises(Unreachable) as caught:
        client.download("/bills/export", tmp_path / "bills.csv")
    assert caught.value.message == f"cannot reach {server.url[7:]}: the answer was cut short"
    assert leftovers(tmp_path) == []
    assert len(server.requests) == 2 and sleeps == [0.5]


def test_a_download_cut_short_once_is_fetched_again_whole(served, tmp_path, sleeps):
    server = served(http_answer("200 OK", {"Content-Type": "text/csv"}, CSV, send=100),
                    http_answer("200 OK", {"Content-Type": "text/csv"}, CSV))
    client = Client(server.url, timeout=5, retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))
    got = client.download("/bills/export", tmp_path / "bills.csv")
    assert got.size == len(CSV) and (tmp_path / "bills.csv").read_bytes() == CSV
    assert leftovers(tmp_path) == ["bills.csv"]


def test_in_process_a_download_lands_too(tmp_path):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/csv; charset=utf-8"), ("Content-Length", str(len(CSV)))])
        return [CSV[:1000], CSV[1000:]]

    got = Client.in_process(app, "p").download("/bills/export", tmp_path / "bills.csv")
    assert got.size == len(CSV) and (tmp_path / "bills.csv").read_bytes() == CSV
