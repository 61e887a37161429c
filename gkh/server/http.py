"""What every route shares: the JSON error, the request's clock, paging, flags and bodies."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

import falcon

from gkh.clock import current_now
from gkh.domain.errors import InvalidInput

MAX_JSON_BODY = 1024 * 1024
DEFAULT_PAGE = 100
MAX_PAGE = 1000  # the official API's own batch limit

_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    422: "refused",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}


class ApiError(falcon.HTTPError):
    """An error the portal reports on purpose: a status, a stable code, a message and the field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers=None):
        if status == 401:  # RFC 7235: say which scheme would do
            headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        super().__init__(falcon.code_to_http_status(status), title=code, description=message, headers=headers)
        self.error_code = code
        self.field = field


def invalid(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "invalid", message, field)


def not_found(message: str, code: str = "not_found") -> ApiError:
    return ApiError(404, code, message)


def serialize_error(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    """Every error, Falcon's own included, as {"error": {"code", "message", "field", "request_id"}}."""
    status = error.status_code
    if isinstance(error, ApiError):
        code, message, field = error.error_code, error.description, error.field
    else:
        code = _CODES.get(status, "error")
        message = error.description or error.title or falcon.code_to_http_status(status)
        field = None
        if status == 404:
            message = f"no such route: {req.method} {req.path}"
        elif status == 405:
            message = f"{req.method} is not allowed on {req.path}"
    payload = {"code": code, "message": message, "field": field, "request_id": req.context.get("request_id")}
    resp.content_type = falcon.MEDIA_JSON
    resp.data = json.dumps({"error": payload}, ensure_ascii=False).encode()


def handle_invalid_input(req, resp, error: InvalidInput, params) -> None:
    raise invalid(error.message, error.field)


def handle_unexpected(req, resp, error: Exception, params) -> None:
    if isinstance(error, falcon.HTTPError):
        raise error
    import logging

    logging.getLogger("gkh.server").exception("unexpected error in %s %s", req.method, req.path)
    raise ApiError(500, "internal", "the portal failed to handle this request; it has been logged")


def request_now() -> datetime:
    """The request's one reading of the portal's clock."""
    try:
        return current_now()
    except InvalidInput as error:
        raise ApiError(500, "bad_clock", error.message, "GKH_NOW") from None


def json_body(req: falcon.Request) -> dict[str, Any]:
    if req.content_length and req.content_length > MAX_JSON_BODY:
        raise ApiError(413, "too_large", f"the request body is over {MAX_JSON_BODY} bytes")
    if req.content_length and not (req.content_type or "").startswith(falcon.MEDIA_JSON):
        raise ApiError(415, "unsupported_media_type", "send the request body as application/json")
    try:
        body = req.get_media()
    except falcon.MediaNotFoundError:
        raise invalid("the request needs a JSON object body") from None
    except falcon.MediaMalformedError:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    return body


def text_field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"{name} is required", name)
        return None
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string", name)
    return value


def flag(req: falcon.Request, name: str) -> bool:
    value = req.get_param(name)
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise invalid(f"{name} must be true or false", name)


class Page:
    """limit and cursor of a list request; the cursor is opaque to clients."""

    def __init__(self, req: falcon.Request):
        raw_limit = req.get_param("limit")
        try:
            self.limit = int(raw_limit) if raw_limit is not None else DEFAULT_PAGE
        except ValueError:
            raise invalid("limit must be a whole number", "limit") from None
        if not 1 <= self.limit <= MAX_PAGE:
            raise invalid(f"limit must be between 1 and {MAX_PAGE}", "limit")
        self.after: list | None = None
        if cursor := req.get_param("cursor"):
            try:
                self.after = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))
            except (binascii.Error, ValueError, UnicodeDecodeError):
                raise invalid("cursor is not one this portal gave out", "cursor") from None
            if not isinstance(self.after, list):
                raise invalid("cursor is not one this portal gave out", "cursor")

    def cursor_values(self, start: list, *kinds: type) -> list:
        """The sort key to continue after: the cursor's values, checked against the kinds expected."""
        if self.after is None:
            return start
        if len(self.after) != len(start) or not all(
            isinstance(v, kinds[min(i, len(kinds) - 1)]) for i, v in enumerate(self.after)
        ):
            raise invalid("cursor is not one this portal gave out", "cursor")
        return self.after

    def result(self, rows: list, key, render) -> dict[str, Any]:
        """Rows fetched with LIMIT limit+1: the extra row only tells that there is a next page."""
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        next_cursor = None
        if more:
            raw = json.dumps(key(rows[-1]), ensure_ascii=False).encode()
            next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {"items": [render(r) for r in rows], "next_cursor": next_cursor}

