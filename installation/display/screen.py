"""The screen the player draws on: the display surface, the calibration, and every way to draw on it.

Scenes lay their picture out on a frame of `size` pixels and draw each small generated image into a
rect of it. The Screen maps every rect and turns every small image through the calibration's geometry
(rotation, mirror, scale, offset: calibration/frame_map.py), so a calibrated wall costs no full-frame
pass; without a calibration the mapping is the identity. The show's background goes through the
calibration's colour table, as the generated images do in the worker. Panel care (player/panel_care.py)
adds a shift of everything drawn in the picture, taken into each image as it is placed (on the CPU a
grid's tiles keep their cells and their pictures move inside them; it is clipped to the picture), with
a morph's image kept the orbit's amplitude off the frame's edges on a screen of its own (`inset`) so
that shifted it stays on the picture, and a brightness level folded into the colour table. Nothing else touches the surface:
scenes (scenes/base.py's Canvas is what they may ask of it) and the player's loop draw through the
methods here; `pixels()` and `save_png()` read it back. An image scaled straight into the display (a
morph's, image after image) is tracked until something is drawn over it, and scaled there again if it is
drawn after that.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pygame

from installation.calibration import frame_map
from installation.calibration.apply import Calibration
from installation.geometry import Rect, intersect
from installation.atomic import atomic_path
from installation.display import sharp
from installation.display.blender import Blend, Blender

IDENTITY = Calibration()
GLANCE_PX = 320     # health's look at the presented frame: about this many pixels on its longer side
IN_PLACE_KEPT = 8   # images scaled in place whose covering is tracked (a morph needs one)
ALIGN_PX = 4        # SDL copies rows 2-5x faster to a 16-byte-aligned place (4 pixels of 4 bytes):
                    # a big image off that grid is padded to it (benchmarks/panel.py)


def glance_stride(size: tuple[int, int], longest_px: int) -> int:
    """Health's glance takes every k-th pixel (from k // 2) of a display of `size`: the k that leaves
    about `longest_px` on its longer side. Both display paths sample alike."""
    return max(1, -(-max(size) // longest_px))


def opacity_255(alpha: float) -> int:
    """An opacity 0..1 (clamped) as SDL's 0..255."""
    return round(255 * min(1.0, max(0.0, alpha)))


def to_surface(image: np.ndarray) -> pygame.Surface:
    """[H, W, 3] uint8 -> a Surface (copied, so the array may go), in the display's pixel format
    when a display is open (blits between equal formats are the fast path)."""
    surf = pygame.image.frombuffer(np.ascontiguousarray(image).tobytes(), image.shape[1::-1], "RGB")
    return surf.convert() if pygame.display.get_init() and pygame.display.get_surface() else surf


def scale_to(surf: pygame.Surface, size: tuple[int, int], scale: str,
             into: pygame.Surface | None = None, ahead: pygame.Surface | None = None) -> pygame.Surface:
    """`surf` enlarged (or shrunk) to `size` the show's way, display.scale: 'smooth' bilinear, 'pixel'
    nearest-neighbour, 'sharp' enlarged with its edges kept (display/sharp.py), then bilinear; written
    into `into` (a surface of that size) when given. `ahead`: for 'sharp', `surf` enlarged already
    (`sharpened`)."""
    w, h = surf.get_size()
    into_ = () if into is None else (into,)
    if (w, h) == size:
        if into is not None:
            into.blit(surf, (0, 0))
        return surf if into is None else into
    if scale == "pixel":
        return pygame.transform.scale(surf, size, *into_)
    if scale == "sharp":
        surf = sharpened(surf, size, ahead)
    return pygame.transform.smoothscale(surf, size, *into_)


def fits(into: pygame.Surface | None, surf: pygame.Surface, size: tuple[int, int]) -> bool:
    """`into` can take `surf` scaled to `size`: pygame's scalers want a destination of that size and
    of the source's pixel format."""
    return into is not None and into.get_size() == size and into.get_bitsize() == surf.get_bitsize() \
        and into.get_masks() == surf.get_masks()


