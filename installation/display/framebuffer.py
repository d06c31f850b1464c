"""The software display path: a frame copied onto the Linux framebuffer device in its own pixel layout.

Where SDL's kmsdrm driver cannot open the screen (a KMS device without a 3D driver: virtio-gpu without
virgl, server BMCs, simpledrm), the player renders into memory and copies each frame onto /dev/fb0,
which the DRM drivers' fbdev emulation provides. Here: when that fallback applies, the layout read from
the kernel (FBIOGET_VSCREENINFO / FBIOGET_FSCREENINFO), the plan that turns 32-bit frame pixels into
that layout, the numpy conversion, and the mapped device. No pygame: the display (display/output.py)
hands frames in as arrays. Cost per frame: benchmarks/framebuffer.py.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import struct
import sys
from dataclasses import dataclass

import numpy as np

DEVICE = "/dev/fb0"
CONSOLE_DRIVERS = frozenset({"kmsdrm"})  # SDL drivers that draw on the console's own screen

FBIOGET_VSCREENINFO = 0x4600
FBIOGET_FSCREENINFO = 0x4602
FB_TYPE_PACKED_PIXELS = 0
FB_VISUAL_TRUECOLOR = 2
_VAR = struct.Struct("=40I")                  # struct fb_var_screeninfo: 40 x __u32
_FIX = struct.Struct("@16sLIIIIHHHILIIH2H")   # struct fb_fix_screeninfo, native alignment
_FIX_BUFFER = 128                             # >= sizeof(struct fb_fix_screeninfo) with its padding
SUPPORTED = "supported: true colour at 32 or 24 bpp with 8-bit channels, or 16 bpp (RGB565 and the like)"


class FramebufferError(Exception):
    """One line: the device (or its layout) cannot be drawn on, and why."""


def fallback_applies(environ) -> bool:
    """Whether the framebuffer is the right fallback when SDL cannot open its display: SDL was asked for
    its console driver (kmsdrm), or left to choose on a console (no X11 or Wayland display named). Never
    under a window system: its screen is not the framebuffer, and what the player drew would not be seen."""
    names = {n.strip().lower() for n in environ.get("SDL_VIDEODRIVER", "").split(",") if n.strip()}
    if names:
        return names <= CONSOLE_DRIVERS
    return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


@dataclass(frozen=True)
class Bitfield:
    offset: int   # of the channel's least significant bit in the pixel value
    length: int   # bits; 0: the channel is absent


@dataclass(frozen=True)
class Layout:
    """The visible picture on the device: size, pixel format and where it lies in memory."""
    width: int
    height: int
    bpp: int
    stride: int                  # bytes from one row to the next (>= width * bytes per pixel)
    red: Bitfield
    green: Bitfield
    blue: Bitfield
    transp: Bitfield = Bitfield(0, 0)
    xoffset: int = 0             # the visible picture starts at this pixel of the virtual screen
    yoffset: int = 0

    @property
    def bytes_per_pixel(self) -> int:
        return self.bpp // 8

    @property
    def mapped_bytes(self) -> int:
        """From the start of the device to the end of the visible picture's last row."""
        return (self.yoffset + self.height) * self.stride

    @property
    def name(self) -> str:
        """The format in DRM's words, most significant bits first: XRGB8888, BGR888, RGB565, ..."""
        fields = [(f.offset, f.length, c) for f, c in ((self.red, "R"), (self.green, "G"), (self.blue, "B"),
                                                       (self.transp, "A")) if f.length]
        used = sum(length for _, length, _ in fields)
        if used < self.bpp:  # the unused bits, as DRM names them: X
            top = max(offset + length for offset, length, _ in fields)
            fields.append((top, self.bpp - used, "X") if top < self.bpp else (0, self.bpp - used, "X"))
        fields.sort(reverse=True)
        return "".join(c for _, _, c in fields) + "".join(str(length) for _, length, _ in fields)


