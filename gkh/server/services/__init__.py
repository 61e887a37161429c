"""The portal's services: what it does, without HTTP. One module per noun; routes parse, call one, and answer.

A public function is one transaction: a read through `store.read()`, a change as a function of the open
write transaction handed to `store.transact` (which runs it again when a concurrent writer on PostgreSQL
fails it, so it must do nothing outside the database), or, for a change a client may repeat (link, unlink,
submit), a `Work` function handed to idempotency.run_mutation, which stores the answer beside the change
(`mutation` says whether it is a dry run and under which Idempotency-Key; the default is a plain change).
Anything numbered (receipts, appeals, meetings) takes its number inside the change's transaction, so that
SERIALIZABLE and the retries keep numbers unique and gapless with any number of server processes.
Arguments are the store, the caller (access.User), values the route has parsed, and `now`; answers are
plain dicts, a `Listing` of one page, or an idempotency.Outcome. Errors are the domain's (InvalidInput 400,
Refused 422) or http.ApiError with its status (403, 404, 409, 429).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gkh.i18n import _
from gkh.server.db import Connection, Row
from gkh.server.http import not_found


@dataclass(frozen=True)
class Listing:
    """One page of a list: its items, and the sort key to continue after (None on the last page)."""

    items: list[dict[str, Any]]
    resume_after: list | None


def listing_of(rows: Sequence[Row], limit: int, key: Callable[[Row], list],
               render: Callable[[Row], dict[str, Any]]) -> Listing:
    """Rows fetched with LIMIT limit+1: the extra row only tells that there is a next page."""
    page = rows[:limit]
    return Listing([render(r) for r in page], key(page[-1]) if len(rows) > limit else None)


def of_account(conn: Connection, sql: str, visible: tuple[str, list], els: str | None) -> tuple[str, list]:
    """A list's query (`sql`, its rows joined to accounts as `a`, with the condition on `a` that the caller sees
    it and its parameters, `visible`) narrowed to one account, which must be among the visible ones (else 404
    `account_not_found`, as GET /accounts/{els}); as it is when `els` is None."""
    condition, params = visible
    if els is None:
        return sql, params
    if not conn.execute(f"SELECT 1 FROM accounts a WHERE a.els = ? AND {condition}", (els, *params)).fetchone():
        raise not_found(_("no account {els} among yours").format(els=els), "account_not_found")
    return sql + " AND a.els = ?", [*params, els]
