"""Which model 'latest' means: the newest dropped file, but default.onnx on a fresh checkout."""

import os

from installation.model.choose import candidates


def _touch(folder, name, mtime):
    path = folder / name
    path.write_bytes(b"x")
    os.utime(path, (mtime, mtime))
    return path


def test_fresh_checkout_plays_default_even_if_written_a_moment_later(tmp_path):
    _touch(tmp_path, "faithful.onnx", 1_000_000.9)
    _touch(tmp_path, "default.onnx", 1_000_000.2)
    assert [p.name for p in candidates(tmp_path)] == ["default.onnx", "faithful.onnx"]


def test_a_model_dropped_later_is_latest(tmp_path):
    _touch(tmp_path, "default.onnx", 1_000_000)
    _touch(tmp_path, "faithful.onnx", 1_000_001)
    _touch(tmp_path, "new.onnx", 1_000_600)
    assert [p.name for p in candidates(tmp_path)] == ["new.onnx", "faithful.onnx", "default.onnx"]


def test_hidden_and_other_files_are_not_models(tmp_path):
    _touch(tmp_path, ".partial.onnx", 1_000_000)
    _touch(tmp_path, "notes.txt", 1_000_000)
    assert candidates(tmp_path) == []
