"""The card's confirmation page in a real browser: headless Chromium (Debian's chromium and chromedriver, driven by
Selenium) opens the URL `gkh pay` printed, the amounts are checked as a person reads them, a button is clicked, and
`gkh payment wait` reports the outcome. The installed `gkh` against a `gkh server run` subprocess on a copy of the
demo portal.

Skipped when chromium or chromedriver is missing, unless CI is set: under CI a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]  # the page, not the engine, is under test here

GKH = str(Path(sys.executable).with_name("gkh"))
UK_ELS = "77ЕЖ532838"  # ivanov's: two unpaid bills, 3942.99 + 8238.80, to ООО «УК Ленинский квартал» at 0.8 %
CONFIRMATION_URL = re.compile(r"http://127\.0\.0\.1:[0-9]+/acquirer/[A-Za-z0-9_-]{43}")
PAYMENT_ID = re.compile(r"\bP-[0-9]{6}\b")


def browser_paths() -> tuple[str, str]:
    """Chromium's and chromedriver's paths; a skip when either is missing (a failure under CI)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    missing = [p for p in (chromium, driver) if not os.access(p, os.X_OK)]
    if missing:
        reason = f"no headless browser: {', '.join(missing)} missing (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").strip() not in ("", "0"):
            pytest.fail(f"{reason}; CI is set, so the browser test must run", pytrace=False)
        pytest.skip(reason)
    return chromium, driver


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Headless Chromium through chromedriver, both by their paths (Selenium Manager never downloads anything), in
    a fresh profile folder."""
    chromium, driver_path = browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager, should it run at all, stays off the network
    monkeypatch.setenv("SE_AVOID_STATS", "true")
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--lang=ru", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def server(home, tmp_path):
    """`gkh server run --port 0` on the `home` copy of the demo portal; yields (its URL, its stderr's file)."""
    log = tmp_path / "server.log"
    with open(log, "w") as errors:
        proc = subprocess.Popen([GKH, "server", "run", "--port", "0"], stdout=subprocess.PIPE, stderr=errors,
                                text=True, env={k: v for k, v in os.environ.items() if not k.startswith("GKH_SMTP")})
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"gkh server run said {url!r}: {log.read_text()}"
    yield url, log
    proc.terminate()
    proc.wait(timeout=10)


def remote(*args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([GKH, "--profile", "remote", *args], input=input, capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy())


def card_payment(url: str) -> tuple[str, str]:
    """ivanov pays everything due on 77ЕЖ532838 by card with the installed gkh: still pending after its 1 s wait
    (exit 7), the confirmation URL on stderr. (payment id, confirmation URL)."""
    assert remote("config", "set", "url", url).returncode == 0
    login = remote("auth", "login", "--user", "ivanov", "--password-stdin", input="ivanov-demo-2026\n")
    assert login.returncode == 0, login.stderr
    paid = remote("pay", UK_ELS, "--method", "card", "--yes", "--timeout", "1")
    assert paid.returncode == 7, (paid.returncode, paid.stdout, paid.stderr)
    confirmation = CONFIRMATION_URL.search(paid.stderr)
    payment = PAYMENT_ID.search(paid.stderr) or PAYMENT_ID.search(paid.stdout)
    assert confirmation and payment, paid.stderr
    return payment.group(0), confirmation.group(0)


def shown(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return " ".join(driver.find_element(By.ID, element_id).text.split())  # any space as a person sees one


def outcome(driver) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    element = WebDriverWait(driver, 15).until(expected_conditions.presence_of_element_located((By.ID, "outcome")))
    return element.get_attribute("data-status")


def open_confirmation(driver, url: str) -> None:
    driver.get(url)
    assert driver.find_element("tag name", "html").get_attribute("lang") == "ru"
    assert shown(driver, "payee") == "ООО «УК Ленинский квартал»"
    assert shown(driver, "account") == UK_ELS
    assert shown(driver, "amount") == "12 181,79 ₽"  # both bills
    assert shown(driver, "commission") == "97,45 ₽"  # 0.8 %, half-up
    assert shown(driver, "total") == "12 279,24 ₽"


def test_paying_on_the_confirmation_page(server, browser, home):
    url, log = server
    assert f"receipts: outbox {home / 'outbox'}" in log.read_text()
    payment_id, confirmation = card_payment(url)
    open_confirmation(browser, confirmation)
    browser.find_element("id", "pay").click()
    assert outcome(browser) == "succeeded"
    assert "Оплата прошла" in browser.page_source
    waited = remote("payment", "wait", payment_id, "--timeout", "30", "--json")
    assert waited.returncode == 0, waited.stderr
    done = json.loads(waited.stdout)
    assert (done["id"], done["status"], done["total"]) == (payment_id, "succeeded", "12279.24")
    number = done["receipt"]["number"]
    assert done["receipt"]["delivery"] == "outbox" and (home / "outbox" / f"{number}.eml").exists()
    browser.get(confirmation)  # the page works once
    assert "уже проведён" in browser.page_source


def test_cancelling_on_the_confirmation_page(server, browser, home):
    url, _log = server
    payment_id, confirmation = card_payment(url)
    open_confirmation(browser, confirmation)
    browser.find_element("id", "cancel").click()
    assert outcome(browser) == "declined"
    assert "Платёж отменён" in browser.page_source
    waited = remote("payment", "wait", payment_id, "--timeout", "30")
    assert waited.returncode == 5, (waited.stdout, waited.stderr)
    shown_payment = json.loads(remote("payment", "show", payment_id, "--json").stdout)
    assert (shown_payment["status"], shown_payment["decline_reason"], shown_payment["receipt"]) == (
        "declined", "cancelled", None)
