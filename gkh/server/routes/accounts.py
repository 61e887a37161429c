"""Personal accounts: the ones I see (linked, or my organisation's), linking and unlinking."""

from __future__ import annotations

import falcon

from gkh.server.access import User, require_resident
from gkh.server.http import Page, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import accounts


class AccountList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = Page(req)
        (after,) = page.cursor_values([0], int)
        resp.media = page.result(accounts.list_accounts(self.store, req.context.user, page.limit, after))


class AccountItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, els: str) -> None:
        resp.media = accounts.get_account(self.store, req.context.user, els)


class AccountLinks(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Link an account the caller proves to know (number, ЕЛС or ИЖКУ, and the payer's surname)."""
        user: User = req.context.user
        require_resident(user)  # before the body: a role without links learns nothing from its checks
        body = json_body(req)
        mutation = mutation_of(req, body)
        respond(resp, accounts.link_account(self.store, user, body, req.context.now, mutation))


class AccountLink(Resource):
    def on_delete(self, req: falcon.Request, resp: falcon.Response, els: str) -> None:
        """Unlink one of my accounts (the account itself stays with its organisation)."""
        user: User = req.context.user
        require_resident(user)
        respond(resp, accounts.unlink_account(self.store, user, els, req.context.now, mutation_of(req, None)))

