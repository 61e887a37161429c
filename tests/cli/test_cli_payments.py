"""gkh pay, payment and wallet through the command line, in-process on the embedded demo portal (local://, always
SQLite) — the wallet across two bills, an advance, a decline, not enough in the wallet, the quote and the
confirmation, the receipt, the key kept across runs — and over HTTP for the card page the user confirms.

The demo world (tests/helpers/demo.py, the clock at 2026-11-20 12:00 +03:00): ivanov's 77ЕЖ532838 (ООО «УК
Ленинский квартал», card 0.8 %) owes 77ЕЖ532838-01-2609 (3942.99) and -2610 (8238.80); 77ИВ845392 (АО
«СтоличЭнергоСбыт», card 1.0 %) owes its latest; his wallet holds 8300.00, enough for one bill, not both; the
test acquirer declines 13.13."""

from __future__ import annotations

import email
import email.policy
import json
import os
import stat
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from gkh.commands import pay as pay_command
from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS
from tests.helpers.cli import gkh, gkh_json, login

MANAGED, SUPPLIED = DEMO_RESIDENT_ACCOUNTS  # 77ЕЖ532838, 77ИВ845392
OLDER, NEWER = f"{MANAGED}-01-2609", f"{MANAGED}-01-2610"
OLDER_DUE, NEWER_DUE = Decimal("3942.99"), Decimal("8238.80")
WALLET = Decimal("8300.00")
# A payment's JSON, as the contract names its fields.
FIELDS = {"id", "kind", "account", "bills", "advance", "payee", "amount", "commission", "total", "method", "status",
          "decline_reason", "created_at", "completed_at", "expires_at", "confirmation_url", "email", "receipt",
          "warnings"}


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr(pay_command, "POLL_SECONDS", 0.05)


def balance() -> Decimal:
    return Decimal(gkh_json("wallet", "show")["balance"])


def due(account: str) -> dict[str, Decimal]:
    return {b["id"]: Decimal(b["due"]) for b in gkh_json("bill", "list", "--account", account, "--unpaid")}


def payments() -> list[dict]:
    return gkh_json("payment", "list")


def kept(state) -> dict:
    path = state / "payments.json"
    return json.loads(path.read_text())["attempts"] if path.exists() else {}


@pytest.fixture
def state(home, tmp_path):
    return tmp_path / "state"  # the test's own state folder (tests/conftest.py's `home` sets GKH_STATE_DIR)


# --- by wallet ----------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_top_up_then_one_wallet_payment_covers_both_unpaid_bills_oldest_first(home):
    topped = gkh("wallet", "top-up", "--amount", "5000", "--yes", "--json")
    assert topped.exit_code == 0, topped.stderr
    top_up = json.loads(topped.stdout)
    assert (top_up["kind"], top_up["method"], top_up["status"], top_up["commission"]) == (
        "top_up", "card", "succeeded", "0.00")
    assert "confirmed" in topped.stderr  # the embedded portal's card page, confirmed by gkh itself, said so
    assert balance() == WALLET + 5000

    paid = gkh("pay", MANAGED, "--method", "wallet", "--yes", "--json")
    assert paid.exit_code == 0, paid.stderr
    payment = json.loads(paid.stdout)
    assert set(payment) == FIELDS
    assert [(b["id"], b["period"], b["amount"]) for b in payment["bills"]] == [
        (OLDER, "2026-09", "3942.99"), (NEWER, "2026-10", "8238.80")]
    assert (payment["amount"], payment["commission"], payment["total"], payment["advance"]) == (
        "12181.79", "0.00", "12181.79", "0.00")
    assert payment["payee"]["id"] == "ORG-0001" and payment["receipt"]["number"].startswith("R-")
    assert due(MANAGED) == {}
    assert balance() == WALLET + 5000 - OLDER_DUE - NEWER_DUE


