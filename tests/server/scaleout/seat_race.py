"""One OS process of the cross-process capacity race (run by test_seats.py, not collected by pytest).

argv: redis url, key prefix, label, ledgers, claims per ledger, capacity, max instances. Prints ``ready``,
waits for ``go`` on stdin, fires every claim at once, prints one JSON line {worker: [instance or reason]},
then waits for ``exit`` so its seats stay alive while the test counts them.
"""

from __future__ import annotations

import asyncio
import json
import sys

from server.live.cluster.seats import RedisSeatLedger


async def main(url: str, prefix: str, label: str, ledgers: int, claims: int, capacity: int, max_inst: int) -> None:
    # Several ledgers (worker ids) per process: each has its own lock, so claims interleave inside the process
    # as well as across processes.
    workers = [RedisSeatLedger(url, worker=f"{label}-{i}", prefix=prefix, ttl_s=60, op_timeout_s=10)
               for i in range(ledgers)]
    for w in workers:
        await w.heartbeat()
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    assert (await loop.run_in_executor(None, sys.stdin.readline)).strip() == "go"

    async def run(w: RedisSeatLedger) -> list[int | str]:
        results = await asyncio.gather(*(w.claim("s", capacity=capacity, max_instances=max_inst)
                                         for _ in range(claims)))
        return [r if isinstance(r, int) else r.reason for r in results]

    got = await asyncio.gather(*(run(w) for w in workers))
    print(json.dumps({w.worker: r for w, r in zip(workers, got, strict=True)}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    for w in workers:
        await w.close()


if __name__ == "__main__":
    url, prefix, label, *numbers = sys.argv[1:]
    asyncio.run(main(url, prefix, label, *(int(n) for n in numbers)))  # type: ignore[arg-type]
