"""Time to the first exact number of the web app's page, in a real browser (Debian's chromium via Playwright).

    .venv/bin/python benchmarks/bench_web_page.py [--runs 10]

Starts `paramscope serve` in its own process, then for each run launches a NEW browser (nothing cached, the
cold case) and opens the page once, and then opens it again in a new context of that browser (a first visit
from a browser that is already running). Two clocks: the page's own (performance.mark "first-number" in
static/app.js: milliseconds from navigation start, what the page costs) and the wall clock from the
navigation call (what includes the browser's own start of a renderer process). Prints medians and maxima.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import time


def main() -> None:
    import httpx
    from playwright import sync_api

    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 10
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium (scripts/setup.sh test installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "paramscope", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        rows = {"cold browser": ([], []), "running browser, new context": ([], [])}
        with sync_api.sync_playwright() as p:
            for _ in range(runs):
                b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
                for label in rows:
                    ctx = b.new_context(viewport={"width": 1280, "height": 900})
                    page = ctx.new_page()
                    t0 = time.perf_counter()
                    page.goto(base + "/")
                    page.wait_for_selector("[data-testid=params-total]")
                    wall = time.perf_counter() - t0
                    mark = page.evaluate("performance.getEntriesByName('first-number')[0].startTime")
                    rows[label][0].append(mark)
                    rows[label][1].append(wall * 1e3)
                    ctx.close()
                b.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"{runs} runs; ms from navigation start (page clock) and from the navigation call (wall clock)")
    print("| case | page clock median | page clock max | wall median | wall max |")
    print("|---|---|---|---|---|")
    for label, (marks, walls) in rows.items():
        print(f"| {label} | {statistics.median(marks):.0f} | {max(marks):.0f} | {statistics.median(walls):.0f} | "
              f"{max(walls):.0f} |")


if __name__ == "__main__":
    main()
