"""Steering the walk toward a mood: more emoji of that mood, z stays in the region, the walk stays smooth."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from installation.model.moods import MoodRegion, MoodsError, parse_moods, steer
from installation.scenes.base import SceneUnavailable
from installation.scenes.registry import mood_steer

Z_DIM = 32
MOODS = ("neutral", "horror", "happy", "sad")


def cosine_to(z: np.ndarray, region: MoodRegion) -> np.ndarray:
    """Cosine between z ([z_dim] or [B, z_dim]) and the region's centroid."""
    z = np.asarray(z, dtype=np.float64)
    return (z @ region.centroid) / np.maximum(np.linalg.norm(z, axis=-1), 1e-12)


def _toy_world(seed=0):
    """A stand-in for generator + classifier: the mood of z is the mood direction it leans on most."""
    rng = np.random.default_rng(seed)
    directions = np.linalg.qr(rng.normal(size=(Z_DIM, len(MOODS))))[0].T  # 4 orthonormal rows

    def classify(zs):
        scores = zs @ directions.T / np.linalg.norm(zs, axis=1, keepdims=True)
        best = scores.argmax(axis=1)
        # weak leanings are 'other', as most generated emoji are no clear mood
        return np.where(scores.max(axis=1) > 0.25, best, -1)

    return directions, classify


def _payload(classify, seed=1, n=4000):
    """What the trainer computes: per mood, the mean unit z of the samples classified as that mood."""
    zs = np.random.default_rng(seed).normal(size=(n, Z_DIM))
    units = zs / np.linalg.norm(zs, axis=1, keepdims=True)
    labels = classify(zs)
    centroids, radius = {}, {}
    for k, mood in enumerate(MOODS):
        members = units[labels == k]
        c = members.mean(axis=0)
        c /= np.linalg.norm(c)
        centroids[mood] = c.tolist()
        radius[mood] = float(np.median(members @ c))
    return {"classes": list(MOODS), "centroids": centroids, "radius_cos": radius}


def _free_walk(seed=2, keys=12, frames_per_key=40):
    """A smooth latent walk: slerp between Gaussian keyframes (what the player's walk does, roughly)."""
    rng = np.random.default_rng(seed)
    keyframes = rng.normal(size=(keys, Z_DIM))
    frames = []
    for a, b in zip(keyframes[:-1], keyframes[1:]):
        omega = math.acos(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))
        for t in np.linspace(0, 1, frames_per_key, endpoint=False):
            frames.append((math.sin((1 - t) * omega) * a + math.sin(t * omega) * b) / math.sin(omega))
    return np.array(frames)


@pytest.mark.parametrize("mood", MOODS)
def test_steered_walk_shows_the_mood_more_often_than_the_free_walk(mood):
    _, classify = _toy_world()
    payload = _payload(classify)
    walk = _free_walk()
    k = MOODS.index(mood)
    free_rate = np.mean(classify(walk) == k)
    region = parse_moods(payload, Z_DIM)[mood]
    strength = region.inside_strength + 0.1
    steered = steer(walk, region, strength)
    steered_rate = np.mean(classify(steered) == k)
    assert free_rate < 0.2 and steered_rate > 0.8, (free_rate, steered_rate)


def test_centroid_of_the_toy_world_points_at_the_true_mood_direction():
    directions, classify = _toy_world()
    regions = parse_moods(_payload(classify), Z_DIM)
    for k, mood in enumerate(MOODS):
        assert regions[mood].centroid @ directions[k] > 0.9


@pytest.mark.parametrize("strength", [0.2, 0.5, 0.8])
def test_steered_z_stays_inside_the_region_and_keeps_its_length(strength):
    _, classify = _toy_world()
    region = parse_moods(_payload(classify), Z_DIM)["happy"]
    zs = np.random.default_rng(5).normal(size=(2000, Z_DIM))
    out = steer(zs, region, strength)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(zs, axis=1), rtol=1e-9)
    # the angle to the centroid shrinks by the factor (1 - strength), so it never exceeds that * 180 deg
    theta = np.arccos(np.clip(cosine_to(zs, region), -1, 1))
    phi = np.arccos(np.clip(cosine_to(out, region), -1, 1))
    np.testing.assert_allclose(phi, (1 - strength) * theta, atol=1e-6)
    assert np.all(cosine_to(out, region) >= math.cos((1 - strength) * math.pi) - 1e-9)
    inside = np.mean(cosine_to(out, region) >= region.radius_cos)
    if strength >= region.inside_strength + 0.1:
        assert inside > 0.9  # past the region's median angle for (nearly) every z
    else:
        assert inside < 0.5


def test_strength_zero_leaves_z_alone_and_steering_is_continuous():
    _, classify = _toy_world()
    region = parse_moods(_payload(classify), Z_DIM)["sad"]
    walk = _free_walk()
    np.testing.assert_allclose(steer(walk, region, 0.0), walk, atol=1e-9)
    steered = steer(walk, region, 0.9)
    free_steps = np.linalg.norm(np.diff(walk, axis=0), axis=1)
    steered_steps = np.linalg.norm(np.diff(steered, axis=0), axis=1)
    # a smooth walk stays smooth: no frame jumps further than the free walk's largest step
    assert steered_steps.max() <= free_steps.max() * 1.05


def test_single_vector_and_dtype_are_kept():
    z = np.random.default_rng(0).normal(size=Z_DIM).astype(np.float32)
    region = MoodRegion("happy", np.eye(Z_DIM)[0], 0.3)
    steer_z = mood_steer("happy", SimpleNamespace(moods={"centroids": {"happy": np.eye(Z_DIM)[0].tolist()},
                                                         "radius_cos": {"happy": 0.3}}, z_dim=Z_DIM))
    out = steer_z(z)
    assert out.shape == (Z_DIM,) and out.dtype == np.float32
    assert cosine_to(out, region) > cosine_to(z, region)


@pytest.mark.parametrize("payload, mood, problem", [
    (None, "happy", "no 'moods' metadata"),
    ({"centroids": {"happy": [1.0, 0.0]}}, "happy", "z_dim is 32"),
    ({"centroids": {"happy": [0.0] * Z_DIM}}, "happy", "zero"),
    ({"centroids": {"happy": ["a"] * Z_DIM}}, "happy", "not a list of numbers"),
    ({"centroids": {"happy": [1.0] * Z_DIM}, "radius_cos": {"happy": 3}}, "happy", "cosine"),
    ({"centroids": {"happy": [1.0] * Z_DIM}}, "sad", "no region for mood 'sad'"),
])
def test_unusable_payloads_make_the_scene_unavailable_with_one_clear_line(payload, mood, problem):
    with pytest.raises(SceneUnavailable, match=problem):
        mood_steer(mood, SimpleNamespace(moods=payload, z_dim=Z_DIM))


def test_strength_outside_0_to_1_is_refused():
    with pytest.raises(MoodsError, match="0..1"):
        steer(np.ones(Z_DIM), MoodRegion("happy", np.eye(Z_DIM)[0], 0.3), 1.5)
