"""`aimoji-train moods`: train the mood classifier, or sort a generator's emoji into Neutral/Horror/Happy/Sad."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from installation.text import size_text

USAGE = """two uses:
  aimoji-train moods classifier [--data data/emoji] [--out trainer/models/mood_cnn.pt]
      train the small mood classifier on the labelled real emoji (labels from trainer/data/moods.csv);
      validates on held-out emoji NAMES, prints per-class accuracy and the confusion matrix, and
      writes the weights plus a .json report beside them.
  aimoji-train moods SOURCE [--samples 2000] [--out site/moods] [--embed FILE.onnx]
      SOURCE is a run folder (runs/NAME: newest checkpoint) or an exported .onnx file. Samples
      latents, classifies the emoji, writes one sheet per mood + index.html + moods.json, and with
      --embed stores the mood regions in the model's 'moods' metadata for the player."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (parser.description or "") + "\n\n" + USAGE
    parser.add_argument("source", metavar="classifier|SOURCE",
                        help="'classifier' to train the classifier, else a run folder or .onnx file to sort")
    parser.add_argument("--out", type=Path, default=None,
                        help="classifier: weights file (default trainer/models/mood_cnn.pt); "
                             "SOURCE: output folder (default site/moods)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for training or sampling (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    t = parser.add_argument_group("training the classifier")
    t.add_argument("--data", type=Path, default=Path("data/emoji"),
                   help="dataset folder with images/ and manifest.csv (default data/emoji)")
    t.add_argument("--table", type=Path, default=None,
                   help="mood table CSV (default: the reviewed trainer/data/moods.csv)")
    t.add_argument("--epochs", type=int, default=30,
                   help="training epochs (default 30: about 4 CPU-minutes on 2 cores)")
    t.add_argument("--batch", type=int, default=64, help="images per optimiser step (default 64)")
    t.add_argument("--val-fraction", type=float, default=0.2,
                   help="share of emoji names per class held out for validation (default 0.2)")
    s = parser.add_argument_group("sorting a generator's emoji")
    s.add_argument("--samples", type=int, default=2000, help="latents to sample and classify (default 2000)")
    s.add_argument("--classifier", type=Path, default=None,
                   help="classifier weights (default: the shipped trainer/models/mood_cnn.pt)")
    s.add_argument("--threshold", type=float, default=0.7,
                   help="probability a sample needs to count for its mood, 0..1 (default 0.7)")
    s.add_argument("--min-count", type=int, default=10,
                   help="confident samples a mood needs to get a latent region (default 10)")
    s.add_argument("--per-sheet", type=int, default=48, help="emoji per mood sheet (default 48)")
    s.add_argument("--steer-samples", type=int, default=500,
                   help="fresh latents per mood and strength for the steering check (default 500; 0 = skip)")
    s.add_argument("--embed", type=Path, default=None, metavar="FILE.onnx",
                   help="write the mood regions into this model's 'moods' metadata (its z_dim must match)")


def _train_classifier(args) -> int:
    import numpy as np
    import torch

    from trainer.classifier import DEFAULT_WEIGHTS, predict, save_weights
    from trainer.classifier_train import format_summary, load_labelled, split_by_group, summarise, train
    from trainer.moods_labels import CLASSES

    out = args.out or DEFAULT_WEIGHTS
    if args.epochs < 1 or args.batch < 2 or not 0.0 < args.val_fraction < 1.0:
        print("error: --epochs must be >= 1, --batch >= 2 and --val-fraction between 0 and 1", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.threads))
    data = load_labelled(args.data, args.table)
    val = split_by_group(data.groups, data.target, args.val_fraction, args.seed)
    train_idx = np.flatnonzero(~val)
    val_idx = np.flatnonzero(val & (data.target >= 0))
    counts = {c: int((data.target == i).sum()) for i, c in enumerate(CLASSES)}
    print(f"{args.data}: {len(data.target)} images; labelled {counts}; "
          f"{int((data.target < 0).sum())} unlabelled faces (features only)")
    print(f"validation: {len(val_idx)} images of {len({data.groups[i] for i in val_idx})} held-out emoji names "
          f"(split by name, so vendor drawings of one emoji never straddle the split)")
    model = train(data, train_idx, epochs=args.epochs, batch=args.batch, seed=args.seed)
    summary = summarise(data.target[val_idx], predict(model, data.images[val_idx]))
    print(format_summary(summary))
    sha = save_weights(model, out)
    report = {"weights": str(out), "sha256": sha, "data": str(args.data), "epochs": args.epochs,
              "seed": args.seed, "val_fraction": args.val_fraction, "labelled": counts,
              "held_out_names": sorted({data.groups[i] for i in val_idx}), "validation": summary,
              "command": (f"aimoji-train moods classifier --data {args.data} --out {out} "
                          f"--epochs {args.epochs} --batch {args.batch} --val-fraction {args.val_fraction} "
                          f"--seed {args.seed} --threads {args.threads}")}
    Path(out).with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({size_text(Path(out).stat().st_size)}) and {Path(out).with_suffix('.json')}")
    return 0


def _sort_moods(args) -> int:
    import torch

    from trainer.classifier import DEFAULT_WEIGHTS, load_classifier, predict, weights_id
    from trainer.moods import mood_regions, open_source, sample, steer_hit_rates, write_site
    from trainer.onnx_metadata import read_metadata, write_metadata

    if args.samples < 1 or not 0.0 <= args.threshold <= 1.0:
        print("error: --samples must be >= 1 and --threshold between 0 and 1", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.threads))
    weights = args.classifier or DEFAULT_WEIGHTS
    model = load_classifier(weights)
    gen = open_source(Path(args.source))
    if args.embed is not None:  # check before the slow part
        meta = read_metadata(args.embed)
        if meta.get("z_dim") != str(gen.z_dim):
            print(f"error: {args.embed}: z_dim {meta.get('z_dim')} does not match the sampled generator's "
                  f"{gen.z_dim}", file=sys.stderr)
            return 1
    z, images = sample(gen, args.samples, args.seed)
    probs = predict(model, images)
    payload = mood_regions(z, probs, args.threshold, args.min_count)
    payload["classifier"] = weights_id(weights)
    if args.steer_samples > 0:
        payload["steer_hit_rate"] = steer_hit_rates(gen, model, payload, args.steer_samples, args.seed)
    out = args.out or Path("site/moods")
    sheets = write_site(out, images, probs, payload, gen.label, payload["classifier"], args.per_sheet)
    print(f"{gen.label}: {args.samples} samples; confident (>= {args.threshold:g}): "
          + ", ".join(f"{m} {payload['counts'][m]}" for m in payload["classes"])
          + f"; other {payload['counts']['other']}, unsure {payload['counts']['unsure']}")
    for mood, rates in payload.get("steer_hit_rate", {}).items():
        print(f"  steering toward {mood}: " + ", ".join(f"strength {s} -> {v:.0%}" for s, v in rates.items()))
    print(f"wrote {', '.join(str(p) for p in sheets)}, {out / 'index.html'}")
    if args.embed is not None:
        text = json.dumps(payload, separators=(",", ":"))
        write_metadata(args.embed, {"moods": text})
        print(f"embedded 'moods' ({size_text(len(text.encode()))}, regions: {', '.join(payload['centroids']) or 'none'}) "
              f"into {args.embed}")
    return 0


def run(args) -> int:
    from trainer.classifier import ClassifierError
    from trainer.onnx_metadata import MetadataError

    try:
        return _train_classifier(args) if args.source == "classifier" else _sort_moods(args)
    except (ValueError, ClassifierError, MetadataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