def sharpened(surf: pygame.Surface, size: tuple[int, int], ahead: pygame.Surface | None = None) -> pygame.Surface:
    """display.scale 'sharp' before its last, smooth step to `size`: the small surface enlarged with its
    edges kept (display/sharp.py), or itself where it is magnified too little for that. `ahead`: the
    same surface enlarged by the generation worker (display/sharp.py `ahead`, in `surf`'s format), taken
    where its factor is the one `size` needs (a display resized since was enlarged for another)."""
    w, h = surf.get_size()
    k = sharp.factor((w, h), size)
    if not k:
        return surf
    if ahead is not None and ahead.get_size() == (w * k, h * k):
        return ahead
    small = np.frombuffer(pygame.image.tobytes(surf, "RGB"), np.uint8).reshape(h, w, 3)
    big = sharp.enlarge(small, k)
    # In the small surface's pixel format, so the scaled one blits on the fast path.
    return pygame.image.frombuffer(big.tobytes(), big.shape[1::-1], "RGB").convert(surf)


class Placed(NamedTuple):
    """A small image made ready for its place on the display: scaled, turned, and where it goes. Scaled
    straight into the display (`in_place`: the display's pixels under its rect, `surface` a view of them),
    it carries whether it has been covered since and how to scale it there again (InPlace)."""
    surface: pygame.Surface
    at: tuple[int, int]
    in_place: InPlace | None = None


class InPlace:
    """A Placed scaled straight into the display: its rect there, whether anything drawn since covered part
    of it, and how to scale it there again."""

    def __init__(self, again, rect: Rect):
        """again(surface): scales the image into `rect` of `surface` again."""
        self.again, self.rect, self.covered = again, rect, False


class Snapshot(NamedTuple):
    """The whole display as it was at one moment (what a crossfade fades out of)."""
    surface: pygame.Surface


