"""Training speed: a minimal pytorch/examples-style DCGAN loop vs our trainer, same data, batch and steps.

Prints img/s of each and the ratio ours/reference. Run: .venv/bin/python -m benchmarks.train_throughput
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn


# ---------------- (a) the reference: pytorch/examples dcgan, reduced to its loop ----------------

class PngFolder(torch.utils.data.Dataset):
    """Decode a PNG per item, every epoch, as an ImageFolder + ToTensor + Normalize pipeline does."""

    def __init__(self, folder: Path):
        self.files = sorted((folder / "images").glob("*.png"))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with Image.open(self.files[i]) as im:
            x = torch.from_numpy(np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)
        return x * 2 - 1, 0


def reference_nets(nz: int, ngf: int, ndf: int) -> tuple[nn.Module, nn.Module]:
    """The 64 px DCGAN as the examples write it: sigmoid at D's end, BCELoss outside."""
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    return g, d


def run_reference(folder: Path, batch: int, warmup: int, steps: int, workers: int) -> float:
    torch.manual_seed(0)
    nz = 100
    g, d = reference_nets(nz, 64, 64)
    loader = torch.utils.data.DataLoader(PngFolder(folder), batch_size=batch, shuffle=True,
                                         num_workers=workers, drop_last=True, persistent_workers=workers > 0)
    bce = nn.BCELoss()
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    done, t_start = 0, None
    while done < warmup + steps:
        for real, _ in loader:
            if done == warmup:
                t_start = time.perf_counter()
            if done == warmup + steps:
                break
            # update D: maximise log(D(x)) + log(1 - D(G(z)))
            d.zero_grad()
            out = d(real).view(-1)
            err_real = bce(out, torch.ones_like(out))
            err_real.backward()
            fake = g(torch.randn(real.size(0), nz, 1, 1))
            out = d(fake.detach()).view(-1)
            err_fake = bce(out, torch.zeros_like(out))
            err_fake.backward()
            opt_d.step()
            # update G: maximise log(D(G(z)))
            g.zero_grad()
            out = d(fake).view(-1)
            bce(out, torch.ones_like(out)).backward()
            opt_g.step()
            done += 1
    return steps * batch / (time.perf_counter() - t_start)


# ---------------- (b) our trainer, timed from its own metrics.jsonl ----------------

def run_ours(folder: Path, batch: int, warmup: int, steps: int, threads: int, **options) -> float:
    from trainer.config import TrainConfig
    from trainer.train import train

    cfg = TrainConfig(data=str(folder), batch_size=batch, max_steps=warmup + steps, log_every=1,
                      threads=threads, **options)
    with tempfile.TemporaryDirectory() as tmp:
        train(cfg, Path(tmp) / "run", progress=False)
        records = [json.loads(x) for x in (Path(tmp) / "run" / "metrics.jsonl").read_text().splitlines()]
    times = {r["step"]: r["time_s"] for r in records if r["kind"] == "step"}
    return steps * batch / (times[warmup + steps] - times[warmup])


def synthetic_folder(tmp: Path, count: int = 640) -> Path:
    from trainer.dataset.load import fake_dataset

    (tmp / "images").mkdir(parents=True)
    for i, image in enumerate(fake_dataset(count, 64).images.permute(0, 2, 3, 1).numpy()):
        Image.fromarray(image).save(tmp / "images" / f"{i:04d}.png")
    return tmp


FEATURES = dict(ema=0.999, diffaugment=True, spectral_norm=True, loss="hinge", bf16=False)
# "defaults" leave the precision to the CPU (the header line says which it picks); the rest fix it.
VARIANTS = {
    "ours, faithful defaults": dict(),
    "ours, all features (EMA, DiffAugment, SN, hinge)": FEATURES,
    "ours, all features + bf16": {**FEATURES, "bf16": True},
    "ours, all features + bf16 + compile": {**FEATURES, "bf16": True, "compile": True},
    "ours, faithful + channels_last off": dict(channels_last=False, bf16=False),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="data/emoji", help="dataset folder with images/*.png (64 px); "
                   "synthetic images when missing (default data/emoji)")
    p.add_argument("--steps", type=int, default=20, help="timed steps per variant (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed first steps (compile happens here; default 3)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--ref-workers", type=int, default=2, help="reference DataLoader workers (examples default: 2)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported (default 3)")
    p.add_argument("--skip", default="", help="comma-separated words: skip variants whose name contains one")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    from trainer.precision import cpu_capability, decide_precision

    default_bf16, _ = decide_precision(None, torch.device("cpu"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.data)
        if not (folder / "images").is_dir():
            folder = synthetic_folder(Path(tmp) / "synthetic")
        n = len(list((folder / "images").glob("*.png")))
        print(f"data {folder} ({n} images), batch {args.batch_size}, {args.warmup} warm-up + {args.steps} "
              f"timed steps, {args.threads} threads, torch {torch.__version__}, CPU capability "
              f"{cpu_capability()} (our defaults pick {'bf16' if default_bf16 else 'fp32'})")
        # Rounds interleave the reference and every variant, and each ratio is taken against the
        # reference of its own round: on a shared machine the speed drifts between rounds, not within.
        skip = [w for w in args.skip.split(",") if w]
        variants = {k: v for k, v in VARIANTS.items() if not any(w in k for w in skip)}
        rows: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        refs = []
        for r in range(args.rounds):
            ref = run_reference(folder, args.batch_size, args.warmup, args.steps, args.ref_workers)
            refs.append(ref)
            print(f"round {r + 1}: {'reference (pytorch/examples style)':52s} {ref:7.1f} img/s", flush=True)
            for name, options in variants.items():
                ours = run_ours(folder, args.batch_size, args.warmup, args.steps, args.threads, **options)
                rows[name].append((ours, ours / ref))
                print(f"round {r + 1}: {name:52s} {ours:7.1f} img/s   {ours / ref:.2f}x", flush=True)
        print(f"\nmedian of {args.rounds} rounds (ratio = ours / reference of the same round)")
        print(f"{'reference (pytorch/examples style)':52s} {statistics.median(refs):7.1f} img/s   1.00x")
        for name, results in rows.items():
            speed = statistics.median(x for x, _ in results)
            ratios = sorted(q for _, q in results)
            print(f"{name:52s} {speed:7.1f} img/s   {statistics.median(ratios):.2f}x "
                  f"(range {ratios[0]:.2f}-{ratios[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
