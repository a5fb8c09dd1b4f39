"""The running console in headless Chromium (Debian's chromium + chromium-driver, driven by
selenium): the owner asks for the dashboard and sees a chart; staff order with a discount above
the auto-approval threshold; the owner approves it in another window and sees the order placed,
while the staff member's open window shows the resumed reply without a reload; a product photo
finds its product; a customer's WhatsApp message shows in the inbox, the owner takes the thread
over and answers, and the answer goes out through the outbox (the WhatsApp worker runs in the
test, the Graph API faked at the HTTP boundary). Screenshots go to test-artifacts/console/."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from domain import demo
from domain.models import OutboundState
from domain.pictures import encode, product_picture
from graph.runtime import Runtime, open_runtime
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from tests.api.conftest import cli_env
from tests.api.test_up import free_port
from tests.api.test_whatsapp_worker import deliver, drain, make_worker, outbound, sent_texts
from tests.api.whatsapp_support import connect_whatsapp, fake_graph, payload, whatsapp_settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
START_TIMEOUT_S = 90
WAIT_S = 60
TOTE_PICTURE = next(i for i, row in enumerate(demo.CATALOG) if row[1] == "Canvas Tote Bag")


@pytest.fixture
def demo_shop(app_engine, settings: Settings) -> str:
    """The demo shop under a fresh client id (products with pictures, orders, owner and staff)."""
    client_id = f"demo_{uuid.uuid4().hex[:8]}"
    with transaction(make_session_factory(app_engine)) as session:
        demo.seed(session, settings, client_id=client_id)
    return client_id


@pytest.fixture
def console_url(settings: Settings, tmp_path: Path, demo_shop: str) -> Iterator[str]:
    """`python -m chat_ui` against the test database, until the test ends."""
    port = free_port()
    env = cli_env(
        DATABASE_URL=str(settings.DATABASE_URL),
        REDIS_URL=str(settings.REDIS_URL),
        SECRET_KEY=settings.secret_key(),
        DATA_DIR=str(settings.DATA_DIR),
        CONSOLE_PORT=str(port),
    )
    log = (tmp_path / "console.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "chat_ui"], cwd=tmp_path, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "console.log").read_text()
            try:
                if httpx.get(f"{base}/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def whatsapp(app_engine, settings: Settings, demo_shop: str) -> Iterator[tuple[Runtime, str]]:
    """The demo shop on WhatsApp (a number and token), and a runtime for the worker run in the test."""
    number = connect_whatsapp(app_engine, settings, demo_shop)
    with open_runtime(whatsapp_settings(settings)) as runtime:
        runtime.whatsapp.sleep = lambda seconds: None
        yield runtime, number


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """Headless Debian Chromium (no browser download), with its own profile and cookies."""
    assert shutil.which(CHROMIUM), "apt-get install chromium chromium-driver"
    assert shutil.which(CHROMEDRIVER), "apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1800")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def second_browser() -> Iterator[WebDriver]:
    """Another person's browser: its own session cookie, so logging in there leaves the first alone."""
    with chromium() as driver:
        yield driver


