"""`aimoji-train adopt`: generators trained elsewhere (pytorch/examples .pth, foreign ONNX) become playable.

Every source is built here: a pytorch/examples-layout generator with random weights and BatchNorm
statistics, saved as a state dict, and hand-built ONNX graphs of the same network (BatchNormalization
nodes unfused, as another exporter might leave them) with the input and output shapes adopt accepts.
An untrained one (pytorch/examples' own weights_init) is the generator that draws nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from PIL import Image
from torch import nn

from installation.model.contract import check_shapes, parse_metadata
from installation.model.load import load
from trainer.cli import main
from trainer.export import graph_shapes

ROOT = Path(__file__).resolve().parents[2]


class ExamplesGenerator(nn.Module):
    """pytorch/examples dcgan's netG, generalised to any power-of-two size: widths halve at each doubling."""

    def __init__(self, nz: int = 8, ngf: int = 4, nc: int = 3, size: int = 64, final: nn.Module | None = None):
        super().__init__()
        blocks = int(np.log2(size)) - 3
        width = ngf * 2 ** blocks
        layers = [nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(blocks):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2),
                       nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), final or nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.nz = nz

    def forward(self, z):  # z [N, nz, 1, 1], as the examples feed it
        return self.main(z)


def trained_looking(net: ExamplesGenerator, seed: int = 0) -> ExamplesGenerator:
    """Random weights and BatchNorm statistics, so loading the wrong tensor anywhere changes the output."""
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.ConvTranspose2d):
                # He-style scale, so every layer (and the image) keeps a spread of about 1 at any depth:
                # an input pixel feeds each output pixel through 1 tap at 4x4 (stride 1), 4 taps after
                fan_in = m.in_channels * (1 if m.stride == (1, 1) else 4)
                m.weight.normal_(0, (2 / fan_in) ** 0.5, generator=rng)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.8, 1.2, generator=rng)
                m.bias.normal_(0, 0.1, generator=rng)
                m.running_mean.normal_(0, 0.1, generator=rng)
                m.running_var.uniform_(0.5, 1.5, generator=rng)
    return net.eval()


