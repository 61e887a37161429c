"""The houses' owner registers (issue 16): a chunk of owners imported, a house's register listed."""

from __future__ import annotations

import falcon

from gkh.domain.batch import OWNER_FIELDS
from gkh.i18n import _
from gkh.server.http import Page, invalid, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.routes.batches import chunk_rows
from gkh.server.services import owners
from gkh.server.services.addresses import resolve_house


class OwnerBatch(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create or update a chunk of owners by flat and name (admins; a managing organisation's staff, its houses):
        the counts and the rejected rows."""
        owners.require_registrar(self.store, req.context.user)
        body = json_body(req)
        rows = chunk_rows(body, OWNER_FIELDS)
        respond(resp, owners.import_owners(self.store, req.context.user, rows, req.context.now,
                                           mutation_of(req, body)))


class OwnerList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A house's owner register, by flat and owner's name."""
        user = req.context.user
        owners.require_registrar(self.store, user)
        page = Page(req)
        text = req.get_param("house")
        if not isinstance(text, str) or not text.strip():
            raise invalid(_("{field} must be the house's FIAS GUID or its address").format(field="house"), "house")
        guid = resolve_house(self.store, text, "house")
        after = page.cursor_values(list(owners.FIRST), str, str, int)
        resp.media = page.result(owners.list_owners(self.store, user, guid, page.limit, after))
