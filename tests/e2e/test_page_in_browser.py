"""The web page in a real browser (Debian's chromium), against the real gateway and broker, with a real device."""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from common.tokens import TOKEN_ALPHABET, generate_token
from tests.e2e.conftest import System, start_system
from tests.support.browser import chromium, console_errors, screenshot, set_viewport, wait
from tests.support.clients import Client
from tests.support.http import request
from tests.support.mosquitto import CONFIG_DIR, render_bridge_config
from tests.support.processes import start_gateway

# Where the screenshots go; `PAGE_SCREENSHOTS_DIR=docs make test` refreshes the ones the README shows.
SCREENSHOTS_ENV = "PAGE_SCREENSHOTS_DIR"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
FIELDS = ("host", "port", "token", "password", "prefix")
# Reads the LED at the centre of each cell of the 32x8 preview, row by row, as [r, g, b].
READ_MATRIX = """
const canvas = document.getElementById("preview"), context = canvas.getContext("2d"), cell = canvas.width / 32;
const leds = [];
for (let y = 0; y < 8; y++) for (let x = 0; x < 32; x++) {
  const [r, g, b] = context.getImageData(Math.floor((x + 0.5) * cell), Math.floor((y + 0.5) * cell), 1, 1).data;
  leds.push([r, g, b]);
}
return leds;
"""
# The test's clipboard: what the page copies lands in window.copiedTexts.
STUB_CLIPBOARD = """
window.copiedTexts = [];
Object.defineProperty(navigator, "clipboard", {configurable: true, value: {writeText: async (text) => {
  window.copiedTexts.push(text);
}}});
"""


@dataclass
class Page:
    """The relay's page in the browser, with the steps a person takes on it."""

    driver: WebDriver
    base: str

    def open(self, path: str = "/", forget: bool = True) -> None:
        """Load the page and wait until its script has run; forget any stored token first (a fresh visitor)."""
        self.driver.get(self.base + path)
        if forget:
            self.driver.execute_script("localStorage.clear()")
            self.driver.get(self.base + path)
        wait(self.driver).until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
        self.driver.execute_script(STUB_CLIPBOARD)

    def element(self, selector: str) -> WebElement:
        """The element matching a CSS selector."""
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def make_token(self) -> str:
        """Press "Make a new token" and return the token the page shows."""
        self.element("#token-generate").click()
        wait(self.driver).until(lambda d: self.element("#token-have").is_displayed())
        return self.element("#token-value").text

    def copy(self, button: WebElement) -> str:
        """Press a copy button and return what reached the clipboard."""
        count = self.driver.execute_script("return window.copiedTexts.length")
        button.click()
        wait(self.driver).until(lambda d: d.execute_script("return window.copiedTexts.length") > count)
        return self.driver.execute_script("return window.copiedTexts.at(-1)")

    def copied_settings(self, panel: str) -> dict[str, str]:
        """Copy every value of a firmware's settings with its button; return them by field."""
        copied = {}
        for value in self.driver.find_elements(By.CSS_SELECTOR, f"{panel} .value"):
            field = value.find_element(By.CSS_SELECTOR, "code").get_attribute("data-field")
            copied[field] = self.copy(value.find_element(By.CSS_SELECTOR, "button.copy"))
        return copied

    def fill_test(self, text: str, color: str = "#00c0ff", icon: str = "", duration: str = "8") -> None:
        """Type a test message into the form."""
        for selector, value in (("#test-text", text), ("#test-icon", icon), ("#test-duration", duration)):
            field = self.element(selector)
            field.clear()
            if value:
                field.send_keys(value)
        # A colour input has no keyboard text entry to type into; set it as the picker would.
        self.driver.execute_script(
            "const c = document.getElementById('test-color'); c.value = arguments[0];"
            "c.dispatchEvent(new Event('input', {bubbles: true}));",
            color,
        )

    def send_test(self) -> str:
        """Press "Send to my clock" and return the outcome the page shows once the relay has answered."""
        self.element("#test-send").click()
        outcome = 'return document.getElementById("test-answer").dataset.outcome'
        wait(self.driver).until(lambda d: d.execute_script(outcome) not in (None, "", "sending"))
        return self.driver.execute_script(outcome)

    def matrix(self) -> list[list[int]]:
        """The preview's 256 LEDs as [r, g, b]."""
        return self.driver.execute_script(READ_MATRIX)

    def loaded_urls(self) -> list[str]:
        """Every URL the page has loaded, itself included."""
        return self.driver.execute_script(
            "return [location.href, ...performance.getEntriesByType('resource').map((entry) => entry.name)]"
        )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The embedded broker and a gateway, as `make run` starts them, for the whole module."""
    with ExitStack() as stack:
        yield start_system(stack, "embedded", tmp_path_factory, workers=2)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless chromium for the module, with a fresh profile."""
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        set_viewport(driver, *SIZES["desktop"])
        yield driver


