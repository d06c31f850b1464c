"""The generation worker and its bounded buffer; the ONNX loader against the contract."""

import time

import numpy as np
import pytest

from installation.scenes.base import Frame
from installation.player.capacity import made_per_s
from installation.player.worker import BATCHES_KEPT, HANDOVER_LEAD_S, FrameBuffer, GeneratorWorker, Pipeline, \
    buffer_capacity, generate_now
from installation.model.contract import ModelInfo
from installation.model.load import ModelError, load, to_uint8
from installation.scenes.morph import MorphPlan, MorphView
from installation.scenes.walk import WalkParams

WALK = WalkParams(seed=1, z_dim=4, keyframe_s=1.0)


class FakeModel:
    """Stands in for OnnxGenerator: image pixel value = round(z[0] * 10) % 256, counts calls."""
    info = ModelInfo(z_dim=4, image_size=2, channels=3, output_range=(-1.0, 1.0))

    def __init__(self, delay_s=0.0):
        self.calls, self.delay_s = [], delay_s

    def generate(self, z):
        self.calls.append(len(z))
        time.sleep(self.delay_s)
        return np.zeros((len(z), 2, 2, 3), np.uint8) + (np.round(z[:, :1, None, None] * 10) % 256).astype(np.uint8)


def _frame(key, need_t):
    return Frame(key, need_t, np.zeros((1, 1, 3), np.uint8))


def test_buffer_takes_only_what_is_due_in_order():
    buf = FrameBuffer(capacity=10)
    buf.put([_frame(k, k * 0.1) for k in range(5)])
    assert [f.key for f in buf.take_due(0.15)] == [0, 1]
    assert buf.take_due(0.15) == []
    assert [f.key for f in buf.take_due(9.0)] == [2, 3, 4]
    assert len(buf) == 0


def test_buffer_space_and_wait():
    buf = FrameBuffer(capacity=2)
    buf.put([_frame(0, 0.0), _frame(1, 0.1)])
    assert buf.space() == 0
    assert buf.wait_for_space(0.01) is False
    buf.take_due(0.0)
    assert buf.wait_for_space(0.01) is True


def test_buffer_holds_what_is_needed_up_to_a_time_or_is_full():
    buf = FrameBuffer(capacity=6)
    assert not buf.holds(0.0)
    buf.put([_frame(k, k * 0.1) for k in range(5)])
    assert buf.holds(0.4) and not buf.holds(0.45)
    buf.put([_frame(5, 0.5)])
    assert buf.holds(99.0)                    # full: as far ahead as the worker may get


def test_a_scene_is_handed_over_once_its_worker_is_ahead_not_at_its_first_image():
    """The first draw of a 2160p morph takes 16-21 ms; shown at its first image, its third frame repeated."""
    t = 5.0
    pipe = Pipeline(0, "m", FakeModel(delay_s=0.01), MorphView(MorphPlan(WALK, fps=60), 2, "smooth"),
                    now_t=lambda: t, batch=1)
    seen_first, deadline = None, time.monotonic() + 5.0
    try:
        while not pipe.ready(t) and time.monotonic() < deadline:
            pipe.pump(t, 1 / 120)
            if seen_first is None and pipe.view.ready(t):
                seen_first = pipe.ready(t)
            time.sleep(0.005)
        assert seen_first is False             # the first image alone is not enough
        assert pipe.ready(t) and pipe.buffer.holds(t + HANDOVER_LEAD_S)
        assert pipe.generated >= HANDOVER_LEAD_S * 60
    finally:
        pipe.stop()


def test_a_worker_slower_than_the_screen_is_shown_at_its_first_image():
    t = 5.0
    pipe = Pipeline(0, "m", FakeModel(delay_s=0.1), MorphView(MorphPlan(WALK, fps=60), 2, "smooth"),
                    now_t=lambda: t, batch=1)       # 10 images/s for 60 a second: it never gets ahead
    deadline = time.monotonic() + 5.0
    try:
        while not pipe.view.ready(t) and time.monotonic() < deadline:
            pipe.pump(t, 1 / 120)
            time.sleep(0.005)
        assert pipe.ready(t) and not pipe.buffer.holds(t + HANDOVER_LEAD_S)
    finally:
        pipe.stop()


@pytest.mark.parametrize("rate,lead,batch,capacity", [(60, 0.5, 8, 38), (576, 0.5, 16, 304), (1, 0.5, 4, 8)])
def test_buffer_capacity(rate, lead, batch, capacity):
    assert buffer_capacity(rate, lead, batch) == capacity


