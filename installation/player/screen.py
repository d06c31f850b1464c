"""The player's edges with pygame: events and keys, where scenes draw (screen, calibrated blit), captures."""

from __future__ import annotations

import time
from pathlib import Path

from installation.atomic import atomic_path


def handle_events(player, pygame) -> None:
    """Window close always quits; F / S / Esc / Q only when keys are enabled (show or --windowed)."""
    for event in pygame.event.get():
        if event.type == pygame.QUIT:
            player.running = False
        elif event.type == pygame.KEYDOWN and player.keys:
            if event.key in (pygame.K_ESCAPE, pygame.K_q):
                player.running = False
            elif event.key == pygame.K_f:
                from installation.player.display import toggle_fullscreen
                player.screen, player.vsync = toggle_fullscreen(player.screen.get_size(), player.fullscreen)
                player.fullscreen = not player.fullscreen
                if player.current is not None:  # a new, blank screen: background and margins again
                    player.current.view.invalidate()
            elif event.key == pygame.K_s and player.captures_dir is not None:
                paths = save_emoji(player, Path(player.captures_dir))
                player.info("saved " + ", ".join(str(p) for p in paths))


def view_show(player):
    """The show as the scenes see it: with a colour calibration, its background goes through the
    same table as the generated images, so margins and emoji match on the calibrated screen."""
    key = (id(player.show), id(player.calibration))
    if player._view_show_cache is None or player._view_show_cache[0] != key:
        show, calibration = player.show, player.calibration
        if calibration is not None and not getattr(calibration, "identity_colour", True):
            from installation.scenes.layout import parse_colour
            r, g, b = calibration.colour(parse_colour(show.display.background))
            display = show.display.model_copy(update={"background": f"#{r:02x}{g:02x}{b:02x}"})
            show = show.model_copy(update={"display": display})
        player._view_show_cache = (key, show)
    return player._view_show_cache[1]


def background(player) -> tuple[int, int, int]:
    from installation.scenes.layout import parse_colour
    return parse_colour(view_show(player).display.background)


def frame_blit(player):
    """How scenes draw through the calibration's geometry: a calibration_hook.FrameBlit onto the
    screen (each small image turned and placed; no full-frame pass), or None to draw straight onto
    the canvas (no calibration, identity geometry, or an object without a profile: see present)."""
    calibration, screen = player.calibration, player.screen
    if getattr(calibration, "profile", None) is None or calibration.identity_geometry:
        return None
    key = (screen, screen.get_size(), calibration)
    cached = getattr(player, "_frame_blit", None)
    if cached is None or cached[0] != key:
        from installation.calibration.blit import FrameBlit
        player._frame_blit = cached = (key, FrameBlit(calibration, screen))
    return cached[1]


def canvas(player):
    """Where scenes draw: the screen, except for a calibration object without a profile (any object
    with apply_colour and place(canvas, screen)): an off-screen canvas that present() places."""
    calibration = player.calibration
    placed = not (calibration is None or hasattr(calibration, "profile")
                  or getattr(calibration, "identity_geometry", False))
    if not placed:
        return player.screen
    import pygame
    size = player.screen.get_size()
    if getattr(player, "_place_canvas", None) is None or player._place_canvas.get_size() != size:
        player._place_canvas = pygame.Surface(size).convert()
        player._place_canvas.fill(background(player))
    return player._place_canvas


def clear(player) -> None:
    """Background over the whole picture (black around it under a calibration geometry)."""
    blit = frame_blit(player)
    if blit is not None:
        blit.fill(background(player))
    else:
        canvas(player).fill(background(player))


def present(player) -> None:
    """Only for a calibration object without a profile: place the off-screen canvas on the screen.
    A calibration_hook.Calibration needs nothing here: the scenes drew through frame_blit."""
    screen = player.screen
    picture = canvas(player)
    if picture is not screen:
        player.calibration.place(picture, screen)


def _save_surface(surface, path: Path) -> Path:
    import pygame
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as tmp:  # pygame picks the format from the suffix
        pygame.image.save(surface, str(tmp))
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