class CalibratedScreen(abc.ABC):
    """What both screens share (this Screen on a surface, display/gpu.py's GpuScreen on a GPU texture):
    the frame scenes lay out on, seen through the calibration (calibration/frame_map.py), its colours,
    text, fills with black margins, and how much of the picture is on the panel. Subclasses draw:
    `_display_px()` and `_fill(colour, display_rect)` are theirs, besides the drawing methods."""

    def __init__(self, calibration: Calibration | None = None, background: tuple[int, int, int] = (0, 0, 0)):
        self.calibration = calibration
        self.show_background = background
        self.shift, self.level = (0, 0), 1.0   # panel care: the orbit's offset, the brightness
        self.inset = 0                         # panel care: how far a scene's big image keeps off the edges
        self._fonts: dict[int, object] = {}
        self._layout()

    @abc.abstractmethod
    def _display_px(self) -> tuple[int, int]:
        """The display's size in pixels."""

    @abc.abstractmethod
    def _fill(self, colour, rect: Rect) -> None:
        """A rect of the display filled with colour, nothing blended."""

    def _layout(self) -> None:
        calibration = self.calibration or IDENTITY
        self._table = calibration.at_level(self.level)   # read by the workers' threads: swapped whole
        self.geometry = calibration.profile.geometry
        size = self._display_px()
        self.picture = Rect(*frame_map.picture_rect(size, self.geometry))
        self.size = frame_map.frame_size(size, self.geometry)
        self.key = (size, self.geometry, self.inset)
        self._orient = calibration.orient
        self.background = self._table.colour(self.show_background)

    def configure(self, *, calibration: Calibration | None = None,
                  background: tuple[int, int, int] | None = None) -> None:
        """A new calibration (None: none) or show background."""
        self.calibration = calibration
        self.show_background = background if background is not None else self.show_background
        self._layout()

    def care(self, shift: tuple[int, int], level: float, inset: int = 0) -> None:
        """Panel care's orbit offset and brightness from now on: the background and the margins are
        repainted at once; the scenes draw their images over them in the same frame. `inset`: how many
        pixels a scene's one big image keeps off the frame's edges (the orbit's amplitude: shifted, it
        then stays on the picture, and a morph's stays scaled in place); a change of it is a new layout
        (`key`)."""
        self.shift, self.level, self.inset = shift, level, inset
        self._layout()
        self.clear()

    @property
    def colour(self):
        """The colour table (calibration and brightness) as a function on small images, for the
        workers: it follows the table as it changes."""
        return self._colour

    def _colour(self, image: np.ndarray) -> np.ndarray:
        return self._table.apply_colour(image)

    @property
    def display_size(self) -> tuple[int, int]:
        return self._display_px()

    def rect(self, rect: Rect) -> Rect:
        """A rect of the frame -> its rect on the display (same area, turned and shifted)."""
        return Rect(*frame_map.screen_rect(rect, self.size, self.picture[:2], self.geometry))

    @abc.abstractmethod
    def place(self, image: np.ndarray | pygame.Surface, rect: Rect, scale: str = "smooth", replacing=None,
              enlarged: np.ndarray | None = None):
        """A small image (or a surface, e.g. text) made ready to draw into `rect` of the frame;
        `replacing`: the caller's previous placed image, no longer needed, whose storage may be reused;
        `enlarged`: for 'sharp', the image enlarged ahead by the worker (scenes/base.py Frame)."""

    def place_text(self, text: str, size_px: int, colour: tuple[int, int, int],
                   bottom_right: tuple[int, int]):
        """A line of text (pygame.freetype's built-in font) whose bottom-right corner sits at
        `bottom_right` of the frame, turned with the picture; with its rect in the frame. None where
        freetype is missing (text is an extra)."""
        surface = self.render_text(text, size_px, colour)
        if surface is None:
            return None
        rect = Rect(*surface.get_rect(bottomright=bottom_right))
        return self.place(surface, rect), rect

    def render_text(self, text: str, size_px: int, colour: tuple[int, int, int]) -> pygame.Surface | None:
        """A line of text in the built-in font, not yet placed; None where freetype is missing."""
        font = self._font(size_px)
        return None if font is None else font.render(text, colour)[0]

    def _font(self, size_px: int):
        if size_px not in self._fonts:
            try:
                import pygame.freetype
                if not pygame.freetype.get_init():
                    pygame.freetype.init()
                self._fonts[size_px] = pygame.freetype.Font(None, size_px)
            except (ImportError, pygame.error, OSError):
                self._fonts[size_px] = None
        return self._fonts[size_px]

    def fill(self, colour, rect: Rect | None = None) -> None:
        """Fill a rect of the frame; None: the whole picture, and black around it (no light from a
        projector outside the picture)."""
        if rect is not None:
            self._fill(colour, moved(self.rect(rect), self.shift))
            return
        for margin in frame_map.margins(self.picture, self._display_px()):
            self._fill((0, 0, 0), margin)
        self._fill(colour, self.picture)

    def clear(self) -> None:
        """The background over the whole picture."""
        self.fill(self.background)

    def flood(self, colour: tuple[int, int, int] = (0, 0, 0)) -> None:
        """The whole display one colour: black when closed, white for panel care's refresh."""
        self._fill(colour, Rect(0, 0, *self._display_px()))

    @property
    def on_panel(self) -> float:
        """The share of the picture that lies on the display (the calibration's offset or scale may
        push part of it off): 1.0 without a calibration."""
        x, y, w, h = self.picture
        sw, sh = self._display_px()
        inside = max(0, min(sw, x + w) - max(0, x)) * max(0, min(sh, y + h) - max(0, y))
        return inside / max(1, w * h)

    def save_png(self, path: Path) -> Path:
        """The display as PNG (--screenshot). Raises OSError or pygame.error."""
        return write_png(self.grab(), path)

    @abc.abstractmethod
    def grab(self) -> pygame.Surface:
        """The display as it is now, as a Surface of its own (captures, screenshots)."""


