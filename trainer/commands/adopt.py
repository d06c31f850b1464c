"""`aimoji-train adopt`: make a generator trained elsewhere (pytorch/examples .pth, or ONNX) playable."""

from __future__ import annotations

import argparse
import json
import sys

from installation.text import size_text
from trainer.arg_types import positive_int

SHEET_SIDE = 8   # the sample sheet: 8 x 8 pictures from fixed latents (seed 0)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("examples:\n"
                "  aimoji-train adopt netG_epoch_24.pth --out exported_models/celeba.onnx --licence 'CelebA' "
                "--sheet celeba.png\n"
                "  aimoji-train adopt generator.onnx --out exported_models/theirs.onnx --title 'Their emoji'\n"
                "  aimoji-train adopt open_z.onnx --out exported_models/open_z.onnx --z-dim 128\n"
                "  aimoji-train adopt stylegan.onnx --out exported_models/sg.onnx --fix-input truncation_psi=0.7\n"
                "Takes a pytorch/examples DCGAN generator state dict (also wrapped in a dict, or saved from DDP)\n"
                "or an ONNX generator with one float input [N, z] or [N, z, 1, 1] (more with --fix-input) and\n"
                "images in [-1, 1] or [0, 1]. The result is checked as the player checks a dropped file before\n"
                "it is written; a generator that draws nothing (one flat colour, as an untrained one) is refused.")
    p.add_argument("source", metavar="FILE", help="the generator: a .pth state dict or an .onnx model")
    p.add_argument("--out", required=True, metavar="FILE.onnx", help="where to write the playable model")
    p.add_argument("--title", help="title shown by the player (default: FILE's name without extension)")
    p.add_argument("--licence", metavar="TEXT",
                   help="licences of the images it was trained on, for the metadata (default 'unknown')")
    p.add_argument("--output-range", choices=("-1,1", "0,1"), default=None,
                   help="the output range of a graph that does not end in Tanh or Sigmoid (default: read from "
                        "the graph, else from a probe batch: never below -0.05 means 0,1)")
    p.add_argument("--z-dim", type=positive_int, default=None, metavar="N",
                   help="latent size, needed only when an ONNX graph leaves it open (default: read from FILE)")
    p.add_argument("--fix-input", action="append", default=[], metavar="NAME=VALUE",
                   help="an ONNX input besides z, folded into the adopted model as this constant (e.g. a "
                        "StyleGAN's truncation_psi=0.7); may be given more than once")
    p.add_argument("--sheet", metavar="FILE.png", default=None,
                   help=f"also write a {SHEET_SIDE}x{SHEET_SIDE} sheet of what the adopted model draws "
                        "(through the player's onnxruntime, seed 0)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of text")


def format_summary(summary: dict) -> str:
    """What a person reads after adopting: what was made, how it was checked, and what to do next."""
    fixed = ", ".join(f"{name} = {value:g}" for name, value in summary["fixed_inputs"].items())
    lines = [
        f"adopted {summary['source']} as {summary['out']} ({size_text(summary['bytes'])}), '{summary['title']}'",
        f"  source   {summary['kind']}" + (f"; fixed: {fixed}" if fixed else ""),
        f"  draws    {summary['image_size']}x{summary['image_size']} {'RGB' if summary['channels'] == 3 else 'grey'} "
        f"from z of {summary['z_dim']}, batch {summary['batch']}",
        f"  range    {summary['output_range']} ({summary['output_range_from']})",
        f"  checked  by the player's own loader; the same pictures as the source (max difference "
        f"{summary['max_abs_diff']:.1e})",
    ]
    if summary.get("sheet"):
        lines.append(f"  sheet    {summary['sheet']}")
    lines += [
        f"  plays    morph and grid, and moods after aimoji-train moods {summary['out']} --embed {summary['out']}; "
        "not evolution: that replays a training timelapse, which only a model trained here has (aimoji-train "
        "train, then export)",
        f"next: aimoji check {summary['out']}; aimoji play --model {summary['out']} (or copy it into "
        "exported_models/ of a running wall: it takes over when loaded)",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from trainer.adopt import adopt
    from trainer.export import ExportError, onnx_grid

    try:
        summary = adopt(args.source, args.out, title=args.title, licence=args.licence, z_dim=args.z_dim,
                        output_range=args.output_range, fix_input=args.fix_input)
    except ExportError as exc:  # AdoptError is one, and so are the shared contract checks
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.sheet:
        onnx_grid(args.out, args.sheet, side=SHEET_SIDE)
        summary["sheet"] = args.sheet
    print(json.dumps(summary) if args.json else format_summary(summary))
    return 0
