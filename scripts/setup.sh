#!/usr/bin/env bash
# Create .venv (if missing) and install paramscope into it. Usage: scripts/setup.sh [EXTRAS]
# EXTRAS: "" (the CLI alone), "test" (everything the suite needs; torch is the 2.13.0 CPU wheel).
#
# "test" also builds llama-cpp-python from its PyPI sdist (once per .venv, guarded by a stamp file): the
# suite loads tiny GGUF files with llama.cpp itself to check paramscope's llama.cpp memory figures
# (tests/test_llamacpp_oracle.py). CPU only, no tools/examples/server/tests/mtmd: ~4-5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
spec="."
if [ -n "${1:-}" ]; then spec=".[$1]"; fi
stamp=".venv/.installed-${1:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
  touch "$stamp"
fi

# "test" also needs a real browser for tests/test_web_browser.py: Debian's chromium (driven by Playwright through
# executable_path; never `playwright install`). Installed once; CI runs as root.
if [ "${1:-}" = "test" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup.sh: installing chromium (apt-get) for the web app's browser tests" >&2
  start=$(date +%s)
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
    echo "setup.sh: chromium installed in $(( $(date +%s) - start )) s" >&2
  else  # the rest of the suite does not need it: the browser tests say why they skip
    echo "setup.sh: chromium could not be installed; the browser tests will be skipped" >&2
  fi
fi

LLAMA_CPP_PYTHON=0.3.36  # vendors ggml-org/llama.cpp@0c1e57098, the version docs/engines.md and engines.toml cite
lstamp=".venv/.llama-cpp-python-$LLAMA_CPP_PYTHON"
if [ "${1:-}" = "test" ] && [ ! -f "$lstamp" ]; then
  if ! .venv/bin/python -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_CPP_PYTHON')" 2>/dev/null; then
    echo "setup.sh: building llama-cpp-python $LLAMA_CPP_PYTHON from source (CPU only; a few minutes)" >&2
    start=$(date +%s)
    CMAKE_ARGS="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
-DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DGGML_BLAS=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
      .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        --no-binary llama-cpp-python "llama-cpp-python==$LLAMA_CPP_PYTHON"
    echo "setup.sh: llama-cpp-python built in $(( $(date +%s) - start )) s" >&2
  fi
  touch "$lstamp"
fi