@pytest.fixture
def page(browser: WebDriver, system: System) -> Iterator[Page]:
    """The page, freshly opened; the test fails on any console error (a blocked script or style is one)."""
    console_errors(browser)  # drop what earlier tests left
    page = Page(browser, f"http://127.0.0.1:{system.http_port}")
    page.open()
    yield page
    # Chromium logs every refused fetch; the webhook's own refusals are answers the page shows.
    assert [error for error in console_errors(browser) if "/cloud?mode=notify - Failed to load resource" not in error] == []


@pytest.fixture
def devices() -> Iterator[list[Client]]:
    """Clients a test connects with the page's values; closed afterwards."""
    opened: list[Client] = []
    yield opened
    for client in opened:
        client.close()


def connect_device(devices: list[Client], settings: dict[str, str]) -> Client:
    """Connect an MQTT client with exactly the values the page gave, subscribed as an AWTRIX 3 clock is."""
    device = Client(int(settings["port"]), settings["token"], settings["password"], host=settings["host"])
    devices.append(device)
    connack = device.connect()
    assert connack is not None and connack.reason_code == 0
    assert device.subscribe(f"{settings['prefix']}/notify") == [0]
    return device


def test_page_token_to_first_message_with_the_copied_settings(page: Page, system: System, devices: list[Client]) -> None:
    token = page.make_token()
    assert len(token) == 24 and set(token) <= set(TOKEN_ALPHABET)
    settings = page.copied_settings("#setup-awtrix3")
    assert settings == {"host": "127.0.0.1", "port": str(system.relay.device_port), "token": token,
                        "password": settings["password"], "prefix": f"awtrix/{token}"}  # fmt: skip
    assert settings["password"]
    device = connect_device(devices, settings)
    page.fill_test("Hello from a browser", color="#ff8800", icon="36", duration="5")
    assert page.send_test() == "delivered"
    message = device.next_message()
    assert message.topic == f"awtrix/{token}/notify"
    assert json.loads(message.payload) == {"text": "Hello from a browser", "icon": "36", "color": "#FF8800", "duration": 5}
    assert "Delivered" in page.element("#test-answer-text").text
    assert '"delivered":true' in page.element("#test-answer-raw").text
    assert not any(token in url for url in page.loaded_urls())
    system.gateway.wait_for(r"POST /cloud 200")
    assert token not in system.logs()


def test_page_says_not_delivered_when_no_clock_has_the_token(page: Page) -> None:
    page.make_token()
    assert page.send_test() == "not-delivered"
    assert "no clock with this token is connected" in page.element("#test-answer-text").text


def test_page_shows_the_error_envelope_when_the_relay_refuses(page: Page) -> None:
    page.make_token()
    page.fill_test("x" * 200, duration="")
    page.driver.execute_script("document.getElementById('test-text').value = 'x'.repeat(9000)")
    assert page.send_test() == "refused"
    assert "body_too_large" in page.element("#test-answer-text").text


