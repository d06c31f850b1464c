"""Train the mood classifier on labelled real emoji, validated on held-out emoji NAMES (not images).

Vendor drawings of one emoji look alike, so a split by image would leak: every name (with its
man/woman/person forms) is wholly in training or wholly in validation.
"""

from __future__ import annotations

import csv
import hashlib
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from installation.model.moods import MOODS
from trainer.classifier import MoodCNN, to_input
from trainer.dataset.load import load_dataset
from trainer.moods_labels import CLASSES, group_key, label_rows, load_rules, training_class


MIN_PER_CLASS = 48


@dataclass
class Labelled:
    images: torch.Tensor   # uint8 [N, 3, S, S]
    target: np.ndarray     # int64 [N]: index into CLASSES, -1 = unlabelled face (features only)
    aux: np.ndarray        # int64 [N]: subcategory index, -1 = unknown
    groups: list[str]      # split key per image
    names: list[str]


def load_labelled(data_dir: Path, table: Path | None = None) -> Labelled:
    """Images and targets from a dataset folder; its manifest.csv must have a 'name' column."""
    manifest = Path(data_dir) / "manifest.csv"
    if not manifest.is_file():
        raise ValueError(f"{manifest}: missing; mood labels come from the emoji names in the manifest")
    with manifest.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "name" not in rows[0]:
        raise ValueError(f"{manifest}: no 'name' column to take mood labels from")
    images = load_dataset(data_dir).images
    labels = label_rows(rows, load_rules(table) if table else load_rules())
    classes = [training_class(lab) for lab in labels]
    target = np.array([CLASSES.index(c) if c else -1 for c in classes], np.int64)
    subcats = sorted({r.get("subcategory") or "" for r in rows} - {""})
    aux = np.array([subcats.index(r["subcategory"]) if r.get("subcategory") else -1 for r in rows], np.int64)
    names = [r["name"] for r in rows]
    return Labelled(images, target, aux, [group_key(n) for n in names], names)


def _hash(seed: int, text: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{text}".encode()).digest()[:8], "big")


def split_by_group(groups: list[str], target: np.ndarray, val_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of validation images: per class, a seeded share of the emoji names (at least one)."""
    val = np.zeros(len(groups), bool)
    for cls in np.unique(target):
        keys = sorted({g for g, t in zip(groups, target) if t == cls}, key=lambda g: _hash(seed, g))
        if len(keys) < 2:
            continue  # one name cannot be both learnt and held out
        chosen = set(keys[:max(1, round(val_fraction * len(keys)))])
        val |= np.array([t == cls and g in chosen for g, t in zip(groups, target)])
    return val


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flip, shift/scale/rotate a little, and tint: generated emoji are off-centre and on grey."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    angle = (torch.rand(n, generator=gen) - 0.5) * math.radians(16)
    scale = 0.9 + 0.2 * torch.rand(n, generator=gen)
    shift = (torch.rand(n, 2, generator=gen) - 0.5) * 0.25
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    contrast = 0.8 + 0.3 * torch.rand(n, 1, 1, 1, generator=gen)
    offset = -0.2 + 0.25 * torch.rand(n, 1, 1, 1, generator=gen)
    x = x * contrast + offset + 0.03 * torch.randn(x.shape, generator=gen)
    return x.clamp(-1, 1)


def _epoch_indices(target: np.ndarray, train_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Balanced epoch: as many images of each class (and of unlabelled faces) as the largest mood has,
    and at least MIN_PER_CLASS, so a tiny data set still gets a few optimiser steps per epoch."""
    by_class = {c: train_idx[target[train_idx] == c] for c in range(-1, len(CLASSES))}
    per_class = max(MIN_PER_CLASS, *(len(by_class[CLASSES.index(m)]) for m in MOODS))
    picks = [rng.choice(idx, per_class, replace=len(idx) < per_class) for idx in by_class.values() if len(idx)]
    out = np.concatenate(picks)
    rng.shuffle(out)
    return out


def train(data: Labelled, train_idx: np.ndarray, epochs: int = 30, batch: int = 64, lr: float = 2e-3,
          seed: int = 0, log=print) -> MoodCNN:
    """Seeded training; mood/other cross-entropy plus the subcategory head (features for FED)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    model = MoodCNN(aux_classes=int(data.aux.max()) + 1 if (data.aux >= 0).any() else 0)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(_epoch_indices(data.target, train_idx, rng)) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1))
    target = torch.from_numpy(data.target)
    aux = torch.from_numpy(data.aux)
    done = 0
    for epoch in range(1, epochs + 1):
        model.train()
        t0, total, count = time.time(), 0.0, 0
        order = _epoch_indices(data.target, train_idx, rng)
        for i in range(0, len(order), batch):
            idx = torch.from_numpy(order[i:i + batch])
            x = augment(to_input(data.images[idx]), gen)
            feats = model.features(x)
            loss = F.cross_entropy(model.head(feats), target[idx], ignore_index=-1)
            if model.aux is not None and (aux[idx] >= 0).any():
                loss = loss + 0.5 * F.cross_entropy(model.aux(feats), aux[idx], ignore_index=-1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if done < steps:
                sched.step()
                done += 1
            total, count = total + loss.item() * len(idx), count + len(idx)
        log(f"epoch {epoch}/{epochs}: loss {total / max(count, 1):.3f} ({time.time() - t0:.1f} s)")
    return model.eval()


def confusion(true: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """int64 [k, k]: rows = true class, columns = predicted class."""
    out = np.zeros((k, k), np.int64)
    np.add.at(out, (true, pred), 1)
    return out


def summarise(true: np.ndarray, probs: np.ndarray) -> dict:
    """Accuracy figures on labelled images: overall, balanced, per class, moods only, and the matrix."""
    pred = probs.argmax(1)
    matrix = confusion(true, pred, len(CLASSES))
    per_class = {c: (float(matrix[i, i] / matrix[i].sum()) if matrix[i].sum() else None)
                 for i, c in enumerate(CLASSES)}
    present = [v for v in per_class.values() if v is not None]
    mood_rows = true < len(MOODS)
    mood_pred = probs[mood_rows, :len(MOODS)].argmax(1)  # which mood, given that it is a mood face
    return {
        "images": int(len(true)),
        "accuracy": float((pred == true).mean()) if len(true) else None,
        "balanced_accuracy": float(np.mean(present)) if present else None,
        "mood_accuracy": float((mood_pred == true[mood_rows]).mean()) if mood_rows.any() else None,
        "per_class": per_class,
        "classes": list(CLASSES),
        "confusion": matrix.tolist(),
    }


def format_summary(s: dict) -> str:
    """The confusion matrix and accuracies as a small text table."""
    names = s["classes"]
    lines = ["true \\ predicted " + " ".join(f"{c:>8}" for c in names) + "   recall"]
    for c, row in zip(names, s["confusion"]):
        recall = s["per_class"][c]
        lines.append(f"{c:>17} " + " ".join(f"{v:>8}" for v in row)
                     + (f"   {recall:6.1%}" if recall is not None else "      -"))
    pct = lambda v: "-" if v is None else f"{v:.1%}"  # noqa: E731
    lines.append(f"overall {pct(s['accuracy'])}, balanced (mean recall) {pct(s['balanced_accuracy'])}, "
                 f"mood-vs-mood {pct(s['mood_accuracy'])} on {s['images']} held-out images")
    return "\n".join(lines)
