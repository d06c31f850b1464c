"""A PC's own disk for a wall of several: what its technician sets before switching it on (no QEMU)."""

import shutil
import subprocess

import pytest

from gallery.image import Image, pc_disk

pytestmark = pytest.mark.skipif(not (shutil.which("mkfs.ext4") and shutil.which("debugfs")),
                                reason="needs e2fsprogs (mkfs.ext4, debugfs)")


def _debugfs(disk, request: str) -> str:
    return subprocess.run(["debugfs", "-R", request, str(disk)], capture_output=True, text=True).stdout


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
