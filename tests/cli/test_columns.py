"""Each noun's machine columns, pinned: the same list in csv, tsv and excel, in every run, whatever the rows (a
script's `awk -F'\\t' '{print $12}'` keeps meaning the same thing), and the same list in the README; the portal's
JSON has no field a noun forgot; on a terminal each list fits 80 columns and nothing nested is raw JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from gkh.commands.account import ACCOUNT_COLUMNS, LINK_COLUMNS
from gkh.commands.address import HOUSE_FOUND_COLUMNS
from gkh.commands.admin import (
    CLOSED_PERIOD_COLUMNS,
    ORGANISATION_ADDED_COLUMNS,
    ORGANISATION_COLUMNS,
    OWNER_COLUMNS,
    PERIOD_CLOSED_COLUMNS,
    PORTAL_SETTING_COLUMNS,
    USER_COLUMNS,
)
from gkh.commands.appeal import ADDRESSEE_COLUMNS, APPEAL_COLUMNS, FILE_COLUMNS, SENT_COLUMNS, TOPIC_COLUMNS
from gkh.commands.auth import STATUS_COLUMNS
from gkh.commands.batchfile import SUMMARY_COLUMNS
from gkh.commands.bill import BILL_COLUMNS, LINE_COLUMNS
from gkh.commands.config import SETTING_COLUMNS
from gkh.commands.doctor import DOCTOR_COLUMNS
from gkh.commands.house import HOUSE_COLUMNS
from gkh.commands.meeting import (
    ANSWER_COLUMNS,
    FILED_COLUMNS,
    INITIATOR_COLUMNS,
    MEETING_COLUMNS,
    QUESTION_COLUMNS,
    RESULT_COLUMNS,
    VOTE_COLUMNS,
)
from gkh.commands.meter import METER_COLUMNS, READING_COLUMNS, SUBMITTED_COLUMNS
from gkh.commands.outage import OUTAGE_COLUMNS, POSTED_COLUMNS
from gkh.commands.payment import PAID_BILL_COLUMNS, PAID_COLUMNS, PAYMENT_COLUMNS
from gkh.commands.server import COPY_COLUMNS, DEMO_USER_COLUMNS
from gkh.commands.wallet import WALLET_COLUMNS
from gkh.output import Columns, flatten
from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNTS
from tests.helpers.cli import gkh, login
from tests.helpers.demo import COLD, POWER

pytestmark = pytest.mark.sqlite_only  # the commands on the embedded local:// portal, always SQLite

README = Path(__file__).resolve().parents[2] / "README.md"
DEMO_BILL = f"{DEMO_RESIDENT_ACCOUNTS[0]}-01-2610"  # the demo resident's latest bill, October 2026's
ACCOUNT = ["els", "izhku", "number", "organisation.id", "organisation.kind", "organisation.name",
           "organisation.short_name", "organisation.inn", "house.guid", "house.address", "flat", "payer", "area",
           "opened_on", "linked_at"]
PAYMENT = ["id", "kind", "account", "bills", "advance", "payee.id", "payee.name", "payee.inn", "amount", "commission",
           "total", "method", "status", "decline_reason", "created_at", "completed_at", "expires_at",
           "confirmation_url", "email", "receipt.number", "receipt.emailed_to", "receipt.sent_at", "receipt.delivery",
           "warnings"]
MEETING = ["id", "house.guid", "house.address", "kind", "form", "status", "filed_by", "filed_at", "review_due",
           "earliest_start", "voting_start", "voting_end", "materials", "administrator.kind", "administrator.name",
           "administrator.address", "administrator.phone", "administrator.email", "initiators", "agenda",
           "notice.name", "notice.size", "rejection_reason"]
APPEAL = ["id", "house.guid", "house.address", "topic.code", "topic.title", "addressee.id", "addressee.name",
          "addressee.inn", "status", "registered_at", "due_date", "text", "attachments", "answer.text",
          "answer.answered_at", "answer.attachments", "author", "taken_at", "withdrawn_at"]
OUTAGE = ["id", "house.guid", "house.address", "resource", "status", "start", "end", "topic", "text", "important",
          "posted_by", "updated_at", "version"]
ORGANISATION = ["id", "kind", "name", "short_name", "inn", "ogrn", "kpp", "card_commission", "phone", "email",
                "address", "bank_name", "bik", "bank_account", "correspondent_account"]
CLOSED_PERIOD = ["period", "house.guid", "house.address", "house.town", "house.oktmo", "house.timezone", "closed_at",
                 "closed_by"]
READING = ["meter", "period", "date", "values.T1", "values.T2", "values.T3", "consumption.T1", "consumption.T2",
           "consumption.T3", "status", "warnings", "submitted_by"]

# The machine columns, as scripts rely on them: change one only with the README and a note for its users.
PINNED: dict[str, tuple[Columns, list[str]]] = {
    "account": (ACCOUNT_COLUMNS, ACCOUNT),
    "account-link": (LINK_COLUMNS, ["status", "dry_run", *(f"account.{name}" for name in ACCOUNT)]),
    "address": (HOUSE_FOUND_COLUMNS, ["guid", "address", "town", "oktmo", "timezone"]),
    "house": (HOUSE_COLUMNS, [
        "guid", "address", "town", "oktmo", "timezone", "readings_window.from_day", "readings_window.to_day",
        "year_built", "floors", "entrances", "flats", "total_area", "living_area", "condition", "energy_class",
        "managing_organisation.id", "managing_organisation.kind", "managing_organisation.name",
        "managing_organisation.short_name", "managing_organisation.inn", "managing_organisation.ogrn",
        "managing_organisation.phone", "common_meters", "outages"]),
    "meter": (METER_COLUMNS, [
        "id", "serial", "resource", "unit", "zones", "account", "house.guid", "house.address", "last_reading.date",
        "last_reading.values.T1", "last_reading.values.T2", "last_reading.values.T3", "verification_due",
        "overdue", "window.from", "window.to", "window.open", "window.period", "window.from_day",
        "window.from_last_day", "window.to_day", "window.to_last_day", "window.to_next_month"]),
    "reading": (READING_COLUMNS, READING),
    "reading-submitted": (SUBMITTED_COLUMNS, [*READING, "dry_run"]),
    "bill": (BILL_COLUMNS, [
        "id", "account", "period", "payee.id", "payee.kind", "payee.name", "payee.short_name", "payee.inn",
        "payee.kpp", "payee.bank.name", "payee.bank.bik", "payee.bank.account", "payee.bank.correspondent_account",
        "issued_on", "due_date", "total", "paid", "due", "status", "overdue", "lines"]),
    "bill-line": (LINE_COLUMNS, ["service", "zone", "volume", "unit", "tariff", "amount"]),
    "payment": (PAYMENT_COLUMNS, PAYMENT),
    "payment-paid": (PAID_COLUMNS, [*PAYMENT, "dry_run"]),
    "payment-bill": (PAID_BILL_COLUMNS, ["id", "period", "amount"]),
    "wallet": (WALLET_COLUMNS, ["balance", "operator", "updated_at"]),
    "meeting": (MEETING_COLUMNS, MEETING),
    "meeting-filed": (FILED_COLUMNS, [*MEETING, "dry_run"]),
    "meeting-initiator": (INITIATOR_COLUMNS, ["name", "flat"]),
    "meeting-question": (QUESTION_COLUMNS, ["number", "text", "two_thirds"]),
    "meeting-vote": (VOTE_COLUMNS, ["meeting", "votes", "area", "voted_at", "dry_run"]),
    "meeting-answer": (ANSWER_COLUMNS, ["number", "choice"]),
    "meeting-result": (RESULT_COLUMNS, [
        "number", "text", "two_thirds", "of", "for.area", "for.share", "against.area", "against.share",
        "abstain.area", "abstain.share", "adopted"]),
    "appeal": (APPEAL_COLUMNS, APPEAL),
    "appeal-sent": (SENT_COLUMNS, [*APPEAL, "dry_run"]),
    "appeal-file": (FILE_COLUMNS, ["id", "name", "size", "type"]),
    "appeal-topic": (TOPIC_COLUMNS, ["code", "title"]),
    "appeal-addressee": (ADDRESSEE_COLUMNS, ["id", "name", "short_name", "inn", "type", "address"]),
    "outage": (OUTAGE_COLUMNS, OUTAGE),
    "outage-posted": (POSTED_COLUMNS, [*OUTAGE, "dry_run"]),
    "auth-status": (STATUS_COLUMNS, ["profile", "portal", "portal_id", "demo", "login", "name", "role",
                                     "organisation", "token_source", "expires_at"]),
    "config": (SETTING_COLUMNS, ["profile", "key", "value", "source"]),
    "server-users": (DEMO_USER_COLUMNS, ["login", "password", "role", "name", "organisation", "description"]),
    "server-copy": (COPY_COLUMNS, ["table", "rows", "checksum", "equal"]),
    "doctor": (DOCTOR_COLUMNS, ["item", "value", "note"]),
    "admin-org": (ORGANISATION_COLUMNS, ORGANISATION),
    "admin-org-added": (ORGANISATION_ADDED_COLUMNS, [*ORGANISATION, "dry_run"]),
    "admin-user": (USER_COLUMNS, ["login", "name", "email", "role", "organisation", "must_change_password",
                                  "disabled_at", "created_at"]),
    "admin-setting": (PORTAL_SETTING_COLUMNS, ["key", "value", "default", "description"]),
    "admin-period": (CLOSED_PERIOD_COLUMNS, CLOSED_PERIOD),
    "admin-owner": (OWNER_COLUMNS, ["flat", "area", "owner", "share", "document", "login"]),
    "admin-period-closed": (PERIOD_CLOSED_COLUMNS, [*CLOSED_PERIOD, "status", "dry_run"]),
    "batch-summary": (SUMMARY_COLUMNS, ["created", "updated", "unchanged", "rejected", "encoding", "delimiter",
                                        "dry_run"]),
}


@pytest.mark.parametrize("noun", PINNED)
def test_each_nouns_machine_columns_are_pinned(noun):
    columns, pinned = PINNED[noun]
    assert columns.names == pinned


@pytest.mark.parametrize("noun", PINNED)
def test_machine_names_are_stable_snake_case_paths_and_every_noun_shows_something_on_a_terminal(noun):
    columns, _ = PINNED[noun]
    for name in columns.names:
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.([a-z][a-z0-9_]*|T[123]))*", name), name
    assert any(c.shown for c in columns)


# --- the README ---------------------------------------------------------------------------------------------


def readme_columns(noun: str) -> list[tuple[str, str, bool]]:
    """(name, header, shown) of the README's table under `<!-- columns: NOUN -->`, a row `key.*` standing for
    the account's columns under that key."""
    text = README.read_text(encoding="utf-8")
    marker = f"<!-- columns: {noun} -->"
    assert marker in text, f"README.md has no table of the {noun} columns ({marker})"
    rows = []
    for line in text.split(marker, 1)[1].lstrip("\n").splitlines():
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("column", "---") or set(cells[0]) <= {"-", " "}:
            continue
        name = cells[0].strip("`")
        if name.endswith(".*"):
            rows += [(c.name, c.header, c.shown) for c in ACCOUNT_COLUMNS.under(name[:-2])]
        else:
            rows.append((name, cells[1], cells[2] == "yes"))
    return rows


