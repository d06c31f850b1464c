"""Scene logic: layout maths, which frames the morph and grid plans ask for, what their selectors show."""


import numpy as np
import pytest

from installation.scenes.grid import GridPlan, GridSelector, sample_position, tile_offset
from installation.geometry import Rect
from installation.scenes.layout import grid_boxes, morph_box
from installation.show.config import Display
from installation.player.pacing import aligned_start
from installation.scenes.morph import MorphPlan, MorphSelector, blend, frame_index, frames_per_image_within
from installation.scenes.walk import WalkParams, latent_at

WALK = WalkParams(seed=3, z_dim=8, keyframe_s=2.0)


@pytest.mark.parametrize("w,h,px,scale,box", [
    (1920, 1080, 64, "smooth", Rect(420, 0, 1080, 1080)),
    (1920, 1080, 64, "sharp", Rect(420, 0, 1080, 1080)),    # fills the height, like smooth
    (1920, 1080, 64, "pixel", Rect(448, 28, 1024, 1024)),   # 16 screen px per generated px
    (3840, 2160, 64, "pixel", Rect(864, 24, 2112, 2112)),
    (1080, 1920, 64, "smooth", Rect(0, 420, 1080, 1080)),   # portrait: as wide as the screen
    (40, 30, 64, "pixel", Rect(5, 0, 30, 30)),              # smaller than the image: just fit
])
def test_morph_box(w, h, px, scale, box):
    assert morph_box(w, h, px, scale) == box


@pytest.mark.parametrize("w,h,cols,rows,tile,first,last", [
    (1920, 1080, 12, 12, 90, Rect(420, 0, 90, 90), Rect(1410, 990, 90, 90)),
    (1920, 1080, 8, 8, 135, Rect(420, 0, 135, 135), Rect(1365, 945, 135, 135)),
    (1920, 1080, 16, 9, 120, Rect(0, 0, 120, 120), Rect(1800, 960, 120, 120)),
    (1000, 500, 3, 1, 333, Rect(0, 83, 333, 333), Rect(666, 83, 333, 333)),
])
def test_grid_boxes(w, h, cols, rows, tile, first, last):
    boxes = grid_boxes(w, h, cols, rows)
    assert len(boxes) == cols * rows
    assert all(b.w == b.h == tile for b in boxes)
    assert boxes[0] == first and boxes[-1] == last
    assert boxes[1].x - boxes[0].x == tile  # row-major


@pytest.mark.parametrize("hex_rgb,rgb", [("#ffffff", (255, 255, 255)), ("#0a8000", (10, 128, 0))])
def test_background_colour(hex_rgb, rgb):
    assert Display(background=hex_rgb).background_rgb == rgb


# ---- morph -----------------------------------------------------------------------------------------

def test_morph_plan_requests_consecutive_frames_and_jumps_ahead_when_behind():
    plan = MorphPlan(WALK, fps=60)
    first = plan.next_requests(now_t=100.0, max_n=5)
    assert [r.key for r in first] == list(range(6000, 6005))
    assert [r.need_t for r in first] == pytest.approx([k / 60 for k in range(6000, 6005)])
    assert [r.key for r in plan.next_requests(100.0, 3)] == [6005, 6006, 6007]
    # the worker fell behind by a second: frames already past are not generated
    assert plan.next_requests(101.0, 1)[0].key == 6060


def test_morph_plan_stops_at_until():
    plan = MorphPlan(WALK, fps=10)
    assert [r.key for r in plan.next_requests(0.0, 100, until_t=0.3)] == [0, 1, 2, 3]


def test_morph_selector_repeats_when_dry_and_never_goes_back():
    sel = MorphSelector(fps=10)
    for k in (10, 11, 13):
        sel.accept(k, f"img{k}")
    assert sel.select(1.0) == ("img10", None, 0.0, True)
    assert sel.select(1.1) == ("img11", None, 0.0, True)
    assert sel.select(1.2) == ("img11", None, 0.0, False)     # frame 12 missing: repeat, not fresh
    assert sel.select(1.3) == ("img13", None, 0.0, True)
    sel.accept(12, "img12")                                   # a late arrival is never shown
    assert sel.select(1.4) == ("img13", None, 0.0, False)
    assert list(sel.pending) == [13]                          # only the picture on the wall is kept


# At a quarter of 60 fps: every 4th frame is generated, the three between blend its two neighbours.
SLOW_WALK_FPS, EVERY = 60, 4


def test_morph_rule_asks_a_whole_divisor_of_the_frame_rate_within_what_the_machine_makes():
    assert frames_per_image_within(60, 500.0) == 1        # keeps up: every frame generated
    assert frames_per_image_within(60, 60.0) == 1
    assert frames_per_image_within(60, 15.0) == 4         # exactly a quarter
    assert frames_per_image_within(60, 9.0) == 7          # 8.57 images/s, not 10 (more than it makes)
    assert frames_per_image_within(60, 0.75) == 80        # the gallery VM: a new image every 1.33 s
    for made in (0.3, 1.0, 7.5, 9.0, 29.0, 59.9):   # the fastest whole divisor the machine sustains
        k = frames_per_image_within(60, made)
        assert 60 / k <= made < 60 / (k - 1)


def test_degraded_morph_plan_requests_every_kth_frame_when_the_blend_towards_it_starts():
    plan = MorphPlan(WALK, fps=SLOW_WALK_FPS, frames_per_image=EVERY)
    assert plan.rate_hz == 15
    first = plan.next_requests(now_t=100.0 + 2 / 60, max_n=3)      # display frame 6002: segment 6000
    assert [r.key for r in first] == [6000, 6004, 6008]
    # 6004 is first needed at frame 6001 (blended in with weight 1/4), 6008 at frame 6005
    assert [r.need_t for r in first] == pytest.approx([5997 / 60, 6001 / 60, 6005 / 60])
    # each is the walk exactly at its own frame: the same latent a full-rate morph asks for there
    full = MorphPlan(WALK, fps=SLOW_WALK_FPS).next_requests(now_t=6004 / 60, max_n=1)[0]
    assert np.array_equal(first[1].z, full.z) and full.key == 6004
    assert [r.key for r in plan.next_requests(100.0, 2)] == [6012, 6016]
    # the worker fell behind by a second: it jumps to the segment on screen then
    assert [r.key for r in plan.next_requests(101.0 + 3 / 60, 1)] == [6060]


def test_degraded_morph_plan_until_covers_the_neighbour_blended_in_at_until():
    plan = MorphPlan(WALK, fps=SLOW_WALK_FPS, frames_per_image=EVERY)
    assert [r.key for r in plan.next_requests(0.0, 100, until_t=5 / 60)] == [0, 4, 8]
    plan = MorphPlan(WALK, fps=SLOW_WALK_FPS, frames_per_image=EVERY)
    assert [r.key for r in plan.next_requests(0.0, 100, until_t=4 / 60)] == [0, 4]


def test_degraded_morph_plan_keeps_a_moods_steering():
    steer = lambda z: -z  # noqa: E731  (any z -> z; model/moods.py's steer in the player)
    plan = MorphPlan(WALK, fps=SLOW_WALK_FPS, steer=steer, frames_per_image=EVERY)
    got = plan.next_requests(now_t=100.0, max_n=2)
    assert [r.key for r in got] == [6000, 6004]
    assert all(np.array_equal(r.z, -latent_at(WALK, r.key / 60)) for r in got)


@pytest.mark.parametrize("n", range(6000, 6013))
def test_degraded_morph_shows_frame_n_as_its_two_neighbours_blended(n):
    sel = MorphSelector(fps=SLOW_WALK_FPS, frames_per_image=EVERY)
    for k in range(5996, 6020, EVERY):
        sel.accept(k, f"img{k}")
    base, after, weight, fresh = sel.select(n / 60)
    assert base == f"img{n // 4 * 4}" and weight == (n % 4) / 4 and fresh
    assert after == (f"img{n // 4 * 4 + 4}" if n % 4 else None)


def test_degraded_morph_with_a_neighbour_missing_holds_the_picture_and_counts_a_drop():
    sel = MorphSelector(fps=SLOW_WALK_FPS, frames_per_image=EVERY)
    sel.accept(0, "img0")
    sel.accept(4, "img4")
    assert [sel.select(n / 60) for n in (0, 3, 4)] == [
        ("img0", None, 0.0, True), ("img0", "img4", 0.75, True), ("img4", None, 0.0, True)]
    # image 8 is late: frames 5, 6 hold what frame 4 showed (drops), never blending towards nothing
    assert sel.select(5 / 60) == ("img4", None, 0.0, False)
    assert sel.select(6 / 60) == ("img4", None, 0.0, False)
    sel.accept(8, "img8")
    assert sel.select(7 / 60) == ("img4", "img8", 0.75, True)   # on time again
    assert sel.select(9 / 60) == ("img8", None, 0.0, False)     # 12 late: hold 8
    assert list(sel.pending) == [8]


def test_degraded_morph_a_generation_that_stops_holds_one_picture():
    sel = MorphSelector(fps=SLOW_WALK_FPS, frames_per_image=EVERY)
    for k in (0, 4):
        sel.accept(k, f"img{k}")
    shown = [sel.select(n / 60) for n in range(2, 40)]
    assert {s[:3] for s in shown[6:]} == {("img4", None, 0.0)}   # from frame 8 on: one still picture
    assert not any(s[3] for s in shown[3:])                      # ...every frame of it a drop


def test_blend_moves_each_pixel_by_its_weight_rounded():
    a = np.array([[[0, 100, 255]]], np.uint8)
    b = np.array([[[255, 0, 1]]], np.uint8)
    assert blend(a, None, 0.5) is a and blend(a, b, 0.0) is a
    assert blend(a, b, 0.25).tolist() == [[[64, 75, 192]]]      # 63.75, 75, 191.5 -> rounded
    assert blend(a, b, 1.0).tolist() == b.tolist()
    assert blend(a, b, 0.5).dtype == np.uint8


def test_frame_index_on_epoch_times():
    assert frame_index(1_790_000_000.0 + 7 / 60, 60) == 1_790_000_000 * 60 + 7


def test_the_frame_number_is_the_floor_of_wall_time_times_fps_and_due_times_land_on_their_frame():
    start = 1_790_000_000.0
    assert frame_index(start + 7.9 / 60, 60) == start * 60 + 7        # floor: frame 7 until frame 8 is due
    # Frames are due at monotonic start + n / fps plus the wall clock's offset (player/pacing.py), summed in
    # doubles at epoch seconds (a hair off a multiple of 1/fps either way): each lands on its own number.
    for mono, wall in ((12.5, 1_796_000_000.25), (86_400.123, 1_796_000_000.9), (3_000_000.7, 1_800_000_000.01)):
        offset = wall - mono
        first = aligned_start(mono, offset, 30, 0.05)
        numbers = [frame_index(first + n * (1 / 30) + offset, 30) for n in range(300)]
        assert numbers == [numbers[0] + n for n in range(300)] and numbers[0] == round((first + offset) * 30)


# ---- grid ------------------------------------------------------------------------------------------

def test_tile_offsets_spread_evenly():
    offsets = sorted(tile_offset(i) for i in range(144))
    gaps = np.diff(offsets)
    assert 0 <= offsets[0] and offsets[-1] < 1
    assert gaps.max() < 3 / 144   # no burst of tiles all wanting a new image at once


@pytest.mark.parametrize("t,tile_fps,i,j,alpha", [
    (0.0, 4.0, 0, 0, 0.0),
    (0.125, 4.0, 0, 0, 0.5),
    (1.0, 2.0, 1, 1, 1 - tile_offset(1)),
])
def test_sample_position(t, tile_fps, i, j, alpha):
    assert sample_position(t, tile_fps, i) == (j, pytest.approx(alpha))


def test_grid_plan_requests_in_need_order_covering_every_tile():
    plan = GridPlan(WALK, tiles=range(12), tile_fps=4.0)
    reqs = plan.next_requests(now_t=50.0, max_n=60)
    needs = [r.need_t for r in reqs]
    assert needs == sorted(needs)
    # it starts one tile period ahead (the grid appears once every tile has two samples):
    # everything the screen shows at t=50.25 (sample j and j+1 of every tile) comes first
    for i in range(12):
        j, _ = sample_position(50.25, 4.0, i)
        keys = {r.key for r in reqs}
        assert (i, j) in keys and (i, j + 1) in keys
    assert min(needs) >= 50.0 - 2 / 4.0


def test_grid_plan_skips_samples_that_would_be_late():
    plan = GridPlan(WALK, tiles=range(4), tile_fps=2.0)
    plan.next_requests(0.0, 4)
    later = plan.next_requests(now_t=30.0, max_n=4)
    assert all(r.need_t >= 30.0 - 1.0 for r in later)


def test_grid_tiles_walk_different_places():
    plan = GridPlan(WALK, tiles=range(4), tile_fps=2.0)
    zs = [r.z for r in plan.next_requests(10.0, 4)]
    cos = [abs(float(np.dot(a, b))) / 8 for a in zs for b in zs if a is not b]
    assert max(cos) < 0.95


def test_grid_selector_blends_towards_the_next_sample_and_holds_when_it_is_late():
    sel = GridSelector(tiles=range(2), tile_fps=1.0)
    t = 10.0 + tile_offset(0) + 0.25              # tile 0 a quarter of the way from sample 10 to 11
    sel.accept((0, 10), "a10")
    sel.accept((0, 11), "a11")
    j1, a1 = sample_position(t, 1.0, 1)
    sel.accept((1, j1), "b")                      # tile 1's next sample has not arrived
    pairs, stale = sel.select(t)
    assert pairs[0] == ("a10", "a11", pytest.approx(0.25))
    assert pairs[1] == ("b", None, 0.0)
    assert stale == 1
    assert not sel.ready(t)                       # a hand-over waits for every tile's next sample
    sel.accept((1, j1 + 1), "b+")
    assert sel.ready(t)


def test_grid_selector_forgets_samples_behind_the_one_shown():
    sel = GridSelector(tiles=range(1), tile_fps=1.0)
    for j in range(5):
        sel.accept((0, j), j)
    sel.select(3.5)
    assert sorted(sel.samples[0]) == [3, 4]


def test_grid_selector_not_ready_until_every_tile_has_an_image():
    sel = GridSelector(tiles=range(2), tile_fps=1.0)
    sel.accept((0, 0), "x")
    assert not sel.ready(0.9)
    assert sel.select(0.9)[0][1] == (None, None, 0.0)
