"""Cost of panel care per frame at 2160p: the orbit, the brightness curve and light sensor, the refresh.
Target: <= 0.2 ms per frame for each.

Panel care does a little every frame (is this a seam? what level is wanted?) and, now and then, a
repaint of the background when the picture moves a pixel or dims a step. This prints both, how often
the repaint comes with a typical show, and so the cost averaged over frames. Run twice, say the load:
    .venv/bin/python -m benchmarks.panel [--size 3840x2160]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from types import SimpleNamespace

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import pygame

from installation.calibration import panel as care
from installation.display.screen import Screen
from installation.player.panel_care import AmbientSensor, PanelCare
from installation.scenes.layout import grid_boxes, morph_box
from installation.scenes.morph import MorphPlan, MorphView
from installation.scenes.walk import WalkParams
from installation.show.config import Ambient, parse_show, parse_size

BUDGET_MS = 0.2
FPS = 60
SHOW = {"timezone": "Europe/Vienna", "walk": {"keyframe_s": 4.0},
        "panel": {"orbit": {"amplitude_px": 3, "period_s": 900},
                  "brightness": {"points": [["08:00", 0.5], ["10:00", 1.0], ["19:00", 1.0], ["22:00", 0.4]]},
                  "refresh_s": 10}}


def timings(fn, repeat: int) -> list[float]:
    fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p50(xs: list[float]) -> float:
    return statistics.median(xs)


def p99(xs: list[float]) -> float:
    return sorted(xs)[min(len(xs) - 1, int(len(xs) * 0.99))]


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="ascii", errors="replace"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def repaints_per_hour(show, t0: float) -> tuple[int, int]:
    """(orbit moves, level steps) in the busiest hour of the show's day, seams every keyframe: the
    pure decisions panel care makes, without a screen."""
    keyframe_s = show.walk.keyframe_s
    orbit, points = show.panel.orbit, show.panel.brightness.minutes()
    best = (0, 0)
    for hour in range(24):
        shift, level, moves, steps = (0, 0), None, 0, 0
        for k in range(int(3600 / keyframe_s)):
            t = t0 + hour * 3600 + k * keyframe_s
            new = care.step_towards(shift, care.orbit(t, orbit.amplitude_px, orbit.period_s))
            moves += new != shift
            shift = new
            want = care.daily_level(points, hour * 60 + k * keyframe_s / 60)
            if level is None or abs(want - level) >= care.LEVEL_STEP:
                steps += level is not None
                level = want
        best = max(best, (moves, steps), key=sum)
    return best


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="3840x2160", help="WIDTHxHEIGHT of the screen (default 3840x2160)")
    ap.add_argument("--frames", type=int, default=3000, help="frames timed per figure")
    args = ap.parse_args(argv)
    size = parse_size(args.size)
    pygame.display.init()
    surface = pygame.display.set_mode(size)
    show = parse_show(SHOW, "benchmark")
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    screen = Screen(surface, background=(255, 255, 255))
    screen.clear()
    t0 = 1_765_000_000.0

    # ---- every frame: the check (seam? level? refresh?) with nothing to change -------------------
    view = MorphView(MorphPlan(WalkParams(seed=0, z_dim=100), FPS), 64, "smooth")
    stage = SimpleNamespace(current=SimpleNamespace(view=view), fade_from=None)
    panel = PanelCare(print)
    panel.frame(show, t0, False, stage, screen)
    frame_no = iter(range(1, 10**9))
    # frames inside one keyframe: nothing moves, as on 239 frames of 240
    check = timings(lambda: panel.frame(show, t0 + (next(frame_no) % 200) / FPS, False, stage, screen), args.frames)

    # ---- now and then: a move or a level step repaints the background ----------------------------
    shifts = iter([(x % 7 - 3, x % 5 - 2) for x in range(10**6)])
    repaint = timings(lambda: screen.care(next(shifts), 0.8), 100)
    moves, steps = repaints_per_hour(show, t0)
    frames_per_hour = FPS * 3600
    orbit_avg = p50(check) + (moves * p50(repaint)) / frames_per_hour
    level_avg = p50(check) + (steps * p50(repaint)) / frames_per_hour

    # ---- what the orbit adds to the draws: a morph image after image, as the player places it (scaled
    # straight into the display, kept the amplitude off the edges: Screen.care's inset), and a 16x9 grid
    amplitude = show.panel.orbit.amplitude_px

    def screens(shift, inset):
        other = Screen(surface, background=(255, 255, 255))
        other.care(shift, 1.0, inset)
        tiles = [(other.place_tile(small, b), None, 0.0) for b in grid_boxes(*other.size, 16, 9)]
        return other, morph_box(*other.size, 64, "smooth", inset), tiles
    kinds = {"off": screens((0, 0), 0), "on, unmoved": screens((0, 0), amplitude),
             "on, (1, -1)": screens((1, -1), amplitude),
             f"on, ({-amplitude}, {amplitude})": screens((-amplitude, amplitude), amplitude)}
    morph_ms, grid_ms = {k: [] for k in kinds}, {k: [] for k in kinds}
    placed = {k: other.place(small, box) for k, (other, box, _) in kinds.items()}   # a morph's first image
    in_place = dict.fromkeys(kinds, True)

    def morph(k, other, box):
        placed[k] = other.place(small, box, "smooth", replacing=placed[k])
        other.draw(placed[k])
        in_place[k] = in_place[k] and placed[k].in_place is not None
    # interleaved, frame by frame, so the machine's other load falls on all alike
    for _ in range(300):
        for k, (other, box, tiles) in kinds.items():
            morph_ms[k] += timings(lambda: morph(k, other, box), 1)
            grid_ms[k] += timings(lambda: other.draw_blends(tiles), 1)
    drawn_avg = max(0.0, max(p50(morph_ms[k]) for k in kinds if k != "off") - p50(morph_ms["off"]))   # the worst shift

    # ---- brightness in the worker: the dimmed table on each small image --------------------------
    screen.care((0, 0), 1.0)
    identity_image = p50(timings(lambda: screen.colour(small), 2000))
    screen.care((0, 0), 0.7)
    dimmed_image = p50(timings(lambda: screen.colour(small), 2000))
    rebuild = p50(timings(lambda: screen.care((0, 0), 0.7 + rng.random() * 0.2), 50))

    # ---- the light sensor: its thread's read, off the render loop --------------------------------
    path = "/tmp/aimoji-benchmark-illuminance"
    with open(path, "w") as f:
        f.write("123\n")
    sensor = AmbientSensor(Ambient(path=path, points=[(0, 0.4), (300, 1.0)]), print)
    sensor_ms = p50(timings(sensor.poll, 500))
    os.unlink(path)

    # ---- the refresh at closing: a whole-panel flood per frame, while closed ---------------------
    flood = p50(timings(lambda: screen.flood((255, 255, 255)), 100))

    load = os.getloadavg()
    w, h = size
    print(f"panel care at {w}x{h}, {FPS} fps; {cpu_name()}, {os.cpu_count()} CPUs; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"every frame, nothing to change (seam, level, refresh checks): p50 {p50(check) * 1000:.1f} us, "
          f"p99 {p99(check) * 1000:.1f} us")
    print(f"a repaint (a pixel moved or a level step: background and margins): {p50(repaint):.2f} ms, "
          f"p99 {p99(repaint):.2f} ms")
    print(f"show '{show.panel.orbit.amplitude_px} px orbit over {show.panel.orbit.period_s:g} s, keyframes "
          f"every {show.walk.keyframe_s:g} s', busiest hour: {moves} moves, {steps} level steps "
          f"(of {frames_per_hour} frames)")
    print(f"  orbit, moving:     {orbit_avg * 1000:.1f} us per frame averaged "
          f"({orbit_avg / BUDGET_MS:.3f} of the {BUDGET_MS} ms budget)")
    print(f"  orbit, drawing shifted (a morph, the worst shift against none): {drawn_avg * 1000:.0f} us per "
          f"frame ({drawn_avg / BUDGET_MS:.2f} of the budget)")
    print(f"  brightness: {level_avg * 1000:.1f} us per frame averaged "
          f"({level_avg / BUDGET_MS:.3f} of the budget); the table rebuilt {rebuild:.2f} ms a step, repaint "
          f"included")
    print(f"a frame drawn, orbit {' / '.join(kinds)}: morph {kinds['off'][1][3]} / {kinds['on, unmoved'][1][3]}"
          f" px, image after image, "
          + " / ".join(f"{p50(morph_ms[k]):.2f}" for k in kinds) + " ms, scaled in place: "
          + " / ".join("yes" if in_place[k] else "no" for k in kinds) + "; 16x9 grid "
          + " / ".join(f"{p50(grid_ms[k]):.2f}" for k in kinds) + " ms")
    print(f"the colour table on a 64 px image in the worker: identity {identity_image * 1000:.1f} us, "
          f"dimmed {dimmed_image * 1000:.1f} us (off the render loop)")
    print(f"light sensor: one read {sensor_ms * 1000:.1f} us on its own thread every poll_s (2 s), "
          f"0 on the render loop")
    print(f"refresh at closing: {flood:.2f} ms a frame for refresh_s, only while closed")


if __name__ == "__main__":
    main()
