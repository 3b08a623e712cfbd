"""Gemma 3n's MobileNetV5 vision tower tensor by tensor against timm (where timm is installed by hand; the suite
pins its total instead, see tests/test_gemma3n_towers.py).

    .venv/bin/python scripts/check_gemma3n_timm.py
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

if __name__ == "__main__":
    import test_gemma3n_towers as t

    t.vision_tower_tensor_by_tensor_with_timm()
    print("MobileNetV5-300M: every block's tensors equal timm's")
