"""The in-process transport: a requests adapter that answers by calling the portal's WSGI app directly.

requests skips URL preparation for non-http schemes (and silently drops `params=`), so the client
mounts this adapter on the internal base `http://gkh.local/` while the profile's URL stays `local://`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from urllib.parse import unquote_to_bytes, urlsplit

from requests.adapters import BaseAdapter
from requests.exceptions import InvalidHeader
from requests.models import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

LOCAL_HOST = "gkh.local"
LOCAL_BASE = f"http://{LOCAL_HOST}"

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)


def _latin1(value) -> str:
    """WSGI header values are latin-1 strings, as a real HTTP stack would have sent them."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidHeader(f"header value {value!r} cannot be sent over HTTP (not latin-1)") from None
    return value


def wsgi_environ(request: PreparedRequest) -> dict:
    """The WSGI environ a server such as waitress would build for this request."""
    parts = urlsplit(request.url)
    body = _body_bytes(request.body)
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
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if key == "CONTENT_TYPE":
                environ[key] = _latin1(value)
            continue
        environ["HTTP_" + key] = _latin1(value)
    if body or "Content-Length" in request.headers:
        environ["CONTENT_LENGTH"] = str(len(body))
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

        result = self.app(environ, start_response)
        try:
            for chunk in result:
                if chunk:
                    written.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
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
        response._content_consumed = True
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass
