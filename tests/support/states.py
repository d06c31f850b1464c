"""PlayerState values for tests of what reads them (health, the watchdog, metrics, the page): a wall
playing well at monotonic time 500, and small changes to it by field path."""

from __future__ import annotations

from dataclasses import replace

from installation.player.state import FrameFacts, GenerationFacts, PictureFacts, PlayerState

PLAYING = PlayerState(
    activity="playing", uptime_s=3725.0, show="museum-week", scene="morph", model="emoji-e40", open=True,
    outside_action="black", playlist=("morph", "grid"), models=("emoji-e40",),
    frames=FrameFacts(shown=223000, dropped=12, fps=59.8, target_fps=60, last_monotonic=500.0),
    picture=PictureFacts(changed_monotonic=499.9),
    generation=GenerationFacts(asked_per_s=60.0, model_per_s=240.0, generated=223000))


def state(**changes) -> PlayerState:
    """PLAYING with changes; a nested field is named with '__', e.g. frames__fps=29.0."""
    nested: dict[str, dict] = {}
    top = {}
    for key, value in changes.items():
        if "__" in key:
            group, field = key.split("__", 1)
            nested.setdefault(group, {})[field] = value
        else:
            top[key] = value
    for group, fields in nested.items():
        top[group] = replace(getattr(PLAYING, group), **fields)
    return replace(PLAYING, **top)
