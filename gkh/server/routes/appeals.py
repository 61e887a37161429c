"""Appeals: the topics, the organisations that receive appeals, sending one, the list and one appeal, its files,
withdrawing, taking and answering it."""

from __future__ import annotations

import falcon

from gkh import protocol
from gkh.domain.identifiers import normalize_inn
from gkh.i18n import _
from gkh.server.http import Page, invalid, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import Listing, appeals
from gkh.server.services.addresses import resolve_house


def appeal_id_of(text: str) -> str:
    """An appeal's id as people type it (a-000001): upper case, no surrounding spaces."""
    return text.strip().upper()


def _choice(req: falcon.Request, name: str, choices: tuple[str, ...]) -> str | None:
    value = req.get_param(name)
    if value is not None and value not in choices:
        raise invalid(_("{field} must be one of {choices}").format(field=name, choices=", ".join(choices)), name)
    return value


class AppealTopics(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The portal's topics of appeals, in its form's order."""
        resp.media = Page(req).result(appeals.list_topics(self.store))


class Addressees(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The organisations that receive appeals: by a part of the name, type, ИНН, and those serving a house."""
        page = Page(req)
        query = req.get_param("q")
        if query is not None and len(query) > appeals.MAX_QUERY:
            raise invalid(_("q may have at most {limit} characters; got {count}").format(
                limit=appeals.MAX_QUERY, count=len(query)), "q")
        kind = _choice(req, "type", appeals.KINDS)
        inn = req.get_param("inn")
        if inn is not None:
            inn = normalize_inn(inn.strip(), "inn")
        house = req.get_param("house")
        guid = resolve_house(self.store, house, "house") if house is not None else None
        resp.media = page.result(appeals.list_addressees(self.store, query, kind, inn, guid, page.limit,
                                                         page.cursor_values(["", ""], str)))


class AppealList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = Page(req)
        status = _choice(req, "status", appeals.STATUSES)
        house = req.get_param("house")
        guid = resolve_house(self.store, house, "house") if house is not None else None
        after = page.cursor_values(list(appeals.FIRST), int)
        listing: Listing = appeals.list_appeals(self.store, req.context.user, status, guid, page.limit, after)
        resp.media = page.result(listing)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Send an appeal: 201 `sent` (dry run: 200, id null)."""
        body = json_body(req)
        request = appeals.check_request(body)
        guid = resolve_house(self.store, request.house, "house")
        respond(resp, appeals.send_appeal(self.store, req.context.user, guid, request, req.context.now,
                                          mutation_of(req, body)))


class AppealItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        resp.media = appeals.get_appeal(self.store, req.context.user, appeal_id_of(path["id"]))


class AppealFile(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """An attachment's or the answer's file as stored, its name in X-File-Name."""
        name, media_type, data = appeals.get_file(self.store, req.context.user, appeal_id_of(path["id"]),
                                                  path["file"].strip())
        resp.content_type = media_type
        resp.set_header(protocol.FILE_NAME, protocol.encode_file_name(name))
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
        resp.set_header("Content-Disposition",
                        f"attachment; filename=\"{ascii_name}\"; filename*={protocol.encode_file_name(name)}")
        resp.data = data


class AppealWithdraw(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """The author withdraws the appeal (no body)."""
        respond(resp, appeals.withdraw(self.store, req.context.user, appeal_id_of(path["id"]), req.context.now,
                                       mutation_of(req, None)))


class AppealTake(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """The addressee's staff take the appeal into work (no body)."""
        respond(resp, appeals.take(self.store, req.context.user, appeal_id_of(path["id"]), req.context.now,
                                   mutation_of(req, None)))


class AppealAnswer(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """The addressee's staff answer: {"text", "attachments": ["F-…"]}."""
        body = json_body(req)
        respond(resp, appeals.answer(self.store, req.context.user, appeal_id_of(path["id"]), body, req.context.now,
                                     mutation_of(req, body)))

