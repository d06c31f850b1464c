"""The model that was 'latest', remembered across restarts: its file name and the sha256 of its bytes.

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


@dataclass(frozen=True)
class LastModel:
    file: str    # the file's name inside the models folder, e.g. "default.onnx"
    sha256: str  # of its bytes when it was shown: same name with other bytes is another model


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
    """Write the record atomically (a crash leaves the old one or the new one). Raises OSError."""
    record = Path(record)
    record.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json_atomic(record, {"schema": SCHEMA, "file": Path(model_file).name, "sha256": sha256,
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
    return LastModel(file, sha)