def layout_from_screeninfo(var: bytes, fix: bytes) -> Layout:
    """The kernel's fb_var_screeninfo and fb_fix_screeninfo -> the Layout; FramebufferError (without the
    device's name) for anything but packed true colour this module can convert to."""
    v = _VAR.unpack_from(var)
    ident, _, memory, fb_type, _, visual, _, _, _, line_length, *_ = _FIX.unpack_from(fix)
    width, height, _, _, xoffset, yoffset, bpp, grayscale = v[:8]
    red, green, blue, transp = (Bitfield(v[i], v[i + 1]) for i in (8, 11, 14, 17))
    msb_right, nonstd = (v[10], v[13], v[16], v[19]), v[20]
    packed_true_colour = fb_type == FB_TYPE_PACKED_PIXELS and visual == FB_VISUAL_TRUECOLOR
    if not packed_true_colour or grayscale or nonstd or any(msb_right):
        raise FramebufferError(f"{bpp} bpp, not packed true colour (type {fb_type}, visual {visual}, "
                               f"grayscale {grayscale}, nonstd {nonstd}); {SUPPORTED}")
    layout = Layout(width, height, bpp, line_length, red, green, blue, transp, xoffset, yoffset)
    if bpp not in (16, 24, 32):
        raise FramebufferError(f"{bpp} bpp is not supported; {SUPPORTED}")
    channels = (red, green, blue) + ((transp,) if transp.length else ())
    if bpp == 16 and not all(0 < f.length <= 8 and f.offset + f.length <= 16 for f in channels):
        raise FramebufferError(f"16 bpp with channels {_lengths(layout)} is not supported; {SUPPORTED}")
    if bpp > 16 and not all(f.length == 8 and f.offset % 8 == 0 and f.offset < bpp for f in channels):
        raise FramebufferError(f"{bpp} bpp with channels {_lengths(layout)} is not supported; {SUPPORTED}")
    if width == 0 or height == 0 or line_length < (xoffset + width) * layout.bytes_per_pixel:
        raise FramebufferError(f"a {width}x{height} picture at x {xoffset} with {line_length} bytes per row "
                               f"makes no sense (driver {ident.rstrip(bytes(1)).decode(errors='replace')})")
    if memory and layout.mapped_bytes > memory:
        raise FramebufferError(f"the visible picture ends past the device's {memory} bytes of memory")
    return layout


def _lengths(layout: Layout) -> str:
    return "/".join(f"{c}{f.offset}:{f.length}" for c, f in (("R", layout.red), ("G", layout.green),
                                                              ("B", layout.blue)))


@dataclass(frozen=True)
class Plan:
    """How a frame of 32-bit pixels becomes framebuffer pixels.
    'copy': the same 32-bit layout, one copy per row (`opaque`: alpha bits to set);
    'bytes': 8-bit channels at other byte positions (BGRX, 24 bpp, ...), one strided copy per channel:
             `moves` (framebuffer byte, frame byte), `opaque_bytes` set to 255;
    'pack': 16 bpp, each channel shortened and shifted into place: `shifts` (frame byte, bits dropped,
            shift left), `opaque` alpha bits to set."""
    kind: str
    bytes_per_pixel: int
    moves: tuple[tuple[int, int], ...] = ()
    opaque_bytes: tuple[int, ...] = ()
    shifts: tuple[tuple[int, int, int], ...] = ()
    opaque: int = 0


def _byte_of(shift: int, size: int, byteorder: str) -> int:
    """Where the 8 bits at `shift` of a `size`-byte pixel value lie in memory."""
    return shift // 8 if byteorder == "little" else size - 1 - shift // 8


def _mask(field: Bitfield) -> int:
    return ((1 << field.length) - 1) << field.offset


def plan(layout: Layout, source_masks: tuple[int, int, int], byteorder: str = sys.byteorder) -> Plan:
    """The conversion from frames whose 32-bit pixels have these red, green and blue masks (8 bits each,
    as SDL's surfaces) into `layout` (checked by layout_from_screeninfo)."""
    shifts = []
    for mask in source_masks:
        shift = (mask & -mask).bit_length() - 1
        if mask != 0xFF << shift or shift % 8:
            raise ValueError(f"frame masks {[hex(m) for m in source_masks]}: not 8-bit channels of 32-bit "
                             "pixels")
        shifts.append(shift)
    channels = (layout.red, layout.green, layout.blue)
    size = layout.bytes_per_pixel
    opaque = _mask(layout.transp)
    if layout.bpp == 16:
        return Plan("pack", 2, shifts=tuple((_byte_of(s, 4, byteorder), 8 - f.length, f.offset)
                                            for s, f in zip(shifts, channels)), opaque=opaque)
    if layout.bpp == 32 and tuple(f.offset for f in channels) == tuple(shifts):
        return Plan("copy", 4, opaque=opaque)
    moves = tuple((_byte_of(f.offset, size, byteorder), _byte_of(s, 4, byteorder))
                  for s, f in zip(shifts, channels))
    alpha = (_byte_of(layout.transp.offset, size, byteorder),) if layout.transp.length else ()
    return Plan("bytes", size, moves=moves, opaque_bytes=alpha)


