"""Quality figures for a generator: emoji Frechet distance (FED), k-NN precision/recall, memorisation.

Pure numpy on feature/pixel arrays; the mood classifier's pooled backbone supplies the features.
"""

from __future__ import annotations

import numpy as np

CHUNK = 1024  # query rows per distance block: 1024 x 3000 float64 is 24 MB


def gaussian(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean [d] and covariance [d, d] (unbiased) of features [n, d]; needs n >= 2."""
    feats = np.asarray(feats, np.float64)
    if feats.ndim != 2 or len(feats) < 2:
        raise ValueError(f"need at least 2 feature vectors [n, d], got shape {list(feats.shape)}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (negative eigen-noise -> 0)."""
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr((C1 C2)^1/2), the Frechet distance of two Gaussians.

    tr((C1 C2)^1/2) is computed as tr((S C2 S)^1/2) with S = C1^1/2: the same eigenvalues, but of a
    symmetric matrix, so no complex round-off as with a general matrix square root.
    """
    s1 = sqrt_psd(cov1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(s1 @ cov2 @ s1), 0, None)).sum()
    diff = np.asarray(mu1) - np.asarray(mu2)
    return float(max(0.0, diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * cross))


def fed(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets."""
    return frechet_distance(*gaussian(feats_a), *gaussian(feats_b))


def _sq_dists(q: np.ndarray, r: np.ndarray, r_sq: np.ndarray) -> np.ndarray:
    d = (q * q).sum(1)[:, None] + r_sq[None, :] - 2.0 * (q @ r.T)
    return np.maximum(d, 0.0)


def nearest(query: np.ndarray, ref: np.ndarray, k: int = 1,
            exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distance [n] to, and index [n] of, each query row's k-th nearest ref row.

    exclude_self: query and ref are the same set, so each row's zero distance to itself is skipped.
    """
    query = np.asarray(query, np.float64).reshape(len(query), -1)
    ref = np.asarray(ref, np.float64).reshape(len(ref), -1)
    if len(ref) < k + exclude_self:
        raise ValueError(f"need more than {k} reference rows, got {len(ref)}")
    r_sq = (ref * ref).sum(1)
    dist, idx = np.empty(len(query)), np.empty(len(query), np.int64)
    for start in range(0, len(query), CHUNK):
        d = _sq_dists(query[start:start + CHUNK], ref, r_sq)
        if exclude_self:
            rows = np.arange(len(d))
            d[rows, start + rows] = np.inf
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(d, part, 1), axis=1)
        kth = np.take_along_axis(part, order, 1)[:, k - 1]
        idx[start:start + CHUNK] = kth
        dist[start:start + CHUNK] = np.sqrt(d[np.arange(len(d)), kth])
    return dist, idx


def _inside(query: np.ndarray, ref: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Mask: query row lies within the k-NN ball of at least one ref row."""
    ref_sq = (ref * ref).sum(1)
    out = np.zeros(len(query), bool)
    for start in range(0, len(query), CHUNK):
        d = np.sqrt(_sq_dists(query[start:start + CHUNK], ref, ref_sq))
        out[start:start + CHUNK] = (d <= radii[None, :]).any(axis=1)
    return out


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> dict:
    """Kynkaanniemi et al. (2019): the manifold of a set is the union of balls reaching each point's
    k-th nearest neighbour. Precision = share of fakes inside the real manifold (are they realistic);
    recall = share of reals inside the fake manifold (is the variety covered)."""
    real = np.asarray(real, np.float64)
    fake = np.asarray(fake, np.float64)
    real_r, _ = nearest(real, real, k, exclude_self=True)
    fake_r, _ = nearest(fake, fake, k, exclude_self=True)
    return {"precision": float(_inside(fake, real, real_r).mean()),
            "recall": float(_inside(real, fake, fake_r).mean()), "k": k}


def memorisation(gen_px: np.ndarray, gen_feat: np.ndarray, train_px: np.ndarray, train_feat: np.ndarray,
                 held_px: np.ndarray, held_feat: np.ndarray, percentile: float = 1.0, show: int = 12) -> dict:
    """Each sample's nearest training image (pixels, features); the share closer than real-vs-real.

    Held-out emoji are different emoji from the training ones (split by name), so the `percentile`-th
    percentile of their distances to the nearest training image is how close two *different* real
    emoji get. A sample closer than that to a training image is likely a copy.
    Pixels are float in [0, 1]; pixel distances are RMS per value (0 = identical, 1 = black vs white).
    """
    n_values = np.prod(np.asarray(gen_px).shape[1:])
    px_d, px_i = nearest(gen_px, train_px)
    ft_d, ft_i = nearest(gen_feat, train_feat)
    held_px_d, _ = nearest(held_px, train_px)
    held_ft_d, _ = nearest(held_feat, train_feat)
    px_d, held_px_d = px_d / np.sqrt(n_values), held_px_d / np.sqrt(n_values)
    px_thr = float(np.percentile(held_px_d, percentile))
    ft_thr = float(np.percentile(held_ft_d, percentile))
    closest = np.argsort(px_d, kind="stable")[:show]
    return {
        "percentile": percentile,
        "pixel_threshold": px_thr,
        "feature_threshold": ft_thr,
        "fraction_pixel": float((px_d < px_thr).mean()),
        "fraction_feature": float((ft_d < ft_thr).mean()),
        "median_pixel_nn": float(np.median(px_d)),
        "median_pixel_nn_real": float(np.median(held_px_d)),
        "closest": [{"sample": int(i), "train_index": int(px_i[i]), "pixel_rms": float(px_d[i]),
                     "feature_dist": float(ft_d[i]), "feature_nn_index": int(ft_i[i])} for i in closest],
    }
