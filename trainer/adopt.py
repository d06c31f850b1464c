"""Bring your own generator: turn a DCGAN trained elsewhere into a file the player accepts.

Two kinds of source:
  - a pytorch/examples DCGAN generator state dict (`netG_epoch_24.pth`); its layer layout is the one
    trainer/model.py's Generator uses, so the weights load into it and export like one of our runs;
  - any ONNX generator with one float input [N, z] or [N, z, 1, 1] and an output [N, C, H, W] (C = 1 or
    3) in [-1, 1] or [0, 1]; its graph is kept and given the contract's interface (trainer/onnx_wrap.py).
    Extra inputs (a StyleGAN's truncation_psi) are fixed to values the user gives (--fix-input).
The output range comes from the graph where it says (a final Tanh or Sigmoid), from --output-range or a
probe batch where it does not. A generator that draws nothing (the player's own rule for a blank wall,
installation/model/blank.py) is refused. Either way the result gets the contract's metadata (written by
export.attach_metadata), passes the player's own loader (installation/model/load.py), and only then is
written, atomically.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from google.protobuf.message import DecodeError

from installation.atomic import write_bytes_atomic
from installation.model.contract import required_metadata
from installation.model.load import RANGE_SLACK, Generator, ModelError, draws_nothing, load, open_session, run_batched
from installation.text import first_line
from installation.version import package_version
from trainer.export import OPSET, FP32_TOLERANCE, ExportError, attach_metadata, created_now, parity, to_onnx
from trainer.model import Generator as TorchGenerator
from trainer.onnx_wrap import WrapError, default_opset, fix_inputs, graph_range, interface, wrap

PROBE_LATENTS = 64
PROBE_SEED = 4321
# Output range of a foreign ONNX generator, read from a probe batch: a tanh generator's 64 images reach
# well below 0 somewhere; a sigmoid one never does (-0.05 leaves room for a final conv with no squashing).
ZERO_ONE_FLOOR = -0.05
# Where a state dict may sit inside a saved dict: our own checkpoints, trainers' habits, Lightning.
WRAPPER_KEYS = ("generator", "netG", "G", "state_dict", "model")
PREFIXES = ("module.", "_orig_mod.")  # DistributedDataParallel, torch.compile
# What to do about a generator that draws nothing: it is almost always one saved before training.
DRAWS_NOTHING_FIX = ("an untrained generator draws this; adopt the weights saved after training (e.g. the "
                     "last netG_epoch_N.pth), or train one here with aimoji-train train")


class AdoptError(ExportError):
    """Adoption was refused; the message is one line naming the file and the problem."""


class _Refused(ValueError):
    """A pure check failed; the message has no file name (adopt() adds the right one)."""


@dataclass(frozen=True)
class DcganLayout:
    """A pytorch/examples DCGAN generator's sizes, read from its weights."""
    z_dim: int      # nz
    ngf: int        # channels of the last hidden layer
    channels: int   # nc
    image_size: int # 4 px after the first layer, doubled by every further one


# ---------------- pure helpers: state dicts ----------------

def unwrap_state_dict(obj, depth: int = 0) -> dict[str, torch.Tensor]:
    """The tensor dict inside what torch.load returned, with DDP / compile prefixes removed."""
    if not isinstance(obj, dict):
        raise _Refused(f"holds a {type(obj).__name__}, not a state dict; adopt takes a generator's state_dict()")
    if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        sd = dict(obj)
        for prefix in PREFIXES:
            if all(k.startswith(prefix) for k in sd):
                sd = {k[len(prefix):]: v for k, v in sd.items()}
        return sd
    for key in WRAPPER_KEYS:
        if depth < 3 and isinstance(obj.get(key), dict):
            return unwrap_state_dict(obj[key], depth + 1)
    keys = ", ".join(sorted(map(str, obj))[:6]) or "nothing"
    raise _Refused(f"no generator state dict in it (top-level keys: {keys}; looked for a dict of tensors "
                   f"or one under {', '.join(WRAPPER_KEYS)})")


