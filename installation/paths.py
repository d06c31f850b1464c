"""Where the player finds things: the default show and models of a development checkout, captures.
Which model in a folder is 'latest': model/choose.py.
The gallery PC's own settings live in CONFIG_DIR (root's, outside the checkout): which screen of a wall
it is (SCREEN_FILE, show/wall.py), the display's power commands, the control token.

A development checkout keeps models in `exported_models/` and shows in `show_configs/` next to the
`installation/` package; `--models DIR` / `--show FILE` override them (a gallery PC's service does).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO / "exported_models"
SHOWS_DIR = REPO / "show_configs"
OUT_DIR = REPO / "out"
CAPTURES_DIR = OUT_DIR / "captures"
DEMO_GIF = OUT_DIR / "demo.gif"
DEFAULT_MODEL = "default"
CONFIG_DIR = Path("/etc/aimoji")
SCREEN_FILE = CONFIG_DIR / "screen"   # this PC's screen on a show's [wall]: its first word
