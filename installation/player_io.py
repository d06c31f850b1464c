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
                player.log("saved " + ", ".join(str(p) for p in paths))


def present(player) -> None:
    """With a calibration, its geometry puts the composed canvas on the screen (identity otherwise:
    scenes drew straight onto the screen)."""
    if player.calibration is not None:
        player.calibration.place(player.canvas(), player.screen)


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
