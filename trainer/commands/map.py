"""`aimoji-train map`: build the offline interactive map of the first images a run generated."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from trainer import map_page, runs
from trainer.arg_types import positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Build a single offline web page showing the first images the generator produced during "
        "training, in order. Open OUT/index.html in any browser (no server or network needed): hover "
        "for a bigger view, hold the left button to zoom, F for full screen, right click or S to save "
        "an emoji as a PNG.")
    parser.add_argument("run", type=Path, metavar="RUN", help="run folder, e.g. runs/faithful "
                        "(reads RUN/first_images/, and RUN/timelapse/ for epoch labels)")
    parser.add_argument("--out", type=Path, default=Path("site/map"),
                        help="folder to write index.html and its files into; replaced as a whole "
                             "(default: site/map)")
    parser.add_argument("--count", type=positive_int, default=10_000, metavar="N",
                        help="how many of the first images to show (default: 10000; fewer if the run "
                             "recorded fewer)")
    parser.add_argument("--per-row", type=positive_int, default=100, metavar="N",
                        help="images per row of the map (default: 100)")


def run(args: argparse.Namespace) -> int:
    try:
        with tqdm(desc="atlases", unit="atlas", disable=None) as bar:
            data = map_page.build_map(args.run, args.out, args.count, args.per_row,
                                      progress=lambda _: bar.update())
    except (runs.RunError, map_page.MapError) as exc:
        print(f"aimoji-train map: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"aimoji-train map: error: {args.out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 1
    print(f"wrote {args.out / 'index.html'}: {data['count']:,} images of {data['cell_w']}x{data['cell_h']} px, "
          f"{data['per_row']} per row, {len(data['atlases'])} atlases")
    return 0
