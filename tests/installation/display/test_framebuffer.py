"""The software display path's framebuffer: the layout read from the kernel's structs, when the fallback
applies, the conversion plan and its pixels, and the mapped device, through a regular file laid out like
one (stride padding and offsets included)."""

import struct

import numpy as np
import pytest

from installation.display.framebuffer import (Bitfield, Converter, Framebuffer, FramebufferError, Layout, Plan,
                                             fallback_applies, layout_from_screeninfo, open_device, plan)

XRGB = (0xFF0000, 0x00FF00, 0x0000FF)   # SDL's 32-bit surfaces: R, G, B masks
FIELDS = {  # name: (bpp, red, green, blue, transp) as (offset, length)
    "XRGB8888": (32, (16, 8), (8, 8), (0, 8), (0, 0)),
    "ARGB8888": (32, (16, 8), (8, 8), (0, 8), (24, 8)),
    "BGRX8888": (32, (8, 8), (16, 8), (24, 8), (0, 0)),
    "XBGR8888": (32, (0, 8), (8, 8), (16, 8), (0, 0)),
    "RGB888": (24, (16, 8), (8, 8), (0, 8), (0, 0)),
    "RGB565": (16, (11, 5), (5, 6), (0, 5), (0, 0)),
    "BGR565": (16, (0, 5), (5, 6), (11, 5), (0, 0)),
    "XRGB1555": (16, (10, 5), (5, 5), (0, 5), (0, 0)),
}


def _layout(name, width=3, height=2, stride=None, xoffset=0, yoffset=0):
    bpp, r, g, b, a = FIELDS[name]
    return Layout(width, height, bpp, stride or width * bpp // 8, Bitfield(*r), Bitfield(*g), Bitfield(*b),
                  Bitfield(*a), xoffset, yoffset)


def _screeninfo(width, height, bpp, stride, red, green, blue, transp=(0, 0), *, xoffset=0, yoffset=0,
                visual=2, grayscale=0, nonstd=0, memory=None):
    """struct fb_var_screeninfo and fb_fix_screeninfo as an x86-64 kernel fills them (offsets from
    linux/fb.h written out here, independent of the module's struct formats)."""
    var = [0] * 40
    var[:8] = [width, height, width + xoffset, height + yoffset, xoffset, yoffset, bpp, grayscale]
    for i, field in zip((8, 11, 14, 17), (red, green, blue, transp)):
        var[i:i + 2] = field
    var[20] = nonstd
    fix = bytearray(80)
    fix[:15] = b"virtio_gpudrmfb"
    struct.pack_into("=I", fix, 24, memory if memory is not None else stride * (height + yoffset))  # smem_len
    struct.pack_into("=III", fix, 28, 0, 0, visual)   # type (packed pixels), type_aux, visual
    struct.pack_into("=I", fix, 48, stride)           # line_length
    return struct.pack("=40I", *var), bytes(fix)


needs_lp64 = pytest.mark.skipif(struct.calcsize("L") != 8, reason="the struct offsets here are x86-64's")


@needs_lp64
def test_virtio_gpu_fbdev_layout_is_read_from_the_kernel_structs():
    var, fix = _screeninfo(1280, 800, 32, 5120, (16, 8), (8, 8), (0, 8))
    layout = layout_from_screeninfo(var, fix)
    assert layout == Layout(1280, 800, 32, 5120, Bitfield(16, 8), Bitfield(8, 8), Bitfield(0, 8))
    assert layout.name == "XRGB8888" and layout.mapped_bytes == 5120 * 800


@needs_lp64
def test_a_panned_picture_is_found_at_its_offsets():
    var, fix = _screeninfo(640, 480, 16, 1536, (11, 5), (5, 6), (0, 5), xoffset=8, yoffset=480)
    layout = layout_from_screeninfo(var, fix)
    assert (layout.xoffset, layout.yoffset, layout.stride, layout.mapped_bytes) == (8, 480, 1536, 1536 * 960)


@pytest.mark.parametrize("name", FIELDS)
def test_format_names_are_drms(name):
    assert _layout(name).name == name


