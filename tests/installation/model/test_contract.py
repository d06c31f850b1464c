"""required_metadata writes what parse_metadata reads: the two halves of the contract round-trip."""

import pytest

from installation.model.contract import (FORMAT_VERSION, REQUIRED_KEYS, declared_shape, parse_metadata,
                                         required_metadata)


@pytest.mark.parametrize("z_dim, image_size, channels, output_range", [
    (100, 64, 3, (-1.0, 1.0)),   # our exporter: tanh RGB
    (128, 32, 1, (0.0, 1.0)),    # an adopted sigmoid greyscale generator
    (1, 4096, 3, (-0.5, 2.25)),  # the edges of the allowed sizes, a range that is not a round number
])
def test_required_metadata_round_trips(z_dim, image_size, channels, output_range):
    props = required_metadata(z_dim, image_size, channels, output_range)
    assert tuple(props) == REQUIRED_KEYS and all(isinstance(v, str) for v in props.values())
    info = parse_metadata(props)
    assert (info.format_version, info.z_dim, info.image_size, info.channels, info.output_range) == \
        (FORMAT_VERSION, z_dim, image_size, channels, output_range)
    assert info.info == {}  # nothing beyond the required keys


@pytest.mark.parametrize("dims, expected", [
    (["batch", 100], ["batch", 100]),        # our exporter: a named dynamic batch
    ([8, 100, 1, 1], [8, 100, 1, 1]),        # a fixed batch
    ([None, 3, 64, 64], [None, 3, 64, 64]),  # an unnamed dynamic axis
    ([], []),                                # rank declared as nothing
])
def test_declared_shape_reads_what_a_graph_declares(dims, expected):
    from onnx import TensorProto, helper

    value_info = helper.make_tensor_value_info("z", TensorProto.FLOAT, dims)
    assert declared_shape(value_info) == expected