@pytest.mark.parametrize("noun", PINNED)
def test_the_readme_documents_each_nouns_columns_their_headers_and_which_a_terminal_shows(noun):
    columns, _ = PINNED[noun]
    shared = {"reading": "reading-submitted", "payment": "payment-paid",  # documented with the dry_run column after
              "meeting": "meeting-filed", "appeal": "appeal-sent", "outage": "outage-posted",
              "admin-org": "admin-org-added"}
    documented = readme_columns(shared[noun])[:-1] if noun in shared else readme_columns(noun)
    assert documented == [(c.name, c.header, c.shown) for c in columns]


# --- every verb, end to end ------------------------------------------------------------------------------------

VERBS: dict[str, tuple[list[str], str]] = {  # verb → (its arguments on the demo portal, its columns)
    "account list": (["account", "list"], "account"),
    "account import": (["--profile", "uk-staff", "account", "import", "<accounts.csv>"], "batch-summary"),
    "account show": (["account", "show", DEMO_RESIDENT_ACCOUNTS[0]], "account"),
    "account link": (["--profile", "petrova", "account", "link", "--house", "ленина 5", "--number",
                      DEMO_PETROVA_ACCOUNT.number, "--payer", "Петрова"], "account-link"),
    "account unlink": (["account", "unlink", DEMO_RESIDENT_ACCOUNTS[1], "--yes"], "account-link"),
    "address search": (["address", "search", "ленина"], "address"),
    "house show": (["house", "show", "ленина 5"], "house"),
    "meter list": (["meter", "list"], "meter"),
    "meter submit": (["meter", "submit", COLD, "2700", "--dry-run"], "reading-submitted"),
    "meter history": (["meter", "history", POWER], "reading"),
    "bill list": (["bill", "list"], "bill"),
    "bill show": (["bill", "show", DEMO_BILL], "bill"),
    "pay": (["pay", DEMO_RESIDENT_ACCOUNTS[0], "--dry-run"], "payment-paid"),
    "payment list": (["payment", "list"], "payment"),
    "payment show": (["payment", "show", "P-000001"], "payment"),
    "payment wait": (["payment", "wait", "P-000001"], "payment"),
    "wallet show": (["wallet", "show"], "wallet"),
    "wallet top-up": (["wallet", "top-up", "--amount", "500", "--dry-run"], "payment-paid"),
    "meeting file": (["--profile", "petrova", "meeting", "file", "<meeting.toml>", "--notice", "<notice.pdf>",
                      "--dry-run"], "meeting-filed"),
    "meeting list": (["meeting", "list"], "meeting"),
    "meeting show": (["meeting", "show", "MT-000001"], "meeting"),
    "meeting review": (["--profile", "inspector", "meeting", "review", "<filed>", "--approve"], "meeting"),
    "meeting vote": (["meeting", "vote", "MT-000001", "1=for", "2=против", "--dry-run"], "meeting-vote"),
    "meeting results": (["meeting", "results", "MT-000002"], "meeting-result"),
    "appeal topics": (["appeal", "topics"], "appeal-topic"),
    "appeal addressees": (["appeal", "addressees", "--house", "ленина 5"], "appeal-addressee"),
    "appeal send": (["appeal", "send", "--house", "ленина 5", "--topic", "maintenance", "--to", "ORG-0001",
                     "--text", "Не работает освещение в подъезде.", "--dry-run"], "appeal-sent"),
    "appeal list": (["appeal", "list"], "appeal"),
    "appeal show": (["appeal", "show", "A-000001"], "appeal"),
    "appeal withdraw": (["appeal", "withdraw", "<sent>", "--yes"], "appeal"),
    "appeal take": (["--profile", "uk-staff", "appeal", "take", "<sent>"], "appeal"),
    "appeal answer": (["--profile", "uk-staff", "appeal", "answer", "<sent>", "--text", "Исправлено."], "appeal"),
    "outage list": (["outage", "list"], "outage"),
    "outage show": (["outage", "show", "OT-000002"], "outage"),
    "outage post": (["--profile", "uk-staff", "outage", "post", "--house", "ленина 5", "--resource", "hot-water",
                     "--from", "01.12.2026", "--to", "14.12.2026", "--text", "Плановые работы.", "--dry-run"],
                    "outage-posted"),
    "outage change": (["--profile", "uk-staff", "outage", "change", "OT-000003", "--text", "Новый текст."],
                      "outage-posted"),
    "outage cancel": (["--profile", "uk-staff", "outage", "cancel", "OT-000003", "--yes"], "outage"),
    "auth status": (["auth", "status"], "auth-status"),
    "config list": (["config", "list"], "config"),
    "server users": (["server", "users"], "server-users"),
    "doctor": (["doctor"], "doctor"),
    "admin org list": (["--profile", "admin", "admin", "org", "list"], "admin-org"),
    "admin org add": (["--profile", "admin", "admin", "org", "add", "--name", "ТСЖ «Берёзка»", "--inn", "7707083893",
                       "--ogrn", "1027700132195", "--kind", "managing", "--dry-run"], "admin-org-added"),
    "admin user list": (["--profile", "admin", "admin", "user", "list"], "admin-user"),
    "admin settings list": (["--profile", "admin", "admin", "settings", "list"], "admin-setting"),
    "admin house import": (["--profile", "admin", "admin", "house", "import", "<houses.csv>"], "batch-summary"),
    "admin bill import": (["--profile", "uk-staff", "admin", "bill", "import", "<bills.csv>"], "batch-summary"),
    "admin bills import": (["--profile", "uk-staff", "admin", "bills", "import", "<bills.csv>"], "batch-summary"),
    "admin period close": (["--profile", "admin", "admin", "period", "close", "2026-11", "--house", "ленина 5",
                            "--dry-run"], "admin-period-closed"),
    "admin period list": (["--profile", "admin", "admin", "period", "list", "--house", "ленина 5"], "admin-period"),
    "admin owner import": (["--profile", "admin", "admin", "owner", "import", "<owners.csv>"], "batch-summary"),
    "admin owners import": (["--profile", "admin", "admin", "owners", "import", "<owners.csv>"], "batch-summary"),
    "admin owner list": (["--profile", "admin", "admin", "owner", "list", "--house", "ленина 5"], "admin-owner"),
    "admin owners list": (["--profile", "admin", "admin", "owners", "list", "--house", "ленина 5"], "admin-owner"),
}