def dcgan_layout(sd: dict[str, torch.Tensor]) -> DcganLayout:
    """Read nz, ngf, nc and the image size from the weights' shapes and check every other tensor against
    the Generator those sizes build; raises _Refused naming the first tensor that does not fit."""
    convs = sorted(int(m.group(1)) for k, v in sd.items()
                   if (m := re.fullmatch(r"main\.(\d+)\.weight", k)) and v.ndim == 4)
    if not convs or convs[0] != 0:
        keys = ", ".join(sorted(sd)[:4])
        raise _Refused(f"not a pytorch/examples DCGAN generator: no transposed convolution 'main.0.weight' "
                       f"(its first keys: {keys})")
    last = sd[f"main.{convs[-1]}.weight"]  # [ngf, nc, 4, 4]
    layout = DcganLayout(z_dim=int(sd["main.0.weight"].shape[0]), ngf=int(last.shape[0]),
                         channels=int(last.shape[1]), image_size=4 * 2 ** (len(convs) - 1))
    if layout.channels not in (1, 3):
        raise _Refused(f"its last layer makes {layout.channels} channels, a generator makes 1 (grey) or 3 (RGB); "
                       "is this a discriminator (netD)?")
    if len(convs) < 3:
        raise _Refused(f"has {len(convs)} convolutions; a DCGAN generator has at least 3 (16 px)")
    with torch.device("meta"):  # shapes only: no memory, no random init
        want = TorchGenerator(layout.z_dim, layout.ngf, layout.image_size, layout.channels).state_dict()
    what = f"a {layout.image_size} px DCGAN generator (nz {layout.z_dim}, ngf {layout.ngf}, nc {layout.channels})"
    for key, tensor in want.items():
        if key not in sd:
            if key.endswith("num_batches_tracked"):
                continue  # older torch did not save it; BatchNorm fills it in
            raise _Refused(f"lacks '{key}', which {what} has")
        if tuple(sd[key].shape) != tuple(tensor.shape):
            raise _Refused(f"'{key}' is {list(sd[key].shape)} where {what} has {list(tensor.shape)}")
    extra = sorted(set(sd) - set(want))
    if extra:
        raise _Refused(f"has tensors {what} does not: {', '.join(extra[:4])}")
    return layout


# ---------------- pure helpers: output range and metadata ----------------

RANGES = {"-1,1": (-1.0, 1.0), "0,1": (0.0, 1.0)}


def detect_range(out: np.ndarray, given: tuple[float, float] | None = None,
                 declared: tuple[str, tuple[float, float]] | None = None) -> tuple[tuple[float, float], str]:
    """((lo, hi), where it comes from) for a probe batch `out`: the graph's final Tanh or Sigmoid
    (`declared`, from onnx_wrap.graph_range) where it says; else `given` (--output-range); else (0, 1)
    or (-1, 1) read from the values. Raises _Refused when the output does not fit the range."""
    bad = int(np.count_nonzero(~np.isfinite(out)))
    if bad:
        raise _Refused(f"output has NaN or Inf in {bad} of {out.size} values")
    lo_seen, hi_seen = float(out.min()), float(out.max())
    if declared is not None:
        op, (lo, hi) = declared
        if given not in (None, (lo, hi)):
            raise _Refused(f"the graph ends in {op}: its output range is {lo:g},{hi:g}, not --output-range "
                           f"{given[0]:g},{given[1]:g}; leave --output-range out")
        how = f"the graph ends in {op}"
    elif given is not None:
        (lo, hi), how = given, "--output-range"
    else:
        lo, hi = (0.0, 1.0) if lo_seen >= ZERO_ONE_FLOOR else (-1.0, 1.0)
        how = "read from a probe batch (the graph does not say; give --output-range if it is wrong)"
    slack = (hi - lo) * RANGE_SLACK  # the player's own rule, so what adopt accepts the player plays
    if lo_seen < lo - slack or hi_seen > hi + slack:
        raise _Refused(f"output spans {lo_seen:.3g}..{hi_seen:.3g}; adopt takes generators whose output lies in "
                       + (f"{lo:g},{hi:g} ({how})" if declared or given else "[-1, 1] (tanh) or [0, 1] (sigmoid)"))
    return (lo, hi), how


def parse_fixed(texts: list[str]) -> dict[str, float]:
    """--fix-input NAME=VALUE options as {name: value}; _Refused naming the one that is not."""
    fixed = {}
    for text in texts:
        name, sep, value = text.partition("=")
        try:
            if not (sep and name.strip()):
                raise ValueError
            fixed[name.strip()] = float(value)
        except ValueError:
            raise _Refused(f"--fix-input {text!r}: allowed: NAME=NUMBER such as truncation_psi=0.7") from None
    return fixed


