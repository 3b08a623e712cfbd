#!/usr/bin/env bash
# Load test of `paramscope serve` with wrk (Debian's `wrk`; apt-get install wrk): 50 connections on loopback,
# repeated queries (answers from the cache) and all-distinct queries (benchmarks/wrk_distinct.lua changes the
# context on every request, so every answer is computed). Prints p50 / p99 and requests/s per case.
#   bash benchmarks/bench_web_wrk.sh [WORKERS]     (default: serve's own default, one per core, at most 4)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 3; }
port=$(.venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
args=(serve --port "$port")
if [ -n "${1:-}" ]; then args+=(--workers "$1"); fi
.venv/bin/python -m paramscope "${args[@]}" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/openapi.json" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
run() {  # label, wrk arguments...
  local label=$1; shift
  wrk -t1 -c50 -d8s --latency "$@" 2>&1 | awk -v l="$label" '/^ +50%/{p50=$2} /^ +99%/{p99=$2} /Requests\/sec/{rps=$2} /Non-2xx|Socket errors/{err=$0}
    END{printf "| %s | %s | %s | %s | %s |\n", l, rps, p50, p99, (err==""?"0":err)}'
}
echo "| case | req/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|"
run "params (repeated)" "$base/api/params?model=llama-2-7b"
run "memory (repeated)" "$base/api/memory?model=llama-3.1-8b&gpu=h100-sxm&weights=Q4_K_M"
run "fit (repeated)" "$base/api/fit?model=llama-3.1-70b&gpu=h100-sxm"
KIND=params run "params (distinct)" -s benchmarks/wrk_distinct.lua "$base"
KIND=memory run "memory (distinct)" -s benchmarks/wrk_distinct.lua "$base"
KIND=fit run "fit (distinct)" -s benchmarks/wrk_distinct.lua "$base"
