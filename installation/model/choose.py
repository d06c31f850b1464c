"""Which model is 'latest': the one rule `aimoji play`, `aimoji render`, `aimoji calibrate` and the
player's fallback (service/reload/fallback.py) share.

'latest' is the model the last-shown record names (model/last_shown.py) while its file is there with the
same bytes and plays; otherwise the newest playable `.onnx` in the folder, where files that arrived
together (a fresh clone, one copy of a folder) count as equally new and default.onnx wins among them.
Files that do not play, and models that failed on the wall while their bytes are unchanged, are named
in one line each and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from installation.model import last_shown
from installation.model.load import Generator, ModelError
from installation.paths import DEFAULT_MODEL

# Files whose modification times lie this close to the newest one arrived together (a git checkout,
# one copy of a folder): among them default.onnx is 'latest', so a fresh clone plays the default model.
TIE_S = 5.0


def candidates(models_dir: Path) -> list[Path]:
    """`.onnx` files in models_dir, 'latest' first: the newest by modification time, except that
    default.onnx wins among files within TIE_S of the newest (e.g. all of a fresh git checkout)."""
    if not Path(models_dir).is_dir():
        return []
    files = [p for p in Path(models_dir).glob("*.onnx") if p.is_file() and not p.name.startswith(".")]
    mtimes = {p: p.stat().st_mtime for p in files}
    newest = max(mtimes.values(), default=0.0)

    def key(p: Path):
        older = mtimes[p] < newest - TIE_S
        return older, not older and p.stem != DEFAULT_MODEL, -mtimes[p], p.name

    return sorted(files, key=key)


def missing_message(models_dir: Path) -> str:
    return (f"{models_dir}: no .onnx model here yet. Train and export one "
            f"('aimoji-train train ...' then 'aimoji-train export RUN --out {models_dir}/default.onnx') "
            f"or copy an exported .onnx into {models_dir}/")


class Chooser:
    """Loads each file at most once (a file that does not play is said once) and picks 'latest'.
    load(path) -> Generator raising ModelError; log(line) for the lines that say why a file or the
    record is passed over."""

    def __init__(self, models_dir: Path, load: Callable[[Path], Generator], log: Callable[[str], None],
                 failed: frozenset[tuple[str, str]] = frozenset(), skip: frozenset[str] = frozenset()):
        """failed: (file name, sha256) of models given up on the wall (model/last_shown.py); skip: names
        not to choose whatever their bytes."""
        self.models_dir, self.load, self.log = Path(models_dir), load, log
        self.failed, self.skip = failed, skip
        self._tried: dict[Path, Generator | None] = {}

    def attempt(self, path: Path) -> Generator | None:
        path = Path(path)
        if path not in self._tried:
            try:
                model = self.load(path)
            except ModelError as exc:
                self.log(f"{exc}; skipped")
                model = None
            if model is not None and (path.name, model.sha256) in self.failed:
                self.log(f"{path}: skipped: it failed on the wall and its file has not changed since")
                model = None
            self._tried[path] = model
        return self._tried[path]

    def latest(self, record: Path | None = None, also: tuple[Path, ...] = ()) -> Generator:
        """The model that is 'latest' now (see the module's docstring), or else the first of `also` that
        plays (the shipped default beside another folder); LookupError in one line when none plays."""
        found = [p for p in candidates(self.models_dir) if p.stem not in self.skip]
        found += [p for p in also if p.is_file() and p.stem not in self.skip and p not in found]
        if not found:
            raise LookupError(missing_message(self.models_dir))
        if record is not None:
            try:
                self.failed |= last_shown.recall(record).failed
            except last_shown.RecordError:
                pass   # said by _remembered, when it matters
        model = self._remembered(record) if record is not None else None
        model = model or next((m for m in map(self.attempt, found) if m is not None), None)
        if model is None:
            raise LookupError(f"{self.models_dir}: none of the {len(found)} .onnx files is playable (see above)")
        return model

    def _remembered(self, record: Path) -> Generator | None:
        """The model the record names if it is still there with the same bytes and plays; else None,
        with one line saying why (unless there is no record yet: a first start)."""
        try:
            last = last_shown.recall(record)
        except last_shown.NoRecord:
            return None
        except last_shown.RecordError as exc:
            self.log(f"{exc}; 'latest' is the newest model file")
            return None
        path = self.models_dir / last.file
        if not path.is_file():
            self.log(f"{path}: the model shown before the restart is gone; 'latest' is the newest model file")
            return None
        model = self.attempt(path)  # a file that does not play has said so in its own line
        if model is not None and model.sha256 != last.sha256:
            self.log(f"{path}: its bytes changed since it was shown (sha256 {model.sha256[:12]}..., recorded "
                     f"{last.sha256[:12]}...); 'latest' is the newest model file")
            return None
        if model is not None:
            logging.getLogger("aimoji.player").info("%s: 'latest' again, as before the restart (%s)", path, record)
        return model