def untrained(net: ExamplesGenerator, seed: int = 0) -> ExamplesGenerator:
    """pytorch/examples dcgan's weights_init, as the network is before its first step: conv weights
    N(0, 0.02), BatchNorm scale N(1, 0.02) and shift 0. Its images are within about +-0.02: flat grey."""
    torch.manual_seed(seed)
    for m in net.modules():
        if isinstance(m, nn.ConvTranspose2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return net.eval()


def torch_images(net: ExamplesGenerator, z: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(z).reshape(len(z), -1, 1, 1)).numpy()


def onnx_of(net: ExamplesGenerator, z_rank: int, batch: int | str = "N", input_name: str = "noise",
            declare_output: bool = True) -> bytes:
    """The network as a foreign exporter might write it: input [batch, nz] or [batch, nz, 1, 1], output 'out'."""
    nodes, inits, x = [], [], input_name
    if z_rank == 2:
        inits.append(numpy_helper.from_array(np.array([-1, net.nz, 1, 1], np.int64), "to_nchw"))
        nodes.append(helper.make_node("Reshape", [x, "to_nchw"], ["z4"]))
        x = "z4"
    for i, m in enumerate(net.main):
        y = "out" if i == len(net.main) - 1 else f"t{i}"
        if isinstance(m, nn.ConvTranspose2d):
            inits.append(numpy_helper.from_array(m.weight.detach().numpy(), f"w{i}"))
            nodes.append(helper.make_node("ConvTranspose", [x, f"w{i}"], [y], kernel_shape=[4, 4],
                                          strides=list(m.stride), pads=[m.padding[0]] * 4))
        elif isinstance(m, nn.BatchNorm2d):
            names = [f"bn{i}_{k}" for k in ("scale", "bias", "mean", "var")]
            for name, t in zip(names, (m.weight, m.bias, m.running_mean, m.running_var)):
                inits.append(numpy_helper.from_array(t.detach().numpy(), name))
            nodes.append(helper.make_node("BatchNormalization", [x, *names], [y], epsilon=m.eps))
        else:
            nodes.append(helper.make_node(type(m).__name__.replace("ReLU", "Relu"), [x], [y]))
        x = y
    z_shape = [batch, net.nz] + ([1, 1] if z_rank == 4 else [])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [batch, None, None, None]) if declare_output \
        else helper.make_empty_tensor_value_info("out")
    graph = helper.make_graph(nodes, "their_generator", [helper.make_tensor_value_info(input_name, TensorProto.FLOAT,
                                                                                       z_shape)], [out], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


def adopt_cli(capsys, *argv) -> tuple[int, dict | None, list[str]]:
    """adopt with --json: (exit code, the summary, stderr lines)."""
    code = main(["adopt", *map(str, argv), "--json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err.splitlines()


def metadata(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def latents(n: int, z_dim: int, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, z_dim)).astype(np.float32)


def run_onnx(path_or_bytes, z: np.ndarray) -> np.ndarray:
    source = str(path_or_bytes) if isinstance(path_or_bytes, Path) else path_or_bytes
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: z})[0]


# ---------------- (a) pytorch/examples state dicts ----------------

@pytest.mark.parametrize("wrapping", ["plain", "ddp", "wrapped"])
def test_examples_state_dict_becomes_a_model_that_draws_what_torch_draws(tmp_path, capsys, wrapping):
    net = trained_looking(ExamplesGenerator(nz=8, ngf=4))
    sd = net.state_dict()
    saved = {"plain": sd, "ddp": {f"module.{k}": v for k, v in sd.items()},
             "wrapped": {"generator": sd, "epoch": 24}}[wrapping]
    source, out = tmp_path / "netG_epoch_24.pth", tmp_path / "models" / "theirs.onnx"
    torch.save(saved, source)

    code, summary, err = adopt_cli(capsys, source, "--out", out, "--licence", "CelebA (research only)")
    assert code == 0, err
    assert (summary["z_dim"], summary["image_size"], summary["channels"], summary["batch"]) == (8, 64, 3, "dynamic")
    props = metadata(out)
    info = parse_metadata(props)
    check_shapes(info, *graph_shapes(onnx.load(str(out))))
    assert (info.z_dim, info.image_size, info.channels, info.output_range) == (8, 64, 3, (-1.0, 1.0))
    assert info.title == "netG_epoch_24"
    assert props["adopted_from"] == "netG_epoch_24.pth"
    assert props["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert props["data_licences"] == "CelebA (research only)" and props["created"].endswith("Z")

    z = latents(5, 8)
    np.testing.assert_allclose(run_onnx(out, z), torch_images(net, z), atol=1e-4)
    player = load(out)
    assert player.info.z_dim == 8 and player.generate(z).shape == (5, 64, 64, 3)


def test_grey_32px_state_dict_keeps_its_one_channel(tmp_path, capsys):
    net = trained_looking(ExamplesGenerator(nz=6, ngf=4, nc=1, size=32), seed=1)
    torch.save(net.state_dict(), tmp_path / "grey.pth")
    code, summary, err = adopt_cli(capsys, tmp_path / "grey.pth", "--out", tmp_path / "grey.onnx", "--title", "Grey")
    assert code == 0, err
    info = parse_metadata(metadata(tmp_path / "grey.onnx"))
    assert (info.channels, info.image_size, info.title, info.info["data_licences"]) == (1, 32, "Grey", "unknown")
    z = latents(3, 6)
    np.testing.assert_allclose(run_onnx(tmp_path / "grey.onnx", z), torch_images(net, z), atol=1e-4)
    assert load(tmp_path / "grey.onnx").generate(z).shape == (3, 32, 32, 3)  # grey shown as RGB


# ---------------- (b) foreign ONNX generators ----------------

ONNX_CASES = {
    # name: (network, z rank, batch, input name, declared output, expected range)
    "flat z, tanh": (dict(nz=8), 2, "N", "noise", True, (-1.0, 1.0)),
    "z as NCHW, named z": (dict(nz=8), 4, "N", "z", True, (-1.0, 1.0)),
    "sigmoid, output undeclared": (dict(nz=8, final=nn.Sigmoid()), 2, "N", "latent", False, (0.0, 1.0)),
    "fixed batch of 4, NCHW": (dict(nz=8), 4, 4, "input", True, (-1.0, 1.0)),
    "128 px from z 128": (dict(nz=128, ngf=2, size=128), 2, "N", "noise", True, (-1.0, 1.0)),
}


@pytest.mark.parametrize("case", list(ONNX_CASES))
def test_foreign_onnx_is_wrapped_to_the_contract_and_draws_exactly_what_it_drew(tmp_path, capsys, case):
    net_args, z_rank, batch, input_name, declared, want_range = ONNX_CASES[case]
    net = trained_looking(ExamplesGenerator(**net_args), seed=2)
    original = onnx_of(net, z_rank, batch, input_name, declared)
    source, out = tmp_path / "their.onnx", tmp_path / "adopted.onnx"
    source.write_bytes(original)

    code, summary, err = adopt_cli(capsys, source, "--out", out)
    assert code == 0, err
    size, nz = net_args.get("size", 64), net_args["nz"]
    model = onnx.load(str(out))
    inp, outp = graph_shapes(model)
    assert inp == [batch if batch != "N" else "batch", nz] and outp == [inp[0], 3, size, size]
    assert model.graph.input[0].name == "z" and model.graph.output[0].name == "image"
    info = parse_metadata(metadata(out))
    assert (info.z_dim, info.image_size, info.channels, info.output_range) == (nz, size, 3, want_range)
    assert info.info["adopted_from"] == "their.onnx"

    # same numbers as the source graph (the range is recorded, not remapped), and as the torch network
    z = latents(4, nz)
    theirs = run_onnx(original, z.reshape(4, nz, *([1, 1] if z_rank == 4 else [])))
    ours = run_onnx(out, z)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(ours, torch_images(net, z), atol=1e-4)
    player = load(out)
    assert player.batch_fixed == (batch if batch != "N" else None)
    assert player.generate(latents(6, nz)).shape == (6, size, size, 3)  # fixed batch: padded and split


def test_open_z_size_needs_z_dim(tmp_path, capsys):
    net = trained_looking(ExamplesGenerator(nz=8), seed=3)
    model = onnx.load_from_string(onnx_of(net, 4))
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "zdim"  # the graph leaves nz open
    source = tmp_path / "open.onnx"
    source.write_bytes(model.SerializeToString())
    code, _, err = adopt_cli(capsys, source, "--out", tmp_path / "a.onnx")
    assert code == 2 and err == [f"error: {source}: the graph leaves z's size open; give it with --z-dim N"]
    code, summary, err = adopt_cli(capsys, source, "--out", tmp_path / "a.onnx", "--z-dim", "8")
    assert code == 0, err
    assert parse_metadata(metadata(tmp_path / "a.onnx")).z_dim == 8


def test_a_dim_tanh_generator_reads_its_range_from_the_graph_not_the_probe(tmp_path, capsys):
    net = trained_looking(ExamplesGenerator(nz=8), seed=5)
    with torch.no_grad():
        net.main[-2].weight.abs_().mul_(0.2)  # a dim, all-positive final layer: tanh output in [0, 0.3]
    (tmp_path / "dim.onnx").write_bytes(onnx_of(net, 2))
    code, summary, err = adopt_cli(capsys, tmp_path / "dim.onnx", "--out", tmp_path / "a.onnx")
    assert code == 0, err
    assert parse_metadata(metadata(tmp_path / "a.onnx")).output_range == (-1.0, 1.0)
    assert summary["output_range_from"] == "the graph ends in Tanh"
    code, _, err = adopt_cli(capsys, tmp_path / "dim.onnx", "--out", tmp_path / "b.onnx", "--output-range=0,1")
    assert code == 2 and err == [f"error: {tmp_path / 'dim.onnx'}: the graph ends in Tanh: its output range is -1,1, "
                                 "not --output-range 0,1; leave --output-range out"]


def _scaled(model_bytes: bytes, by: float) -> bytes:
    """The graph with a final Mul after its output: a squashing op no longer says the range."""
    model = onnx.load_from_string(model_bytes)
    model.graph.initializer.append(numpy_helper.from_array(np.array(by, np.float32), "k"))
    model.graph.node.append(helper.make_node("Mul", ["out", "k"], ["scaled"]))
    model.graph.output[0].name = "scaled"
    return model.SerializeToString()


def test_where_the_graph_does_not_say_the_probe_reads_the_range_unless_told(tmp_path, capsys):
    net = trained_looking(ExamplesGenerator(nz=8, final=nn.Sigmoid()), seed=6)
    (tmp_path / "plain.onnx").write_bytes(_scaled(onnx_of(net, 2), 1.0))
    code, summary, err = adopt_cli(capsys, tmp_path / "plain.onnx", "--out", tmp_path / "a.onnx")
    assert code == 0, err
    assert summary["output_range"] == "0,1" and summary["output_range_from"].startswith("read from a probe batch")
    code, summary, err = adopt_cli(capsys, tmp_path / "plain.onnx", "--out", tmp_path / "b.onnx",
                                   "--output-range=-1,1")
    assert code == 0, err
    assert (summary["output_range"], summary["output_range_from"]) == ("-1,1", "--output-range")


def test_end_to_end_the_player_plays_an_adopted_model(tmp_path, capsys):
    net = trained_looking(ExamplesGenerator(nz=8, ngf=4, size=32), seed=4)
    torch.save(net.state_dict(), tmp_path / "netG.pth")
    out, stats = tmp_path / "exported_models" / "visitor.onnx", tmp_path / "stats.json"
    assert adopt_cli(capsys, tmp_path / "netG.pth", "--out", out)[0] == 0
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "installation.cli", "play", "--headless", "--seconds", "3",
                           "--model", str(out), "--no-watch", "--stats-json", str(stats)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    played = json.loads(stats.read_text())
    assert played["frames"] > 0 and played["model"] == "visitor" and played["rejected_files"] == 0


# ---------------- refusals: one line naming the file, exit 2, nothing written ----------------

def _refused(capsys, tmp_path, source) -> str:
    out = tmp_path / "never.onnx"
    code, _, err = adopt_cli(capsys, source, "--out", out)
    assert code == 2 and len(err) == 1 and not out.exists()
    assert err[0].startswith(f"error: {source}: ")
    return err[0]


def test_a_classifier_state_dict_is_refused(tmp_path, capsys):
    classifier = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 4))
    torch.save(classifier.state_dict(), tmp_path / "mood_cnn.pth")
    line = _refused(capsys, tmp_path, tmp_path / "mood_cnn.pth")
    assert "not a pytorch/examples DCGAN generator: no transposed convolution 'main.0.weight'" in line


