"""What can go wrong talking to a portal, as typed errors the command line maps to exit codes.

Kept free of heavy imports (no requests): commands import these to catch them, and
gkh.errors.describe_error turns them into one line and an exit code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus

from gkh.i18n import _
from gkh.protocol import IN_PROGRESS, REQUEST_ID, TOO_MANY_ATTEMPTS, code_for

__all__ = [
    "PortalError", "InvalidRequest", "AuthenticationError", "PermissionDenied", "NotFound", "Refused",
    "Unreachable", "PortalUnusable", "ServerError", "TOO_MANY_ATTEMPTS", "error_class", "error_from_response",
    "one_line",
]


class PortalError(Exception):
    """An error from (or on the way to) the portal: HTTP status, stable code, one-line message, field, request id,
    and the rule's details when the portal sends them (`error.details`: an object or a list)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "error",
        field: str | None = None,
        request_id: str | None = None,
        details: dict | list | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.request_id = request_id
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class InvalidRequest(PortalError):
    """The portal found the request malformed (400, 413, 415, other 4xx)."""


class AuthenticationError(PortalError):
    """Not signed in, or the token is unknown or expired (401): sign in again, retrying will not help."""


class PermissionDenied(PortalError):
    """Signed in, but this role may not do that (403)."""


class NotFound(PortalError):
    """No such thing among the caller's (404)."""


class Refused(PortalError):
    """Refused by the portal's rules given its state (422, and 409 other than in_progress)."""


class Unreachable(PortalError):
    """No answer at all: connection refused, name not found, timed out, answer cut short (after retries)."""


class PortalUnusable(PortalError):
    """The embedded portal's data cannot be opened: not a folder, not writable, or not a portal database."""


class ServerError(PortalError):
    """The portal failed or was busy (5xx, 429, 409 in_progress) and still did after the retries."""


def error_class(status: int, code: str) -> type[PortalError]:
    """Which typed error an HTTP status (and, for 409, the error code) stands for."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDenied
    if status == 404:
        return NotFound
    if status == 409:
        return ServerError if code == IN_PROGRESS else Refused
    if status == 422 or (status == 429 and code == TOO_MANY_ATTEMPTS):
        return Refused
    if status == 429 or status >= 500:
        return ServerError
    if 400 <= status < 500:
        return InvalidRequest
    return ServerError  # 1xx/3xx where an answer was expected: the portal (or a proxy) misbehaves


def one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _fallback_message(status: int, body: bytes, headers: Mapping[str, str]) -> str:
    """A one-line message for an answer that is not the portal's JSON (a proxy's HTML 502, a bare 503), in the
    current language (the portal's own JSON message is already in the request's)."""
    status_line = _phrase(status)
    if 300 <= status < 400 and headers.get("location"):
        return _("the portal answered {status}, redirecting to {location}: use that URL for the portal").format(
            status=status_line, location=headers["location"])
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "text/html" or body.lstrip()[:1] == b"<":
        return _("the portal answered {status} with an HTML page instead of its JSON (a proxy or gateway in the "
                 "way?)").format(status=status_line)
    if content_type.startswith("text/") or not content_type:
        text = one_line(body[:2000].decode("utf-8", "replace"), 200)
        if text:
            return _("the portal answered {status}: {text}").format(status=status_line, text=text)
    return _("the portal answered {status}").format(status=status_line)


def error_from_response(status: int, body: bytes | None, headers: Mapping[str, str] | None = None) -> PortalError:
    """The typed error for an HTTP error answer; understands the portal's JSON and copes with anything else."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    body = body or b""
    code = code_for(status)
    message = field = request_id = None
    details: dict | list | None = None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: a proxy's "[[[[…" thousands deep
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        if isinstance(error.get("code"), str) and error["code"]:
            code = error["code"]
        if isinstance(error.get("message"), str) and error["message"].strip():
            message = one_line(error["message"], 1000)
        if isinstance(error.get("field"), str):
            field = error["field"]
        if isinstance(error.get("request_id"), str):
            request_id = error["request_id"]
        if isinstance(error.get("details"), (dict, list)):
            details = error["details"]
    if message is None:
        message = _fallback_message(status, body, lowered)
    request_id = request_id or lowered.get(REQUEST_ID.lower())
    cls = error_class(status, code)
    return cls(message, status=status, code=code, field=field, request_id=request_id, details=details)