@pytest.mark.sqlite_only
def test_more_than_owed_is_an_advance_with_a_warning_on_stderr_even_off_a_terminal(home):
    owed = due(SUPPLIED)
    paid = gkh("pay", SUPPLIED, "--amount", "3000,00", "--method", "wallet", "--yes")
    assert paid.exit_code == 0, paid.stderr
    assert paid.stdout == "" and "gkh: paid" not in paid.stderr  # off a terminal, quiet unless -o
    advance = Decimal("3000.00") - sum(owed.values())
    assert f"warning: {advance} more than owed: an advance on account {SUPPLIED}" in paid.stderr
    [payment] = payments()
    assert Decimal(payment["advance"]) == advance and due(SUPPLIED) == {}
    assert balance() == WALLET - Decimal("3000.00")


@pytest.mark.sqlite_only
def test_not_enough_in_the_wallet_is_exit_5_with_the_balance_and_nothing_charged(home, state):
    refused = gkh("pay", MANAGED, "--method", "wallet", "--yes")
    assert refused.exit_code == 5, refused.stderr
    assert "8300.00" in refused.stderr and refused.stdout == ""
    assert payments() == [] and balance() == WALLET and due(MANAGED) == {OLDER: OLDER_DUE, NEWER: NEWER_DUE}
    assert kept(state) == {}


@pytest.mark.sqlite_only
def test_one_bill_by_wallet_with_its_receipt_in_the_outbox(home):
    paid = gkh("pay", MANAGED, "--bill", NEWER.replace("-", ""), "--method", "wallet", "--yes", "-o", "json")
    assert paid.exit_code == 0, paid.stderr
    payment = json.loads(paid.stdout)
    assert [b["id"] for b in payment["bills"]] == [NEWER] and payment["amount"] == "8238.80"
    assert payment["receipt"]["delivery"] == "outbox" and payment["receipt"]["emailed_to"] == "ivanov@example.com"
    assert due(MANAGED) == {OLDER: OLDER_DUE}
    assert list((home / "outbox").glob("*.eml"))  # a copy a person can open


# --- by card, on the embedded portal --------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_the_card_is_the_default_with_its_commission_and_the_demo_page_confirmed_by_gkh(home):
    paid = gkh("pay", MANAGED, "--yes", "--json")
    assert paid.exit_code == 0, paid.stderr
    payment = json.loads(paid.stdout)
    assert (payment["method"], payment["status"], payment["commission"], payment["total"]) == (
        "card", "succeeded", "97.45", "12279.24")  # 0.8 % of 12181.79, half-up
    assert "gkh confirmed P-000001 on its card page itself" in paid.stderr
    assert due(MANAGED) == {} and balance() == WALLET


@pytest.mark.sqlite_only
def test_the_demo_acquirers_decline_amount_is_exit_5_naming_the_reason_and_nothing_is_paid(home, state):
    declined = gkh("pay", MANAGED, "--amount", "13.13", "--yes")
    assert declined.exit_code == 5
    assert "gkh: payment P-000001 was declined: declined by the bank" in declined.stderr
    [payment] = payments()
    assert (payment["status"], payment["decline_reason"], payment["receipt"]) == ("declined", "declined_by_bank", None)
    assert due(MANAGED) == {OLDER: OLDER_DUE, NEWER: NEWER_DUE}
    assert kept(state) == {}  # a definitive answer: the key is not kept


# --- the quote and the confirmation --------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_dry_run_prints_the_quote_as_data_and_stores_nothing(home, state):
    quoted = gkh("pay", MANAGED, "--dry-run", "--json")
    assert quoted.exit_code == 0, quoted.stderr
    quote = json.loads(quoted.stdout)
    assert (quote["status"], quote["dry_run"], quote["id"], quote["receipt"]) == ("quote", True, None, None)
    assert (quote["amount"], quote["commission"], quote["total"]) == ("12181.79", "97.45", "12279.24")
    assert quote["payee"]["name"] == "ООО «УК Ленинский квартал»" and quote["payee"]["inn"]
    assert "charged nothing" in quoted.stderr
    assert payments() == [] and due(MANAGED) == {OLDER: OLDER_DUE, NEWER: NEWER_DUE}
    assert not (state / "payments.json").exists()
    tsv = gkh("pay", MANAGED, "--dry-run")  # off a terminal: the quote still printed, as a row
    assert tsv.exit_code == 0 and "\tquote\t" in tsv.stdout


