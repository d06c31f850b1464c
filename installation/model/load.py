"""Open an exported generator with onnxruntime: read its contract metadata, generate uint8 images.

Thread counts are set deliberately: the gallery PC has 2 cores and the render loop needs one of them,
so inference gets one intra-op thread by default (measured in benchmarks/player.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from installation.model.contract import ModelInfo

DEFAULT_INTRA_OP_THREADS = 1


class ModelError(ValueError):
    """A model file cannot be played; str() is one line naming the file and the problem."""


def to_uint8(batch: np.ndarray, output_range: tuple[float, float]) -> np.ndarray:
    """[B, C, H, W] floats in output_range -> [B, H, W, 3] uint8 (grey models repeated to RGB)."""
    lo, hi = output_range
    scaled = (batch - lo) * (255.0 / (hi - lo))
    img = np.clip(scaled + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    if img.shape[3] == 1:
        img = np.repeat(img, 3, axis=3)
    return np.ascontiguousarray(img)


@dataclass
class OnnxGenerator:
    """A loaded generator: `generate(z)` with z [B, z_dim] float32 -> [B, H, W, 3] uint8."""
    path: Path
    info: ModelInfo
    session: object
    input_name: str
    batch_fixed: int | None  # the graph's batch size if it is not dynamic

    @property
    def name(self) -> str:
        return self.path.stem

    def generate(self, z: np.ndarray) -> np.ndarray:
        z = np.ascontiguousarray(z, dtype=np.float32)
        if self.batch_fixed is not None and len(z) != self.batch_fixed:
            parts = [self._run(z[i:i + self.batch_fixed]) for i in range(0, len(z), self.batch_fixed)]
            return np.concatenate(parts)[:len(z)]
        return self._run(z)

    def _run(self, z: np.ndarray) -> np.ndarray:
        n = len(z)
        if self.batch_fixed is not None and n < self.batch_fixed:
            z = np.concatenate([z, np.zeros((self.batch_fixed - n, z.shape[1]), np.float32)])
        out = self.session.run(None, {self.input_name: z})[0]
        return to_uint8(out[:n], self.info.output_range)


def load_model(path: Path | str, intra_op_threads: int = DEFAULT_INTRA_OP_THREADS) -> OnnxGenerator:
    """Open, hold to the contract and probe (which also warms up: the first run allocates) with the
    same checks hot reload applies (model_validation); raises ModelError naming the file."""
    from installation.model.validation import ModelRejected, check_contract, open_session, probe

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    try:
        session = open_session(str(path), intra_op_threads)
    except Exception as exc:  # ORT raises several private exception types for bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: not a loadable ONNX model ({first[:200]})") from None
    try:
        info, input_name, batch_fixed = check_contract(session)
        probe(session, info, input_name, batch_fixed)
    except ModelRejected as exc:
        raise ModelError(f"{path}: {exc}") from None
    return OnnxGenerator(path=path, info=info, session=session, input_name=input_name,
                         batch_fixed=batch_fixed)


def as_generator(model) -> OnnxGenerator:
    """Accept an OnnxGenerator, or any loaded model object with the same fields (path, info,
    session, input_name, batch_fixed), e.g. model_validation.ValidatedModel from hot reload."""
    if isinstance(model, OnnxGenerator):
        return model
    return OnnxGenerator(path=Path(model.path), info=model.info, session=model.session,
                         input_name=model.input_name, batch_fixed=getattr(model, "batch_fixed", None))
