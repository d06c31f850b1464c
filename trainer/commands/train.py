"""`aimoji-train train`: train the DCGAN on a dataset folder into a run folder."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from trainer.config import TrainConfig

DEFAULTS = TrainConfig()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("examples:\n"
                "  aimoji-train train --data data/emoji --out runs/faithful\n"
                "  aimoji-train train --data data/emoji --out runs/better --ema 0.999 --diffaugment --bf16\n"
                "  aimoji-train train --out runs/faithful --resume            (continue after a stop)\n"
                "  aimoji-train train --fake-data 256 --out /tmp/smoke --epochs 1 --ngf 8 --ndf 8\n"
                "  torchrun --nproc_per_node 2 -m trainer.cli train --data data/emoji --out runs/ddp")
    a = p.add_argument
    a("--data", default=None, metavar="DIR",
      help=f"dataset folder: images/*.png + manifest.csv (default {DEFAULTS.data})")
    a("--out", required=True, metavar="RUN", help="run folder to create (or continue with --resume)")
    a("--resume", action="store_true",
      help="continue RUN from its newest readable checkpoint (weights, optimisers, RNG, data order); "
           "the run's saved options are used, --epochs may raise the target")
    a("--epochs", type=int, default=None, help=f"passes over the dataset (default {DEFAULTS.epochs})")
    a("--batch-size", type=int, default=None, help=f"images per step per process (default {DEFAULTS.batch_size})")
    a("--lr", type=float, default=None, help=f"Adam learning rate of both networks (default {DEFAULTS.lr})")
    a("--ngf", type=int, default=None, help=f"generator width in channels (default {DEFAULTS.ngf})")
    a("--ndf", type=int, default=None, help=f"discriminator width in channels (default {DEFAULTS.ndf})")
    a("--z-dim", type=int, default=None, help=f"latent size (default {DEFAULTS.z_dim})")
    a("--seed", type=int, default=None, help=f"seed for weights, latents, data order (default {DEFAULTS.seed})")
    a("--device", choices=("auto", "cpu", "cuda"), default=None, help="where to train (default auto: cuda if present)")
    a("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice, one per core)")
    a("--loss", choices=("bce", "hinge"), default=None, help="GAN loss (default bce, as in DCGAN)")
    a("--ema", type=float, default=None, metavar="DECAY",
      help="keep an exponential moving average of G's weights with this decay, e.g. 0.999; "
           "it is what gets exported (default off)")
    a("--diffaugment", action="store_true", default=None,
      help="differentiable colour/translation/cutout augmentation on all D inputs (default off)")
    a("--spectral-norm", action="store_true", default=None, help="spectral norm in D instead of BatchNorm (default off)")
    a("--channels-last", action=argparse.BooleanOptionalAction, default=None,
      help="NHWC memory layout: same results, ~25%% faster on CPU (default on)")
    a("--compile", action="store_true", default=None,
      help="torch.compile both networks; the first steps take a minute longer (default off)")
    a("--bf16", action=argparse.BooleanOptionalAction, default=None,
      help="bfloat16 autocast for forward passes: about 2x faster on CPUs with AMX/AVX512-BF16, several "
           "times slower without them (default: the faster one for this CPU; the first line says which)")
    a("--max-steps", type=int, default=None, help="stop after this many steps in all (default: no limit)")
    a("--ckpt-every", type=int, default=None,
      help=f"steps between checkpoints; there is also one at each epoch end (default {DEFAULTS.ckpt_every})")
    a("--keep-ckpts", type=int, default=None, help=f"newest checkpoints kept (default {DEFAULTS.keep_ckpts})")
    a("--timelapse-every", type=int, default=None,
      help=f"steps between timelapse frames of the fixed latents (default {DEFAULTS.timelapse_every})")
    a("--timelapse-k", type=int, default=None,
      help=f"fixed latents in the timelapse and sample grids (default {DEFAULTS.timelapse_k})")
    a("--first-images", type=int, default=None,
      help=f"how many of the first generated images to keep in first_images/ (default {DEFAULTS.first_images})")
    a("--log-every", type=int, default=None, help=f"steps between metrics.jsonl lines (default {DEFAULTS.log_every})")
    a("--fake-data", type=int, default=None, metavar="N",
      help="train on N synthetic toy emoji instead of --data (smoke tests; default off)")
    a("--fake-size", type=int, default=None, metavar="PX",
      help=f"side of the --fake-data images in px (default {DEFAULTS.fake_size_px})")
    a("--no-progress", action="store_true", help="no progress bar")


_RENAMED = {"fake_data": "fake_images", "fake_size": "fake_size_px"}


def config_from_args(args: argparse.Namespace, base: TrainConfig) -> TrainConfig:
    """Options given on the command line override `base` (the defaults, or a resumed run's config)."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {}
    for key, value in vars(args).items():
        key = _RENAMED.get(key, key)
        if key in names and value is not None:
            given[key] = value
    return dataclasses.replace(base, **given)


def run(args: argparse.Namespace) -> int:
    from trainer.config import CONFIG_FILE, load_run_config
    from trainer.train import TrainError, train

    out = Path(args.out)
    try:
        base = DEFAULTS
        if args.resume:
            if not (out / CONFIG_FILE).is_file():
                print(f"error: {out}: no {CONFIG_FILE} here, nothing to resume", file=sys.stderr)
                return 2
            base = load_run_config(out / CONFIG_FILE).options
        cfg = config_from_args(args, base)
        summary = train(cfg, out, resume=args.resume, progress=not args.no_progress)
    except (TrainError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # One write per line: under torchrun every rank shares stdout, and print() may split a line.
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()
    return 0
