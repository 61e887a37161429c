"""The client's engine: one requests.Session, bearer auth, timeouts, retries, idempotency keys, typed errors,
paging, and files both ways (a raw upload body, a download to a path) and answers that are not JSON.

The same code talks to a portal over HTTP and to one in this process (`ClientCore.in_process`, a WSGI app
behind LocalTransport); nothing above the client knows which it has. The resources (resources/*.py) are
the API's routes as methods on top of this.
"""

from __future__ import annotations

import contextlib
import io
import json as jsonlib
import mimetypes
import os
import random
import re
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any, Self, TypeVar
from urllib.parse import quote

import requests
from requests.models import PreparedRequest

from gkh import __version__, i18n
from gkh.client.errors import (
    InvalidRequest,
    PortalError,
    ServerError,
    Unreachable,
    error_from_response,
    one_line,
)
from gkh.client.transport import LOCAL_BASE, LocalTransport, WsgiApp
from gkh.i18n import N_, _
from gkh.protocol import (
    API_PREFIX,
    CURSOR_PARAM,
    DRY_RUN_PARAM,
    FILE_NAME,
    IDEMPOTENCY_KEY,
    IN_PROGRESS,
    LIMIT_PARAM,
    MAX_PAGE,
    MAX_URL,
    REQUEST_ID,
    RETRY_AFTER,
    TOO_MANY_ATTEMPTS,
    URL_BAD_HOST,
    URL_BAD_PORT,
    URL_NOT_TEXT,
    URL_TOO_LONG,
    PortalUrlError,
    check_file_name,
    decode_file_name,
    encode_file_name,
    parse_portal_url,
)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_HOST_NAME = N_("the local portal")  # how messages name a portal in this process (translated where shown)
CHUNK = 64 * 1024  # bytes read from a file or an answer at a time
MAX_ERROR_BODY = 64 * 1024  # an error answer is read this far when streaming (the portal's are a few hundred bytes)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: exponential backoff with equal jitter, capped; Retry-After wins.

    `attempts` counts every try (4 = the first and 3 retries). `sleep` and `jitter` are injectable so tests
    and soak runs can make the waits zero and record them.
    """

    attempts: int = 4
    backoff: float = 0.5
    cap: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self):
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.backoff < 0 or self.cap < 0:
            raise ValueError("RetryPolicy.backoff and cap must not be negative")

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (1 for the first retry)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap)
        ceiling = min(self.cap, self.backoff * 2 ** (retry - 1))
        # Equal jitter: never less than half the ceiling (keeps growing), spread over the other half.
        return ceiling / 2 + self.jitter() * ceiling / 2


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _BearerAuth(requests.auth.AuthBase):
    """Sets Authorization only when there is a token. Always passed, so requests never falls back to ~/.netrc."""

    def __init__(self, client: ClientCore):
        self._client = client

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        if self._client.token:
            request.headers["Authorization"] = f"Bearer {self._client.token}"
        return request

    def __repr__(self) -> str:
        return "<BearerAuth ***>"


def _retryable_failure(error: requests.exceptions.RequestException) -> bool:
    """A failure that a second try may not have: no connection, no answer in time, an answer cut short."""
    if isinstance(error, requests.exceptions.SSLError):
        return False  # a certificate problem does not go away by itself
    return isinstance(
        error,
        (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError),
    )


def _retryable_status(error: PortalError) -> bool:
    status = error.status or 0
    if status == 429:
        return error.code != TOO_MANY_ATTEMPTS
    return status >= 500 or (status == 409 and error.code == IN_PROGRESS)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (requests wraps urllib3, which wraps socket errors)."""
    seen: set[int] = set()
    todo: list[Any] = [error]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen or not isinstance(current, BaseException):
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))


