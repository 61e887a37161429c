"""Bills (ЕПД) of the accounts I see: a page of them, and one by its ИПД; a chunk of bills' lines imported from an
organisation's accounting."""

from __future__ import annotations

import falcon

from gkh.domain.bills import BILL_FIELDS
from gkh.domain.identifiers import normalize_els, normalize_ipd
from gkh.server.http import Page, flag, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.routes.batches import chunk_rows
from gkh.server.services import bills


class BillList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = Page(req)
        account = req.get_param("account")
        els = normalize_els(account, field="account") if account else None
        after = page.cursor_values(list(bills.FIRST), str)
        resp.media = page.result(bills.list_bills(self.store, req.context.user, els, flag(req, "unpaid"),
                                                  page.limit, after, req.context.now))


class BillItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        # The path's field is `id` (the ИПД, with or without its hyphens, look-alike letters folded).
        bill_id = normalize_ipd(path["id"], field="id")
        resp.media = bills.get_bill(self.store, req.context.user, bill_id, req.context.now)


class BillBatch(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create or update a chunk of bills' lines (admins; staff for their organisation's accounts): the counts
        and the rejected rows."""
        bills.require_bill_importer(req.context.user)
        body = json_body(req)
        rows = chunk_rows(body, BILL_FIELDS)
        respond(resp, bills.import_bills(self.store, req.context.user, rows, req.context.now,
                                         mutation_of(req, body)))
