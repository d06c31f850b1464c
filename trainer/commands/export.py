"""`aimoji-train export`: a run's generator to ONNX for the player (or --inspect an exported file)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("examples:\n"
                "  aimoji-train export runs/faithful --out exported_models/faithful.onnx --grid docs/samples.png\n"
                "  aimoji-train export runs/faithful --out exported_models/small.onnx --fp16 --title 'Faithful'\n"
                "  aimoji-train export --inspect exported_models/default.onnx")
    p.add_argument("run", nargs="?", metavar="RUN", help="run folder to export (its newest readable checkpoint)")
    p.add_argument("--out", metavar="FILE.onnx", help="where to write the model (written only if the parity check passes)")
    p.add_argument("--fp16", action="store_true",
                   help="store weights as float16: half the file size, outputs within 2e-2 of float32 (default off)")
    p.add_argument("--title", help="title shown by the player (default: the run folder's name)")
    p.add_argument("--grid", metavar="FILE.png",
                   help="also write a 10x10 grid of what the exported file draws (through onnxruntime, seed 0)")
    p.add_argument("--inspect", metavar="FILE.onnx", help="print an exported file's shapes and metadata, write nothing")


def run(args: argparse.Namespace) -> int:
    if args.inspect:
        path = Path(args.inspect)
        if not path.is_file():
            print(f"error: {path}: no such file", file=sys.stderr)
            return 2
        from trainer.export import inspect_text

        try:
            print(inspect_text(path))
        except Exception as exc:  # onnx raises several types for a damaged file; all mean the same here
            print(f"error: {path}: not a readable ONNX model ({type(exc).__name__})", file=sys.stderr)
            return 2
        return 0
    if not args.run or not args.out:
        print("error: give a RUN folder and --out FILE.onnx (or --inspect FILE.onnx)", file=sys.stderr)
        return 2
    from trainer.export import ExportError, export_run

    try:
        summary = export_run(args.run, args.out, fp16=args.fp16, title=args.title)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.grid:
        from trainer.export import onnx_grid

        onnx_grid(args.out, args.grid)
        summary["grid"] = args.grid
    print(json.dumps(summary))
    return 0
