"""The status page in Debian's headless Chromium (Selenium) against `aimoji play --headless --http`:
it renders the title and state, the thumbnail changes, a scene control with the typed token switches
the scene, and without or with a wrong token it is refused and nothing changes. Leaves a screenshot
in out/status-page.png."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.browser import needs_browser, start_browser

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "0123456789abcdef0123456789abcdef"
PLAYLIST = """
[[playlist]]
scene = "grid"
cols = 3
rows = 3
duration_s = 86400
"""

pytestmark = [needs_browser, pytest.mark.slow]


def _free_tcp_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=5) as r:
        return json.loads(r.read())


def wait_for(what, timeout_s: float = 20.0, every_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = what()
            if value:
                return value
        except OSError:
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every_s)


@pytest.fixture(scope="module")
def player(tmp_path_factory, models_dir):
    """`aimoji play` on a free port, its token file, its state file; stopped with SIGTERM."""
    tmp = tmp_path_factory.mktemp("status_page")
    show = tmp / "museum.toml"
    show.write_text('title = "Museum test"\ntimezone = "Europe/Vienna"\nseed = 7\n[display]\nresolution = "320x240"\nfps = 30\n'
                    '[walk]\nkeyframe_s = 1.0\n[[playlist]]\nscene = "morph"\nduration_s = 86400\n' + PLAYLIST)
    token = tmp / "control-token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    port = _free_tcp_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "installation.cli", "play", "--headless", "--seconds", "120", "--no-watch",
         "--models", str(models_dir), "--show", str(show), "--state", str(tmp / "status.json"),
         "--http", str(port), "--http-token-file", str(token)],
        cwd=ROOT, env={**os.environ, "STATE_DIRECTORY": str(tmp / "state")}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: status(port)["player"]["activity"] == "playing", 30)
        yield port, tmp
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
        print(out)


@pytest.fixture(scope="module")
def page(player):
    port, tmp = player
    driver = start_browser(tmp, 390, 844, phone=True)
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: driver.execute_script("return document.body.dataset.ready") == "true")
        yield driver, port
    finally:
        driver.quit()


def thumbnail_pixels(driver) -> str:
    """The thumbnail as the page shows it, read back through a canvas."""
    return driver.execute_script("""
        const img = document.getElementById('thumbnail');
        if (!img.complete || !img.naturalWidth) return '';
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        c.getContext('2d').drawImage(img, 0, 0);
        return c.toDataURL('image/png');
    """)


def press_scene(driver, number: int, token: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    field = driver.find_element(By.ID, "token")
    field.clear()
    if token:
        field.send_keys(token)
    Select(driver.find_element(By.ID, "scene-choice")).select_by_value(str(number))
    driver.execute_script("document.getElementById('result').textContent = ''")
    driver.find_element(By.ID, "scene-go").click()
    return wait_for(lambda: driver.find_element(By.ID, "result").text, 5)


def test_the_page_shows_title_state_and_a_live_thumbnail(page):
    from selenium.webdriver.common.by import By
    driver, port = page
    assert driver.find_element(By.ID, "title").text == "AImoji — Museum test"
    assert driver.find_element(By.ID, "state").text.lower() == "playing"
    # One day per scene: which one plays now depends on the date (the real schedule).
    playing = status(port)["player"]
    assert driver.find_element(By.ID, "scene").text.startswith(playing["scene"]) and playing["scene"] in ("morph", "grid")
    assert driver.find_element(By.ID, "scene").text.endswith(f"({playing['scene_index']} of 2)")
    assert driver.find_element(By.ID, "model").text == "tiny"
    # the clock's sync in words, as the player judged it (whatever this machine's clock says)
    clock = wait_for(lambda: status(port)["player"]["clock"], 10)
    wait_for(lambda: driver.find_element(By.ID, "clock").text == clock["line"], 5)
    first = wait_for(lambda: thumbnail_pixels(driver), 5)
    time.sleep(1.0)
    assert wait_for(lambda: thumbnail_pixels(driver), 5) != first, "the thumbnail did not change"
    timeline = driver.find_element(By.ID, "timeline")
    assert driver.execute_script("return arguments[0].naturalWidth", timeline) > 0


def other_scene(port: int) -> tuple[int, str]:
    """The playlist entry not on the wall now, (number, kind)."""
    return (2, "grid") if status(port)["player"]["scene"] == "morph" else (1, "morph")


def test_control_is_refused_without_or_with_a_wrong_token(page):
    driver, port = page
    before = status(port)["player"]["scene"]
    number, _ = other_scene(port)
    assert press_scene(driver, number, "") == "refused: no or wrong token (Authorization: Bearer ...)"
    assert press_scene(driver, number, TOKEN[:-1] + "X").startswith("refused: no or wrong token")
    time.sleep(0.6)
    assert status(port)["player"]["scene"] == before and status(port)["player"]["overrides"] == {}


def test_the_token_typed_in_switches_the_scene(page):
    driver, port = page
    number, kind = other_scene(port)
    assert press_scene(driver, number, TOKEN) == f"sent: scene [{number}]"
    wait_for(lambda: status(port)["player"]["scene"] == kind, 5)
    held = status(port)["player"]["overrides"]["scene"]
    assert (held["value"], held["by"]) == (number, "http 127.0.0.1") and held["until"]
    assert TOKEN not in driver.current_url
    assert driver.execute_script("return sessionStorage.getItem('aimoji-control-token')") == TOKEN
    wait_for(lambda: driver.find_element("id", "scene").text.startswith(kind), 5)
    time.sleep(0.6)   # a fresh thumbnail of the grid
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(out / "status-page.png"))
    # The refusals above are 401s the browser logs; nothing else may have failed (scripts, images).
    assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "/control " not in e["message"]]


@pytest.mark.parametrize("width", [360, 1280])
def test_at_phone_and_desktop_width_nothing_scrolls_sideways_and_times_are_the_venues(player, width):
    """A technician's phone (360 px) and a desk: the page fits its width (the day's timeline swipes
    inside its own box), every time is the venue's (the show's time zone), and the badge is a word."""
    from selenium.webdriver.common.by import By
    port, tmp = player
    driver = start_browser(tmp / f"w{width}", width, 780, phone=width < 500)
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: driver.execute_script("return document.body.dataset.ready") == "true")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        state = status(port)["player"]
        assert driver.find_element(By.ID, "zone").text == state["timezone"] == "Europe/Vienna"
        if state["next_change"]:
            assert driver.find_element(By.ID, "next").text == state["next_change"].replace("T", " ")[:16]
        assert driver.find_element(By.ID, "state").text.lower() in ("playing", "degraded")
        driver.save_screenshot(str(tmp / f"status-page-{width}.png"))
    finally:
        driver.quit()
