"""The one model loader: good generators come back ready to run; each kind of bad file gets its one line."""

import numpy as np
import pytest

from installation.model.load import ModelError, describe, load
from tests.support.model_files import BAD_KINDS, HUGE_LIMIT_BYTES, Z_DIM, check_onnx, generator_bytes, model_bytes

REASONS = {
    "zero_bytes": "empty file (0 bytes); allowed: an ONNX generator from aimoji-train export",
    "truncated": "truncated or damaged ONNX file ([ONNXRuntimeError] : 7 : INVALID_PROTOBUF : "
                 "Failed to load model because protobuf parsing failed.)",
    "not_onnx": "not an ONNX file; allowed: an ONNX generator from aimoji-train export",
    "wrong_shapes": "output axis 2 is 8 but metadata says 16 (output ['batch', 3, 8, 8])",
    "nan_output": "output has NaN or Inf in 1536 of 1536 values; allowed: finite numbers",
    "inf_output": "output has NaN or Inf in 8 of 1536 values; allowed: finite numbers",
    "constant_output": "every latent gives the same image; allowed: a generator that responds to z",
    "faint_output": "draws nothing: 8 of 8 pictures are one flat colour (spread under 2 of 255 levels; output "
                    "-0.0179..0.0174 of -1..1); allowed: a trained generator",
    "huge": "1.21 MB is too large; allowed: at most 1 MB",
    "bad_metadata": "metadata lacks 'z_dim'",
}


def test_every_bad_kind_has_an_expected_reason():
    assert set(REASONS) == set(BAD_KINDS)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_file_is_rejected_with_one_line(tmp_path, kind):
    path = tmp_path / f"{kind}.onnx"
    path.write_bytes(model_bytes(kind))
    with pytest.raises(ModelError) as caught:
        load(path, max_bytes=HUGE_LIMIT_BYTES)
    assert caught.value.reason == REASONS[kind] and str(caught.value) == f"{path}: {REASONS[kind]}"


@pytest.mark.parametrize("metadata, reason", [
    ({"output_range": "0,1"}, "output spans -1..1; allowed: within metadata output_range 0,1"),
    ({"format_version": "7"}, "metadata format_version 7 is newer than this player understands (1)"),
    ({"channels": "2"}, "metadata 'channels' = 2, allowed: 1 or 3"),
    ({"z_dim": "9"}, "input z has 8 dims but metadata z_dim is 9"),
])
def test_metadata_that_lies_about_the_graph(tmp_path, metadata, reason):
    path = tmp_path / "m.onnx"
    path.write_bytes(generator_bytes(metadata=metadata))
    with pytest.raises(ModelError) as caught:
        load(path)
    assert caught.value.reason == reason


def test_flat_output_is_rejected(tmp_path):
    path = tmp_path / "flat.onnx"
    data = generator_bytes(weights="zero")
    path.write_bytes(data)
    import onnx
    model = onnx.load_from_string(data)
    model.graph.initializer[1].raw_data = np.zeros(3 * 8 * 8, np.float32).tobytes()  # bias 0: grey
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelError, match=r"draws nothing: 8 of 8 pictures are one flat colour \(spread under 2 "
                                         r"of 255 levels; output 0\.\.0 of -1\.\.1\); allowed: a trained generator$"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="file not found"):
        load(tmp_path / "gone.onnx")


@pytest.mark.parametrize("batch, size", [("batch", "7.29 kB"), (1, "7.28 kB"), (2, "7.28 kB")])
def test_good_model_comes_back_ready_to_run(tmp_path, batch, size):
    data = generator_bytes(seed=3, batch=batch)
    check_onnx(data)
    path = tmp_path / "night_v2.onnx"
    path.write_bytes(data)
    model = load(path)
    assert model.name == "night_v2" and model.batch_fixed == (None if batch == "batch" else batch)
    z = np.zeros((model.batch_fixed or 5, Z_DIM), np.float32)
    image = model.run(z)
    assert image.shape == (len(z), 3, 8, 8)
    assert describe(model) == f"z 8, 8x8 RGB, {size}, 'linear test generator'"
    assert len(model.sha256) == 64 and model.size_bytes == len(data)


def test_a_graph_with_no_outputs_is_one_line_naming_the_file(tmp_path):
    import onnx
    model = onnx.load_from_string(generator_bytes())
    del model.graph.output[:]
    path = tmp_path / "mute.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_a_model_that_fails_at_the_players_batch_is_refused_at_load(tmp_path):
    """Works for three latents, not for eight: the probe runs the player's own batch."""
    import onnx
    from onnx import helper
    model = onnx.load_from_string(generator_bytes())
    # A Reshape to a fixed batch of 3 in front of everything: fine for 3 latents, an error for 8.
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.array([3, Z_DIM], np.int64), "three"))
    model.graph.node.insert(0, helper.make_node("Reshape", ["z", "three"], ["z3"]))
    model.graph.node[1].input[0] = "z3"
    path = tmp_path / "three.onnx"
    path.write_bytes(model.SerializeToString())
    assert load(path, batch=3).name == "three"
    with pytest.raises(ModelError, match="inference failed"):
        load(path, batch=8)


def test_the_machine_rate_is_measured_at_load(tiny_model_path):
    assert load(tiny_model_path).images_per_s > 10


def test_a_dcgan_exported_by_torch_passes(tiny_model_path):
    model = load(tiny_model_path)
    assert (model.info.z_dim, model.info.image_size) == (16, 32)


def test_a_slow_machine_is_measured_once_fast_ones_three_times():
    # On the gallery VM (emulated CPU) one batch of 8 takes ~10 s: the probe's cold run is the answer,
    # where three more warm runs would keep the wall dark for half a minute longer.
    from types import SimpleNamespace
    from installation.model import load as model_load
    calls = []
    model = SimpleNamespace(info=SimpleNamespace(z_dim=4), run=lambda z: calls.append(len(z)))
    assert model_load._images_per_s(model, 8, probed=2.0) == 2.0 and calls == []
    assert model_load._images_per_s(model, 8, probed=500.0) > 500 and calls == [8, 8, 8]