def test_a_discriminator_state_dict_is_refused_as_one(tmp_path, capsys):
    from benchmarks.train_throughput import reference_nets

    _, d = reference_nets(8, 4, 4)
    torch.save(d.state_dict(), tmp_path / "netD_epoch_24.pth")
    # reference_nets' D is a bare Sequential ("0.weight"); the examples wrap it in .main as G is
    torch.save({f"main.{k}": v for k, v in d.state_dict().items()}, tmp_path / "netD.pth")
    assert "no transposed convolution 'main.0.weight'" in _refused(capsys, tmp_path, tmp_path / "netD_epoch_24.pth")
    assert "is this a discriminator (netD)?" in _refused(capsys, tmp_path, tmp_path / "netD.pth")


def test_a_generator_with_a_layer_of_the_wrong_width_names_the_tensor(tmp_path, capsys):
    sd = trained_looking(ExamplesGenerator(nz=8, ngf=4)).state_dict()
    sd["main.4.weight"] = torch.ones(7)  # BatchNorm of the second block, 16 channels wide
    torch.save(sd, tmp_path / "odd.pth")
    line = _refused(capsys, tmp_path, tmp_path / "odd.pth")
    assert "'main.4.weight' is [7] where a 64 px DCGAN generator (nz 8, ngf 4, nc 3) has [16]" in line


