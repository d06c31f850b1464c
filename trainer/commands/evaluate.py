"""`aimoji-train evaluate`: FED, precision/recall and a memorisation check for a run or an exported model."""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

from installation.atomic import write_json_atomic, write_text_atomic

EXAMPLES = """examples:
  aimoji-train evaluate runs/faithful --data data/emoji --out report/
  aimoji-train evaluate exported_models/faithful.onnx --samples 2000 --out report/faithful
Writes report.json, samples.png, nearest_pairs.png and report.html. Lower FED is better; the real
held-out emoji against the real training emoji give the floor (the best a generator could hope for)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("source", type=Path, help="run folder (runs/NAME, newest checkpoint) or .onnx file")
    parser.add_argument("--samples", type=int, default=5000, help="generated emoji to measure (default 5000)")
    parser.add_argument("--data", type=Path, default=Path("data/emoji"),
                        help="the real dataset folder the model was trained on (default data/emoji)")
    parser.add_argument("--out", type=Path, default=Path("report"), help="output folder (default report/)")
    parser.add_argument("--classifier", type=Path, default=None,
                        help="feature network weights (default: the shipped trainer/models/mood_cnn.pt)")
    parser.add_argument("--held-out", type=float, default=0.2,
                        help="share of real emoji names held out for the floor (default 0.2)")
    parser.add_argument("--k", type=int, default=3, help="neighbours for precision/recall radii (default 3)")
    parser.add_argument("--percentile", type=float, default=1.0,
                        help="memorisation threshold: this percentile of real held-out -> train nearest-"
                             "neighbour distances (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed for latents and the split (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")


def _pairs_image(gen, train, pairs: list[dict], cell_px: int = 96):
    """Rows of (sample | its nearest training emoji), three pairs per row, closest first; uint8 [H, W, 3]."""
    import numpy as np
    from PIL import Image, ImageDraw

    from trainer.image_grid import fit_cells, grid

    cols, label_px = 3, 16
    rows = max(1, -(-len(pairs) // cols))
    sheet = Image.new("RGB", (cols * (2 * cell_px + 16), rows * (cell_px + label_px)), "white")
    draw = ImageDraw.Draw(sheet)
    for n, p in enumerate(pairs):
        x, y = (n % cols) * (2 * cell_px + 16), (n // cols) * (cell_px + label_px)
        pair = fit_cells([gen[p["sample"]], train[p["train_index"]]], cell_px)  # sizes may differ
        sheet.paste(Image.fromarray(grid(pair, columns=2, pad_px=0)), (x, y))
        draw.text((x + 2, y + cell_px + 2), f"rms {p['pixel_rms']:.3f}", fill="black")
    return np.asarray(sheet)


def _html(report: dict) -> str:
    m, pr = report["memorisation"], report["precision_recall"]
    rows = [("FED, samples vs real train (lower is better)", f"{report['fed']:.2f}"),
            (f"FED, {report['real']['held_out']} samples vs real train (same size as the floor)",
             f"{report['fed_matched']:.2f}"),
            ("FED floor: real held-out vs real train", f"{report['fed_floor']:.2f}"),
            (f"precision (k={pr['k']}): samples inside the real manifold", f"{pr['precision']:.1%}"),
            (f"recall (k={pr['k']}): real emoji inside the samples' manifold", f"{pr['recall']:.1%}"),
            ("precision / recall of real held-out vs train (reference)",
             f"{report['precision_recall_floor']['precision']:.1%} / {report['precision_recall_floor']['recall']:.1%}"),
            (f"samples closer to a training emoji than {m['percentile']:g}% of real pairs (pixels)",
             f"{m['fraction_pixel']:.2%}"),
            ("... (features)", f"{m['fraction_feature']:.2%}"),
            ("median pixel RMS to nearest training emoji: samples / real held-out",
             f"{m['median_pixel_nn']:.3f} / {m['median_pixel_nn_real']:.3f}")]
    table = "".join(f"<tr><td>{html.escape(a)}</td><td>{b}</td></tr>" for a, b in rows)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AImoji quality report</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}} td{{padding:2px 12px}}
img{{max-width:100%}}</style></head><body>
<h1>Quality of {html.escape(report['source_label'])}</h1>
<p>{report['samples']} generated emoji against {report['real']['train']} real training emoji and
{report['real']['held_out']} held-out real emoji (held out by name), in the feature space of
{html.escape(report['classifier'])}.</p>
<table>{table}</table>
<h2>Samples</h2><img src="samples.png" alt="generated samples">
<h2>Closest to a training emoji (sample | nearest training emoji)</h2>
<img src="nearest_pairs.png" alt="nearest-neighbour pairs">
</body></html>
"""


