"""Owners' general meetings by electronic vote: a file uploaded before it is used (a notice's PDF), filing a
meeting's notice, the meetings one may see, the inspectorate's review, votes, and the results."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

from gkh.client.core import ClientCore, Content


class Meetings(ClientCore):
    def upload_file(self, file: str | os.PathLike[str] | IO[bytes], *, file_name: str | None = None,
                    content_type: str | None = None, idempotency_key: str | None = None) -> dict:
        """Upload a file for later use (a meeting's notice): {"id": "F-…", "name", "size", "type"}. The portal
        keeps it 24 hours unless something takes it. Streamed, its name in X-File-Name; the call's one
        Idempotency-Key is sent on every retry, each of which sends the whole file again (ClientCore.upload)."""
        return self.upload("/uploads", file, file_name=file_name, content_type=content_type,
                           idempotency_key=idempotency_key)

    def file_meeting(self, notice: Mapping[str, Any], upload: str, *, dry_run: bool = False,
                     idempotency_key: str | None = None) -> dict:
        """File a meeting's notice: `notice` holds its parts as meeting.toml does (meeting, administrator,
        initiators, agenda; dates as ISO strings), `upload` the id of the notice's PDF uploaded before
        (upload_file). The meeting, under_review; a dry run answers it as it would be (id null), storing nothing.
        One Idempotency-Key for the call and its retries: a retry files once."""
        body = {**{key: value for key, value in notice.items() if key != "notice"}, "notice": upload}
        return self.request("POST", "/meetings", json=body, dry_run=dry_run, idempotency_key=idempotency_key)

    def meetings(self, house: str | None = None, status: str | None = None, limit: int | None = None) -> list[dict]:
        """The meetings I may see (of my houses; staff: the organisation's; inspectors: the inspectorate's),
        newest first, following the pages to the end."""
        query = {k: v for k, v in {"house": house, "status": status}.items() if v}
        return list(self.paginate("/meetings", query or None, limit=limit))

    def meeting(self, meeting: str) -> dict:
        """One meeting by its id (MT-000001)."""
        return self.request("GET", f"/meetings/{self._segment(meeting, 'id')}")

    def meeting_notice(self, meeting: str) -> Content:
        """The meeting's notice as filed: the PDF's bytes and the name it was filed under."""
        return self.get_content(f"/meetings/{self._segment(meeting, 'id')}/notice", accept="application/pdf",
                                expect="application/pdf")

    def review_meeting(self, meeting: str, decision: str, reason: str | None = None) -> dict:
        """The inspectorate's decision on a meeting under review: approve (published) or reject with a reason."""
        body = {"decision": decision, "reason": reason}
        return self.request("POST", f"/meetings/{self._segment(meeting, 'id')}/review",
                            json={k: v for k, v in body.items() if v is not None})

    def vote(self, meeting: str, votes: Mapping[int, str] | Mapping[str, str], *, dry_run: bool = False,
             idempotency_key: str | None = None) -> dict:
        """Vote on a meeting's questions ({1: "for", 2: "against"}): {"meeting", "votes" (all my current answers),
        "area", "voted_at"}. A later vote on a question replaces the earlier one."""
        body = {"votes": {str(number): choice for number, choice in votes.items()}}
        return self.request("POST", f"/meetings/{self._segment(meeting, 'id')}/votes", json=body, dry_run=dry_run,
                            idempotency_key=idempotency_key)

    def meeting_results(self, meeting: str) -> dict:
        """The results from the vote's start: turnout, quorum, each question's for/against/abstain and outcome."""
        return self.request("GET", f"/meetings/{self._segment(meeting, 'id')}/results")