def test_a_pickled_module_is_not_unpickled(tmp_path, capsys):
    torch.save(ExamplesGenerator(), tmp_path / "whole_model.pth")  # the object itself, with its class
    line = _refused(capsys, tmp_path, tmp_path / "whole_model.pth")
    assert re.search(r": holds pickled objects \(a [\w.]*ExamplesGenerator\), not just tensors; refused, since "
                     r"loading them could run code: save and adopt the generator's state_dict\(\) instead$", line), line


def test_onnx_with_two_inputs_is_refused(tmp_path, capsys):
    graph = helper.make_graph(
        [helper.make_node("Add", ["z", "label"], ["image"])], "conditional",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 8]),
         helper.make_tensor_value_info("label", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 8])])
    (tmp_path / "cgan.onnx").write_bytes(helper.make_model(graph).SerializeToString())
    assert _refused(capsys, tmp_path, tmp_path / "cgan.onnx").endswith(
        "graph has 2 inputs (z, label); adopt takes a generator with one input, the latent z; keep the latent and "
        "give each other input a value with --fix-input NAME=VALUE (e.g. a StyleGAN's --fix-input "
        "truncation_psi=0.7)")
    # a label per image (a dynamic [N, 8]) has no one value to fix
    code, _, err = adopt_cli(capsys, tmp_path / "cgan.onnx", "--out", tmp_path / "a.onnx", "--fix-input", "label=1")
    assert code == 2 and err[0].endswith("--fix-input label: input 'label' is ['N', 8], a shape that is not fixed; "
                                         "adopt can fix inputs of a fixed shape (a scalar such as truncation_psi)")


