"""A shopper's first visit to a store, before and after the client's production build (issue #19).

Usage: .venv/bin/python bench/first_load.py [--store hyundai-dept] [--runs 1]

Starts ``vrstore demo`` (seeds the demo festival, serves it) and a second server on the same data with
``VRSTORE_CLIENT_BUILD=false`` (the unbundled ES modules, uncompressed: "before"), rebuilds the client if a
source is newer than the build, then opens the store in headless Chromium (SwiftShader) on each network of
tests/e2e/throttle.py plus an unthrottled visit (the CPU's share on this machine), a fresh browser context each
time. Prints a table (bytes and requests on the wire, time until the last needed byte arrived, time until
interactive) and writes bench/results/first_load.json. How each number is taken: tests/e2e/throttle.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests" / "e2e"), str(ROOT / "tests" / "support"), str(ROOT)]

from _server import free_port, wait_healthy  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from seeding import parse_tokens, seed_stores  # noqa: E402
from throttle import NETWORKS, UNTHROTTLED, Network, visit  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox", "--disable-gpu-sandbox",
                 "--ignore-gpu-blocklist", "--disable-background-networking", "--no-first-run"]
console = Console(width=150)


def launch(data_dir: Path, command: str, client_build: bool) -> Any:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_PORT": str(port), "VRSTORE_HOST": "127.0.0.1",
           "VRSTORE_LOG_LEVEL": "WARNING", "VRSTORE_ALLOWED_ORIGINS": json.dumps([url]), "VRSTORE_TEST_HOOKS": "true",
           "VRSTORE_CLIENT_BUILD": "true" if client_build else "false", "VRSTORE_RATE_LIMITS": "off",
           "PYTHONPATH": str(ROOT)}
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{command}-{port}.log"
    process = subprocess.Popen([sys.executable, "-m", "server", command], env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT, cwd=ROOT)
    return wait_healthy(url, env, process, log, timeout_s=180), log


def ensure_build() -> None:
    manifest = ROOT / "web_client" / "dist" / "manifest.json"
    fresh = manifest.is_file() and all(
        (ROOT / "web_client" / s).stat().st_mtime_ns <= manifest.stat().st_mtime_ns
        for s in json.loads(manifest.read_text())["sources"])
    if not fresh:
        node = shutil.which("node") or "node"
        subprocess.run([node, str(ROOT / "tools" / "build_client.mjs"), "--quiet"], cwd=ROOT, check=True)


def measure(browser: Any, url: str, network: Network, runs: int, built: bool) -> dict[str, Any]:
    visits = []
    while len(visits) < runs:
        if built:
            ensure_build()  # in a checkout someone may be editing: a stale build is not served
        context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="ko-KR")
        context.add_init_script("localStorage.setItem('vrstore.name', '벤치')")
        try:
            v = visit(context, url, network)
        finally:
            context.close()
        if built != any("/web/dist/" in r.url for r in v.responses):
            console.print("  (a source changed during the visit: the page was not the one asked for; again)")
            continue
        visits.append(v)
    best = min(visits, key=lambda v: v.interactive_ms)
    return {**best.summary(), "network_ms_median": statistics.median(v.network_ms for v in visits),
            "interactive_ms_median": statistics.median(v.interactive_ms for v in visits),
            "encodings": sorted({r.encoding for r in best.responses if r.encoding})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default="hyundai-dept")
    parser.add_argument("--runs", type=int, default=1, help="visits per cell (the table shows the median)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    ensure_build()
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"vrstore-first-load-{os.getpid()}"
    data = work / "data"
    servers = []
    try:
        after, log = launch(data, "demo", client_build=True)
        servers.append(after)
        organizer, merchants = parse_tokens(log.read_text(encoding="utf-8"))
        seed_stores(after.url, organizer, merchants)
        before, _ = launch(data, "serve", client_build=False)
        servers.append(before)
        rows: list[dict[str, Any]] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, server in (("before (modules)", before), ("after (build)", after)):
                for network in (*NETWORKS, UNTHROTTLED):
                    url = f"{server.url}/store/{args.store}?maxfps=30"
                    console.print(f"{label}, {network.name} …")
                    rows.append({"client": label, **measure(browser, url, network, args.runs, server is after)})
            browser.close()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"First visit to /store/{args.store} (median of {args.runs}; SwiftShader WebGL)")
    for column in ("client", "network", "bytes", "requests", "last byte (ms)", "interactive (ms)", "encodings"):
        table.add_column(column, justify="left" if column in ("client", "network", "encodings") else "right")
    for r in rows:
        table.add_row(r["client"], r["network"], f"{r['bytes']:,}", str(r["requests"]),
                      f"{r['network_ms_median']:,.0f}", f"{r['interactive_ms_median']:,.0f}",
                      ",".join(r["encodings"]) or "-")
    console.print(table)
    out = ROOT / "bench" / "results" / "first_load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"store": args.store, "runs": args.runs, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                               time.gmtime()), "rows": rows}, indent=1) + "\n")
    console.print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
