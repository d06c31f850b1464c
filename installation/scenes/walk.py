"""The latent walk: a pure, time-addressed function `latent_at(seed, t, ...)` -> z on the sphere.

Keyframe k is drawn from a random stream seeded by (seed, k) alone, so any frame can be computed
without its history and two machines with the same seed and clock show the same emoji.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Tags keep the anchor's and the keyframes' random streams apart for the same seed.
_ANCHOR_TAG = 0xA1C4
_KEY_TAG = 0x5EED
# Keyframe indices may be negative (phases, t < 0); SeedSequence wants non-negative entropy.
_K_OFFSET = 1 << 62


@dataclass(frozen=True)
class WalkParams:
    """How the walk moves; one per scene. Times in seconds of walk clock."""
    seed: int
    z_dim: int
    keyframe_s: float = 4.0       # seconds between keyframes (before speed)
    speed: float = 1.0            # multiplies the clock
    wander: float = 1.0           # 0: still on the anchor, 1: normal, 3: keyframes nearly independent
    loop_keyframes: int | None = None  # keyframe index taken modulo this: the walk repeats exactly


@lru_cache(maxsize=4096)
def _unit_gaussian(seed: int, tag: int, k: int, z_dim: int) -> np.ndarray:
    rng = np.random.default_rng([seed, tag, k + _K_OFFSET])
    g = rng.standard_normal(z_dim)
    g.setflags(write=False)
    return g


def anchor(seed: int, z_dim: int) -> np.ndarray:
    """The point the walk wanders around (the mean of its keyframes' directions)."""
    return _unit_gaussian(seed, _ANCHOR_TAG, 0, z_dim)


def keyframe(p: WalkParams, k: int) -> np.ndarray:
    """Keyframe k: anchor + wander * fresh noise, scaled to the typical norm sqrt(z_dim) of N(0, I)."""
    if p.loop_keyframes:
        k %= p.loop_keyframes
    v = anchor(p.seed, p.z_dim) + p.wander * _unit_gaussian(p.seed, _KEY_TAG, k, p.z_dim)
    return v * (math.sqrt(p.z_dim) / max(float(np.linalg.norm(v)), 1e-12))


def catmull_rom(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, f: float) -> np.ndarray:
    """Uniform Catmull-Rom between p1 (f=0) and p2 (f=1): passes through keyframes, C1 at joins."""
    f2, f3 = f * f, f * f * f
    return 0.5 * ((2 * p1) + (p2 - p0) * f + (2 * p0 - 5 * p1 + 4 * p2 - p3) * f2
                  + (3 * p1 - p0 - 3 * p2 + p3) * f3)


def keyframe_position(p: WalkParams, t: float, phase_keyframes: float = 0.0) -> tuple[int, float]:
    """(keyframe index k, fraction 0..1 towards k+1) at walk time t."""
    u = t * p.speed / p.keyframe_s + phase_keyframes
    k = math.floor(u)
    return k, u - k


def latent_at(p: WalkParams, t: float, phase_keyframes: float = 0.0) -> np.ndarray:
    """z (float32, shape [z_dim]) at walk time t: a spline through the keyframes, projected onto
    the sphere of radius sqrt(z_dim) (projection keeps it C1 and avoids the low-norm middle of a
    straight line, where DCGANs draw washed-out images)."""
    k, f = keyframe_position(p, t, phase_keyframes)
    pts = [keyframe(p, k + i) for i in (-1, 0, 1, 2)]
    v = catmull_rom(*pts, f)
    v = v * (math.sqrt(p.z_dim) / max(float(np.linalg.norm(v)), 1e-12))
    return v.astype(np.float32)


def loop_params(p: WalkParams, loop_s: float) -> WalkParams:
    """The same walk adjusted to repeat exactly every loop_s seconds (for seamless loops): a whole
    number (>= 3) of keyframes fits in the loop, so the last frame flows into the first."""
    n = max(3, round(loop_s * p.speed / p.keyframe_s))
    return WalkParams(seed=p.seed, z_dim=p.z_dim, keyframe_s=loop_s * p.speed / n, speed=p.speed,
                      wander=p.wander, loop_keyframes=n)


def walk_for(show, z_dim: int) -> WalkParams:
    """The walk a show asks for (its seed and [walk] section), for a model with z_dim latent dimensions."""
    return WalkParams(seed=show.seed, z_dim=z_dim, keyframe_s=show.walk.keyframe_s,
                      speed=show.walk.speed, wander=show.walk.wander)
