"""Uploading a file before it is used: the raw body, its name in X-File-Name."""

from __future__ import annotations

import hashlib

import falcon

from gkh import protocol
from gkh.domain.files import MAX_FILE_BYTES
from gkh.i18n import _
from gkh.server.http import ApiError, invalid
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import uploads


def file_body(req: falcon.Request, limit: int = MAX_FILE_BYTES) -> bytes:
    """The request's raw body, at most `limit` bytes (413 `too_large` beyond, with or without a Content-Length)."""
    too_large = ApiError(413, "too_large", _("a file may have at most {limit} bytes (10 MiB)").format(limit=limit),
                         "file")
    if req.content_length and req.content_length > limit:
        raise too_large
    raw = req.bounded_stream.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    return raw


def file_name_of(req: falcon.Request) -> str:
    """The name in the X-File-Name header (protocol.decode_file_name): 400 naming the header when missing or bad."""
    header = req.get_header(protocol.FILE_NAME)
    if header is None or not header.strip():
        raise invalid(_("send the file's name in the {header} header").format(header=protocol.FILE_NAME),
                      protocol.FILE_NAME)
    try:
        return protocol.decode_file_name(header)
    except ValueError as error:
        raise invalid(_("{header}: {reason}").format(header=protocol.FILE_NAME, reason=str(error)),
                      protocol.FILE_NAME) from None


class Uploads(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store a file for later use: 201 {"id": "F-…", "name", "size", "type"}."""
        name = file_name_of(req)
        content = file_body(req)
        # The key is for this name and these bytes: the hash stands for the body in the request's hash.
        mutation = mutation_of(req, {"name": name, "sha256": hashlib.sha256(content).hexdigest()})
        respond(resp, uploads.store_upload(self.store, req.context.user, name, content, req.context.now, mutation))