def run(verb: str, *options: str, tty: bool = False, env: dict | None = None):
    if verb == "account link":
        login("petrova", "petrova")
    if verb.startswith("payment ") and gkh("payment", "list").stdout == "":  # one payment to list and show
        paid = gkh("pay", DEMO_RESIDENT_ACCOUNTS[0], "--bill", f"{DEMO_RESIDENT_ACCOUNTS[0]}-01-2609", "--yes")
        assert paid.exit_code == 0, paid.stderr
    args = VERBS[verb][0]
    if verb in ("meeting file", "meeting review"):
        args = meeting_arguments(args)
    if verb.startswith("outage ") and "uk-staff" in args:
        login("uk-staff", "uk-staff")
    if "<accounts.csv>" in args:  # the template, imported (again: unchanged)
        import os

        login("uk-staff", "uk-staff")
        accounts = Path(os.environ["GKH_HOME"]).parent / "accounts.csv"
        accounts.write_text(gkh("account", "import", "--template").stdout, encoding="utf-8")
        args = [str(accounts) if arg == "<accounts.csv>" else arg for arg in args]
    if "<sent>" in args:
        args = appeal_arguments(args)
    if verb.startswith("admin "):
        login("admin", "admin")
    if "<houses.csv>" in args:  # the template, imported (again: unchanged)
        import os

        houses = Path(os.environ["GKH_HOME"]).parent / "houses.csv"
        houses.write_text(gkh(*args[:5], "--template").stdout, encoding="utf-8")
        args = [str(houses) if arg == "<houses.csv>" else arg for arg in args]
    if "<owners.csv>" in args:  # the template, imported (again: unchanged)
        import os

        owners = Path(os.environ["GKH_HOME"]).parent / "owners.csv"
        owners.write_text(gkh(*args[:5], "--template").stdout, encoding="utf-8")
        args = [str(owners) if arg == "<owners.csv>" else arg for arg in args]
    if "<bills.csv>" in args:  # the template, imported (again: unchanged), its account the accounts template's
        import os

        login("uk-staff", "uk-staff")
        folder = Path(os.environ["GKH_HOME"]).parent
        accounts, bills = folder / "accounts.csv", folder / "bills.csv"
        accounts.write_text(gkh("account", "import", "--template").stdout, encoding="utf-8")
        assert gkh("--profile", "uk-staff", "account", "import", str(accounts)).exit_code == 0
        bills.write_text(gkh("admin", "bill", "import", "--template").stdout, encoding="utf-8")
        args = [str(bills) if arg == "<bills.csv>" else arg for arg in args]
    if verb == "admin period list":  # a closed period to list
        assert gkh(*args[:4], "close", "2026-11", "--house", "ленина 5").exit_code == 0
    result = gkh(*args, *options, tty=tty, env=env)
    assert result.exit_code == 0, result.stderr
    return result


