"""The machinery of the authorisation matrix: the principals, one row of the table, and running a row.

A row is one request by one principal, with the answer it must get. Besides the status, running a row checks
what no table should have to repeat: a refusal names the expected error code, never carries the details of
someone else's account or meter, and changes nothing stored; a row with a `guess` sends the same request
for an object that does not exist and must get the same answer (so a 403 or 404 is no existence oracle).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from falcon.testing import TestClient

from gkh.server.demo import DEMO_USERS, ORG_ENERGO, ORG_UK_MOSCOW
from tests.helpers.api import TEMPLATE_PARAM
from tests.helpers.demo import COLD, HOT, POWER, password_of
from tests.helpers.postgres import Rows

API = "/api/v1"

# Who calls: nobody, the seven principals of issue 7's matrix (the two staff logins are each other's
# "staff of another organisation").
PRINCIPALS = ("anonymous", "ivanov", "petrova", "uk-staff", "energo-staff", "inspector", "admin")
ROLE_NAMES = {
    "anonymous": "anonymous",
    "ivanov": "resident (the accounts' own)",
    "petrova": "another resident",
    "uk-staff": "staff (managing organisation)",
    "energo-staff": "staff (electricity supplier)",
    "inspector": "inspector",
    "admin": "admin",
}
USER_NAMES = {u.login: u.name for u in DEMO_USERS}

# The organisations a row's object may belong to, and their staff: the same login is "the right
# organisation" for one target and "another organisation" for the other.
STAFF_OF = {"uk": "uk-staff", "energo": "energo-staff"}
ORG_IDS = {"uk": ORG_UK_MOSCOW, "energo": ORG_ENERGO}

MAX_PAGES = 20  # the demo world has a few thousand accounts and meters: a list that goes on is looping
DEFAULT_CODES = {401: "unauthenticated", 403: "forbidden"}


@dataclass(frozen=True)
class Row:
    """One request of the matrix and the answer it must get.

    `path` and the string values of `body` may name the demo world's objects as `{uk_els}`, `{neighbour_meter}`…
    (see World.ids). `target` says whose object the request aims at ("uk" or "energo"), so that a staff row
    is known to be of the right or of another organisation.
    """

    route: tuple[str, str]  # (METHOD, path template) as the app declares it
    who: str
    path: str
    status: int | tuple[int, ...]
    body: dict[str, Any] | None = None
    code: str | None = None  # the error code of a refusal (401 and 403 have a default)
    target: str | None = None
    guess: tuple[str, str] | None = None  # (real id, id of nothing): that request must answer alike
    leak_check: bool | None = None  # check the body for others' details; default: on refusals
    token: str = "main"  # "main": the principal's one sign-in; "fresh": a new one just for this row
    expects_json: bool = True  # False: the answer is a page or a file (the acquirer's HTML, a receipt)
    headers: dict[str, str] = field(default_factory=dict)
    setup: Callable[[World], None] | None = None
    check: Callable[[World, Answer], None] | None = None
    why: str = ""

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.status if isinstance(self.status, tuple) else (self.status,)

    @property
    def dry_run(self) -> bool:
        return "dry_run=true" in self.path

    def describe(self, path: str | None = None) -> str:
        return f"{self.route[0]} {path or self.path} as {self.who}" + (f" ({self.why})" if self.why else "")


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]
    media: Any = field(default=None)

    @property
    def error(self) -> dict:
        if not isinstance(self.media, dict):
            return {}
        return self.media.get("error") or {}


def org_owned(route: tuple[str, str]) -> bool:
    """A route about an object some organisation owns: an id in its path other than a (public) house's."""
    if route[1].startswith(f"{API}/admin/"):
        return False  # the portal's own settings, organisations and users: its admins', no organisation's
    params = set(TEMPLATE_PARAM.findall(route[1])) - {"guid"}
    return bool(params) or route == ("POST", f"{API}/accounts/links")


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _swap(value: Any, real: str, fake: str) -> Any:
    if isinstance(value, str):
        return value.replace(real, fake)
    if isinstance(value, dict):
        return {k: _swap(v, real, fake) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, real, fake) for v in value]
    return value