def adopted_metadata(*, source_name: str, source_sha256: str, source_kind: str, z_dim: int, image_size: int,
                     channels: int, output_range: tuple[float, float], title: str, licence: str | None,
                     opset: int, created: str, fixed_inputs: dict[str, float] | None = None) -> dict[str, str]:
    """The contract's keys (installation/model/contract.py) plus where the model came from."""
    props = {
        **required_metadata(z_dim, image_size, channels, output_range),
        "title": title, "adopted_from": source_name, "source_sha256": source_sha256,
        "source_kind": source_kind, "data_licences": licence or "unknown", "created": created,
        "trainer_version": package_version(), "opset": str(opset),
    }
    if fixed_inputs:
        props["fixed_inputs"] = ", ".join(f"{name}={value:g}" for name, value in fixed_inputs.items())
    return props


# ---------------- the shell: files in, file out ----------------

def _load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        # weights_only: a .pth from the internet is untrusted; tensors and plain containers only
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))  # torch names the first object it would not build
        what = f" (a {found.group(1)})" if found else ""
        raise AdoptError(f"{path}: holds pickled objects{what}, not just tensors; refused, since loading them could "
                         "run code: save and adopt the generator's state_dict() instead") from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise AdoptError(f"{path}: not a readable PyTorch file ({first_line(exc)})") from None
    try:
        return unwrap_state_dict(obj)
    except _Refused as exc:
        raise AdoptError(f"{path}: {exc}") from None


def _probe_latents(z_dim: int) -> np.ndarray:
    """The fixed latents every source is probed with, and the adopted model compared on."""
    return np.random.default_rng(PROBE_SEED).standard_normal((PROBE_LATENTS, z_dim)).astype(np.float32)


def _from_state_dict(path: Path, z_dim: int | None) -> tuple[onnx.ModelProto, dict, np.ndarray, TorchGenerator]:
    """(the exported graph, facts for the metadata, the torch network's probe output, the network)."""
    sd = _load_state_dict(path)
    try:
        layout = dcgan_layout(sd)
    except _Refused as exc:
        raise AdoptError(f"{path}: {exc}") from None
    if z_dim is not None and z_dim != layout.z_dim:
        raise AdoptError(f"{path}: its first layer takes nz = {layout.z_dim}, not --z-dim {z_dim}")
    g = TorchGenerator(layout.z_dim, layout.ngf, layout.image_size, layout.channels)
    g.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
    g.eval()
    with torch.no_grad():
        out = g(torch.from_numpy(_probe_latents(layout.z_dim))).numpy()
    facts = dict(z_dim=layout.z_dim, image_size=layout.image_size, channels=layout.channels, opset=OPSET,
                 source_kind=f"pytorch/examples DCGAN state dict (nz {layout.z_dim}, ngf {layout.ngf}, "
                             f"nc {layout.channels})")
    return to_onnx(g), facts, out, g


def _from_onnx(path: Path, data: bytes, z_dim: int | None,
               fixed: dict[str, float]) -> tuple[onnx.ModelProto, dict, np.ndarray]:
    """(the graph with the contract's interface, facts for the metadata, the source's probe output)."""
    try:
        model = onnx.load_from_string(data)
    except (DecodeError, ValueError) as exc:
        raise AdoptError(f"{path}: not a readable ONNX model ({first_line(exc)})") from None
    try:
        model = fix_inputs(model, fixed)
        face = interface(model)
    except WrapError as exc:
        raise AdoptError(f"{path}: {exc}") from None
    if face.z_dim is None and z_dim is None:
        raise AdoptError(f"{path}: the graph leaves z's size open; give it with --z-dim N")
    if face.z_dim is not None and z_dim is not None and z_dim != face.z_dim:
        raise AdoptError(f"{path}: input '{face.input_name}' takes z of {face.z_dim}, not --z-dim {z_dim}")
    z_dim = face.z_dim or z_dim
    try:
        session = open_session(model.SerializeToString() if fixed else data, 1)
    except Exception as exc:  # onnxruntime raises several private exception types for bad graphs
        raise AdoptError(f"{path}: onnxruntime cannot load it ({first_line(exc)})") from None
    feed = _probe_latents(z_dim).reshape(PROBE_LATENTS, z_dim, *([1, 1] if face.input_rank == 4 else []))
    try:
        out = run_batched(session, session.get_inputs()[0].name, feed, face.batch)
    except Exception as exc:
        raise AdoptError(f"{path}: inference failed on a probe batch ({first_line(exc)})") from None
    if out.dtype != np.float32 or out.ndim != 4 or out.shape[1] not in (1, 3) or out.shape[2] != out.shape[3]:
        raise AdoptError(f"{path}: output is {out.dtype} {list(out.shape)}; adopt takes float32 [N, C, S, S] "
                         "images with C = 1 or 3")
    try:
        wrapped = wrap(model, face, z_dim, tuple(out.shape[1:]))
    except WrapError as exc:
        raise AdoptError(f"{path}: {exc}") from None
    shape = f"[{face.batch or 'N'}, {z_dim}{', 1, 1' if face.input_rank == 4 else ''}]"
    facts = dict(z_dim=z_dim, image_size=int(out.shape[2]), channels=int(out.shape[1]),
                 opset=default_opset(model), source_kind=f"ONNX generator, input {shape}")
    return wrapped, facts, out


