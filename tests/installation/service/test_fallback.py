"""A model that starts failing on the wall with a good one beside it in the folder (the audit's case:
good.onnx older, flaky.onnx newest): the player asks, the fallback finder loads good.onnx off the render
loop, the wall shows it, and after a restart 'latest' is not flaky.onnx again until its file changes."""

import os

from installation.display.output import Window
from installation.model import last_shown
from installation.model.choose import Chooser
from installation.model.load import load
from installation.player.loop import Player
from installation.player.messages import ModelReady
from installation.service.reload.fallback import FallbackFinder
from installation.show.config import load_show
from tests.support.clock import FastClock
from tests.support.model_files import generator_bytes
from tests.support.sessions import flaky


def _folder(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "good.onnx").write_bytes(generator_bytes(seed=1, z_dim=16, side=32))
    (folder / "flaky.onnx").write_bytes(generator_bytes(seed=2, z_dim=16, side=32))
    os.utime(folder / "good.onnx", (1_000_000, 1_000_000))        # older by far: flaky.onnx is 'latest'
    return folder


def test_a_failing_model_gives_way_to_any_valid_one_in_the_folder(screen, show_file, tmp_path):
    folder, record = _folder(tmp_path), tmp_path / "state" / "last_model.json"
    failing = flaky(load(folder / "flaky.onnx"), after=3)
    lines = []
    player = Player(load_show(show_file("morph")), {"flaky": failing}, "flaky", Window(screen), batch=2,
                    log=lines.append, **FastClock(speed=4).player_clocks())
    finder = FallbackFinder(folder, load, lambda name, model: player.post(ModelReady(name, model)), record)
    finder.start()
    player.find_model = finder.request
    seen = {}

    def until_good(p):
        if p.snapshot().model == "good" and p.snapshot().activity == "playing":
            seen["good"] = True
            p.running = False
    player.on_frame = until_good
    try:
        player.run(seconds=40.0)
    finally:
        finder.stop()
    assert seen.get("good"), lines
    assert any("keeps failing" in line for line in lines)
    # The failure is on record: a restart chooses good.onnx although flaky.onnx is newer...
    assert ("flaky.onnx", failing.sha256) in last_shown.recall(record).failed
    said = []
    assert Chooser(folder, load, said.append).latest(record).name == "good"
    assert any("failed on the wall and its file has not changed" in line for line in said)
    # ...until flaky.onnx's file changes: then it gets a fresh start.
    (folder / "flaky.onnx").write_bytes(generator_bytes(seed=3, z_dim=16, side=32))
    last_shown.remember(record, folder / "flaky.onnx", load(folder / "flaky.onnx").sha256)
    assert Chooser(folder, load, said.append).latest(record).name == "flaky"


def test_with_nothing_else_valid_it_says_so_in_one_line(tmp_path, caplog):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "only.onnx").write_bytes(generator_bytes(seed=1))
    delivered = []
    finder = FallbackFinder(folder, load, lambda name, model: delivered.append(name), None)
    with caplog.at_level("ERROR", logger="aimoji.reload"):
        assert finder.find(folder / "only.onnx", "0" * 64, frozenset({"only"})) is None
    assert delivered == [] and len(caplog.records) == 1
    assert "only.onnx: no other model to play instead" in caplog.records[0].getMessage()


def test_the_shipped_default_is_the_last_resort(tmp_path):
    folder, shipped = tmp_path / "models", tmp_path / "app" / "default.onnx"
    folder.mkdir()
    shipped.parent.mkdir()
    (folder / "bad.onnx").write_bytes(generator_bytes(seed=1))
    shipped.write_bytes(generator_bytes(seed=5))
    delivered = []
    finder = FallbackFinder(folder, load, lambda name, model: delivered.append(name), None, shipped=(shipped,))
    assert finder.find(folder / "bad.onnx", "0" * 64, frozenset({"bad"})).path == shipped
    assert delivered == ["default"]
