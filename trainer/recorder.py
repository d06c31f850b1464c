"""What rank 0 writes while training: the run folder's recordings, its checkpoints and the progress bar.

The loop calls `step` after every step and `end_epoch` after every full epoch; neither changes the
networks or draws random numbers, so a run records the same whether or not anyone writes it down.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from tqdm import tqdm

from trainer.checkpoint import save_checkpoint
from trainer.config import TrainConfig
from trainer.dataset.load import to_uint8_hwc
from trainer.image_grid import grid, save_png
from trainer.plots import plot_losses
from trainer.runs import METRICS_FILE, read_metrics
from trainer.timelapse import FirstImagesRecorder, TimelapseRecorder


class Metrics:
    """metrics.jsonl: one JSON object per line, appended and flushed as it goes."""

    def __init__(self, run_dir: Path, keep_until_step: int | None):
        self.records: list[dict] = []
        if keep_until_step is not None:  # resuming: forget what came after the checkpoint
            self.records = [r for r in read_metrics(run_dir) if r.get("step", 0) <= keep_until_step]
        self.fh = open(run_dir / METRICS_FILE, "w", encoding="utf-8")
        for r in self.records:
            self.fh.write(json.dumps(r) + "\n")
        self.fh.flush()

    def write(self, record: dict) -> None:
        self.records.append(record)
        self.fh.write(json.dumps(record) + "\n")
        self.fh.flush()


def render(g: torch.nn.Module, z: torch.Tensor, train_mode: bool = False):
    """G's images of z as uint8 [n, S, S, 3]. Eval mode uses BatchNorm's running statistics, as the
    exported model will; train mode uses the batch's own statistics (on a copy, so G's stay put)."""
    net = copy.deepcopy(g) if train_mode else g
    was_training = net.training
    net.train(train_mode)
    with torch.no_grad():
        images = to_uint8_hwc(net(z))
    net.train(was_training)
    return images


class Recorder:
    """Rank 0's record of a run: timelapse frames of `shown` (the network that gets exported) drawing
    the fixed latents, the first generated images, metrics.jsonl, sample grids and the loss plot at
    every epoch end, and checkpoints of `snapshot(epoch, batch, step)`, the state a resume needs.

    Opening a Recorder trims the recordings back to the checkpoint being resumed (`resume`), or clears
    what a run that never checkpointed left behind, so a resumed run records as if it had never stopped.
    Every `epoch`, `batch` and `step` argument counts what is done, as a checkpoint stores them.
    """

    def __init__(self, run_dir: Path, cfg: TrainConfig, shown: torch.nn.Module, fixed_z: torch.Tensor,
                 snapshot: Callable[[int, int, int], dict], *, epoch: int, step: int, resume: bool,
                 per_epoch: int, total: int, progress: bool):
        self.run_dir, self.cfg, self.shown, self.fixed_z, self.snapshot = run_dir, cfg, shown, fixed_z, snapshot
        self.per_epoch = per_epoch
        self.metrics = Metrics(run_dir, step if resume else None)
        self.timelapse = TimelapseRecorder(run_dir)
        self.timelapse.save_fixed_z(fixed_z.cpu().numpy())
        self.first = FirstImagesRecorder(run_dir, cfg.first_images)
        self.timelapse.resume(epoch + 1, step if resume else -1)
        self.first.resume(step if resume else -1)
        if not resume:
            self.timelapse.add(0, render(shown, fixed_z))  # the untrained generator: where the timelapse starts
        self.epoch_losses: list[tuple[float, float]] = []
        self.last_ckpt = step
        self.bar = tqdm(total=total, initial=min(step, total), disable=not progress, unit="step",
                        dynamic_ncols=True, mininterval=1.0 if sys.stderr.isatty() else 30.0)
        self.bar_epoch = 0
        self.started = time.perf_counter()

    def step(self, epoch: int, batch: int, step: int, fake: torch.Tensor, out_real: torch.Tensor,
             out_fake: torch.Tensor, loss_d: torch.Tensor, loss_g: torch.Tensor, img_s: float) -> None:
        """After a step: what G drew, D's logits on real and fake, both losses, the smoothed speed."""
        if epoch + 1 != self.bar_epoch:
            self.bar_epoch = epoch + 1
            self.bar.set_description(f"epoch {epoch + 1}/{self.cfg.epochs}")
        ld, lg = loss_d.item(), loss_g.item()
        self.epoch_losses.append((ld, lg))
        if not self.first.full:
            self.first.add(step, to_uint8_hwc(fake))
        if step % self.cfg.timelapse_every == 0:
            self.timelapse.add(step, render(self.shown, self.fixed_z))
        if step % self.cfg.log_every == 0:
            self.metrics.write({"kind": "step", "step": step, "epoch": epoch + 1, "loss_d": ld, "loss_g": lg,
                                "d_real": torch.sigmoid(out_real).mean().item(),
                                "d_fake": torch.sigmoid(out_fake).mean().item(),
                                "img_s": round(img_s, 1), "time_s": self._time_s()})
        self.bar.set_postfix_str(f"D {ld:.3f} G {lg:.3f} {img_s:.0f} img/s", refresh=False)
        self.bar.update(1)
        if step % self.cfg.ckpt_every == 0 and batch < self.per_epoch:  # an epoch end checkpoints anyway
            self._checkpoint(epoch, batch, step)

    def end_epoch(self, epoch: int, step: int, img_s: float) -> None:
        """After the `epoch`-th epoch: sample grids, its mean losses, a checkpoint, the loss plot."""
        for suffix, train_mode in (("", False), ("-train-mode", True)):
            save_png(grid(render(self.shown, self.fixed_z, train_mode)),
                     self.run_dir / "samples" / f"epoch-{epoch:03d}{suffix}.png", scale=2)
        means = [sum(v) / max(len(self.epoch_losses), 1) for v in zip(*self.epoch_losses)] or [0.0, 0.0]
        self.metrics.write({"kind": "epoch", "step": step, "epoch": epoch, "loss_d": means[0], "loss_g": means[1],
                            "img_s": round(img_s, 1), "time_s": self._time_s()})
        self._checkpoint(epoch, 0, step)
        plot_losses(self.metrics.records, self.run_dir / "loss.png")
        self.epoch_losses = []
        self.timelapse.start_epoch(epoch + 1)  # the next epoch's frames go into a shard of their own

    def close(self, epoch: int, batch: int, step: int) -> None:
        """Checkpoint the steps since the last checkpoint (a run stopped by --max-steps in mid-epoch)."""
        if self.last_ckpt != step:
            self._checkpoint(epoch, batch, step)
        self.bar.close()

    def _checkpoint(self, epoch: int, batch: int, step: int) -> None:
        # the recordings go to disk first, so a checkpoint never points past what they hold
        self.timelapse.flush()
        self.first.flush()
        save_checkpoint(self.run_dir, self.snapshot(epoch, batch, step), self.cfg.keep_ckpts)
        self.last_ckpt = step

    def _time_s(self) -> float:
        return round(time.perf_counter() - self.started, 2)
