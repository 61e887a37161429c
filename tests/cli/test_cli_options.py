"""The options every verb shares: checked while the command line is parsed, and the same everywhere."""

from __future__ import annotations

import sqlite3

import pytest
from cli_helpers import gkh, login

from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNTS

COLD = "M-000023"  # the demo resident's cold-water meter


def store_rows(home) -> dict[str, list[tuple]]:
    """What a change by a resident would touch: readings, account links and idempotency keys."""
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("readings", "account_links", "idempotency_keys")}


BAD_OUTPUT_CHANGES = {
    "meter submit": ["meter", "submit", COLD, "2700"],
    "account link": ["--profile", "petrova", "account", "link", "--house", "ленина 5",
                     "--number", DEMO_PETROVA_ACCOUNT.number, "--payer", "Петрова"],
    "account unlink": ["account", "unlink", DEMO_RESIDENT_ACCOUNTS[0], "--yes"],
}


@pytest.mark.parametrize("verb", BAD_OUTPUT_CHANGES)
def test_a_bad_output_format_is_2_and_changes_nothing(home, verb):
    login("petrova", "petrova")
    assert gkh("account", "list").exit_code == 0  # the demo resident signed in beforehand
    before = store_rows(home)
    result = gkh(*BAD_OUTPUT_CHANGES[verb], "-o", "xml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"gkh: Invalid value for '--output' / '-o': 'xml' is not one of table, json, csv, "
                             f"tsv (see: gkh {verb} --help)\n")
    assert store_rows(home) == before