@needs_lp64
@pytest.mark.parametrize("info, problem", [
    (_screeninfo(1024, 768, 8, 1024, (0, 8), (0, 8), (0, 8), visual=3),
     "8 bpp, not packed true colour (type 0, visual 3, grayscale 0, nonstd 0); supported: "),
    (_screeninfo(1024, 768, 32, 4096, (20, 10), (10, 10), (0, 10)),
     "32 bpp with channels R20:10/G10:10/B0:10 is not supported; supported: "),
    (_screeninfo(1024, 768, 12, 1536, (8, 4), (4, 4), (0, 4)), "12 bpp is not supported; supported: "),
    (_screeninfo(1024, 768, 32, 1024, (16, 8), (8, 8), (0, 8)),
     "a 1024x768 picture at x 0 with 1024 bytes per row makes no sense (driver virtio_gpudrmfb)"),
    (_screeninfo(1024, 768, 32, 4096, (16, 8), (8, 8), (0, 8), grayscale=1), "32 bpp, not packed true colour"),
    (_screeninfo(1024, 768, 32, 4096, (16, 8), (8, 8), (0, 8), memory=4096 * 700),
     "the visible picture ends past the device's 2867200 bytes of memory"),
])
def test_layouts_it_cannot_draw_are_refused_with_the_reason(info, problem):
    with pytest.raises(FramebufferError) as exc:
        layout_from_screeninfo(*info)
    assert str(exc.value).startswith(problem)


@pytest.mark.parametrize("environ, applies", [
    ({"SDL_VIDEODRIVER": "kmsdrm"}, True),
    ({"SDL_VIDEODRIVER": "KMSDRM", "DISPLAY": ":0"}, True),      # the console driver asked for by name
    ({}, True),                                                   # a console: SDL found no window system
    ({"DISPLAY": ":0"}, False),                                   # X11: its screen is not the framebuffer
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"SDL_VIDEODRIVER": "x11"}, False),                          # cage's Xwayland, a desktop
    ({"SDL_VIDEODRIVER": "kmsdrm,x11"}, False),
    ({"SDL_VIDEODRIVER": "dummy"}, False),                        # --headless: no screen wanted
])
def test_the_framebuffer_is_the_fallback_on_a_console_only(environ, applies):
    assert fallback_applies(environ) is applies


@pytest.mark.parametrize("name, byteorder, expected", [
    ("XRGB8888", "little", Plan("copy", 4)),
    ("ARGB8888", "little", Plan("copy", 4, opaque=0xFF000000)),
    ("BGRX8888", "little", Plan("bytes", 4, moves=((1, 2), (2, 1), (3, 0)))),
    ("XBGR8888", "little", Plan("bytes", 4, moves=((0, 2), (1, 1), (2, 0)))),
    ("RGB888", "little", Plan("bytes", 3, moves=((2, 2), (1, 1), (0, 0)))),
    ("RGB565", "little", Plan("pack", 2, shifts=((2, 3, 11), (1, 2, 5), (0, 3, 0)))),
    ("BGR565", "little", Plan("pack", 2, shifts=((2, 3, 0), (1, 2, 5), (0, 3, 11)))),
    ("XRGB1555", "little", Plan("pack", 2, shifts=((2, 3, 10), (1, 3, 5), (0, 3, 0)))),
    ("XRGB8888", "big", Plan("copy", 4)),                          # the same pixel values, either byte order
    ("XBGR8888", "big", Plan("bytes", 4, moves=((3, 1), (2, 2), (1, 3)))),
    ("RGB565", "big", Plan("pack", 2, shifts=((1, 3, 11), (2, 2, 5), (3, 3, 0)))),
])
def test_conversion_plan_from_the_bitfields(name, byteorder, expected):
    assert plan(_layout(name), XRGB, byteorder) == expected


def test_frames_must_have_8_bit_channels():
    with pytest.raises(ValueError, match="not 8-bit channels"):
        plan(_layout("XRGB8888"), (0xF800, 0x07E0, 0x001F))


# Three pixels in a row, then three more: (R, G, B).
COLOURS = [[(255, 0, 0), (0, 255, 0), (0, 0, 255)], [(10, 20, 30), (255, 255, 255), (128, 64, 32)]]


