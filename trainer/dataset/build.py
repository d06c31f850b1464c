"""Build a dataset folder: collect items, render them (both cores), de-duplicate, write atomically."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from installation.atomic import replace_dir
from trainer.dataset import DatasetError, catalog, fetch, inventory, sources
from trainer.dataset.contact_sheet import contact_sheet
from trainer.dataset.dedupe import COLOUR_MAX_DIFF, PHASH_MAX_BITS, Deduper
from trainer.dataset.render import render_job
from trainer.image_grid import save_png

ALIASES_CSV = Path(__file__).resolve().parent.parent / "data" / "fluentui_aliases.csv"
MANIFEST_FIELDS = ["file", "source", "version", "codepoints", "name", "category", "subcategory",
                   "licence", "sha256", "package", "share_alike", "source_file"]


@dataclass(frozen=True)
class BuildOptions:
    out: Path
    size: int = 64
    source_keys: tuple[str, ...] = ()       # empty: the default sources
    subset: str = "all"                     # "faces" or "all" (faces plus face-like)
    tones_per_emoji: int | None = 1         # skin-tone variants kept per emoji; None: all
    from_folder: Path | None = None
    folder_licence: str = "unspecified"
    cache: Path = fetch.DEFAULT_CACHE
    allow_proprietary: bool = False
    workers: int = 2


@dataclass(frozen=True)
class Origin:
    package: str
    version: str
    licence: str
    share_alike: bool
    root: Path          # source_file in the manifest is relative to this


def _collect_packages(opts: BuildOptions, chosen: list[sources.Source], stats: Counter):
    """Fetch what is needed; return (items, origin by source key)."""
    specs = [sources.CATALOG_PACKAGE]
    if any(s.layout == "fluentui" for s in chosen):
        specs.append(sources.NAMES_PACKAGE)
    specs += [(s.package, s.version) for s in chosen]
    roots: dict[tuple[str, str], Path] = {}
    for spec in tqdm(list(dict.fromkeys(specs)), desc="fetching sources", unit="pkg"):
        roots[spec] = fetch.ensure_package(*spec, opts.cache)
    cat = catalog.load_catalog(roots[sources.CATALOG_PACKAGE] / "emoji.json")
    names = {}
    if sources.NAMES_PACKAGE in roots:
        names = catalog.load_name_index(roots[sources.NAMES_PACKAGE] / "data" / "openmoji.json",
                                        ALIASES_CSV)
    items, origins = [], {}
    for s in chosen:
        root = roots[(s.package, s.version)]
        found, unmapped = inventory.list_source(s, root, cat, names)
        stats["unmapped"] += unmapped
        items += found
        origins[s.key] = Origin(s.package, s.version, s.licence, s.share_alike, root)
    return items, origins, cat


def collect(opts: BuildOptions, stats: Counter) -> tuple[list[inventory.Item], dict[str, Origin]]:
    """The items to render, in build order, and where each source's files come from."""
    if opts.from_folder is not None:
        if not opts.from_folder.is_dir():
            raise DatasetError(f"{opts.from_folder}: not a folder")
        cat_root = opts.cache / "packages" / "emoji-datasource-16.0.0" / "emoji.json"
        cat = catalog.load_catalog(cat_root) if cat_root.exists() else {}
        items = inventory.list_folder(opts.from_folder, cat)
        if not items:
            raise DatasetError(f"{opts.from_folder}: no images (png, svg, jpg, webp, gif, bmp) found")
        return items, {"folder": Origin("", "", opts.folder_licence, False, opts.from_folder)}
    chosen = sources.resolve(list(opts.source_keys), opts.allow_proprietary)
    items, origins, _ = _collect_packages(opts, chosen, stats)
    wanted = [it for it in items if catalog.in_subset(it.entry, opts.subset)]
    stats["not_in_subset"] += len(items) - len(wanted)
    picked = inventory.pick_tones(wanted, opts.tones_per_emoji)
    stats["other_skin_tones"] += len(wanted) - len(picked)
    return picked, origins


