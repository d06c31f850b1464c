"""The training video: frame choice and layout (pure), and the command end to end, read back with ffmpeg."""

from __future__ import annotations

import numpy as np
import pytest

from trainer import video
from trainer.cli import main as train_main

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")


def frame_colour(frame: int, latent: int) -> tuple[int, int, int]:
    return (frame * 19) % 256, (latent * 50) % 256, 100


def make_timelapse_run(run, frames_per_epoch=(5, 4, 3), k=5, px=8, every_steps=8):
    """A fake run folder with timelapse shards in the documented format; each (frame, latent) one flat colour."""
    (run / "timelapse").mkdir(parents=True)
    np.save(run / "timelapse" / "fixed_z.npy", np.zeros((k, 16), np.float32))
    frame = 0
    for epoch, n in enumerate(frames_per_epoch, start=1):
        images = np.zeros((n, k, px, px, 3), np.uint8)
        for f in range(n):
            for j in range(k):
                images[f, j] = frame_colour(frame + f, j)
        steps = (np.arange(frame, frame + n, dtype=np.int64) + 1) * every_steps
        np.savez_compressed(run / "timelapse" / f"epoch-{epoch:03d}.npz", images=images, steps=steps, epoch=epoch)
        frame += n
    return run


def read_video(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return meta, [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]


@pytest.mark.parametrize("total, every, frames", [
    (12, 1, list(range(12))),
    (12, 3, [0, 3, 6, 9, 11]),  # the last frame is kept so the video ends where training ended
    (12, 4, [0, 4, 8, 11]),
    (13, 4, [0, 4, 8, 12]),
    (1, 8, [0]),
    (5, 100, [0, 4]),
])
def test_select_frames(total, every, frames):
    assert video.select_frames(total, every) == frames


@pytest.mark.parametrize("native, size, factor", [(64, 512, 8), (256, 1024, 4), (64, 500, 7), (600, 512, 1)])
def test_upscale_factor_is_whole(native, size, factor):
    assert video.upscale_factor(native, size) == factor


def test_frame_picture_tiles_the_latents_and_keeps_pixels_square():
    images = np.stack([np.full((2, 2, 3), i, np.uint8) for i in range(1, 6)])
    plan = video.VideoPlan(recorded=1, frames=[0], latents=[0, 1, 2, 3, 4], rows=2, cols=3, factor=3,
                           picture_w_px=18, width_px=18, height_px=12, first_step=0, last_step=0, epochs=(1, 1))
    big = video.frame_picture(images, plan)
    assert big.shape == (12, 18, 3)
    assert big[::6, ::6, 0].tolist() == [[1, 2, 3], [4, 5, 0]]  # the sixth cell stays black
    assert (big[:6, :6] == 1).all()


def test_caption_bar_sits_under_the_picture_and_has_text():
    picture = np.full((512, 512, 3), 200, np.uint8)
    out = video.add_caption(picture, video.counter_text(3, 1234), video.caption_font(512))
    assert out.shape == (512 + 36, 512, 3)
    assert np.array_equal(out[:512], picture)
    bright = out[512:].mean(axis=2) > 128  # text pixels on the dark bar
    assert bright.sum() > 200 and not bright[:, 300:].any()  # short text, from the left
    assert video.counter_text(3, 1234) == "epoch 3  ·  step 1,234"


def test_pad_even():
    assert video.pad_even(np.zeros((5, 7, 3), np.uint8)).shape == (6, 8, 3)
    assert video.pad_even(np.zeros((4, 6, 3), np.uint8)).shape == (4, 6, 3)


def test_video_has_exactly_the_chosen_frames_in_order(tmp_path, capsys):
    run = make_timelapse_run(tmp_path / "run")
    out = tmp_path / "out" / "training.mp4"
    assert train_main(["video", str(run), "--every", "3", "--latent", "2", "--size", "64", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "12 recorded frames of 5 latents (8x8 px), steps 8–96, epochs 1–3" in printed
    assert "video: 5 frames" in printed and f"wrote {out}: 5 frames" in printed
    meta, frames = read_video(out)
    assert meta["size"] == (64, 64) and meta["fps"] == 30
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 5
    for got, recorded in zip(frames, [0, 3, 6, 9, 11]):
        # H.264 is lossy: compare the mean colour of the flat picture.
        assert np.abs(got.reshape(-1, 3).mean(0) - frame_colour(recorded, 2)).max() < 4
    assert [p.name for p in out.parent.iterdir()] == ["training.mp4"]  # no partial file left


def test_grid_puts_all_latents_side_by_side_with_the_counter_below(tmp_path):
    run = make_timelapse_run(tmp_path / "run", frames_per_epoch=(3,), k=5)
    out = tmp_path / "grid.mp4"
    assert train_main(["video", str(run), "--grid", "--size", "48", "--epoch-counter", "--out", str(out)]) == 0
    meta, frames = read_video(out)
    # 5 latents -> 2 rows x 3 columns of 8 px cells, upscaled x2 = 48 x 32, plus a 16 px counter bar.
    assert meta["size"] == (48, 32 + 16) and len(frames) == 3
    last = frames[-1].astype(int)
    for j in range(5):
        row, col = divmod(j, 3)
        cell = last[row * 16 + 4:row * 16 + 12, col * 16 + 4:col * 16 + 12]
        assert np.abs(cell.reshape(-1, 3).mean(0) - frame_colour(2, j)).max() < 6


def test_default_output_is_in_the_run_folder_at_512_px(tmp_path):
    run = make_timelapse_run(tmp_path / "run", frames_per_epoch=(2,), k=1)
    assert train_main(["video", str(run)]) == 0
    meta, frames = read_video(run / "training.mp4")
    assert meta["size"] == (512, 512) and len(frames) == 2


@pytest.mark.parametrize("setup, args, message", [
    (lambda run: None, [], "no such run folder"),
    (lambda run: (run / "timelapse").mkdir(parents=True), [], "no epoch-*.npz files"),
    (lambda run: make_timelapse_run(run, frames_per_epoch=(0, 0)), [], "the shards hold no frames"),
    (lambda run: make_timelapse_run(run, k=3), ["--latent", "3"], "--latent 3 is out of range: the run recorded 3"),
])
def test_missing_or_empty_run_is_one_line(tmp_path, capsys, setup, args, message):
    run = tmp_path / "run"
    setup(run)
    out = tmp_path / "v.mp4"
    assert train_main(["video", str(run), "--out", str(out), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("aimoji-train video: error: ") and message in err and "\n" not in err
    assert not out.exists()
