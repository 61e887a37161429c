"""Meters of the accounts I see, their readings, and submitting a reading."""

from __future__ import annotations

import falcon

from gkh.domain import readings as rules
from gkh.domain.identifiers import normalize_els
from gkh.i18n import _
from gkh.server.http import Page, invalid, json_body, query_int
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import meters
from gkh.server.services.meters import MAX_HISTORY_MONTHS, Submission


class MeterList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = Page(req)
        account = req.get_param("account")
        els = normalize_els(account, field="account") if account else None
        (after,) = page.cursor_values([""], str)
        resp.media = page.result(meters.list_meters(self.store, req.context.user, els, page.limit, after,
                                                    req.context.now))


class MeterItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, meter: str) -> None:
        resp.media = meters.get_meter(self.store, req.context.user, meter, req.context.now)


class MeterReadings(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, meter: str) -> None:
        """The last `months` periods' readings with their consumption, oldest first."""
        months = query_int(req, "months", 12, 1, MAX_HISTORY_MONTHS)
        items = meters.reading_history(self.store, req.context.user, meter, months, req.context.now)
        resp.media = {"items": items, "next_cursor": None}

    def on_post(self, req: falcon.Request, resp: falcon.Response, meter: str) -> None:
        """Submit a reading: every rule checked by the portal; the same values again are `unchanged`."""
        body = json_body(req)
        values = body.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            # Strings, not JSON numbers: a number would pass through a float and lose digits.
            raise invalid(_('values must be a list of strings, one reading per tariff zone: ["123.45"]'), "values")
        parsed = [rules.parse_reading_value(v, field="values") for v in values]
        taken_on = body.get("date")
        if taken_on is not None and (not isinstance(taken_on, str) or not taken_on.strip()):
            raise invalid(_("date must be DD.MM.YYYY or YYYY-MM-DD"), "date")
        rollover = body.get("rollover", False)
        if not isinstance(rollover, bool):
            raise invalid(_("{field} must be true or false").format(field="rollover"), "rollover")
        submission = Submission(parsed, taken_on, rollover)
        respond(resp, meters.submit_reading(self.store, req.context.user, meter, submission, req.context.now,
                                            mutation_of(req, body)))