def _player_accepts(data: bytes, out: Path) -> Generator:
    """The bytes about to be written, through the player's own loader."""
    try:
        return load(data, name=str(out))
    except ModelError as exc:
        raise AdoptError(f"{out}: the player would refuse the adopted model ({exc.reason}); not written") from None


def adopt(source: str | Path, out: str | Path, title: str | None = None, licence: str | None = None,
          z_dim: int | None = None, output_range: str | None = None, fix_input: list[str] = ()) -> dict:
    """Adopt `source` (a .pth state dict or an .onnx generator) as `out`; returns a summary. Raises AdoptError.

    output_range: "-1,1" or "0,1" for a graph that does not end in Tanh or Sigmoid, whose range the probe
    should not guess (a dim, low-contrast generator without a final squashing op can look like a [0, 1]
    one). fix_input: "NAME=VALUE" for each input besides z (an ONNX source's truncation_psi).
    """
    source, out = Path(source), Path(out)
    if out.suffix.lower() != ".onnx":
        raise AdoptError(f"{out}: --out must end in .onnx (the player only looks at .onnx files)")
    if output_range is not None and output_range not in RANGES:
        raise AdoptError(f"--output-range {output_range!r}: allowed: {', '.join(RANGES)}")
    try:
        fixed = parse_fixed(list(fix_input))
    except _Refused as exc:
        raise AdoptError(str(exc)) from None
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise AdoptError(f"{source}: no such file") from None
    except OSError as exc:
        raise AdoptError(f"{source}: cannot read ({exc.strerror})") from None
    if not data:
        raise AdoptError(f"{source}: empty file (0 bytes)")
    # ONNX files start with field 1 (ir_version): tag byte 0x08; torch.save writes a zip ("PK") or,
    # before torch 1.6, a pickle (0x80).
    if data[:1] == b"\x08":
        model, facts, source_out = _from_onnx(source, data, z_dim, fixed)
        g = None
    elif data[:2] == b"PK" or data[:1] == b"\x80":
        if fixed:
            raise AdoptError(f"{source}: a pytorch/examples DCGAN has one input, z; leave --fix-input out")
        model, facts, source_out, g = _from_state_dict(source, z_dim)
    else:
        raise AdoptError(f"{source}: neither a PyTorch state dict (.pth) nor an ONNX model")
    try:
        lo_hi, range_from = detect_range(source_out, RANGES.get(output_range), graph_range(model))
    except _Refused as exc:
        raise AdoptError(f"{source}: {exc}") from None
    nothing = draws_nothing(source_out, lo_hi)
    if nothing is not None:
        raise AdoptError(f"{source}: {nothing}; {DRAWS_NOTHING_FIX}; not written")

    props = adopted_metadata(source_name=source.name, source_sha256=hashlib.sha256(data).hexdigest(),
                             title=title or source.stem, licence=licence, created=created_now(),
                             output_range=lo_hi, fixed_inputs=fixed, **facts)
    model.doc_string = f"AImoji adoption of {source.name} ({facts['source_kind']})"
    attach_metadata(model, props, out)
    adopted = model.SerializeToString()
    player = _player_accepts(adopted, out)
    # the adopted graph must draw exactly what the source drew (torch's network: at two batch sizes)
    diff = parity(player, g) if g is not None else \
        float(np.abs(player.run(_probe_latents(facts["z_dim"])) - source_out).max())
    if not diff <= FP32_TOLERANCE:
        raise AdoptError(f"{out}: the adopted model differs from {source.name} by {diff:.2e} > "
                         f"{FP32_TOLERANCE:.0e}; not written")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(out, adopted)
    return {"out": str(out), "bytes": len(adopted), "source": str(source), "kind": facts["source_kind"],
            "title": props["title"], "z_dim": facts["z_dim"], "image_size": facts["image_size"],
            "channels": facts["channels"], "output_range": props["output_range"], "output_range_from": range_from,
            "fixed_inputs": fixed, "batch": player.batch_fixed or "dynamic", "max_abs_diff": diff}