def render_all(items: list[inventory.Item], size: int, workers: int) -> list[tuple[bytes | None, str]]:
    """Rendered RGB bytes (or None and the reason) for every item, in item order."""
    jobs = [(str(it.path), size) for it in items]
    bar = dict(total=len(jobs), desc="rendering", unit="img")
    if workers <= 1 or len(jobs) < 2 * workers:
        return [render_job(j) for j in tqdm(jobs, **bar)]
    with Pool(workers) as pool:
        return list(tqdm(pool.imap(render_job, jobs, chunksize=16), **bar))


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=6)   # PIL writes no time stamp: rebuilds are identical
    return buf.getvalue()


def write_dataset(folder: Path, items, rendered, origins: dict[str, Origin], opts: BuildOptions,
                  stats: Counter) -> dict:
    """Write images/, manifest.csv, contact_sheet.png and summary.json into folder; return summary."""
    (folder / "images").mkdir(parents=True)
    dedupe, rows, kept, skipped = Deduper(), [], [], []
    dup_by_source: Counter = Counter()
    for it, (pixels, reason) in zip(items, rendered):
        origin = origins[it.source]
        if pixels is None:
            stats["unreadable"] += 1
            skipped.append(f"{it.path}: {reason}")
            continue
        img = Image.frombytes("RGB", (opts.size, opts.size), pixels)
        verdict, _ = dedupe.check(img)
        if verdict != "new":
            stats[f"{verdict}_duplicates"] += 1
            dup_by_source[it.source] += 1
            continue
        data = _png_bytes(img)
        name = f"images/{it.source}_{it.stem}.png"
        (folder / name).write_bytes(data)
        kept.append(img)
        rows.append({"file": name, "source": it.source, "version": origin.version,
                     "codepoints": it.entry.codepoints, "name": it.entry.name,
                     "category": it.entry.category, "subcategory": it.entry.subcategory,
                     "licence": origin.licence, "sha256": hashlib.sha256(data).hexdigest(),
                     "package": origin.package, "share_alike": "yes" if origin.share_alike else "no",
                     "source_file": it.path.relative_to(origin.root).as_posix()})
    if not rows:
        raise DatasetError("no usable images: nothing to write")
    with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    save_png(contact_sheet(kept), folder / "contact_sheet.png")
    summary = summarise(rows, origins, opts, stats, dup_by_source, skipped)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return summary


def summarise(rows, origins, opts, stats, dup_by_source, skipped) -> dict:
    count = lambda field: dict(Counter(r[field] for r in rows).most_common())  # noqa: E731
    return {
        "images": len(rows),
        "size_px": opts.size,
        "subset": "folder" if opts.from_folder else opts.subset,
        "tones_per_emoji": "all" if opts.tones_per_emoji is None else opts.tones_per_emoji,
        "sources": [{"source": k, "package": o.package, "version": o.version, "licence": o.licence,
                     "share_alike": o.share_alike} for k, o in origins.items()],
        "per_source": count("source"),
        "per_licence": count("licence"),
        "per_category": count("category"),
        "per_subcategory": count("subcategory"),
        "duplicates_dropped": {"exact": stats["exact_duplicates"], "near": stats["near_duplicates"],
                               "per_source": dict(sorted(dup_by_source.items()))},
        "dedupe_thresholds": {"phash_max_bits": PHASH_MAX_BITS, "colour_max_diff": COLOUR_MAX_DIFF},
        "skipped": {"unreadable": stats["unreadable"], "unmapped": stats["unmapped"],
                    "not_in_subset": stats["not_in_subset"],
                    "other_skin_tones": stats["other_skin_tones"]},
        "unreadable_files": skipped[:100],
    }


def build(opts: BuildOptions) -> dict:
    """Build the dataset at opts.out and return its summary; nothing is left half-written."""
    out = opts.out
    if out.exists() and any(out.iterdir()) and not (out / "manifest.csv").exists():
        raise DatasetError(f"{out}: exists and is not a dataset folder (no manifest.csv); "
                           "choose another --out or remove it")
    stats: Counter = Counter()
    items, origins = collect(opts, stats)
    rendered = render_all(items, opts.size, opts.workers)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.building-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        summary = write_dataset(tmp, items, rendered, origins, opts, stats)
        replace_dir(tmp, out)  # an existing dataset is replaced only at the very end
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary
