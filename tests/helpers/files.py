"""What the file tests share: a transport that reads bodies as a server would, a WSGI app that echoes what it
received, and a socket server that can cut an answer short."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict

from gkh.protocol import decode_file_name


def body_chunks(body: Any, size: int = 64 * 1024):
    """A prepared request's body a block at a time, whatever it is (bytes, a file object, an iterable)."""
    if body is None:
        return
    if isinstance(body, (bytes, str)):
        yield body.encode() if isinstance(body, str) else body
    elif hasattr(body, "read"):
        while chunk := body.read(size):
            yield chunk
    else:
        yield from body


class Recorder(BaseAdapter):
    """Mounted on a session: reads every request body in blocks, records what came, answers from a script.

    An answer is (status, headers, content) or an exception to raise after reading `read_first` bytes of the body.
    """

    def __init__(self, *answers: Any, read_first: int = 1024):
        super().__init__()
        self.answers = list(answers)
        self.read_first = read_first
        self.calls: list[dict] = []

    def send(self, request: PreparedRequest, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        answer = self.answers.pop(0)
        digest, size = hashlib.sha256(), 0
        call = {"body_type": type(request.body), "headers": CaseInsensitiveDict(request.headers), "stream": stream,
                "url": request.url}
        self.calls.append(call)
        for chunk in body_chunks(request.body):
            digest.update(chunk)
            size += len(chunk)
            if isinstance(answer, Exception) and size >= self.read_first:
                raise answer  # the connection dropped mid-upload
        call.update(size=size, sha256=digest.hexdigest())
        if isinstance(answer, Exception):
            raise answer
        status, headers, content = answer
        response = Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response.raw = io.BytesIO(content)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def recording_session(*answers: Any, read_first: int = 1024) -> tuple[requests.Session, Recorder]:
    session = requests.Session()
    recorder = Recorder(*answers, read_first=read_first)
    session.mount("https://portal.example.ru/", recorder)
    return session, recorder


def echo_app(environ, start_response):
    """A portal stand-in: reads the body in blocks and answers what it got, as JSON."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    digest, size, largest = hashlib.sha256(), 0, 0
    while size < length:
        chunk = stream.read(min(64 * 1024, length - size))
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
        largest = max(largest, len(chunk))
    raw_name = environ.get("HTTP_X_FILE_NAME")
    answer = {
        "size": size, "sha256": digest.hexdigest(), "content_type": environ.get("CONTENT_TYPE"),
        "name": decode_file_name(raw_name) if raw_name else None, "key": environ.get("HTTP_IDEMPOTENCY_KEY"),
        "chunked": "HTTP_TRANSFER_ENCODING" in environ, "input": type(stream).__name__,
    }
    start_response("201 Created", [("Content-Type", "application/json")])
    return [json.dumps(answer, ensure_ascii=False).encode()]


class ScriptedHttpServer:
    """A bare HTTP/1.1 server on loopback: answers each connection with the next scripted bytes, then closes it
    (so an answer shorter than its Content-Length arrives cut short, as when a server dies mid-answer)."""

    def __init__(self, *answers: bytes):
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        for answer in self.answers:
            connection, _ = self._socket.accept()
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                self.requests.append(received)
                connection.sendall(answer)

    def close(self) -> None:
        self._socket.close()
        self._thread.join(timeout=5)


def http_answer(status: str, headers: dict[str, str], body: bytes, *, send: int | None = None) -> bytes:
    """Raw answer bytes: Content-Length says len(body), but only `send` bytes of it go out when given."""
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body[: len(body) if send is None else send]
