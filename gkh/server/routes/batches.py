"""Batch work from CSV files: a chunk of an organisation's accounts, a chunk of meter readings (issue 15)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import falcon

from gkh.domain.batch import ACCOUNT_FIELDS, HOUSE_FIELDS, READING_FIELDS, Field
from gkh.i18n import _
from gkh.server.access import require_admin
from gkh.server.http import echo, invalid, json_body
from gkh.server.routes.base import Resource, mutation_of, respond
from gkh.server.services import batches


@lru_cache(maxsize=16)
def _names(fields: tuple[Field, ...]) -> frozenset[str]:
    return frozenset(f.name for f in fields)


def chunk_rows(body: dict[str, Any], fields: tuple[Field, ...]) -> list[tuple[int, dict[str, str]]]:
    """The body's rows as (line, cells by field name): 400 naming what is malformed — `rows` not a list or over
    MAX_ROWS, `rows[i]` not an object, `rows[i].line` not a whole number ≥ 1, `rows[i].<name>` not a field or not
    text (absent and null are an empty cell)."""
    names = _names(fields)
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise invalid(_("rows must be a list of rows"), "rows")
    if len(rows) > batches.MAX_ROWS:
        raise invalid(_("at most {limit} rows a request; got {count}").format(limit=batches.MAX_ROWS,
                                                                             count=len(rows)), "rows")
    chunk = []
    for index, row in enumerate(rows):
        where = f"rows[{index}]"
        if not isinstance(row, dict):
            raise invalid(_("{field} must be an object").format(field=where), where)
        line = row.get("line")
        if type(line) is not int or not 1 <= line < 2**63:
            raise invalid(_("{field} must be the row's line in the file, a whole number from 1").format(
                field=f"{where}.line"), f"{where}.line")
        cells: dict[str, str] = {}
        for name, value in row.items():
            if name == "line":
                continue
            if name not in names:
                raise invalid(_("{field} is not a column; expected: {expected}").format(
                    field=f"{where}.{echo(name)}", expected=", ".join(f.name for f in fields)), where)
            if value is not None and not isinstance(value, str):
                raise invalid(_("{field} must be a string or null").format(field=f"{where}.{name}"),
                              f"{where}.{name}")
            if value is not None:
                cells[name] = value
        chunk.append((line, cells))
    return chunk


class AccountBatch(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create or update a chunk of the organisation's accounts (staff): the counts and the rejected rows."""
        batches.require_staff(req.context.user)
        body = json_body(req)
        rows = chunk_rows(body, ACCOUNT_FIELDS)
        respond(resp, batches.import_accounts(self.store, req.context.user, rows, req.context.now,
                                              mutation_of(req, body)))


class ReadingBatch(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Submit a chunk of meter readings (residents, staff): the counts, the rejected rows and the warnings."""
        batches.require_submitter(req.context.user)
        body = json_body(req)
        rows = chunk_rows(body, READING_FIELDS)
        respond(resp, batches.submit_readings(self.store, req.context.user, rows, req.context.now,
                                              mutation_of(req, body)))


class HouseBatch(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create or update a chunk of the portal's houses by FIAS GUID (admins): the counts and the rejected rows."""
        require_admin(req.context.user)
        body = json_body(req)
        rows = chunk_rows(body, HOUSE_FIELDS)
        respond(resp, batches.import_houses(self.store, req.context.user, rows, req.context.now,
                                            mutation_of(req, body)))