def test_onnx_drawing_0_to_255_is_refused(tmp_path, capsys):
    model = onnx.load_from_string(onnx_of(trained_looking(ExamplesGenerator(nz=8, final=nn.Sigmoid())), 2))
    model.graph.initializer.append(numpy_helper.from_array(np.array(255, np.float32), "k255"))
    model.graph.node.append(helper.make_node("Mul", ["out", "k255"], ["pixels"]))
    model.graph.output[0].name = "pixels"
    (tmp_path / "bytes.onnx").write_bytes(model.SerializeToString())
    line = _refused(capsys, tmp_path, tmp_path / "bytes.onnx")
    assert "adopt takes generators whose output lies in [-1, 1] (tanh) or [0, 1] (sigmoid)" in line


# ---------------- a generator that draws nothing ----------------

DRAWS_NOTHING = re.compile(
    r"^error: (?P<file>\S+): draws nothing: 64 of 64 pictures are one flat colour \(spread under 2 of 255 "
    r"levels; output -0\.0\d+\.\.0\.0\d+ of -1\.\.1\); allowed: a trained generator; an untrained generator "
    r"draws this; adopt the weights saved after training \(e\.g\. the last netG_epoch_N\.pth\), or train one "
    r"here with aimoji-train train; not written$")


def test_an_untrained_examples_netg_is_refused_with_one_line(tmp_path, capsys):
    """The issue's case: pytorch/examples' netG as initialised (nz 100, ngf 64: outputs about +-0.013)
    passed adopt, then went on the wall as a grey square. Refused now, as .pth and as ONNX."""
    net = untrained(ExamplesGenerator(nz=100, ngf=64))
    z = latents(8, 100)
    assert np.abs(torch_images(net, z)).max() < 0.05
    torch.save(net.state_dict(), tmp_path / "netG_epoch_0.pth")
    (tmp_path / "netG.onnx").write_bytes(onnx_of(net, 4))
    for source in (tmp_path / "netG_epoch_0.pth", tmp_path / "netG.onnx"):
        line = _refused(capsys, tmp_path, source)
        assert DRAWS_NOTHING.match(line) and DRAWS_NOTHING.match(line)["file"] == str(source), line


def test_aimoji_check_refuses_it_too(tmp_path, capsys):
    """The same picture test in `aimoji check`: a faint generator with the contract's metadata."""
    from installation.cli import main as aimoji
    from tests.support.model_files import faint_generator_bytes

    (tmp_path / "faint.onnx").write_bytes(faint_generator_bytes())
    assert aimoji(["check", str(tmp_path / "faint.onnx")]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'faint.onnx'}: draws nothing: 8 of 8 pictures are one flat colour")


# ---------------- extra inputs, the sample sheet, the summary ----------------