def _frame(pitch_pad=8):
    """Rows as an SDL XRGB8888 surface holds them on a little-endian machine: B, G, R, X bytes, and
    a pitch longer than the row (the padding must not leak)."""
    rows = np.full((2, 3 * 4 + pitch_pad), 0x77, np.uint8)
    for y, row in enumerate(COLOURS):
        for x, (r, g, b) in enumerate(row):
            rows[y, x * 4:x * 4 + 4] = (b, g, r, 0)
    return rows


def _pixels(name, r, g, b, kept):
    """One pixel in `name`'s layout, written out by hand; `kept`: what an unused byte held before."""
    return {
        "XRGB8888": bytes((b, g, r, 0)),
        "ARGB8888": bytes((b, g, r, 255)),
        "BGRX8888": bytes((kept, r, g, b)),     # the X byte is left as it was
        "XBGR8888": bytes((r, g, b, kept)),
        "RGB888": bytes((b, g, r)),
        "RGB565": struct.pack("<H", (r >> 3) << 11 | (g >> 2) << 5 | b >> 3),
        "BGR565": struct.pack("<H", (b >> 3) << 11 | (g >> 2) << 5 | r >> 3),
        "XRGB1555": struct.pack("<H", (r >> 3) << 10 | (g >> 3) << 5 | b >> 3),
    }[name]


@pytest.mark.skipif(np.little_endian is False, reason="the frame is built in little-endian byte order")
@pytest.mark.parametrize("name", FIELDS)
def test_converted_pixels_are_exact(name):
    layout = _layout(name)
    out = np.full((2, 3 * layout.bytes_per_pixel), 0x55, np.uint8)
    Converter(plan(layout, XRGB), 2, 3)(_frame()[:, :12], out)
    for y, row in enumerate(COLOURS):
        assert out[y].tobytes() == b"".join(_pixels(name, *c, kept=0x55) for c in row), (name, y)


@pytest.mark.parametrize("name", ["XRGB8888", "BGRX8888", "RGB888", "RGB565"])
def test_the_mapped_device_gets_the_picture_and_nothing_else(tmp_path, name):
    """A file laid out like a panned framebuffer: 2 rows down, 1 pixel in, 16 bytes of padding per row.
    Only the visible picture's bytes change."""
    bpp = FIELDS[name][0] // 8
    layout = _layout(name, stride=3 * bpp + 1 * bpp + 16, xoffset=1, yoffset=2)
    device = tmp_path / "fb0"
    device.write_bytes(b"\xaa" * layout.mapped_bytes)
    fb = Framebuffer(str(device), layout)
    fb.show(_frame(), XRGB)
    fb.show(_frame(), XRGB)   # the same frame again: the same bytes (the plan is kept)
    fb.close()
    data = device.read_bytes()
    assert len(data) == layout.mapped_bytes
    expected = bytearray(b"\xaa" * layout.mapped_bytes)
    for y, row in enumerate(COLOURS):
        start = (2 + y) * layout.stride + 1 * bpp
        line = b"".join(_pixels(name, *c, kept=0xAA) for c in row)
        expected[start:start + len(line)] = line
    assert data == bytes(expected)
    assert fb.description == f"{device} 3x2 {name}"


def test_a_missing_device_says_so(tmp_path):
    with pytest.raises(FramebufferError) as exc:
        open_device(str(tmp_path / "fb0"))
    assert str(exc.value) == (f"{tmp_path / 'fb0'}: not found (no framebuffer device: the display driver has "
                              "no fbdev emulation, or none is loaded)")


def test_a_file_that_is_not_a_framebuffer_device_is_named(tmp_path):
    (tmp_path / "fb0").write_bytes(bytes(4096))
    with pytest.raises(FramebufferError) as exc:
        open_device(str(tmp_path / "fb0"))
    assert str(exc.value) == f"{tmp_path / 'fb0'}: not a framebuffer device (Inappropriate ioctl for device)"


def test_a_device_smaller_than_its_layout_is_refused(tmp_path):
    (tmp_path / "fb0").write_bytes(bytes(10))
    with pytest.raises(FramebufferError) as exc:
        Framebuffer(str(tmp_path / "fb0"), _layout("XRGB8888"))
    assert str(exc.value).startswith(f"{tmp_path / 'fb0'}: cannot map 24 bytes (")
