"""The portal's schema as numbered, named steps, each applied once (in the manner of llm's migrations).

A step is a function of the open write transaction, registered with @migration; its name is the function's
(`m002_meters`) and its version the number in that name. The store's dialect records the last step applied
(SQLite's PRAGMA user_version, a table on PostgreSQL), so a database at SCHEMA_VERSION needs nothing. The DDL
is written once, for SQLite, and passed through the dialect (dialect.Dialect.ddl). Nothing here knows of a
demo world: whoever opens the store may pass a `seed` hook, called in each step's transaction after the step
(see store.open_portal).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from gkh.server.db.dialect import Connection, Dialect, PortalStore

# Called after each step, in its transaction: (connection, the version just applied, now).
Seed = Callable[[Connection, int, datetime], None]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection, Dialect], None]


MIGRATIONS: list[Migration] = []


Step = Callable[[Connection, Dialect], None]


def migration(apply: Step) -> Step:
    """Register a step named mNNN_what: NNN is its version, one more than the step before."""
    version = int(apply.__name__[1:4])
    if apply.__name__[0] != "m" or version != len(MIGRATIONS) + 1:
        raise ValueError(f"migration {apply.__name__} is out of order: the next one is m{len(MIGRATIONS) + 1:03d}_…")
    MIGRATIONS.append(Migration(version, apply.__name__, apply))
    return apply


def _add_columns(conn: Connection, dialect: Dialect, columns: tuple[tuple[str, str, str], ...]) -> None:
    """Add each (table, column, definition as written for SQLite) a table lacks: a step run again adds nothing."""
    for table, column, definition in columns:
        if dialect.name == "postgres":
            conn.execute(dialect.ddl(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}"))
        elif column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def _execute(conn: Connection, dialect: Dialect, script: str) -> None:
    # One statement at a time: executescript would commit the transaction the step runs in.
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(dialect.ddl(statement.strip()))


@migration
def m001_portal(conn: Connection, dialect: Dialect) -> None:
    """Settings, organisations, houses, flats, owners, users, accounts and their links, tokens, idempotency keys."""
    _execute(conn, dialect, """
