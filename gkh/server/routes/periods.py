"""Billing periods closed by house (issue 16)."""

from __future__ import annotations

import falcon

from gkh.i18n import _
from gkh.server.http import Page, invalid, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import periods
from gkh.server.services.addresses import resolve_house


def _house_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(_("{field} must be the house's FIAS GUID or its address").format(field="house"), "house")
    return value


class PeriodClose(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Close a house's period (admins; staff of an organisation serving it): 201 closed, 200 unchanged."""
        user = req.context.user
        periods.period_closer_houses(user)
        body = json_body(req)
        text = _house_text(body.get("house"))
        period = periods.check_period(body.get("period"))
        guid = resolve_house(self.store, text, "house")
        respond(resp, periods.close_period(self.store, user, guid, period, req.context.now, mutation_of(req, body)))


class PeriodList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The closed periods of a house, newest first."""
        user = req.context.user
        periods.period_closer_houses(user)
        page = Page(req)
        guid = resolve_house(self.store, _house_text(req.get_param("house")), "house")
        after = page.cursor_values(list(periods.FIRST), str)
        resp.media = page.result(periods.list_closed(self.store, user, guid, page.limit, after))
