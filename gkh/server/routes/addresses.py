"""The address directory (the portal's own table of houses) and house passports."""

from __future__ import annotations

import falcon

from gkh.domain.address import query_needles
from gkh.domain.identifiers import normalize_fias_guid
from gkh.i18n import _
from gkh.server.http import Page, invalid
from gkh.server.routes.base import Resource
from gkh.server.services import addresses


class AddressSearch(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = req.get_param("q")
        if not query or not query.strip():
            raise invalid(_("q is required: part of an address, e.g. 'ленина 5'"), "q")
        needles = query_needles(query)
        page = Page(req)
        listing = addresses.search_houses(self.store, needles, page.limit, page.cursor_values(["", ""], str),
                                          query=query)
        resp.media = page.result(listing)


class HousePassport(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, guid: str) -> None:
        resp.media = addresses.house_passport(self.store, normalize_fias_guid(guid, field="guid"),
                                                  req.context.now)
