"""Rewriting an ONNX file's metadata keeps its graph and other keys, and never leaves a half-written file."""

import os

import numpy as np
import onnxruntime as ort
import pytest

from installation.model.contract import parse_metadata
from moods_fixtures import toy_generator
from trainer.onnx_metadata import MetadataError, read_metadata, write_metadata


def _run(path, z):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(["image"], {"z": z})[0]


def test_set_and_remove_keys_keeps_graph_and_other_keys(tmp_path):
    path, _ = toy_generator(tmp_path / "g.onnx", z_dim=8, size=16)
    z = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    before = _run(path, z)
    props = write_metadata(path, {"moods": '{"classes": ["happy"]}', "title": None})
    assert props == read_metadata(path)
    assert props["moods"] == '{"classes": ["happy"]}' and "title" not in props
    assert list(props)[:5] == ["format_version", "z_dim", "image_size", "channels", "output_range"]
    info = parse_metadata(props)
    assert info.moods == {"classes": ["happy"]} and info.z_dim == 8
    np.testing.assert_array_equal(_run(path, z), before)
    assert sorted(os.listdir(tmp_path)) == ["g.onnx"]  # no temp file left behind


def test_rewriting_a_key_replaces_it(tmp_path):
    path, _ = toy_generator(tmp_path / "g.onnx", z_dim=8, size=16)
    write_metadata(path, {"moods": "1"})
    write_metadata(path, {"moods": "2"})
    assert [k for k in read_metadata(path)].count("moods") == 1
    assert read_metadata(path)["moods"] == "2"


def test_a_failed_write_leaves_the_original(tmp_path, monkeypatch):
    path, _ = toy_generator(tmp_path / "g.onnx", z_dim=8, size=16)
    original = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(MetadataError, match="No space left"):
        write_metadata(path, {"moods": "{}"})
    assert path.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["g.onnx"]


@pytest.mark.parametrize("content, problem", [
    (None, "no such ONNX file"),
    (b"this is not a protobuf \xff\xfe", "not a readable ONNX model"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path, content, problem):
    path = tmp_path / "bad.onnx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MetadataError, match=problem) as err:
        read_metadata(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_values_must_be_text(tmp_path):
    path, _ = toy_generator(tmp_path / "g.onnx", z_dim=8, size=16)
    with pytest.raises(MetadataError, match="must be text"):
        write_metadata(path, {"z_dim": 8})