@pytest.mark.sqlite_only
@pytest.mark.parametrize("how", [[], ["--no-input"]])
def test_off_a_terminal_without_yes_is_exit_2_and_nothing_is_charged(home, how):
    result = gkh(*how, "pay", MANAGED, "--method", "wallet", tty=bool(how))
    assert result.exit_code == 2
    assert "--yes" in result.stderr and "nothing was charged" in result.stderr
    assert payments() == [] and balance() == WALLET


@pytest.mark.sqlite_only
def test_at_a_terminal_the_quote_is_shown_and_no_charges_nothing(home, state):
    result = gkh("pay", MANAGED, "--bill", OLDER, "--method", "wallet", tty=True, input="n\n")
    assert result.exit_code == 1
    for shown in ("Payee:", "ООО «УК Ленинский квартал»", "Payee INN:", f"Account:     {MANAGED}", OLDER, "2026-09",
                  "Advance:", "Commission:  0.00", "Method:      wallet", "Total:       3942.99",
                  "Pay 3942.99 by wallet? [y/N]:", "cancelled"):
        assert shown in result.stderr, shown
    assert result.stdout == ""
    assert payments() == [] and balance() == WALLET and kept(state) == {}


@pytest.mark.sqlite_only
def test_at_a_terminal_an_advance_is_warned_of_before_the_question(home):
    result = gkh("pay", SUPPLIED, "--amount", "3000", "--method", "wallet", tty=True, input="n\n")
    assert result.exit_code == 1
    assert result.stderr.index("more than owed: an advance") < result.stderr.index("Pay 3000.00 by wallet?")
    assert payments() == []


@pytest.mark.sqlite_only
def test_at_a_terminal_yes_charges_once_and_shows_the_payment(home):
    result = gkh("pay", MANAGED, "--bill", OLDER, "--method", "wallet", tty=True, input="y\n")
    assert result.exit_code == 0, result.stderr
    assert "Status:" in result.stdout and "succeeded" in result.stdout and "ID:" in result.stdout
    assert "gkh: paid 3942.99: P-000001" in result.stderr
    assert len(payments()) == 1 and balance() == WALLET - OLDER_DUE


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("args", "says"), [
    (["--amount", "0"], "--amount must be more than 0"),
    (["--amount", "1000000.01"], "--amount must be at most"),
    (["--amount", "12.345"], "--amount"),
    (["--bill", "77ЕЖ"], "--bill"),
    (["--method", "cash"], "'cash' is not one of wallet, card"),
    (["--email", "not-an-address"], "--email must be an e-mail address"),
])
def test_a_malformed_argument_is_exit_2_before_any_request(home, args, says):
    result = gkh("pay", MANAGED, *args, "--yes")
    assert result.exit_code == 2 and says in result.stderr, result.stderr
    assert payments() == []


@pytest.mark.sqlite_only
def test_an_account_not_among_yours_and_nothing_due(home):
    other = gkh("pay", "77ЖЖ000000", "--yes")
    assert other.exit_code == 1 and "account" in other.stderr
    assert gkh("pay", MANAGED, "--method", "wallet", "--bill", NEWER, "--yes").exit_code == 0
    again = gkh("pay", MANAGED, "--method", "wallet", "--bill", NEWER, "--yes")
    assert again.exit_code == 5, again.stderr  # nothing due on it any more