def meeting_arguments(args: list[str]) -> list[str]:
    """A meeting's notice to file (petrova's, signed in), or a meeting just filed for the inspector to review."""
    import os

    from tests.cli.test_cli_meetings import FILLED, fill, pdf_bytes

    folder = Path(os.environ["GKH_HOME"]).parent
    toml, pdf = folder / "meeting.toml", folder / "notice.pdf"
    if not toml.exists():
        login("petrova", "petrova")
        login("inspector", "inspector")
        toml.write_text(fill(gkh("meeting", "template").stdout, FILLED), encoding="utf-8")
        pdf.write_bytes(pdf_bytes())
    files = {"<meeting.toml>": str(toml), "<notice.pdf>": str(pdf)}
    if "<filed>" in args:
        filed = gkh("--profile", "petrova", "meeting", "file", str(toml), "--notice", str(pdf), "--json")
        assert filed.exit_code == 0, filed.stderr
        files["<filed>"] = json.loads(filed.stdout)["id"]
    return [files.get(arg, arg) for arg in args]


def appeal_arguments(args: list[str]) -> list[str]:
    """An appeal just sent by the demo resident to the managing organisation (whose staff is signed in): each run
    withdraws, takes or answers one of its own."""
    login("uk-staff", "uk-staff")
    sent = gkh("appeal", "send", "--house", "ленина 5", "--topic", "maintenance", "--to", "ORG-0001", "--text",
               "Не работает освещение в подъезде.", "--json")
    assert sent.exit_code == 0, sent.stderr
    return [json.loads(sent.stdout)["id"] if arg == "<sent>" else arg for arg in args]


