"""Sort a generator's emoji into moods: sample latents, classify, find each mood's latent region.

Writes a gallery sheet per mood (its most confident samples) and an index.html, and returns the
`moods` metadata payload that the player's installation/model/moods.py steers with.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from installation.atomic import write_text_atomic
from installation.model.load import ModelError, load
from installation.model.pixels import to_uint8
from installation.model.moods import MOODS, MoodRegion, steer
from trainer.checkpoint import CheckpointError
from trainer.classifier import MoodCNN, predict
from trainer.export import load_generator
from trainer.image_grid import fit_cells, grid, save_png
from trainer.moods_labels import CLASSES

PAYLOAD_VERSION = 1
STEER_STRENGTHS = (0.0, 0.25, 0.5, 0.75)


@dataclass
class GeneratorSource:
    render: Callable[[np.ndarray], np.ndarray]  # z float32 [B, z_dim] -> uint8 [B, H, W, 3]
    z_dim: int
    label: str                                  # what was sampled, for titles and reports


def open_onnx(path: Path) -> GeneratorSource:
    """An exported generator, through the player's own loader (contract and probe included)."""
    try:
        model = load(path, intra_op_threads=os.cpu_count() or 1)
    except ModelError as exc:
        raise ValueError(str(exc)) from None
    return GeneratorSource(model.generate, model.info.z_dim, f"{path.name} ({model.info.title or 'untitled'})")


def open_run(run_dir: Path) -> GeneratorSource:
    """A run folder's newest good checkpoint (EMA weights when kept), rendered in eval mode with torch."""
    try:
        g, ckpt, path = load_generator(run_dir)
    except (CheckpointError, ValueError) as exc:
        raise ValueError(str(exc)) from None

    @torch.no_grad()
    def render(z: np.ndarray) -> np.ndarray:
        return to_uint8(g(torch.from_numpy(z.astype(np.float32))).numpy())

    return GeneratorSource(render, g.z_dim, f"{run_dir.name} epoch {ckpt.get('epoch')} ({path.name})")


def open_source(source: Path) -> GeneratorSource:
    """A run folder or an .onnx file."""
    if source.is_dir():
        return open_run(source)
    if source.suffix == ".onnx" and source.is_file():
        return open_onnx(source)
    raise ValueError(f"{source}: not a run folder or an .onnx file")


