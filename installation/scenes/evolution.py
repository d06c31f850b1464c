"""Evolution scene logic (pure): which recorded training frames to show, and how blended, at time t of a
loop that replays training from noise to faces, holds the final face, then fades back to noise."""

from __future__ import annotations

import math
from dataclasses import dataclass

from installation.model.timelapse import Timelapse

# Shares of one loop. The replay gets most of it; visitors need a moment with the result; the fade
# back to the first (noise) frame makes the loop join without a cut.
PLAY_SHARE = 0.80
HOLD_SHARE = 0.15
RETURN_SHARE = 0.05


@dataclass(frozen=True)
class Pick:
    a: int       # frame shown
    b: int       # frame blended in over it
    w: float     # weight of b, 0..1 (0: only a)

    @property
    def nearest(self) -> int:
        """The frame that dominates the mix (for the caption)."""
        return self.b if self.w >= 0.5 else self.a


def phases(loop_s: float) -> tuple[float, float, float]:
    """(play_s, hold_s, return_s): seconds of replay, of holding the final frame, of fading to noise."""
    return loop_s * PLAY_SHARE, loop_s * HOLD_SHARE, loop_s * RETURN_SHARE


def smoothstep(x: float) -> float:
    """0..1 -> 0..1 with zero slope at both ends (the fade back starts and lands gently)."""
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def pick(t: float, loop_s: float, frames: int) -> Pick:
    """The frames to mix at t seconds after the replay started (t wraps every loop_s).

    Replay: frame position moves linearly from 0 to N-1, blending each recorded frame into the next.
    Hold: the last frame alone. Return: the last frame fades into frame 0, which is where the next
    loop begins, so the image is continuous in t everywhere, the loop seam included.
    """
    if frames <= 1:
        return Pick(0, 0, 0.0)
    play_s, hold_s, return_s = phases(loop_s)
    u = t % loop_s
    last = frames - 1
    if u < play_s:
        x = u / play_s * last
        a = min(math.floor(x), last - 1)
        return Pick(a, a + 1, min(1.0, x - a))
    if u < play_s + hold_s:
        return Pick(last, last, 0.0)
    return Pick(last, 0, smoothstep((u - play_s - hold_s) / return_s))


def caption(timelapse: Timelapse, index: int) -> str:
    """The small corner label for recorded frame `index`."""
    return f"epoch {timelapse.epochs[index]} · step {timelapse.steps[index]:,}"
