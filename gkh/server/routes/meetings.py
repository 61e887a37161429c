"""Owners' general meetings: filing, the list and one meeting, its notice, the review, votes and results."""

from __future__ import annotations

import falcon

from gkh import protocol
from gkh.domain import meetings as rules
from gkh.i18n import _
from gkh.server.http import Page, echo, invalid, json_body, optional_text_field, text_field
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import meetings

MAX_QUESTION_NUMBER = 1000


def meeting_id_of(text: str) -> str:
    """A meeting's id as people type it (mt-000001): upper case, no surrounding spaces."""
    return text.strip().upper()


class MeetingList(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = Page(req)
        house = req.get_param("house")
        guid = meetings.resolve_house(self.store, house, "house") if house is not None else None
        status = req.get_param("status")
        if status is not None and status not in rules.STATUSES:
            raise invalid(_("{field} must be one of {choices}").format(
                field="status", choices=", ".join(rules.STATUSES)), "status")
        after = page.cursor_values(list(meetings.FIRST), int)
        resp.media = page.result(meetings.list_meetings(self.store, req.context.user, guid, status, page.limit, after,
                                                        req.context.now))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """File a meeting's notice: 201 under_review (dry run: 200, id null)."""
        body = json_body(req)
        respond(resp, meetings.file_meeting(self.store, req.context.user, body, req.context.now,
                                            mutation_of(req, body)))


class MeetingItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        resp.media = meetings.get_meeting(self.store, req.context.user, meeting_id_of(path["id"]), req.context.now)


class MeetingNotice(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """The notice's PDF as filed, its name in X-File-Name."""
        name, data = meetings.get_notice(self.store, req.context.user, meeting_id_of(path["id"]))
        resp.content_type = "application/pdf"
        resp.set_header(protocol.FILE_NAME, protocol.encode_file_name(name))
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
        resp.set_header("Content-Disposition",
                        f"attachment; filename=\"{ascii_name}\"; filename*={protocol.encode_file_name(name)}")
        resp.data = data


class MeetingReview(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """Approve or reject (with a reason) a meeting under review."""
        body = json_body(req)
        decision = text_field(body, "decision")
        if decision not in ("approve", "reject"):
            raise invalid(_("{field} must be one of {choices}").format(field="decision", choices="approve, reject"),
                          "decision")
        reason = optional_text_field(body, "reason")
        if reason is not None:
            reason = reason.strip()
        if decision == "reject" and not reason:
            raise invalid(_("a rejection needs its reason (reason: 1 to {limit} characters)").format(
                limit=meetings.MAX_REASON), "reason")
        if reason is not None and len(reason) > meetings.MAX_REASON:
            raise invalid(_("reason may have at most {limit} characters; got {count}").format(
                limit=meetings.MAX_REASON, count=len(reason)), "reason")
        respond(resp, meetings.review_meeting(self.store, req.context.user, meeting_id_of(path["id"]), decision,
                                              reason, req.context.now, mutation_of(req, body)))


class MeetingVotes(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        """Vote on the meeting's questions: {"votes": {"1": "for", "2": "against"}}."""
        body = json_body(req)
        votes = body.get("votes")
        if not isinstance(votes, dict) or not votes:
            raise invalid(_('votes must be an object of answers by question number, such as {{"1": "for"}}'),
                          "votes")
        choices: dict[int, str] = {}
        for number, choice in votes.items():
            if not (number.isascii() and number.isdigit()) or len(number) > 6 \
                    or not 1 <= int(number) <= MAX_QUESTION_NUMBER:
                raise invalid(_('votes: "{number}" is not a question number').format(number=echo(number)), "votes")
            if not isinstance(choice, str):
                raise invalid(_("votes: question {number}: the answer must be for, against or abstain").format(
                    number=int(number)), "votes")
            choices[int(number)] = choice
        respond(resp, meetings.vote(self.store, req.context.user, meeting_id_of(path["id"]), choices,
                                    req.context.now, mutation_of(req, body)))


class MeetingResults(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **path: str) -> None:
        resp.media = meetings.results(self.store, req.context.user, meeting_id_of(path["id"]), req.context.now)
