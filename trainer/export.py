"""Export a run's generator to ONNX with the contract's metadata inside, after an onnxruntime parity check.

The dynamo exporter (opset 18) folds eval-mode BatchNorm into the transposed convolutions, leaving a
clean graph: Unsqueeze, 5 x (ConvTranspose, Relu), Tanh. Input `z` [batch, z_dim], output `image`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from installation.atomic import write_bytes_atomic
from installation.model.contract import (ContractError, check_shapes, declared_shape, parse_metadata,
                                         required_metadata)
from installation.model.load import Generator, ModelError, load
from installation.model.timelapse import FORMAT as TIMELAPSE_FORMAT, TimelapseError, parse_timelapse
from installation.text import first_line, size_text
from trainer.checkpoint import CheckpointError, load_newest_good
from installation.version import package_version
from trainer.config import CONFIG_FILE, ConfigError, TrainConfig, load_run_config
from trainer.model import Generator as TorchGenerator
from trainer.runs import TIMELAPSE, RunError
from trainer.timelapse import png_strip
from trainer.image_grid import grid, save_png

OPSET = 18
FP32_TOLERANCE = 1e-4
# fp16 stores weights in half precision (computed in float32 after a Cast): about 3 decimal digits per
# weight, which moves output pixels by up to ~1e-2 of the [-1, 1] range, i.e. about 1 grey level.
FP16_TOLERANCE = 2e-2
PARITY_LATENTS = 64


class ExportError(ValueError):
    """The export was refused; the message is one line naming the file and the problem."""


class _ZToImage(torch.nn.Module):
    """The generator as the player sees it: z [B, z_dim] -> image [B, 3, S, S]."""

    def __init__(self, g: TorchGenerator):
        super().__init__()
        self.main = g.main

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z[:, :, None, None])


def load_generator(run_dir: Path) -> tuple[TorchGenerator, dict, Path]:
    """The newest good checkpoint's generator (its EMA weights when the run kept them), in eval mode."""
    path, ckpt = load_newest_good(run_dir)
    cfg = TrainConfig.from_dict(ckpt["config"])
    g = TorchGenerator(cfg.z_dim, cfg.ngf, cfg.image_size)
    g.load_state_dict(ckpt["ema"] if "ema" in ckpt else ckpt["generator"])
    return g.eval().float(), ckpt, path


def to_onnx(g: TorchGenerator) -> onnx.ModelProto:
    """Export with a dynamic batch axis; returns the optimised model (BatchNorm folded)."""
    for name in ("torch.onnx", "torch.onnx._internal.exporter._registration"):
        logging.getLogger(name).setLevel(logging.ERROR)  # quiet the "torchvision not installed" notes
    batch = torch.export.Dim("batch", min=1, max=4096)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch's own deprecation notes, not ours to fix
        program = torch.onnx.export(_ZToImage(g).eval(), (torch.zeros(2, g.z_dim),), dynamo=True,
                                    input_names=["z"], output_names=["image"], opset_version=OPSET,
                                    dynamic_shapes={"z": {0: batch}}, verbose=False)
    return program.model_proto


def weights_to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """Store float32 initializers as float16, each followed by a Cast back to float32.

    Halves the file; compute, input and output stay float32, so every runtime and the contract agree.
    """
    graph = model.graph
    casts = []
    for init in list(graph.initializer):
        if init.data_type != TensorProto.FLOAT:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16")
        graph.initializer.remove(init)
        graph.initializer.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=f"cast_{init.name}"))
    for node in reversed(casts):
        graph.node.insert(0, node)
    return model


def format_licences(licences: dict) -> str:
    """{'CC-BY-4.0': 900, 'Apache-2.0': 1200} -> 'Apache-2.0 (1200); CC-BY-4.0 (900)', largest first."""
    return "; ".join(f"{name} ({count})" for name, count in sorted(licences.items(), key=lambda kv: (-kv[1], kv[0])))


def build_metadata(run_dir: Path, ckpt: dict, ckpt_path: Path, title: str, fp16: bool) -> dict[str, str]:
    cfg = ckpt["config"]
    config_json = Path(run_dir) / CONFIG_FILE
    try:
        facts = load_run_config(config_json).facts if config_json.is_file() else {}
    except ConfigError as exc:
        raise ExportError(str(exc)) from None
    props = {
        # our generator ends in tanh and always draws RGB
        **required_metadata(cfg["z_dim"], cfg["image_size"], channels=3, output_range=(-1.0, 1.0)),
        "title": title, "epochs": str(int(ckpt["epoch"])), "steps": str(int(ckpt["step"])),
        "dataset": str(facts.get("dataset", cfg.get("data", ""))),
        "dataset_images": str(facts.get("dataset_images", "")),
        "data_licences": format_licences(facts.get("data_licences", {})),
        "created": created_now(),
        "trainer_version": package_version(),
        "checkpoint_sha256": hashlib.sha256(Path(ckpt_path).read_bytes()).hexdigest(),
        "opset": str(OPSET),
        "weights": ("ema" if "ema" in ckpt else "generator") + (" fp16" if fp16 else " fp32"),
        "train_options": json.dumps({k: cfg[k] for k in ("loss", "ema", "diffaugment", "spectral_norm",
                                                         "ngf", "ndf", "batch_size", "lr", "seed")}),
    }
    if TIMELAPSE.listed(run_dir):  # a run without a timelapse still exports; the player skips the evolution scene
        try:
            props["timelapse"] = json.dumps(png_strip(run_dir), separators=(",", ":"))
        except RunError as exc:
            raise ExportError(str(exc)) from None
    return props


