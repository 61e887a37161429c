"""The one error the pure rules raise: what is wrong, and which input field it concerns."""


class InvalidInput(ValueError):
    """Input that can never be right, whatever the portal's state (HTTP 400, exit code 2)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
