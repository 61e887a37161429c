"""The portal's admins: its settings, organisations and users."""

from __future__ import annotations

import falcon

from gkh.i18n import _
from gkh.server.http import Page, invalid, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import admin


class SettingList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Every known setting with its value (null: unset), default and meaning."""
        resp.media = admin.list_settings(self.store, req.context.user)


class SettingItem(Resource):
    def on_put(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """Set one setting ({"value": "…"}; null: back to its default)."""
        body = json_body(req)
        if "value" not in body:
            raise invalid(_("{field} is required (null: back to the default)").format(field="value"), "value")
        value = body["value"]
        if value is not None and not isinstance(value, str):
            raise invalid(_("{field} must be a string or null").format(field="value"), "value")
        respond(resp, admin.set_setting(self.store, req.context.user, path["key"], value, req.context.now,
                                        mutation_of(req, body)))


class OrganisationList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The portal's organisations by id."""
        page = Page(req)
        after = page.cursor_values(list(admin.FIRST_ORG), str)
        resp.media = page.result(admin.list_organisations(self.store, req.context.user, page.limit, after))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Add an organisation: 201 (the same again: 200 unchanged; a dry run: 200, id null)."""
        body = json_body(req)
        respond(resp, admin.add_organisation(self.store, req.context.user, body, req.context.now,
                                             mutation_of(req, body)))


class UserList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The portal's users by login."""
        page = Page(req)
        after = page.cursor_values(list(admin.FIRST_LOGIN), str)
        resp.media = page.result(admin.list_users(self.store, req.context.user, page.limit, after))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Add a user with a one-time password: 201 {"user", "one_time_password"}."""
        body = json_body(req)
        respond(resp, admin.add_user(self.store, req.context.user, body, req.context.now, mutation_of(req, body)))


class UserDisable(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """Disable a user: their sign-ins refused, their tokens deleted (no body)."""
        respond(resp, admin.disable_user(self.store, req.context.user, path["login"], req.context.now,
                                         mutation_of(req, None)))


class UserEnable(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """Enable a disabled user again (no body)."""
        respond(resp, admin.enable_user(self.store, req.context.user, path["login"], req.context.now,
                                        mutation_of(req, None)))


class UserPassword(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """A new one-time password for the user (no body): {"user", "one_time_password"}."""
        respond(resp, admin.reset_password(self.store, req.context.user, path["login"], req.context.now,
                                           mutation_of(req, None)))
