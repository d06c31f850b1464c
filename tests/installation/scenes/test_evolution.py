"""The evolution scene: frame-selection maths, strip decoding, drawn pixels, the player and `aimoji render`.

Fixture: a small onnx-helper generator whose metadata carries a synthetic timelapse strip in which
frame k has red = 20*k, green = 16*row, blue = 16*column, so any pixel says which frame it came from.
"""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from installation.cli import main
from installation.model.load import load
from installation.model.timelapse import TimelapseError, decode_strip, parse_timelapse
from installation.display.screen import Screen
from installation.scenes.base import SceneUnavailable, ViewSpec
from installation.scenes.evolution import HOLD_SHARE, PLAY_SHARE, RETURN_SHARE, Pick, caption, mix, phases, pick
from installation.scenes.registry import make_view
from installation.scenes.walk import walk_for
from installation.show.config import load_show
from tests.support.model_files import generator_bytes

N, S = 12, 16   # frames in the strip, pixels per frame side


def synthetic_frames(n: int = N, s: int = S) -> np.ndarray:
    k, y, x = np.meshgrid(np.arange(n), np.arange(s), np.arange(s), indexing="ij")
    return np.stack([k * 20, y * 16, x * 16], axis=-1).astype(np.uint8)   # [n, s, s, 3]


