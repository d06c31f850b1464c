"""Cost of calibration per frame: colour LUT and geometry at the blit, 1080p. Target: <= 1 ms per frame.

Prints ms per call (median of several runs) and the ratio to the 1 ms budget. Run:
    .venv/bin/python -m benchmarks.calibration
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import pygame
from PIL import Image

from installation.calibration import profile as cal
from installation.calibration.apply import Calibration
from installation.display.screen import Screen
from installation.scenes.layout import morph_box

BUDGET_MS = 1.0
SCREEN = (1920, 1080)


def ms(fn, repeat: int = 30) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    pygame.display.init()
    screen = pygame.display.set_mode(SCREEN)
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (SCREEN[1], SCREEN[0], 3), dtype=np.uint8)
    small64 = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    small128 = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
    colour = cal.Colour(gamma=2.2, brightness=-0.02, contrast=1.1, red=0.95, blue=1.05)
    lut = cal.colour_lut(colour)
    table = lut.ravel().tolist()
    frame_surface = pygame.Surface(SCREEN).convert()
    pygame.surfarray.blit_array(frame_surface, frame.transpose(1, 0, 2))

    def place(geometry: cal.Geometry):  # a whole screen-sized picture through the Screen (calibrate's patterns)
        target = Screen(screen, Calibration(cal.Profile(geometry=geometry)))
        picture = pygame.transform.smoothscale(frame_surface, target.size)
        return lambda: target.draw(target.place(picture, (0, 0, *target.size)))

    def small_then_scale():  # what the player should do: LUT on the generated image, then upscale
        img = cal.apply_lut(small64, lut)
        surf = pygame.image.frombuffer(img.tobytes(), (64, 64), "RGB")
        screen.blit(pygame.transform.smoothscale(surf, (1080, 1080)), (420, 0))

    calib_geo = Calibration(cal.Profile(colour=colour, geometry=cal.Geometry(rotation_deg=180, mirror_h=True,
                                                                              scale=0.98, offset_x_px=5)))

    calibrated = Screen(screen, calib_geo)
    box = morph_box(*calibrated.size, 64, "smooth")

    def small_full_calibration():  # LUT + rotate 180 + mirror + scale + offset, straight to its place
        img = calib_geo.apply_colour(small64)
        surf = pygame.image.frombuffer(img.tobytes(), (64, 64), "RGB")
        calibrated.draw(calibrated.place(surf, box))

    small_surface = pygame.image.frombuffer(small64.tobytes(), (64, 64), "RGB")

    def added_work():  # what calibration adds to the uncalibrated draw of one generated image
        calib_geo.apply_colour(small64)
        calib_geo.orient(small_surface)
        calibrated.rect(box)

    def small_then_scale_plain():  # the same without calibration, for the ratio
        surf = pygame.image.frombuffer(small64.tobytes(), (64, 64), "RGB")
        screen.blit(pygame.transform.smoothscale(surf, (1080, 1080)), (420, 0))

    rows = [
        ("build LUT (once per profile change)", ms(lambda: cal.colour_lut(colour))),
        ("colour LUT, 64x64 generated image", ms(lambda: cal.apply_lut(small64, lut), 200)),
        ("colour LUT, 128x128 generated image", ms(lambda: cal.apply_lut(small128, lut), 200)),
        ("colour LUT, whole 1080p frame (numpy)", ms(lambda: cal.apply_lut(frame, lut), 10)),
        ("colour LUT, whole 1080p frame (Pillow point)", ms(lambda: Image.fromarray(frame).point(table), 10)),
        ("whole frame: identity (plain blit)", ms(place(cal.Geometry()))),
        ("whole frame: mirror left-right", ms(place(cal.Geometry(mirror_h=True)))),
        ("whole frame: rotate 180", ms(place(cal.Geometry(rotation_deg=180)))),
        ("whole frame: rotate 90 (fitted)", ms(place(cal.Geometry(rotation_deg=90)), 10)),
        ("whole frame: scale 0.98 + offset", ms(place(cal.Geometry(scale=0.98, offset_x_px=5)), 10)),
        ("64 px -> 1080 px upscale+blit, no calibration", ms(small_then_scale_plain)),
        ("64 px: LUT, then upscale+blit", ms(small_then_scale)),
        ("64 px: LUT + rot180 + mirror + scale, Screen.place", ms(small_full_calibration)),
        ("added work alone: LUT + orient 64 px + map the rect", ms(added_work, 300)),
    ]
    print(f"calibration cost per frame at {SCREEN[0]}x{SCREEN[1]} (budget {BUDGET_MS:g} ms), median ms:")
    for name, t in rows:
        print(f"  {name:<50} {t:8.3f} ms   {t / BUDGET_MS:6.2f}x budget")
    print(f"the player's path (apply_colour on the generated image, each small image placed by the Screen) adds "
          f"{rows[-1][1]:.3f} ms per image = {rows[-1][1] / BUDGET_MS:.2f}x the budget; a whole turned frame "
          f"would add {rows[6][1] - rows[5][1]:.3f} ms (mirror) .. {rows[8][1] - rows[5][1]:.3f} ms (rot90)")
    pygame.quit()


if __name__ == "__main__":
    main()
