"""The one loader of generator files: read, hold to the contract, probe, and hand back a `Generator`.

`load(path or bytes)` is what start-up, hot reload, `aimoji check`, `aimoji render` and the trainer's
export, moods and evaluate use. It reads the file once (what is checked is what is loaded), opens an
onnxruntime session, checks the metadata and declared shapes (model/contract.py), runs a batch of
latents and looks at what comes out, and decodes the training timelapse. Slow (tens to hundreds of ms): call
it off the render loop.

Thread counts are set deliberately: the gallery PC has 2 cores and the render loop needs one of them,
so inference gets one intra-op thread by default (measured in benchmarks/player.py).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from installation.model.blank import FLAT_STD, is_flat
from installation.model.contract import ContractError, ModelInfo, check_shapes, parse_metadata
from installation.model.pixels import to_uint8
from installation.model.timelapse import Replay, load_replay
from installation.text import MB, first_line, size_text

DEFAULT_INTRA_OP_THREADS = 1
DEFAULT_BATCH = 8   # images per inference call in the player's worker (aimoji play --batch)
MAX_MODEL_BYTES = 256 * MB  # a 64 px DCGAN generator is ~16 MB; 256 MB leaves room for bigger ones
PROBE_SEED = 1234
MIN_PROBE_LATENTS = 3   # 'responds to z' needs more than one image
RANGE_SLACK = 0.05  # output may overshoot output_range by 5 % of its span (rounding, no final tanh)
SAME = 1e-6  # latents whose outputs differ by less than this give the same image
DRAWS_NOTHING_SHARE = 0.5  # flat pictures (model/blank.py, the player's rule) for this share of the probe's
                           # latents or more: the generator draws nothing (an untrained one: weights as
                           # initialised, output within +-0.02); the player would restart it over and over
FROM_EXPORT = "allowed: an ONNX generator from aimoji-train export"


class ModelError(ValueError):
    """A model file cannot be played. str() is one line naming the file and the problem; `reason` is
    the problem alone (for lines that name the file themselves)."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


@dataclass
class Generator:
    """A loaded generator: `generate(z)` with z [B, z_dim] float32 -> [B, H, W, 3] uint8."""
    path: Path
    info: ModelInfo
    session: ort.InferenceSession
    input_name: str
    batch_fixed: int | None  # the graph's batch size if it is not dynamic
    size_bytes: int
    sha256: str
    load_ms: float           # reading + session creation
    probe_ms: float          # running the probe batch (the first run allocates: warm-up included)
    images_per_s: float      # measured on a second, warm run of the probe batch: what this machine makes
    replay: Replay | None    # the decoded training timelapse (evolution scene)
    replay_problem: str | None  # why there is none

    @property
    def name(self) -> str:
        return self.path.stem

    def run(self, z: np.ndarray) -> np.ndarray:
        """The raw output [B, C, H, W] float32 for z [B, z_dim]."""
        return run_batched(self.session, self.input_name, z, self.batch_fixed)

    def generate(self, z: np.ndarray) -> np.ndarray:
        return to_uint8(self.run(z), self.info.output_range)


def run_batched(session: ort.InferenceSession, input_name: str, z: np.ndarray,
                batch_fixed: int | None) -> np.ndarray:
    """The session's first output for inputs z [B, ...]; a graph with a fixed batch is fed in parts,
    the last one padded with zeros (and the padding's outputs dropped)."""
    z = np.ascontiguousarray(z, dtype=np.float32)
    step = batch_fixed or max(1, len(z))
    parts = []
    for i in range(0, len(z), step):
        part = z[i:i + step]
        if len(part) < step:
            part = np.concatenate([part, np.zeros((step - len(part), *z.shape[1:]), np.float32)])
        parts.append(np.asarray(session.run(None, {input_name: part})[0]))
    return np.concatenate(parts)[:len(z)]


