"""The in-process transport: a requests adapter that answers by calling the portal's WSGI app directly.

Request bodies may be bytes, a file object or an iterable of chunks (streamed uploads); answers are buffered.

requests skips URL preparation for non-http schemes (and silently drops `params=`), so the client
mounts this adapter on the internal base `http://gkh.local/` while the profile's URL stays `local://`.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO
from urllib.parse import unquote_to_bytes, urlsplit

from requests.adapters import BaseAdapter
from requests.exceptions import ChunkedEncodingError, InvalidHeader
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.models import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from gkh.i18n import _

LOCAL_HOST = "gkh.local"
LOCAL_BASE = f"http://{LOCAL_HOST}"

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


_SPOOL = 1024 * 1024  # a body of unknown length stays in memory up to this, then goes to a temporary file


class _BodyReader(io.RawIOBase):
    """A request body — a file object or an iterable of chunks — as a raw stream of at most `limit` bytes."""

    def __init__(self, source: Any, limit: int | None = None):
        super().__init__()
        self._read = getattr(source, "read", None)
        self._chunks: Iterator[Any] | None = None if self._read is not None else iter(source)
        self._pending = b""
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        want = len(buffer) if self._left is None else min(len(buffer), self._left)
        if want <= 0:
            return 0
        data = self._next(want)
        buffer[: len(data)] = data
        if self._left is not None:
            self._left -= len(data)
        return len(data)

    def _next(self, want: int) -> bytes:
        if self._read is not None:
            return _as_bytes(self._read(want))
        assert self._chunks is not None
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending = _as_bytes(chunk)
        data, self._pending = self._pending[:want], self._pending[want:]
        return data


def _as_bytes(data: Any) -> bytes:
    if data is None:
        return b""
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _wsgi_input(request: PreparedRequest) -> tuple[BinaryIO, int | None]:
    """The body as wsgi.input and its length: streamed when its length is declared, else spooled and counted
    (as waitress does with a chunked body), so the app always sees a CONTENT_LENGTH."""
    body = request.body
    if body is None or isinstance(body, (bytes, str)):
        data = _as_bytes(body)
        return io.BytesIO(data), len(data)
    declared = request.headers.get("Content-Length")
    if declared is not None and declared.isdigit():
        return io.BufferedReader(_BodyReader(body, int(declared))), int(declared)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115  (the app reads it; closed with it)
    shutil.copyfileobj(_BodyReader(body), spool)
    size = spool.tell()
    spool.seek(0)
    return spool, size


def _latin1(value) -> str:
    """WSGI header values are latin-1 strings, as a real HTTP stack would have sent them."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidHeader(_("header value {value} cannot be sent over HTTP (not latin-1)").format(
            value=repr(value))) from None
    return value


def wsgi_environ(request: PreparedRequest) -> dict:
    """The WSGI environ a server such as waitress would build for this request."""
    parts = urlsplit(request.url)
    body, length = _wsgi_input(request)
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # PEP 3333: PATH_INFO is percent-decoded, its bytes as latin-1; the query string stays as sent.
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or LOCAL_HOST,
        "SERVER_PORT": str(parts.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": parts.netloc or LOCAL_HOST,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH", "TRANSFER_ENCODING"):  # waitress drops the last once dechunked
            if key == "CONTENT_TYPE":
                environ[key] = _latin1(value)
            continue
        environ["HTTP_" + key] = _latin1(value)
    if length or "Content-Length" in request.headers or "Transfer-Encoding" in request.headers:
        environ["CONTENT_LENGTH"] = str(length or 0)
    return environ


class LocalTransport(BaseAdapter):
    """Sends each PreparedRequest to a WSGI app in this process and returns its answer as a Response."""

    def __init__(self, app: WsgiApp):
        super().__init__()
        self.app = app

    def send(self, request: PreparedRequest, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        # timeout, TLS and proxies have no meaning in-process.
        environ = wsgi_environ(request)
        started: dict = {}
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"] = status
            started["headers"] = headers
            return written.append

        try:
            result = self.app(environ, start_response)
            try:
                for chunk in result:
                    if chunk:
                        written.append(chunk)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except ConnectionResetError as error:
            # The portal dropped the connection (faults injected on purpose, GKH_FAULTS): the error a real one gives.
            if "status" in started:
                raise ChunkedEncodingError(error, request=request) from None
            raise RequestsConnectionError(error, request=request) from None
        if "status" not in started:
            raise RuntimeError("the portal's WSGI app returned without starting a response")
        return self.build_response(request, started["status"], started["headers"], b"".join(written))

    def build_response(self, request: PreparedRequest, status: str, headers, content: bytes) -> Response:
        response = Response()
        code, _, reason = status.partition(" ")
        response.status_code = int(code)
        response.reason = reason
        merged: CaseInsensitiveDict = CaseInsensitiveDict()
        for name, value in headers:
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        response.headers = merged
        response.encoding = get_encoding_from_headers(merged)
        response.raw = io.BytesIO(content)
        response._content = content
        response._content_consumed = True  # type: ignore[attr-defined]
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]
        return response

    def close(self) -> None:
        pass
