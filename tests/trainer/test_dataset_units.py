"""Dataset builder parts: codepoint keys, subsets, fluentui names, tones, rendering and de-dup."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from trainer.dataset import DatasetError, sources
from trainer.dataset.catalog import Entry, in_subset, key, parse_catalog
from trainer.dataset.dedupe import Deduper
from trainer.dataset.inventory import Item, fluent_codepoints, pick_tones
from trainer.dataset.render import RenderError, render_file, square_on_white

from dataset_fixtures import CATALOG, SKIN, face


@pytest.mark.parametrize("raw, expected", [
    ("1f600", "1F600"),
    ("2639-fe0f", "2639"),
    ("2639", "2639"),
    ("1F468-200D-1F3A8", "1F468-200D-1F3A8"),
    ("0023-FE0F-20E3", "0023-20E3"),
    ("23_20e3", "0023-20E3"),
])
def test_key_ignores_case_separators_and_fe0f(raw, expected):
    assert key(raw) == expected


def test_catalog_names_skin_variants():
    cat = parse_catalog(CATALOG)
    assert cat["1F600"].name == "grinning face"
    assert cat["2639"].codepoints == "2639-FE0F"
    dark = cat["1F466-1F3FF"]
    assert (dark.name, dark.category, dark.subcategory, dark.tones) == \
        ("boy: dark skin tone", "People & Body", "person", "1F3FF")


@pytest.mark.parametrize("category, subcategory, name, faces, all_", [
    ("Smileys & Emotion", "face-smiling", "grinning face", True, True),
    ("Smileys & Emotion", "cat-face", "grinning cat", True, True),
    ("Smileys & Emotion", "heart", "red heart", False, False),
    ("People & Body", "person-role", "man artist", False, True),
    ("People & Body", "person-sport", "person surfing", False, False),
    ("People & Body", "person-symbol", "bust in silhouette", False, True),
    ("Animals & Nature", "animal-mammal", "dog face", False, True),
    ("Travel & Places", "time", "clock face one oclock", False, False),
    ("Food & Drink", "food-fruit", "red apple", False, False),
])
def test_subsets(category, subcategory, name, faces, all_):
    entry = Entry("1F600", name, category, subcategory)
    assert (in_subset(entry, "faces"), in_subset(entry, "all")) == (faces, all_)


def test_fluent_names_with_and_without_tones():
    names = {"man-artist": "1F468-200D-1F3A8", "grinning-face": "1F600",
             "horizontal-traffic": "1F6A5"}
    stems = ["man-artist-default", "man-artist-light", "man-artist-medium-dark", "grinning-face",
             "horizontal-traffic", "unknown-thing"]
    assert fluent_codepoints(stems, names) == {
        "man-artist-default": "1F468-200D-1F3A8",
        "man-artist-light": "1F468-1F3FB-200D-1F3A8",
        "man-artist-medium-dark": "1F468-1F3FE-200D-1F3A8",
        "grinning-face": "1F600",
        # no "-default" sibling: "-traffic" is part of the name, never a tone suffix
        "horizontal-traffic": "1F6A5",
    }


def _items():
    cat = parse_catalog(CATALOG)
    return [Item(src, None, k.lower(), e) for src in ("a", "b") for k, e in sorted(cat.items())]


@pytest.mark.parametrize("per_emoji, expected_tones", [(0, 0), (1, 2), (2, 4), (None, 10)])
def test_pick_tones_keeps_defaults_and_n_tones_per_source(per_emoji, expected_tones):
    picked = pick_tones(_items(), per_emoji)
    assert sum(1 for it in picked if it.entry.tones) == expected_tones
    assert sum(1 for it in picked if not it.entry.tones) == 8
    assert picked == pick_tones(_items(), per_emoji)     # deterministic


def test_resolve_sources():
    assert [s.key for s in sources.resolve(None, False)] == sources.default_keys()
    assert all(s.open for s in sources.resolve(None, False))
    with pytest.raises(DatasetError, match="unknown source 'nope'"):
        sources.resolve(["nope"], False)
    with pytest.raises(DatasetError, match="--allow-proprietary"):
        sources.resolve(["apple-16"], False)
    assert [s.key for s in sources.resolve(["apple-16"], True)] == ["apple-16"]


def test_half_transparent_red_becomes_pink_on_white():
    img = Image.new("RGBA", (40, 40), (255, 0, 0, 128))
    out = np.asarray(square_on_white(img, 64))
    centre = out[32, 32]
    assert centre[0] == 255 and 120 <= centre[1] <= 135 and abs(int(centre[1]) - int(centre[2])) <= 1
    assert tuple(out[0, 0]) == (255, 255, 255)   # the margin is white, not black


@pytest.mark.parametrize("size", [64, 128])
def test_content_is_centred_and_resized(size):
    img = Image.new("RGBA", (200, 90), (0, 0, 0, 0))
    img.paste((0, 0, 255, 255), (150, 10, 190, 50))     # a 40 px square, far off-centre
    out = square_on_white(img, size)
    assert out.mode == "RGB" and out.size == (size, size)
    ink = np.argwhere(np.asarray(out)[..., 2] > np.asarray(out)[..., 0] + 100)
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0)
    assert abs(left - (size - 1 - right)) <= 1 and abs(top - (size - 1 - bottom)) <= 1
    assert right - left + 1 >= size * 0.85              # the content fills the frame


def test_unreadable_and_empty_files_raise(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG broken")
    with pytest.raises(RenderError):
        render_file(bad, 32)
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(tmp_path / "empty.png")
    with pytest.raises(RenderError, match="nothing drawn"):
        render_file(tmp_path / "empty.png", 32)


def test_svg_renders(tmp_path):
    svg = tmp_path / "d.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                   '<rect x="2" y="2" width="6" height="6" fill="#00f"/></svg>')
    out = np.asarray(render_file(svg, 32))
    assert tuple(out[16, 16]) == (0, 0, 255) and tuple(out[0, 0]) == (255, 255, 255)


def _rgb(img):
    return square_on_white(img, 64)


def test_dedupe_exact_near_and_distinct():
    d = Deduper()
    smile = _rgb(face(mouth="smile"))
    assert d.check(smile) == ("new", 0)
    assert d.check(smile.copy()) == ("exact", 0)
    noisy = np.asarray(smile).astype(int) + np.random.default_rng(0).integers(-3, 4, (64, 64, 3))
    assert d.check(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)))[0] == "near"
    # another skin tone and another expression are different emoji, however similar the shapes
    assert d.check(_rgb(face(colour=SKIN)))[0] == "new"
    assert d.check(_rgb(face(mouth="frown")))[0] == "new"
    assert d.kept == 3

