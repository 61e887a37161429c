"""What every route shares: the JSON error, the request's clock, paging, flags and bodies."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import falcon

from gkh import protocol
from gkh.clock import current_now
from gkh.domain.errors import InvalidInput, Refused
from gkh.i18n import N_, _

if TYPE_CHECKING:
    from gkh.server.services import Listing

MAX_JSON_BODY = 1024 * 1024
MAX_JSON_DEPTH = 32  # far deeper than any body the portal takes; whatever walks a body later stays shallow
MAX_HEADER_FIELD = 8 * 1024  # as nginx and Apache; serve.py gives waitress a larger header limit
MAX_HEADERS = 64 * 1024
MAX_CURSOR = 1024  # the portal's own cursors are a few dozen characters
ECHO_MAX = 64
INT64 = range(-(2**63), 2**63)  # what SQLite can bind as an INTEGER

# Lone surrogates can be written in JSON ("\ud800") but are not text: they cannot be stored or sent as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Nor is NUL, to PostgreSQL: its text cannot hold one, so no engine is given one.
_NUL = "\x00"


def error_code(status: int) -> str:
    """The error code of a status the portal did not name itself (Falcon's and waitress's own errors)."""
    return protocol.code_for(status)


def echo(value: object) -> str:
    """A caller's input shown in a message: one line, at most ECHO_MAX characters, then "…"."""
    text = value if isinstance(value, str) else str(value)
    cut = text[:ECHO_MAX]
    # Control, invisible and surrogate characters escaped: the message stays one printable line.
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in cut)
    return shown + ("…" if len(text) > ECHO_MAX else "")


# The reason phrases of the refusals waitress and gunicorn answer themselves, lower case as a message shows them.
_SERVER_REASONS = frozenset({
    N_("bad request"), N_("uri too long"), N_("expectation failed"), N_("forbidden"),
    N_("request header fields too large"), N_("request entity too large"), N_("internal server error"),
    N_("not implemented"),
})


def refusal_message(reason: str, detail: str) -> str:
    """The message of a refusal the HTTP server answers itself (waitress's, gunicorn's), outside any request of
    the app: its reason phrase (in the current language when it is one we know), then its own detail echoed."""
    phrase = reason.lower()
    shown = _(phrase) if phrase in _SERVER_REASONS else phrase
    return _("{reason}: {detail}").format(reason=shown, detail=echo(detail)) if detail else shown


