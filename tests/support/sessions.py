"""Generators that misbehave, made through the real seam: a loaded model.load.Generator whose
onnxruntime session is wrapped. `slowed` is a machine that makes only so many images per second
(asleep, so the test's CPU stays free for the render loop), `flaky` a model that starts failing."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from installation.model.load import Generator


class Session:
    """An onnxruntime session that takes `seconds_per_image` per image (plus any stall), and from its
    `fail_after`-th call on raises (how='raise') or draws a flat black picture (how='flat')."""

    def __init__(self, real, seconds_per_image: float = 0.0, fail_after: int | None = None, how: str = "raise"):
        self.real, self.seconds_per_image = real, seconds_per_image
        self.fail_after, self.how, self.calls = fail_after, how, 0
        self.stuck_until = 0.0

    def arm(self, after: int) -> None:
        """Start failing on the after-th call from now."""
        self.calls, self.fail_after = 0, after

    def stall(self, seconds: float) -> None:
        """From the next call on, generation is stuck for `seconds`."""
        self.stuck_until = time.monotonic() + seconds

    def get_inputs(self):
        return self.real.get_inputs()

    def run(self, outputs, feeds):
        self.calls += 1
        z = next(iter(feeds.values()))
        time.sleep(max(0.0, self.stuck_until - time.monotonic()) + len(z) * self.seconds_per_image)
        out = self.real.run(outputs, feeds)
        if self.fail_after is not None and self.calls >= self.fail_after:
            if self.how == "raise":
                raise RuntimeError("bad_alloc")
            if self.how == "thread":
                raise SystemExit("thread killed")
            return [np.full_like(out[0], -1.0)]
        return out


def slowed(model: Generator, images_per_s: float) -> Generator:
    """`model` on a machine that makes images_per_s of it, as load() measures it there."""
    return replace(model, session=Session(model.session, 1.0 / images_per_s), images_per_s=images_per_s)


def flaky(model: Generator, after: int | None, how: str = "raise") -> Generator:
    """`model`, failing from its after-th inference on (raise, or a flat picture); None: not until
    its session is armed."""
    return replace(model, session=Session(model.session, fail_after=after, how=how))