def test_every_verb_that_prints_data_is_here_with_the_same_output_options():
    from tests.cli.test_cli_options import verbs

    with_output = sorted(v for v, command in verbs().items() if any("--output" in p.opts for p in command.params))
    assert with_output == sorted([*VERBS, "server copy"])
    for verb in with_output:
        options = [tuple(p.opts) for p in verbs()[verb].params]
        assert {("--output", "-o"), ("--json",), ("--wide",), ("--excel",), ("--header",)} <= set(options), verb


@pytest.mark.parametrize("verb", VERBS)
def test_csv_tsv_and_excel_carry_the_pinned_columns_and_json_no_field_they_miss(home, verb):
    pinned = PINNED[VERBS[verb][1]][1]
    data = json.loads(run(verb, "--json").stdout)
    records = data if isinstance(data, list) else [data]
    if verb == "meeting results":  # the JSON is the results as a whole; the other formats a row per question
        records = data["questions"]
    if verb == "meeting vote":  # the JSON keeps the answers as an object by question number: the votes column
        records = [{**data, "votes": list(data["votes"].items())}]
    if verb.endswith(" import"):  # the JSON adds the rejected lines and the warnings,
        # lists the rows have not
        records = [{k: v for k, v in data.items() if k not in ("rejected_lines", "warnings")}]
    fields = {name for record in records for name, value in flatten(record).items()
              if not (value is None and any(p.startswith(f"{name}.") for p in pinned))}  # a null object: its columns
    assert fields <= set(pinned), f"{verb}: fields its columns do not have: {sorted(fields - set(pinned))}"
    if verb in ("account link", "account unlink"):  # it happened above: again, it is "unchanged"
        return
    assert next(csv.reader(io.StringIO(run(verb, "-o", "csv").stdout))) == pinned
    assert run(verb, "-o", "tsv").stdout.splitlines()[0].split("\t") == pinned
    assert run(verb, "--header").stdout.splitlines()[0].split("\t") == pinned
    excel = run(verb, "--excel").stdout
    assert excel.startswith("\ufeff") and excel.splitlines()[0].lstrip("\ufeff").split(";") == pinned


