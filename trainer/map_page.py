"""Build the offline interactive map of the first images a run generated: sprite atlases + one page.

The page opens from file:// with no server: atlases travel as PNG data: URIs inside small .js files
(a data: image never taints a canvas, so "save this emoji" can read back exact training pixels).
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np

from installation.atomic import replace_dir
from trainer import runs
from trainer.config import CONFIG_FILE, ConfigError, load_run_config
from trainer.image_grid import grid, png_bytes

# Cells per atlas are capped so one atlas stays well under browsers' image size limits and a page
# of 10,000 cells needs about ten requests, not 10,000.
ATLAS_MAX_ROWS = 10
ATLAS_MAX_SIDE_PX = 8192
EMPTY_RGB = (17, 17, 17)  # fills the unused cells of a last, partial row (matches the page background)
PAGE_FILES = ("map.js", "map.css")
# Next to this module rather than via importlib.resources: the page must come from this package
# even where a same-named folder (tests/trainer) shadows the package as a namespace.
DATA_DIR = Path(__file__).resolve().parent / "data"


class MapError(Exception):
    """The output folder cannot be used (it holds something other than an earlier map)."""


@dataclass(frozen=True)
class Atlas:
    first_index: int  # index of the image in the atlas's top-left cell
    count: int  # images in this atlas
    first_row: int
    rows: int


@dataclass(frozen=True)
class MapLayout:
    count: int
    per_row: int
    rows: int
    atlases: tuple[Atlas, ...]


def plan_layout(count: int, per_row: int, cell_h_px: int) -> MapLayout:
    """Split `count` cells, `per_row` to a row, into atlases of whole rows."""
    if count < 1 or per_row < 1 or cell_h_px < 1:
        raise ValueError("count, per_row and cell size must be positive")
    rows = -(-count // per_row)
    rows_per_atlas = max(1, min(ATLAS_MAX_ROWS, ATLAS_MAX_SIDE_PX // cell_h_px))
    atlases = []
    for first_row in range(0, rows, rows_per_atlas):
        n_rows = min(rows_per_atlas, rows - first_row)
        first = first_row * per_row
        atlases.append(Atlas(first, min(n_rows * per_row, count - first), first_row, n_rows))
    return MapLayout(count, per_row, rows, tuple(atlases))


def atlas_script(index: int, png: bytes) -> str:
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f"AIMOJI.addAtlas({index}, {json.dumps(uri)});\n"


def describe_span(steps: np.ndarray, epochs: np.ndarray | None) -> str:
    """'steps 1–157, epochs 1–4' for the header (a single value is not written as a range)."""
    def span(name: str, values: np.ndarray) -> str:
        lo, hi = int(values.min()), int(values.max())
        return f"{name} {lo}" if lo == hi else f"{name}s {lo}–{hi}"
    parts = [span("step", steps)]
    if epochs is not None:
        parts.append(span("epoch", epochs))
    return ", ".join(parts)


def manifest(layout: MapLayout, title: str, run_name: str, cell_w_px: int, cell_h_px: int,
             steps: np.ndarray, epochs: np.ndarray | None) -> dict:
    """Everything map.js needs besides the atlas pixels."""
    return {
        "title": title,
        "run": run_name,
        "count": layout.count,
        "per_row": layout.per_row,
        "rows": layout.rows,
        "cell_w": cell_w_px,
        "cell_h": cell_h_px,
        "atlases": [{"first_index": a.first_index, "count": a.count, "first_row": a.first_row,
                     "rows": a.rows} for a in layout.atlases],
        "steps": steps.tolist(),
        "epochs": None if epochs is None else epochs.tolist(),
    }


def render_page(data: dict, span: str) -> str:
    template = Template((DATA_DIR / "map.html").read_text(encoding="utf-8"))
    scripts = "\n".join(f'<script defer src="atlases/atlas-{i:03d}.js"></script>'
                        for i in range(len(data["atlases"])))
    return template.substitute(
        title=html.escape(data["title"]),
        run=html.escape(data["run"]),
        count=f"{data['count']:,}",
        per_row=data["per_row"],
        span=html.escape(span),
        atlas_scripts=scripts,
    )


def _write(path: Path, content: str | bytes) -> None:
    with open(path, "wb") as f:
        f.write(content.encode("utf-8") if isinstance(content, str) else content)
        f.flush()
        os.fsync(f.fileno())


def _title(run_dir: Path) -> str:
    """The page's heading: config.json's `title` where someone added one, else AImoji."""
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        return "AImoji"
    try:
        return load_run_config(path).facts.get("title") or "AImoji"
    except ConfigError as exc:
        raise MapError(str(exc)) from None


def build_map(run_dir: Path, out_dir: Path, count: int = 10_000, per_row: int = 100,
              progress=None) -> dict:
    """Write out_dir/index.html (+ map.js, map.css, manifest.js, atlases/) and return the manifest.

    `progress` is called with each atlas index as it is written (the command shows a tqdm bar).
    """
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir())
                                                      and not (out_dir / "manifest.js").is_file())):
        # The folder is replaced as a whole: never throw away something that is not a map.
        raise MapError(f"{out_dir}: exists and is not an earlier map (no manifest.js); "
                       "choose another --out or remove it")
    images, steps = runs.load_first_images(run_dir, count)
    epochs = runs.epoch_of_steps(runs.read_metrics(run_dir), steps)  # None: the map just omits epochs
    _, cell_h, cell_w, _ = images.shape
    layout = plan_layout(len(images), per_row, cell_h)
    run_name = run_dir.resolve().name
    title = _title(run_dir)
    data = manifest(layout, title, run_name, cell_w, cell_h, steps, epochs)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        (staging / "atlases").mkdir()
        for i, atlas in enumerate(layout.atlases):
            pixels = grid(images[atlas.first_index:atlas.first_index + atlas.count], columns=per_row,
                          rows=atlas.rows, pad_px=0, background=EMPTY_RGB)
            _write(staging / "atlases" / f"atlas-{i:03d}.js", atlas_script(i, png_bytes(pixels)))
            if progress:
                progress(i)
        _write(staging / "manifest.js", "window.AIMOJI_MAP = " + json.dumps(data, separators=(",", ":")) + ";\n")
        for name in PAGE_FILES:
            _write(staging / name, (DATA_DIR / name).read_bytes())
        _write(staging / "index.html", render_page(data, describe_span(steps, epochs)))
        staging.chmod(0o755)  # mkdtemp makes it private; a published map folder should be readable
        replace_dir(staging, out_dir)  # a failed build never leaves a half-written map behind
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return data
