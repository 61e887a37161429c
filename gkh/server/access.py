"""Who may see and do what: the signed-in caller, and the rules every service applies to it."""

from __future__ import annotations

from dataclasses import dataclass

from gkh.i18n import _, term
from gkh.server.http import ApiError


@dataclass(frozen=True)
class User:
    """The caller a bearer token belongs to."""

    id: int
    login: str
    name: str
    email: str | None
    role: str  # resident | staff | inspector | admin
    org_id: str | None
    must_change_password: bool = False  # signed in with a one-time password: only changing it is allowed


def require_admin(user: User) -> None:
    """The portal's organisations, users and settings are its admins' to manage."""
    if user.role != "admin":
        raise ApiError(403, "forbidden", _("only the portal's admins manage its organisations, users and settings"))


def visible_accounts(user: User) -> tuple[str, list]:
    """A condition on the accounts row `a` that a user may see it: residents their linked ones, staff their
    organisation's, admins all; any other role none (403). A condition on the row, not a list of ids: a page of 50
    of an organisation's 100 000 accounts, meters or bills does not gather all its account ids first."""
    if user.role == "resident":
        return "a.id IN (SELECT account_id FROM account_links WHERE user_id = ?)", [user.id]
    if user.role == "staff":
        # `|| ''` keeps SQLite off the org_id index: through it, a page ordered by id sorted all of a large
        # organisation's rows first (0.35 s at 100 000 accounts); read in the page's order and filtered, it stops
        # at the 51st (0.2 ms; a small organisation in a large portal pays a scan, ≤ 25 ms; benchmarks/listings.py).
        return "a.org_id || '' = ?", [user.org_id]
    if user.role == "admin":
        return "1 = 1", []
    raise ApiError(403, "forbidden", _("the {role} role has no personal accounts to see").format(role=term(user.role)))


def account_visible(user: User, account_id: str) -> tuple[str, list]:
    """A condition that the account whose id is the SQL expression `account_id` is one the user may see (the same
    rule as visible_accounts), asked per row by an index probe: for a query whose rows are not joined to their
    account (a chunk's meters found by serial number)."""
    if user.role == "resident":
        return (f"EXISTS (SELECT 1 FROM account_links vl WHERE vl.user_id = ? AND vl.account_id = {account_id})",
                [user.id])
    if user.role == "staff":
        return f"EXISTS (SELECT 1 FROM accounts va WHERE va.id = {account_id} AND va.org_id = ?)", [user.org_id]
    visible_accounts(user)  # admins see all; anyone else is refused as there
    return "1 = 1", []


def require_resident(user: User) -> None:
    """Linking is a resident's act: an organisation's staff see their accounts without links."""
    if user.role != "resident":
        raise ApiError(403, "forbidden", _("only residents link personal accounts to themselves"))


def require_payer(user: User) -> None:
    """Paying (and a wallet) is a resident's act: staff, inspectors and admins pay nothing through the portal."""
    if user.role != "resident":
        raise ApiError(403, "forbidden", _("only residents pay bills and hold a wallet on the portal"))


def visible_payments(user: User) -> tuple[str, list]:
    """A condition on payments `p` a user may see: residents those they made, staff those to their organisation
    (never a top-up, which has no payee), admins all; any other role none (403)."""
    if user.role == "resident":
        return "p.user_id = ?", [user.id]
    if user.role == "staff":
        return "p.payee_org_id = ?", [user.org_id]
    if user.role == "admin":
        return "1 = 1", []
    raise ApiError(403, "forbidden", _("the {role} role has no payments to see").format(role=term(user.role)))


def visible_meetings(user: User) -> tuple[str, list]:
    """A condition on meetings `m` of houses `h` a user may see: residents those of the houses where they own a
    flat (in the owner register) or have a linked account; staff those of the houses their organisation manages;
    inspectors those of their inspectorate's houses; admins all."""
    if user.role == "resident":
        return ("(m.house_guid IN (SELECT f.house_guid FROM owners o JOIN flats f ON f.id = o.flat_id"
                " WHERE o.user_id = ? AND o.ended_at IS NULL)"
                " OR m.house_guid IN (SELECT a.house_guid FROM account_links l JOIN accounts a ON a.id = l.account_id"
                " WHERE l.user_id = ?))", [user.id, user.id])
    if user.role == "staff":
        return "h.managing_org_id = ?", [user.org_id]
    if user.role == "inspector":
        return "h.inspectorate_org_id = ?", [user.org_id]
    if user.role == "admin":
        return "1 = 1", []
    return "1 = 0", []


