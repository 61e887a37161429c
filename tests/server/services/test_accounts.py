"""The accounts service without HTTP: who sees which accounts, linking and unlinking."""

from __future__ import annotations

import pytest

from gkh.domain.errors import InvalidInput
from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNTS, H1_GUID
from gkh.server.http import ApiError
from gkh.server.idempotency import Mutation
from gkh.server.services import accounts
from gkh.server.services.accounts import LinkProof, parse_link_proof
from tests.helpers.demo import SEED_NOW

PETROVA_PROOF = {"house": H1_GUID, "number": DEMO_PETROVA_ACCOUNT.number, "payer": "Петрова"}


def linked(store, user) -> list[str]:
    return [a["els"] for a in accounts.list_accounts(store, user, 100, 0).items]


def test_residents_see_their_linked_accounts_and_staff_their_organisations(store, user):
    assert linked(store, user("ivanov")) == DEMO_RESIDENT_ACCOUNTS
    staff = accounts.list_accounts(store, user("uk-staff"), 3, 0)
    assert len(staff.items) == 3 and staff.resume_after is not None
    assert {a["organisation"]["short_name"] for a in staff.items} == {"ООО «УК Ленинский квартал»"}
    assert all(a["linked_at"] is None for a in staff.items)
    with pytest.raises(ApiError) as inspector:
        accounts.list_accounts(store, user("inspector"), 3, 0)
    assert inspector.value.status_code == 403


def test_someone_elses_account_is_not_found(store, user):
    with pytest.raises(ApiError) as other:
        accounts.get_account(store, user("petrova"), DEMO_RESIDENT_ACCOUNTS[0])
    assert (other.value.status_code, other.value.error_code) == (404, "account_not_found")


def test_linking_once_then_again_changes_nothing(store, user):
    petrova = user("petrova")
    first = accounts.link_account(store, petrova, PETROVA_PROOF, SEED_NOW)
    assert (first.status, first.body["status"]) == (201, "linked")
    assert first.body["account"]["els"] == DEMO_PETROVA_ACCOUNT.els
    again = accounts.link_account(store, petrova, PETROVA_PROOF, SEED_NOW)
    assert (again.status, again.body["status"]) == (200, "unchanged")
    assert linked(store, petrova) == [DEMO_PETROVA_ACCOUNT.els]


def test_a_dry_run_links_nothing_and_shows_nothing(store, user):
    outcome = accounts.link_account(store, user("petrova"), PETROVA_PROOF, SEED_NOW, Mutation(dry_run=True))
    assert outcome.body == {"status": "linked", "account": None, "dry_run": True}
    assert linked(store, user("petrova")) == []


def test_wrong_payers_are_counted_until_linking_is_locked(store, user):
    petrova = user("petrova")
    wrong = {**PETROVA_PROOF, "payer": "Сидорова"}
    for _ in range(5):
        with pytest.raises(ApiError) as refused:
            accounts.link_account(store, petrova, wrong, SEED_NOW)
        assert refused.value.error_code == "account_not_found"
    with pytest.raises(ApiError) as locked:
        accounts.link_account(store, petrova, PETROVA_PROOF, SEED_NOW)
    assert locked.value.error_code == "too_many_attempts"


def test_only_residents_link_and_unlink(store, user):
    with pytest.raises(ApiError) as staff:
        accounts.link_account(store, user("uk-staff"), PETROVA_PROOF, SEED_NOW)
    assert staff.value.status_code == 403


def test_unlinking(store, user):
    ivanov = user("ivanov")
    outcome = accounts.unlink_account(store, ivanov, DEMO_RESIDENT_ACCOUNTS[1].lower(), SEED_NOW)
    assert (outcome.status, outcome.body["status"], outcome.body["account"]["linked_at"]) == (200, "unlinked", None)
    assert linked(store, ivanov) == DEMO_RESIDENT_ACCOUNTS[:1]


def test_a_proof_is_parsed_after_the_attempt_limit(store, user):
    petrova = user("petrova")
    assert parse_link_proof({**PETROVA_PROOF, "number": f" {DEMO_PETROVA_ACCOUNT.number} "}) == LinkProof(
        H1_GUID, "number", DEMO_PETROVA_ACCOUNT.number, "Петрова")
    with pytest.raises(InvalidInput):
        accounts.link_account(store, petrova, {**PETROVA_PROOF, "house": "Ленина 5"}, SEED_NOW)
    for _ in range(5):
        with pytest.raises(ApiError):
            accounts.link_account(store, petrova, {**PETROVA_PROOF, "payer": "Сидорова"}, SEED_NOW)
    with pytest.raises(ApiError) as locked:
        accounts.link_account(store, petrova, {"house": H1_GUID, "number": "1"}, SEED_NOW)
    assert locked.value.error_code == "too_many_attempts"
    with pytest.raises(ValueError):
        LinkProof(H1_GUID, "payer", "x", "Петрова")


def test_a_repeat_under_the_same_key_is_replayed(store, user):
    petrova, keyed = user("petrova"), Mutation(key="link-34", request_hash="the same request")
    first = accounts.link_account(store, petrova, PETROVA_PROOF, SEED_NOW, keyed)
    again = accounts.link_account(store, petrova, PETROVA_PROOF, SEED_NOW, keyed)
    assert (again.status, again.body, again.replayed) == (201, first.body, True)