# --- payment list, show, wait; the receipt ---------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_payment_list_show_and_wait(home):
    assert gkh("pay", MANAGED, "--bill", OLDER, "--method", "wallet", "--yes").exit_code == 0
    assert gkh("pay", SUPPLIED, "--amount", "13.13", "--yes").exit_code == 5
    listed = payments()
    assert [(p["id"], p["status"]) for p in listed] == [("P-000002", "declined"), ("P-000001", "succeeded")]
    assert all(set(p) == FIELDS for p in listed)
    assert [p["id"] for p in gkh_json("payment", "list", "--status", "succeeded")] == ["P-000001"]
    assert [p["id"] for p in gkh_json("payment", "list", "--account", SUPPLIED)] == ["P-000002"]
    assert len(gkh_json("payment", "list", "--limit", "1")) == 1
    assert gkh("payment", "list", "--status", "lost").exit_code == 2

    shown = gkh("payment", "show", "p-1", tty=True)  # any case, the zeros left out
    assert shown.exit_code == 0 and "P-000001" in shown.stdout and "Receipt:" in shown.stdout
    waited = gkh("payment", "wait", "P-000001", "--json")
    assert waited.exit_code == 0 and json.loads(waited.stdout)["status"] == "succeeded"
    declined = gkh("payment", "wait", "P-000002")
    assert declined.exit_code == 5 and "declined by the bank" in declined.stderr

    missing = gkh("payment", "show", "P-000099")
    assert missing.exit_code == 1 and "run: gkh --profile local payment list" in missing.stderr
    assert gkh("payment", "show", "nonsense").exit_code == 2


@pytest.mark.sqlite_only
def test_the_receipt_saved_to_a_file_is_an_email_a_program_can_read(home, tmp_path):
    assert gkh("pay", MANAGED, "--bill", OLDER, "--method", "wallet", "--yes").exit_code == 0
    target = tmp_path / "receipt.eml"
    saved = gkh("payment", "show", "P-000001", "--receipt", str(target))
    assert saved.exit_code == 0, saved.stderr
    message = email.message_from_bytes(target.read_bytes(), policy=email.policy.default)
    assert message["To"] == "ivanov@example.com" and message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Итого: 3\u202f942,99\u00a0₽" in body  # as Russian readers write a sum
    assert OLDER in body and "P-000001" in body
    piped = gkh("payment", "show", "P-000001", "--receipt", "-")
    assert piped.exit_code == 0 and piped.stdout_bytes == target.read_bytes()
    declined = gkh("pay", SUPPLIED, "--amount", "13.13", "--yes")
    assert declined.exit_code == 5
    none = gkh("payment", "show", "P-000002", "--receipt", str(tmp_path / "none.eml"))
    assert none.exit_code == 1 and "receipt" in none.stderr and not (tmp_path / "none.eml").exists()


# --- the wallet -------------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_wallet_show_and_a_top_ups_dry_run(home, state):
    wallet = gkh_json("wallet", "show")
    assert (wallet["balance"], wallet["operator"]) == ("8300.00", "Виртуальный мир")
    assert set(wallet) == {"balance", "operator", "updated_at"}
    quote = gkh_json("wallet", "top-up", "--amount", "500", "--dry-run")
    assert (quote["status"], quote["kind"], quote["amount"], quote["payee"]) == ("quote", "top_up", "500.00", None)
    assert balance() == WALLET and payments() == [] and not (state / "payments.json").exists()
    assert gkh("wallet", "top-up", "--amount", "500").exit_code == 2  # off a terminal: --yes
    shown = gkh("wallet", "show", tty=True)
    assert "Balance:" in shown.stdout and "8300.00" in shown.stdout


# --- exactly once, across runs -------------------------------------------------------------------------------------


