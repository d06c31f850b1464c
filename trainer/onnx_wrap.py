"""Give a foreign ONNX generator the contract's interface: one input z [batch, z_dim], one output image.

Pure graph surgery on an `onnx.ModelProto` (no onnxruntime, no torch): the graph's own nodes and weights
are untouched; an input [batch, z, 1, 1] gets a Reshape in front, and names are bridged with Identity
nodes, so the wrapped model computes exactly what the original did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from installation.model.contract import declared_shape

RESHAPE_MIN_OPSET = 5  # Reshape takes its target shape as an input from opset 5 on


class WrapError(ValueError):
    """The graph cannot be adopted; the message is one line without the file name (the caller adds it)."""


@dataclass(frozen=True)
class Interface:
    """What a generator graph takes and gives, as declared."""
    input_name: str
    input_rank: int                # 2: [batch, z]; 4: [batch, z, 1, 1]
    z_dim: int | None              # None when the graph leaves it open
    batch: int | None              # a fixed batch size, or None for a dynamic one
    output_name: str


def interface(model: onnx.ModelProto) -> Interface:
    """Read and check the graph's one input and one output; raises WrapError saying what is wrong."""
    graph = model.graph
    weights = {init.name for init in graph.initializer}
    inputs = [i for i in graph.input if i.name not in weights]  # old IR versions list weights as inputs
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs) or "none"
        raise WrapError(f"graph has {len(inputs)} inputs ({names}); adopt takes a generator with one input, "
                        "the latent z")
    if len(graph.output) != 1:
        raise WrapError(f"graph has {len(graph.output)} outputs; adopt takes a generator with one, the image")
    z = inputs[0]
    if z.type.tensor_type.elem_type != TensorProto.FLOAT:
        kind = TensorProto.DataType.Name(z.type.tensor_type.elem_type)
        raise WrapError(f"input '{z.name}' is {kind}; adopt takes a float32 latent")
    dims = declared_shape(z)
    if len(dims) not in (2, 4) or (len(dims) == 4 and dims[2:] != [1, 1]):
        raise WrapError(f"input '{z.name}' is {dims}; adopt takes [batch, z] or [batch, z, 1, 1]")
    z_dim = dims[1] if isinstance(dims[1], int) and dims[1] > 0 else None
    batch = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else None
    return Interface(z.name, len(dims), z_dim, batch, graph.output[0].name)


def default_opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def _names_in_use(graph: onnx.GraphProto) -> set[str]:
    names = {v.name for v in (*graph.input, *graph.output, *graph.value_info)}
    names |= {init.name for init in graph.initializer}
    for node in graph.node:
        names |= {*node.input, *node.output, node.name}
    return names


def _fresh(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        candidate, n = f"{name}_{n}", n + 1
    used.add(candidate)
    return candidate


def _rename_reads(graph: onnx.GraphProto, old: str, new: str) -> None:
    """Every node that reads tensor `old` reads `new` instead, inside If/Loop bodies too (outer-scope names)."""
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                _rename_reads(sub, old, new)


def wrap(model: onnx.ModelProto, face: Interface, z_dim: int, image_chw: tuple[int, int, int]) -> onnx.ModelProto:
    """A copy of `model` with input `z` [batch, z_dim] and output `image` [batch, C, H, W] declared.

    `image_chw` is what the graph was seen to produce (the caller runs it once): foreign graphs often
    leave the output shape undeclared, and the player checks the declared one against the metadata.
    """
    wrapped = onnx.ModelProto()
    wrapped.CopyFrom(model)
    graph = wrapped.graph
    used = _names_in_use(graph)
    batch_dim = face.batch if face.batch is not None else "batch"
    front, back = [], []

    source = face.input_name  # the tensor the original nodes read
    if face.input_rank == 4 and source == "z":
        source = _fresh("z_nchw", used)
        _rename_reads(graph, "z", source)
        used.discard("z")
    z_name = "z" if "z" not in used or (face.input_rank == 2 and source == "z") else _fresh("z", used)
    if face.input_rank == 4:
        if default_opset(model) < RESHAPE_MIN_OPSET:
            raise WrapError(f"opset {default_opset(model)} is older than {RESHAPE_MIN_OPSET}; "
                            "re-export the generator with a newer opset")
        shape = _fresh("z_as_nchw_shape", used)
        # a Constant node, not an initializer: IR versions before 4 require every initializer as an input
        front.append(helper.make_node("Constant", [], [shape], name=_fresh("adopt_z_shape", used),
                                      value=numpy_helper.from_array(np.array([-1, z_dim, 1, 1], np.int64))))
        front.append(helper.make_node("Reshape", [z_name, shape], [source],
                                      name=_fresh("adopt_z_to_nchw", used)))
    elif z_name != source:
        front.append(helper.make_node("Identity", [z_name], [source], name=_fresh("adopt_z", used)))

    image_name = face.output_name if face.output_name == "image" else _fresh("image", used)
    if image_name != face.output_name:
        back.append(helper.make_node("Identity", [face.output_name], [image_name], name=_fresh("adopt_image", used)))

    nodes = [*front, *graph.node, *back]
    del graph.node[:]
    graph.node.extend(nodes)
    weights = {init.name for init in graph.initializer}
    kept_inputs = [i for i in graph.input if i.name in weights]
    del graph.input[:]
    graph.input.append(helper.make_tensor_value_info(z_name, TensorProto.FLOAT, [batch_dim, z_dim]))
    graph.input.extend(kept_inputs)
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(image_name, TensorProto.FLOAT, [batch_dim, *image_chw]))
    return wrapped