def sample(gen: GeneratorSource, n: int, seed: int, batch: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """n latents z ~ N(0, I) (float32 [n, z_dim]) and their emoji (uint8 [n, H, W, 3])."""
    z = np.random.default_rng(seed).standard_normal((n, gen.z_dim)).astype(np.float32)
    images = np.concatenate([gen.render(z[i:i + batch]) for i in range(0, n, batch)])
    return z, images


def confident(probs: np.ndarray, mood: str, threshold: float) -> np.ndarray:
    """Mask of samples whose most likely class is `mood`, with at least `threshold` probability."""
    k = CLASSES.index(mood)
    return (probs.argmax(1) == k) & (probs[:, k] >= threshold)


def mood_regions(z: np.ndarray, probs: np.ndarray, threshold: float, min_count: int = 10) -> dict:
    """Per mood: centroid = mean of the confident samples' unit latents (renormalised), radius_cos = their
    median cosine to it. Moods with fewer than min_count confident samples get no region."""
    units = z / np.linalg.norm(z, axis=1, keepdims=True)
    centroids, radius, counts = {}, {}, {}
    for mood in MOODS:
        members = units[confident(probs, mood, threshold)]
        counts[mood] = int(len(members))
        if len(members) < min_count:
            continue
        c = members.mean(axis=0)
        c /= np.linalg.norm(c)
        centroids[mood] = [round(float(v), 5) for v in c]
        radius[mood] = round(float(np.median(members @ c)), 4)
    counts["other"] = int((probs.argmax(1) == CLASSES.index("other")).sum())
    counts["unsure"] = int(len(z) - sum(counts.values()))
    return {"version": PAYLOAD_VERSION, "classes": list(MOODS), "centroids": centroids,
            "radius_cos": radius, "counts": counts, "samples": int(len(z)), "threshold": threshold}


def steer_hit_rates(gen: GeneratorSource, model: MoodCNN, payload: dict, n: int, seed: int,
                    strengths=STEER_STRENGTHS) -> dict:
    """Share of confident `mood` emoji among n fresh latents steered at each strength (0 = free walk)."""
    z = np.random.default_rng(seed + 1).standard_normal((n, gen.z_dim))
    rates: dict[str, dict[str, float]] = {}
    for mood, centroid in payload["centroids"].items():
        region = MoodRegion(mood, np.asarray(centroid) / np.linalg.norm(centroid), payload["radius_cos"][mood])
        rates[mood] = {}
        for s in strengths:
            images = gen.render(steer(z, region, s).astype(np.float32))
            hits = confident(predict(model, images), mood, payload["threshold"])
            rates[mood][f"{s:g}"] = round(float(hits.mean()), 4)
    return rates


def contact_sheet(images: np.ndarray, title: str, cols: int = 8, cell_px: int = 128) -> np.ndarray:
    """A grid of emoji (uint8 [n, H, W, 3]) scaled to cell_px, under a one-line title; uint8 [H, W, 3]."""
    cells = grid(fit_cells(images, cell_px), columns=cols, pad_px=0)
    head = 32
    sheet = Image.new("RGB", (cells.shape[1], head + cells.shape[0]), "white")
    try:
        font = ImageFont.load_default(size=18)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        font = ImageFont.load_default()
    ImageDraw.Draw(sheet).text((8, 6), title, fill="black", font=font)
    sheet.paste(Image.fromarray(cells), (0, head))
    return np.asarray(sheet)


def top_confident(probs: np.ndarray, mood: str, threshold: float, count: int) -> np.ndarray:
    """Indices of the `count` most confident samples of a mood, most confident first."""
    k = CLASSES.index(mood)
    idx = np.flatnonzero(confident(probs, mood, threshold))
    return idx[np.argsort(-probs[idx, k], kind="stable")][:count]


def write_site(out: Path, images: np.ndarray, probs: np.ndarray, payload: dict, source_label: str,
               classifier_id: str, per_sheet: int = 48) -> list[Path]:
    """site/moods/: one sheet PNG per mood, moods.json (the payload) and index.html; returns the sheets."""
    out.mkdir(parents=True, exist_ok=True)
    sheets, sections = [], []
    for mood in MOODS:
        idx = top_confident(probs, mood, payload["threshold"], per_sheet)
        n = payload["counts"][mood]
        title = (f"{mood.title()}: {n} of {payload['samples']} samples at >= {payload['threshold']:.2f} "
                 f"confidence (top {len(idx)} shown) - {source_label}")
        if len(idx) == 0:  # show the nearest misses rather than an empty sheet
            k = CLASSES.index(mood)
            idx = np.argsort(-probs[:, k], kind="stable")[:16]
            title = (f"{mood.title()}: none of {payload['samples']} samples reach {payload['threshold']:.2f}; "
                     f"the {len(idx)} most {mood}-leaning shown (best {probs[idx[0], k]:.2f}) - {source_label}")
        path = out / f"{mood}.png"
        save_png(contact_sheet(images[idx], title), path)
        sheets.append(path)
        rates = payload.get("steer_hit_rate", {}).get(mood)
        steer_line = ("steered latents that come out " + mood + ": "
                      + ", ".join(f"strength {s}: {v:.0%}" for s, v in rates.items())) if rates else \
            "too few confident samples for a latent region"
        sections.append(f"<section><h2>{mood.title()} ({n})</h2><p>{html.escape(steer_line)}</p>"
                        f"<img src=\"{mood}.png\" alt=\"{mood} emoji\" width=\"1024\"></section>")
    write_text_atomic(out / "moods.json", json.dumps(payload, indent=1) + "\n")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AImoji moods</title>
<style>body{{font-family:sans-serif;max-width:1060px;margin:2em auto}} img{{max-width:100%}}</style></head>
<body><h1>AImoji moods: {', '.join(m.title() for m in MOODS)}</h1>
<p>{payload['samples']} emoji sampled from {html.escape(source_label)}, sorted by the mood classifier
{html.escape(classifier_id)}. Each sheet shows the most confident samples of one mood; most generated
emoji are no clear mood ({payload['counts']['other']} look like no face, {payload['counts']['unsure']}
are faces without a sure mood).</p>
{''.join(sections)}
</body></html>
"""
    write_text_atomic(out / "index.html", page)
    return sheets
