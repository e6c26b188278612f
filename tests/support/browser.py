"""Debian's chromium, headless, driven by Selenium through Debian's chromedriver: nothing is downloaded."""

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 10.0
# Headless as root (no sandbox), no GPU, no /dev/shm limits, and none of the browser's own calls home.
ARGUMENTS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--password-store=basic",
)


@contextmanager
def chromium(user_data_dir: Path) -> Iterator[WebDriver]:
    """Start a fresh headless chromium with its own profile directory; quit it afterwards.

    With the driver's path given, Selenium never runs selenium-manager (which would download drivers).
    """
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            raise AssertionError(f"{binary} is missing: run `make system-deps` (Debian packages chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*ARGUMENTS, f"--user-data-dir={user_data_dir}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver, timeout: float = WAIT_S) -> WebDriverWait:
    """A WebDriverWait on driver: the tests wait on conditions, never on time."""
    return WebDriverWait(driver, timeout)


def set_viewport(driver: WebDriver, width: int, height: int, mobile: bool = False) -> None:
    """Make the page's viewport exactly width by height CSS pixels (a window's size includes its frame)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def screenshot(driver: WebDriver, path: Path, full_page: bool = False) -> Path:
    """Save a PNG of the viewport, or of the whole page's length at the viewport's width."""
    options: dict[str, object] = {"format": "png"}
    if full_page:
        width, height = driver.execute_script(
            "return [document.documentElement.clientWidth, document.documentElement.scrollHeight]"
        )
        options |= {"captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", options)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def console_errors(driver: WebDriver) -> list[str]:
    """Return the browser console's errors since the last call (a Content-Security-Policy refusal is one)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
