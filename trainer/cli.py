"""`aimoji-train`: the trainer's command line (dataset, train, export, adopt, map, video, moods, evaluate).

Each command lives in `trainer/commands/<name>.py` (see installation/subcommands.py).
"""

from __future__ import annotations

import sys

from installation.subcommands import dispatch

# name -> one-line help. Order is the order shown in --help.
COMMANDS = {
    "dataset": "build the emoji dataset from pinned vendor sets (or from a folder of images)",
    "train": "train a DCGAN into a run folder (checkpoints, metrics, timelapse)",
    "export": "export a run's generator to ONNX with its metadata (or --inspect a file)",
    "adopt": "make a generator trained elsewhere (pytorch/examples .pth, or ONNX) playable",
    "map": "build the offline interactive map of the first 10,000 training images",
    "video": "render the training timelapse to a video",
    "moods": "classify generated emoji into Neutral / Horror / Happy / Sad",
    "evaluate": "emoji Frechet distance, precision/recall and a memorisation check",
}

EPILOG = """examples:
  aimoji-train dataset build --out data/emoji
  aimoji-train train --data data/emoji --out runs/faithful
  aimoji-train export runs/faithful --out exported_models/faithful.onnx
  aimoji-train export --inspect exported_models/default.onnx
  aimoji-train adopt netG_epoch_24.pth --out exported_models/theirs.onnx
run 'aimoji-train COMMAND --help' for the options of one command."""

DESCRIPTION = "AImoji trainer: build the emoji dataset, train the DCGAN, export it for the player."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return dispatch(argv, "aimoji-train", DESCRIPTION, EPILOG, COMMANDS, "trainer.commands")


if __name__ == "__main__":
    sys.exit(main())