def evaluate(args) -> dict:
    import numpy as np
    import torch

    from trainer.classifier import DEFAULT_WEIGHTS, features, load_classifier, to_input, weights_id
    from trainer.classifier_train import load_labelled, split_by_group
    from trainer.evaluate import fed, memorisation, precision_recall
    from trainer.image_grid import fit_cells, grid, save_png
    from trainer.moods import open_source, sample

    torch.set_num_threads(max(1, args.threads))
    weights = args.classifier or DEFAULT_WEIGHTS
    model = load_classifier(weights)
    gen = open_source(args.source)
    data = load_labelled(args.data)
    held = split_by_group(data.groups, data.target, args.held_out, args.seed)
    real = data.images.permute(0, 2, 3, 1).numpy()  # uint8 [N, S, S, 3]
    z, fake = sample(gen, args.samples, args.seed)
    print(f"{gen.label}: {len(fake)} samples; real: {int((~held).sum())} train + {int(held.sum())} held out")
    f_train, f_held, f_fake = (features(model, x) for x in (real[~held], real[held], fake))
    # pixels at the classifier's 64 px, in [0, 1], so generators of any size compare alike
    px = lambda x: ((to_input(x).numpy() + 1) / 2).reshape(len(x), -1).astype(np.float32)  # noqa: E731
    p_train, p_held, p_fake = px(real[~held]), px(real[held]), px(fake)
    n_pr = min(len(f_fake), len(f_train))  # equal set sizes, as the k-NN radii depend on density
    report = {
        "source": str(args.source), "source_label": gen.label, "classifier": weights_id(weights),
        "data": str(args.data), "samples": len(fake), "seed": args.seed,
        "real": {"train": int((~held).sum()), "held_out": int(held.sum())},
        "fed": fed(f_fake, f_train),
        "fed_matched": fed(f_fake[:int(held.sum())], f_train),
        "fed_floor": fed(f_held, f_train),
        "precision_recall": precision_recall(f_train, f_fake[:n_pr], args.k),
        "precision_recall_floor": precision_recall(f_train, f_held, args.k),
        "memorisation": memorisation(p_fake, f_fake, p_train, f_train, p_held, f_held, args.percentile),
    }
    train_files = np.flatnonzero(~held)
    for pair in report["memorisation"]["closest"]:
        pair["train_name"] = data.names[train_files[pair["train_index"]]]
    args.out.mkdir(parents=True, exist_ok=True)
    save_png(grid(fit_cells(fake[:64], 96), columns=8, pad_px=0), args.out / "samples.png")
    save_png(_pairs_image(fake, real[~held], report["memorisation"]["closest"]), args.out / "nearest_pairs.png")
    write_json_atomic(args.out / "report.json", report, indent=1)
    write_text_atomic(args.out / "report.html", _html(report))
    return report


def run(args) -> int:
    from trainer.classifier import ClassifierError

    if args.samples < 10 or args.k < 1 or not 0 < args.held_out < 1 or not 0 < args.percentile < 100:
        print("error: need --samples >= 10, --k >= 1, 0 < --held-out < 1 and 0 < --percentile < 100",
              file=sys.stderr)
        return 2
    try:
        r = evaluate(args)
    except (ValueError, ClassifierError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    m, pr = r["memorisation"], r["precision_recall"]
    print(f"FED {r['fed']:.2f} (matched {r['fed_matched']:.2f}; floor real-vs-real {r['fed_floor']:.2f}); "
          f"precision {pr['precision']:.1%}, recall {pr['recall']:.1%}; "
          f"near-copies {m['fraction_pixel']:.2%} (pixels), {m['fraction_feature']:.2%} (features)")
    print(f"wrote {args.out / 'report.html'}")
    return 0
