"""Charts (matplotlib, optional extra ``plot``): one module per analysis, each a pure function from a
report to a saved PNG/SVG file. Nothing here is imported unless a command is given ``--plot``."""