def describe_failure(error: requests.exceptions.RequestException, timeout: float) -> str:
    """What went wrong on the way, in a few words."""
    seconds = f"{timeout:g}"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return _("could not connect within {seconds} s").format(seconds=seconds)
    if isinstance(error, requests.exceptions.Timeout):
        return _("no answer within {seconds} s").format(seconds=seconds)
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return _("the answer was cut short")
    if isinstance(error, requests.exceptions.SSLError):
        return _("TLS failed: {error}").format(error=one_line(str(error), 160))
    for inner in _chain(error):
        if isinstance(inner, ConnectionRefusedError):
            return _("connection refused")
        if isinstance(inner, socket.gaierror) or type(inner).__name__ == "NameResolutionError":
            return _("host name not found")
        if isinstance(inner, ConnectionResetError):
            return _("connection reset")
        if isinstance(inner, (socket.timeout, TimeoutError)):
            return _("no answer within {seconds} s").format(seconds=seconds)
    text = str(error)
    if found := re.search(r"\[Errno -?\d+\] ([^'\")]+)", text):
        return found.group(1).strip().lower()
    return one_line(text, 160) or type(error).__name__


# --- the portal's URL -------------------------------------------------------------------------------

_URL_PROBLEMS = {  # translated where raised; {limit} is MAX_URL
    URL_TOO_LONG: N_("must be at most {limit} characters"),
    URL_NOT_TEXT: N_("must not hold spaces or control characters"),
    URL_BAD_PORT: N_("has a bad port or host"),
    URL_BAD_HOST: N_("has a bad host name"),
}
_URL_PROBLEM = N_("must be http://host[:port] or https://…")
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalise_base_url(base_url: str) -> tuple[str, str, str]:
    """The portal's root as (URL to call, key for credentials, host to name in messages), by the one rule of
    gkh.protocol.parse_portal_url; a user name, query or fragment are dropped. Anything requests would choke
    on later is an InvalidRequest for field url."""
    try:
        portal = parse_portal_url(base_url)
    except PortalUrlError as error:
        why = _(_URL_PROBLEMS.get(error.problem, _URL_PROBLEM)).format(limit=MAX_URL)
        shown = base_url if len(base_url) <= 60 else base_url[:57] + "..."
        raise InvalidRequest(_("the portal URL {problem}, not {url}").format(problem=why, url=repr(shown)),
                             code="invalid_url", field="url") from None
    return portal.url, portal.key, portal.shown


def json_bytes(value: Any) -> bytes | None:
    """A request's JSON body as sent, encoded once (every retry resends these bytes): UTF-8, no NaN; a lone
    surrogate refused naming its field (check_text)."""
    if value is None:
        return None
    try:
        return jsonlib.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        check_text(value, "body")
        raise


def check_text(value: Any, field: str) -> None:
    """Refuse a lone surrogate (a byte the locale could not decode, e.g. from $'\\xff') before it is sent."""
    if isinstance(value, (dict, list)):
        try:  # one pass in C over a whole body (a batch: 12 000 strings); only a failure is walked, to name the field
            jsonlib.dumps(value, ensure_ascii=False).encode("utf-8")
            return
        except (UnicodeEncodeError, TypeError, ValueError):
            pass
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise InvalidRequest(_("{field} holds bytes that are not UTF-8 text; check the terminal's encoding")
                                 .format(field=field), code="invalid_text", field=field)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(item, str(key))
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_text(item, field)


# --- what travels besides JSON ----------------------------------------------------------------------

@dataclass(frozen=True)
class Content:
    """An answer that is not JSON (an HTML page, an .eml message, a CSV file): its bytes and media type."""

    data: bytes
    media_type: str  # lower case, without parameters: "text/html", "message/rfc822", "text/csv"
    charset: str | None = None
    file_name: str | None = None  # when the portal names it (X-File-Name or Content-Disposition)
    request_id: str | None = None

    @property
    def text(self) -> str:
        """The bytes as text, in the answer's charset (UTF-8 when it names none or one Python does not know)."""
        try:
            return self.data.decode(self.charset or "utf-8", "replace")
        except LookupError:
            return self.data.decode("utf-8", "replace")


