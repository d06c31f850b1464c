"""Helpers the tests and the benchmarks share: small ONNX generators of every kind (model_files), a
fake clock for driving the player by time (clock), slow HTTP clients (slow_clients), headless Chromium
(browser). Imported as `tests.support.X`, from the project root (benchmarks run as `python -m
benchmarks.NAME`), so nothing edits sys.path."""
