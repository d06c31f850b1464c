"""`aimoji-train adopt`: make a generator trained elsewhere (pytorch/examples .pth, or ONNX) playable."""

from __future__ import annotations

import argparse
import json
import sys

from trainer.arg_types import positive_int


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("examples:\n"
                "  aimoji-train adopt netG_epoch_24.pth --out exported_models/celeba.onnx --licence 'CelebA'\n"
                "  aimoji-train adopt generator.onnx --out exported_models/theirs.onnx --title 'Their emoji'\n"
                "  aimoji-train adopt open_z.onnx --out exported_models/open_z.onnx --z-dim 128\n"
                "Takes a pytorch/examples DCGAN generator state dict (also wrapped in a dict, or saved from DDP)\n"
                "or an ONNX generator with one float input [N, z] or [N, z, 1, 1] and images in [-1, 1] or [0, 1].\n"
                "The result is checked as the player checks a dropped file before it is written.")
    p.add_argument("source", metavar="FILE", help="the generator: a .pth state dict or an .onnx model")
    p.add_argument("--out", required=True, metavar="FILE.onnx", help="where to write the playable model")
    p.add_argument("--title", help="title shown by the player (default: FILE's name without extension)")
    p.add_argument("--licence", metavar="TEXT",
                   help="licences of the images it was trained on, for the metadata (default 'unknown')")
    p.add_argument("--output-range", choices=("-1,1", "0,1"), default=None,
                   help="an ONNX source's output range (default: read from a probe batch: never below "
                        "-0.05 means 0,1)")
    p.add_argument("--z-dim", type=positive_int, default=None, metavar="N",
                   help="latent size, needed only when an ONNX graph leaves it open (default: read from FILE)")


def run(args: argparse.Namespace) -> int:
    from trainer.adopt import adopt
    from trainer.export import ExportError

    try:
        summary = adopt(args.source, args.out, title=args.title, licence=args.licence, z_dim=args.z_dim,
                        output_range=args.output_range)
    except ExportError as exc:  # AdoptError is one, and so are the shared contract checks
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0
