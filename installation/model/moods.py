"""Steer a latent toward a mood's region, from the `moods` payload in the model's metadata (numpy only).

The trainer's `aimoji-train moods --embed` writes, per mood, the mean direction (unit vector) of latents
whose generated emoji the mood classifier was sure about, and how far such latents typically lie from
it (`radius_cos`, the median cosine). Steering rotates z toward that direction, keeping its length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MOODS = ("neutral", "horror", "happy", "sad")
# In many dimensions a random direction is almost exactly 90 degrees from any fixed one.
TYPICAL_ANGLE = math.pi / 2


class MoodsError(ValueError):
    """The moods payload is unusable, or lacks the asked-for mood; one line for a technician."""


@dataclass(frozen=True)
class MoodRegion:
    name: str
    centroid: np.ndarray  # float64 [z_dim], unit length
    radius_cos: float     # median cosine between the mood's confident latents and the centroid

    @property
    def radius_angle(self) -> float:
        return math.acos(min(1.0, max(-1.0, self.radius_cos)))

    @property
    def inside_strength(self) -> float:
        """The least strength that brings a typical (90 degrees away) z inside the region."""
        return max(0.0, 1.0 - self.radius_angle / TYPICAL_ANGLE)


def parse_moods(payload: dict | None, z_dim: int) -> dict[str, MoodRegion]:
    """Check the payload (parsed JSON) and return the regions it defines, by mood name."""
    if not isinstance(payload, dict):
        raise MoodsError("the model has no 'moods' metadata (run 'aimoji-train moods ... --embed')")
    centroids = payload.get("centroids")
    radii = payload.get("radius_cos", {})
    if not isinstance(centroids, dict) or not isinstance(radii, dict):
        raise MoodsError("moods metadata: 'centroids' and 'radius_cos' must be objects")
    regions = {}
    for name, values in centroids.items():
        try:
            vec = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise MoodsError(f"moods metadata: centroid '{name}' is not a list of numbers") from None
        if vec.shape != (z_dim,):
            raise MoodsError(f"moods metadata: centroid '{name}' has shape {list(vec.shape)}, model z_dim is {z_dim}")
        norm = float(np.linalg.norm(vec))
        if not math.isfinite(norm) or norm == 0.0:
            raise MoodsError(f"moods metadata: centroid '{name}' is zero or not finite")
        radius = radii.get(name, 0.0)
        if not isinstance(radius, (int, float)) or not -1.0 <= radius <= 1.0:
            raise MoodsError(f"moods metadata: radius_cos '{name}' = {radius!r}, expected a cosine in -1..1")
        regions[name] = MoodRegion(name, vec / norm, float(radius))
    return regions


def steer(z: np.ndarray, region: MoodRegion, strength: float) -> np.ndarray:
    """Rotate z ([z_dim] or [B, z_dim]) toward the region's centroid by a fraction of the angle, keeping |z|.

    The angle to the centroid is scaled by (1 - strength): 0 leaves z alone, 1 sits on the centroid.
    A random z starts about 90 degrees away, so strength >= 1 - radius_angle / 90 degrees brings it
    inside the region (closer than the mood's median confident latent). Scaling an angle is continuous
    in z (a smooth walk stays smooth) and keeps each z's own offset around the centroid, so the steered
    walk still wanders, only inside the mood's cone.
    """
    if not 0.0 <= strength <= 1.0:
        raise MoodsError(f"mood strength must be in 0..1, got {strength}")
    z = np.asarray(z, dtype=np.float64)
    single = z.ndim == 1
    zs = np.atleast_2d(z)
    c = region.centroid
    norms = np.linalg.norm(zs, axis=1, keepdims=True)
    u = zs / np.where(norms > 0, norms, 1.0)
    cos = np.clip(u @ c, -1.0, 1.0)[:, None]
    theta = np.arccos(cos)
    ortho = u - cos * c[None, :]
    ortho_norm = np.linalg.norm(ortho, axis=1, keepdims=True)
    # z exactly on the centroid or its antipode has no direction of approach: keep z as it is there
    safe = ortho_norm > 1e-12
    w = ortho / np.where(safe, ortho_norm, 1.0)
    phi = theta * (1.0 - strength)
    steered = norms * (np.cos(phi) * c[None, :] + np.sin(phi) * w)
    out = np.where(safe, steered, zs)
    return out[0] if single else out