def test_page_ng_and_bridge_panels_give_the_same_settings(page: Page) -> None:
    token = page.make_token()
    page.element('input[value="ng"]').click()
    assert page.element("#setup-ng").is_displayed() and not page.element("#setup-awtrix3").is_displayed()
    ng = page.copied_settings("#setup-ng")
    page.element('input[value="awtrix3"]').click()
    assert ng == page.copied_settings("#setup-awtrix3")
    page.element('input[value="bridge"]').click()
    page.element("#bridge-prefix").send_keys("awtrix_1a2b3c")
    shown = page.copy(page.element("#setup-bridge button.copy"))
    suffix = re.search(r"^remote_clientid awtrix-bridge-(\w+)$", shown, re.MULTILINE).group(1)  # type: ignore[union-attr]
    host, port = ng["host"], int(ng["port"])
    shipped = render_bridge_config((CONFIG_DIR / "bridge.conf.example").read_text(), host, port, token, "awtrix_1a2b3c", suffix)
    assert settings_lines(shown) == settings_lines(shipped)


def settings_lines(config: str) -> list[str]:
    """A Mosquitto configuration without its comments and blank lines."""
    return [line for line in config.splitlines() if line.strip() and not line.startswith("#")]


def test_page_pasted_token_is_checked_kept_across_visits_and_forgotten(page: Page) -> None:
    page.element("#token-paste").send_keys("not a token")
    page.element("#token-paste-form button").click()
    problem = page.element("#token-problem")
    assert problem.is_displayed() and "letters, digits" in problem.text
    assert page.element("#token-paste").get_attribute("aria-invalid") == "true"
    token = generate_token(20)
    page.element("#token-paste").clear()
    page.element("#token-paste").send_keys(token, Keys.ENTER)
    wait(page.driver).until(lambda d: page.element("#token-value").text == token)
    page.open(forget=False)
    assert page.element("#token-value").text == token
    page.element("#token-forget").click()
    assert page.element("#token-generate").is_displayed()
    assert page.driver.execute_script("return localStorage.length") == 0
    page.open(forget=False)
    assert page.element("#token-generate").is_displayed()


def test_page_warns_when_the_prefix_is_too_long_for_awtrix_3(page: Page) -> None:
    page.element("#token-paste").send_keys(generate_token(30), Keys.ENTER)
    assert page.element("#token-long").is_displayed()


def lit(leds: list[list[int]], columns: range) -> list[tuple[int, int, int]]:
    """The colours of the lit LEDs in some columns (an unlit LED is near black)."""
    return [tuple(leds[y * 32 + x]) for y in range(8) for x in columns if sum(leds[y * 32 + x]) > 120]  # type: ignore[misc]


def test_page_preview_draws_the_text_centred_in_its_colour(page: Page) -> None:
    page.fill_test("HI", color="#ff0000")
    leds = page.matrix()
    assert set(lit(leds, range(32))) == {(255, 0, 0)}
    assert lit(leds, range(12)) == [] and lit(leds, range(20, 32)) == []  # "HI" is 7 columns wide, in the middle
    assert page.element("#preview").get_attribute("data-scrolling") == "false"


def test_page_preview_keeps_an_icon_slot_when_an_icon_is_named(page: Page) -> None:
    page.fill_test("HI", color="#00ff00")
    assert lit(page.matrix(), range(8)) == []
    page.fill_test("HI", color="#00ff00", icon="36")
    assert len(lit(page.matrix(), range(8))) >= 28  # the slot's frame and its mark
    assert "after an icon" in page.element("#preview").get_attribute("aria-label")


def test_page_preview_scrolls_a_text_longer_than_the_matrix(page: Page) -> None:
    page.fill_test("A message far too long for thirty-two columns")
    assert page.element("#preview").get_attribute("data-scrolling") == "true"
    first = page.matrix()
    wait(page.driver).until(lambda d: page.matrix() != first)


