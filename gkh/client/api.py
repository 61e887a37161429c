"""The portal's API client: one requests.Session, bearer auth, timeouts, retries, idempotency keys, typed errors, paging.

The same code talks to a portal over HTTP and to the embedded one in-process (`Client.for_local`);
nothing above this module knows which it has.
"""

from __future__ import annotations

import errno
import ipaddress
import json as jsonlib
import random
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.models import PreparedRequest

from gkh import __version__
from gkh.client.errors import (
    TOO_MANY_ATTEMPTS,
    InvalidRequest,
    PortalError,
    PortalUnusable,
    ServerError,
    Unreachable,
    error_from_response,
    one_line,
)
from gkh.client.transport import LOCAL_BASE, LocalTransport

API_PREFIX = "/api/v1"
MAX_PAGE = 1000  # the portal's (and the official API's) largest page
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


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

    def __init__(self, client: Client):
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
    return status >= 500 or (status == 409 and error.code == "in_progress")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (requests wraps urllib3, which wraps socket errors)."""
    seen: set[int] = set()
    todo = [error]
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
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"could not connect within {timeout:g} s"
    if isinstance(error, requests.exceptions.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut short"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS failed: " + one_line(str(error), 160)
    for inner in _chain(error):
        if isinstance(inner, ConnectionRefusedError):
            return "connection refused"
        if isinstance(inner, socket.gaierror) or type(inner).__name__ == "NameResolutionError":
            return "host name not found"
        if isinstance(inner, ConnectionResetError):
            return "connection reset"
        if isinstance(inner, (socket.timeout, TimeoutError)):
            return f"no answer within {timeout:g} s"
    text = str(error)
    if found := re.search(r"\[Errno -?\d+\] ([^'\")]+)", text):
        return found.group(1).strip().lower()
    return one_line(text, 160) or type(error).__name__


MAX_URL = 2048  # what browsers and proxies reliably take; a longer "URL" is a mistake or an attack
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _invalid_url(base_url: str, why: str) -> InvalidRequest:
    shown = base_url if len(base_url) <= 60 else base_url[:57] + "..."
    return InvalidRequest(f"the portal URL {why}, not {shown!r}", code="invalid_url", field="url")


def _host_is_valid(host: str) -> bool:
    """An IP address, or a DNS name (IDNA allowed) that urllib3 will accept when it connects."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")  # fails on empty or over-long labels
    except UnicodeError:
        return False
    return len(ascii_host) <= 253 and bool(_HOST_NAME.fullmatch(ascii_host))


def normalise_base_url(base_url: str) -> tuple[str, str, str]:
    """The portal's root as (URL to call, key for credentials, host to name in messages).

    Both URLs are scheme://host[:port]/path without a trailing slash (or the API prefix) and with the
    host lower-cased; the key always names the port (80/443 filled in), the URL to call only when it is
    not the scheme's default. Anything requests would choke on later is an InvalidRequest for field url.
    """
    text = base_url.strip()
    if len(text) > MAX_URL:
        raise _invalid_url(base_url, f"must be at most {MAX_URL} characters")
    if not text.isprintable() or " " in text:  # control characters, bidi overrides, undecodable bytes
        raise _invalid_url(base_url, "must not hold spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a bad port, or a bracketed host that is not IPv6
        raise _invalid_url(base_url, "has a bad port or host") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise _invalid_url(base_url, "must be http://host[:port] or https://…")
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    host = parts.hostname.lower()
    if not _host_is_valid(host):
        raise _invalid_url(base_url, "has a bad host name")
    host_text = f"[{host}]" if ":" in host else host
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):  # tolerate a URL given with the API prefix
        path = path[: -len(API_PREFIX)]
    shown_port = "" if port == default_port else f":{port}"
    return (
        f"{scheme}://{host_text}{shown_port}{path}",
        f"{scheme}://{host_text}:{port}{path}",
        f"{host_text}{shown_port}",
    )


