"""`python -m gallery` (`make gallery-test`): build the image, boot it, run the scenarios, print the table.

Exit status 0 only when every scenario passed. Screendumps and logs go to out/gallery/.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gallery import image, two_pcs
from gallery.machine import Boot
from gallery.scenarios import run_all, run_four_k

PROJECT = Path(__file__).resolve().parent.parent
PARTS = ("one-pc", "4k", "two-pcs")


def table(results) -> str:
    rows = ["| scenario | passed | s to emoji | guest fps | note |", "|---|---|---|---|---|"]
    for r in results:
        seconds = f"{r.seconds:.0f}" if r.seconds is not None else "—"
        fps = f"{r.fps:.1f}" if isinstance(r.fps, (int, float)) else "—"
        rows.append(f"| {r.scenario} | {'yes' if r.passed else 'NO'} | {seconds} | {fps} | {r.note} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gallery-test", description=__doc__)
    parser.add_argument("--out", type=Path, default=PROJECT / "out" / "gallery",
                        help="dumps, logs and, while a part runs, its disks")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="run only this part (repeatable): 'one-pc' is one PC's whole life on one disk, the 4K "
                             "boot included; '4k' the 4K boot alone on a fresh disk; 'two-pcs' the wall of two PCs")
    args = parser.parse_args(argv)
    parts = args.only or ["one-pc", "two-pcs"]
    out = args.out.resolve()
    (out / "dumps").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"gallery: building the image (cache: {image.cache_dir()})", flush=True)
    results = []
    with image.held(PROJECT) as cache:
        img = image.build(PROJECT, cache, out)
        built = time.monotonic() - started
        print(f"gallery: image ready in {built:.0f} s; booting it under QEMU (TCG)", flush=True)
        boot = Boot(kernel=img.kernel, initrd=img.initrd, disk=img.disk, workdir=out)
        try:
            if "one-pc" in parts:
                results += run_all(boot, out / "dumps")
            elif "4k" in parts:
                results += run_four_k(boot, out / "dumps")
        finally:
            img.disk.unlink(missing_ok=True)   # a disk is 1.5 GB; the two PCs write their own
        if "two-pcs" in parts:
            results += two_pcs.run(img, out, out / "dumps")
    text = table(results)
    total = time.monotonic() - started
    summary = f"{sum(r.passed for r in results)} of {len(results)} passed; image {built:.0f} s, all {total:.0f} s"
    (out / "results.md").write_text(text + "\n\n" + summary + "\n")
    print(text + "\n" + summary + f"\nscreendumps: {out / 'dumps'}", flush=True)
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
