"""`aimoji schema`: print the JSON Schema of a show config (for editors with TOML schema support)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write the schema to this file instead of printing it (replaced atomically)")


def schema_text() -> str:
    from installation.show import Show
    schema = Show.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "AImoji show"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def run(args) -> int:
    text = schema_text()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    tmp = args.out.with_name(f".{args.out.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, args.out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"{args.out}: cannot write ({exc.strerror})", file=sys.stderr)
        return 1
    return 0
