"""The rules of the portal's users: a login's shape, the roles, and which roles belong to an organisation."""

from __future__ import annotations

import re

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import quoted
from gkh.i18n import _

ROLES = ("resident", "staff", "inspector", "admin")
ORGANISATION_ROLES = ("staff", "inspector")  # they act for an organisation; residents and admins for none
MIN_PASSWORD = 10
_LOGIN_RE = re.compile(r"^[a-z0-9._-]{3,64}\Z")


def normalize_login(text: str, field: str = "login") -> str:
    """A new user's login: 3 to 64 of a-z, 0-9, ".", "_", "-", lower-cased."""
    login = text.strip().lower() if isinstance(text, str) else ""
    if not _LOGIN_RE.match(login):
        raise InvalidInput(_('{field} must be 3 to 64 characters of a-z, 0-9, ".", "_" and "-"; got {got}').format(
            field=field, got=quoted(text)), field)
    return login


def check_role(role: str, field: str = "role") -> str:
    if role not in ROLES:
        raise InvalidInput(_("{field} must be one of {roles}; got {got}").format(
            field=field, roles=", ".join(ROLES), got=quoted(role)), field)
    return role


def check_new_password(new: str, login: str, current: str, field: str = "new") -> str:
    """A password of one's own: at least MIN_PASSWORD characters, not the login, not the current one."""
    if len(new) < MIN_PASSWORD:
        raise InvalidInput(_("the new password must be at least {n} characters long").format(n=MIN_PASSWORD), field)
    if new.casefold() == login.casefold():
        raise InvalidInput(_("the new password must not be the login"), field)
    if new == current:
        raise InvalidInput(_("the new password must differ from the current one"), field)
    return new
