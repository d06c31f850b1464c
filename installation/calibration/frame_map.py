"""Where a scene's frame lands on a calibrated screen (pure). The frame is the picture as it will sit on
the screen before it is turned, so a rect maps by an exact turn/mirror and a shift: nothing rescales."""

from __future__ import annotations

from installation.calibration import profile as cal
from installation.geometry import Rect


def picture_rect(screen_size: tuple[int, int], geometry: cal.Geometry) -> Rect:
    """The whole picture on the screen: a screen-sized frame placed by calibration.placement."""
    return cal.placement(*screen_size, *screen_size, geometry)


def frame_size(screen_size: tuple[int, int], geometry: cal.Geometry) -> tuple[int, int]:
    """The frame the scenes lay out on: the picture's size on the screen before rotation (so a
    rotation of 90 on a landscape screen gives a smaller landscape frame that turns upright)."""
    _, _, w, h = picture_rect(screen_size, geometry)
    return cal.oriented_size(w, h, geometry.rotation_deg)


def screen_rect(rect: Rect, frame: tuple[int, int], origin: tuple[int, int], geometry: cal.Geometry) -> Rect:
    """Where `rect` of a frame lands once the frame is turned and mirrored (calibration.orient_array)
    and its top-left corner put at `origin` on the screen: the box around its two corner pixels."""
    x, y, w, h = rect
    if w <= 0 or h <= 0:
        return origin[0], origin[1], 0, 0
    ax, ay = cal.orient_point(x, y, *frame, geometry)
    bx, by = cal.orient_point(x + w - 1, y + h - 1, *frame, geometry)
    return origin[0] + min(ax, bx), origin[1] + min(ay, by), abs(bx - ax) + 1, abs(by - ay) + 1


def margins(rect: Rect, screen_size: tuple[int, int]) -> list[Rect]:
    """The parts of the screen outside rect (left, right, top, bottom strips), empty ones left out:
    filling only these is cheaper than clearing the whole screen."""
    x, y, w, h = rect
    sw, sh = screen_size
    x0, y0, x1, y1 = max(0, x), max(0, y), min(sw, x + w), min(sh, y + h)
    if x0 >= x1 or y0 >= y1:
        return [(0, 0, sw, sh)]
    strips = [(0, 0, x0, sh), (x1, 0, sw - x1, sh), (x0, 0, x1 - x0, y0), (x0, y1, x1 - x0, sh - y1)]
    return [r for r in strips if r[2] > 0 and r[3] > 0]


def renderer_turn(geometry: cal.Geometry) -> tuple[int, bool, bool]:
    """The calibration's turn and mirror as a GPU renderer draws them, (angle, flip_x, flip_y): SDL's
    RenderCopyEx mirrors the texture first, then turns it clockwise about the centre of its rect, while
    orient_array turns first, then mirrors. A mirror after a turn is the same mirror before the
    opposite turn, and both mirrors together are a half turn."""
    angle, h, v = geometry.rotation_deg, geometry.mirror_h, geometry.mirror_v
    if h and v:
        return (angle + 180) % 360, False, False
    if h or v:
        return -angle % 360, h, v
    return angle, False, False


def unturned_rect(box: Rect, angle: int) -> tuple[float, float, int, int]:
    """The rect to hand a renderer so that, turned by `angle` (a multiple of 90) about its centre, it
    covers `box` exactly: a quarter turn swaps width and height about the same centre."""
    x, y, w, h = box
    if angle in (90, 270):
        return x + (w - h) / 2, y + (h - w) / 2, h, w
    return x, y, w, h