class ConsolePage:
    """The console as a person uses it."""

    def __init__(self, driver: WebDriver, base: str) -> None:
        self.driver, self.base = driver, base

    def wait(self, timeout: float = WAIT_S) -> WebDriverWait:
        return WebDriverWait(self.driver, timeout)

    def until(self, condition: object, what: str, timeout: float = WAIT_S) -> object:
        """Wait for `condition`; on timeout, a screenshot named after `what` and a clear failure."""
        try:
            return self.wait(timeout).until(condition)
        except WebDriverException:
            shot = self.shot(f"failed-{what.replace(' ', '-')[:40]}")
            body = self.driver.find_element(By.TAG_NAME, "body").text[-1500:]
            raise AssertionError(f"never saw {what} (screenshot {shot}); the page ends with:\n{body}") from None

    def log_in(self, identifier: str, password: str) -> None:
        self.driver.delete_all_cookies()
        self.driver.get(f"{self.base}/login")
        email = self.until(ready.element_to_be_clickable((By.ID, "email")), "the login form")
        email.send_keys(identifier)
        self.driver.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
        self.until(lambda d: "/login" not in d.current_url, f"{identifier} logged in")
        self.until(ready.presence_of_element_located((By.ID, "chat-input")), f"the composer of {identifier}")

    def say(self, text: str) -> None:
        box = self.until(ready.presence_of_element_located((By.ID, "chat-input")), "the composer")
        self.driver.execute_script("arguments[0].scrollIntoView(); arguments[0].focus();", box)
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def command(self, name: str) -> None:
        """Run a composer command: `/name`, Enter picks it from the menu, Enter sends it."""
        box = self.until(ready.presence_of_element_located((By.ID, "chat-input")), "the composer")
        self.driver.execute_script("arguments[0].scrollIntoView(); arguments[0].focus();", box)
        box.send_keys(f"/{name}")
        self.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".command-item"), f"the /{name} command in the menu")
        box.send_keys(Keys.ENTER)
        self.until(lambda d: box.get_attribute("value") == "", f"the /{name} command picked")
        box.send_keys(Keys.ENTER)

    def sees(self, text: str, timeout: float = WAIT_S) -> None:
        self.until(lambda d: text in d.find_element(By.TAG_NAME, "body").text, repr(text), timeout)

    def button(self, label: str) -> WebElement:
        xpath = f"//button[normalize-space(.)='{label}']"
        return self.until(ready.element_to_be_clickable((By.XPATH, xpath)), f"the {label} button")

    def upload(self, path: Path) -> None:
        field = self.driver.find_element(By.ID, "upload-button-input")
        field.send_keys(str(path))
        self.until(ready.element_to_be_clickable((By.ID, "chat-submit")), "the send button").click()

    def shot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


def test_owner_and_staff_run_the_shop_in_the_console(
    browser: WebDriver,
    second_browser: WebDriver,
    console_url: str,
    demo_shop: str,
    whatsapp: tuple[Runtime, str],
    app_engine,
    tmp_path: Path,
) -> None:
    page = ConsolePage(browser, console_url)

    page.log_in(f"admin@{demo_shop}", "admin123")
    page.say("Show me today's dashboard")
    page.sees("Command center")
    page.until(lambda d: d.find_elements(By.XPATH, "//*[contains(normalize-space(.), 'get_dashboard')]"), "a tool step")
    page.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg"), "a Plotly chart")
    browser.execute_script("window.scrollTo(0, 0)")
    page.shot("dashboard")

    page.log_in(f"staff@{demo_shop}", "staff1234")
    page.say("I want to buy 2 linen summer shirts in M, 10% off")
    page.sees("Reply YES")
    page.say("yes")
    page.sees("I have asked the owner to approve this")
    page.shot("staff-waits-for-the-owner")

    staff, page = page, ConsolePage(second_browser, console_url)  # the owner, in a browser of their own
    page.log_in(f"admin@{demo_shop}", "admin123")
    page.sees("Approval needed")
    page.button("Approve").click()
    page.sees("Approved: order #")
    page.sees("placed")
    page.shot("owner-approved")
    staff.sees("The owner approved your request.")  # pushed to the staff's open window, no reload
    staff.shot("staff-sees-the-decision")

    photo = tmp_path / "tote.jpg"
    photo.write_bytes(encode(product_picture(TOTE_PICTURE, size=200).crop((15, 15, 185, 185)), "JPEG", quality=85))
    page.upload(photo)
    page.sees("Products that look like your photo:\nCanvas Tote Bag (")  # the best match first
    page.shot("photo-search")

    runtime, number = whatsapp
    deliver(runtime, payload("text", number))
    with fake_graph(number) as graph_api:
        drain(make_worker(runtime))  # the agent answers the customer first
        page.command("inbox")
        page.sees("Sheena Nelson: Does it come in another color?")
        page.button("Take over").click()
        page.sees("admin answers in person")
        page.button("Reply").click()
        page.sees("Your message to Sheena Nelson")
        page.say("Hello Sheena, it comes in navy too.")
        page.sees("Sent to Sheena Nelson on WhatsApp as the business")
        page.shot("inbox-reply")
        drain(make_worker(runtime))
        assert sent_texts(graph_api)[-1]["text"]["body"] == "Hello Sheena, it comes in navy too."
    last = outbound(app_engine, demo_shop)[-1]  # recorded in the outbox, then sent once
    assert (last.payload["text"]["body"], last.state) == ("Hello Sheena, it comes in navy too.", OutboundState.SENT)