def test_page_ready_made_setups_work_as_pasted(page: Page, system: System, devices: list[Client]) -> None:
    token = page.make_token()
    device = connect_device(devices, page.copied_settings("#setup-awtrix3"))
    page.fill_test("It's pasted", color="#112233")
    expected = {"text": "It's pasted", "color": "#112233", "duration": 8}
    # curl, exactly as shown (the quote in the text included)
    subprocess.run(["bash", "-c", page.element("#curl").text], check=True, capture_output=True, timeout=10)
    assert json.loads(device.next_message().payload) == expected
    # IFTTT: its URL, method, content type and body
    url, body = page.element("#ifttt-url").text, page.element("#ifttt-body").text
    assert url.startswith(page.base) and f"token={token}" in url
    answer = request(system.http_port, "POST", url.removeprefix(page.base), body.encode(), {"Content-Type": "application/json"})
    assert answer.status == 200
    assert json.loads(device.next_message().payload) == expected
    # Home Assistant: the rest_command it would call
    command = yaml.safe_load(page.element("#ha-yaml").text)["rest_command"]["awtrix_cloud"]
    assert command["url"] == f"{page.base}/cloud?mode=notify"
    assert command["headers"] == {"Authorization": f"Bearer {token}"}
    # The payload template as Home Assistant renders it (Jinja), with a message that would break hand-made JSON.
    payload = jinja2.Environment(autoescape=False).from_string(command["payload"])  # noqa: S701 (JSON, not HTML)
    assert json.loads(payload.render(message='Door "open"\nnow')) == {**expected, "text": 'Door "open"\nnow'}
    assert json.loads(payload.render()) == expected  # no message: the test's text


def test_page_can_be_used_with_the_keyboard_alone(page: Page) -> None:
    page.driver.execute_script("document.activeElement.blur(); scrollTo(0, 0)")
    keys = ActionChains(page.driver)
    for _ in range(12):  # from the top: the steps' links, then the first button
        keys.send_keys(Keys.TAB).perform()
        if page.driver.switch_to.active_element.get_attribute("id") == "token-generate":
            break
    keys.send_keys(Keys.ENTER).perform()
    wait(page.driver).until(lambda d: page.element("#token-have").is_displayed())
    # Focus follows: the next thing to do, copying the token, is where the keyboard is now.
    assert page.driver.switch_to.active_element.get_attribute("aria-label") == "Copy your token"
    keys.send_keys(Keys.ENTER).perform()
    wait(page.driver).until(lambda d: d.execute_script("return window.copiedTexts.length") == 1)
    assert page.driver.execute_script("return window.copiedTexts[0]") == page.element("#token-value").text


def test_page_every_control_has_a_name(page: Page) -> None:
    unnamed = page.driver.execute_script(
        """return [...document.querySelectorAll("input, button, canvas")].filter((el) =>
             !(el.labels?.length || el.getAttribute("aria-label") || el.textContent.trim()
               || el.closest("label"))).map((el) => el.outerHTML)"""
    )
    assert unnamed == []


def test_page_loads_only_from_the_relay(page: Page) -> None:
    page.make_token()
    urls = page.loaded_urls()
    assert len(urls) >= 6  # the page, its style sheet, its scripts and its icon
    assert all(url.startswith(page.base + "/") for url in urls), urls


def test_page_placeholders_for_the_coming_steps_are_there_and_hidden(page: Page) -> None:
    # PLACEHOLDER connection-check and screen-picture: their tests go here once the gateway can answer them —
    # the check in each state (listening, no clock, connected but not listening, HIDE_PRESENCE), and the screen
    # picture from a device that answers sendscreen.
    for section in ("connection-check", "screen-picture"):
        assert not page.element(f'[data-placeholder="{section}"]').is_displayed()
    for slot in ("plain-text", "templates"):
        assert not page.element(f'[data-slot="{slot}"]').is_displayed()