def created_now() -> str:
    """The `created` metadata value: UTC, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def attach_metadata(model: onnx.ModelProto, props: dict[str, str], out: Path) -> None:
    """Make `props` the model's metadata_props, then check the graph (onnx.checker) and hold metadata
    and declared shapes to the player's contract. Raises ExportError naming `out`; both `export` and
    `adopt` write their files through here, so the two cannot drift apart."""
    del model.metadata_props[:]
    for key, value in props.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"{out}: the ONNX checker refuses the graph ({first_line(exc)})") from None
    try:
        check_shapes(parse_metadata(props), *graph_shapes(model))
    except ContractError as exc:
        raise ExportError(f"{out}: would break the model contract: {exc}") from None


def parity(model: Generator, g: TorchGenerator, seed: int = 1234) -> float:
    """Max |ORT - torch| over PARITY_LATENTS fixed latents (batch 64, then batch 1: dynamic batch works)."""
    z = torch.randn(PARITY_LATENTS, g.z_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        want = g(z).numpy()
    got, single = model.run(z.numpy()), model.run(z[:1].numpy())
    if got.shape != want.shape or single.shape != want[:1].shape:
        raise ExportError(f"onnxruntime output shape {got.shape}/{single.shape}, expected {want.shape}")
    return float(max(np.abs(got - want).max(), np.abs(single - want[:1]).max()))


def export_run(run_dir: str | Path, out: str | Path, fp16: bool = False, title: str | None = None) -> dict:
    """Export, check parity, write `out` atomically; returns a summary. Raises ExportError."""
    run_dir, out = Path(run_dir), Path(out)
    if not run_dir.is_dir():
        raise ExportError(f"{run_dir}: no such run folder")
    try:
        g, ckpt, ckpt_path = load_generator(run_dir)
    except CheckpointError as exc:
        raise ExportError(str(exc)) from None
    model = to_onnx(g)
    if fp16:
        model = weights_to_fp16(model)
    props = build_metadata(run_dir, ckpt, ckpt_path, title or run_dir.name, fp16)
    model.doc_string = f"AImoji DCGAN generator from {run_dir.name}, step {ckpt['step']}"
    attach_metadata(model, props, out)
    data = model.SerializeToString()
    try:  # the player's own loader: contract, shapes, a probe of what comes out
        loaded = load(data, name=str(out))
    except ModelError as exc:
        raise ExportError(f"{out}: the player would refuse it: {exc.reason}") from None
    diff = parity(loaded, g)
    bound = FP16_TOLERANCE if fp16 else FP32_TOLERANCE
    if not diff <= bound:
        raise ExportError(f"{out}: onnxruntime differs from torch by {diff:.2e} > {bound:.0e}; not written")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(out, data)
    return {"out": str(out), "bytes": len(data), "max_abs_diff": diff, "tolerance": bound,
            "step": int(ckpt["step"]), "epochs": int(ckpt["epoch"]), "checkpoint": str(ckpt_path),
            "weights": props["weights"]}


def graph_shapes(model: onnx.ModelProto) -> tuple[list, list]:
    """The declared shapes of the graph's first input and output (see contract.declared_shape)."""
    return declared_shape(model.graph.input[0]), declared_shape(model.graph.output[0])


def inspect_text(path: str | Path) -> str:
    """Human-readable summary of an exported file: shapes and metadata, the timelapse summarised."""
    model = onnx.load(str(path), load_external_data=False)
    inp, outp = graph_shapes(model)
    lines = [f"{path}", f"  input  {model.graph.input[0].name} {inp}",
             f"  output {model.graph.output[0].name} {outp}",
             f"  opset  {', '.join((o.domain or 'ai.onnx') + ' ' + str(o.version) for o in model.opset_import)}",
             f"  nodes  {len(model.graph.node)} ({', '.join(sorted({n.op_type for n in model.graph.node}))})"]
    for entry in model.metadata_props:
        value = entry.value
        if entry.key == "timelapse":
            value = _timelapse_summary(value)
        elif len(value) > 200:
            value = value[:200] + f"... ({len(value)} characters)"
        lines.append(f"  {entry.key}: {value}")
    return "\n".join(lines)


def _timelapse_summary(text: str) -> str:
    """The `timelapse` payload in one line, read by the player's own parser (the PNG left undecoded)."""
    try:
        t = parse_timelapse(json.loads(text))
    except json.JSONDecodeError:
        return f"(not valid JSON, {len(text)} characters)"
    except TimelapseError as exc:
        return f"(damaged: {exc})"
    return (f"{TIMELAPSE_FORMAT}: {t.frames} frames of {t.frame_px} px, steps {t.steps[0]}..{t.steps[-1]}, "
            f"PNG {size_text(len(t.png_base64) * 3 // 4)}")


def onnx_grid(model_path: str | Path, out_png: str | Path, side: int = 10, seed: int = 0, scale: int = 2) -> None:
    """A side x side grid of what the exported file draws through onnxruntime (fixed seed), as a PNG."""
    model = load(Path(model_path))
    z = np.random.default_rng(seed).standard_normal((side * side, model.info.z_dim)).astype(np.float32)
    save_png(grid(model.generate(z), columns=side), Path(out_png), scale=scale)

