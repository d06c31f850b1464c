"""A PC's own disk for a wall of several: what its technician sets before switching it on (no QEMU)."""

import fcntl
import os
import shutil
import subprocess

import pytest

from gallery.image import Image, held, layer_names, pc_disk, prune, room_problem, run_logged, tree_bytes

needs_e2fsprogs = pytest.mark.skipif(not (shutil.which("mkfs.ext4") and shutil.which("debugfs")),
                                     reason="needs e2fsprogs (mkfs.ext4, debugfs)")


def _debugfs(disk, request: str) -> str:
    return subprocess.run(["debugfs", "-R", request, str(disk)], capture_output=True, text=True).stdout


@needs_e2fsprogs
def test_a_pc_disk_holds_its_screen_name_show_and_enabled_unit(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "lib/systemd/system").mkdir(parents=True)
    (root / "lib/systemd/system/systemd-networkd.service").write_text("[Unit]\n")
    (root / "opt/aimoji/show_configs").mkdir(parents=True)
    (root / "opt/aimoji/show_configs/active.toml").write_text("title = 'the image's show'\n")
    disk = tmp_path / "left.img"
    files = {"/etc/aimoji/screen": "left\n", "/opt/aimoji/show_configs/active.toml": "title = 'wall'\n"}
    pc_disk(Image(root, tmp_path / "unused.img", root / "k", root / "i"), disk, files,
            ("systemd-networkd.service",), tmp_path / "build.log")
    assert _debugfs(disk, "cat /etc/aimoji/screen") == "left\n"
    assert _debugfs(disk, "cat /opt/aimoji/show_configs/active.toml") == "title = 'wall'\n"   # replaced
    link = _debugfs(disk, "stat /etc/systemd/system/multi-user.target.wants/systemd-networkd.service")
    assert "/lib/systemd/system/systemd-networkd.service" in link
    assert (root / "opt/aimoji/show_configs/active.toml").read_text() == "title = 'the image's show'\n"


def _layer(cache, name):
    (cache / name / "usr").mkdir(parents=True)
    (cache / name / "usr" / "big").write_bytes(b"x" * 65536)
    return cache / name


def test_stale_layers_go_unless_another_run_holds_them(tmp_path, capsys):
    keep = ("base-current", "root-current")
    current = [_layer(tmp_path, name) for name in keep]
    stale, half_built, held_elsewhere = (_layer(tmp_path, n) for n in ("root-old", "root-older.tmp", "base-other"))
    (tmp_path / "notes").mkdir()                                          # not a layer: left alone
    with open(tmp_path / "base-other.lock", "a") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_SH)
        prune(tmp_path, keep)
        assert all(layer.exists() for layer in current) and held_elsewhere.exists() and (tmp_path / "notes").exists()
        assert not stale.exists() and not half_built.exists()
        said = capsys.readouterr().out
        assert "removed root-old (0.0 GB)" in said and "base-other kept: another gallery run holds it" in said
    prune(tmp_path, keep)                                                 # that run has ended
    assert not held_elsewhere.exists() and all(layer.exists() for layer in current)


def test_a_run_holds_its_own_layers_against_another_checkouts_prune(tmp_path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("held() is for root, as the gallery build is")
    monkeypatch.setenv("AIMOJI_GALLERY_CACHE", str(tmp_path))
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "constraints.txt", "Makefile"):
        (project / name).write_text(name)
    base, root = (_layer(tmp_path, n) for n in layer_names(project))
    stale = _layer(tmp_path, "root-0ld")
    with held(project) as cache:
        assert cache == tmp_path and not stale.exists()
        prune(tmp_path, ("base-else", "root-else"))                      # a checkout with other dependencies
        assert base.exists() and root.exists()
    prune(tmp_path, ("base-else", "root-else"))
    assert not base.exists() and not root.exists()


def test_no_room_for_a_disk_is_one_line_naming_the_folder_and_figures(tmp_path):
    assert room_problem(4_000_000_000, 1_700_000_000, tmp_path) is None
    problem = room_problem(1_200_000_000, 1_700_000_000, tmp_path)
    assert problem == (f"gallery: {tmp_path} has 1.2 GB free; a disk of this image needs about 1.7 GB "
                       "(free space there, or give --out another file system)")


def test_a_hard_linked_file_counts_once_as_on_the_disk(tmp_path):
    (tmp_path / "python3.11").write_bytes(b"x" * 65536)
    alone = tree_bytes(tmp_path)
    os.link(tmp_path / "python3.11", tmp_path / "python3")
    assert tree_bytes(tmp_path) == alone >= 65536
    (tmp_path / "copy").write_bytes(b"y" * 65536)
    assert tree_bytes(tmp_path) >= alone + 65536


def test_a_failed_build_step_quotes_its_own_output_not_the_steps_before(tmp_path):
    log = tmp_path / "build.log"
    run_logged(["sh", "-c", "echo 'rm: File not found by ext2_lookup'"], log, "set up disk.img")
    with pytest.raises(SystemExit) as failed:
        run_logged(["sh", "-c", "echo 'mkfs.ext4: No space left on device while writing file'; exit 1"], log,
                   "write the ext4 disk")
    said = str(failed.value)
    assert said.startswith("gallery: write the ext4 disk failed (exit 1)") and "No space left on device" in said
    assert "ext2_lookup" not in said and "ext2_lookup" in log.read_text()
