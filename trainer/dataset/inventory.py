"""List the images a source offers, each matched to its catalog entry by codepoints or by name."""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from trainer.dataset.catalog import Entry, base_name, key
from trainer.dataset.sources import Source

# fluentui file names end in one of these when the emoji has skin tones ("-default" = yellow).
FLUENT_TONES = {"default": "", "light": "1F3FB", "medium-light": "1F3FC", "medium": "1F3FD",
                "medium-dark": "1F3FE", "dark": "1F3FF"}
IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
_HEX_NAME = re.compile(r"^[0-9a-fA-F]{2,6}([-_ ][0-9a-fA-F]{2,6})*$")


@dataclass(frozen=True)
class Item:
    source: str         # source key, or "folder" for --from-folder
    path: Path          # the image file
    stem: str           # unique within the source: becomes the output file name
    entry: Entry        # codepoints, name, category, subcategory


def _with_tone(codepoints: str, tone: str) -> str:
    # The tone modifier follows the first codepoint: 1F468-200D-1F3A8 -> 1F468-1F3FB-200D-1F3A8.
    if not tone:
        return codepoints
    first, _, rest = key(codepoints).partition("-")
    return "-".join(p for p in (first, tone, rest) if p)


def fluent_codepoints(stems: list[str], names: dict[str, str]) -> dict[str, str]:
    """fluentui file stem -> codepoints, for the stems whose name is known."""
    toned = {s[: -len("-default")] for s in stems if s.endswith("-default")}
    out = {}
    for stem in stems:
        base, tone = stem, ""
        for suffix in sorted(FLUENT_TONES, key=len, reverse=True):
            if stem.endswith("-" + suffix) and stem[: -len(suffix) - 1] in toned:
                base, tone = stem[: -len(suffix) - 1], FLUENT_TONES[suffix]
                break
        if base in names:
            out[stem] = _with_tone(names[base], tone)
    return out


def list_source(source: Source, root: Path, catalog: dict[str, Entry],
                names: dict[str, str]) -> tuple[list[Item], int]:
    """(items sorted by file name, how many files matched no catalog entry)."""
    if source.layout == "datasource":
        files = sorted((root / "img" / source.style / "64").glob("*.png"))
        codes = {f.stem: f.stem for f in files}
    elif source.layout == "openmoji":
        files = sorted((root / source.style / "svg").glob("*.svg"))
        codes = {f.stem: f.stem for f in files}
    elif source.layout == "fluentui":
        files = sorted((root / "icons" / source.style).glob("*.svg"))
        codes = fluent_codepoints([f.stem for f in files], names)
    else:
        raise ValueError(f"unknown layout {source.layout!r}")
    items, unmapped = [], 0
    for f in files:
        entry = catalog.get(key(codes[f.stem])) if f.stem in codes else None
        if entry is None:
            unmapped += 1
            continue
        items.append(Item(source.key, f, key(entry.codepoints).lower(), entry))
    return items, unmapped


def list_folder(folder: Path, catalog: dict[str, Entry]) -> list[Item]:
    """Every image under folder (sorted), named from its file name; subfolders become categories.

    A file named by codepoints (e.g. 1f600.png) takes the catalog's name and category when known.
    """
    items, used = [], set()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()
                    and p.suffix.lower() in IMAGE_SUFFIXES):
        rel = f.relative_to(folder)
        entry = catalog.get(key(f.stem)) if _HEX_NAME.match(f.stem) else None
        if entry is None:
            category = rel.parts[0] if len(rel.parts) > 1 else ""
            subcategory = "/".join(rel.parts[1:-1])
            name = re.sub(r"[-_]+", " ", f.stem).strip().lower()
            entry = Entry("", name, category, subcategory)
        stem = re.sub(r"[^a-z0-9]+", "-", str(rel.with_suffix("")).lower()).strip("-") or "image"
        unique, n = stem, 2
        while unique in used:
            unique, n = f"{stem}-{n}", n + 1
        used.add(unique)
        items.append(Item("folder", f, unique, entry))
    return items


def pick_tones(items: list[Item], per_emoji: int | None) -> list[Item]:
    """Keep every default (yellow) emoji and at most per_emoji skin-tone variants of each emoji
    and source (None: all). The kept tones rotate from emoji to emoji (a stable hash picks the
    first), so all five tones appear about equally without five near-copies of every person."""
    if per_emoji is None:
        return list(items)
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for it in items:
        if it.entry.tones:
            groups[(it.source, base_name(it.entry))].append(it)
    chosen: set[tuple[str, str]] = set()
    for (source, base), group in groups.items():
        group.sort(key=lambda it: it.entry.tones)
        start = zlib.crc32(f"{source}:{base}".encode()) % len(group)
        for i in range(min(per_emoji, len(group))):
            chosen.add((source, group[(start + i) % len(group)].stem))
    return [it for it in items if not it.entry.tones or (it.source, it.stem) in chosen]
