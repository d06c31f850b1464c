"""A wall's clock in the player: a PC that is one screen of a [wall] show, with a clock off by more than
half a frame, publishes it and is degraded by it; the same PC on a show without a wall only reports it."""

from pathlib import Path

import pygame
import pytest

from installation.clocksync.readings import DaemonClock, KernelClock
from installation.clocksync.watch import ClockWatch
from installation.display.output import Window
from installation.model.load import load
from installation.player.loop import Player
from installation.service.health.verdict import verdict
from installation.show.config import load_show
from tests.support.clock import FastClock

SHOW = Path(__file__).parent / "fixtures" / "show-60fps.toml"
WALL = """[wall]
canvas = [256, 64]
[[wall.screens]]
name = "left"
rect = [0, 0, 128, 64]
bezel = 4
[[wall.screens]]
name = "right"
rect = [128, 0, 128, 64]
bezel = 4
"""


@pytest.mark.parametrize("wall, degraded", [(True, True), (False, False)])
def test_a_far_clock_degrades_a_wall_screen_only(tmp_path, tiny_model_path, wall, degraded):
    show_path = tmp_path / "show.toml"
    show_path.write_text(SHOW.read_text() + (WALL if wall else ""))
    show, model, clock = load_show(show_path), load(tiny_model_path), FastClock()
    pygame.display.init()
    try:
        player = Player(show, {model.name: model}, model.name, Window(pygame.display.set_mode((160, 120))),
                        screen="left" if wall else None, **clock.player_clocks())
        # what the runtime starts beside the player: chrony says this clock is 12 ms ahead of its server
        watch = ClockWatch(lambda: player.show.display.fps, kernel=lambda: (KernelClock(True, 0.05, 0.0001), ""),
                           daemon=lambda: (DaemonClock("chrony", True, 0.012, "192.168.1.10"), ""))
        watch.poll()
        player.clock_sync = watch
        player.run(seconds=2.0)
    finally:
        pygame.display.quit()
    state = player.snapshot()
    assert state.wall is wall and state.clock.state == "far"
    assert state.clock.line.startswith("clock off by +12.0 ms by chrony (192.168.1.10): more than half a "
                                       "frame (8.3 ms at 60 fps)")
    judged = verdict(state, clock.monotonic())
    assert (state.clock.line in judged.degraded) is degraded and judged.problems == ()
