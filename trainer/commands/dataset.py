"""`aimoji-train dataset`: build the training images from pinned emoji sets, or list the sources."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from trainer.dataset import DatasetError
from trainer.dataset.catalog import SUBSETS
from trainer.dataset.fetch import DEFAULT_CACHE


def _tones(text: str) -> int | None:
    if text == "all":
        return None
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a number or 'all', got {text!r}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = """examples:
  aimoji-train dataset sources                      list the pinned sources and their licences
  aimoji-train dataset build --out data/emoji       the default dataset (64 px, faces + face-like)
  aimoji-train dataset build --out data/faces128 --size 128 --subset faces
  aimoji-train dataset build --out data/artist --from-folder ~/drawings --folder-licence CC-BY-4.0"""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("sources", help="list the pinned emoji sources with their licences")
    b = sub.add_parser("build", help="fetch (npm pack, cached), render, de-duplicate, write a dataset",
                       description="Fetch the pinned emoji sets (once, into --cache), render every "
                       "face-like emoji centred on white, drop duplicates, and write --out.")
    b.add_argument("--out", type=Path, required=True,
                   help="dataset folder to write (images/, manifest.csv, contact_sheet.png, "
                        "summary.json); replaced only when the build succeeds")
    b.add_argument("--size", type=int, default=64, help="image side in pixels, e.g. 64 or 128 (default: 64)")
    b.add_argument("--sources", default="",
                   help="comma-separated source keys (see `dataset sources`); empty: the default "
                        "open-licence sources (google-16, twitter-16, fluentui-modern, "
                        "fluentui-flat, openmoji-17, google-4, google-3)")
    b.add_argument("--subset", choices=SUBSETS, default="all",
                   help="faces: Smileys & Emotion faces only; all: faces plus people heads/busts "
                        "and other faces (animals, moons) (default: all)")
    b.add_argument("--tones", type=_tones, default=1, metavar="N|all",
                   help="skin-tone variants kept per people emoji and source, besides the yellow "
                        "default (rotated so every tone appears); 'all' keeps all five (default: 1)")
    b.add_argument("--from-folder", type=Path, metavar="DIR",
                   help="build from any folder of images instead (png/svg/jpg/webp/gif/bmp); names "
                        "come from file names, categories from subfolders; no network")
    b.add_argument("--folder-licence", default="unspecified",
                   help="licence written to the manifest for --from-folder images (default: unspecified)")
    b.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                   help="folder for downloaded npm tarballs; a rebuild with it present is offline "
                        "(default: .cache/aimoji-sources)")
    b.add_argument("--allow-proprietary", action="store_true",
                   help="allow sources without an open licence (apple-16, facebook-16): research "
                        "only, not for exhibition")
    b.add_argument("--workers", type=int, default=2, help="processes used for rendering (default: 2)")


def format_summary(summary: dict, seconds: float) -> str:
    lines = [f"{summary['images']} images, {summary['size_px']} px, subset {summary['subset']}, "
             f"built in {seconds:.0f} s"]
    for title, field in (("per source", "per_source"), ("per licence", "per_licence"),
                         ("per category", "per_category")):
        lines.append(f"{title}:")
        lines += [f"  {count:6d}  {name or '(none)'}" for name, count in summary[field].items()]
    dup, skip = summary["duplicates_dropped"], summary["skipped"]
    lines.append(f"duplicates dropped: {dup['exact']} exact, {dup['near']} near")
    lines.append("skipped: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in skip.items()))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.action == "sources":
        from trainer.dataset.sources import format_table
        print(format_table())
        return 0
    from trainer.dataset.build import BuildOptions, build

    if args.size < 8:
        print(f"--size {args.size}: must be at least 8 pixels", file=sys.stderr)
        return 2
    opts = BuildOptions(out=args.out, size=args.size,
                        source_keys=tuple(k.strip() for k in args.sources.split(",") if k.strip()),
                        subset=args.subset, tones_per_emoji=args.tones,
                        from_folder=args.from_folder, folder_licence=args.folder_licence,
                        cache=args.cache, allow_proprietary=args.allow_proprietary,
                        workers=max(1, args.workers))
    start = time.monotonic()
    try:
        summary = build(opts)
    except DatasetError as exc:
        print(f"aimoji-train dataset: {exc}", file=sys.stderr)
        return 1
    print(format_summary(summary, time.monotonic() - start))
    print(f"wrote {args.out}/ (look at {args.out}/contact_sheet.png)")
    return 0