class Converter:
    """Applies a Plan: frame [height, width * 4] uint8 -> out [height, width * bytes per pixel] uint8
    (both may be views with longer rows). Buffers for 16 bpp are kept between frames."""

    def __init__(self, how: Plan, height: int, width: int):
        self.plan = how
        self.height, self.width = height, width
        if how.kind == "pack":
            self._value = np.empty((height, width), np.uint16)
            self._part = np.empty((height, width), np.uint16)

    def __call__(self, frame: np.ndarray, out: np.ndarray) -> None:
        h, w, how = self.height, self.width, self.plan
        if how.kind == "copy":
            src, dst = frame.view(np.uint32), out.view(np.uint32)
            if how.opaque:
                np.bitwise_or(src, np.uint32(how.opaque), out=dst)
            else:
                np.copyto(dst, src)
            return
        pixels = frame.reshape(h, w, 4)
        if how.kind == "bytes":
            cells = out.reshape(h, w, how.bytes_per_pixel)
            for to, source in how.moves:
                cells[..., to] = pixels[..., source]
            for to in how.opaque_bytes:
                cells[..., to] = 255
            return
        value, part = self._value, self._part
        for i, (source, dropped, shift) in enumerate(how.shifts):
            target = value if i == 0 else part
            np.right_shift(pixels[..., source], dropped, out=target, casting="unsafe")
            np.left_shift(target, shift, out=target)
            if i:
                np.bitwise_or(value, part, out=value)
        if how.opaque:
            np.bitwise_or(value, np.uint16(how.opaque), out=value)
        np.copyto(out.view(np.uint16), value)


class Framebuffer:
    """A framebuffer device (or anything laid out like one) mapped for writing. `show` copies one frame
    into the visible picture in the device's layout; the bytes past the visible width of each row (the
    stride's padding) and outside the visible picture are never written."""

    def __init__(self, path: str, layout: Layout):
        self.path, self.layout = str(path), layout
        self._fd = _open(self.path)
        try:
            self._map = mmap.mmap(self._fd, layout.mapped_bytes, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE)
        except (OSError, ValueError) as exc:
            os.close(self._fd)
            raise FramebufferError(f"{self.path}: cannot map {layout.mapped_bytes} bytes "
                                   f"({_reason(exc)})") from None
        rows = np.frombuffer(self._map, np.uint8).reshape(layout.yoffset + layout.height, layout.stride)
        x = layout.xoffset * layout.bytes_per_pixel
        self._visible = rows[layout.yoffset:, x:x + layout.width * layout.bytes_per_pixel]
        self._convert: Converter | None = None
        self._masks: tuple[int, int, int] | None = None

    @property
    def description(self) -> str:
        return f"{self.path} {self.layout.width}x{self.layout.height} {self.layout.name}"

    def show(self, frame: np.ndarray, masks: tuple[int, int, int]) -> None:
        """frame: [height, >= width * 4] uint8, rows of 32-bit pixels with these red, green, blue masks."""
        if masks != self._masks:
            self._convert = Converter(plan(self.layout, masks), self.layout.height, self.layout.width)
            self._masks = masks
        self._convert(frame[:, :self.layout.width * 4], self._visible)

    def close(self) -> None:
        if self._fd < 0:
            return
        del self._visible   # the map cannot close while an array looks into it
        self._map.close()
        os.close(self._fd)
        self._fd = -1


def open_device(path: str = DEVICE) -> Framebuffer:
    """The framebuffer device with the layout its driver reports; FramebufferError names it and the problem."""
    fd = _open(path)
    try:
        var = fcntl.ioctl(fd, FBIOGET_VSCREENINFO, bytes(_VAR.size))
        fix = fcntl.ioctl(fd, FBIOGET_FSCREENINFO, bytes(_FIX_BUFFER))
    except OSError as exc:
        if exc.errno in (errno.ENOTTY, errno.EINVAL):
            raise FramebufferError(f"{path}: not a framebuffer device ({exc.strerror})") from None
        raise FramebufferError(f"{path}: cannot read its screen information ({exc.strerror})") from None
    finally:
        os.close(fd)
    try:
        layout = layout_from_screeninfo(var, fix)
    except FramebufferError as exc:
        raise FramebufferError(f"{path}: {exc}") from None
    return Framebuffer(path, layout)


def _open(path: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        raise FramebufferError(f"{path}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "not found (no framebuffer device: the display driver has no fbdev emulation, or none is loaded)"
    if isinstance(exc, PermissionError):
        return "permission denied (the player's user needs the video group; the service DeviceAllow=char-fb rw)"
    return getattr(exc, "strerror", None) or str(exc)
