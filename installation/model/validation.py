"""Decide whether a dropped .onnx file may go on screen: load it with onnxruntime, hold it to the
contract (installation/model/contract.py), run a few latents and look at what comes out.

`validate_model(path)` returns a `ValidatedModel` holding the ready session, or raises `ModelRejected`
with a one-line reason (without the path). It reads the file once, so what is checked is what is loaded.
Slow (tens to hundreds of ms): call it from a worker thread, never from the render loop.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from installation.model.contract import ContractError, ModelInfo, check_shapes, parse_metadata

MAX_MODEL_BYTES = 256 * 2**20  # a 64 px DCGAN generator is ~15 MB; 256 MB leaves room for bigger ones
PROBE_LATENTS = 3
PROBE_SEED = 1234
RANGE_SLACK = 0.05  # output may overshoot output_range by 5 % of its span (rounding, no final tanh)
FLAT = 1e-6  # a spread below this is no image at all


class ModelRejected(ValueError):
    """The file may not be played; str() is one line saying why (the caller adds the path)."""


@dataclass
class ValidatedModel:
    """A model that passed: the loaded onnxruntime session, ready to `run`, and what it is."""
    path: Path
    info: ModelInfo
    session: object  # onnxruntime.InferenceSession
    input_name: str
    batch_fixed: int | None  # the graph's batch size if it is not dynamic
    size_bytes: int
    sha256: str
    load_ms: float  # reading + session creation
    probe_ms: float  # running the probe latents

    @property
    def name(self) -> str:
        return self.path.stem


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:160]


def open_session(source: bytes | str, intra_op_threads: int):
    """An onnxruntime session (bytes of a model, or its path) with the player's thread settings."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = intra_op_threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3  # ORT's own warnings are for developers, not the gallery log
    return ort.InferenceSession(source, sess_options=opts, providers=["CPUExecutionProvider"])


def read_model_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size == 0:
            raise ModelRejected("empty file (0 bytes); allowed: an ONNX generator from aimoji-train export")
        if size > max_bytes:
            raise ModelRejected(f"{size / 2**20:.1f} MB is too large; allowed: at most "
                                f"{max_bytes / 2**20:.1f} MB")
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelRejected("file not found") from None
    except OSError as exc:
        raise ModelRejected(f"cannot read ({exc.strerror})") from None


def _load(data: bytes, intra_op_threads: int):
    # A serialised ModelProto starts with field 1 (ir_version, a varint): tag byte 0x08.
    if data[:1] != b"\x08":
        raise ModelRejected("not an ONNX file; allowed: an ONNX generator from aimoji-train export")
    try:
        return open_session(data, intra_op_threads)
    except Exception as exc:  # ORT raises several private exception types for bad files
        raise ModelRejected(f"truncated or damaged ONNX file ({_first_line(exc)})") from None


def check_contract(session) -> tuple[ModelInfo, str, int | None]:
    """The metadata and declared shapes, held to the contract: (info, input name, fixed batch or None)."""
    try:
        info = parse_metadata(dict(session.get_modelmeta().custom_metadata_map))
        inputs, outputs = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1:
            raise ContractError(f"graph has {len(inputs)} inputs; allowed: one, z [batch, z_dim]")
        if inputs[0].type != "tensor(float)":
            raise ContractError(f"input z is {inputs[0].type}; allowed: tensor(float)")
        check_shapes(info, list(inputs[0].shape), list(outputs[0].shape))
    except ContractError as exc:
        raise ModelRejected(str(exc)) from None
    batch = inputs[0].shape[0]
    return info, inputs[0].name, batch if isinstance(batch, int) and batch > 0 else None


def probe(session, info: ModelInfo, input_name: str, batch_fixed: int | None,
          latents: int = PROBE_LATENTS) -> None:
    """Run a few fixed latents; refuse NaN/Inf, flat or identical images and values far outside range."""
    z = np.random.default_rng(PROBE_SEED).standard_normal((latents, info.z_dim)).astype(np.float32)
    step = batch_fixed or latents
    outs = []
    try:
        for i in range(0, latents, step):
            part = z[i:i + step]
            if len(part) < step:
                part = np.concatenate([part, np.zeros((step - len(part), info.z_dim), np.float32)])
            outs.append(np.asarray(session.run(None, {input_name: part})[0]))
    except Exception as exc:
        raise ModelRejected(f"inference failed ({_first_line(exc)})") from None
    out = np.concatenate(outs)[:latents]
    want = (latents, info.channels, info.image_size, info.image_size)
    if out.shape != want:
        raise ModelRejected(f"output shape {list(out.shape)} does not match the metadata; "
                            f"allowed: {list(want)}")
    bad = int(np.count_nonzero(~np.isfinite(out)))
    if bad:
        raise ModelRejected(f"output has NaN or Inf in {bad} of {out.size} values; allowed: finite numbers")
    if float(out.reshape(latents, -1).std(axis=1).max()) < FLAT:
        raise ModelRejected("output is a flat colour for every latent; allowed: images with content")
    if float(np.abs(out - out[:1]).max()) < FLAT:
        raise ModelRejected("every latent gives the same image; allowed: a generator that responds to z")
    lo, hi = info.output_range
    slack = (hi - lo) * RANGE_SLACK
    if float(out.min()) < lo - slack or float(out.max()) > hi + slack:
        raise ModelRejected(f"output spans {float(out.min()):.3g}..{float(out.max()):.3g}; allowed: "
                            f"within metadata output_range {lo:g},{hi:g}")


def validate_model(path: Path | str, max_bytes: int = MAX_MODEL_BYTES,
                   intra_op_threads: int = 1) -> ValidatedModel:
    """Load and check a generator; returns it ready to run, or raises ModelRejected."""
    path = Path(path)
    t0 = time.perf_counter()
    data = read_model_bytes(path, max_bytes)
    session = _load(data, intra_op_threads)
    info, input_name, batch_fixed = check_contract(session)
    t1 = time.perf_counter()
    probe(session, info, input_name, batch_fixed)
    t2 = time.perf_counter()
    return ValidatedModel(path=path, info=info, session=session, input_name=input_name,
                          batch_fixed=batch_fixed, size_bytes=len(data),
                          sha256=hashlib.sha256(data).hexdigest(),
                          load_ms=(t1 - t0) * 1000, probe_ms=(t2 - t1) * 1000)


def describe(model: ValidatedModel) -> str:
    """One line for logs and `aimoji check`: what the model is."""
    info = model.info
    colour = "RGB" if info.channels == 3 else "grey"
    title = f", '{info.title}'" if info.title else ""
    moods = ", moods" if info.moods else ""
    size = f"{model.size_bytes / 2**20:.1f} MB" if model.size_bytes >= 2**20 else \
        f"{model.size_bytes / 2**10:.0f} KB"
    return f"z {info.z_dim}, {info.image_size}x{info.image_size} {colour}, {size}{moods}{title}"
