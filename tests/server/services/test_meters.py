"""The meters service without HTTP: the caller's meters, their history, and submitting readings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gkh.domain.errors import Refused
from gkh.domain.readings import ReadingRefused, canonical
from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS, H4_GUID
from gkh.server.http import ApiError
from gkh.server.idempotency import Mutation
from gkh.server.services import meters
from gkh.server.services.meters import Submission
from tests.helpers.demo import COLD, SEED_NOW


def test_the_callers_meters_of_one_account(store, user):
    listing = meters.list_meters(store, user("ivanov"), DEMO_RESIDENT_ACCOUNTS[0], 100, "", SEED_NOW)
    assert [m["resource"] for m in listing.items] == ["cold_water", "hot_water"]
    assert listing.items[0]["window"] == {"from": "2026-11-01", "to": "2026-11-30", "open": True, "period": "2026-11",
                                          "from_day": 1, "from_last_day": False, "to_day": 31, "to_last_day": False,
                                          "to_next_month": False}
    with pytest.raises(ApiError) as other:
        meters.list_meters(store, user("petrova"), DEMO_RESIDENT_ACCOUNTS[0], 100, "", SEED_NOW)
    assert other.value.error_code == "account_not_found"


def test_a_meter_by_id_or_serial(store, user):
    ivanov = user("ivanov")
    meter = meters.get_meter(store, ivanov, COLD.lower(), SEED_NOW)
    assert meters.get_meter(store, ivanov, meter["serial"], SEED_NOW)["id"] == COLD
    with pytest.raises(ApiError) as hidden:
        meters.get_meter(store, user("petrova"), COLD, SEED_NOW)
    assert hidden.value.error_code == "meter_not_found"


def test_the_history_has_the_consumption_of_each_month(store, user):
    history = meters.reading_history(store, user("ivanov"), COLD, 3, SEED_NOW)
    assert [h["period"] for h in history] == ["2026-09", "2026-10"]  # November has no reading yet
    assert all(Decimal(h["consumption"]["T1"]) > 0 for h in history)


def test_a_reading_is_accepted_then_unchanged_then_replaced(store, user):
    ivanov = user("ivanov")
    last = Decimal(meters.get_meter(store, ivanov, COLD, SEED_NOW)["last_reading"]["values"]["T1"])
    accepted = meters.submit_reading(store, ivanov, COLD, Submission([last + 5]), SEED_NOW)
    assert (accepted.status, accepted.body["status"], accepted.body["consumption"]) == (201, "accepted",
                                                                                        {"T1": "5"})
    same = meters.submit_reading(store, ivanov, COLD, Submission([last + 5]), SEED_NOW)
    assert (same.status, same.body["status"]) == (200, "unchanged")
    replaced = meters.submit_reading(store, ivanov, COLD, Submission([last + 6]), SEED_NOW)
    assert replaced.body["status"] == "replaced"
    assert meters.reading_history(store, ivanov, COLD, 1, SEED_NOW)[0]["values"] == {"T1": canonical(last + 6)}


def test_a_dry_run_stores_nothing(store, user):
    ivanov = user("ivanov")
    before = meters.reading_history(store, ivanov, COLD, 12, SEED_NOW)
    last = Decimal(before[-1]["values"]["T1"])
    outcome = meters.submit_reading(store, ivanov, COLD, Submission([last + 1]), SEED_NOW, Mutation(dry_run=True))
    assert outcome.body["dry_run"] is True and outcome.body["status"] == "accepted"
    assert meters.reading_history(store, ivanov, COLD, 12, SEED_NOW) == before


def test_a_reading_outside_the_window_is_refused_with_the_next_opening(store, user):
    with store.read() as conn:
        meter = conn.execute("SELECT m.id FROM meters m JOIN accounts a ON a.id = m.account_id"
                             " WHERE a.house_guid = ? ORDER BY m.id LIMIT 1", (H4_GUID,)).fetchone()[0]
    early = datetime(2026, 11, 5, 12, tzinfo=UTC)  # Малышева 51 takes readings from the 15th to the 25th
    with pytest.raises(ReadingRefused) as refused:
        meters.submit_reading(store, user("admin"), meter, Submission([Decimal("99999")]), early)
    assert isinstance(refused.value, Refused) and refused.value.code == "outside_window"
    assert refused.value.details["next_opening"] == "2026-11-15"
