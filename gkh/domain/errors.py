"""The errors the pure rules raise: what is wrong, and which input field it concerns."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Input that can never be right, whatever the portal's state (HTTP 400, exit code 2).

    `code` is "invalid" unless a rule names its kind of malformed input (e.g. `wrong_zone_count`), `details`
    machine-readable extras (strings), as a refusal's."""

    def __init__(self, message: str, field: str | None = None, code: str = "invalid",
                 details: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.details = dict(details or {})


class Refused(Exception):
    """Input refused by a rule, given the portal's state (HTTP 422, exit code 5).

    `code` is stable snake_case (for JSON and tests), `message` one line naming what and why, `field` the
    input concerned (or None), `details` machine-readable extras (strings), e.g. a window's next opening.
    """

    def __init__(self, code: str, message: str, field: str | None = None, details: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = dict(details or {})
