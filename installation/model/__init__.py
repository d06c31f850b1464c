"""Generators: the metadata contract, the one loader (onnxruntime), and mood regions."""
