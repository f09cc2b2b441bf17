"""A 100,000-product store beside everybody else (issue 16): what its import and its product document cost the
server and the other users of the same process.

One server process on the demo festival. Baselines first (same run, idle server): /healthz, another merchant's
11 KB image upload and a shopper's checkout. Then a 100,000-row native CSV (inside the 20 MB catalog limit) is
imported into one store while /healthz is polled every 20 ms and the small merchant uploads and the shopper
checks out; the server's RSS is sampled every 100 ms. Then the big store is read as shoppers' clients do: the
store resource, the product snapshot (first request renders it; then four at once; then a revalidation), with
/healthz polled beside. Prints a table, writes JSON.

Before this issue (the issue's own figures, same kind of box): one GET of such a store took 7.5 s and 35.7 MiB
on the loop, four at once 48 s each with /healthz up to 19.9 s; during the import an 11 KB image upload took
11.9 s and a checkout 3.9 s, RSS peaked at 752 MiB.

Run: ``.venv/bin/python bench/big_store.py [--products 100000]``
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

import _server  # noqa: E402
from realtime import console, progress  # noqa: E402
from rich.table import Table  # noqa: E402

BIG, SMALL, FESTIVAL = "hyundai-dept", "cu-plaza", "korea-sale-festa"


def seed(data_dir: Path) -> dict[str, str]:
    """The demo festival; returns the merchant token of every store (printed by ``vrstore demo``)."""
    import os

    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_LOG_LEVEL": "WARNING", "COLUMNS": "400"}
    out = subprocess.run([sys.executable, "-m", "server", "demo", "--seed-only"], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    return dict(re.findall(r"store (\S+): .*merchant token (\S+)", out))


def catalog_csv(n: int) -> bytes:
    lines = ["sku,name_ko,name_en,price,stock,category"]
    lines += [f"BIG-{i:06d},겨울 니트 {i},Winter knit {i},{19_900 + i % 50_000},{5 + i % 20},의류/니트"
              for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((64, 64), 60).convert("RGB").save(out, format="PNG")
    return out.getvalue()


async def timed(coro: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await coro
    return (time.perf_counter() - started) * 1000, result


class Sampler:
    """/healthz every ``every_s`` and the server's RSS every 100 ms, until stopped."""

    def __init__(self, http: aiohttp.ClientSession, url: str, pid: int, every_s: float = 0.02) -> None:
        self.http, self.url, self.proc, self.every = http, url, psutil.Process(pid), every_s
        self.health: list[float] = []
        self.rss: list[float] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Sampler:
        self._tasks = [asyncio.create_task(self._poll()), asyncio.create_task(self._memory())]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _poll(self) -> None:
        while not self._stop.is_set():
            took, r = await timed(self.http.get(self.url + "/healthz"))
            r.release()
            self.health.append(took)
            await asyncio.sleep(self.every)

    async def _memory(self) -> None:
        while not self._stop.is_set():
            self.rss.append(self.proc.memory_info().rss / 2**20)
            await asyncio.sleep(0.1)

    def summary(self) -> dict[str, Any]:
        h = sorted(self.health)
        return {"healthz_p50_ms": round(h[len(h) // 2], 1), "healthz_max_ms": round(h[-1], 1),
                "healthz_samples": len(h), "rss_peak_mib": round(max(self.rss), 1)}


async def shopper_checkout(http: aiohttp.ClientSession, url: str, key: str) -> float:
    async with http.post(url + "/api/v1/sessions", json={"display_name": "민지"}) as r:
        auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
    async with http.post(url + "/api/v1/carts", headers=auth) as r:
        cart = (await r.json())["id"]
    async with http.get(f"{url}/api/v1/stores/{SMALL}/products?limit=200") as r:
        sku = next(p["sku"] for p in (await r.json())["items"] if p["stock"] >= 5)
    async with http.post(f"{url}/api/v1/carts/{cart}/lines", json={"store": SMALL, "sku": sku, "quantity": 1},
                         headers=auth) as r:
        assert r.status == 201, await r.text()
    body = {"fulfilment": {"type": "delivery", "address": {"name": "김민지", "phone": "010-1234-5678",
                                                           "line1": "세종대로 110", "city": "서울",
                                                           "postal_code": "04524"}},
            "payment": {"provider": "test", "token": "tok_visa"}}
    took, r = await timed(http.post(f"{url}/api/v1/carts/{cart}/checkout", json=body,
                                    headers={**auth, "Idempotency-Key": key}))
    assert r.status == 201, await r.text()
    return took


async def upload_image(http: aiohttp.ClientSession, url: str, token: str, image: bytes) -> float:
    async with http.get(f"{url}/api/v1/stores/{SMALL}/products?limit=1") as r:
        sku = (await r.json())["items"][0]["sku"]
    took, r = await timed(http.put(f"{url}/api/v1/stores/{SMALL}/products/{sku}/image", data=image,
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}))
    assert r.status == 200, await r.text()
    return took


async def run(url: str, pid: int, tokens: dict[str, str], n: int) -> dict[str, Any]:
    out: dict[str, Any] = {"products": n}
    image, csv = png(), catalog_csv(n)
    out["catalog_mib"], out["image_kib"] = round(len(csv) / 2**20, 1), round(len(image) / 1024, 1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with Sampler(http, url, pid) as idle:
            out["baseline_upload_ms"] = round(statistics.median(
                [await upload_image(http, url, tokens[SMALL], image) for _ in range(3)]), 1)
            out["baseline_checkout_ms"] = round(statistics.median(
                [await shopper_checkout(http, url, f"base-{i}") for i in range(3)]), 1)
        out["baseline"] = idle.summary()
        progress.print(f"importing {n:,} rows ({out['catalog_mib']} MiB) …")
        async with Sampler(http, url, pid) as during:
            started = time.perf_counter()
            put = asyncio.create_task(http.put(f"{url}/api/v1/stores/{BIG}/catalog", data=csv, headers={
                "Authorization": f"Bearer {tokens[BIG]}", "Content-Type": "text/csv"}))
            await asyncio.sleep(0.5)  # the upload is in and the import under way
            out["import_upload_ms"] = round(await upload_image(http, url, tokens[SMALL], image), 1)
            out["import_checkout_ms"] = round(await shopper_checkout(http, url, "during"), 1)
            r = await put
            report = await r.json()
            assert r.status == 200 and report["imported"] == n, report
            out["import_s"] = round(time.perf_counter() - started, 1)
        out["during_import"] = during.summary()
        progress.print("reading the big store …")
        async with Sampler(http, url, pid) as reading:
            took, r = await timed(http.get(f"{url}/api/v1/stores/{BIG}"))
            store = await r.json()
            out["store_get_ms"], out["store_bytes"] = round(took, 1), len(await r.read())
            snapshot = url + store["snapshot"]
            took, r = await timed(http.get(snapshot, auto_decompress=False))
            out["snapshot_first_ms"], out["snapshot_gzip_mib"] = round(took, 1), round(len(await r.read()) / 2**20, 2)
            etag = r.headers["ETag"]
            concurrent = await asyncio.gather(*(timed(http.get(snapshot)) for _ in range(4)))
            for _, resp in concurrent:  # parsed off this loop: 36 MB of JSON would delay the /healthz polls here
                assert len((await asyncio.to_thread(json.loads, await resp.read()))["products"]) == n
            out["snapshot_4_at_once_max_ms"] = round(max(t for t, _ in concurrent), 1)
            took, r = await timed(http.get(snapshot, headers={"If-None-Match": etag}))
            assert r.status == 304
            out["snapshot_revalidate_ms"] = round(took, 1)
        out["reading"] = reading.summary()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "big_store.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-big-") as tmp:
        data = Path(tmp) / "data"
        progress.print("seeding the demo festival …")
        tokens = seed(data)
        server = _server.start(data)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        try:
            result = asyncio.run(run(server.url, server.process.pid, tokens, args.products))
        finally:
            server.stop()
        result["generator_cpu_percent"] = round(100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0), 1)
    table = Table(title=f"A {args.products:,}-product store beside everybody else (one server process; generator "
                        f"on the same machine at {result['generator_cpu_percent']} % CPU)")
    for col in ("measure", "baseline (idle, same run)", "during the import", "reading the big store"):
        table.add_column(col, justify="right")
    b, d, rd = result["baseline"], result["during_import"], result["reading"]
    table.add_row("/healthz p50 / max ms", f"{b['healthz_p50_ms']} / {b['healthz_max_ms']}",
                  f"{d['healthz_p50_ms']} / {d['healthz_max_ms']}", f"{rd['healthz_p50_ms']} / {rd['healthz_max_ms']}")
    table.add_row("other merchant's image upload ms", str(result["baseline_upload_ms"]),
                  str(result["import_upload_ms"]), "")
    table.add_row("shopper checkout ms", str(result["baseline_checkout_ms"]), str(result["import_checkout_ms"]), "")
    table.add_row("server RSS peak MiB", str(b["rss_peak_mib"]), str(d["rss_peak_mib"]), str(rd["rss_peak_mib"]))
    table.add_row("import", "", f"{result['import_s']} s for {result['catalog_mib']} MiB", "")
    table.add_row("GET /stores/{s}", "", "", f"{result['store_get_ms']} ms, {result['store_bytes']} B")
    table.add_row("snapshot: first / 4 at once / 304", "", "",
                  f"{result['snapshot_first_ms']} / {result['snapshot_4_at_once_max_ms']} / "
                  f"{result['snapshot_revalidate_ms']} ms ({result['snapshot_gzip_mib']} MiB gzip)")
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
