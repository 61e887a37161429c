"""The portal itself, signing in and out, and who I am."""

from __future__ import annotations

import falcon

from gkh.server.http import bearer_token, json_body, text_field
from gkh.server.routes.base import Resource
from gkh.server.services import session


class PortalInfo(Resource):
    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Which portal this is: its own id (credentials are kept per portal), name, demo mark."""
        resp.media = session.portal_info(self.store)


class Token(Resource):
    public = True  # signing in needs no token; signing out checks its own

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = json_body(req)
        login = text_field(body, "login")
        password = text_field(body, "password")
        resp.media = session.sign_in(self.store, login, password, req.context.client, req.context.now)
        resp.status = falcon.HTTP_201

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = session.sign_out(self.store, bearer_token(req), req.context.now)


class Me(Resource):
    before_own_password = True  # says must_change_password, so a client knows to ask for a new one

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = session.me(self.store, req.context.user, bearer_token(req))


class Password(Resource):
    before_own_password = True  # the one thing a one-time password is for

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A password of the caller's own in place of the current one; the caller's other tokens are deleted."""
        body = json_body(req)
        current = text_field(body, "current")
        new = text_field(body, "new")
        resp.media = session.change_password(self.store, req.context.user, bearer_token(req), current, new,
                                             req.context.now)
