"""`aimoji calibrate` on screen: test patterns, keyboard adjustments with a legend, save to a profile.

The pattern is drawn through the profile being edited, exactly as the player would show a frame:
colour LUT on the picture, geometry by the player's Screen (calibration/apply.py, display/screen.py).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pygame

from installation.calibration import profile as cal
from installation.calibration import patterns as tp
from installation.calibration.apply import Calibration
from installation.model import last_shown
from installation.model.choose import Chooser
from installation.model.load import load
from installation.display.output import open_display
from installation.display.screen import to_surface
from installation.geometry import Rect

log = logging.getLogger("aimoji.calibrate")

EMOJI_HZ = 4.0  # new images per second in the live emoji pattern
EMOJI_LOOP_S = 20.0  # the emoji walk loops after this long
LEGEND_BG = (0, 0, 0, 190)
LEGEND_FG = (255, 255, 255)
HIGHLIGHT = (255, 220, 0)
KEYS_HELP = ("Tab/PgDn, 1-6: pattern    Up/Down: choose setting    Left/Right: change (Shift: x10)",
             "R: rotate 90°   H / V: mirror   Backspace: reset setting   Del: reset all",
             "S: save   L: hide this legend   Esc/Q: quit")


class EmojiSource:
    """Generates images along a slow closed loop in latent space with the newest exported model."""

    def __init__(self, model, seed: int = 2019):
        self.model = model
        rng = np.random.default_rng(seed)
        self.a, self.b = rng.standard_normal((2, model.info.z_dim)).astype(np.float32)
        self.name = model.name

    def image(self, t_s: float) -> np.ndarray:
        angle = 2 * math.pi * t_s / EMOJI_LOOP_S
        z = (math.cos(angle) * self.a + math.sin(angle) * self.b)[None, :]  # stays on the prior's shell
        return self.model.generate(z)[0]


def load_emoji_source(models_dir: Path) -> tuple[EmojiSource | None, str]:
    """(source, note): 'latest' in models_dir as the player picks it (model/choose.py), or None and
    why the pattern is skipped."""
    skipped: list[str] = []
    try:
        model = Chooser(models_dir, load, skipped.append).latest(last_shown.path_for())
    except LookupError as exc:
        return None, f"live emoji skipped: {'; '.join([*skipped, str(exc)])}"
    return EmojiSource(model), f"live emoji: {model.path.name}"


@dataclass
class UIState:
    profile: cal.Profile
    saved: cal.Profile
    pattern: int = 0
    setting: int = 0
    legend: bool = True
    message: str = ""
    confirm_quit: bool = False
    running: bool = True
    names: list[str] = field(default_factory=list)


class CalibrateUI:
    def __init__(self, display, profile_path: Path, profile: cal.Profile,
                 emoji: EmojiSource | None = None, emoji_note: str = "", clock=None):
        """display: a display.output Window, FramebufferDisplay or GpuDisplay; the UI draws through its
        screen (display/screen.py, display/gpu.py)."""
        self.display = display
        self.screen = display.screen(Calibration(profile), (0, 0, 0))
        height = self.screen.display_size[1]
        self.path = Path(profile_path)
        self.emoji = emoji
        self.emoji_note = emoji_note
        names = list(tp.PATTERNS) + (["live emoji"] if emoji else [])
        self.state = UIState(profile=profile, saved=profile, names=names)
        self.font = pygame.font.Font(None, max(20, height // 16))  # labels on patterns
        self.small = pygame.font.Font(None, max(16, height // 40))  # the legend
        self._clock = clock or (lambda: pygame.time.get_ticks() / 1000)
        self._cache_key = None
        self._placed = None

    # --- keys -------------------------------------------------------------------------------------
    def handle_key(self, key: int, mod: int = 0) -> None:
        s = self.state
        coarse = 10 if mod & pygame.KMOD_SHIFT else 1
        if key in (pygame.K_ESCAPE, pygame.K_q):
            if s.profile != s.saved and not s.confirm_quit:
                s.confirm_quit = True
                s.message = "unsaved changes: Esc again to quit without saving, S to save"
                return
            s.running = False
            return
        s.confirm_quit = False
        s.message = ""
        n = len(s.names)
        if key in (pygame.K_TAB, pygame.K_PAGEDOWN):
            s.pattern = (s.pattern + (-1 if key == pygame.K_TAB and mod & pygame.KMOD_SHIFT else 1)) % n
        elif key == pygame.K_PAGEUP:
            s.pattern = (s.pattern - 1) % n
        elif pygame.K_1 <= key <= pygame.K_9 and key - pygame.K_1 < n:
            s.pattern = key - pygame.K_1
        elif key == pygame.K_UP:
            s.setting = (s.setting - 1) % len(cal.SETTINGS)
        elif key == pygame.K_DOWN:
            s.setting = (s.setting + 1) % len(cal.SETTINGS)
        elif key in (pygame.K_LEFT, pygame.K_RIGHT):
            s.profile = cal.adjust(s.profile, s.setting, coarse if key == pygame.K_RIGHT else -coarse)
        elif key in (pygame.K_r, pygame.K_h, pygame.K_v):
            index = {pygame.K_r: 9, pygame.K_h: 10, pygame.K_v: 11}[key]
            s.profile, s.setting = cal.adjust(s.profile, index, 1), index
        elif key == pygame.K_BACKSPACE:
            s.profile = cal.reset(s.profile, s.setting)
        elif key == pygame.K_DELETE:
            s.profile = cal.IDENTITY
            s.message = "all settings reset (not saved yet)"
        elif key == pygame.K_s:
            self.save()
        elif key == pygame.K_l:
            s.legend = not s.legend

    def save(self) -> None:
        try:
            cal.save_profile(self.path, self.state.profile, datetime.now())
        except OSError as exc:
            self.state.message = f"NOT saved: {self.path}: {exc.strerror or exc}"
            log.error("cannot save calibration profile %s: %s", self.path, exc)
            return
        self.state.saved = self.state.profile
        self.state.message = f"saved {self.path}"
        log.info("saved calibration profile %s", self.path)

    def step(self) -> bool:
        """Handle queued events and draw one frame; False once the user quit."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.state.running = False
            elif event.type == pygame.KEYDOWN:
                self.handle_key(event.key, event.mod)
        if self.state.running:
            self.draw()
        return self.state.running

    # --- drawing ----------------------------------------------------------------------------------
    def pattern_name(self) -> str:
        return self.state.names[self.state.pattern]

    def _picture(self, calib: Calibration, size: tuple[int, int]) -> pygame.Surface:
        """The current pattern at the picture's size (before it is turned), with colour applied and
        its own labels."""
        w, h = size
        name = self.pattern_name()
        if name == "live emoji":
            t = math.floor(self._clock() * EMOJI_HZ) / EMOJI_HZ
            small = calib.apply_colour(self.emoji.image(t))  # LUT on 64 px, then blow up
            img = tp.fit_image(small, w, h, calib.colour((255, 255, 255)))
        else:
            img = calib.apply_colour(tp.PATTERNS[name](w, h))
        surf = to_surface(img)   # in the display's pixel format where there is a display surface
        if name == "gamma":
            for (x, y, pw, ph), gamma in zip(tp.gamma_patch_rects(w, h), tp.GAMMAS):
                label = self.font.render(f" {gamma:.1f} ", True, (255, 255, 255), (0, 0, 0))
                surf.blit(label, (x + (pw - label.get_width()) // 2, y + ph + 8))
        return surf

    def draw(self) -> None:
        s, screen = self.state, self.screen
        key = (s.pattern, s.profile, screen.display_size,
               math.floor(self._clock() * EMOJI_HZ) if self.pattern_name() == "live emoji" else None)
        if key != self._cache_key:  # patterns are static: rebuild only when something changed
            if s.profile != screen.calibration.profile:
                screen.configure(calibration=Calibration(s.profile))
            # Placed the way the player places a scene: one picture turned and put in place by the Screen.
            self._placed = screen.place(self._picture(screen.calibration, screen.size), Rect(0, 0, *screen.size),
                                        scale="pixel")
            self._cache_key = key
        screen.fill((0, 0, 0))
        screen.draw(self._placed)
        if s.legend:
            self._draw_legend()
        elif s.message:
            self._draw_lines([s.message], (10, 10))
        self.display.present()

    def legend_lines(self) -> list[tuple[str, bool]]:
        """(text, highlighted) rows of the on-screen legend."""
        s = self.state
        unsaved = " (unsaved)" if s.profile != s.saved else ""
        rows = [(f"pattern {s.pattern + 1}/{len(s.names)}: {self.pattern_name()}    profile: {self.path}{unsaved}",
                 False)]
        if self.emoji_note:
            rows.append((self.emoji_note, False))
        rows += [(("> " if i == s.setting else "  ") + cal.describe(s.profile, i), i == s.setting)
                 for i in range(len(cal.SETTINGS))]
        rows += [(line, False) for line in KEYS_HELP]
        if s.message:
            rows.append((s.message, True))
        return rows

    def _draw_legend(self) -> None:
        rows = self.legend_lines()
        w, h = self.screen.display_size
        self._draw_lines([r[0] for r in rows], (w // 20, h // 20), [r[1] for r in rows])

    def _draw_lines(self, lines: list[str], at: tuple[int, int], highlight: list[bool] | None = None) -> None:
        highlight = highlight or [False] * len(lines)
        rendered = [self.small.render(t, True, HIGHLIGHT if hi else LEGEND_FG) for t, hi in zip(lines, highlight)]
        line_h = self.small.get_linesize()
        box = pygame.Surface((max(r.get_width() for r in rendered) + 20, line_h * len(rendered) + 16),
                             pygame.SRCALPHA)
        box.fill(LEGEND_BG)
        for i, r in enumerate(rendered):
            box.blit(r, (10, 8 + i * line_h))
        self.screen.draw_overlay(box, at)


def open_screen(windowed: bool, size: tuple[int, int] = (1280, 720)):
    """The display the player would use (display/output.py: SDL, or the framebuffer in software);
    DisplayUnavailable when there is none."""
    display = open_display(size if windowed else (0, 0), not windowed, title="AImoji calibration")
    pygame.font.init()
    if not windowed:
        pygame.mouse.set_visible(False)
    return display
