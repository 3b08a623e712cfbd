"""A bounded load test on loopback: 50 concurrent clients (an async httpx client), a fixed number of requests
to params, memory and fit against `paramscope serve`'s app under uvicorn; zero errors; p50/p99 printed.

The figures in docs/benchmarks.md come from `python tests/test_web_load.py` (more requests); the test asserts
zero errors and a loose p99 bound only, as CI machines differ."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

CLIENTS = 50
PATHS = [("/api/params", {"model": "llama-2-7b"}),
         ("/api/memory", {"model": "llama-3.1-8b", "gpu": "h100-sxm", "weights": "Q4_K_M"}),
         ("/api/fit", {"model": "llama-3.1-70b", "gpu": "h100-sxm"})]


def start_server():
    """`paramscope serve` in its own process (the client must not share the server's interpreter lock)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "paramscope", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("paramscope serve did not start")


async def _load(base: str, total: int, clients: int = CLIENTS) -> dict:
    lat: dict[str, list[float]] = {p: [] for p, _ in PATHS}
    errors: list[str] = []
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(PATHS[i % len(PATHS)])
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for p, q in PATHS:  # one cold call each (the cache's first fill), not timed
            r = await client.get(p, params=q)
            assert r.status_code == 200, r.text

        async def worker():
            while True:
                try:
                    p, q = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                try:
                    r = await client.get(p, params=q)
                    if r.status_code != 200:
                        errors.append(f"{p}: {r.status_code}")
                except httpx.HTTPError as exc:
                    errors.append(f"{p}: {type(exc).__name__}")
                lat[p].append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    every = [x for v in lat.values() for x in v]
    out = {"requests": total, "clients": clients, "errors": errors, "wall_s": wall, "rps": total / wall}
    for name, xs in [("all", every), *lat.items()]:
        xs = sorted(xs)
        out[name] = {"p50_ms": 1e3 * statistics.median(xs), "p99_ms": 1e3 * xs[int(0.99 * (len(xs) - 1))]}
    return out


def report(res: dict) -> str:
    lines = [f"{res['requests']} requests, {res['clients']} concurrent clients, {res['rps']:,.0f} req/s, "
             f"errors {len(res['errors'])}"]
    for k in ["all", *[p for p, _ in PATHS]]:
        lines.append(f"  {k:12} p50 {res[k]['p50_ms']:6.1f} ms   p99 {res[k]['p99_ms']:6.1f} ms")
    return "\n".join(lines)


def test_fifty_clients_zero_errors():
    proc, base = start_server()
    try:
        res = asyncio.run(_load(base, total=1500))
    finally:
        proc.terminate()
        proc.wait(10)
    print(report(res))
    assert res["errors"] == []
    assert res["all"]["p99_ms"] < 5000  # loose: CI machines differ; the target and figures: docs/benchmarks.md


if __name__ == "__main__":
    proc, base = start_server()
    res = asyncio.run(_load(base, total=6000))
    print(report(res))
    proc.terminate()