class Screen(CalibratedScreen):
    """The display surface seen through the calibration, drawn on by the CPU. Scenes lay out on a frame
    of `size` pixels and draw through `place`/`place_tile`/`place_text` + `draw`/`draw_blends`, `fill` and
    `clear`; the loop adds `flood`, `darken`, `snapshot`/`fade_in_snapshot`. `key` changes whenever a
    scene's layout would: the surface's size, the calibration's geometry or panel care's inset."""

    def __init__(self, surface: pygame.Surface, calibration: Calibration | None = None,
                 background: tuple[int, int, int] = (0, 0, 0)):
        self._surface = surface
        self._blender = Blender()
        self._in_place: list[InPlace] = []   # the latest images scaled straight into the display
        super().__init__(calibration, background)

    def _display_px(self) -> tuple[int, int]:
        return self._surface.get_size()

    def _layout(self) -> None:
        super()._layout()
        self._surface.set_clip(None if self.shift == (0, 0) else self.picture)   # a shift spills nothing

    def _fill(self, colour, rect: Rect) -> None:
        """Fills are not clipped: margins, the refresh, and scenes' own rects (inside the picture)."""
        clip = self._surface.get_clip()
        self._surface.set_clip(None)
        self._surface.fill(colour, rect)
        self._surface.set_clip(clip)
        self._cover(Rect(*rect))

    # ---- scenes -------------------------------------------------------------------------------
    def place(self, image: np.ndarray | pygame.Surface, rect: Rect, scale: str = "smooth",
              replacing: Placed | None = None, enlarged: np.ndarray | None = None) -> Placed:
        """A small image ready to draw into `rect` of the frame: turned while small (microseconds),
        then one upscale (`scale_to`) straight to its size on the display, moved by panel care's shift.
        Image after image (`replacing` given: the caller draws each at once) and wholly inside the
        picture, the upscale goes straight into the display's pixels (`_scale_in_place`). Otherwise,
        off the ALIGN_PX grid, the upscale goes into a surface that starts on it, its first columns the
        background (what lies beside an emoji): the blit stays on SDL's fast path. `replacing`: the
        caller's previous Placed, drawn already and no longer needed: scaled into its surface where
        size and format allow (a 2160p morph then allocates no 18.7 MB surface a frame, whose fresh
        pages cost as much as the scaling: docs/player.md, "4K"). `enlarged` ('sharp', made by the
        worker) is turned like the small image where that gives the same pixels as enlarging the turned
        one: not on a quarter-turned screen (PIL's two resize passes swap), which enlarges here."""
        x, y, w, h = moved(self.rect(rect), self.shift)
        small = self._orient(image if isinstance(image, pygame.Surface) else to_surface(image))
        ahead = None if enlarged is None or scale != "sharp" or self.geometry.rotation_deg % 180 else \
            self._orient(to_surface(enlarged))
        px, pw = self.picture[0], self.picture[2]
        if replacing is not None and pygame.Rect(self.picture).contains((x, y, w, h)) \
                and self._surface.get_rect().contains((x, y, w, h)) and not small.get_flags() & pygame.SRCALPHA:
            return self._scale_in_place(small, (x, y, w, h), scale, ahead)
        old = None if replacing is None or replacing.surface is image or replacing.in_place else replacing.surface
        pad = x % ALIGN_PX
        width = -(-(w + pad) // ALIGN_PX) * ALIGN_PX    # its rows aligned too
        if not pad or x - pad < px or x - pad + width > px + pw or small.get_flags() & pygame.SRCALPHA:
            # aligned already, no room in the picture, or text (its own transparency, and small)
            into = old if fits(old, small, (w, h)) else None
            return Placed(scale_to(small, (w, h), scale, into, ahead), (x, y))
        padded = old if fits(old, small, (width, h)) else pygame.Surface((width, h), 0, small)
        padded.fill(self.background, (0, 0, pad, h))
        padded.fill(self.background, (pad + w, 0, width - pad - w, h))
        scale_to(small, (w, h), scale, padded.subsurface((pad, 0, w, h)), ahead)
        return Placed(padded, (x - pad, y))

    def _scale_in_place(self, small: pygame.Surface, rect: tuple[int, int, int, int], scale: str,
                        ahead: pygame.Surface | None) -> Placed:
        """`small` scaled straight into the display's pixels under `rect` (inside the picture): no image
        of its own to blit afterwards (at 2160p a 2160 px morph is 2.2-2.5 ms scaled in place against
        2.9-3.1 scaled then blitted, and a shift off the blit alignment costs nothing: docs/player.md)."""
        def scale_there(surface: pygame.Surface) -> pygame.Surface:
            view = surface.subsurface(rect)
            if fits(view, small, rect[2:]):
                scale_to(small, rect[2:], scale, view, ahead)
            else:   # pygame's scalers want the display's pixel format: scaled apart, then copied
                view.blit(scale_to(small, rect[2:], scale, ahead=ahead), (0, 0))
            return view
        view = scale_there(self._surface)
        there = InPlace(scale_there, Rect(*rect))
        self._scaled_there(there)
        return Placed(view, rect[:2], there)

    def place_tile(self, image: np.ndarray, rect: Rect, scale: str = "smooth",
                   enlarged: np.ndarray | None = None) -> Placed:
        """Like `place`, but scaled first and turned after: a calibrated grid is then exactly the plain
        one turned, whatever the scaling (a tile is small, so turning it scaled costs little). Panel
        care's shift moves the picture inside the tile's cell (cells keep their places, so their blits
        keep their alignment; a tile's edge is background). `enlarged`: as for `place` (turned after)."""
        x, y, _, _ = self.rect(rect)
        ahead = None if enlarged is None else to_surface(enlarged)
        tile = self._orient(scale_to(to_surface(image), (rect[2], rect[3]), scale, ahead=ahead))
        if self.shift != (0, 0):
            inside = pygame.Surface(tile.get_size(), 0, tile)
            inside.fill(self.background)
            inside.blit(tile, self.shift)
            tile = inside
        return Placed(tile, (x, y))

    def draw(self, placed: Placed) -> None:
        """A placed image on the display; one scaled in place is there already, unless something was drawn
        since (then it is scaled there again)."""
        there = placed.in_place
        if there is None:
            self._surface.blit(placed.surface, placed.at)
            self._cover(Rect(*placed.at, *placed.surface.get_size()))
        elif there.covered or there not in self._in_place:   # covered, or scaled on a display since replaced
            if not self._surface.get_rect().contains(there.rect):
                return   # placed for a larger display than this one: its view lays out again
            there.again(self._surface)
            self._scaled_there(there)

    def _scaled_there(self, there: InPlace) -> None:
        """`there` was just scaled into the display: it covers what was under it, is whole itself, and is
        tracked (the latest IN_PLACE_KEPT)."""
        self._cover(there.rect)
        there.covered = False
        self._in_place = [p for p in self._in_place if p is not there][-(IN_PLACE_KEPT - 1):] + [there]

    def _cover(self, rect: Rect | None = None) -> None:
        """Something was drawn over `rect` of the display (None: all of it): the images scaled in place
        there are covered."""
        for there in self._in_place:
            if rect is None or intersect(rect, there.rect) is not None:
                there.covered = True

    def draw_blends(self, tiles: list[tuple[Placed, Placed | None, float]],
                    upcoming: list[tuple[Placed, Placed | None, float]] = ()) -> None:
        """Many placed images in one call, each with another one blended over it at an opacity 0..1 (None
        or 0: none), in its place (both have the same size and place: a grid's tile). `upcoming`: the
        blends the next call will likely ask, which a side thread composes meanwhile (display/blender.py);
        what this call finds made is blitted whole, the rest drawn here, base then the other over it."""
        levels = [0 if over is None else opacity_255(a) for _, over, a in tiles]
        made = self._blender.take([Blend(base.surface, over.surface, n) if n else None
                                   for (base, over, _), n in zip(tiles, levels)]) \
            if self._blender.holding else [None] * len(tiles)   # nothing made ahead: no Blend a tile a frame
        opaque, blended, used = [], [], []   # all opaque blits first, then the blended: SDL's faster order
        for (base, over, _), n, tile in zip(tiles, levels, made):
            if tile is not None:
                opaque.append((tile, base.at))
                used.append(tile)
            else:   # the side thread blits these through views of their own opacity: setting it here is safe
                base.surface.set_alpha(None)
                opaque.append((base.surface, base.at))
                if n:
                    over.surface.set_alpha(n)
                    blended.append((over.surface, over.at))
        self._surface.blits(opaque, doreturn=False)
        self._surface.blits(blended, doreturn=False)
        self._cover()
        self._blender.recycle(used)
        ahead = [Blend(b.surface, o.surface, n) for b, o, a in upcoming if o is not None and (n := opacity_255(a))]
        if ahead:
            self._blender.submit(ahead)

    # ---- the loop -----------------------------------------------------------------------------
    def darken(self, level: float) -> None:
        """Every pixel multiplied by `level` 0..1 (a dim walk, a blackout fading)."""
        if level < 1:
            grey = round(255 * max(0.0, level))
            self._surface.fill((grey, grey, grey), special_flags=pygame.BLEND_RGB_MULT)
            self._cover()

    def snapshot(self) -> Snapshot:
        return Snapshot(self._surface.copy())

    def fade_in_snapshot(self, snapshot: Snapshot, opacity: float) -> None:
        """An earlier snapshot over the picture at `opacity` 0..1 (a crossfade out of it)."""
        snapshot.surface.set_alpha(opacity_255(opacity))
        self._surface.blit(snapshot.surface, (0, 0))
        self._cover()

    def draw_overlay(self, surface: pygame.Surface, at: tuple[int, int]) -> None:
        """A surface as it is, at a display position, over the picture and not turned with it (the
        calibration's own legend)."""
        self._surface.blit(surface, at)
        self._cover(Rect(*at, *surface.get_size()))

    # ---- reading it back ----------------------------------------------------------------------
    def glance(self, longest_px: int = GLANCE_PX) -> np.ndarray:
        """The display as presented, sampled every k-th pixel down to about longest_px on its longer
        side, [h, w, 3] uint8 (a copy: microseconds, no scaling pass). What health judges, and the status
        page's thumbnail."""
        k = glance_stride(self._surface.get_size(), longest_px)
        if self._surface.get_bytesize() != 4:
            view = pygame.surfarray.pixels3d(self._surface)   # locks the surface until the view is gone
            try:
                return np.ascontiguousarray(view[k // 2::k, k // 2::k].transpose(1, 0, 2))
            finally:
                del view
        # 32-bit pixels read whole (a third of pixels3d's time at 2160p: 0.19 ms, not 0.51), then split
        view = pygame.surfarray.pixels2d(self._surface)
        try:
            words = np.ascontiguousarray(view[k // 2::k, k // 2::k].T)
        finally:
            del view
        masks, shifts = self._surface.get_masks(), self._surface.get_shifts()
        return np.stack([((words & masks[c]) >> shifts[c]).astype(np.uint8) for c in range(3)], axis=-1)

    def pixels(self) -> np.ndarray:
        """The display as it is now, [H, W, 3] uint8 (a copy)."""
        return np.ascontiguousarray(pygame.surfarray.array3d(self._surface).transpose(1, 0, 2))

    def save_png(self, path: Path) -> Path:
        """The display as PNG (--screenshot). Raises OSError or pygame.error."""
        return write_png(self._surface, path)

    def grab(self) -> pygame.Surface:
        return self._surface.copy()


def moved(at: tuple, shift: tuple[int, int]) -> tuple:
    """A position (x, y) or rect (x, y, w, h) moved by panel care's shift."""
    return at if shift == (0, 0) else (at[0] + shift[0], at[1] + shift[1], *at[2:])


def write_png(surface: pygame.Surface, path: Path) -> Path:
    """A surface as PNG, written atomically (pygame picks the format from the suffix). Raises OSError
    or pygame.error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as tmp:
        pygame.image.save(surface, str(tmp))
    return path