@pytest.fixture
def answers_lost(home):
    """The embedded portal does every charge, but its answer to a (non-dry-run) POST /payments never arrives,
    until the test calls `undo()` on what this gives."""
    from gkh.client.transport import LocalTransport

    send = LocalTransport.send

    def losing(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        if request.method == "POST" and "/api/v1/payments" in request.url and "dry_run" not in request.url:
            raise requests.exceptions.ConnectionError("the answer was lost on the way back")
        return response

    lost = pytest.MonkeyPatch()  # its own: undoing it leaves the test's home and state alone
    lost.setattr(LocalTransport, "send", losing)
    lost.setenv("GKH_BACKOFF", "0")
    yield lost
    lost.undo()


@pytest.mark.sqlite_only
def test_an_unknown_outcome_is_exit_6_and_the_same_command_again_pays_exactly_once(home, state, answers_lost):
    command = ["pay", MANAGED, "--bill", OLDER, "--method", "wallet", "--yes"]
    first = gkh(*command)
    assert first.exit_code == 6, first.stderr
    assert "re-running the same command within 24 hours will not charge twice" in first.stderr
    [entry] = kept(state).values()
    assert entry["body"] == {"account": MANAGED, "method": "wallet", "amount": "3942.99", "bill": OLDER}
    assert stat.S_IMODE(os.stat(state / "payments.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700

    answers_lost.undo()  # the network is back
    second = gkh(*command)
    assert second.exit_code == 0, second.stderr
    assert "gkh: resuming the payment attempt of 12:00: the portal will not charge twice" in second.stderr
    assert len(payments()) == 1  # the portal charged once, on the first run
    assert balance() == WALLET - OLDER_DUE  # one debit
    assert due(MANAGED) == {NEWER: NEWER_DUE}
    assert kept(state) == {}
    third = gkh(*command)  # a definitive answer was had: a new run is a new payment (nothing is due on it now)
    assert third.exit_code == 5 and "resuming" not in third.stderr


@pytest.mark.sqlite_only
def test_an_unknown_outcome_of_what_is_due_resumes_though_nothing_is_due_any_more(home, state, answers_lost):
    assert gkh("pay", SUPPLIED, "--method", "wallet", "--yes").exit_code == 6
    answers_lost.undo()
    again = gkh("pay", SUPPLIED, "--method", "wallet", "--yes")  # the quote says nothing is due now: resent as kept
    assert again.exit_code == 0, again.stderr
    assert "resuming" in again.stderr and len(payments()) == 1 and due(SUPPLIED) == {}


@pytest.mark.sqlite_only
def test_at_a_terminal_a_kept_attempt_that_no_longer_matches_the_quote_is_asked_about(home, state, answers_lost):
    assert gkh("pay", MANAGED, "--method", "wallet", "--bill", NEWER, "--yes").exit_code == 6
    answers_lost.undo()
    again = gkh("pay", MANAGED, "--method", "wallet", "--bill", NEWER, tty=True, input="y\n")
    assert again.exit_code == 0, again.stderr
    assert "Send the payment attempt of 12:00 again (8238.80 by wallet)? [y/N]" in again.stderr
    assert len(payments()) == 1 and balance() == WALLET - NEWER_DUE


@pytest.mark.sqlite_only
def test_a_kept_attempt_is_another_commands_only_if_everything_matches_and_lives_24_hours(home, state,
                                                                                          answers_lost):
    assert gkh("pay", MANAGED, "--amount", "100", "--method", "wallet", "--yes").exit_code == 6
    answers_lost.undo()
    other = gkh("pay", MANAGED, "--amount", "100", "--method", "card", "--yes")  # another method: another payment
    assert other.exit_code == 0 and "resuming" not in other.stderr
    assert len(kept(state)) == 1  # the wallet attempt is still kept

    later = datetime.fromisoformat("2026-11-20T12:00:00+03:00") + timedelta(hours=24, minutes=1)
    attempts = pay_command.KeptAttempts(later, pay_command.KEPT_FILE)
    assert attempts.get(next(iter(kept(state)))) is None  # too old: dropped
    attempts.forget("nothing")
    assert kept(state) == {}


def test_the_state_folder_follows_gkh_state_dir_then_xdg(monkeypatch, tmp_path):
    from pathlib import Path

    from gkh.paths import state_home

    monkeypatch.setenv("GKH_STATE_DIR", str(tmp_path / "mine"))
    assert state_home() == tmp_path / "mine"
    monkeypatch.delenv("GKH_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_home() == tmp_path / "xdg" / "gkh"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_home() == Path(tmp_path) / ".local" / "state" / "gkh"


# --- over HTTP: the card page confirmed by the user -----------------------------------------------------------------


@pytest.fixture
def remote(http_portal, home):
    """A profile `remote` signed in as ivanov to the portal served over HTTP."""
    assert gkh("--profile", "remote", "config", "set", "url", http_portal).exit_code == 0
    login("remote", "ivanov")
    return http_portal


def test_over_http_pay_is_pending_at_its_timeout_with_the_url_and_wait_picks_up_the_confirmation(remote):
    pending = gkh("--profile", "remote", "pay", MANAGED, "--yes", "--timeout", "1")
    assert pending.exit_code == 7, pending.stderr
    url = next(word for word in pending.stderr.split() if "/acquirer/" in word)
    assert url.startswith(remote + "/acquirer/")
    assert "gkh --profile remote payment wait P-000001" in pending.stderr
    assert "\r" not in pending.stderr  # no spinner off a terminal
    [payment] = gkh_json("--profile", "remote", "payment", "list")
    assert payment["status"] == "pending" and payment["confirmation_url"] == url

    def interrupted(seconds):
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as ctrl_c:
        ctrl_c.setattr(pay_command, "sleep", interrupted)
        stopped = gkh("--profile", "remote", "payment", "wait", "P-000001")
    assert stopped.exit_code == 130
    assert "may still be pending (run: gkh --profile remote payment wait P-000001)" in stopped.stderr

    page = requests.post(url, data={"action": "pay"}, timeout=10)
    assert page.status_code == 200
    waited = gkh("--profile", "remote", "payment", "wait", "P-000001", "--timeout", "5", "--json")
    assert waited.exit_code == 0, waited.stderr
    assert json.loads(waited.stdout)["status"] == "succeeded"
    assert gkh_json("--profile", "remote", "bill", "list", "--account", MANAGED, "--unpaid") == []


def test_over_http_a_cancelled_page_is_exit_5_for_wait(remote):
    pending = gkh("--profile", "remote", "wallet", "top-up", "--amount", "500", "--yes", "--timeout", "1")
    assert pending.exit_code == 7, pending.stderr
    url = next(word for word in pending.stderr.split() if "/acquirer/" in word)
    assert requests.post(url, data={"action": "cancel"}, timeout=10).status_code == 200
    waited = gkh("--profile", "remote", "payment", "wait", "P-000001")
    assert waited.exit_code == 5 and "cancelled" in waited.stderr
    assert gkh_json("--profile", "remote", "wallet", "show")["balance"] == "8300.00"


def test_over_http_at_a_terminal_the_page_is_offered_to_the_browser(remote, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    result = gkh("--profile", "remote", "pay", SUPPLIED, "--timeout", "1", tty=True, input="y\ny\n")
    assert result.exit_code == 7, result.stderr
    assert "Open it in the browser? [y/N]" in result.stderr
    assert len(opened) == 1 and "/acquirer/" in opened[0]
    assert "waiting for the card payment's outcome" in result.stderr  # the spinner, on a terminal



def test_payments_of_one_profile_take_turns(home, state):
    """A `gkh pay` started while another of the same profile is paying (two overlapping cron jobs) waits for it
    to finish before it asks what is due, instead of paying the same bills again under a key of its own."""
    import fcntl
    import subprocess
    import sys
    import time
    from pathlib import Path

    assert gkh("pay", SUPPLIED, "--amount", "1", "--method", "wallet", "--yes").exit_code == 0
    (lock,) = state.glob("paying-*.lock")  # the turn this profile's payments on this portal take
    command = [str(Path(sys.executable).with_name("gkh")), "pay", SUPPLIED, "--method", "wallet", "--yes"]
    with open(lock, "r+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another payment of this profile is under way
        waiting = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert waiting.poll() is None, waiting.communicate()
        assert len(payments()) == 1  # nothing asked of the portal, let alone charged
    assert waiting.wait(timeout=60) == 0, waiting.communicate()
    assert len(payments()) == 2 and due(SUPPLIED) == {}
