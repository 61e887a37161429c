"""Uploading a file as the raw request body: streamed, its name in X-File-Name, one Idempotency-Key per call
whose every retry sends the whole file again from its start."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import tracemalloc

import pytest
import requests
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, ServerError, Unreachable
from tests.helpers.files import ScriptedHttpServer, echo_app, http_answer, recording_session
from tests.helpers.serving import stop_waitress

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
CREATED = (201, {"Content-Type": "application/json"}, b'{"id": "F-1"}')
UNAVAILABLE = (503, {"Content-Type": "application/json"}, b'{"error": {"code": "unavailable", "message": "busy"}}')


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def scan(tmp_path):
    path = tmp_path / "Акт осмотра.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    return path


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="t", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def test_a_file_goes_as_the_body_with_its_name_type_length_and_a_key(stub, client, scan):
    stub.post(f"{API}/appeals/A-1/files", status=201, json={"id": "F-1"},
              match=[matchers.query_param_matcher({"dry_run": "true"})])
    assert client.upload("/appeals/A-1/files", scan, dry_run=True) == {"id": "F-1"}
    sent = stub.calls[0].request
    assert sent.body == scan.read_bytes()
    assert sent.headers["Content-Type"] == "application/pdf"
    assert sent.headers["Content-Length"] == str(scan.stat().st_size)
    assert sent.headers["X-File-Name"] == "UTF-8''%D0%90%D0%BA%D1%82%20%D0%BE%D1%81%D0%BC%D0%BE%D1%82%D1%80%D0%B0.pdf"
    assert sent.headers["Authorization"] == "Bearer t"
    assert len(sent.headers["Idempotency-Key"]) == 36


@pytest.mark.parametrize(("name", "given", "sent"), [
    ("photo.JPG", None, "image/jpeg"),
    ("readings.csv", None, "text/csv"),
    ("letter.eml", None, "message/rfc822"),
    ("data.unknown-ext", None, "application/octet-stream"),
    ("scan.pdf", "application/x-custom", "application/x-custom"),
])
def test_the_type_is_the_one_given_or_guessed_from_the_name(stub, client, tmp_path, name, given, sent):
    path = tmp_path / name
    path.write_bytes(b"x")
    stub.post(f"{API}/files", status=201, json={})
    client.upload("/files", path, content_type=given)
    assert stub.calls[0].request.headers["Content-Type"] == sent


def test_a_file_object_is_sent_from_where_it_stands_under_the_name_given(stub, client):
    file = io.BytesIO(b"HEADER" + b"payload")
    file.seek(6)
    stub.post(f"{API}/files", status=201, json={})
    client.upload("/files", file, file_name="показания.csv")
    sent = stub.calls[0].request
    assert sent.body == b"payload"
    assert sent.headers["Content-Length"] == "7"
    assert sent.headers["Content-Type"] == "text/csv"


def test_an_open_file_lends_its_name(stub, client, scan):
    stub.post(f"{API}/files", status=201, json={})
    with open(scan, "rb") as file:
        client.upload("/files", file)
    assert stub.calls[0].request.headers["X-File-Name"].endswith(".pdf")


def test_an_empty_file_is_an_empty_body_of_length_zero(stub, client, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    stub.post(f"{API}/files", status=201, json={})
    client.upload("/files", empty)
    sent = stub.calls[0].request
    assert not sent.body and sent.headers["Content-Length"] == "0"
    assert "Transfer-Encoding" not in sent.headers


def test_every_retry_sends_the_whole_file_again_under_the_same_key(stub, client, scan, sleeps):
    stub.post(f"{API}/files", status=503, json={"error": {"code": "unavailable", "message": "busy"}})
    stub.post(f"{API}/files", status=201, json={"id": "F-1"})
    assert client.upload("/files", scan) == {"id": "F-1"}
    first, second = (call.request for call in stub.calls)
    assert first.body == second.body == scan.read_bytes()
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert sleeps == [0.5]


def test_a_connection_dropped_mid_upload_is_retried_from_the_first_byte(scan, sleeps):
    session, recorder = recording_session(requests.exceptions.ConnectionError("reset"), CREATED, read_first=1000)
    client = Client(BASE, session=session, retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))
    assert client.upload("/files", scan) == {"id": "F-1"}
    dropped, whole = recorder.calls
    assert "size" not in dropped  # cut after the first 1000 bytes or so
    assert (whole["size"], whole["sha256"]) == (scan.stat().st_size, sha256(scan.read_bytes()))
    assert dropped["headers"]["Idempotency-Key"] == whole["headers"]["Idempotency-Key"]


def test_a_key_given_by_the_caller_is_sent(stub, client, scan):
    stub.post(f"{API}/files", status=201, json={})
    client.upload("/files", scan, idempotency_key="batch-7-file-2")
    assert stub.calls[0].request.headers["Idempotency-Key"] == "batch-7-file-2"


def test_a_large_file_is_streamed_never_read_whole(tmp_path):
    big = tmp_path / "big.bin"
    block = os.urandom(1024 * 1024)
    with open(big, "wb") as out:
        for _ in range(32):
            out.write(block)
    session, recorder = recording_session(CREATED)
    client = Client(BASE, session=session, retry=RetryPolicy(attempts=1))
    tracemalloc.start()
    try:
        client.upload("/files", big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    call = recorder.calls[0]
    assert call["body_type"] not in (bytes, str) and hasattr(call["body_type"], "read")
    assert call["headers"]["Content-Length"] == str(32 * 1024 * 1024)
    assert "Transfer-Encoding" not in call["headers"]
    assert call["size"] == 32 * 1024 * 1024
    assert call["sha256"] == sha256(block * 32)
    assert peak < 4 * 1024 * 1024  # a few blocks in memory, not 32 MB


def pipe_with(data: bytes):
    read_fd, write_fd = os.pipe()

    def feed():
        with os.fdopen(write_fd, "wb") as out:
            out.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return os.fdopen(read_fd, "rb")


def test_a_pipe_is_sent_chunked_and_once(sleeps):
    session, recorder = recording_session(UNAVAILABLE)
    client = Client(BASE, session=session, retry=RetryPolicy(sleep=sleeps.append))
    with pipe_with(b"row;1\n" * 50_000) as pipe, pytest.raises(ServerError):
        client.upload("/imports", pipe, file_name="rows.csv")
    (call,) = recorder.calls  # a pipe cannot be read again: no retry
    assert call["headers"]["Transfer-Encoding"] == "chunked" and "Content-Length" not in call["headers"]
    assert call["size"] == 300_000
    assert sleeps == []


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"file_name": "../etc/passwd"}, "file_name"),
    ({"file_name": "a\x00b.pdf"}, "file_name"),
    ({"file_name": "\udcff.pdf"}, "file_name"),  # undecodable bytes in a name from the file system
    ({"file_name": "я" * 200}, "file_name"),
    ({"content_type": "text/plain\r\nX-Evil: 1"}, "content_type"),
    ({"content_type": "pdf"}, "content_type"),
])
def test_what_cannot_be_sent_is_refused_before_anything_is(stub, client, scan, kwargs, field):
    with pytest.raises(InvalidRequest) as caught:
        client.upload("/files", scan, **kwargs)
    assert caught.value.field == field
    assert len(stub.calls) == 0


def test_a_nameless_file_object_needs_a_name(stub, client):
    with pytest.raises(InvalidRequest) as caught:
        client.upload("/files", io.BytesIO(b"x"))
    assert caught.value.field == "file_name"


def test_a_missing_file_or_a_folder_is_refused_naming_it(stub, client, tmp_path):
    for path, why in [(tmp_path / "nope.pdf", "cannot read"), (tmp_path, "is a folder")]:
        with pytest.raises(InvalidRequest) as caught:
            client.upload("/files", path)
        assert caught.value.field == "file" and why in caught.value.message


def test_a_text_mode_file_is_a_mistake_of_the_caller(stub, client, scan):
    with open(scan, encoding="latin-1") as text, pytest.raises(TypeError):
        client.upload("/files", text)


# --- the same through the in-process transport and over real HTTP -----------------------------------


def test_in_process_the_app_reads_the_file_as_a_stream(scan):
    client = Client.in_process(echo_app, "p")
    answer = client.upload("/files", scan)
    assert answer["size"] == scan.stat().st_size and answer["sha256"] == sha256(scan.read_bytes())
    assert answer["name"] == "Акт осмотра.pdf" and answer["content_type"] == "application/pdf"
    assert answer["input"] == "BufferedReader"  # read from the file as the app asks, not copied first
    assert answer["key"]


def test_in_process_a_pipe_arrives_counted_as_waitress_would_give_it():
    client = Client.in_process(echo_app, "p")
    with pipe_with(b"x" * 3_000_000) as pipe:
        answer = client.upload("/files", pipe, file_name="big.bin")
    assert answer["size"] == 3_000_000 and answer["chunked"] is False


@pytest.fixture
def waitress_url():
    from waitress import create_server

    server = create_server(echo_app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stop_waitress(server)
    thread.join(timeout=5)


def test_over_http_a_file_and_a_pipe_arrive_whole_with_their_names(waitress_url, tmp_path):
    big = tmp_path / "Показания 2026.csv"
    big.write_bytes(b"M-000023;2700\n" * 400_000)
    client = Client(waitress_url, timeout=10, retry=RetryPolicy(attempts=1))
    answer = client.upload("/files", big)
    assert answer["size"] == big.stat().st_size and answer["sha256"] == sha256(big.read_bytes())
    assert answer["name"] == "Показания 2026.csv" and answer["content_type"] == "text/csv"
    with pipe_with(b"y" * 200_000) as pipe:
        answer = client.upload("/files", pipe, file_name="stdin.txt")
    assert answer["size"] == 200_000 and answer["name"] == "stdin.txt"


def test_over_http_an_upload_that_never_gets_an_answer_is_unreachable(scan):
    server = ScriptedHttpServer(b"", b"")
    try:
        client = Client(server.url, timeout=5, retry=RetryPolicy(attempts=2, sleep=lambda s: None))
        with pytest.raises(Unreachable):
            client.upload("/files", scan)
    finally:
        server.close()
    assert len(server.requests) == 2


def test_the_scripted_server_answers(tmp_path):
    server = ScriptedHttpServer(http_answer("201 Created", {"Content-Type": "application/json"}, b"{}"))
    try:
        assert Client(server.url, retry=RetryPolicy(attempts=1)).upload("/files", io.BytesIO(b"1"),
                                                                         file_name="a.txt") == {}
    finally:
        server.close()


def test_a_file_cut_while_it_is_sent_is_refused_instead_of_left_hanging(tmp_path):
    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * 500_000)

    class CutsTheFile(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            request.body.read(1000)
            os.truncate(path, 2000)  # another program truncates it mid-upload
            while request.body.read(65536):
                pass
            raise AssertionError("the body should have said it was cut")

    session = requests.Session()
    session.mount(BASE + "/", CutsTheFile())
    with pytest.raises(InvalidRequest) as caught:
        Client(BASE, session=session, retry=RetryPolicy(attempts=1)).upload("/files", path)
    assert (caught.value.code, caught.value.field) == ("file_changed", "file")
    assert caught.value.message.startswith("growing.log got shorter while it was sent")
