"""Panel care maths (pure): the pixel orbit, brightness curves and the colour table dimmed to a level.

A panel that shows one piece for months ages where the picture never changes: OLED and plasma burn in,
LCDs keep images. The orbit moves the whole picture a few pixels over minutes; the brightness follows a
daily curve (and, optionally, the room's light) through the calibration's colour table, so no extra
pass over the frame is needed. docs/operations.md says which panel needs which.
"""

from __future__ import annotations

import math

import numpy as np

# The orbit's two axes run at periods in the golden ratio: the path never closes, so over hours the
# picture visits every offset in the square instead of wearing one circle into the panel.
GOLDEN = (1 + math.sqrt(5)) / 2
LEVEL_STEP = 1 / 255     # the table's resolution: a level change smaller than this changes nothing visible


def orbit(t: float, amplitude_px: int, period_s: float) -> tuple[int, int]:
    """The picture's offset (dx, dy) in whole pixels at time t (seconds, any epoch): a Lissajous path
    within +-amplitude_px, x once per period_s, y once per period_s * golden ratio. Its speed is at most
    2 pi amplitude_px / period_s pixels a second on each axis, so two moments less than
    period_s / (2 pi amplitude_px) apart differ by at most one pixel on each axis."""
    if amplitude_px <= 0:
        return 0, 0
    phase = 2 * math.pi * t / period_s
    return round(amplitude_px * math.sin(phase)), round(amplitude_px * math.sin(phase / GOLDEN))


def step_towards(current: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """One move of at most one pixel on each axis from current towards target: however far the orbit
    went since the last safe moment, the picture never jumps more than a pixel."""
    return tuple(c + max(-1, min(1, g - c)) for c, g in zip(current, target))


def interpolate(points: list[tuple[float, float]], x: float) -> float:
    """The piecewise-linear curve through (x, y) points sorted by x, at x; flat beyond the ends."""
    xs, ys = zip(*points)
    return float(np.interp(x, xs, ys))


def daily_level(points: list[tuple[int, float]], minute: float) -> float:
    """A daily curve of (minute of the day, level) points at `minute` (0 <= minute < 1440), linear
    between points and round midnight: after the last point it heads for the first one of the next day."""
    pts = sorted(points)
    first, last = pts[0], pts[-1]
    wrapped = [(last[0] - 1440, last[1]), *pts, (first[0] + 1440, first[1])]
    return interpolate(wrapped, minute)


def smoothed(previous: float | None, sample: float, dt_s: float, time_constant_s: float) -> float:
    """Exponential smoothing of a sensor reading: `previous` moved towards `sample` by the share an RC
    filter with this time constant moves in dt_s (the first reading is taken as it is)."""
    if previous is None or time_constant_s <= 0:
        return sample
    return previous + (sample - previous) * (1.0 - math.exp(-max(0.0, dt_s) / time_constant_s))


def parse_reading(raw: bytes, scale: float) -> float:
    """An IIO sensor's text value ('123\\n', '45.6') times its scale, in lux; ValueError when it is not
    a finite, non-negative number."""
    value = float(raw.decode("ascii").strip()) * scale
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"'{raw.decode('ascii', 'replace').strip()}' is not a light level")
    return value


def refresh_colour(elapsed_s: float, refresh_s: float) -> tuple[int, int, int] | None:
    """The refresh at closing, `elapsed_s` after it: full white for the first half, black for the
    second; None once it is over."""
    if not 0 <= elapsed_s < refresh_s:
        return None
    return (255, 255, 255) if elapsed_s < refresh_s / 2 else (0, 0, 0)


def dimmed_lut(lut: np.ndarray, level: float) -> np.ndarray:
    """A [3, 256] uint8 colour table with every output multiplied by level (0..1), rounded half up: the
    calibration and the dimming in one table, applied to the small generated images and the background."""
    if level >= 1:
        return lut
    return np.floor(lut.astype(np.float64) * max(0.0, level) + 0.5).astype(np.uint8)
