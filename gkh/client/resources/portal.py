"""The portal itself, signing in and out."""

from __future__ import annotations

from gkh.client.core import ClientCore


class PortalSession(ClientCore):
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

    def change_password(self, current: str, new: str) -> dict:
        """A password of one's own in place of `current` ({"status": "changed"}): the other sign-ins of the user
        end, this one stays. A wrong current one: PermissionDenied (wrong_password), not AuthenticationError."""
        return self.request("POST", "/auth/password", json={"current": current, "new": new})