class ApiError(falcon.HTTPError):
    """An error the portal reports on purpose: a status, a stable code, a message and the field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers=None,
                 details: dict[str, Any] | None = None):
        if status == 401:  # RFC 7235: say which scheme would do
            headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        super().__init__(falcon.code_to_http_status(status), title=code, description=message, headers=headers)
        self.error_code = code
        self.field = field
        self.details = details or None


def invalid(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "invalid", message, field)


def not_found(message: str, code: str = "not_found") -> ApiError:
    return ApiError(404, code, message)


def error_document(code: str, message: str, field: str | None, request_id: str | None,
                   details: dict[str, Any] | None = None) -> bytes:
    """The one JSON error shape, as bytes; never fails, whatever text the message echoes."""
    payload: dict[str, Any] = {"code": code, "message": message, "field": field, "request_id": request_id}
    if details:  # only when a rule gave some
        payload["details"] = details
    # A lone surrogate that slipped into a message becomes a \udXXX escape instead of a crash.
    return json.dumps({"error": payload}, ensure_ascii=False).encode("utf-8", "backslashreplace")


def serialize_error(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    """Every error, Falcon's own included, as {"error": {"code", "message", "field", "request_id"}}, and
    "details" when a refusal has some."""
    status = error.status_code
    details = None
    if isinstance(error, ApiError):
        code, message, field = error.error_code, error.description or error.error_code, error.field
        details = error.details
    else:
        code = error_code(status)
        message = error.description or error.title or str(falcon.code_to_http_status(status))
        field = None
        if status == 404:
            message = _("no such route: {method} {path}").format(method=req.method, path=echo(req.path))
        elif status == 405:
            message = _("{method} is not allowed on {path}").format(method=req.method, path=echo(req.path))
    resp.content_type = falcon.MEDIA_JSON
    resp.data = error_document(code, message, field, req.context.get("request_id"), details)


def handle_invalid_input(req, resp, error: InvalidInput, params) -> None:
    raise ApiError(400, error.code, error.message, error.field, details=error.details)


def handle_refused(req, resp, error: Refused, params) -> None:
    raise ApiError(422, error.code, error.message, error.field, details=error.details)


def handle_busy(req, resp, error: Exception, params) -> None:
    """The database could not do it in time (db.Busy): nothing changed, the same request may succeed soon."""
    import logging

    logging.getLogger("gkh.server").warning("busy in %s %s: %s", req.method, req.path, error)
    raise ApiError(503, "busy", _("the portal is busy; retry shortly"),
                   headers={protocol.RETRY_AFTER: "1"})


def handle_unexpected(req, resp, error: Exception, params) -> None:
    if isinstance(error, falcon.HTTPError):
        raise error
    import logging

    logging.getLogger("gkh.server").exception("unexpected error in %s %s", req.method, req.path)
    raise ApiError(500, "internal", _("the portal failed to handle this request; it has been logged"))


def request_now() -> datetime:
    """The request's one reading of the portal's clock."""
    try:
        return current_now()
    except InvalidInput as error:
        raise ApiError(500, "bad_clock", error.message, "GKH_NOW") from None


def check_header_sizes(req: falcon.Request) -> None:
    """Oversize headers get the portal's 431 naming the header (serve.py sets waitress's own limit higher)."""
    total = 0
    for name, value in req.headers.items():
        total += len(name) + len(value)
        if len(value) > MAX_HEADER_FIELD:
            raise ApiError(431, "headers_too_large", _("the {header} header is over {limit} bytes").format(
                header=name.title(), limit=MAX_HEADER_FIELD), echo(name.title()))
    if total > MAX_HEADERS:
        raise ApiError(431, "headers_too_large",
                       _("the request's headers are over {limit} bytes in all").format(limit=MAX_HEADERS))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # json.loads would take NaN and Infinity


def json_body(req: falcon.Request) -> dict[str, Any]:
    """The request's JSON object: at most MAX_JSON_BODY bytes, strict JSON, shallow, every string real text."""
    too_large = ApiError(413, "too_large", _("the request body is over {limit} bytes").format(limit=MAX_JSON_BODY))
    if req.content_length and req.content_length > MAX_JSON_BODY:
        raise too_large
    if req.content_length and not (req.content_type or "").startswith(falcon.MEDIA_JSON):
        raise ApiError(415, "unsupported_media_type", _("send the request body as application/json"))
    raw = req.bounded_stream.read(MAX_JSON_BODY + 1)  # bounded even without a Content-Length
    if len(raw) > MAX_JSON_BODY:
        raise too_large
    if not raw:
        raise invalid(_("the request needs a JSON object body"))
    try:
        text = raw.decode("utf-8")
        body = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # RecursionError: "[" × 100 000
        raise ApiError(400, "invalid_json", _("the request body is not valid JSON")) from None
    if not isinstance(body, dict):
        raise invalid(_("the request body must be a JSON object"))
    _check_json_strings(body, strings=_NON_TEXT_ESCAPE.search(text) is not None)
    return body