def test_worker_fills_the_buffer_ahead_in_order_and_stops_when_full():
    model, buf = FakeModel(), FrameBuffer(capacity=12)
    worker = GeneratorWorker(model, MorphPlan(WALK, fps=30), buf, now_t=lambda: 5.0, batch=5)
    worker.start()
    time.sleep(0.3)
    assert len(buf) == 12                     # bounded: never more than capacity
    assert worker.generated == 12
    assert max(model.calls) <= 5              # batched, at most `batch` per call
    frames = buf.take_due(100.0)
    assert [f.key for f in frames] == list(range(150, 162))   # consecutive, from the present
    time.sleep(0.2)
    assert len(buf) == 12                     # and refilled after the render loop took them
    worker.stop(join_s=1.0)
    assert not worker.is_alive() and worker.error is None


def test_the_render_thread_times_the_generator_while_it_adds_batches():
    """The capacity check reads the worker's timed batches on the render thread while the worker adds
    to them (a race that ended `make test` once with 'deque mutated during iteration')."""
    buf = FrameBuffer(capacity=4)
    worker = GeneratorWorker(FakeModel(), MorphPlan(WALK, fps=1000), buf, now_t=time.monotonic, batch=1)
    worker.start()
    try:
        reads, until = 0, time.monotonic() + 1.0
        while time.monotonic() < until:
            buf.take_due(1e12)                  # the worker refills at once: a batch every few µs
            made_per_s(worker.batches, 0.0)     # raised RuntimeError with the batches in a deque
            reads += 1
        batches = worker.batches   # one read: the worker, still running, replaces the tuple whole
        assert 20 < len(batches) <= BATCHES_KEPT and reads > 1000   # bounded
        assert [b[0] for b in batches] == sorted(b[0] for b in batches)   # oldest first
    finally:
        worker.stop(join_s=1.0)
    assert worker.error is None


def test_worker_applies_the_colour_hook():
    buf = FrameBuffer(capacity=4)
    worker = GeneratorWorker(FakeModel(), MorphPlan(WALK, fps=30), buf, now_t=lambda: 0.0, batch=4,
                             colour=lambda img: 255 - img)
    worker.start()
    deadline = time.monotonic() + 2
    while len(buf) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop(join_s=1.0)
    f = buf.take_due(1.0)[0]
    raw = FakeModel().generate(MorphPlan(WALK, fps=30).next_requests(0.0, 1)[0].z[None])[0]
    assert np.array_equal(f.image, 255 - raw)


def test_worker_records_a_model_failure_instead_of_dying_loudly():
    class Broken(FakeModel):
        def generate(self, z):
            raise RuntimeError("out of memory")
    worker = GeneratorWorker(Broken(), MorphPlan(WALK, fps=30), FrameBuffer(4), now_t=lambda: 0.0)
    worker.start()
    worker.join(2.0)
    assert worker.error == "RuntimeError: out of memory"


def test_generate_now_covers_exactly_what_is_due():
    frames = generate_now(FakeModel(), MorphPlan(WALK, fps=10), t=0.5)
    assert [f.key for f in frames] == [5]
    plan = MorphPlan(WALK, fps=10)
    assert [f.key for f in generate_now(FakeModel(), plan, t=0.3)] == [3]
    assert [f.key for f in generate_now(FakeModel(), plan, t=0.4)] == [4]
    assert generate_now(FakeModel(), plan, t=0.4) == []


@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (0.0, 1.0)])
def test_to_uint8_maps_the_output_range(lo, hi):
    batch = np.array([lo, (lo + hi) / 2, hi], np.float32).reshape(1, 1, 1, 3)
    img = to_uint8(batch, (lo, hi))
    assert img.shape == (1, 1, 3, 3)          # one channel repeated to RGB
    assert img[0, 0, :, 0].tolist() == [0, 128, 255]


def test_load_model_reads_the_contract_and_generates(tiny_model_path):
    Z_DIM, IMAGE_PX = 16, 32  # the fixture's generator (conftest.py)
    model = load(tiny_model_path)
    assert (model.info.z_dim, model.info.image_size, model.name) == (Z_DIM, IMAGE_PX, "tiny")
    out = model.generate(np.random.default_rng(0).standard_normal((3, Z_DIM)).astype(np.float32))
    assert out.shape == (3, IMAGE_PX, IMAGE_PX, 3) and out.dtype == np.uint8
    assert out.std() > 5                      # an image, not a flat colour


def test_load_model_missing_file_is_one_line(tmp_path):
    with pytest.raises(ModelError, match=r"nope\.onnx: model file not found$"):
        load(tmp_path / "nope.onnx")
