"""The D/G loss plot of a run (matplotlib, Agg backend, no display); image grids are trainer/image_grid.py."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from installation.atomic import write_bytes_atomic


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (same length); the first values average what exists so far."""
    if window <= 1 or len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values.astype(np.float64), 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (sums[idx] - sums[lo]) / (idx - lo)


def plot_losses(records: list[dict], path: Path, title: str = "") -> None:
    """D and G loss against step (raw, faint; smoothed, bold) with epoch boundaries marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps_rec = [r for r in records if r.get("kind") == "step"]
    if not steps_rec:
        return
    steps = np.array([r["step"] for r in steps_rec])
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    for key, colour, label in (("loss_d", "tab:blue", "D loss"), ("loss_g", "tab:orange", "G loss")):
        values = np.array([r[key] for r in steps_rec], dtype=np.float64)
        ax.plot(steps, values, color=colour, alpha=0.25, linewidth=0.8)
        ax.plot(steps, smooth(values, 10), color=colour, linewidth=1.8, label=label)
    for r in records:
        if r.get("kind") == "epoch":
            ax.axvline(r["step"], color="grey", alpha=0.15, linewidth=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title or "DCGAN losses (grey lines: epoch ends)")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.2)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_bytes_atomic(Path(path), buffer.getvalue())
