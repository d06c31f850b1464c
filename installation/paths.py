"""Where the player finds things: the default show and models of a development checkout, captures.

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


def model_candidates(models_dir: Path) -> list[Path]:
    """`.onnx` files in models_dir, newest first. 'latest' means the newest file by modification
    time; on a tie (e.g. a fresh git checkout) default.onnx wins, then the name."""
    files = [p for p in Path(models_dir).glob("*.onnx") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (-p.stat().st_mtime, p.stem != DEFAULT_MODEL, p.name))


def missing_model_message(models_dir: Path) -> str:
    return (f"{models_dir}: no .onnx model here yet. Train and export one "
            f"('aimoji-train train ...' then 'aimoji-train export RUN --out {models_dir}/default.onnx') "
            f"or copy an exported .onnx into {models_dir}/")
