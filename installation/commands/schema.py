"""`aimoji schema`: print the JSON Schema of a show config (for editors with TOML schema support)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from installation.atomic import write_text_atomic


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write the schema to this file instead of printing it (replaced atomically)")


def schema_text() -> str:
    from installation.show.config import Show
    schema = Show.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "AImoji show"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def run(args) -> int:
    text = schema_text()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        write_text_atomic(args.out, text)
    except OSError as exc:
        print(f"{args.out}: cannot write ({exc.strerror})", file=sys.stderr)
        return 1
    return 0
