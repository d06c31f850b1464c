"""Drawn stand-ins for emoji files and a fake npm cache, so dataset tests need no network."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

from trainer.dataset.fetch import COMPLETE

SKIN = (224, 187, 148)
YELLOW = (255, 204, 51)


def face(size: int = 64, colour=YELLOW, mouth: str = "smile") -> Image.Image:
    """An RGBA face on a transparent background: a disc, two eyes and a mouth."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = size * 0.4
    c = size / 2
    d.ellipse((c - r, c - r, c + r, c + r), fill=colour + (255,))
    for ex in (-0.15, 0.15):
        x = c + ex * size
        d.ellipse((x - 3, c - 8, x + 3, c - 2), fill=(40, 30, 20, 255))
    box = (c - 12, c + 2, c + 12, c + 16)
    if mouth == "smile":
        d.arc(box, 20, 160, fill=(90, 20, 20, 255), width=3)
    else:
        d.arc((box[0], box[1] + 8, box[2], box[3] + 8), 200, 340, fill=(90, 20, 20, 255), width=3)
    return img


def write_folder(folder: Path) -> None:
    """A small artist's folder: named files, one subfolder, an SVG and three distinct faces."""
    (folder / "happy").mkdir(parents=True)
    face(mouth="smile").save(folder / "happy" / "big_grin.png")
    face(mouth="frown").save(folder / "sad_one.png")
    face(colour=SKIN).save(folder / "skin-face.png")
    (folder / "disc.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
                                     '<circle cx="16" cy="16" r="12" fill="#e33"/></svg>')


CATALOG = [
    {"name": "GRINNING FACE", "unified": "1F600", "short_name": "grinning",
     "category": "Smileys & Emotion", "subcategory": "face-smiling"},
    {"name": "FROWNING FACE", "unified": "2639-FE0F", "short_name": "frowning",
     "category": "Smileys & Emotion", "subcategory": "face-concerned"},
    {"name": "BOY", "unified": "1F466", "short_name": "boy", "category": "People & Body",
     "subcategory": "person", "skin_variations": {
         t: {"unified": f"1F466-{t}"} for t in ("1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF")}},
    {"name": "RED APPLE", "unified": "1F34E", "short_name": "apple", "category": "Food & Drink",
     "subcategory": "food-fruit"},
]


def _complete(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / COMPLETE).write_text("test\n")
    return root


def write_cache(cache: Path) -> None:
    """A cache as if `npm pack` had fetched emoji-datasource and emoji-datasource-google@16.0.0."""
    cat = _complete(cache / "packages" / "emoji-datasource-16.0.0")
    (cat / "emoji.json").write_text(json.dumps(CATALOG))
    img = _complete(cache / "packages" / "emoji-datasource-google-16.0.0") / "img" / "google" / "64"
    img.mkdir(parents=True)
    face(mouth="smile").save(img / "1f600.png")
    face(mouth="frown").save(img / "2639-fe0f.png")
    face(colour=(255, 0, 0)).save(img / "1f34e.png")
    tones = [(250, 220, 190), (225, 185, 150), (190, 140, 100), (150, 100, 70), (90, 60, 40)]
    face(colour=(250, 160, 60), mouth="frown").save(img / "1f466.png")
    for t, colour in zip(("1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"), tones):
        face(colour=colour, mouth="frown").save(img / f"1f466-{t}.png")
    (img / "1f47d.png").write_bytes(b"not a png at all")   # in no catalog: counted as unmapped
