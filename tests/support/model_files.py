"""Small ONNX generators built with the onnx helper (no torch): good ones, and bad ones of every kind
the hot reloader must refuse. Shared by the reload tests and benchmarks/soak_reload.py."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

Z_DIM, SIDE, CHANNELS = 8, 8, 3
GOOD_METADATA = {"format_version": "1", "z_dim": str(Z_DIM), "image_size": str(SIDE),
                 "channels": str(CHANNELS), "output_range": "-1,1", "title": "linear test generator"}
# Every way a dropped file can be bad; good files are "good".
BAD_KINDS = ("zero_bytes", "truncated", "not_onnx", "wrong_shapes", "nan_output", "inf_output",
             "constant_output", "faint_output", "huge", "bad_metadata")


def generator_bytes(seed: int = 0, weights: str = "random", metadata: dict[str, str | None] | None = None,
                    side: int = SIDE, z_dim: int = Z_DIM, final: str = "Tanh",
                    padding_floats: int = 0, batch: int | str = "batch") -> bytes:
    """z [batch, z_dim] -> MatMul -> Add -> final -> image [batch, 3, side, side], serialised."""
    rng = np.random.default_rng(seed)
    pixels = CHANNELS * side * side
    w = rng.normal(0, 0.8, (z_dim, pixels)).astype(np.float32)
    if weights == "zero":
        w[:] = 0
    elif weights == "nan":
        w[0, :] = np.nan
    elif weights == "inf":
        w[:, 0] = np.inf
    b = rng.normal(0, 0.1, pixels).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(np.array([-1, CHANNELS, side, side], np.int64), "shape")]
    if padding_floats:  # an unused initializer that makes the file big
        inits.append(numpy_helper.from_array(np.ones(padding_floats, np.float32), "padding"))
    nodes = [helper.make_node("MatMul", ["z", "w"], ["zw"]), helper.make_node("Add", ["zw", "b"], ["pre"]),
             helper.make_node(final, ["pre"], ["flat"]),
             helper.make_node("Reshape", ["flat", "shape"], ["image"])]
    graph = helper.make_graph(
        nodes, "linear_generator",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [batch, z_dim])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, CHANNELS, side, side])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    props = dict(GOOD_METADATA, z_dim=str(z_dim), image_size=str(side))
    props.update(metadata or {})
    for key, value in props.items():
        if value is not None:
            model.metadata_props.add(key=key, value=value)
    return model.SerializeToString()


def faint_generator_bytes(seed: int = 0, scale: float = 0.002) -> bytes:
    """A generator whose weights are `scale` of a good one's: outputs within about +-0.02, as an untrained
    DCGAN draws (pytorch/examples' initial weights give +-0.013): one flat grey on the wall."""
    model = onnx.load_from_string(generator_bytes(seed))
    for init in model.graph.initializer[:2]:   # w and b
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * np.float32(scale), init.name))
    return model.SerializeToString()


def model_bytes(kind: str, seed: int = 0) -> bytes:
    """The bytes of a file of the given kind ('good' or one of BAD_KINDS)."""
    if kind == "good":
        return generator_bytes(seed)
    if kind == "zero_bytes":
        return b""
    if kind == "truncated":
        data = generator_bytes(seed)
        return data[: len(data) * 2 // 3]
    if kind == "not_onnx":
        return b"title = 'a show, saved as .onnx by mistake'\n" * 20
    if kind == "wrong_shapes":
        return generator_bytes(seed, metadata={"image_size": str(SIDE * 2)})
    if kind == "nan_output":
        return generator_bytes(seed, weights="nan")
    if kind == "inf_output":
        return generator_bytes(seed, weights="inf", final="Identity")
    if kind == "constant_output":
        return generator_bytes(seed, weights="zero")
    if kind == "faint_output":
        return faint_generator_bytes(seed)
    if kind == "huge":
        return generator_bytes(seed, padding_floats=300_000)  # about 1.2 MB
    if kind == "bad_metadata":
        return generator_bytes(seed, metadata={"z_dim": None})
    raise ValueError(f"unknown model kind {kind!r}")


HUGE_LIMIT_BYTES = 1_000_000  # the size limit under which "huge" files are refused in tests


def check_onnx(data: bytes) -> None:
    """The good bytes really are a valid ONNX model (guards the builder itself)."""
    onnx.checker.check_model(onnx.load_from_string(data))