def open_session(source: bytes | str, intra_op_threads: int) -> ort.InferenceSession:
    """An onnxruntime session (bytes of a model, or its path) with the player's thread settings."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = intra_op_threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 4  # ORT prints its own errors too; ours name the file in one line
    return ort.InferenceSession(source, sess_options=opts, providers=["CPUExecutionProvider"])


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size == 0:
            raise ModelError(path, f"empty file (0 bytes); {FROM_EXPORT}")
        if size > max_bytes:
            raise ModelError(path, f"{size_text(size)} is too large; allowed: at most {size_text(max_bytes)}")
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(path, "model file not found") from None
    except IsADirectoryError:
        raise ModelError(path, "is a folder, not a model file") from None
    except OSError as exc:
        raise ModelError(path, f"cannot read ({exc.strerror})") from None


def _contract(session: ort.InferenceSession) -> tuple[ModelInfo, str, int | None]:
    """The metadata and declared shapes, held to the contract: (info, input name, fixed batch or None)."""
    info = parse_metadata(dict(session.get_modelmeta().custom_metadata_map))
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise ContractError(f"graph has {len(inputs)} inputs; allowed: one, z [batch, z_dim]")
    if len(outputs) != 1:
        raise ContractError(f"graph has {len(outputs)} outputs; allowed: one, image [batch, C, H, W]")
    if inputs[0].type != "tensor(float)":
        raise ContractError(f"input z is {inputs[0].type}; allowed: tensor(float)")
    check_shapes(info, list(inputs[0].shape), list(outputs[0].shape))
    batch = inputs[0].shape[0]
    return info, inputs[0].name, batch if isinstance(batch, int) and batch > 0 else None


def _probe(model: Generator, latents: int) -> str | None:
    """Run a few fixed latents; the problem with what comes out (NaN/Inf, flat or identical images,
    values far outside the declared range), or None."""
    info = model.info
    z = np.random.default_rng(PROBE_SEED).standard_normal((latents, info.z_dim)).astype(np.float32)
    try:
        out = np.asarray(model.run(z))
    except Exception as exc:  # noqa: BLE001 - ORT raises private exception types
        return f"inference failed ({first_line(exc, 160)})"
    want = (latents, info.channels, info.image_size, info.image_size)
    if out.shape != want:
        return f"output shape {list(out.shape)} does not match the metadata; allowed: {list(want)}"
    bad = int(np.count_nonzero(~np.isfinite(out)))
    if bad:
        return f"output has NaN or Inf in {bad} of {out.size} values; allowed: finite numbers"
    lo, hi = info.output_range
    slack = (hi - lo) * RANGE_SLACK
    if float(out.min()) < lo - slack or float(out.max()) > hi + slack:
        return (f"output spans {float(out.min()):.3g}..{float(out.max()):.3g}; allowed: "
                f"within metadata output_range {lo:g},{hi:g}")
    problem = draws_nothing(out, info.output_range)
    if problem is not None:
        return problem
    if float(np.abs(out - out[:1]).max()) < SAME:
        return "every latent gives the same image; allowed: a generator that responds to z"
    return None


def draws_nothing(out: np.ndarray, output_range: tuple[float, float]) -> str | None:
    """For raw outputs [B, C, H, W]: why the pictures show nothing, by the rule the player's health
    applies to the wall (model/blank.py), or None. The probe's line, and `adopt`'s."""
    images = to_uint8(out, output_range)
    flat = sum(is_flat(image) for image in images)
    if flat < DRAWS_NOTHING_SHARE * len(images):
        return None
    return (f"draws nothing: {flat} of {len(images)} pictures are one flat colour (spread under {FLAT_STD:g} "
            f"of 255 levels; output {float(out.min()):.3g}..{float(out.max()):.3g} of {output_range[0]:g}.."
            f"{output_range[1]:g}); allowed: a trained generator")


def load(source: Path | str | bytes, *, name: str = "<bytes>", max_bytes: int = MAX_MODEL_BYTES,
         intra_op_threads: int = DEFAULT_INTRA_OP_THREADS, batch: int = DEFAULT_BATCH) -> Generator:
    """A generator file (or its bytes, called `name` in messages), checked and ready to run. The probe
    runs `batch` latents in one call, the batch the player will use: a model that works for three
    latents but not for eight is refused here, not on the wall. Raises ModelError naming the file,
    whatever is wrong with it (an unexpected exception included)."""
    try:
        return _load(source, name, max_bytes, intra_op_threads, max(1, batch))
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - any other failure of a bad file is still one line naming it
        path = Path(name) if isinstance(source, (bytes, bytearray)) else Path(source)
        raise ModelError(path, f"cannot be loaded ({type(exc).__name__}: {first_line(exc, 160)})") from None


def _load(source: Path | str | bytes, name: str, max_bytes: int, intra_op_threads: int,
          batch: int) -> Generator:
    t0 = time.perf_counter()
    if isinstance(source, (bytes, bytearray)):
        path, data = Path(name), bytes(source)
        if not data:
            raise ModelError(path, f"empty file (0 bytes); {FROM_EXPORT}")
    else:
        path = Path(source)
        data = _read(path, max_bytes)
    # A serialised ModelProto starts with field 1 (ir_version, a varint): tag byte 0x08.
    if data[:1] != b"\x08":
        raise ModelError(path, f"not an ONNX file; {FROM_EXPORT}")
    try:
        session = open_session(data, intra_op_threads)
    except Exception as exc:  # noqa: BLE001 - ORT raises several private exception types for bad files
        raise ModelError(path, f"truncated or damaged ONNX file ({first_line(exc, 160)})") from None
    try:
        info, input_name, batch_fixed = _contract(session)
    except ContractError as exc:
        raise ModelError(path, str(exc)) from None
    t1 = time.perf_counter()
    model = Generator(path=path, info=info, session=session, input_name=input_name, batch_fixed=batch_fixed,
                      size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                      load_ms=(t1 - t0) * 1000, probe_ms=0.0, images_per_s=0.0, replay=None,
                      replay_problem=None)
    probe_latents = max(batch, MIN_PROBE_LATENTS)
    problem = _probe(model, probe_latents)
    if problem is not None:
        raise ModelError(path, problem)
    model.probe_ms = (time.perf_counter() - t1) * 1000
    model.images_per_s = _images_per_s(model, batch, probe_latents / max(model.probe_ms / 1000, 1e-6))
    model.replay, model.replay_problem = load_replay(info.timelapse, info.info.get("adopted_from"))  # tens of ms
    return model


MEASURE_BUDGET_S = 1.0  # the most a load spends measuring speed (a slow machine says so in one run)


def _images_per_s(model: Generator, batch: int, probed: float, runs: int = 3) -> float:
    """What this machine makes with this model now: the best of a few warm runs of the player's batch
    (the best, since a busy moment is not what the machine can do). `probed`: the rate of the probe's
    cold run. Where that alone took longer than MEASURE_BUDGET_S, it is the answer (an underestimate by
    the cold start at most): a slow PC starts its wall sooner, it need not be told three times."""
    if batch / probed > MEASURE_BUDGET_S:
        return probed
    z = np.zeros((batch, model.info.z_dim), np.float32)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        model.run(z)
        best = min(best, time.perf_counter() - start)
    return batch / max(best, 1e-6)


def describe(model: Generator) -> str:
    """One line for logs and `aimoji check`: what the model is."""
    info = model.info
    colour = "RGB" if info.channels == 3 else "grey"
    title = f", '{info.title}'" if info.title else ""
    moods = ", moods" if info.moods else ""
    return f"z {info.z_dim}, {info.image_size}x{info.image_size} {colour}, {size_text(model.size_bytes)}{moods}{title}"