def require_reviewer(user: User, inspectorate_org_id: str | None) -> None:
    """Reviewing a meeting's notice is the act of an inspector of the house's inspectorate, nobody else's."""
    if user.role != "inspector" or inspectorate_org_id is None or user.org_id != inspectorate_org_id:
        raise ApiError(403, "forbidden", _("only the house's housing inspectorate reviews its meetings"))


def visible_appeals(user: User) -> tuple[str, list]:
    """A condition on appeals `a` a user may see: residents those they sent; staff (and inspectors) those addressed
    to their organisation; admins all; anyone else none."""
    if user.role == "resident":
        return "a.author_id = ?", [user.id]
    if user.role in ("staff", "inspector") and user.org_id is not None:
        return "a.addressee_org_id = ?", [user.org_id]
    if user.role == "admin":
        return "1 = 1", []
    return "1 = 0", []


def require_addressee_staff(user: User, addressee_org_id: str) -> None:
    """Taking and answering an appeal is the act of its addressee's staff (an inspectorate's inspectors)."""
    if user.role not in ("staff", "inspector") or user.org_id != addressee_org_id:
        raise ApiError(403, "forbidden", _("only the staff of the organisation an appeal is addressed to take and "
                                           "answer it"))


def require_author(user: User, author_id: int) -> None:
    """Withdrawing an appeal is its author's act alone."""
    if user.id != author_id:
        raise ApiError(403, "forbidden", _("only the author of an appeal withdraws it"))


def _served_houses(org_id: str | None) -> tuple[str, list]:
    """A condition on houses `h` an organisation serves: those it manages, or where it has accounts."""
    return ("(h.managing_org_id = ? OR h.guid IN (SELECT house_guid FROM accounts WHERE org_id = ?))",
            [org_id, org_id])


def visible_outages(user: User) -> tuple[str, list]:
    """A condition on the houses `h` whose notices of outages a user reads: residents those where they own a flat or
    have a linked account; staff those their organisation serves (manages, or has accounts in); inspectors those of
    their inspectorate; admins all; anyone else none."""
    if user.role == "resident":
        return ("(h.guid IN (SELECT f.house_guid FROM owners o JOIN flats f ON f.id = o.flat_id WHERE o.user_id = ?"
                " AND o.ended_at IS NULL)"
                " OR h.guid IN (SELECT a.house_guid FROM account_links l JOIN accounts a ON a.id = l.account_id"
                " WHERE l.user_id = ?))", [user.id, user.id])
    if user.role == "staff" and user.org_id is not None:
        return _served_houses(user.org_id)
    if user.role == "inspector" and user.org_id is not None:
        return "h.inspectorate_org_id = ?", [user.org_id]
    if user.role == "admin":
        return "1 = 1", []
    return "1 = 0", []


def outage_poster_houses(user: User) -> tuple[str, list]:
    """A condition on the houses `h` a user posts notices of outages for: staff, those their organisation serves
    (403 for anyone else)."""
    if user.role != "staff" or user.org_id is None:
        raise ApiError(403, "forbidden", _("only the staff of an organisation serving a house post its outages"))
    return _served_houses(user.org_id)


def require_outage_poster(user: User, org_id: str) -> None:
    """Changing and cancelling a notice is the act of the staff of the organisation that posted it."""
    if user.role != "staff" or user.org_id != org_id:
        raise ApiError(403, "forbidden", _("only the staff of the organisation that posted an outage change or "
                                           "cancel it"))


def period_closer_houses(user: User) -> tuple[str, list]:
    """A condition on the houses `h` whose billing periods a user closes and lists: admins any house, staff those
    their organisation serves (manages, or has accounts in); anyone else none (403)."""
    if user.role == "admin":
        return "1 = 1", []
    if user.role == "staff" and user.org_id is not None:
        return _served_houses(user.org_id)
    raise ApiError(403, "forbidden", _("only the portal's admins and the staff of an organisation serving a house "
                                       "close its periods"))
