"""End-to-end dataset builds from a drawn folder and a fake npm cache: files, manifest, atomicity."""

from __future__ import annotations

import csv
import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from trainer import cli
from trainer.dataset import build as build_module
from trainer.dataset.build import MANIFEST_FIELDS, BuildOptions, build

from dataset_fixtures import write_cache, write_folder


def _manifest(folder):
    with open(folder / "manifest.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_from_folder_names_categories_and_images(tmp_path):
    write_folder(tmp_path / "art")
    out = tmp_path / "ds"
    summary = build(BuildOptions(out=out, size=32, from_folder=tmp_path / "art",
                                 folder_licence="CC-BY-4.0", cache=tmp_path / "cache", workers=1))
    rows = _manifest(out)
    assert list(rows[0]) == MANIFEST_FIELDS
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"big grin", "sad one", "skin face", "disc"}
    assert by_name["big grin"]["category"] == "happy"
    assert {r["licence"] for r in rows} == {"CC-BY-4.0"}
    for r in rows:
        img = Image.open(out / r["file"])
        assert (img.mode, img.size) == ("RGB", (32, 32))
        assert hashlib.sha256((out / r["file"]).read_bytes()).hexdigest() == r["sha256"]
    assert summary["images"] == 4 and json.loads((out / "summary.json").read_text())["images"] == 4
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.size == (2 * 34 + 2, 2 * 34 + 2)      # 4 images of 32 px at 1:1, 2 px gaps


def test_rebuild_is_byte_identical(tmp_path):
    write_folder(tmp_path / "art")
    a, b = tmp_path / "a", tmp_path / "b"
    for out, workers in ((a, 1), (b, 2)):
        build(BuildOptions(out=out, size=32, from_folder=tmp_path / "art",
                           cache=tmp_path / "cache", workers=workers))
    assert _digest(a) == _digest(b) and len(_digest(a)) == 7


def test_corrupt_image_is_skipped_and_counted(tmp_path):
    write_folder(tmp_path / "art")
    (tmp_path / "art" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    summary = build(BuildOptions(out=tmp_path / "ds", size=32, from_folder=tmp_path / "art",
                                 cache=tmp_path / "cache", workers=1))
    assert summary["images"] == 4 and summary["skipped"]["unreadable"] == 1
    assert "broken.png" in summary["unreadable_files"][0]


def test_failure_midway_leaves_no_output_and_keeps_the_old_one(tmp_path, monkeypatch):
    write_folder(tmp_path / "art")
    opts = BuildOptions(out=tmp_path / "ds", size=32, from_folder=tmp_path / "art",
                        cache=tmp_path / "cache", workers=1)

    def broken_sheet(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "contact_sheet", broken_sheet)
    with pytest.raises(OSError):
        build(opts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art"]     # no ds, no temp folder
    monkeypatch.undo()
    build(opts)
    before = _digest(tmp_path / "ds")
    monkeypatch.setattr(build_module, "contact_sheet", broken_sheet)
    with pytest.raises(OSError):
        build(opts)
    assert _digest(tmp_path / "ds") == before                       # the old dataset survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art", "ds"]


def test_cached_source_build_with_names_tones_and_duplicates(tmp_path):
    write_cache(tmp_path / "cache")
    out = tmp_path / "ds"
    summary = build(BuildOptions(out=out, size=32, source_keys=("google-16",),
                                 cache=tmp_path / "cache", workers=1))
    rows = _manifest(out)
    names = [r["name"] for r in rows]
    # the apple is not face-like; one of five skin tones is kept besides the yellow boy
    assert "red apple" not in names and "grinning face" in names and "frowning face" in names
    assert sum(n.startswith("boy:") for n in names) == 1 and "boy" in names
    grin = next(r for r in rows if r["name"] == "grinning face")
    assert (grin["source"], grin["version"], grin["codepoints"], grin["category"],
            grin["subcategory"], grin["licence"], grin["file"]) == \
        ("google-16", "16.0.0", "1F600", "Smileys & Emotion", "face-smiling", "Apache-2.0",
         "images/google-16_1f600.png")
    assert summary["skipped"] == {"unreadable": 0, "unmapped": 1, "not_in_subset": 1,
                                  "other_skin_tones": 4}
    faces = build(BuildOptions(out=tmp_path / "faces", size=32, source_keys=("google-16",),
                               subset="faces", cache=tmp_path / "cache", workers=1))
    assert faces["per_category"] == {"Smileys & Emotion": 2}


def test_duplicate_images_are_dropped(tmp_path):
    write_folder(tmp_path / "art")
    (tmp_path / "art" / "copy.png").write_bytes((tmp_path / "art" / "sad_one.png").read_bytes())
    rgb = np.asarray(Image.open(tmp_path / "art" / "skin-face.png")).astype(int)
    rgb[..., :3] = np.clip(rgb[..., :3] + 2, 0, 255)     # re-exported with a slight colour shift
    Image.fromarray(rgb.astype(np.uint8)).save(tmp_path / "art" / "skin-face-v2.png")
    summary = build(BuildOptions(out=tmp_path / "ds", size=32, from_folder=tmp_path / "art",
                                 cache=tmp_path / "cache", workers=1))
    assert summary["images"] == 4
    assert (summary["duplicates_dropped"]["exact"], summary["duplicates_dropped"]["near"]) == (1, 1)


@pytest.mark.parametrize("argv, message", [
    (["--sources", "nope"], "unknown source 'nope'"),
    (["--sources", "apple-16"], "--allow-proprietary"),
    (["--from-folder", "missing-dir"], "missing-dir: not a folder"),
])
def test_cli_bad_input_is_one_line(tmp_path, capsys, argv, message):
    code = cli.main(["dataset", "build", "--out", str(tmp_path / "ds"),
                     "--cache", str(tmp_path / "cache"), *argv])
    err = capsys.readouterr().err.strip()
    assert code == 1 and message in err and "\n" not in err
    assert not (tmp_path / "ds").exists()


def test_cli_says_when_npm_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    code = cli.main(["dataset", "build", "--out", str(tmp_path / "ds"),
                     "--cache", str(tmp_path / "empty-cache")])
    assert code == 1 and "npm client not found" in capsys.readouterr().err


def test_cli_build_prints_summary(tmp_path, capsys):
    write_folder(tmp_path / "art")
    code = cli.main(["dataset", "build", "--out", str(tmp_path / "ds"), "--size", "48",
                     "--from-folder", str(tmp_path / "art"), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("4 images, 48 px") and "duplicates dropped: 0 exact" in out


@pytest.mark.network
def test_network_build_one_small_source(tmp_path):
    summary = build(BuildOptions(out=tmp_path / "ds", size=32, source_keys=("google-3",),
                                 subset="faces", cache=tmp_path / "cache", workers=2))
    assert summary["images"] > 50
    assert set(summary["per_category"]) == {"Smileys & Emotion"}
    assert (tmp_path / "cache" / "tarballs" / "emoji-datasource-google-3.0.0.tgz").exists()
