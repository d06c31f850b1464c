"""The training map: atlas layout, the run folder reader, the command, and the page in a real browser."""

from __future__ import annotations

import base64
import io
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support.browser import needs_browser, start_browser
from trainer import map_page, runs
from trainer.cli import main as train_main



def fake_images(n: int, px: int = 8) -> np.ndarray:
    """Distinct synthetic images: index-dependent colours, a centre square and the index in pixel (0, 0)."""
    i = np.arange(n)
    images = np.empty((n, px, px, 3), np.uint8)
    images[:] = np.stack([(i * 37) % 256, (i * 11) % 256, (i * 3) % 256], axis=1)[:, None, None, :]
    q = px // 4
    images[:, q:px - q, q:px - q] = np.stack([255 - (i * 7) % 256, (i * 5) % 256, 128 + (i % 128)],
                                             axis=1)[:, None, None, :]
    images[:, 0, 0] = np.stack([i % 256, i // 256, np.full(n, 77)], axis=1)
    return images


STEPS_PER_EPOCH = 4


def make_run(run: Path, n: int = 250, px: int = 8, shard: int = 100, batch: int = 16,
             metrics: bool = True) -> np.ndarray:
    """A fake run folder in the documented format: first_images/ shards and a metrics log."""
    images = fake_images(n, px)
    steps = np.arange(n, dtype=np.int64) // batch + 1
    (run / "first_images").mkdir(parents=True)
    for k, start in enumerate(range(0, n, shard)):
        np.savez_compressed(run / "first_images" / f"shard-{k:03d}.npz",
                            images=images[start:start + shard], steps=steps[start:start + shard])
    if metrics:  # a step record every 3 steps, an epoch record every STEPS_PER_EPOCH steps
        records = []
        for step in range(1, int(steps[-1]) + 1):
            epoch = -(-step // STEPS_PER_EPOCH)
            if step % 3 == 0:
                records.append({"kind": "step", "step": step, "epoch": epoch, "loss_d": 1.0})
            if step % STEPS_PER_EPOCH == 0:
                records.append({"kind": "epoch", "step": step, "epoch": epoch, "loss_d": 1.0})
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"kind": "st')
    (run / "config.json").write_text(json.dumps({"title": "AImoji test"}))
    return images


# ---- pure layout --------------------------------------------------------------------------------

@pytest.mark.parametrize("count, per_row, cell_h, rows, atlases", [
    (10_000, 100, 64, 100, [(0, 1000, 0, 10)] + [(k * 1000, 1000, k * 10, 10) for k in range(1, 10)]),
    (250, 100, 8, 3, [(0, 250, 0, 3)]),
    (1, 100, 8, 1, [(0, 1, 0, 1)]),
    (2050, 100, 64, 21, [(0, 1000, 0, 10), (1000, 1000, 10, 10), (2000, 50, 20, 1)]),
    # Tall cells: fewer rows per atlas so no atlas passes ATLAS_MAX_SIDE_PX.
    (500, 10, 2048, 50, [(k * 40, 40, k * 4, 4) for k in range(12)] + [(480, 20, 48, 2)]),
])
def test_plan_layout_splits_rows_into_atlases(count, per_row, cell_h, rows, atlases):
    layout = map_page.plan_layout(count, per_row, cell_h)
    assert layout.rows == rows
    assert [(a.first_index, a.count, a.first_row, a.rows) for a in layout.atlases] == atlases


@pytest.mark.parametrize("steps, epochs, text", [
    ([1, 1, 2, 157], [1, 1, 1, 3], "steps 1–157, epochs 1–3"),
    ([5, 5], [2, 2], "step 5, epoch 2"),
    ([1, 9], None, "steps 1–9"),
])
def test_describe_span(steps, epochs, text):
    assert map_page.describe_span(np.array(steps), None if epochs is None else np.array(epochs)) == text


def log(*rows):
    return [{"kind": kind, "step": step, "epoch": epoch} for kind, step, epoch in rows]


@pytest.mark.parametrize("records, steps, expected", [
    # Epoch records end epochs exactly; step records in between do not move the boundary.
    (log(("epoch", 8, 1), ("step", 10, 2), ("epoch", 16, 2)), [1, 8, 9, 16], [1, 1, 2, 2]),
    (log(("epoch", 8, 1), ("epoch", 16, 2)), [17, 40], [3, 3]),  # after a finished epoch: the next one
    (log(("step", 10, 1), ("step", 20, 1)), [5, 20, 25], [1, 1, 1]),  # epoch 1 still running
    (log(("step", 10, 1), ("epoch", 12, 1), ("step", 20, 2)), [12, 13, 21], [1, 2, 2]),
    ([{"kind": "step", "step": 3}], [1], None),  # no epochs logged: no labels
])
def test_epoch_of_steps(records, steps, expected):
    got = runs.epoch_of_steps(records, np.array(steps))
    assert (None if got is None else got.tolist()) == expected


# ---- reading the run folder ---------------------------------------------------------------------

def test_load_first_images_reads_shards_in_order_and_stops_at_count(tmp_path):
    images = make_run(tmp_path / "run", n=250, shard=100)
    got, steps = runs.load_first_images(tmp_path / "run", 180)
    assert np.array_equal(got, images[:180])
    assert steps.tolist() == (np.arange(180) // 16 + 1).tolist()
    got, _ = runs.load_first_images(tmp_path / "run", 10_000)
    assert len(got) == 250  # the run made fewer than asked: all of them


@pytest.mark.parametrize("damage, message", [
    (lambda run: shutil.rmtree(run), "no such run folder"),
    (lambda run: shutil.rmtree(run / "first_images"), "no shard-*.npz files"),
    (lambda run: np.savez(run / "first_images" / "shard-000.npz", images=np.zeros((2, 8, 8, 3), np.float32),
                          steps=np.zeros(2, np.int64)), "'images' must be uint8"),
    (lambda run: np.savez(run / "first_images" / "shard-000.npz", images=np.zeros((2, 8, 8, 3), np.uint8)),
     "missing array 'steps'"),
    (lambda run: (run / "first_images" / "shard-000.npz").write_bytes(b"not a zip"), "cannot read"),
    (lambda run: (run / "config.json").write_text('{"title": 7}'), "config.json: 'title' must be str, got 7"),
])
def test_bad_run_folder_is_one_clear_line(tmp_path, capsys, damage, message):
    run = tmp_path / "run"
    make_run(run, n=50)
    damage(run)
    out = tmp_path / "site"
    assert train_main(["map", str(run), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("aimoji-train map: error: ") and message in err and "\n" not in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_map_command_writes_the_page_and_replaces_an_old_one(tmp_path, capsys):
    make_run(tmp_path / "run", n=250)
    out = tmp_path / "site" / "map"
    out.mkdir(parents=True)
    (out / "manifest.js").write_text("window.AIMOJI_MAP = {};")
    (out / "stale.txt").write_text("from an older map")
    assert train_main(["map", str(tmp_path / "run"), "--out", str(out), "--count", "240"]) == 0
    assert "240 images of 8x8 px, 100 per row, 1 atlases" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["atlases", "index.html", "manifest.js", "map.css", "map.js"]
    page = (out / "index.html").read_text()
    assert "Run <strong>run</strong>" in page and "the first 240 images" in page
    assert "Right click to save an emoji. (Hotkey: <kbd>S</kbd>)" in page
    # Everything is local: no network, no fetch() (file:// pages cannot fetch their neighbours).
    for name in ("index.html", "map.js"):
        text = (out / name).read_text()
        assert "http://" not in text and "https://" not in text and "fetch(" not in text
    data = json.loads((out / "manifest.js").read_text().removeprefix("window.AIMOJI_MAP = ").rstrip(";\n"))
    assert (data["count"], data["per_row"], data["rows"], data["cell_w"]) == (240, 100, 3, 8)
    assert data["epochs"][0] == 1 and data["epochs"][-1] == 4


def test_map_without_a_metrics_log_leaves_epochs_out(tmp_path, capsys):
    make_run(tmp_path / "run", n=40, metrics=False)
    assert train_main(["map", str(tmp_path / "run"), "--out", str(tmp_path / "map")]) == 0
    assert "(steps 1–3), 100 per row" in (tmp_path / "map" / "index.html").read_text()
    assert '"epochs":null' in (tmp_path / "map" / "manifest.js").read_text()


def test_map_never_replaces_a_folder_that_is_not_a_map(tmp_path, capsys):
    make_run(tmp_path / "run", n=20)
    precious = tmp_path / "photos"
    precious.mkdir()
    (precious / "holiday.jpg").write_bytes(b"keep me")
    assert train_main(["map", str(tmp_path / "run"), "--out", str(precious)]) == 1
    assert "is not an earlier map" in capsys.readouterr().err
    assert (precious / "holiday.jpg").read_bytes() == b"keep me"


def test_map_help_names_units_and_defaults(capsys):
    with pytest.raises(SystemExit):
        train_main(["map", "--help"])
    text = capsys.readouterr().out
    assert "default: 10000" in text and "default: 100)" in text and "default: site/map" in text


# ---- the page in a real browser -----------------------------------------------------------------

def open_page(driver, page: Path) -> None:
    driver.get(page.as_uri())
    deadline = time.monotonic() + 30
    while driver.execute_script("return document.body.dataset.ready") != "true":
        assert time.monotonic() < deadline, "atlases never finished loading"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("map")
    images = make_run(tmp / "runs" / "fake", n=10_000, shard=4000, batch=64)
    map_page.build_map(tmp / "runs" / "fake", tmp / "site", count=10_000, per_row=100)
    return tmp, images


@pytest.fixture(scope="module")
def desktop(site):
    tmp, images = site
    driver = start_browser(tmp, 1000, 900)
    try:
        open_page(driver, tmp / "site" / "index.html")
        yield driver, tmp, images
    finally:
        driver.quit()


def cell_centre(driver, index: int) -> tuple[int, int]:
    """Scroll cell `index` into the middle of the window and return its centre in viewport pixels."""
    return tuple(driver.execute_script("""
        const i = arguments[0], M = window.AIMOJI_MAP, map = document.getElementById('map');
        let r = map.getBoundingClientRect();
        const row = Math.floor(i / M.per_row), col = i % M.per_row, cell = r.width / M.per_row;
        window.scrollBy(0, r.top + (row + 0.5) * cell - innerHeight / 2);
        r = map.getBoundingClientRect();
        return [Math.floor(r.left + (col + 0.5) * cell), Math.floor(r.top + (row + 0.5) * cell)];
    """, index))


def move_to(driver, x: int, y: int) -> None:
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(x, y)
    actions.perform()


def loupe_pixels(driver) -> tuple[int, np.ndarray]:
    index, uri = driver.execute_script(
        "const l = document.getElementById('loupe');"
        "return [Number(l.dataset.index), l.hidden ? '' : l.querySelector('canvas').toDataURL()];")
    assert uri, "the loupe is hidden"
    png = base64.b64decode(uri.split(",", 1)[1])
    return index, np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def wait_until(condition, timeout_s: float = 5.0):
    """Poll `condition` until it returns something truthy (CSS transitions and fullscreen are async)."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out waiting for the page"
        time.sleep(0.05)
    return value


def wait_for_download(folder: Path, name_part: str) -> Path:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.png") if name_part in p.name] if folder.exists() else []
        if done:
            return done[0]
        time.sleep(0.05)
    raise AssertionError(f"no download containing {name_part!r} in {folder}")


@needs_browser
def test_page_has_100_columns_of_10000_cells(desktop):
    driver, _, _ = desktop
    width, height, cells = driver.execute_script("""
        const r = document.getElementById('map').getBoundingClientRect();
        return [r.width, r.height, document.querySelectorAll('#map img').length];""")
    assert cells == 10  # ten atlases of 1,000, not 10,000 images
    assert width == 800 and height == 800  # 100 x 100 cells of 8 px, shown 1:1 in a 1000 px window
    header = driver.find_element("tag name", "header").text
    assert "the first 10,000 images" in header and "(steps 1–157, epochs 1–40)" in header
    assert "Hover over the map to see bigger emoji." in header
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


@needs_browser
@pytest.mark.parametrize("index", [0, 99, 100, 4321, 9999])
def test_hover_enlarges_exactly_that_image(desktop, index):
    driver, _, images = desktop
    move_to(driver, *cell_centre(driver, index))
    shown, pixels = loupe_pixels(driver)
    assert shown == index
    k = pixels.shape[0] // 8
    assert k >= 4 and pixels.shape == (8 * k, 8 * k, 3)
    # Crisp upscale: every training pixel becomes an exact k x k block.
    assert np.array_equal(pixels, np.kron(images[index], np.ones((k, k, 1), np.uint8)))
    caption = driver.find_element("css selector", "#loupe .caption").text
    step = index // 64 + 1
    assert caption == f"#{index + 1:,} · step {step} · epoch {-(-step // STEPS_PER_EPOCH)}"


@needs_browser
def test_s_saves_the_hovered_emoji_with_its_exact_pixels(desktop):
    from selenium.webdriver.common.action_chains import ActionChains

    driver, tmp, images = desktop
    move_to(driver, *cell_centre(driver, 5678))
    ActionChains(driver).send_keys("s").perform()
    saved = wait_for_download(tmp / "downloads", "05679")
    assert saved.name == "fake-emoji-05679-step-89.png"
    assert np.array_equal(np.asarray(Image.open(saved).convert("RGB")), images[5678])


@needs_browser
def test_right_click_saves_the_emoji_under_the_pointer(desktop):
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    driver, tmp, images = desktop
    x, y = cell_centre(driver, 250)
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(x, y).context_click()
    actions.perform()
    saved = wait_for_download(tmp / "downloads", "00251")
    assert np.array_equal(np.asarray(Image.open(saved).convert("RGB")), images[250])


@needs_browser
def test_press_and_hold_zooms_around_the_pointer(desktop):
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    driver, _, _ = desktop
    x, y = cell_centre(driver, 5050)
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(x, y).pointer_down().pause(0.3)
    actions.perform()
    map_width = "return document.getElementById('map').getBoundingClientRect().width"
    try:
        # Held: three times the 800 px map, once the zoom transition has run.
        wait_until(lambda: driver.execute_script(map_width) == pytest.approx(2400, rel=0.01))
        assert driver.execute_script(f"return AIMOJI.indexAt({x}, {y})") == 5050  # still under the pointer
    finally:
        actions = ActionBuilder(driver)
        actions.pointer_action.pointer_up()
        actions.perform()
    wait_until(lambda: driver.execute_script(map_width) == 800)


@needs_browser
def test_f_toggles_full_screen(desktop):
    from selenium.webdriver.common.action_chains import ActionChains

    driver, _, _ = desktop
    full = "return document.fullscreenElement && document.fullscreenElement.id"
    ActionChains(driver).send_keys("f").perform()
    assert wait_until(lambda: driver.execute_script(full)) == "stage"
    ActionChains(driver).send_keys("f").perform()
    wait_until(lambda: driver.execute_script(full) is None)


@needs_browser
def test_phone_fits_the_width_and_a_tap_enlarges(site):
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    tmp, images = site
    driver = start_browser(tmp / "phone", 390, 844, phone=True)
    try:
        open_page(driver, tmp / "site" / "index.html")
        assert driver.execute_script("return document.documentElement.scrollWidth <= innerWidth")
        assert driver.find_element("css selector", ".touch-help").is_displayed()
        x, y = cell_centre(driver, 7007)
        finger = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"))
        finger.pointer_action.move_to_location(x, y).pointer_down().pointer_up()
        finger.perform()
        shown, pixels = loupe_pixels(driver)
        k = pixels.shape[0] // 8
        # Cells are under 4 CSS px on a phone: a tap lands on that cell or a neighbour.
        assert shown in (7007, 7006, 7008, 6907, 7107)
        assert np.array_equal(pixels, np.kron(images[shown], np.ones((k, k, 1), np.uint8)))
        assert driver.find_element("css selector", "#loupe button[data-action=save]").is_displayed()
    finally:
        driver.quit()
