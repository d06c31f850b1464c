"""Names and categories by codepoint, from emoji-datasource's emoji.json, and the subset rules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from trainer.dataset import DatasetError

SKIN_TONES = {"1F3FB": "light skin tone", "1F3FC": "medium-light skin tone",
              "1F3FD": "medium skin tone", "1F3FE": "medium-dark skin tone",
              "1F3FF": "dark skin tone"}

# People emoji that are drawn as a head or a bust (not a whole body doing something).
PEOPLE_SUBCATEGORIES = {"person", "person-gesture", "person-role", "person-fantasy"}
SUBSETS = ("faces", "all")


@dataclass(frozen=True)
class Entry:
    codepoints: str     # canonical: upper-case hex joined by '-', as emoji.json's `unified`
    name: str           # lower-case Unicode name, with the skin tone(s) after a colon
    category: str       # e.g. "Smileys & Emotion"
    subcategory: str    # e.g. "face-smiling"
    tones: str = ""     # skin-tone modifier(s) of this variant, e.g. "1F3FB"; "" for the default


def key(codepoints: str) -> str:
    """Lookup key for a codepoint sequence: upper case, '-' separated, without FE0F selectors.

    Vendors disagree about variation selector 16 in file names, so it never takes part in matching.
    """
    parts = [p.upper().lstrip("0") or "0" for p in re.split(r"[-_ ]+", codepoints.strip()) if p]
    return "-".join(p.rjust(4, "0") for p in parts if p != "FE0F")


def _tone_suffix(tones: str) -> str:
    return ", ".join(SKIN_TONES.get(t, t.lower()) for t in tones.split("-"))


def parse_catalog(rows: list[dict]) -> dict[str, Entry]:
    """Entries by key() for every emoji and every skin-tone variant in an emoji.json list."""
    out: dict[str, Entry] = {}
    for row in rows:
        name = (row.get("name") or row.get("short_name") or "").lower()
        cat, sub = row.get("category") or "", row.get("subcategory") or ""
        out[key(row["unified"])] = Entry(row["unified"], name, cat, sub)
        for tones, var in (row.get("skin_variations") or {}).items():
            out[key(var["unified"])] = Entry(var["unified"], f"{name}: {_tone_suffix(tones)}",
                                             cat, sub, tones)
    return out


def load_catalog(emoji_json: Path) -> dict[str, Entry]:
    try:
        return parse_catalog(json.loads(emoji_json.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{emoji_json}: not a readable emoji.json ({exc})") from exc


def is_face(entry: Entry) -> bool:
    """Smileys & Emotion faces: the face-* subcategories plus cat and monkey faces."""
    return entry.category == "Smileys & Emotion" and (
        entry.subcategory.startswith("face-") or entry.subcategory in ("cat-face", "monkey-face"))


def is_face_like(entry: Entry) -> bool:
    """Faces, heads and busts of people, and anything else named a face (animal, moon, sun)."""
    if is_face(entry):
        return True
    if entry.category == "People & Body":
        return (entry.subcategory in PEOPLE_SUBCATEGORIES
                or any(w in entry.name for w in ("head", "bust")))
    if entry.subcategory == "time":    # "clock face one oclock" is a clock, not a face
        return False
    return "face" in entry.name.split(":")[0].split()


def in_subset(entry: Entry, subset: str) -> bool:
    return is_face(entry) if subset == "faces" else is_face_like(entry)


def base_name(entry: Entry) -> str:
    """The name without its skin tones: every tone variant of one emoji shares it."""
    return entry.name if not entry.tones else entry.name.rsplit(": ", 1)[0]


def slug(text: str) -> str:
    """File-name style words: 'Face with Tears of Joy' -> 'face-with-tears-of-joy'."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def load_name_index(openmoji_json: Path, aliases_csv: Path) -> dict[str, str]:
    """CLDR short name slug -> codepoints (fluentui names its files by these), plus reviewed aliases."""
    try:
        rows = json.loads(openmoji_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{openmoji_json}: not a readable openmoji.json ({exc})") from exc
    index = {slug(r["annotation"]): r["hexcode"] for r in rows if not r.get("skintone")}
    for line in aliases_csv.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            alias, codepoints = (c.strip() for c in line.split(",", 1))
            index[alias] = codepoints
    return index
