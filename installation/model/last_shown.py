"""The model that was 'latest', remembered across restarts: its file name and the sha256 of its bytes;
and the models that failed on the wall, so a restart does not choose them again while their bytes are
the same (a new file under the name gets a fresh start).

Hot reload makes the newest arrival 'latest'; after a restart the player used to guess it again from
modification times, which copies with -p, restores from a backup and git checkouts all rewrite. So the
reloader records each model it hands over, start-up records its choice, and start-up prefers the
recorded file while its bytes are unchanged. The record lives in the service's StateDirectory
($STATE_DIRECTORY, /var/lib/aimoji: it survives reboots), or ./state/ for a player started by hand.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from installation import atomic
from installation.text import first_line

FILE_NAME = "last_model.json"
LOCAL_FILE = Path("state") / FILE_NAME
SCHEMA = 1
FAILED_KEPT = 16   # failed models remembered, newest first


@dataclass(frozen=True)
class LastModel:
    file: str    # the file's name inside the models folder, e.g. "default.onnx"
    sha256: str  # of its bytes when it was shown: same name with other bytes is another model
    failed: frozenset[tuple[str, str]] = frozenset()   # (file, sha256) of models given up on the wall


class RecordError(ValueError):
    """The record cannot be used; str() is one line naming the file."""


class NoRecord(RecordError):
    """There is no record yet: a first start, nothing to say."""


def path_for(environ: Mapping[str, str] = os.environ) -> Path:
    """$STATE_DIRECTORY/last_model.json under systemd (StateDirectory=aimoji), else ./state/last_model.json."""
    if environ.get("STATE_DIRECTORY"):
        return Path(environ["STATE_DIRECTORY"].split(":")[0]) / FILE_NAME
    return LOCAL_FILE


def remember(record: Path | str, model_file: Path | str, sha256: str) -> None:
    """Record the model shown, keeping the failed ones; atomic (a crash leaves the old record or the new
    one). Raises OSError."""
    _write(record, Path(model_file).name, sha256, _failed_list(record))


def remember_failed(record: Path | str, model_file: Path | str, sha256: str) -> None:
    """Add a model given up on the wall (its file name and bytes); the model shown stays. Raises OSError."""
    entry = [Path(model_file).name, sha256]
    failed = [entry] + [f for f in _failed_list(record) if f != entry]
    try:
        last = recall(record)
        file, sha = last.file, last.sha256
    except RecordError:
        file, sha = entry
    _write(record, file, sha, failed[:FAILED_KEPT])


def _failed_list(record: Path | str) -> list[list[str]]:
    try:
        return [list(f) for f in sorted(recall(record).failed)]
    except RecordError:
        return []


def _write(record: Path | str, file: str, sha256: str, failed: list[list[str]]) -> None:
    record = Path(record)
    record.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json_atomic(record, {"schema": SCHEMA, "file": file, "sha256": sha256, "failed": failed,
                                      "at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                             mode=0o644)


def recall(record: Path | str) -> LastModel:
    """The remembered model; RecordError if there is no usable record (missing, unreadable, damaged)."""
    record = Path(record)
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoRecord(f"{record}: no record of the last model shown yet") from None
    except OSError as exc:
        raise RecordError(f"{record}: cannot read the last-model record ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordError(f"{record}: damaged last-model record ({first_line(exc, 120)})") from None
    file, sha = (data.get("file"), data.get("sha256")) if isinstance(data, dict) else (None, None)
    if not (isinstance(file, str) and file.endswith(".onnx") and Path(file).name == file
            and isinstance(sha, str) and len(sha) == 64):
        raise RecordError(f"{record}: damaged last-model record (needs 'file': NAME.onnx and "
                          "'sha256': 64 hex digits)")
    failed = data.get("failed", [])
    failed = frozenset(tuple(f) for f in failed if isinstance(f, list) and len(f) == 2
                       and all(isinstance(x, str) for x in f)) if isinstance(failed, list) else frozenset()
    return LastModel(file, sha, failed)
