"""Notices of outages: the list and one notice, posting, changing and cancelling one."""

from __future__ import annotations

import falcon

from gkh.i18n import _
from gkh.server.http import Page, invalid, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import outages
from gkh.server.services.addresses import resolve_house


def outage_id_of(text: str) -> str:
    """A notice's id as people type it (ot-000001): upper case, no surrounding spaces."""
    return text.strip().upper()


class OutageList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The notices of the houses the caller sees: of one house, resource, status at the request's time."""
        page = Page(req)
        status = req.get_param("status")
        if status is not None and status not in outages.STATUSES:
            raise invalid(_("{field} must be one of {choices}").format(
                field="status", choices=", ".join(outages.STATUSES)), "status")
        resource = req.get_param("resource")
        if resource is not None:
            resource = outages.resource_of(resource)
        house = req.get_param("house")
        guid = resolve_house(self.store, house, "house") if house is not None else None
        after = page.cursor_values(list(outages.FIRST), str, int)
        resp.media = page.result(outages.list_outages(self.store, req.context.user, guid, resource, status,
                                                      req.context.now, page.limit, after))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Post a notice: 201 (dry run: 200, id null)."""
        body = json_body(req)
        house = outages.check_post(req.context.user, body)
        guid = resolve_house(self.store, house, "house")
        respond(resp, outages.post_outage(self.store, req.context.user, guid, body, req.context.now,
                                          mutation_of(req, body)))


class OutageItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        resp.media = outages.get_outage(self.store, req.context.user, outage_id_of(path["id"]), req.context.now)

    def on_patch(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """Change any of start, end, text, topic, important."""
        body = json_body(req)
        respond(resp, outages.change_outage(self.store, req.context.user, outage_id_of(path["id"]), body,
                                            req.context.now, mutation_of(req, body)))


class OutageCancel(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """The posting organisation's staff cancel the notice (no body)."""
        respond(resp, outages.cancel_outage(self.store, req.context.user, outage_id_of(path["id"]), req.context.now,
                                            mutation_of(req, None)))
