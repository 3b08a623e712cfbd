"""Memory: weights under a precision or quantization scheme, KV cache per engine, inference activations,
runtime overheads, training memory, and fitting all of it onto GPUs.

Modules: formats (storage formats and schemes, data/quant.toml), weights (bytes per tensor under a
scheme), kv (per-sequence state per engine), activations (inference transient peak), report (the
inference memory total per GPU), training (training memory per GPU), fit (does it fit, how many GPUs,
how long a context, how large a batch).
"""