def timelapse_payload(frames: np.ndarray) -> dict:
    n, s = frames.shape[:2]
    buffer = io.BytesIO()
    Image.fromarray(np.concatenate(list(frames), axis=1)).save(buffer, format="PNG")
    return {"format": "png-strip", "frame_px": s, "frames": n, "steps": [k * 8 for k in range(n)],
            "epochs": [1 + k // 4 for k in range(n)], "png_base64": base64.b64encode(buffer.getvalue()).decode()}


@pytest.fixture(scope="module")
def evo_model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("evo_models") / "evo.onnx"
    path.write_bytes(generator_bytes(side=S, metadata={
        "title": "evo", "timelapse": json.dumps(timelapse_payload(synthetic_frames()))}))
    return path


@pytest.fixture(scope="module")
def plain_model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("plain_models") / "plain.onnx"
    path.write_bytes(generator_bytes(side=S, metadata={"title": "plain"}))
    return path


# ---- frame selection (pure) -------------------------------------------------------------------

LOOP_S = 10.0   # play 8 s, hold 1.5 s, return 0.5 s; with 5 frames one recorded frame every 2 s


@pytest.mark.parametrize("t, expected", [
    (0.0, Pick(0, 1, 0.0)),            # the loop starts on the first (noise) frame
    (2.0, Pick(1, 2, 0.0)),
    (3.0, Pick(1, 2, 0.5)),
    (7.0, Pick(3, 4, 0.5)),
    (8.0, Pick(4, 4, 0.0)),            # replay done: the final frame alone...
    (9.49, Pick(4, 4, 0.0)),           # ...held
    (9.75, Pick(4, 0, 0.5)),           # fading back to noise
    (10.0, Pick(0, 1, 0.0)),           # the next loop
    (23.0, Pick(1, 2, 0.5)),
    (-7.0, Pick(1, 2, 0.5)),           # t wraps the same way before the start
])
def test_pick_table(t, expected):
    got = pick(t, LOOP_S, 5)
    assert (got.a, got.b) == (expected.a, expected.b)
    assert got.w == pytest.approx(expected.w, abs=1e-9)


def test_end_of_replay_shows_the_last_frame_and_loop_end_shows_noise():
    play_s, hold_s, return_s = phases(60.0)
    assert play_s + hold_s + return_s == pytest.approx(60.0)
    assert PLAY_SHARE + HOLD_SHARE + RETURN_SHARE == pytest.approx(1.0)
    frames = synthetic_frames()
    assert np.array_equal(mix(frames, pick(play_s - 1e-9, 60.0, N)), frames[-1])
    assert np.array_equal(mix(frames, pick(play_s + hold_s - 1e-6, 60.0, N)), frames[-1])
    assert np.array_equal(mix(frames, pick(60.0 - 1e-9, 60.0, N)), frames[0])   # seam: no cut


def weights(p: Pick, n: int) -> np.ndarray:
    v = np.zeros(n)
    v[p.a] += 1 - p.w
    v[p.b] += p.w
    return v


@pytest.mark.parametrize("loop_s, n", [(60.0, 120), (10.0, 5), (2.0, 2), (7.3, 37)])
def test_weights_are_valid_and_continuous(loop_s, n):
    dt = loop_s / 20000
    ts = np.arange(-loop_s * 0.1, 2.2 * loop_s, dt)
    picks = [pick(float(t), loop_s, n) for t in ts]
    assert all(0 <= p.w <= 1 and 0 <= p.a < n and 0 <= p.b < n for p in picks)
    play_s, _, return_s = phases(loop_s)
    fastest = max((n - 1) / play_s, 1.5 / return_s)   # weight moved per second, at most
    steps = [np.abs(weights(p, n) - weights(q, n)).sum() for p, q in zip(picks, picks[1:])]
    assert max(steps) <= 2 * fastest * dt * 1.01


def test_single_frame_strip_holds_it():
    assert pick(12.3, 5.0, 1) == Pick(0, 0, 0.0)


def test_caption_names_the_epoch_and_step():
    tl = parse_timelapse(timelapse_payload(synthetic_frames()))
    assert caption(tl, 11) == "epoch 3 · step 88"


# ---- payload checks and decoding ------------------------------------------------------------------

GOOD = timelapse_payload(synthetic_frames())


@pytest.mark.parametrize("change, message", [
    ({"format": "mp4"}, "timelapse format 'mp4' is not 'png-strip'"),
    ({"frame_px": 0}, "timelapse frame_px 0 is not an integer"),
    ({"frames": "12"}, "timelapse frames '12' is not an integer"),
    ({"steps": [1, 2]}, "timelapse steps should be 12 integers"),
    ({"epochs": None}, "timelapse epochs should be 12 integers"),
    ({"png_base64": ""}, "timelapse png_base64 is missing or empty"),
])
def test_bad_payload_is_one_line(change, message):
    with pytest.raises(TimelapseError, match=message):
        parse_timelapse({**GOOD, **change})


def test_decode_strip_gives_each_frame_in_order():
    frames = decode_strip(parse_timelapse(GOOD))
    assert frames.shape == (N, S, S, 3) and frames.dtype == np.uint8
    assert np.array_equal(frames, synthetic_frames())


@pytest.mark.parametrize("change, message", [
    ({"frames": 11, "steps": list(range(11)), "epochs": [1] * 11}, "expected 176x16 \\(11 frames of 16 px\\)"),
    ({"png_base64": "not base64!"}, "not valid base64"),
    ({"png_base64": base64.b64encode(b"GIF89a nothing").decode()}, "timelapse PNG cannot be read"),
])
def test_damaged_strip_is_one_line(change, message):
    with pytest.raises(TimelapseError, match=message):
        decode_strip(parse_timelapse({**GOOD, **change}))


def test_mix_is_exact():
    frames = synthetic_frames()
    half = mix(frames, Pick(2, 3, 0.5))
    assert half[0, 0].tolist() == [50, 0, 0]              # (40*127.5 + 60*127.5)/255, rounded
    assert np.array_equal(mix(frames, Pick(2, 3, 1.0)), frames[3])


# ---- the view -----------------------------------------------------------------------------------------

def _show(show_file, extra="loop_s = 10\n", scale="smooth"):
    show = load_show(show_file("evolution", extra))
    return show.model_copy(update={"display": show.display.model_copy(update={"scale": scale})})


def _view(model, show, colour=None):
    return make_view(show.playlist[0], model, ViewSpec(30, walk_for(show, model.info.z_dim), show.display.scale,
                                                       colour=colour))


def test_the_strip_is_decoded_when_the_model_loads_and_the_view_colours_what_it_shows(evo_model_path,
                                                                                     show_file):
    import pygame
    model = load(evo_model_path)
    assert model.replay is not None and np.array_equal(model.replay.frames, synthetic_frames())
    view = _view(model, _show(show_file), colour=lambda img: 255 - img)
    assert view.name == "evolution" and view.plan is None and view.ready(0.0)
    assert view.draw(Screen(pygame.Surface((160, 120))), 0.0)
    assert np.array_equal(view.current_image(), 255 - synthetic_frames()[0])   # calibration colour applied
    assert np.array_equal(model.replay.frames, synthetic_frames())             # the model's copy untouched


def test_view_draws_the_expected_frame_pixels(evo_model_path, show_file):
    import pygame
    show = _show(show_file, scale="pixel")
    view = _view(load(evo_model_path), show)
    screen = Screen(pygame.Surface((160, 120)), background=show.display.background_rgb)
    play_s, hold_s, _ = phases(10.0)
    t0 = 1_700_000_000.0                                   # walk time is epoch seconds in the player

    def pixel(x, y):
        return tuple(screen.pixels()[y, x])

    # pixel: 16 px frames become 7x blocks (112 px), centred: x 24..135, y 4..115
    assert view.draw(screen, t0)
    assert pixel(24 + 7 * 5 + 3, 4 + 7 * 2 + 3) == (0, 32, 80)     # frame 0, row 2, column 5
    assert pixel(10, 60) == (255, 255, 255) == pixel(150, 60)     # margins: the show's background
    assert view.draw(screen, t0 + play_s * 3 / (N - 1))
    assert pixel(24 + 3, 4 + 3) == (60, 0, 0)                      # frame 3 exactly
    assert view.draw(screen, t0 + play_s * 3.5 / (N - 1))
    assert pixel(24 + 3, 4 + 3) == (70, 0, 0)                      # halfway between 3 and 4
    view.draw(screen, t0 + play_s + hold_s / 2)
    assert pixel(135, 115) == (220, 240, 240)                      # held: the final frame
    assert np.array_equal(view.current_image(), synthetic_frames()[-1])


def test_caption_is_drawn_small_in_a_corner(evo_model_path, show_file):
    import pygame
    model = load(evo_model_path)
    show = _show(show_file)
    shots = {}
    for on in (True, False):
        view = _view(model, show)
        view.show_caption = on
        screen = Screen(pygame.Surface((900, 540)))
        view.draw(screen, 0.0)
        shots[on] = screen.pixels()
    changed = np.argwhere((shots[True] != shots[False]).any(axis=2))   # (y, x)
    assert len(changed) > 20                               # some text was drawn...
    assert changed[:, 1].min() > 900 - 220 and changed[:, 0].min() > 540 - 60  # ...bottom right only


def test_model_without_timelapse_is_unavailable_with_one_line(plain_model_path, show_file):
    with pytest.raises(SceneUnavailable) as exc:
        _view(load(plain_model_path), _show(show_file))
    assert str(exc.value) == ("model 'plain' has no training timelapse; morph and grid play it (for evolution, "
                              "export its run again with this version of aimoji-train export)")


def test_a_damaged_strip_still_loads_the_model_and_says_why_there_is_no_replay(tmp_path):
    path = tmp_path / "damaged.onnx"
    path.write_bytes(generator_bytes(side=S, metadata={
        "title": "damaged", "timelapse": json.dumps({**GOOD, "png_base64": "not base64!"})}))
    model = load(path)
    assert model.replay is None
    assert model.replay_problem == "has a damaged training timelapse: timelapse png_base64 is not valid base64"


# ---- the player and `aimoji render` -------------------------------------------------------------

def test_headless_play_shows_the_replay(evo_model_path, show_file, tmp_path):
    stats_path, shot = tmp_path / "stats.json", tmp_path / "shot.png"
    rc = main(["play", "--headless", "--seconds", "1.5", "--model", str(evo_model_path),
               "--show", str(show_file("evolution", "loop_s = 4\n")), "--stats-json", str(stats_path),
               "--screenshot", str(shot)])
    assert rc == 0
    stats = json.loads(stats_path.read_text())
    assert stats["scene"] == "evolution" and stats["model"] == "evo"
    assert stats["frames"] >= 30 and stats["dry_frames"] == 0 and stats["generated"] == 0
    assert stats["dropped_frames"] <= 1     # no generation at all: only a stalled CPU could drop one
    assert stats["worker_error"] is None
    red = np.asarray(Image.open(shot).convert("RGB"))[120, 160, 0]
    # Frame k has red 20k; ~1.4 s into a 4 s loop (3.2 s replay of 11 steps) is around frame 4.
    assert 40 <= red <= 120


def test_evolution_of_a_model_without_timelapse_becomes_a_morph_never_an_empty_wall(screen, plain_model_path,
                                                                                   show_file):
    from installation.display.output import Window
    from installation.player.loop import Player
    lines = []
    show = load_show(show_file("evolution"))
    player = Player(show, {"plain": load(plain_model_path)}, "plain", Window(screen), log=lines.append)
    stats = player.run(seconds=0.6)
    assert stats["scene"] == "morph" and stats["frames"] > 5
    assert lines[0] == ("playlist entry 1: model 'plain' has no training timelapse; morph and grid play it "
                        "(for evolution, export its run again with this version of aimoji-train export); "
                        "showing a morph of it instead")
    assert sum("no training timelapse" in line for line in lines) == 1


def test_render_evolution_frame_count_and_seam(evo_model_path, show_file, tmp_path):
    out = tmp_path / "frames"
    rc = main(["render", "--model", str(evo_model_path), "--show", str(show_file()), "--scene", "evolution",
               "--seconds", "10", "--fps", "6", "--size", "32", "--out", str(out), "--quiet"])
    assert rc == 0
    files = sorted(out.glob("frame_*.png"))
    assert len(files) == 60
    reds = [int(np.asarray(Image.open(f).convert("RGB"))[16, 16, 0]) for f in files]
    assert reds[0] == 0 and 200 < reds[47] < 220      # noise first, nearly done at 7.83 s...
    assert reds[48:58] == [220] * 10                  # ...the final face from 8 s, held 1.5 s
    assert 220 > reds[58] > reds[59] > 0              # then fading back towards noise...
    steps = np.abs(np.diff(reds))
    assert reds[59] - reds[0] <= steps.max()          # ...so the seam is no bigger than a normal step


def test_render_evolution_without_timelapse_is_one_line(capsys, plain_model_path, tmp_path):
    out = tmp_path / "loop.gif"
    rc = main(["render", "--model", str(plain_model_path), "--scene", "evolution", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and not out.exists() and not list(tmp_path.iterdir())
    assert err == ["aimoji render: model 'plain' has no training timelapse; morph and grid play it (for "
                   "evolution, export its run again with this version of aimoji-train export)"]


def test_render_evolution_of_an_adopted_model_says_what_it_can_play(capsys, tmp_path):
    path = tmp_path / "theirs.onnx"
    path.write_bytes(generator_bytes(side=S, metadata={"title": "theirs", "adopted_from": "netG_epoch_24.pth"}))
    rc = main(["render", "--model", str(path), "--scene", "evolution", "--out", str(tmp_path / "a.gif"), "--quiet"])
    assert rc == 2
    assert capsys.readouterr().err.splitlines() == [
        "aimoji render: model 'theirs' was adopted from netG_epoch_24.pth, and only a model trained with "
        "aimoji-train has a training timelapse; morph and grid play it (for evolution, train one with "
        "aimoji-train train and export it)"]