def test_meter_lists_have_the_same_number_of_fields_whichever_meters_are_listed(home):
    """The electricity meter's T2 and T3 are no longer appended after the water meters' columns."""
    counts = {len(line.split("\t")) for args in (["meter", "list"], ["meter", "list", "--account",
                                                                     DEMO_RESIDENT_ACCOUNTS[0]],
                                                 ["meter", "list", "--account", DEMO_RESIDENT_ACCOUNTS[1]])
              for line in gkh(*args).stdout.splitlines()}
    assert counts == {len(METER_COLUMNS)}
    water = gkh("meter", "list", "--account", DEMO_RESIDENT_ACCOUNTS[0]).stdout.splitlines()[0].split("\t")
    assert water[METER_COLUMNS.names.index("last_reading.values.T1")] != ""
    assert water[METER_COLUMNS.names.index("last_reading.values.T2")] == ""


# --- on a terminal ------------------------------------------------------------------------------------------------

LISTS = ["account list", "address search", "meter list", "meter history", "bill list", "payment list", "config list",
         "server users", "meeting list", "meeting results", "appeal topics", "appeal addressees", "appeal list",
         "outage list", "admin org list", "admin user list", "admin settings list", "admin period list",
         "admin owner list"]


@pytest.mark.parametrize("verb", LISTS)
def test_each_list_fits_80_columns_with_human_headers(home, verb):
    columns = PINNED[VERBS[verb][1]][0]
    lines = run(verb, tty=True, env={"COLUMNS": "80"}).stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    shown = [c.header for c in columns if c.shown]
    assert lines[0].split("  ")[0] == shown[0] and set(lines[1]) <= {"-", " "}
    assert not any("." in word and word in columns.names for word in lines[0].split())  # no machine names