def _check_text(value: Any, field: str) -> None:
    """Refuse a lone surrogate (a byte the locale could not decode, e.g. from $'\\xff') before it is sent."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise InvalidRequest(f"{field} holds bytes that are not UTF-8 text; check the terminal's encoding",
                                 code="invalid_text", field=field)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(item, str(key))
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_text(item, field)


def open_local_portal(home: Path, now: datetime):
    """The embedded portal under `home`; a folder or database that cannot be used is PortalUnusable (exit 6)."""
    from gkh.paths import portal_db
    from gkh.server.local import Portal  # the server loads only when local:// is used

    db = portal_db(home)
    try:
        # sqlite's own words for these would be "unable to open database file" or "File exists"
        existing = next((folder for folder in (home, *home.parents) if folder.exists()), home)
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{existing} is not a folder")
        if db.exists() and not db.is_file():
            raise IsADirectoryError(errno.EISDIR, f"{db.name} is not a file")
        return Portal(home, now)
    except (sqlite3.Error, OSError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        reason = reason[:1].lower() + reason[1:]  # "Permission denied" mid-sentence
        raise PortalUnusable(f"the local portal's data at {home} cannot be used: {reason}",
                             code="portal_unusable") from error


class Client:
    """The portal's API: thin methods returning the JSON the portal sends, typed errors for everything else."""

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
        self.portal = None  # the gkh.server.local.Portal when this client talks to the embedded portal
        self._auth = _BearerAuth(self)
        self._headers = {"User-Agent": f"gkh/{__version__}", "Accept": "application/json"}

    @classmethod
    def for_local(cls, home: Path, now: datetime, **kw) -> Client:
        """A client of the embedded portal under `home`, answering in-process (created with its demo world on first use)."""
        portal = open_local_portal(home, now)
        session = kw.pop("session", None) or requests.Session()
        session.mount(LOCAL_BASE + "/", LocalTransport(portal.app))
        client = cls(LOCAL_BASE, session=session, **kw)
        client.portal = portal
        client._host = "the local portal"
        return client

    # --- plumbing -------------------------------------------------------------------------------

    def set_token(self, token: str | None) -> None:
        """Send this bearer token from now on (None: send none)."""
        self.token = token

    @property
    def portal_key(self) -> str:
        """Which portal issued our credentials: `local:<portal id>` in-process, else the normalised base URL."""
        if self.portal is not None:
            return "local:" + self.portal.portal_id
        return self._url_key

    def close(self) -> None:
        self.session.close()
        if self.portal is not None:
            self.portal.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        signed = "signed in" if self.token else "anonymous"
        return f"<Client {self.portal_key} {signed}>"

    def _log(self, line: str) -> None:
        if self.log is not None:
            try:
                self.log(line)
            except Exception:  # a broken log must not break the call
                pass

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
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        url = self._api + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        _check_text(query, "query")
        _check_text(json, "body")
        if dry_run:
            query["dry_run"] = "true"
        headers = dict(self._headers)
        if method in MUTATING and idempotent:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        retryable = method in SAFE or "Idempotency-Key" in headers
        shown = PreparedRequest()
        shown.prepare_url(url, query)
        attempts = self.retry.attempts if retryable else 1

        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            last = attempt == attempts
            try:
                response = self.session.request(
                    method, url, params=query, json=json, headers=headers, auth=self._auth,
                    timeout=(self.timeout, self.timeout), allow_redirects=method in SAFE,
                )
            except requests.exceptions.RequestException as failure:
                cause = describe_failure(failure, self.timeout)
                again = not last and _retryable_failure(failure)
                wait = self.retry.delay(attempt) if again else None
                self._log_attempt(method, shown.url, cause, started, attempt, attempts, wait)
                if again:
                    self.retry.sleep(wait)
                    continue
                raise Unreachable(f"cannot reach {self._host}: {cause}", code="unreachable") from failure

            status = response.status_code
            if 200 <= status < 300:
                self._log_attempt(method, shown.url, str(status), started, attempt, attempts, None)
                return self._parse(response)
            error = error_from_response(status, response.content, response.headers)
            again = not last and _retryable_status(error)
            wait = self.retry.delay(attempt, parse_retry_after(response.headers.get("Retry-After"))) if again else None
            self._log_attempt(method, shown.url, f"{status} {error.code}", started, attempt, attempts, wait)
            if again:
                self.retry.sleep(wait)
                continue
            raise error
        raise AssertionError("unreachable: the loop returns or raises")

    def _log_attempt(self, method, url, outcome, started, attempt, attempts, wait) -> None:
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
        except ValueError:
            raise ServerError(
                f"{self._host} answered {response.status_code} with something that is not JSON",
                status=response.status_code, code="invalid_response",
                request_id=response.headers.get("X-Request-Id"),
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
            query["limit"] = page_size if limit is None else min(page_size, limit - given)
            query["cursor"] = cursor
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
                raise ServerError(f"{self._host} gave the same page cursor twice", code="invalid_response")
            seen.add(cursor)

    @staticmethod
    def _segment(value: str, field: str) -> str:
        """One path segment, percent-encoded so that user input never changes the route."""
        text = str(value).strip()
        if not text:  # "/meters//readings" or "/accounts/links/" would be another route, or none
            raise InvalidRequest(f"{field} must not be empty", code="invalid", field=field)
        _check_text(text, field)
        return quote(text, safe="")

    # --- the portal, signing in and out ---------------------------------------------------------

    def portal_info(self) -> dict:
        """Which portal this is: id, name, demo mark, version (public)."""
        return self.request("GET", "/portal")

    def sign_in(self, login: str, password: str) -> dict:
        """A new token for login and password: {token, expires_at, user}. Does not set it on this client."""
        return self.request("POST", "/auth/token", json={"login": login, "password": password})

    def sign_out(self) -> dict:
        """Revoke the token this client sends."""
        return self.request("DELETE", "/auth/token")

    def me(self) -> dict:
        """The signed-in user, their token's expiry and the portal."""
        return self.request("GET", "/me")

    # --- addresses and houses -------------------------------------------------------------------

    def search_addresses(self, query: str, limit: int | None = None) -> list[dict]:
        """Houses whose address matches `query` (e.g. "ленина 5"), sorted by address."""
        return list(self.paginate("/addresses", {"q": query}, limit=limit))

    def house(self, guid: str) -> dict:
        """A house's passport by FIAS GUID."""
        return self.request("GET", f"/houses/{self._segment(guid, 'house')}")

    # --- personal accounts ----------------------------------------------------------------------

    def accounts(self, limit: int | None = None) -> list[dict]:
        """The personal accounts the caller sees."""
        return list(self.paginate("/accounts", limit=limit))

    def account(self, els: str) -> dict:
        """One of the caller's accounts by ЕЛС."""
        return self.request("GET", f"/accounts/{self._segment(els, 'account')}")

    def link_account(
        self,
        house: str,
        *,
        payer: str,
        number: str | None = None,
        els: str | None = None,
        izhku: str | None = None,
        org: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """Link the account at `house` named by number, ЕЛС or ИЖКУ (and org's ИНН if several), proved by the
        payer's surname from the bill: {status, account} (a dry run's account is None: nothing is shown before)."""
        body = {"house": house, "number": number, "els": els, "izhku": izhku, "payer": payer, "org": org}
        return self.request(
            "POST", "/accounts/links", json={k: v for k, v in body.items() if v is not None}, dry_run=dry_run
        )

    def unlink_account(self, els: str, dry_run: bool = False) -> dict:
        """Unlink one of my accounts: {status, account}."""
        return self.request("DELETE", f"/accounts/links/{self._segment(els, 'account')}", dry_run=dry_run)

    # -- meters -----------------------------------------------------------------------------------

    def meters(self, account: str | None = None, limit: int | None = None) -> list[dict]:
        """Meters of the accounts I see (or of one of them), following the pages to the end."""
        return list(self.paginate("/meters", {"account": account} if account else None, limit=limit))

    def meter(self, meter: str) -> dict:
        """One meter by its portal id (M-000123) or serial number."""
        return self.request("GET", f"/meters/{self._segment(meter, 'meter')}")

    def submit_reading(
        self, meter: str, values: list[str], *, date: str | None = None, rollover: bool = False, dry_run: bool = False
    ) -> dict:
        """Submit one value per tariff zone: the stored reading with status accepted|replaced|unchanged."""
        body: dict = {"values": values, "rollover": rollover}
        if date is not None:
            body["date"] = date
        return self.request("POST", f"/meters/{self._segment(meter, 'meter')}/readings", json=body, dry_run=dry_run)

    def meter_history(self, meter: str, months: int = 12) -> list[dict]:
        """The last `months` periods' readings with consumption, oldest first."""
        return self.request("GET", f"/meters/{self._segment(meter, 'meter')}/readings", params={"months": months})["items"]
