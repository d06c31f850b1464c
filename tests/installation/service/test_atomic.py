"""installation/atomic.py: the target is replaced whole or not at all, and no temp file is left behind."""

import json
import os

import pytest

from installation import atomic
from installation.service.reload.stable_file import watched_kind


def test_success_replaces_the_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "night.onnx"
    path.write_bytes(b"old")
    atomic.write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["night.onnx"]


def test_an_exception_mid_write_keeps_the_old_file_and_removes_the_temp(tmp_path):
    path = tmp_path / "night.onnx"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk pulled"):
        with atomic.atomic_path(path) as tmp:
            tmp.write_bytes(b"half of the ne")
            raise RuntimeError("disk pulled")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["night.onnx"]


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    path = tmp_path / "status.json"
    atomic.write_json_atomic(path, {"a": 1})

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_json_atomic(path, {"a": 2})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["status.json"]


@pytest.mark.parametrize("suffix, temp_suffix", [(None, f".tmp-{os.getpid()}"), (".onnx", ".onnx"), (".mp4", ".mp4")])
def test_the_temp_file_is_hidden_beside_the_target_and_ignored_by_the_reloader(tmp_path, suffix, temp_suffix):
    path = tmp_path / "models" / "night.onnx"
    path.parent.mkdir()
    with atomic.atomic_path(path, suffix=suffix) as tmp:
        assert tmp.parent == path.parent
        assert tmp.name.startswith(".") and tmp.name != path.name
        assert watched_kind(tmp) is None
        assert tmp.suffix == temp_suffix
        tmp.write_bytes(b"whole")
    assert path.read_bytes() == b"whole"


def test_a_missing_folder_is_an_error_not_created(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic.write_text_atomic(tmp_path / "nowhere" / "x.txt", "hi")
    assert os.listdir(tmp_path) == []


def test_mode_is_set_even_under_a_strict_umask(tmp_path):
    old = os.umask(0o077)
    try:
        atomic.write_text_atomic(tmp_path / "a.txt", "ü\n", mode=0o644)
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "a.txt").read_bytes() == "ü\n".encode()


def test_replace_dir_swaps_a_folder_whole(tmp_path):
    out, staging = tmp_path / "frames", tmp_path / ".frames.staging"
    out.mkdir()
    (out / "old.png").write_bytes(b"1")
    staging.mkdir()
    (staging / "new.png").write_bytes(b"2")
    atomic.replace_dir(staging, out)
    assert os.listdir(out) == ["new.png"]
    assert sorted(os.listdir(tmp_path)) == ["frames"]