@dataclass(frozen=True)
class Downloaded:
    """A file the portal sent, in place: where, how many bytes, of what type."""

    path: Path
    size: int
    media_type: str | None


def _content_type(headers: Any) -> tuple[str, str | None]:
    """(media type, charset) of an answer; ("", None) when it names none."""
    media_type, _, parameters = (headers.get("Content-Type") or "").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def answer_file_name(headers: Any) -> str | None:
    """The file name an answer gives (X-File-Name, else Content-Disposition's filename* or filename), if valid."""
    if value := headers.get(FILE_NAME):
        try:
            return decode_file_name(value)
        except ValueError:
            pass
    if disposition := headers.get("Content-Disposition"):
        message = Message()
        message["content-disposition"] = disposition
        name = message.get_filename()  # filename* (RFC 2231) decoded, else filename
        try:
            return check_file_name(name) if isinstance(name, str) else None
        except ValueError:
            return None
    return None


class FileShrank(Exception):
    """The file being uploaded got shorter than when the upload began."""


class _FileBody:
    """A file sent as a request body, read a block at a time from where it stood; rewound for every attempt.

    `__len__` lets requests set Content-Length and send it as a stream (urllib3 reads it block by block).
    """

    def __init__(self, file: IO[bytes], start: int, size: int):
        self._file = file
        self._start = start
        self.size = size
        self._left = size

    def rewind(self) -> None:
        self._file.seek(self._start)
        self._left = self.size

    def read(self, size: int | None = -1) -> bytes:
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(want) if want else b""
        if not isinstance(data, bytes):
            raise TypeError("upload a file opened in binary mode ('rb')")
        if want and not data:  # cut while being sent: the portal would wait for the bytes promised
            raise FileShrank(_("{missing} of its {size} bytes were missing").format(missing=self._left,
                                                                                      size=self.size))
        self._left -= len(data)
        return data

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK):
            yield chunk


class _Upload:
    """An upload's body and headers for each attempt; `replayable` when the file can be read again from its start."""

    def __init__(self, file: IO[bytes], name: str, content_type: str):
        self.headers = {"Content-Type": content_type, FILE_NAME: encode_file_name(name)}
        self.replayable = _seekable(file)
        if self.replayable:
            start = file.tell()
            size = file.seek(0, io.SEEK_END) - start
            file.seek(start)
            self._body: _FileBody | None = _FileBody(file, start, size)
            self.headers["Content-Length"] = str(size)
        else:  # a pipe: sent chunked, once
            self._body = None
            self._stream: Iterator[bytes] = iter(lambda: file.read(CHUNK), b"")

    def data(self) -> Any:
        """The body for the next attempt: the file rewound; an empty one as b"" (requests chunks empty streams)."""
        if self._body is None:
            return self._stream
        self._body.rewind()
        return self._body if self._body.size else b""


def _seekable(file: IO[bytes]) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, OSError, ValueError):
        return False


# --- the client -------------------------------------------------------------------------------------