# Strict UTF-8 and JSON's own grammar leave only escapes to bring a lone surrogate (\ud800) or a NUL (\u0000) in.
_NON_TEXT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _check_json_strings(body: dict[str, Any], strings: bool = True) -> None:
    """Refuse lone surrogates anywhere in the body, naming the top-level field, and nesting deeper than allowed.
    Without `strings` (a body whose text has no escape that could make one) only the nesting is walked: a batch of
    1000 rows is then its 1001 containers, not its 12 000 strings."""
    stack: list[tuple[Any, str | None, int]] = []
    for key, value in body.items():
        field = None if _SURROGATE.search(key) else echo(key)  # a field name too is shown, never whole
        stack += [(key, field, 1), (value, field, 1)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise invalid(_("the request body is nested over {limit} levels deep").format(limit=MAX_JSON_DEPTH), field)
        if not strings:
            if isinstance(value, dict):
                stack += [(item, field, depth + 1) for item in value.values() if isinstance(item, (dict, list))]
            elif isinstance(value, list):
                stack += [(item, field, depth + 1) for item in value if isinstance(item, (dict, list))]
            continue
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise invalid(_("the request body holds a lone surrogate (\\ud800–\\udfff), which is not text")
                              if field is None else
                              _("{field} holds a lone surrogate (\\ud800–\\udfff), which is not text").format(
                                  field=field), field)
            if _NUL in value:
                raise invalid(_("the request body holds a NUL character (\\u0000), which is not text")
                              if field is None else
                              _("{field} holds a NUL character (\\u0000), which is not text").format(field=field),
                              field)
        elif isinstance(value, dict):
            stack += [(item, field, depth + 1) for pair in value.items() for item in pair]
        elif isinstance(value, list):
            stack += [(item, field, depth + 1) for item in value]


def check_text_params(req: falcon.Request, path_params: Mapping[str, Any]) -> None:
    """400 naming the parameter for a path or query value holding NUL or a lone surrogate (%00, %ED%A0%80):
    neither is text any engine is given."""
    for name, value in [*path_params.items(), *req.params.items()]:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and (_NUL in text or _SURROGATE.search(text)):
                raise invalid(_("{name} holds a NUL character or a lone surrogate, which is not text").format(
                    name=echo(name)), echo(name))


def text_field(body: Mapping[str, Any], name: str) -> str:
    """A required string field of a JSON body (400 when missing or not a string)."""
    value = optional_text_field(body, name)
    if value is None:
        raise invalid(_("{field} is required").format(field=name), name)
    return value


def optional_text_field(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(_("{field} must be a string").format(field=name), name)
    return value


def flag(req: falcon.Request, name: str) -> bool:
    """A yes/no query parameter: true/false, 1/0, yes/no in any ASCII case (the spec's pattern), absent: false."""
    value = req.get_param(name)
    if value is None:
        return False
    word = value.lower() if value.isascii() else value
    if word in ("1", "true", "yes"):
        return True
    if word in ("0", "false", "no"):
        return False
    raise invalid(_("{field} must be true or false").format(field=name), name)


def query_int(req: falcon.Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter in [low, high]: ASCII digits only (int() also takes "١٢"), blank is an error."""
    raw = req.get_param(name)
    if raw is None:
        return default
    # The length check keeps int() cheap and below Python's limit on digits.
    if not (raw.isascii() and raw.isdigit()) or len(raw.lstrip("0")) > len(str(high)) \
            or not low <= int(raw) <= high:
        raise invalid(_('{field} must be a whole number from {low} to {high}; got "{got}"').format(
            field=name, low=low, high=high, got=echo(raw)), name)
    return int(raw)


def _cursor_value_fits(value: object, kind: type) -> bool:
    if kind is int:  # bool is an int to Python, and SQLite binds only 64 bits
        return type(value) is int and value in INT64
    if kind is str:
        return isinstance(value, str) and not _SURROGATE.search(value) and _NUL not in value
    return isinstance(value, kind)


def bearer_token(req: falcon.Request) -> str | None:
    """The request's bearer token; None without an Authorization header, 401 for another scheme."""
    header = req.get_header("Authorization")
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", _("the Authorization header must be 'Bearer <token>'"))
    return token.strip()


class Page:
    """limit and cursor of a list request; the cursor is opaque to clients."""

    def __init__(self, req: falcon.Request):
        self.limit = query_int(req, protocol.LIMIT_PARAM, protocol.DEFAULT_PAGE, 1, protocol.MAX_PAGE)
        self.after: list | None = None
        if cursor := req.get_param(protocol.CURSOR_PARAM):
            try:
                if len(cursor) > MAX_CURSOR:
                    raise ValueError(cursor)
                self.after = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))
            except (binascii.Error, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                raise invalid(_("cursor is not one this portal gave out"), "cursor") from None
            if not isinstance(self.after, list):
                raise invalid(_("cursor is not one this portal gave out"), "cursor")

    def cursor_values(self, start: list, *kinds: type) -> list:
        """The sort key to continue after: the cursor's values, checked against the kinds expected."""
        if self.after is None:
            return start
        if len(self.after) != len(start) or not all(
            _cursor_value_fits(v, kinds[min(i, len(kinds) - 1)]) for i, v in enumerate(self.after)
        ):
            raise invalid(_("cursor is not one this portal gave out"), "cursor")
        return self.after

    def result(self, listing: Listing) -> dict[str, Any]:
        """A service's page of items, with the cursor that continues after it."""
        next_cursor = None
        if listing.resume_after is not None:
            raw = json.dumps(listing.resume_after, ensure_ascii=False).encode()
            next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {"items": listing.items, "next_cursor": next_cursor}
