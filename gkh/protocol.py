"""The wire contract the client and the portal share: the API prefix, paging, header names, error codes,
the file-name header's encoding and the one rule for a portal's URL.

Pure and light (no requests, no Falcon): both sides import it, and so may the command line.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes, urlsplit

API_PREFIX = "/api/v1"

# --- paging ----------------------------------------------------------------------------------------

DEFAULT_PAGE = 100
MAX_PAGE = 1000  # the official API's own batch limit
LIMIT_PARAM = "limit"
CURSOR_PARAM = "cursor"
DRY_RUN_PARAM = "dry_run"

# --- headers ---------------------------------------------------------------------------------------

IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENT_REPLAYED = "Idempotent-Replayed"  # "true" on a stored answer sent again
RETRY_AFTER = "Retry-After"
REQUEST_ID = "X-Request-Id"
FILE_NAME = "X-File-Name"  # an uploaded (or downloaded) file's name: see encode_file_name

# --- errors ----------------------------------------------------------------------------------------

# The code of an error answer whose body does not name one (Falcon's and waitress's own errors, a proxy's).
ERROR_CODES: dict[int, str] = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "refused",
    429: "too_many_requests",
    431: "headers_too_large",
    500: "internal",
    501: "not_implemented",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}
UNNAMED_ERROR = "error"

# 409 with this code: another request with the same Idempotency-Key is still running; retry after Retry-After.
IN_PROGRESS = "in_progress"
# 429 for failed sign-ins or link attempts past the portal's limit: waiting seconds will not help, so the
# client refuses at once with the portal's "try again in N minutes" instead of retrying like a busy portal's 429.
TOO_MANY_ATTEMPTS = "too_many_attempts"


def code_for(status: int) -> str:
    """The error code of a status whose answer names none."""
    return ERROR_CODES.get(status, UNNAMED_ERROR)


# --- file names in a header -----------------------------------------------------------------------

MAX_FILE_NAME = 255  # bytes of UTF-8, as most file systems allow
_UTF8_PREFIX = "UTF-8''"
# RFC 5987 attr-char: what may stand unencoded in an ext-value
_ATTR_CHARS = "!#$&+-.^_`|~"
# RFC 5987 ext-value: charset'language'value-chars
_EXT_VALUE = re.compile(r"([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'(.*)", re.DOTALL)
_VALUE_CHARS = re.compile(r"(?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-Fa-f]{2})*")
_NOT_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})


def check_file_name(name: str) -> str:
    """The name itself when it can be a file's name here and on the other side; ValueError saying why not (to
    people: the command line shows it)."""
    from gkh.i18n import _  # when called: importing the contract itself loads nothing of gkh
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise ValueError(_("a file's name must be a name, not empty and without folders"))
    if any(unicodedata.category(ch) in _NOT_IN_NAMES for ch in name):
        raise ValueError(_("a file's name must not hold control or invisible characters"))
    if len(name.encode("utf-8")) > MAX_FILE_NAME:
        raise ValueError(_("a file's name must be at most {limit} bytes of UTF-8").format(limit=MAX_FILE_NAME))
    return name


def encode_file_name(name: str) -> str:
    """A file's name as the X-File-Name value: UTF-8, percent-encoded as in RFC 5987 (`UTF-8''%D0%90.pdf`),
    so any name survives headers that carry latin-1 only. ValueError for what is no file name."""
    check_file_name(name)
    return _UTF8_PREFIX + quote(name, safe=_ATTR_CHARS, encoding="utf-8", errors="strict")


def decode_file_name(value: str) -> str:
    """The name in an X-File-Name value: `UTF-8''<percent-encoded>`, or plain printable ASCII (as typed for
    curl). ValueError for anything else, or a name that is no file name (empty, a folder, control characters)."""
    from gkh.i18n import _  # see check_file_name
    text = value.strip()
    if extended := _EXT_VALUE.fullmatch(text):
        charset, encoded = extended.groups()
        if charset.upper() != "UTF-8" or not _VALUE_CHARS.fullmatch(encoded):
            raise ValueError(_("the file's name must be sent as UTF-8''<percent-encoded UTF-8>"))
        name = unquote_to_bytes(encoded).decode("utf-8")  # UnicodeDecodeError is a ValueError
    elif text.isascii() and text.isprintable():
        name = text
    else:
        raise ValueError(_("the file's name must be percent-encoded UTF-8 (UTF-8''…) or plain ASCII"))
    return check_file_name(unicodedata.normalize("NFC", name))


# --- the portal's URL ------------------------------------------------------------------------------

MAX_URL = 2048  # what browsers and proxies reliably take; a longer "URL" is a mistake or an attack
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")

# Why a text is not a portal's URL (PortalUrlError.problem); each caller words it for its own readers.
URL_TOO_LONG = "too_long"
URL_NOT_TEXT = "not_text"  # empty, spaces, control characters, undecodable bytes
URL_BAD_PORT = "bad_port"  # or a bracketed host that is not IPv6
URL_NOT_HTTP = "not_http"  # another scheme, or no host
URL_BAD_HOST = "bad_host"


class PortalUrlError(ValueError):
    """A text that is no portal URL; `problem` is one of the URL_* constants."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class PortalUrl:
    """A portal's root, normalised: lower-case scheme and host, the port filled in, no trailing slash or API
    prefix. A user name and password, a query or a fragment are not part of it (`dropped` says if given)."""

    scheme: str
    host: str  # lower case; an IPv6 address in brackets
    port: int
    path: str  # "" or "/…" without a trailing slash
    dropped: tuple[str, ...] = ()  # "credentials" and/or "query" that the text held

    @property
    def url(self) -> str:
        """The canonical spelling, the scheme's default port left out: what the config stores and the client calls."""
        return f"{self.scheme}://{self.shown}{self.path}"

    @property
    def key(self) -> str:
        """The same URL with its port always spelt: the key its credentials are stored under (kept in this
        form so tokens saved by every gkh so far are still found)."""
        return f"{self.scheme}://{self.host}:{self.port}{self.path}"

    @property
    def shown(self) -> str:
        """host[:port] as messages name the portal."""
        return self.host if self.port == _DEFAULT_PORTS[self.scheme] else f"{self.host}:{self.port}"


def host_is_valid(host: str) -> bool:
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


def parse_portal_url(text: str) -> PortalUrl:
    """The one rule for a portal's http(s) URL; PortalUrlError(problem) when it cannot be one.

    The API prefix is tolerated (`https://portal.example.ru/api/v1/` is that portal's root).
    """
    text = text.strip()
    if len(text) > MAX_URL:
        raise PortalUrlError(URL_TOO_LONG)
    if not text or not text.isprintable() or " " in text:  # also bidi overrides and undecodable bytes
        raise PortalUrlError(URL_NOT_TEXT)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a bad port, or a bracketed host that is not IPv6
        raise PortalUrlError(URL_BAD_PORT) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise PortalUrlError(URL_NOT_HTTP)
    host = parts.hostname.lower()
    if not host_is_valid(host):
        raise PortalUrlError(URL_BAD_HOST)
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    dropped = []
    if parts.username is not None or parts.password is not None:
        dropped.append("credentials")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        dropped.append("query")
    return PortalUrl(
        scheme=scheme,
        host=f"[{host}]" if ":" in host else host,
        port=port or _DEFAULT_PORTS[scheme],
        path=path,
        dropped=tuple(dropped),
    )
