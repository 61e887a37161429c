"""Files uploaded before they are used (a meeting's notice, later an appeal's attachments): any signed-in user
stores one, checked by its content (domain.files.check_file), and gets its id to name in the request that uses it.
An upload nothing has taken (`used_by` NULL) is deleted after KEEP_FREE, when another is stored."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from gkh.domain.dates import format_instant
from gkh.domain.files import check_file
from gkh.server.access import User
from gkh.server.db import Connection, PortalStore
from gkh.server.idempotency import PLAIN, Mutation, Outcome, run_mutation

KEEP_FREE = timedelta(hours=24)


def upload_view(upload_id: str | None, name: str, size: int, media_type: str) -> dict:
    return {"id": upload_id, "name": name, "size": size, "type": media_type}


def store_upload(store: PortalStore, user: User, name: str, content: bytes, now: datetime,
                 mutation: Mutation = PLAIN) -> Outcome:
    """Store the caller's file (its name already decoded from X-File-Name): 201 {"id": "F-…", "name", "size",
    "type" (its media type)}; 400 naming `file` when it is empty, too large, or not what its extension says. Free
    uploads older than KEEP_FREE go first; a dry run checks the file and stores nothing."""
    checked, kind = check_file(name, content, "file")

    def work(tx: Connection) -> tuple[int, dict]:
        if mutation.dry_run:
            return 200, upload_view(None, checked, len(content), kind.media_type)
        tx.execute("DELETE FROM uploads WHERE used_by IS NULL AND created_at < ?", (format_instant(now - KEEP_FREE),))
        upload_id = "F-" + secrets.token_hex(8)
        tx.execute("INSERT INTO uploads (id, user_id, name, media_type, size, data, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (upload_id, user.id, checked, kind.media_type, len(content), content, format_instant(now)))
        return 201, upload_view(upload_id, checked, len(content), kind.media_type)

    return run_mutation(store, user.id, now, mutation, work)