class ClientCore:
    """Requests to the portal's API and what every call shares; the routes live in resources/*.py."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        session: requests.Session | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.base_url, self._url_key, self._host = normalise_base_url(base_url)
        self._api = self.base_url + API_PREFIX
        self.token = token
        self.timeout = timeout
        self.retry = retry
        self.session = session if session is not None else requests.Session()
        self.log = log
        self._portal_id: str | None = None  # set for a portal in this process: credentials are keyed by its id
        self._on_close: Callable[[], None] | None = None
        self._auth = _BearerAuth(self)
        self._headers = {"User-Agent": f"gkh/{__version__}", "Accept": "application/json"}

    @classmethod
    def in_process(cls, wsgi_app: WsgiApp, portal_id: str, *,
                   on_close: Callable[[], None] | None = None, **kw: Any) -> Self:
        """A client of a portal app in this process (LocalTransport on the internal base): its credentials are
        keyed `local:<portal_id>`, messages name it "the local portal"; `on_close` runs when the client closes."""
        session = kw.pop("session", None) or requests.Session()
        session.mount(LOCAL_BASE + "/", LocalTransport(wsgi_app))
        client = cls(LOCAL_BASE, session=session, **kw)
        client._portal_id = portal_id
        client._host = LOCAL_HOST_NAME
        client._on_close = on_close
        return client

    # --- plumbing -------------------------------------------------------------------------------

    def set_token(self, token: str | None) -> None:
        """Send this bearer token from now on (None: send none)."""
        self.token = token

    @property
    def portal_key(self) -> str:
        """Which portal issued our credentials: `local:<portal id>` in-process, else the normalised base URL."""
        if self._portal_id is not None:
            return "local:" + self._portal_id
        return self._url_key

    def close(self) -> None:
        self.session.close()
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        signed = "signed in" if self.token else "anonymous"
        return f"<Client {self.portal_key} {signed}>"

    @property
    def _shown_host(self) -> str:
        """The portal as messages for people name it: its host, or "the local portal" in the current language."""
        return _(LOCAL_HOST_NAME) if self._host == LOCAL_HOST_NAME else self._host

    def _log(self, line: str) -> None:
        if self.log is not None:
            with contextlib.suppress(Exception):  # a broken log must not break the call
                self.log(line)

    @staticmethod
    def _segment(value: str, field: str) -> str:
        """One path segment, percent-encoded so that user input never changes the route."""
        text = str(value).strip()
        if not text:  # "/meters//readings" or "/accounts/links/" would be another route, or none
            raise InvalidRequest(_("{field} must not be empty").format(field=field), code="invalid", field=field)
        check_text(text, field)
        return quote(text, safe="")

    # --- calls ------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        dry_run: bool = False,
        idempotent: bool = True,
        idempotency_key: str | None = None,
    ) -> Any:
        """One API call (path under /api/v1), retried as the policy allows; the parsed JSON or a typed error.

        POST/PUT/PATCH/DELETE carry an Idempotency-Key (`idempotency_key`, else a fresh uuid4) made once
        for the call and reused by every retry; `idempotent=False` sends none, and then nothing is retried.
        """
        return self._call(method, path, params=params, json=json, dry_run=dry_run, idempotent=idempotent,
                          idempotency_key=idempotency_key, receive=self._parse)

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        accept: str = "*/*",
        expect: str | tuple[str, ...] | None = None,
        dry_run: bool = False,
        idempotent: bool = True,
        idempotency_key: str | None = None,
    ) -> Content:
        """A call whose answer is not JSON (an HTML page, message/rfc822, text/csv): its bytes and media type.

        Errors are typed from the portal's JSON error body as for `request`. With `expect`, a success of another
        media type (a captive portal's HTML instead of the CSV asked for) is a ServerError invalid_response.
        """
        wanted = (expect,) if isinstance(expect, str) else expect

        def receive(response: requests.Response) -> Content:
            media_type, charset = _content_type(response.headers)
            if wanted is not None and media_type not in wanted:
                either = wanted[0]
                for other in wanted[1:]:
                    either = _("{one} or {other}").format(one=either, other=other)
                if media_type:
                    message = _("{host} answered {status} with {media_type} instead of {wanted}").format(
                        host=self._shown_host, status=response.status_code, media_type=media_type, wanted=either)
                else:
                    message = _("{host} answered {status} with no content type instead of {wanted}").format(
                        host=self._shown_host, status=response.status_code, wanted=either)
                raise ServerError(message, status=response.status_code, code="invalid_response",
                                  request_id=response.headers.get(REQUEST_ID))
            return Content(response.content, media_type, charset, answer_file_name(response.headers),
                           response.headers.get(REQUEST_ID))

        return self._call(method, path, params=params, json=json, headers={"Accept": accept}, dry_run=dry_run,
                          idempotent=idempotent, idempotency_key=idempotency_key, receive=receive)

    def get_content(self, path: str, params: dict[str, Any] | None = None, *, accept: str = "*/*",
                    expect: str | tuple[str, ...] | None = None) -> Content:
        """GET an answer that is not JSON: see request_raw."""
        return self.request_raw("GET", path, params=params, accept=accept, expect=expect)

    def get_text(self, path: str, params: dict[str, Any] | None = None, *, accept: str = "text/*",
                 expect: str | tuple[str, ...] | None = None) -> str:
        """GET a text answer (HTML, CSV, an e-mail), decoded in its charset."""
        return self.get_content(path, params, accept=accept, expect=expect).text

    def get_bytes(self, path: str, params: dict[str, Any] | None = None, *, accept: str = "*/*",
                  expect: str | tuple[str, ...] | None = None) -> bytes:
        """GET an answer's bytes as they came."""
        return self.get_content(path, params, accept=accept, expect=expect).data

    def upload(
        self,
        path: str,
        file: str | os.PathLike[str] | IO[bytes],
        *,
        file_name: str | None = None,
        content_type: str | None = None,
        params: dict[str, Any] | None = None,
        method: str = "POST",
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send a file as the raw request body, streamed (never read whole), its name in X-File-Name.

        `file` is a path or a binary file object (sent from where it stands). The name is `file_name`, else the
        path's or the file object's; the type is `content_type`, else guessed from the name. The call's one
        Idempotency-Key covers the bytes (the portal hashes the body), so every retry sends the whole file again
        from its start; a file that cannot be rewound (a pipe) is sent chunked, once. Answers the portal's JSON.
        """
        if isinstance(file, (str, os.PathLike)):
            source = Path(file)
            if source.is_dir():
                raise InvalidRequest(_("{path} is a folder, not a file").format(path=source), code="invalid",
                                     field="file")
            try:
                opened = open(source, "rb")  # noqa: SIM115  (closed below, after the last attempt)
            except OSError as error:
                raise InvalidRequest(_("cannot read {path}: {reason}").format(path=source,
                                                                             reason=error.strerror or error),
                                     code="invalid", field="file") from None
            with opened:
                return self._upload(path, opened, file_name or source.name, content_type, params, method,
                                    dry_run, idempotency_key)
        if isinstance(file, io.TextIOBase):
            raise TypeError("upload a file opened in binary mode ('rb')")
        name = file_name or os.path.basename(str(getattr(file, "name", "") or ""))
        return self._upload(path, file, name, content_type, params, method, dry_run, idempotency_key)

    def _upload(self, path: str, file: IO[bytes], name: str, content_type: str | None, params: dict[str, Any] | None,
                method: str, dry_run: bool, idempotency_key: str | None) -> Any:
        if not name:
            raise InvalidRequest(_("the file has no name: give one"), code="invalid", field="file_name")
        check_text(name, "file_name")
        if content_type is None:
            content_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
        elif not (content_type.isascii() and content_type.isprintable() and "/" in content_type):
            raise InvalidRequest(_("content type must be a media type such as application/pdf, not {content_type}")
                                 .format(content_type=repr(content_type)), code="invalid", field="content_type")
        try:
            upload = _Upload(file, name, content_type)
        except ValueError as error:  # what protocol.encode_file_name refuses
            raise InvalidRequest(_("{problem}; not {name}").format(problem=error, name=repr(name)), code="invalid",
                                 field="file_name") from None
        try:
            return self._call(method, path, params=params, upload=upload, dry_run=dry_run,
                              idempotency_key=idempotency_key, receive=self._parse)
        except FileShrank as error:
            raise InvalidRequest(_("{name} got shorter while it was sent ({problem}); send it again when it is "
                                   "complete").format(name=name, problem=error), code="file_changed",
                                 field="file") from None

    def download(
        self,
        path: str,
        target: str | os.PathLike[str],
        *,
        params: dict[str, Any] | None = None,
        accept: str = "*/*",
        overwrite: bool = False,
    ) -> Downloaded:
        """GET a file and write it to `target` (a file's path, or a folder: then under the name the portal gives).

        Streamed to a temporary file beside the target, renamed into place only when whole, so a cut-short answer
        leaves no file (it is retried, then Unreachable). An existing file is an InvalidRequest unless `overwrite`.
        """
        target = Path(target)
        into_folder = target.is_dir()
        folder = target if into_folder else target.parent
        if not folder.is_dir():
            raise InvalidRequest(_("there is no folder {folder} to save into").format(folder=folder), code="invalid",
                                 field="target")
        if not into_folder and not overwrite and os.path.lexists(target):
            raise InvalidRequest(_("{path} exists already").format(path=target), code="file_exists", field="target")

        def receive(response: requests.Response) -> Downloaded:
            final = target
            if into_folder:
                name = answer_file_name(response.headers)
                if name is None:
                    raise InvalidRequest(_("the portal named no file: give a file's path instead of {folder}")
                                         .format(folder=folder), code="invalid", field="target")
                final = folder / name
            media_type = _content_type(response.headers)[0] or None
            return Downloaded(final, _save(response, final, overwrite), media_type)

        return self._call("GET", path, params=params, headers={"Accept": accept}, stream=True, receive=receive)

    def _call(
        self,
        method: str,
        path: str,
        *,
        receive: Callable[[requests.Response], T],
        params: dict[str, Any] | None = None,
        json: Any = None,
        upload: _Upload | None = None,
        headers: dict[str, str] | None = None,
        dry_run: bool = False,
        idempotent: bool = True,
        idempotency_key: str | None = None,
        stream: bool = False,
    ) -> T:
        """Send one call, retried as the policy allows; a success goes to `receive`, which may raise a requests
        error (an answer cut short while read) to count as a failed attempt."""
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        url = self._api + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        check_text(query, "query")
        body = json_bytes(json)
        if dry_run:
            query[DRY_RUN_PARAM] = "true"
        # The portal writes its messages for people in our language (i18n.current(): the CLI's locale).
        sent = {**self._headers, "Accept-Language": i18n.current(), **(headers or {}),
                **(upload.headers if upload else {}), **({"Content-Type": "application/json"} if body else {})}
        if method in MUTATING and idempotent:
            sent[IDEMPOTENCY_KEY] = idempotency_key or str(uuid.uuid4())
        retryable = (method in SAFE or IDEMPOTENCY_KEY in sent) and (upload is None or upload.replayable)
        shown = PreparedRequest()
        shown.prepare_url(url, query)
        attempts = self.retry.attempts if retryable else 1

        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            last = attempt == attempts
            try:
                response = self.session.request(
                    method, url, params=query, data=upload.data() if upload else body, headers=sent,
                    auth=self._auth, timeout=(self.timeout, self.timeout), allow_redirects=method in SAFE,
                    stream=stream,
                )
                with response:
                    status = response.status_code
                    if 200 <= status < 300:
                        try:
                            result = receive(response)
                        except PortalError as refused:
                            self._log_attempt(method, shown.url, f"{status} {refused.code}", started, attempt,
                                              attempts, None)
                            raise
                        self._log_attempt(method, shown.url, str(status), started, attempt, attempts, None)
                        return result
                    error = error_from_response(status, _error_body(response, stream), response.headers)
            except requests.exceptions.RequestException as failure:
                cause = describe_failure(failure, self.timeout)
                if last or not _retryable_failure(failure):
                    self._log_attempt(method, shown.url, cause, started, attempt, attempts, None)
                    raise Unreachable(_("cannot reach {host}: {cause}").format(host=self._shown_host, cause=cause),
                                      code="unreachable") from failure
                wait = self.retry.delay(attempt)
                self._log_attempt(method, shown.url, cause, started, attempt, attempts, wait)
                self.retry.sleep(wait)
                continue

            if last or not _retryable_status(error):
                self._log_attempt(method, shown.url, f"{status} {error.code}", started, attempt, attempts, None)
                raise error
            wait = self.retry.delay(attempt, parse_retry_after(response.headers.get(RETRY_AFTER)))
            self._log_attempt(method, shown.url, f"{status} {error.code}", started, attempt, attempts, wait)
            self.retry.sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")

    def _log_attempt(self, method: str, url: str | None, outcome: str, started: float, attempt: int, attempts: int,
                     wait: float | None) -> None:
        if self.log is None:
            return
        elapsed = (time.monotonic() - started) * 1000
        line = f"{method} {url} → {outcome} in {elapsed:.0f} ms (attempt {attempt} of {attempts})"
        if wait is not None:
            line += f"; retrying in {wait:.2f} s"
        self._log(line)

    def _parse(self, response: requests.Response) -> Any:
        if not response.content:
            return {}
        try:
            return jsonlib.loads(response.content)
        except (ValueError, RecursionError):
            raise ServerError(
                _("{host} answered {status} with something that is not JSON").format(
                    host=self._shown_host, status=response.status_code),
                status=response.status_code, code="invalid_response",
                request_id=response.headers.get(REQUEST_ID),
            ) from None

    def paginate(
        self, path: str, params: dict[str, Any] | None = None, *, limit: int | None = None, page_size: int = MAX_PAGE
    ) -> Iterator[dict]:
        """Every item of a list route, following next_cursor to the end, or the first `limit` items."""
        page_size = max(1, min(page_size, MAX_PAGE))
        query = dict(params or {})
        given = 0
        cursor: str | None = None
        seen: set[str] = set()
        while limit is None or given < limit:
            query[LIMIT_PARAM] = page_size if limit is None else min(page_size, limit - given)
            query[CURSOR_PARAM] = cursor
            page = self.request("GET", path, params=query)
            for item in page.get("items", []):
                yield item
                given += 1
                if limit is not None and given >= limit:
                    return
            cursor = page.get("next_cursor")
            if not cursor:
                return
            if cursor in seen:
                raise ServerError(_("{host} gave the same page cursor twice").format(host=self._shown_host),
                                  code="invalid_response")
            seen.add(cursor)


def _error_body(response: requests.Response, stream: bool) -> bytes:
    """An error answer's body; when streaming, only its first MAX_ERROR_BODY bytes."""
    if not stream:
        return response.content
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) >= MAX_ERROR_BODY:
            break
    return bytes(body[:MAX_ERROR_BODY])


def _save(response: requests.Response, final: Path, overwrite: bool) -> int:
    """Stream the answer into a temporary file beside `final`, then rename it into place; its size in bytes."""
    temp = final.with_name(f".gkh-download-{secrets.token_hex(6)}.part")  # short: the final name may be 255 bytes
    # O_EXCL with 0666: a new file of our own, with the mode the umask gives any file the user creates.
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise InvalidRequest(_("cannot write into {folder}: {reason}").format(folder=final.parent,
                                                                             reason=error.strerror or error),
                             code="invalid", field="target") from None
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                size += len(chunk)
            declared = response.headers.get("Content-Length", "")
            encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
            if declared.isdigit() and not encoded and int(declared) != size:
                raise requests.exceptions.ChunkedEncodingError(f"got {size} of {declared} bytes")
            out.flush()
            os.fsync(out.fileno())
        _place(temp, final, overwrite)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return size


def _place(temp: Path, final: Path, overwrite: bool) -> None:
    """Rename the whole file into place; without `overwrite`, never over a file that appeared meanwhile."""
    if overwrite:
        os.replace(temp, final)
        return
    try:
        os.link(temp, final)  # atomic and fails if final exists
    except FileExistsError:
        raise InvalidRequest(_("{path} exists already").format(path=final), code="file_exists",
                             field="target") from None
    except OSError:  # a file system without hard links
        if os.path.lexists(final):
            raise InvalidRequest(_("{path} exists already").format(path=final), code="file_exists",
                                 field="target") from None
        os.replace(temp, final)
        return
    temp.unlink()