@pytest.mark.parametrize("verb", LISTS)
def test_wide_shows_every_column_of_a_list(home, verb):
    columns = PINNED[VERBS[verb][1]][0]
    header = run(verb, "--wide", env={"COLUMNS": "80"}).stdout.splitlines()[0]  # asked for: a table off a terminal
    assert re.split(r"\s{2,}", header.strip()) == [c.header for c in columns]
    assert run(verb, "-o", "wide").stdout.splitlines()[0] == header


@pytest.mark.parametrize("verb", ["account show", "house show", "auth status", "meter submit", "bill show",
                                  "payment show", "wallet show", "meeting show", "meeting vote", "appeal show",
                                  "outage show", "admin period close"])
def test_one_record_reads_down_as_header_and_value(home, verb):
    columns = PINNED[VERBS[verb][1]][0]
    lines = run(verb, tty=True).stdout.splitlines()
    headers = [line.split(":  ")[0].split(": ")[0] for line in lines if not line.startswith(" ")]
    assert headers and set(headers) <= {c.header for c in columns}
    assert lines[0].startswith(f"{columns.columns[0].header}:")


def test_house_show_draws_the_common_meters_as_a_table_not_json(home):
    out = run("house show", tty=True).stdout
    assert "[{" not in out and '"serial"' not in out
    start = out.index("Common meters:")
    meters = out[start:].splitlines()
    assert meters[0].split()[2:] == ["Resource", "Serial", "Unit", "Verified", "on"]
    assert meters[1].split()[:3] == ["cold_water", "66652202", "m3"]
