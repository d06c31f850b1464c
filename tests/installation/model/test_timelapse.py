"""installation/model/timelapse.py defines the `timelapse` payload both ways: encode_strip writes what
parse_timelapse and decode_strip read back."""

from __future__ import annotations

import numpy as np
import pytest

from installation.model.timelapse import FORMAT, decode_strip, encode_strip, parse_timelapse


@pytest.mark.parametrize("frames, px", [(1, 16), (4, 16), (7, 9), (120, 8)])
def test_encode_strip_round_trips(frames, px):
    images = np.random.default_rng(frames).integers(0, 256, (frames, px, px, 3), dtype=np.uint8)
    steps, epochs = np.arange(frames) * 8, 1 + np.arange(frames) // 4
    payload = encode_strip(images, steps, epochs)
    assert payload["format"] == FORMAT
    timelapse = parse_timelapse(payload)
    assert (timelapse.frames, timelapse.frame_px) == (frames, px)
    assert timelapse.steps == tuple(steps.tolist()) and timelapse.epochs == tuple(epochs.tolist())
    assert np.array_equal(decode_strip(timelapse), images)


def test_encoded_numbers_are_plain_ints():
    """numpy integers would not survive json.dumps in the exporter."""
    payload = encode_strip(np.zeros((2, 4, 4, 3), np.uint8), np.array([0, 5], np.int64), np.array([1, 1], np.int64))
    assert all(type(v) is int for v in payload["steps"] + payload["epochs"] + [payload["frames"], payload["frame_px"]])
