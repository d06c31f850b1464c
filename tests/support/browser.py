"""Debian's headless Chromium under Selenium, for the pages the project makes (the training map, the
status page): the system chromedriver, a fresh profile, nothing downloaded, no browser phoning home."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

needs_browser = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromedriver (/usr/bin/chromium, /usr/bin/chromedriver)")


def start_browser(tmp: Path, width: int, height: int, phone: bool = False):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp / 'profile'}", f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp / "downloads"),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if phone:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 3, "touch": True}})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
