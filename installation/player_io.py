"""The player's edges with pygame: events and keys, presenting through a calibration, captures."""

from __future__ import annotations

import os
import time
from pathlib import Path


def handle_events(player, pygame) -> None:
    """Window close always quits; F / S / Esc / Q only when keys are enabled (show or --windowed)."""
    for event in pygame.event.get():
        if event.type == pygame.QUIT:
            player.running = False
        elif event.type == pygame.KEYDOWN and player.keys:
            if event.key in (pygame.K_ESCAPE, pygame.K_q):
                player.running = False
            elif event.key == pygame.K_f:
                from installation.display import toggle_fullscreen
                player.screen, player.vsync = toggle_fullscreen(player.screen.get_size(), player.fullscreen)
                player.fullscreen = not player.fullscreen
            elif event.key == pygame.K_s and player.captures_dir is not None:
                paths = save_emoji(player, Path(player.captures_dir))
                player.info("saved " + ", ".join(str(p) for p in paths))


def canvas_size(calibration, screen_size: tuple[int, int]) -> tuple[int, int]:
    """Size of the surface the scenes draw on under a calibration's geometry: the picture's size on
    the screen before rotation, so presenting it needs no full-frame rescale, only an exact turn or
    mirror and one blit. Objects without a `profile` (test doubles) get the screen's size."""
    profile = getattr(calibration, "profile", None)
    if profile is None:
        return screen_size
    from installation import calibration as cal
    g = profile.geometry
    _, _, w, h = cal.placement(*screen_size, *screen_size, g)
    return cal.oriented_size(w, h, g.rotation_deg)


def margins(rect: tuple[int, int, int, int], screen_size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The parts of the screen outside rect (left, right, top, bottom strips), empty ones left out:
    filling only these is cheaper than clearing the whole screen every frame."""
    x, y, w, h = rect
    sw, sh = screen_size
    x0, y0, x1, y1 = max(0, x), max(0, y), min(sw, x + w), min(sh, y + h)
    if x0 >= x1 or y0 >= y1:
        return [(0, 0, sw, sh)]
    strips = [(0, 0, x0, sh), (x1, 0, sw - x1, sh), (x0, 0, x1 - x0, y0), (x0, y1, x1 - x0, sh - y1)]
    return [r for r in strips if r[2] > 0 and r[3] > 0]


def present(player) -> None:
    """With a calibration geometry, put the composed canvas on the screen turned, mirrored and moved
    as calibration.placement says; outside the picture the screen is black (no light from a
    projector). Identity geometry (or none): the scenes drew straight onto the screen."""
    calibration, screen = player.calibration, player.screen
    if calibration is None:
        return
    canvas = player.canvas()
    if canvas is screen:
        return
    if getattr(calibration, "profile", None) is None:
        calibration.place(canvas, screen)  # any object with place(canvas, screen)
        return
    from installation import calibration as cal
    picture = calibration.orient(canvas)
    x, y, w, h = cal.placement(*screen.get_size(), *screen.get_size(), calibration.profile.geometry)
    for margin in margins((x, y, w, h), screen.get_size()):
        screen.fill((0, 0, 0), margin)
    if picture.get_size() != (w, h):  # only when the screen size changed since the canvas was made
        import pygame
        picture = pygame.transform.smoothscale(picture, (w, h))
    screen.blit(picture, (x, y))


def _save_surface(surface, path: Path) -> Path:
    import pygame
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    pygame.image.save(surface, str(tmp))
    os.replace(tmp, path)
    return path


def save_capture(player, path: Path) -> Path:
    """The whole screen as it is now, as PNG."""
    return _save_surface(player.screen, Path(path))


def save_emoji(player, folder: Path) -> list[Path]:
    """The current emoji at generated resolution and as shown (screen), timestamped PNGs."""
    import pygame
    stamp = time.strftime("%Y%m%d-%H%M%S")
    saved = []
    if player.current is not None:
        image = player.current.view.current_image()
        if image is not None:
            small = pygame.image.frombuffer(image.tobytes(), image.shape[1::-1], "RGB")
            saved.append(_save_surface(small, folder / f"aimoji-{stamp}-small.png"))
    saved.append(_save_surface(player.screen, folder / f"aimoji-{stamp}-screen.png"))
    return saved