def with_truncation_psi(net: ExamplesGenerator) -> bytes:
    """A StyleGAN-style interface: inputs z [N, nz] and truncation_psi (a scalar), z scaled by psi first."""
    model = onnx.load_from_string(onnx_of(net, 2, input_name="z_in"))
    graph = model.graph
    graph.node.insert(0, helper.make_node("Mul", ["z", "truncation_psi"], ["z_in"]))
    del graph.input[:]
    graph.input.extend([helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", net.nz]),
                        helper.make_tensor_value_info("truncation_psi", TensorProto.FLOAT, [])])
    return model.SerializeToString()


def test_a_generator_with_a_truncation_psi_input_is_adopted_with_it_fixed(tmp_path, capsys):
    net = trained_looking(ExamplesGenerator(nz=8), seed=7)
    source, out = tmp_path / "stylegan.onnx", tmp_path / "sg.onnx"
    source.write_bytes(with_truncation_psi(net))
    assert "--fix-input NAME=VALUE" in _refused(capsys, tmp_path, source)
    code, summary, err = adopt_cli(capsys, source, "--out", out, "--fix-input", "truncation_psi=0.7")
    assert code == 0, err
    assert summary["fixed_inputs"] == {"truncation_psi": 0.7} and summary["max_abs_diff"] == 0.0
    assert [i.name for i in onnx.load(str(out)).graph.input] == ["z"]      # the contract: one input
    assert metadata(out)["fixed_inputs"] == "truncation_psi=0.7"
    z = latents(4, 8)
    theirs = ort.InferenceSession(source.read_bytes(), providers=["CPUExecutionProvider"]).run(
        None, {"z": z, "truncation_psi": np.array(0.7, np.float32)})[0]
    np.testing.assert_array_equal(load(out).run(z), theirs)


@pytest.mark.parametrize("option, message", [
    ("psi=0.7", "--fix-input psi: the graph has no input 'psi'; its inputs: z, truncation_psi"),
    ("truncation_psi", "--fix-input 'truncation_psi': allowed: NAME=NUMBER such as truncation_psi=0.7"),
    ("truncation_psi=high", "--fix-input 'truncation_psi=high': allowed: NAME=NUMBER such as truncation_psi=0.7"),
])
def test_fix_input_mistakes_are_one_line(tmp_path, capsys, option, message):
    (tmp_path / "sg.onnx").write_bytes(with_truncation_psi(trained_looking(ExamplesGenerator(nz=8), seed=7)))
    code, _, err = adopt_cli(capsys, tmp_path / "sg.onnx", "--out", tmp_path / "a.onnx", "--fix-input", option)
    assert code == 2 and len(err) == 1 and err[0].endswith(message) and not (tmp_path / "a.onnx").exists()


def test_the_sheet_and_the_summary_a_person_reads(tmp_path, capsys):
    net = trained_looking(ExamplesGenerator(nz=8, ngf=4, size=32), seed=4)
    torch.save(net.state_dict(), tmp_path / "netG.pth")
    out, sheet = tmp_path / "models" / "theirs.onnx", tmp_path / "sheet.png"
    assert main(["adopt", str(tmp_path / "netG.pth"), "--out", str(out), "--sheet", str(sheet)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"adopted {tmp_path}/netG.pth as {out} \(\d+(\.\d+)? kB\), 'netG'", lines[0]), lines[0]
    assert "  range    -1,1 (the graph ends in Tanh)" in lines
    assert "  draws    32x32 RGB from z of 8, batch dynamic" in lines
    assert any(line.startswith("  plays    morph and grid") and "not evolution" in line for line in lines)
    assert lines[-1].startswith(f"next: aimoji check {out}; aimoji play --model {out}")
    with Image.open(sheet) as im:   # 8 x 8 pictures of 32 px, doubled, with 2 px gaps
        assert im.size == ((8 * 34 + 2) * 2,) * 2


def test_neither_torch_nor_onnx_is_refused(tmp_path, capsys):
    (tmp_path / "notes.pth").write_text("not weights")
    assert _refused(capsys, tmp_path, tmp_path / "notes.pth").endswith(
        "neither a PyTorch state dict (.pth) nor an ONNX model")
