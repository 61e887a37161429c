"""Bills (ЕПД) of the accounts I see: a page of them, and one by its ИПД."""

from __future__ import annotations

import falcon

from gkh.domain.identifiers import normalize_els, normalize_ipd
from gkh.server.http import Page, flag
from gkh.server.routes.base import Resource
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