def test_docs_draws_every_operation_of_the_openapi_document(browser: WebDriver, system: System) -> None:
    console_errors(browser)
    document = request(system.http_port, "GET", "/openapi.json").body
    operations = sum(len(methods) for methods in document["paths"].values())
    browser.get(f"http://127.0.0.1:{system.http_port}/docs")
    wait(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) == operations)
    assert "awtrix-cloud gateway" in browser.find_element(By.CSS_SELECTOR, ".title").text
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map((entry) => entry.name)")
    assert all(url.startswith(f"http://127.0.0.1:{system.http_port}/") for url in loaded), loaded
    assert console_errors(browser) == []


def test_page_files_through_gunicorn_are_cached_and_revalidated(system: System) -> None:
    first = request(system.http_port, "GET", "/")
    assert first.status == 200 and first.headers["content-security-policy"].startswith("default-src 'none'")
    again = request(system.http_port, "GET", "/", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status, again.body) == (304, b"")
    head = request(system.http_port, "HEAD", "/")
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", str(len(first.body)))
    script = re.search(rb'src="(/page/\w+/page\.js)"', first.body).group(1).decode()  # type: ignore[union-attr]
    asset = request(system.http_port, "GET", script)
    assert asset.status == 200 and "immutable" in asset.headers["cache-control"]
    assert request(system.http_port, "GET", script, headers={"If-None-Match": asset.headers["etag"]}).status == 304
    missing = request(system.http_port, "GET", "/page/x/missing.js")
    assert missing.status == 404 and missing.body["error"]["code"] == "not_found"


@pytest.fixture(scope="module")
def hiding_gateway(system: System) -> Iterator[int]:
    """A second gateway on the same broker, with HIDE_PRESENCE=true; its HTTP port."""
    gateway, port = start_gateway({**system.relay.gateway_env(), "HIDE_PRESENCE": "true"}, workers=1)
    try:
        gateway.wait_for(r"connected to the MQTT broker", timeout=20)
        yield port
    finally:
        gateway.stop()


def test_page_with_hidden_presence_says_it_cannot_tell(browser: WebDriver, hiding_gateway: int) -> None:
    page = Page(browser, f"http://127.0.0.1:{hiding_gateway}")
    page.open()
    page.make_token()
    assert page.send_test() == "accepted"
    assert "does not say whether a clock received it" in page.element("#test-answer-text").text


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $PAGE_SCREENSHOTS_DIR, else a temporary directory of this run."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.mark.parametrize("size", SIZES)
def test_page_screenshots_after_a_delivered_test(
    page: Page, devices: list[Client], screenshot_dir: Path, size: str, record_property: Any
) -> None:
    set_viewport(page.driver, *SIZES[size], mobile=size == "phone")
    try:
        page.open()
        page.make_token()
        connect_device(devices, page.copied_settings("#setup-awtrix3"))
        page.fill_test("Hello from the cloud", icon="36")
        assert page.send_test() == "delivered"
        assert page.driver.execute_script("return innerWidth") == SIZES[size][0]
        # Nothing sticks out sideways: the page is as wide as the viewport (less a desktop's scroll bar).
        assert page.driver.execute_script("return document.documentElement.scrollWidth <= innerWidth")
        # As a person would see it: the copy buttons back to "Copy", the test and its answer in view.
        copied = 'return [...document.querySelectorAll("button.copy")].some((b) => b.textContent !== "Copy")'
        wait(page.driver).until(lambda d: not d.execute_script(copied))
        page.driver.execute_script("document.getElementById('test').scrollIntoView()")
        for path in (screenshot(page.driver, screenshot_dir / f"page-{size}.png"),
                     screenshot(page.driver, screenshot_dir / f"page-{size}-full.png", full_page=True)):  # fmt: skip
            assert path.read_bytes().startswith(b"\x89PNG")
            record_property(path.stem, str(path))
    finally:
        set_viewport(page.driver, *SIZES["desktop"])



def test_page_without_javascript_says_what_needs_it(browser: WebDriver, system: System) -> None:
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(f"http://127.0.0.1:{system.http_port}/")
        notice = browser.find_element(By.CSS_SELECTOR, ".noscript")
        assert notice.is_displayed() and "needs JavaScript" in notice.text
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
