"""Quantization mixes: per-tensor storage types chosen by rules (llama.cpp GGUF ftypes)."""
