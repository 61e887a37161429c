"""The portal's admin: its settings, its organisations and its users (admins only; everyone else gets 403)."""

from __future__ import annotations

from gkh.client.core import ClientCore

ADMIN = "/admin"
ORGANISATION_KINDS = ("managing", "supplier", "inspectorate", "authority")
ROLES = ("resident", "staff", "inspector", "admin")


class Admin(ClientCore):
    # --- settings -------------------------------------------------------------------------------------------

    def admin_settings(self) -> list[dict]:
        """Every setting the portal knows: {key, value (None: unset), default, description}, by key."""
        return list(self.request("GET", f"{ADMIN}/settings").get("items", []))

    def set_admin_setting(self, key: str, value: str | None, *, dry_run: bool = False) -> dict:
        """Set a setting (None: back to its default): the setting as it is now (a dry run: as it would be)."""
        return self.request("PUT", f"{ADMIN}/settings/{self._segment(key, 'key')}", json={"value": value},
                            dry_run=dry_run)

    # --- organisations --------------------------------------------------------------------------------------

    def admin_organisations(self) -> list[dict]:
        """Every organisation of the portal, by id."""
        return list(self.paginate(f"{ADMIN}/organisations"))

    def add_organisation(self, name: str, inn: str, ogrn: str, kind: str, *, short_name: str | None = None,
                         kpp: str | None = None, card_commission: str | None = None, phone: str | None = None,
                         email: str | None = None, address: str | None = None, dry_run: bool = False,
                         idempotency_key: str | None = None) -> dict:
        """Add an organisation (kind: managing, supplier, inspectorate or authority; the card commission a
        percentage as text, "0.8"; none: the portal's setting). The organisation with its id (ORG-0007); the
        same ИНН with the same details again: the one there, unchanged; with other details: Refused
        (organisation_exists)."""
        body: dict = {"name": name, "inn": inn, "ogrn": ogrn, "kind": kind}
        optional = {"short_name": short_name, "kpp": kpp, "card_commission": card_commission, "phone": phone,
                    "email": email, "address": address}
        body.update({field: value for field, value in optional.items() if value is not None})
        return self.request("POST", f"{ADMIN}/organisations", json=body, dry_run=dry_run,
                            idempotency_key=idempotency_key)

    # --- users ----------------------------------------------------------------------------------------------

    def admin_users(self) -> list[dict]:
        """Every user of the portal, by login."""
        return list(self.paginate(f"{ADMIN}/users"))

    def add_user(self, login: str, name: str, role: str, *, org: str | None = None, email: str | None = None,
                 dry_run: bool = False, idempotency_key: str | None = None) -> dict:
        """Add a user (org: the organisation's ИНН or id, for staff and inspectors): {"user", "one_time_password"}
        — the password is in this answer only; the user sets their own at the first sign-in. A dry run checks it
        all and answers no password."""
        body: dict = {"login": login, "name": name, "role": role}
        if org is not None:
            body["org"] = org
        if email is not None:
            body["email"] = email
        return self.request("POST", f"{ADMIN}/users", json=body, dry_run=dry_run, idempotency_key=idempotency_key)

    def disable_user(self, login: str) -> dict:
        """Disable a user: they can no longer sign in, and their sign-ins end. The user (again: unchanged)."""
        return self.request("POST", f"{ADMIN}/users/{self._segment(login, 'login')}/disable")

    def enable_user(self, login: str) -> dict:
        """Let a disabled user sign in again. The user."""
        return self.request("POST", f"{ADMIN}/users/{self._segment(login, 'login')}/enable")

    def reset_user_password(self, login: str) -> dict:
        """A new one-time password for a user who forgot theirs ({"user"?, "one_time_password"}); their
        sign-ins end and they set their own at the next one."""
        return self.request("POST", f"{ADMIN}/users/{self._segment(login, 'login')}/password")
