"""AImoji trainer: emoji dataset, DCGAN training, timelapse recording and ONNX export (needs torch)."""

__version__ = "0.1.0"
