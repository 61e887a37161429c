"""The demo world's wallets and the test acquirer's settings (schema version 7).

The demo resident's «Виртуальный мир» wallet holds the larger of his two unpaid bills of the managing
organisation rounded up to whole hundreds of roubles (8238.80 → 8300.00), so long as that stays below their sum
(else the larger bill exactly): enough for one bill, not for both. The portal setting `acquirer.decline_amounts`
names the amounts the test acquirer declines (13.13: a card payment of it is "declined by the bank"). No past
payments: the paid bills were paid elsewhere.
"""

from __future__ import annotations

from datetime import datetime

from gkh.domain.dates import format_instant
from gkh.server.demo import Connection
from gkh.server.demo.world import DEMO_RESIDENT_ACCOUNT_DETAILS, DEMO_RESIDENT_LOGIN, ORG_ENERGO

DECLINE_AMOUNTS = "13.13"
HUNDRED_ROUBLES = 10000  # kopecks


def wallet_kopecks(unpaid: list[int]) -> int:
    """The demo wallet for these unpaid bills (kopecks): the largest rounded up to whole hundreds of roubles, or the
    largest itself when that would reach their sum."""
    largest = max(unpaid)
    rounded = -(-largest // HUNDRED_ROUBLES) * HUNDRED_ROUBLES
    return rounded if rounded < sum(unpaid) else largest


def seed_v7(conn: Connection, now: datetime) -> None:
    """Add the demo resident's wallet and the acquirer's decline amounts to a demo portal (schema v7), in the
    caller's transaction; what is there already is kept (a portal whose schema version was set back)."""
    conn.execute("INSERT INTO portal_settings (key, value) VALUES ('acquirer.decline_amounts', ?)"
                 " ON CONFLICT (key) DO NOTHING", (DECLINE_AMOUNTS,))
    uk_els = next(a.els for a in DEMO_RESIDENT_ACCOUNT_DETAILS if a.org_id != ORG_ENERGO)
    unpaid = [row[0] for row in conn.execute(
        "SELECT b.total_kopecks - b.paid_kopecks FROM bills b JOIN accounts a ON a.id = b.account_id"
        " WHERE a.els = ? AND b.paid_kopecks < b.total_kopecks", (uk_els,)).fetchall()]
    user = conn.execute("SELECT id FROM users WHERE login = ?", (DEMO_RESIDENT_LOGIN,)).fetchone()
    if not unpaid or user is None:
        return
    conn.execute("INSERT INTO wallets (user_id, balance_kopecks, updated_at) VALUES (?, ?, ?)"
                 " ON CONFLICT (user_id) DO NOTHING", (user[0], wallet_kopecks(unpaid), format_instant(now)))
