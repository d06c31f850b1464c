"""Give a foreign ONNX generator the contract's interface: one input z [batch, z_dim], one output image.

Pure graph surgery on an `onnx.ModelProto` (no onnxruntime, no torch): the graph's own nodes and weights
are untouched; an input [batch, z, 1, 1] gets a Reshape in front, names are bridged with Identity
nodes, and extra inputs the user fixes (a StyleGAN's truncation_psi) become constants, so the wrapped
model computes exactly what the original did with those values. `graph_range` reads the output range
where the graph says it (a final Tanh or Sigmoid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from installation.model.contract import declared_shape

RESHAPE_MIN_OPSET = 5  # Reshape takes its target shape as an input from opset 5 on
# The last squashing op of a generator says its output range; these ops between it and the output keep
# every value as it is (they only move or retype it).
SQUASHING = {"Tanh": (-1.0, 1.0), "Sigmoid": (0.0, 1.0)}
KEEPS_VALUES = {"Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose"}


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
        hint = ("; keep the latent and give each other input a value with --fix-input NAME=VALUE "
                "(e.g. a StyleGAN's --fix-input truncation_psi=0.7)") if len(inputs) > 1 else ""
        raise WrapError(f"graph has {len(inputs)} inputs ({names}); adopt takes a generator with one input, "
                        f"the latent z{hint}")
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


def graph_range(model: onnx.ModelProto) -> tuple[str, tuple[float, float]] | None:
    """(op, (lo, hi)) when the graph's output comes from a Tanh or Sigmoid (through ops that keep values,
    such as a Reshape), else None: then only a probe can tell."""
    graph = model.graph
    made_by = {name: node for node in graph.node for name in node.output}
    name = graph.output[0].name
    for _ in range(len(graph.node)):
        node = made_by.get(name)
        if node is None or node.domain not in ("", "ai.onnx"):
            return None
        if node.op_type in SQUASHING:
            return node.op_type, SQUASHING[node.op_type]
        if node.op_type not in KEEPS_VALUES:
            return None
        name = node.input[0]
    return None


def fix_inputs(model: onnx.ModelProto, values: dict[str, float]) -> onnx.ModelProto:
    """A copy of `model` in which each input named in `values` is a Constant of that value, in the
    input's declared type and (fixed) shape, so the graph is left with one input, z."""
    if not values:
        return model
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    graph = fixed.graph
    weights = {init.name for init in graph.initializer}
    inputs = {i.name: i for i in graph.input if i.name not in weights}
    used = _names_in_use(graph)
    constants = []
    for name, value in values.items():
        if name not in inputs:
            raise WrapError(f"--fix-input {name}: the graph has no input '{name}'; its inputs: {', '.join(inputs)}")
        dtype = helper.tensor_dtype_to_np_dtype(inputs[name].type.tensor_type.elem_type)
        dims = declared_shape(inputs[name])
        if not all(isinstance(d, int) and d > 0 for d in dims):
            raise WrapError(f"--fix-input {name}: input '{name}' is {dims}, a shape that is not fixed; adopt can fix "
                            "inputs of a fixed shape (a scalar such as truncation_psi)")
        if np.issubdtype(dtype, np.integer) and value != int(value):
            raise WrapError(f"--fix-input {name}={value:g}: input '{name}' takes whole numbers ({dtype.__name__})")
        constants.append(helper.make_node("Constant", [], [name], name=_fresh(f"adopt_fixed_{name}", used),
                                          value=numpy_helper.from_array(np.full(dims, value, dtype))))
    nodes = [*constants, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [i for i in graph.input if i.name not in values]
    del graph.input[:]
    graph.input.extend(kept)
    return fixed


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