CREATE TABLE portal_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('managing', 'supplier', 'inspectorate', 'authority')),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    inn TEXT NOT NULL UNIQUE,
    ogrn TEXT NOT NULL,
    kpp TEXT,
    phone TEXT,
    email TEXT,
    address TEXT
);
CREATE TABLE houses (
    guid TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    town TEXT NOT NULL,
    search_key TEXT NOT NULL,
    oktmo TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'Europe/Moscow',
    window_from INTEGER NOT NULL DEFAULT 15 CHECK (window_from BETWEEN 1 AND 31),
    window_to INTEGER NOT NULL DEFAULT 25 CHECK (window_to BETWEEN window_from AND 31),
    year_built INTEGER,
    floors INTEGER,
    entrances INTEGER,
    total_area TEXT,
    living_area TEXT,
    condition TEXT,
    energy_class TEXT,
    managing_org_id TEXT REFERENCES organisations(id)
);
CREATE TABLE common_meters (
    id INTEGER PRIMARY KEY,
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    resource TEXT NOT NULL,
    serial TEXT NOT NULL,
    unit TEXT NOT NULL,
    verified_on TEXT
);
CREATE INDEX common_meters_house ON common_meters(house_guid);
CREATE TABLE flats (
    id INTEGER PRIMARY KEY,
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    number TEXT NOT NULL,
    area TEXT NOT NULL,
    rooms INTEGER,
    UNIQUE (house_guid, number)
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('resident', 'staff', 'inspector', 'admin')),
    org_id TEXT REFERENCES organisations(id),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE owners (
    id INTEGER PRIMARY KEY,
    flat_id INTEGER NOT NULL REFERENCES flats(id),
    name TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    share_num INTEGER NOT NULL CHECK (share_num > 0),
    share_den INTEGER NOT NULL CHECK (share_den >= share_num),
    document TEXT
);
CREATE INDEX owners_flat ON owners(flat_id);
CREATE INDEX owners_user ON owners(user_id);
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    els TEXT NOT NULL UNIQUE,
    izhku TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    flat_id INTEGER REFERENCES flats(id),
    payer TEXT NOT NULL,
    area TEXT,
    opened_on TEXT NOT NULL,
    UNIQUE (org_id, number)
);
CREATE INDEX accounts_house ON accounts(house_guid, number);
CREATE TABLE account_links (
    user_id INTEGER NOT NULL REFERENCES users(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (user_id, account_id)
) WITHOUT ROWID;
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    renewed_at TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE TABLE idempotency_keys (
    user_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    lease_until TEXT,
    status INTEGER,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_created ON idempotency_keys(created_at)
""")
    # Every portal has its own id from its creation: clients keep their credentials per portal.
    conn.execute("INSERT INTO portal_settings (key, value) VALUES ('portal_id', ?)", (secrets.token_hex(8),))


@migration
def m002_meters(conn: Connection, dialect: Dialect) -> None:
    """Meters of the accounts and their readings, one per meter and period."""
    _execute(conn, dialect, """
CREATE TABLE meters (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    serial TEXT NOT NULL,
    resource TEXT NOT NULL CHECK (resource IN ('cold_water', 'hot_water', 'electricity', 'gas', 'heat')),
    unit TEXT NOT NULL,
    zones TEXT NOT NULL,
    whole_digits INTEGER NOT NULL CHECK (whole_digits BETWEEN 1 AND 15),
    fraction_digits INTEGER NOT NULL CHECK (fraction_digits BETWEEN 0 AND 7),
    installed_on TEXT NOT NULL,
    verified_on TEXT NOT NULL,
    verification_due TEXT NOT NULL,
    UNIQUE (account_id, serial)
);
CREATE INDEX meters_account ON meters(account_id);
CREATE INDEX meters_serial ON meters(serial);
CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    meter_id TEXT NOT NULL REFERENCES meters(id),
    period TEXT NOT NULL,
    taken_on TEXT NOT NULL,
    reading_values TEXT NOT NULL,
    rollover INTEGER NOT NULL DEFAULT 0,
    submitted_by INTEGER REFERENCES users(id),
    submitted_at TEXT NOT NULL,
    UNIQUE (meter_id, period)
)
""")


@migration
def m003_throttle(conn: Connection, dialect: Dialect) -> None:
    """Failed attempts at guarded actions (signing in, linking an account), counted per key in a fixed window."""
    _execute(conn, dialect, """
CREATE TABLE throttle (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID
""")


# What gkh.domain.identifiers.serial_key gave when m004 was written: a step is history, and this room knows
# nothing of the portal's rules (docs/architecture.md). tests/server/test_migrations.py checks they agree.
_V4_TWINS = dict(zip("ABEKMHOPCTXY", "АВЕКМНОРСТХУ", strict=True))
_V4_LOWER = "abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_V4_FOLD = {
    **{ord(c): _V4_TWINS.get(c.upper(), c.upper()) for c in _V4_LOWER},
    **{ord(latin): cyrillic for latin, cyrillic in _V4_TWINS.items()},
    **{ord(dash): "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2212"},
}


@migration
def m004_meter_serial_key(conn: Connection, dialect: Dialect) -> None:
    """Meters found by their serial number as people type it: `serial_key`, the serial stripped and folded (case,
    Latin/Cyrillic look-alikes, dashes), filled for the meters there are and indexed in place of the serial."""
    _execute(conn, dialect, "ALTER TABLE meters ADD COLUMN serial_key TEXT")
    rows = conn.execute("SELECT id, serial FROM meters").fetchall()
    conn.executemany("UPDATE meters SET serial_key = ? WHERE id = ?",
                     [(row[1].strip().translate(_V4_FOLD), row[0]) for row in rows])
    _execute(conn, dialect, """
DROP INDEX meters_serial;
CREATE INDEX meters_serial_key ON meters(serial_key)
""")


# A house's reading window as the official schema's PeriodMetering states it: its end may be in the next month
# (EndDate/IsNextMonth), either end may be the month's last day (StartDate, EndDate/LastDay: the day is then 31,
# which means the same). A window ending in the next month ends before it opens again (before its from day and
# by the 27th), so no day is in two windows; the other windows as before (from ≤ to).
_M005_COLUMNS = {
    "window_to_next_month": "INTEGER NOT NULL DEFAULT 0 CHECK (window_to_next_month = 0 AND window_to >= window_from"
                            " OR window_to_next_month = 1 AND window_to < window_from AND window_to <= 27)",
    "window_from_last_day": "INTEGER NOT NULL DEFAULT 0 CHECK (window_from_last_day = 0"
                            " OR window_from_last_day = 1 AND window_from = 31)",
    "window_to_last_day": "INTEGER NOT NULL DEFAULT 0 CHECK (window_to_last_day = 0"
                          " OR window_to_last_day = 1 AND window_to = 31)",
}
# m001's rule on window_to (no earlier than window_from), which a window ending in the next month breaks.
_M001_WINDOW_TO_CHECK = "CHECK (window_to BETWEEN window_from AND 31)"
_M005_WINDOW_TO_CHECK = "CHECK (window_to BETWEEN 1 AND 31)"


@migration
def m005_reading_window_ends(conn: Connection, dialect: Dialect) -> None:
    """Houses' reading windows that end in the next month or on the month's last day: three columns whose
    defaults keep every window as it was, and window_to no longer tied to be ≥ window_from by itself."""
    if dialect.name == "postgres":
        # PostgreSQL named m001's rule itself ("houses_check": it names two columns); found by what it says.
        for (name,) in conn.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'houses'::regclass AND contype = 'c'"
                " AND pg_get_constraintdef(oid) LIKE '%window_to >= window_from%'"
                " AND pg_get_constraintdef(oid) NOT LIKE '%next_month%'"
        ).fetchall():
            conn.execute(f'ALTER TABLE houses DROP CONSTRAINT "{name}"')
        conn.execute("ALTER TABLE houses DROP CONSTRAINT IF EXISTS houses_window_to_check")
        conn.execute(f"ALTER TABLE houses ADD CONSTRAINT houses_window_to_check {_M005_WINDOW_TO_CHECK}")
        for name, definition in _M005_COLUMNS.items():
            conn.execute(dialect.ddl(f"ALTER TABLE houses ADD COLUMN IF NOT EXISTS {name} {definition}"))
        return
    present = {row[1] for row in conn.execute("PRAGMA table_info(houses)")}
    for name, definition in _M005_COLUMNS.items():
        if name not in present:  # present when an older portal's later tables were dropped and made again
            conn.execute(f"ALTER TABLE houses ADD COLUMN {name} {definition}")
    _sqlite_replace_in_table(conn, "houses", _M001_WINDOW_TO_CHECK, _M005_WINDOW_TO_CHECK)


def _sqlite_replace_in_table(conn: Connection, table: str, old: str, new: str) -> None:
    """Change a SQLite table's definition (here: a CHECK constraint, which ALTER TABLE cannot drop) by making the
    table again with the same rows, inside the step's transaction; nothing when `old` is not in it.

    The rows wait in a temporary copy while the table is dropped and made again from its own CREATE text; its
    indexes are made again after. PRAGMA foreign_keys cannot change inside a transaction, so the rows of other
    tables that refer to this one are checked at COMMIT (defer_foreign_keys) — by then their parents are back.
    A table that others refer to with an ON DELETE action would lose their rows when dropped: refused.
    """
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    if old not in sql:
        return
    for (other,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for reference in conn.execute(f'PRAGMA foreign_key_list("{other}")').fetchall():
            if reference[2] == table and reference[6] != "NO ACTION":
                raise RuntimeError(f"{other} refers to {table} ON DELETE {reference[6]}: it cannot be made again")
    indexes = [row[0] for row in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))]
    conn.execute("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    conn.execute(f"CREATE TEMP TABLE {table}_rows AS SELECT * FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(sql.replace(old, new))
    conn.execute(f"INSERT INTO {table} SELECT * FROM temp.{table}_rows")
    conn.execute(f"DROP TABLE temp.{table}_rows")
    for index in indexes:
        conn.execute(index)


# Organisations' bank details (where their payers pay) and the commission a card payment costs, in basis points
# of the sum (0.8 % = 80): m006 adds them beside the bills.
_M006_ORG_COLUMNS = {
    "bank_name": "TEXT",
    "bik": "TEXT",
    "bank_account": "TEXT",
    "correspondent_account": "TEXT",
    "card_commission_bp": "INTEGER NOT NULL DEFAULT 0 CHECK (card_commission_bp BETWEEN 0 AND 10000)",
}


@migration
def m006_bills(conn: Connection, dialect: Dialect) -> None:
    """Bills (ЕПД): one per account and period, its id the ИПД, its sums in kopecks, and its lines (service,
    tariff zone, volume as decimal text, tariff and amount in kopecks); organisations gain their bank details and
    card commission rate. IF NOT EXISTS: a portal whose version was set back keeps the bills it has."""
    if dialect.name == "postgres":
        for name, definition in _M006_ORG_COLUMNS.items():
            conn.execute(dialect.ddl(f"ALTER TABLE organisations ADD COLUMN IF NOT EXISTS {name} {definition}"))
    else:
        present = {row[1] for row in conn.execute("PRAGMA table_info(organisations)")}
        for name, definition in _M006_ORG_COLUMNS.items():
            if name not in present:
                conn.execute(f"ALTER TABLE organisations ADD COLUMN {name} {definition}")
    _execute(conn, dialect, """
CREATE TABLE IF NOT EXISTS bills (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    period TEXT NOT NULL,
    payee_org_id TEXT NOT NULL REFERENCES organisations(id),
    issued_on TEXT NOT NULL,
    due_date TEXT NOT NULL,
    total_kopecks INTEGER NOT NULL CHECK (total_kopecks >= 0),
    paid_kopecks INTEGER NOT NULL DEFAULT 0 CHECK (paid_kopecks >= 0),
    UNIQUE (account_id, period)
);
CREATE INDEX IF NOT EXISTS bills_newest ON bills(period, id);
CREATE TABLE IF NOT EXISTS bill_lines (
    bill_id TEXT NOT NULL REFERENCES bills(id),
    position INTEGER NOT NULL CHECK (position >= 1),
    service TEXT NOT NULL CHECK (service IN ('maintenance', 'cold_water', 'hot_water', 'sewerage', 'heating',
                                             'electricity')),
    zone TEXT,
    volume TEXT NOT NULL,
    unit TEXT NOT NULL CHECK (unit IN ('m2', 'm3', 'Gcal', 'kWh')),
    tariff_kopecks INTEGER NOT NULL CHECK (tariff_kopecks >= 0),
    amount_kopecks INTEGER NOT NULL CHECK (amount_kopecks >= 0),
    PRIMARY KEY (bill_id, position)
) WITHOUT ROWID
""")


@migration
def m007_payments(conn: Connection, dialect: Dialect) -> None:
    """Payments (a resident's, of an account's bills or a top-up of the wallet), the part of each applied to each
    bill, the residents' «Виртуальный мир» wallets (never below zero) and the receipts (the RFC 5322 message as
    stored bytes, its delivery: in the outbox until an SMTP server accepted it). IF NOT EXISTS: a portal whose
    version was set back keeps the payments it has."""
    _execute(conn, dialect, """
CREATE TABLE IF NOT EXISTS wallets (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    balance_kopecks INTEGER NOT NULL DEFAULT 0 CHECK (balance_kopecks >= 0),
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('bill', 'top_up')),
    account_id INTEGER REFERENCES accounts(id),
    payee_org_id TEXT REFERENCES organisations(id),
    bill_id TEXT REFERENCES bills(id),
    method TEXT NOT NULL CHECK (method IN ('wallet', 'card')),
    amount_kopecks INTEGER NOT NULL CHECK (amount_kopecks > 0),
    commission_kopecks INTEGER NOT NULL CHECK (commission_kopecks >= 0),
    advance_kopecks INTEGER NOT NULL DEFAULT 0 CHECK (advance_kopecks >= 0),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined')),
    decline_reason TEXT CHECK (decline_reason IN ('cancelled', 'declined_by_bank', 'expired')),
    email TEXT,
    confirm_token TEXT UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    completed_at TEXT
);
CREATE INDEX IF NOT EXISTS payments_user ON payments(user_id, seq);
CREATE INDEX IF NOT EXISTS payments_payee ON payments(payee_org_id, seq);
CREATE INDEX IF NOT EXISTS payments_account ON payments(account_id, seq);
CREATE TABLE IF NOT EXISTS payment_bills (
    payment_id TEXT NOT NULL REFERENCES payments(id),
    bill_id TEXT NOT NULL REFERENCES bills(id),
    amount_kopecks INTEGER NOT NULL CHECK (amount_kopecks > 0),
    PRIMARY KEY (payment_id, bill_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
    payment_id TEXT PRIMARY KEY REFERENCES payments(id),
    number TEXT NOT NULL UNIQUE,
    emailed_to TEXT,
    message BLOB NOT NULL,
    created_at TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('smtp', 'outbox')),
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)
""")



@migration
def m008_meetings(conn: Connection, dialect: Dialect) -> None:
    """Owners' general meetings by electronic vote: houses gain the region's housing inspectorate (who reviews their
    meetings); files uploaded before they are used (a meeting's notice), the meetings with their stored decision
    (voting, closed and expired are read from the dates), their agenda and the owners' votes, one per owner row and
    question (the latest replaces). IF NOT EXISTS: a portal whose version was set back keeps the meetings it has."""
    if dialect.name == "postgres":
        conn.execute(dialect.ddl("ALTER TABLE houses ADD COLUMN IF NOT EXISTS inspectorate_org_id TEXT"
                                 " REFERENCES organisations(id)"))
    elif "inspectorate_org_id" not in {row[1] for row in conn.execute("PRAGMA table_info(houses)")}:
        conn.execute("ALTER TABLE houses ADD COLUMN inspectorate_org_id TEXT REFERENCES organisations(id)")
    _execute(conn, dialect, """
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    data BLOB NOT NULL,
    created_at TEXT NOT NULL,
    used_by TEXT
);
CREATE INDEX IF NOT EXISTS uploads_free ON uploads(used_by, created_at);
CREATE TABLE IF NOT EXISTS meetings (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    kind TEXT NOT NULL CHECK (kind IN ('annual', 'extraordinary')),
    form TEXT NOT NULL DEFAULT 'electronic_vote',
    status TEXT NOT NULL CHECK (status IN ('under_review', 'published', 'rejected')),
    filed_by INTEGER NOT NULL REFERENCES users(id),
    filed_at TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    review_due TEXT NOT NULL,
    earliest_start TEXT NOT NULL,
    voting_start TEXT NOT NULL,
    voting_end TEXT NOT NULL,
    materials TEXT NOT NULL,
    administrator TEXT NOT NULL,
    initiators TEXT NOT NULL,
    notice_upload TEXT NOT NULL REFERENCES uploads(id),
    reviewed_by INTEGER REFERENCES users(id),
    reviewed_at TEXT,
    rejection_reason TEXT
);
CREATE INDEX IF NOT EXISTS meetings_house ON meetings(house_guid, seq);
CREATE TABLE IF NOT EXISTS meeting_questions (
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    number INTEGER NOT NULL CHECK (number >= 1),
    text TEXT NOT NULL,
    two_thirds INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meeting_votes (
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    owner_id INTEGER NOT NULL REFERENCES owners(id),
    number INTEGER NOT NULL,
    choice TEXT NOT NULL CHECK (choice IN ('for', 'against', 'abstain')),
    voted_by INTEGER REFERENCES users(id),
    voted_at TEXT NOT NULL,
    PRIMARY KEY (meeting_id, owner_id, number)
) WITHOUT ROWID
""")



@migration
def m009_appeals(conn: Connection, dialect: Dialect) -> None:
    """Appeals and complaints: houses gain their town's administration (who receives appeals about them besides the
    managing organisation, the suppliers and the inspectorate); the topics; the appeals, numbered A-000001…, with
    their status (sent, in_work, answered, withdrawn), due date and answer; their files (the author's attachments
    and the answer's), uploads taken by the appeal. IF NOT EXISTS: a portal whose version was set back keeps them."""
    if dialect.name == "postgres":
        conn.execute(dialect.ddl("ALTER TABLE houses ADD COLUMN IF NOT EXISTS administration_org_id TEXT"
                                 " REFERENCES organisations(id)"))
    elif "administration_org_id" not in {row[1] for row in conn.execute("PRAGMA table_info(houses)")}:
        conn.execute("ALTER TABLE houses ADD COLUMN administration_org_id TEXT REFERENCES organisations(id)")
    _execute(conn, dialect, """
CREATE TABLE IF NOT EXISTS appeal_topics (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS appeals (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    author_id INTEGER NOT NULL REFERENCES users(id),
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    topic_code TEXT REFERENCES appeal_topics(code),
    other_topic TEXT,
    addressee_org_id TEXT NOT NULL REFERENCES organisations(id),
    text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'in_work', 'answered', 'withdrawn')),
    registered_at TEXT NOT NULL,
    due_date TEXT NOT NULL,
    taken_by INTEGER REFERENCES users(id),
    taken_at TEXT,
    answered_by INTEGER REFERENCES users(id),
    answered_at TEXT,
    answer_text TEXT,
    withdrawn_at TEXT,
    CHECK ((topic_code IS NULL) <> (other_topic IS NULL))
);
CREATE INDEX IF NOT EXISTS appeals_author ON appeals(author_id, seq);
CREATE INDEX IF NOT EXISTS appeals_addressee ON appeals(addressee_org_id, seq);
CREATE TABLE IF NOT EXISTS appeal_files (
    appeal_id TEXT NOT NULL REFERENCES appeals(id),
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    part TEXT NOT NULL CHECK (part IN ('attachment', 'answer')),
    position INTEGER NOT NULL,
    PRIMARY KEY (appeal_id, upload_id)
) WITHOUT ROWID
""")


@migration
def m010_outages(conn: Connection, dialect: Dialect) -> None:
    """House notices of outages (hot and cold water, electricity, gas, heating), numbered OT-000001…: the house, the
    organisation that posted it, its resource, topic and text, its start and end (instants, UTC), whether it is
    important, when it was cancelled; its version grows by one on every change. IF NOT EXISTS: a portal whose version
    was set back keeps them."""
    _execute(conn, dialect, """
CREATE TABLE IF NOT EXISTS outages (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    org_id TEXT NOT NULL REFERENCES organisations(id),
    resource TEXT NOT NULL CHECK (resource IN ('hot_water', 'cold_water', 'electricity', 'gas', 'heating')),
    topic TEXT NOT NULL,
    text TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    important INTEGER NOT NULL DEFAULT 0,
    cancelled_at TEXT,
    posted_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    CHECK (starts_at < ends_at)
);
CREATE INDEX IF NOT EXISTS outages_house ON outages(house_guid, starts_at)
""")


# Columns m011 adds: (table, column, definition as written for SQLite).
_M011_COLUMNS = (
    ("accounts", "payer_kind", "TEXT NOT NULL DEFAULT 'owner' CHECK (payer_kind IN ('owner', 'tenant'))"),
    ("accounts", "payer_share", "TEXT"),
    ("houses", "region_code", "TEXT CHECK (region_code IS NULL OR length(region_code) = 2)"),
)


@migration
def m011_batch_accounts(conn: Connection, dialect: Dialect) -> None:
    """Accounts imported from a batch file: the payer's kind (owner or tenant) and share of the flat ("1/2"; NULL: not
    given); houses gain their region's code (2 digits, the first two of the ЕЛС drawn for a new account there),
    filled from the ЕЛС of the accounts each house has."""
    _add_columns(conn, dialect, _M011_COLUMNS)
    conn.execute("UPDATE houses SET region_code = (SELECT substr(min(a.els), 1, 2) FROM accounts a"
                 " WHERE a.house_guid = houses.guid) WHERE region_code IS NULL")
    if dialect.name == "postgres":
        # Statistics for the tables a batch import reads by key: without any (a database just made and filled),
        # PostgreSQL guesses an organisation's accounts are few, reads all of them for a chunk's numbers, and an
        # import of 100 000 accounts slows to a third of its speed as it goes.
        conn.execute("ANALYZE accounts, flats, meters, readings")



# Columns m012 adds to users: (table, column, definition as written for SQLite).
_M012_COLUMNS = (
    ("users", "must_change_password", "INTEGER NOT NULL DEFAULT 0"),
    ("users", "disabled_at", "TEXT"),
)


@migration
def m012_user_admin(conn: Connection, dialect: Dialect) -> None:
    """Users a portal's admin manages: whether they must set a password of their own before anything else (a new
    user's one-time password, one reset by the admin), and when they were disabled (NULL: active)."""
    _add_columns(conn, dialect, _M012_COLUMNS)


@migration
def m013_closed_periods(conn: Connection, dialect: Dialect) -> None:
    """Periods closed for billing by house (issue 16): a reading of a closed period is refused as one whose window
    has passed; who closed it and when (UTC)."""
    _execute(conn, dialect, """
CREATE TABLE IF NOT EXISTS closed_periods (
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    period TEXT NOT NULL CHECK (length(period) = 7),
    closed_at TEXT NOT NULL,
    closed_by INTEGER REFERENCES users(id),
    PRIMARY KEY (house_guid, period)
)
""")

@migration
def m014_claim_holders(conn: Connection, dialect: Dialect) -> None:
    """An Idempotency-Key's claim names the process holding it (gkh.server.idempotency.Holder), so a claim of a
    process that is gone is taken over at once; its lease now counts real time."""
    _add_columns(conn, dialect, (("idempotency_keys", "holder", "TEXT"),))


@migration
def m015_owner_terms(conn: Connection, dialect: Dialect) -> None:
    """An owner register's row keeps when it entered the register and when the ownership ended (a flat sold: the
    row stays, as the owner's votes name it, but the register and who may vote leave it out; a meeting's results
    count the owners of the moment its vote ended). NULL: since before the register kept it / not ended."""
    _add_columns(conn, dialect, (("owners", "registered_at", "TEXT"), ("owners", "ended_at", "TEXT")))


SCHEMA_VERSION = MIGRATIONS[-1].version  # a database at it needs no lock and no migration


def migrate(store: PortalStore, now: datetime, seed: Seed | None = None) -> None:
    """Apply the steps the database lacks, each in a transaction of its own with its seed, alone among the
    processes sharing the database (SQLite: open_portal holds the file lock; PostgreSQL: each step's
    transaction begins under an advisory lock), so two processes never migrate one database at once."""
    dialect = store.dialect
    for step in MIGRATIONS:
        with store.migration_step() as tx:
            if dialect.schema_version(tx) >= step.version:
                continue
            step.apply(tx, dialect)
            if seed is not None:
                seed(tx, step.version, now)
            store.after_migration_step(tx)
            dialect.set_schema_version(tx, step.version)
