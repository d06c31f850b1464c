"""ONNX export: contract metadata, timelapse strip, ORT/torch parity, dynamic batch, fp16, --inspect, refusals."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from installation.model.contract import check_shapes, parse_metadata
from trainer import export
from trainer.cli import main
from trainer.export import graph_shapes, load_generator


@pytest.fixture(scope="module")
def exported(exportable_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    assert main(["export", str(exportable_run), "--out", str(out), "--title", "Tiny test"]) == 0
    return out


def test_metadata_honours_the_contract(exported):
    model = onnx.load(str(exported))
    props = {p.key: p.value for p in model.metadata_props}
    info = parse_metadata(props)
    check_shapes(info, *graph_shapes(model))
    assert (info.z_dim, info.image_size, info.channels, info.output_range) == (100, 16, 3, (-1.0, 1.0))
    assert info.title == "Tiny test"
    assert info.info["epochs"] == "2" and info.info["steps"] == "6" and info.info["opset"] == "18"
    assert info.info["dataset_images"] == "48"
    assert info.info["data_licences"] == "CC-BY-4.0 (32); Apache-2.0 (16)"
    assert info.info["weights"] == "ema fp32"
    assert len(info.info["checkpoint_sha256"]) == 64 and info.info["created"].endswith("Z")
    assert graph_shapes(model)[0][0] == graph_shapes(model)[1][0] == "batch"


def test_timelapse_payload_is_one_png_strip(exported):
    info = parse_metadata({p.key: p.value for p in onnx.load(str(exported)).metadata_props})
    t = info.timelapse
    assert t["format"] == "png-strip" and t["frame_px"] == 16
    assert t["frames"] == 4 and t["steps"] == [0, 2, 4, 6] and t["epochs"] == [1, 1, 2, 2]
    strip = Image.open(io.BytesIO(base64.b64decode(t["png_base64"])))
    assert strip.size == (4 * 16, 16)


def test_onnx_draws_what_torch_draws_at_any_batch(exported, exportable_run):
    g, _, _ = load_generator(exportable_run)
    session = ort.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    for batch in (1, 5, 33):
        z = torch.randn(batch, 100, generator=torch.Generator().manual_seed(batch))
        got = session.run(["image"], {"z": z.numpy()})[0]
        with torch.no_grad():
            want = g(z).numpy()
        assert got.shape == (batch, 3, 16, 16)
        assert np.abs(got - want).max() <= 1e-4


def test_exported_weights_are_the_ema_ones(exportable_run):
    g, ckpt, _ = load_generator(exportable_run)
    name = "main.0.weight"
    assert torch.equal(g.state_dict()[name], ckpt["ema"][name])
    assert not torch.equal(ckpt["ema"][name], ckpt["generator"][name])


def test_graph_is_clean(exported):
    ops = [n.op_type for n in onnx.load(str(exported)).graph.node]
    assert "BatchNormalization" not in ops  # folded into the convolutions at export
    assert ops.count("ConvTranspose") == 3 and ops[-1] == "Tanh"


def test_fp16_halves_the_file_and_stays_close(exported, exportable_run, tmp_path, capsys):
    out = tmp_path / "half.onnx"
    assert main(["export", str(exportable_run), "--out", str(out), "--fp16"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert out.stat().st_size < 0.6 * exported.stat().st_size
    assert summary["max_abs_diff"] <= export.FP16_TOLERANCE
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].type == "tensor(float)"  # the contract's input type is unchanged


def test_failed_parity_writes_nothing(exportable_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(export, "FP32_TOLERANCE", 0.0)
    monkeypatch.setattr(export, "parity", lambda data, g: 3e-3)
    out = tmp_path / "bad.onnx"
    assert main(["export", str(exportable_run), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "differs from torch by 3.00e-03" in err and "not written" in err and len(err.splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_missing_run_is_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nope"), "--out", str(tmp_path / "x.onnx")]) == 2
    assert "nope: no such run folder" in capsys.readouterr().err


def test_inspect_summarises_the_timelapse(exported, capsys):
    assert main(["export", "--inspect", str(exported)]) == 0
    text = capsys.readouterr().out
    assert "title: Tiny test" in text and "z ['batch', 100]" in text
    assert "timelapse: png-strip: 4 frames of 16 px, steps 0..6" in text
    assert "iVBOR" not in text  # the base64 PNG itself is not dumped


def test_inspect_of_a_broken_file(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx at all")
    assert main(["export", "--inspect", str(bad)]) == 2
    assert "bad.onnx: not a readable ONNX model" in capsys.readouterr().err


def test_grid_shows_what_the_exported_file_draws(exportable_run, tmp_path):
    out, png = tmp_path / "m.onnx", tmp_path / "grid.png"
    assert main(["export", str(exportable_run), "--out", str(out), "--grid", str(png)]) == 0
    image = np.asarray(Image.open(png))
    assert image.shape == (2 * (10 * 18 + 2), 2 * (10 * 18 + 2), 3)  # 10 x 10 tiles of 16 px, 2 px gaps, x2
    tiles = [image[4 + 36 * r: 4 + 36 * r + 32, 4:36] for r in range(3)]
    assert not np.array_equal(tiles[0], tiles[1])  # different latents, different emoji


def test_a_damaged_timelapse_shard_is_one_line_and_writes_nothing(exportable_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(exportable_run, run)
    (run / "timelapse" / "epoch-002.npz").write_bytes(b"not a zip")
    out = tmp_path / "x.onnx"
    assert main(["export", str(run), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "epoch-002.npz: cannot read" in err and len(err.splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("payload, summary", [
    ("{not json", "(not valid JSON, 9 characters)"),
    ('{"format": "mp4"}', "(damaged: timelapse format 'mp4' is not 'png-strip')"),
])
def test_inspect_names_a_damaged_timelapse(exported, tmp_path, capsys, payload, summary):
    model = onnx.load(str(exported))
    next(p for p in model.metadata_props if p.key == "timelapse").value = payload
    onnx.save(model, str(tmp_path / "damaged.onnx"))
    assert main(["export", "--inspect", str(tmp_path / "damaged.onnx")]) == 0
    assert f"timelapse: {summary}" in capsys.readouterr().out


def test_an_unusable_config_json_is_one_line_and_writes_nothing(exportable_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(exportable_run, run)
    (run / "config.json").write_text("{not json")
    out = tmp_path / "x.onnx"
    assert main(["export", str(run), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "config.json: not valid JSON" in err and len(err.splitlines()) == 1
    assert not out.exists()
