#!/usr/bin/env bash
# A long fuzzing run of tests/test_fuzz.py (CI runs 40 examples per fuzzer; this runs many more).
#
#   scripts/fuzz.sh              # 20000 examples per fuzzer (about an hour on 2 cores)
#   scripts/fuzz.sh 2000         # a shorter run
#   scripts/fuzz.sh 20000 -k gguf   # one fuzzer (extra arguments go to pytest)
#
# Examples are random (not derandomized) in this mode, so every run explores new inputs; hypothesis prints
# the smallest failing input it finds. See docs/robustness.md.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-20000}"
shift || true
PY="${PYTHON:-.venv/bin/python}"
PARAMSCOPE_FUZZ_EXAMPLES="$examples" exec "$PY" -m pytest tests/test_fuzz.py -q -p no:cacheprovider \
    --hypothesis-show-statistics "$@"
