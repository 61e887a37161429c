"""Appeals and complaints: the portal's topic list, the organisations that receive appeals, sending one (its
attachments uploaded before, with Meetings.upload_file), the appeals one may see, their files, withdrawing, and
the addressee's staff taking and answering them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gkh.client.core import ClientCore, Downloaded


class Appeals(ClientCore):
    def appeal_topics(self) -> list[dict]:
        """The portal's topics in its order: [{"code", "title"}]. `other` is not one: send other_topic instead."""
        return list(self.paginate("/appeal-topics"))

    def addressees(self, q: str | None = None, *, kind: str | None = None, inn: str | None = None,
                   house: str | None = None, limit: int | None = None) -> list[dict]:
        """Organisations that receive appeals ({"id", "name", "short_name", "inn", "type", "address"}): a part of
        the name (`q`), a type (`kind`: inspectorate, managing, supplier, authority), an ИНН, and those
        receiving appeals about a house (its GUID, or an address matching one house)."""
        query = {k: v for k, v in {"q": q, "type": kind, "inn": inn, "house": house}.items() if v}
        return list(self.paginate("/addressees", query or None, limit=limit))

    def check_upload(self, file: str | os.PathLike[str], *, file_name: str | None = None) -> dict:
        """Let the portal check a file as an upload (POST /uploads as a dry run) and store nothing: {"id": null,
        "name", "size", "type"}, or the refusal an upload would get."""
        return self.upload("/uploads", file, file_name=file_name, dry_run=True)

    def send_appeal(self, house: str, to: str, text: str, *, topic: str | None = None,
                    other_topic: str | None = None, attachments: Sequence[str] = (), dry_run: bool = False,
                    idempotency_key: str | None = None) -> dict:
        """Send an appeal about a house to an organisation (its id or ИНН): a topic's code or one's own title
        (other_topic), the text, the ids of files uploaded before (F-…). The appeal, `sent`, with its id and
        due date; a dry run answers it as it would be, storing nothing. One Idempotency-Key for the call and its
        retries: a retry sends once."""
        body: dict = {"house": house, "to": to, "text": text, "attachments": list(attachments)}
        if topic is not None:
            body["topic"] = topic
        if other_topic is not None:
            body["other_topic"] = other_topic
        return self.request("POST", "/appeals", json=body, dry_run=dry_run, idempotency_key=idempotency_key)

    def appeals(self, status: str | None = None, house: str | None = None, limit: int | None = None) -> list[dict]:
        """The appeals I may see (mine; staff: those addressed to the organisation), newest first, following the
        pages to the end."""
        query = {k: v for k, v in {"status": status, "house": house}.items() if v}
        return list(self.paginate("/appeals", query or None, limit=limit))

    def appeal(self, appeal: str) -> dict:
        """One appeal by its id (A-000001)."""
        return self.request("GET", f"/appeals/{self._segment(appeal, 'id')}")

    def download_appeal_file(self, appeal: str, file: str, target: str | os.PathLike[str]) -> Downloaded:
        """Write one of the appeal's files (an attachment, or the answer's) to `target`: a new file's path (never
        over an existing one), or a folder (then under the name the portal gives). Whole or not at all."""
        return self.download(f"/appeals/{self._segment(appeal, 'id')}/files/{self._segment(file, 'file')}",
                             Path(target))

    def withdraw_appeal(self, appeal: str, *, dry_run: bool = False, idempotency_key: str | None = None) -> dict:
        """The author withdraws an appeal not yet answered: the appeal, `withdrawn`."""
        return self.request("POST", f"/appeals/{self._segment(appeal, 'id')}/withdraw", dry_run=dry_run,
                            idempotency_key=idempotency_key)

    def take_appeal(self, appeal: str, *, dry_run: bool = False, idempotency_key: str | None = None) -> dict:
        """The addressee's staff take a sent appeal into work: the appeal, `in_work`."""
        return self.request("POST", f"/appeals/{self._segment(appeal, 'id')}/take", dry_run=dry_run,
                            idempotency_key=idempotency_key)

    def answer_appeal(self, appeal: str, text: str, attachments: Sequence[str] = (), *, dry_run: bool = False,
                      idempotency_key: str | None = None) -> dict:
        """The addressee's staff answer an appeal: the text and the ids of files uploaded before. The appeal,
        `answered`."""
        return self.request("POST", f"/appeals/{self._segment(appeal, 'id')}/answer",
                            json={"text": text, "attachments": list(attachments)}, dry_run=dry_run,
                            idempotency_key=idempotency_key)
