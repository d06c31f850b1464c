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


# Files whose modification times lie this close to the newest one arrived together (a git checkout,
# one copy of a folder): among them default.onnx is 'latest', so a fresh clone plays the default model.
TIE_S = 5.0


def model_candidates(models_dir: Path) -> list[Path]:
    """`.onnx` files in models_dir, 'latest' first: the newest by modification time, except that
    default.onnx wins among files within TIE_S of the newest (e.g. all of a fresh git checkout)."""
    files = [p for p in Path(models_dir).glob("*.onnx") if p.is_file() and not p.name.startswith(".")]
    mtimes = {p: p.stat().st_mtime for p in files}
    newest = max(mtimes.values(), default=0.0)

    def key(p: Path):
        older = mtimes[p] < newest - TIE_S
        return older, not older and p.stem != DEFAULT_MODEL, -mtimes[p], p.name

    return sorted(files, key=key)


def missing_model_message(models_dir: Path) -> str:
    return (f"{models_dir}: no .onnx model here yet. Train and export one "
            f"('aimoji-train train ...' then 'aimoji-train export RUN --out {models_dir}/default.onnx') "
            f"or copy an exported .onnx into {models_dir}/")