class World:
    """The demo portal of one test: a client, the principals signed in once, and the ids rows refer to."""

    def __init__(self, portal):
        self.client = TestClient(portal.app)
        # The portal's own rows: its SQLite connection, or one to its PostgreSQL database (`?` either way).
        self.conn = portal.store.connection() if hasattr(portal.store, "connection") else Rows(portal.store.url)
        self.user_ids = {r["login"]: r["id"] for r in self.conn.execute("SELECT id, login FROM users")}
        self.ids = self._resolve_ids()
        self.tokens = {who: self.sign_in(who) for who in PRINCIPALS if who != "anonymous"}
        self.row_token: str | None = None  # the token the current row was sent with

    # -- the demo world's objects ---------------------------------------------------------------------

    def _one(self, sql: str, *params) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        assert row is not None, f"the demo world has nothing for {sql} {params}"
        return row[0]

    def _resolve_ids(self) -> dict[str, str]:
        """Ids the rows use; numbers are read from the world (they are drawn, not guessable)."""
        ids = {
            "h1": "83804ac7-87c6-472e-a474-d02c6f740e9c",  # г. Москва, ул. Ленина, д. 5
            "uk_els": "77ЕЖ532838",  # ivanov's flat 12, ООО «УК Ленинский квартал»
            "energo_els": "77ИВ845392",  # ivanov's flat 12, АО «СтоличЭнергоСбыт»
            "uk_meter": COLD,
            "uk_meter2": HOT,
            "energo_meter": POWER,
            "unknown_els": "77АА000000",
            "unknown_izhku": "77АА000000-01",
            "unknown_meter": "M-999999",
            "unknown_serial": "ХВ-00-000000",
            "unknown_number": "99999999",
            "unknown_guid": "00000000-0000-4000-8000-000000000000",
            "voting_meeting": "MT-000001",  # the demo's meeting at ул. Ленина, д. 5 that is voting now
            "closed_meeting": "MT-000002",  # and the closed one
            "unknown_meeting": "MT-999999",
            "unknown_upload": "F-0000000000000000",
            # The demo's appeals at ул. Ленина, д. 5: ivanov's to the managing organisation (answered, with a photo
            # and the answer's act) and to the supplier (in work, a text file); petrova's withdrawn one to the managing
            # organisation and her one to the inspectorate (sent).
            "uk_appeal": "A-000001",
            "withdrawn_appeal": "A-000002",
            "energo_appeal": "A-000003",
            "inspectorate_appeal": "A-000004",
            "unknown_appeal": "A-999999",
            # The demo's notices of outages: the managing organisation's upcoming cold-water one at ул. Ленина, д. 5,
            # the supplier's cancelled one there, and the managing organisation's at пр-т Мира, д. 12, корп. 1 (H2).
            "uk_outage": "OT-000003",
            "energo_outage": "OT-000004",
            "h2_outage": "OT-000007",
            "unknown_outage": "OT-999999",
            "h2": "1a6385cd-3d60-4841-b526-2572c20caf24",  # г. Москва, пр-т Мира, д. 12, корп. 1
            "h4": "d1b65725-455f-4e86-b0cd-06cd21e8682b",  # г. Екатеринбург, ул. Малышева, д. 51
            "h6": "11dad636-2ee9-4efb-a4db-9356abed64c5",  # г. Москва, ул. Строителей, д. 3: no flats yet
        }
        for outage, org, house, cancelled in (("OT-000003", ORG_UK_MOSCOW, ids["h1"], False),
                                              ("OT-000004", ORG_ENERGO, ids["h1"], True),
                                              ("OT-000007", ORG_UK_MOSCOW, ids["h2"], False)):
            row = self.conn.execute("SELECT org_id, house_guid, cancelled_at IS NOT NULL FROM outages WHERE id = ?",
                                    (outage,)).fetchone()
            assert row is not None and tuple(row) == (org, house, cancelled), (outage, row and tuple(row))
        ids["uk_inn"] = self._one("SELECT inn FROM organisations WHERE id = ?", ORG_UK_MOSCOW)  # managing_org
        for key, appeal, part in (("uk_appeal_file", "A-000001", "attachment"),
                                  ("uk_answer_file", "A-000001", "answer"),
                                  ("energo_appeal_file", "A-000003", "attachment")):
            ids[key] = self._one("SELECT upload_id FROM appeal_files WHERE appeal_id = ? AND part = ?", appeal, part)
        for appeal, org, author, status in (("A-000001", ORG_UK_MOSCOW, "ivanov", "answered"),
                                            ("A-000002", ORG_UK_MOSCOW, "petrova", "withdrawn"),
                                            ("A-000003", ORG_ENERGO, "ivanov", "in_work")):
            row = self.conn.execute("SELECT a.addressee_org_id, u.login, a.status FROM appeals a JOIN users u"
                                    " ON u.id = a.author_id WHERE a.id = ?", (appeal,)).fetchone()
            assert row is not None and tuple(row) == (org, author, status), (appeal, row and tuple(row))
        for key in ("uk", "energo"):
            els = ids[f"{key}_els"]
            ids[f"{key}_number"] = self._one("SELECT number FROM accounts WHERE els = ?", els)
            ids[f"{key}_izhku"] = self._one("SELECT izhku FROM accounts WHERE els = ?", els)
        ids["uk_serial"] = self._one("SELECT serial FROM meters WHERE id = ?", ids["uk_meter"])
        # A neighbour: an account at the same house, of the managing organisation, linked to nobody.
        ids["neighbour_els"], ids["neighbour_number"] = self.conn.execute(
            "SELECT a.els, a.number FROM accounts a WHERE a.house_guid = ? AND a.org_id = ? "
            "AND a.id NOT IN (SELECT account_id FROM account_links) AND a.payer NOT LIKE 'Иванов%' "
            "AND a.payer NOT LIKE 'Петров%' AND EXISTS (SELECT 1 FROM meters m WHERE m.account_id = a.id) "
            "ORDER BY a.id LIMIT 1", (ids["h1"], ORG_UK_MOSCOW)).fetchone()
        ids["neighbour_meter"], ids["neighbour_serial"] = self.conn.execute(
            "SELECT m.id, m.serial FROM meters m JOIN accounts a ON a.id = m.account_id WHERE a.els = ? "
            "AND m.serial NOT IN (SELECT serial FROM meters WHERE account_id IN (SELECT account_id FROM "
            "account_links)) ORDER BY m.id LIMIT 1", (ids["neighbour_els"],)).fetchone()
        # The details of the world the brief describes, so that a changed demo world fails loudly here.
        linked = {r[0] for r in self.conn.execute(
            "SELECT a.els FROM account_links l JOIN accounts a ON a.id = l.account_id JOIN users u ON "
            "u.id = l.user_id WHERE u.login = 'ivanov'")}
        assert linked == {ids["uk_els"], ids["energo_els"]}, linked
        assert not self.conn.execute("SELECT 1 FROM account_links l JOIN users u ON u.id = l.user_id "
                                     "WHERE u.login = 'petrova'").fetchone()
        for meter, els in (("uk_meter", "uk_els"), ("uk_meter2", "uk_els"), ("energo_meter", "energo_els")):
            assert self._one("SELECT a.els FROM meters m JOIN accounts a ON a.id = m.account_id WHERE m.id = ?",
                             ids[meter]) == ids[els]
        for name in ("unknown_els", "unknown_meter", "unknown_serial", "unknown_number"):
            assert not self.conn.execute(
                "SELECT 1 FROM accounts WHERE els = ? OR number = ? UNION SELECT 1 FROM meters "
                "WHERE id = ? OR serial = ?", (ids[name],) * 4).fetchone(), name
        return ids

    def account_details(self, els: str) -> set[str]:
        """What must not reach anyone the account is not shown to: its payer, numbers, meters, readings."""
        acc = self.conn.execute("SELECT id, els, izhku, number, payer, area FROM accounts WHERE els = ?",
                                (els,)).fetchone()
        found = {acc["els"], acc["izhku"], acc["number"], acc["payer"], acc["payer"].split()[0]}
        if acc["area"] and "." in acc["area"]:
            found.add(acc["area"])
        for meter in self.conn.execute("SELECT id, serial FROM meters WHERE account_id = ?", (acc["id"],)):
            found |= {meter["id"], meter["serial"]}
            last = self.conn.execute("SELECT reading_values FROM readings WHERE meter_id = ? ORDER BY period DESC "
                                     "LIMIT 1", (meter["id"],)).fetchone()
            if last:
                found |= {v for v in json.loads(last[0]).values() if "." in v}
        return found

    def others_details(self) -> set[str]:
        """ivanov's two accounts and the neighbour's: what a refusal may never carry."""
        return set().union(*(self.account_details(self.ids[k]) for k in ("uk_els", "energo_els", "neighbour_els")))

    def state(self) -> tuple:
        """What the routes can change: links, accounts, flats, meters, readings, tokens, payments, uploads, meetings,
        appeals, outages, users, organisations and settings (throttle counters and idempotency keys aside)."""
        q = self.conn.execute
        return (
            q("SELECT user_id, account_id, linked_at FROM account_links ORDER BY 1, 2").fetchall(),
            # Accounts, flats and meters (the batch import's): how many, and a digest of what they hold.
            q("SELECT count(*), max(id), coalesce(sum(flat_id), 0), coalesce(sum(length(payer) + length(els)"
              " + coalesce(length(area), 0) + length(payer_kind) + coalesce(length(payer_share), 0)), 0)"
              " FROM accounts").fetchone(),
            q("SELECT count(*), max(id) FROM flats").fetchone(),
            q("SELECT count(*), max(id) FROM meters").fetchone(),
            q("SELECT count(*), max(id), coalesce(sum(length(reading_values)), 0) FROM readings").fetchone(),
            q("SELECT * FROM readings WHERE period >= '2026-11' OR submitted_by IS NOT NULL ORDER BY id").fetchall(),
            q("SELECT token_hash, user_id, expires_at FROM tokens ORDER BY 1").fetchall(),
            # Payments: what they are, where their money went, receipts, wallets, what the bills have been paid.
            q("SELECT id, status, decline_reason, advance_kopecks FROM payments ORDER BY id").fetchall(),
            q("SELECT payment_id, bill_id, amount_kopecks FROM payment_bills ORDER BY 1, 2").fetchall(),
            q("SELECT payment_id, number FROM receipts ORDER BY 1").fetchall(),
            q("SELECT user_id, balance_kopecks FROM wallets ORDER BY 1").fetchall(),
            q("SELECT coalesce(sum(paid_kopecks), 0) FROM bills").fetchone(),
            # Owners' meetings: uploads and whether they are taken, meetings and their decisions, questions, votes.
            q("SELECT id, user_id, size, used_by FROM uploads ORDER BY id").fetchall(),
            q("SELECT id, status, reviewed_by, rejection_reason FROM meetings ORDER BY id").fetchall(),
            q("SELECT count(*) FROM meeting_questions").fetchone(),
            q("SELECT meeting_id, owner_id, number, choice, voted_at FROM meeting_votes ORDER BY 1, 2, 3").fetchall(),
            # Appeals: their status and who took, answered or withdrew them, and their files.
            q("SELECT id, status, taken_by, taken_at, answered_by, answer_text, withdrawn_at FROM appeals"
              " ORDER BY id").fetchall(),
            q("SELECT appeal_id, upload_id, part, position FROM appeal_files ORDER BY 1, 2").fetchall(),
            # Notices of outages: each one's dates, words, importance, cancel and version.
            q("SELECT id, house_guid, org_id, starts_at, ends_at, text, topic, important, cancelled_at, version"
              " FROM outages ORDER BY id").fetchall(),
            # The portal's users (their passwords, one-time or not, and whether disabled), organisations, settings.
            q("SELECT id, login, name, email, role, org_id, password_hash, must_change_password, disabled_at"
              " FROM users ORDER BY id").fetchall(),
            q("SELECT * FROM organisations ORDER BY id").fetchall(),
            q("SELECT key, value FROM portal_settings ORDER BY key").fetchall(),
        )

    def links_of(self, login: str) -> set[str]:
        return {r[0] for r in self.conn.execute(
            "SELECT a.els FROM account_links l JOIN accounts a ON a.id = l.account_id WHERE l.user_id = ?",
            (self.user_ids[login],))}

    def reading(self, meter: str, period: str = "2026-11") -> dict | None:
        row = self.conn.execute("SELECT * FROM readings WHERE meter_id = ? AND period = ?",
                                (self.ids.get(meter, meter), period)).fetchone()
        return dict(row) if row else None

    # -- requests ---------------------------------------------------------------------------------------

    def sign_in(self, login: str) -> str:
        answer = self.call(None, "POST", f"{API}/auth/token", {"login": login, "password": password_of(login)})
        assert answer.status == 201, f"{login} cannot sign in: {answer.status} {answer.text}"
        return answer.media["token"]

    def call(self, token: str | None, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> Answer:
        path, _, query = path.partition("?")
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        # A string body is sent as it is (a form, with its Content-Type in `headers`); anything else as JSON.
        kwargs = {"body": body} if isinstance(body, str) else {"json": body} if body is not None else {}
        result = self.client.simulate_request(method, path, query_string=query or None, headers=headers, **kwargs)
        # A file's bytes (an appeal's PNG) are no UTF-8: read as text with the undecodable bytes replaced.
        text = result.content.decode("utf-8", "replace")
        try:
            media = json.loads(text) if text else None
        except ValueError:
            media = None
        return Answer(result.status_code, text, dict(result.headers), media)

    def as_(self, who: str, method: str, path: str, body: Any = None) -> Answer:
        """A request by a principal with its one sign-in; ids in braces are filled in."""
        return self.call(self.tokens.get(who), method, _fill(path, self.ids), _fill(body, self.ids))

    def all_pages(self, who: str, path: str) -> list[dict]:
        items, cursor = [], None
        for _ in range(MAX_PAGES):
            sep = "&" if "?" in path else "?"
            answer = self.as_(who, "GET", path + sep + "limit=1000" + (f"&cursor={cursor}" if cursor else ""))
            assert answer.status == 200, f"{who} GET {path}: {answer.status} {answer.text[:300]}"
            items += answer.media["items"]
            cursor = answer.media["next_cursor"]
            if not cursor:
                return items
        raise AssertionError(f"{who} GET {path}: still a next page after {MAX_PAGES} pages of 1000")


def run_row(world: World, row: Row) -> list[str]:
    """Send the row's request and check its answer; the problems found (none when the row holds)."""
    path, body = _fill(row.path, world.ids), _fill(row.body, world.ids)
    where = f"{row.describe(path)}: "
    if row.setup:
        try:
            row.setup(world)
        except AssertionError as error:
            return [f"{where}its setup failed: {error}"]
    if row.who == "anonymous":
        token = None
    elif row.token == "fresh":
        token = world.sign_in(row.who)
    else:
        token = world.tokens[row.who]
    world.row_token = token
    before = world.state()
    answer = world.call(token, row.route[0], path, body, row.headers)
    problems = []

    if answer.status not in row.statuses:
        problems.append(f"{where}expected {'/'.join(map(str, row.statuses))}, got {answer.status} {answer.text[:300]}")
        return problems  # the rest would only repeat it
    if row.expects_json and not isinstance(answer.media, dict):
        problems.append(f"{where}the answer is not a JSON object: {answer.text[:200]}")
        return problems
    refused = answer.status >= 400
    if refused:
        expected_code = row.code or DEFAULT_CODES.get(answer.status)
        if expected_code and answer.error.get("code") != expected_code:
            problems.append(f"{where}error code {answer.error.get('code')!r}, expected {expected_code!r}")
        if answer.status == 401 and answer.headers.get("www-authenticate", "").lower() != "bearer":
            problems.append(f"{where}a 401 without 'WWW-Authenticate: Bearer'")

    if row.leak_check if row.leak_check is not None else refused:
        asked = path + json.dumps(body, ensure_ascii=False)
        leaked = sorted(d for d in world.others_details() if d not in asked and d in answer.text)
        if leaked:
            problems.append(f"{where}the answer carries others' details {leaked}: {answer.text[:300]}")

    if (refused or row.dry_run or row.route[0] == "GET") and world.state() != before:
        problems.append(f"{where}the stored state changed, though the request was "
                        f"{'refused' if refused else 'a dry run' if row.dry_run else 'a read'}")
    if refused and "idempotent-replayed" in {h.lower() for h in answer.headers}:
        problems.append(f"{where}a refusal marked Idempotent-Replayed")
    if row.dry_run and not refused and answer.media.get("dry_run") is not True:
        problems.append(f'{where}a dry run answered without "dry_run": true')

    if row.guess:
        real, fake = (_fill(x, world.ids) for x in row.guess)
        assert real in path + json.dumps(body, ensure_ascii=False), f"{where}the guess swaps {real}, not in the request"
        before = world.state()
        other = world.call(token, row.route[0], path.replace(real, fake), _swap(body, real, fake), row.headers)
        mine = (answer.status, answer.error.get("code"), str(answer.error.get("message")).replace(real, "…"))
        theirs = (other.status, other.error.get("code"), str(other.error.get("message")).replace(fake, "…"))
        if mine != theirs:
            problems.append(f"{where}answers unlike a request for nothing ({fake}): {mine} vs {theirs}")
        if world.state() != before:
            problems.append(f"{where}the request for nothing ({fake}) changed the stored state")

    if row.check and not problems:
        try:
            row.check(world, answer)
        except AssertionError as error:  # the check's own message; pytest's rewritten comparison is noise here
            problems.append(f"{where}{str(error).splitlines()[0] if str(error) else 'a check failed'}")
        except Exception as error:  # an answer without the expected fields, say: one row's problem, not the run's
            problems.append(f"{where}{type(error).__name__}: {error}")
    return problems
