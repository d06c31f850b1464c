"""The latent walk: same seed and clock give the same z anywhere, smoothly, without history."""

import math

import numpy as np
import pytest

from installation.scenes.walk import WalkParams, keyframe, latent_at, loop_params


def latents_at(p: WalkParams, ts) -> np.ndarray:
    """latent_at for each t -> [N, z_dim]."""
    return np.stack([latent_at(p, float(t)) for t in np.atleast_1d(ts)])

P = WalkParams(seed=2019, z_dim=100, keyframe_s=3.0)
EPOCH_T = 1_790_000_000.25  # a wall-clock time in 2026: the player's walk time is epoch seconds


@pytest.mark.parametrize("t", [0.0, 1.234, 3.0, EPOCH_T, EPOCH_T + 1 / 60])
def test_two_walkers_same_seed_and_time_give_identical_z(t):
    a = latent_at(WalkParams(seed=2019, z_dim=100, keyframe_s=3.0), t)
    b = latent_at(WalkParams(seed=2019, z_dim=100, keyframe_s=3.0), t)
    assert a.dtype == np.float32 and a.shape == (100,)
    assert np.array_equal(a, b)


def test_frame_n_does_not_depend_on_the_frames_before_it():
    ts = EPOCH_T + np.arange(300) / 60
    in_order = latents_at(P, ts)
    latent_at.__globals__["_unit_gaussian"].cache_clear()
    alone = latent_at(P, float(ts[217]))            # cold cache, no history
    backwards = latents_at(P, ts[::-1])[::-1]       # visited in reverse
    assert np.array_equal(alone, in_order[217])
    assert np.array_equal(backwards, in_order)


def test_different_seeds_walk_elsewhere():
    other = WalkParams(seed=2020, z_dim=100, keyframe_s=3.0)
    cos = float(np.dot(latent_at(P, 10.0), latent_at(other, 10.0))) / 100
    assert abs(cos) < 0.7


def test_z_stays_on_the_sphere_of_typical_norm():
    zs = latents_at(P, np.linspace(0, 30, 301))
    assert np.allclose(np.linalg.norm(zs, axis=1), math.sqrt(100), rtol=1e-5)


@pytest.mark.parametrize("k", [0, 1, 5, 123456789])
def test_walk_passes_through_each_keyframe(k):
    assert np.allclose(latent_at(P, k * P.keyframe_s), keyframe(P, k), atol=1e-5)


def _steps(p, t0, seconds, fps=60):
    zs = latents_at(p, t0 + np.arange(int(seconds * fps) + 1) / fps)
    return np.linalg.norm(np.diff(zs, axis=0), axis=1)


@pytest.mark.parametrize("t0", [0.0, EPOCH_T])
def test_consecutive_frames_differ_by_a_small_bounded_step(t0):
    steps = _steps(P, t0, seconds=60)
    # 10 keyframes apart is ~60 degrees on a sphere of radius 10: a frame moves ~0.06 on average.
    assert steps.max() < 0.2
    assert steps.min() > 0.0                      # it always moves
    assert steps.max() < 4 * np.median(steps)     # no spikes


def test_no_jump_at_keyframes_c1_smooth():
    fps = 240
    for k in (3, 4, 5):
        t = k * P.keyframe_s
        before = latent_at(P, t) - latent_at(P, t - 1 / fps)
        after = latent_at(P, t + 1 / fps) - latent_at(P, t)
        # velocity is continuous across the keyframe: same direction and size on both sides
        cos = np.dot(before, after) / (np.linalg.norm(before) * np.linalg.norm(after))
        assert cos > 0.99
        assert 0.9 < np.linalg.norm(after) / np.linalg.norm(before) < 1.1


@pytest.mark.parametrize("wander,max_step", [(0.0, 1e-6), (0.3, 0.1), (3.0, 0.3)])
def test_wander_scales_how_far_the_walk_strays(wander, max_step):
    p = WalkParams(seed=1, z_dim=64, keyframe_s=2.0, wander=wander)
    assert _steps(p, 100.0, seconds=8).max() <= max_step


def test_speed_runs_the_clock_faster():
    slow, fast = P, WalkParams(seed=2019, z_dim=100, keyframe_s=3.0, speed=2.0)
    assert np.array_equal(latent_at(fast, 7.5), latent_at(slow, 15.0))


@pytest.mark.parametrize("loop_s", [4.0, 10.0, 7.3])
def test_looped_walk_repeats_exactly_and_seams_like_a_normal_step(loop_s):
    p = loop_params(P, loop_s)
    assert p.loop_keyframes >= 3
    assert np.allclose(latent_at(p, 0.0), latent_at(p, loop_s), atol=1e-5)
    fps = 30
    n = round(loop_s * fps)
    zs = latents_at(p, np.arange(n) * loop_s / n)
    steps = np.linalg.norm(np.diff(zs, axis=0), axis=1)
    seam = np.linalg.norm(zs[0] - zs[-1])
    # the step from the last frame back to the first is like its neighbours on either side
    assert 0.8 * min(steps[0], steps[-1]) < seam < 1.25 * max(steps[0], steps[-1])
