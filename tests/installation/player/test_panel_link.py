"""The panel's connector as the wall's health sees it: unplugged is degraded (a restart cannot plug a
cable back in; the watchdog stays fed), with its line in the state; plugged back, the player opens its
display again and draws whole frames on it."""

import time

from installation.display.connector import ConnectorWatch
from installation.display.output import Window
from installation.model.load import load
from installation.player.loop import Player
from installation.player.messages import Reopen
from installation.service.health.verdict import verdict
from installation.show.config import load_show
from tests.support.drm import plug


def test_unplugged_is_degraded_and_back_reopens_the_display(screen, tiny_model_path, show_file, tmp_path):
    sysfs = tmp_path / "drm"
    plug(sysfs, "card0-HDMI-A-1")
    player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", Window(screen),
                    log=lambda _: None)
    link = ConnectorWatch(on_reconnect=lambda _state: player.post(Reopen()), root=sysfs)
    player.link = link
    seen = {}

    def step(p):
        frame = p.stats.frames
        if frame == 20:
            plug(sysfs, "card0-HDMI-A-1", "disconnected")
            link.poll()
        elif frame == 21:
            seen["unplugged"] = p.snapshot()
            seen["surface"] = p.display.surface
        elif frame == 30:
            plug(sysfs, "card0-HDMI-A-1", "connected")
            link.poll()                        # posts Reopen: applied at the next frame
        elif frame == 40:
            seen["back"] = p.snapshot()
            p.running = False
    player.on_frame = step
    player.run(seconds=10)
    unplugged = seen["unplugged"]
    assert unplugged.display.connected is False
    judged = verdict(unplugged, time.monotonic())
    assert judged.alive and judged.degraded[0].startswith("display disconnected since ")
    assert judged.degraded[0].endswith("(card0-HDMI-A-1)")
    back = seen["back"]
    assert back.display.connected and player.display.surface is not seen["surface"]   # opened anew
    assert verdict(back, time.monotonic()).phase == "ok"
    assert player.screen.pixels().std() > 10      # the wall drawn whole on the new surface
