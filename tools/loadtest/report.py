"""What ``vrstore loadtest`` measured: latency and delivery from the observers' logs, server and generator load.

**Latency** is measured on observers: for every distinct pose sample ``(sender, client time)`` an observer
receives, the wall-clock time of its *first* arrival minus the sender's clock at sending (both processes share
the machine's clock). It includes the wait for the next tick (up to one tick period, 100 ms at 10 Hz).

**Delivered share** (:data:`DELIVERY_DEFINITION`): the server relays only each peer's latest pose at each tick
(a pose replaced by a newer one before the tick is superseded, not lost) and sends far peers (> 10 m) every
other tick. So for each observer O and each sender S while S is in O's interest set — a *run* of O's tick
frames that carry S, broken when two consecutive received frames lack it — every pose S sent between the first
and last sample O got in that run is *expected*, and it is *delivered* when O received that pose or a newer one
of S within ``2 / tick_hz + 50 ms`` (250 ms at 10 Hz: a far peer's alternate tick plus slack) of its sending.
Lost tick frames, skipped ticks and a server that falls behind reading poses all lower it; sampling does not.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from loadtest.worker import ObserverLog, WorkerResult

DELIVERY_DEFINITION: Final = (
    "poses a sender sent while in an observer's interest set that reached the observer (that pose or a newer one "
    "of the same sender) within 2 tick periods + 50 ms, over all such poses"
)
SLACK_MS: Final = 50.0
LAGGING_MS: Final = 50.0  # generator send-loop lag (p99) above which its own delays distort the latency


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text → ``{'name{label="v"}': value}`` (labels sorted), histogram buckets included."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = float(s.value)
    return out


def _delta(before: dict[str, float], after: dict[str, float], name: str) -> float | None:
    if name not in after:
        return None
    return after[name] - before.get(name, 0.0)


def _tick_p99(before: dict[str, float], after: dict[str, float]) -> float | None:
    """Upper bound (ms) of the histogram bucket holding the 99th percentile of ticks in the window."""
    prefix = "vrstore_live_tick_seconds_bucket{le=\""
    buckets = sorted((float(k[len(prefix):-2]), after[k] - before.get(k, 0.0)) for k in after if k.startswith(prefix))
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    for le, cumulative in buckets:
        if cumulative >= 0.99 * total:
            return le * 1000.0
    return None


def server_summary(before: dict[str, float], after: dict[str, float], duration: float,
                   local: dict[str, Any] | None = None) -> dict[str, Any]:
    """Server CPU, memory, tick time and drops over the window from two ``/metrics`` scrapes; CPU and RSS from
    ``local`` (psutil on the server's process, exact at the window's edges) when the server runs here."""
    cpu = _delta(before, after, "process_cpu_seconds_total")
    ticks = _delta(before, after, "vrstore_live_tick_seconds_count") or 0.0
    tick_sum = _delta(before, after, "vrstore_live_tick_seconds_sum") or 0.0
    closes = {k.split('"')[1]: after[k] - before.get(k, 0.0) for k in after
              if k.startswith("vrstore_live_closes_total{") and after[k] - before.get(k, 0.0) > 0}
    rss = after.get("process_resident_memory_bytes")
    local = local or {}
    return {
        # a saturated server answers /metrics late; the tick figures then cover a shifted window
        "scrape_delay_s": local.get("scrape_delay_s"),
        "cpu_percent": local.get("cpu_percent", None if cpu is None else round(100.0 * cpu / duration, 1)),
        "rss_mib": local.get("rss_mib", None if rss is None else round(rss / 2**20, 1)),
        "measured_by": "psutil" if "cpu_percent" in local else "/metrics",
        "processes": local.get("processes", 1),  # tick figures come from /metrics of whichever worker answered
        "max_process_percent": local.get("max_process_percent"),
        "watched_cpu_percent": local.get("watched_cpu_percent"),  # LoadtestConfig.watch_pids (database, Redis)
        "metrics_cpu_percent": None if cpu is None else round(100.0 * cpu / duration, 1),
        "ticks_per_s": round(ticks / duration, 2),
        "tick_mean_ms": round(1000.0 * tick_sum / ticks, 2) if ticks else None,
        "tick_p99_ms_bucket": _tick_p99(before, after),
        "tick_busy_percent": round(100.0 * tick_sum / duration, 1),
        "queue_drops": _delta(before, after, "vrstore_live_queue_drops_total"),
        "closes": closes,
        "shoppers_gauge": after.get("vrstore_live_shoppers"),
    }


def _groups(rc: NDArray[np.int64]) -> Iterable[tuple[int, NDArray[np.int64]]]:
    """Records grouped by sender, each group sorted by tick sequence number."""
    if not len(rc):
        return
    rc = rc[np.lexsort((rc[:, 0], rc[:, 1]))]
    cuts = np.flatnonzero(np.diff(rc[:, 1])) + 1
    for g in np.split(rc, cuts):
        yield int(g[0, 1]), g


def analyse(observers: list[ObserverLog], senders: dict[tuple[str, int, int], NDArray[np.int64]],
            t0_ms: float, t1_ms: float) -> dict[str, Any]:
    """Latency percentiles, delivered share and received pose rates from the observers' logs."""
    latencies: list[NDArray[np.int64]] = []
    expected = delivered = sampled = 0
    distinct = frames = records = 0
    for o in observers:
        deadline = 2000.0 / o.tick_hz + SLACK_MS
        fr = np.frombuffer(o.frames, dtype=np.int64).reshape(-1, 2)
        rc = np.frombuffer(o.records, dtype=np.int64).reshape(-1, 4)
        in_window = (fr[:, 1] >= t0_ms) & (fr[:, 1] < t1_ms)
        frames += int(in_window.sum())
        records += int(((rc[:, 3] >= t0_ms) & (rc[:, 3] < t1_ms)).sum())
        seqs = np.unique(fr[:, 0])
        for sid, g in _groups(rc):
            ts, first = np.unique(g[:, 2], return_index=True)  # g is in arrival order within a sender
            arrivals = g[first, 3]
            keep = (ts >= t0_ms) & (ts < t1_ms)
            latencies.append(arrivals[keep] - ts[keep])
            distinct += int(keep.sum())
            sent = senders.get((o.store, o.instance, sid))
            if sent is None:
                continue
            pos = np.searchsorted(seqs, g[:, 0])
            for run in np.split(g, np.flatnonzero(np.diff(pos) > 2) + 1):
                rt, rr = run[:, 2], run[:, 3]
                lo, hi = max(float(rt.min()), t0_ms), min(float(rt.max()), t1_ms - deadline)
                exp = sent[(sent >= lo) & (sent <= hi)]
                if not len(exp):
                    continue
                order = np.argsort(rt, kind="stable")
                rts, best = rt[order], np.minimum.accumulate(rr[order][::-1])[::-1]  # earliest arrival of ≥ t
                idx = np.searchsorted(rts, exp)
                ok = idx < len(rts)
                ok[ok] = best[idx[ok]] <= exp[ok] + deadline
                expected += len(exp)
                delivered += int(ok.sum())
                sampled += int(np.isin(exp, rts).sum())
    lat = np.concatenate(latencies) if latencies else np.zeros(0, dtype=np.int64)
    pct = [round(float(v), 1) for v in np.percentile(lat, [50, 95, 99])] if len(lat) else [None] * 3
    return {
        "latency_ms": {"p50": pct[0], "p95": pct[1], "p99": pct[2],
                       "max": float(lat.max()) if len(lat) else None, "samples": len(lat)},
        "delivered": {"share": round(delivered / expected, 4) if expected else None, "delivered": delivered,
                      "expected": expected, "exact_sample_share": round(sampled / expected, 4) if expected else None,
                      "definition": DELIVERY_DEFINITION},
        "observer_frames": frames,
        "records_per_frame": round(records / frames, 1) if frames else None,
        "distinct_samples": distinct,
    }


def summarize(results: list[WorkerResult], *, config: dict[str, Any], duration: float, t0: float, t1: float,
              server_before: dict[str, float], server_after: dict[str, float], server_window: float,
              generator_cpu: dict[str, Any], sessions_failed: int,
              server_local: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report prints and the JSON file holds."""
    connected = sum(r.connected for r in results)
    failures: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for r in results:
        failures.update(r.failures)
        dropped.update(r.dropped)
        errors.update(r.errors)
    if sessions_failed:
        failures["session"] += sessions_failed
    senders = {k: np.frombuffer(v, dtype=np.int64) for r in results for k, v in r.senders.items()}
    observers = [o for r in results for o in r.observers]
    stats = analyse(observers, senders, t0 * 1000.0, t1 * 1000.0)
    per_observer = stats["distinct_samples"] / duration / len(observers) if observers else 0.0
    lag = np.concatenate([np.asarray(r.send_lag_ms) for r in results]) if results else np.zeros(0)
    lag_p99 = round(float(np.percentile(lag, 99)), 1) if len(lag) else None
    return {
        "config": config,
        "duration_s": round(duration, 2),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "connected": connected,
        "failures": dict(failures),
        "failures_total": sum(failures.values()),
        "dropped": dict(dropped),
        "errors": dict(errors),
        "observers": len(observers),
        **stats,
        "poses_per_s": {"observers_total": round(stats["distinct_samples"] / duration, 1),
                        "per_shopper": round(per_observer, 1),
                        "extrapolated_all_shoppers": round(per_observer * connected, 0)},
        "sent_poses_per_s": round(sum(r.poses_sent for r in results) / duration, 1),
        "focus_sent": sum(r.focus_sent for r in results),
        "send_skipped": sum(r.send_skipped for r in results),
        "downstream": {"bytes_per_shopper_s": round(sum(r.bytes_in for r in results) / duration / max(1, connected),
                                                    1),
                       "frames_per_shopper_s": round(sum(r.frames_in for r in results) / duration / max(1, connected),
                                                     2)},
        "server": server_summary(server_before, server_after, server_window, server_local),
        "generator": {**generator_cpu, "send_lag_p99_ms": lag_p99,
                      # its pacing loop woke late: its own delays are inside the latency figures
                      "lagging": lag_p99 is not None and lag_p99 > LAGGING_MS},
    }


def _fmt(v: Any, unit: str = "") -> str:
    return "n/a" if v is None else f"{v}{unit}"


def render(console: Console, s: dict[str, Any]) -> None:
    """The rich table, then plain summary lines (``p99 <n> ms`` among them) that scripts can grep."""
    cfg, lat, dl, srv, gen = s["config"], s["latency_ms"], s["delivered"], s["server"], s["generator"]
    table = Table(title=f"vrstore loadtest: {cfg['shoppers']} shoppers in {', '.join(cfg['stores'])}, "
                  f"{cfg['rate']} Hz, {s['duration_s']} s, {cfg['processes']} process(es)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    pps = s["poses_per_s"]
    rows = [
        ("connected / failures", f"{s['connected']} / {s['failures_total']} {s['failures'] or ''}"),
        ("connect time", f"{gen['connect_seconds']} s ({s['connected'] / max(0.1, gen['connect_seconds']):.0f}/s, "
                         f"ramp {cfg['ramp']:.1f} s)"),
        ("closed by server", _fmt(s["dropped"] or 0)),
        ("observers", str(s["observers"])),
        ("latency p50/p95/p99/max", f"{_fmt(lat['p50'])} / {_fmt(lat['p95'])} / {_fmt(lat['p99'])} / "
                                    f"{_fmt(lat['max'])} ms"),
        ("delivered share", _fmt(None if dl["share"] is None else round(100 * dl["share"], 2), " %")
         + f" of {dl['expected']}"),
        ("exact samples received", _fmt(None if dl["exact_sample_share"] is None
                                        else round(100 * dl["exact_sample_share"], 2), " %")),
        ("records per tick", _fmt(s["records_per_frame"])),
        ("delivered poses/s", f"observers {pps['observers_total']:.0f}, per shopper {pps['per_shopper']:.0f}, "
                              f"all ≈{pps['extrapolated_all_shoppers']:.0f}"),
        ("poses sent/s", f"{s['sent_poses_per_s']:.0f}"
                         + (f" ({s['send_skipped']} skipped: socket backed up)" if s["send_skipped"] else "")),
        ("down bytes/shopper/s", f"{s['downstream']['bytes_per_shopper_s']:.0f} B "
                                 f"({s['downstream']['frames_per_shopper_s']} frames)"),
        ("server CPU / RSS", f"{_fmt(srv['cpu_percent'], ' %')} / {_fmt(srv['rss_mib'], ' MiB')} "
                             f"({srv['measured_by']})"),
        ("server tick mean/p99/busy",
         f"{_fmt(srv['tick_mean_ms'])} / ≤{_fmt(srv['tick_p99_ms_bucket'])} ms / {srv['tick_busy_percent']} %"
         + (f" [yellow](/metrics {srv['scrape_delay_s']} s late)[/yellow]"
            if (srv["scrape_delay_s"] or 0) > 1 else "")),
        ("server drops / closes", f"{_fmt(srv['queue_drops'])} / {srv['closes'] or 0}"),
        ("generator CPU", f"{gen['cpu_percent']} % (busiest process {gen['max_process_percent']} %)"
         + (" [red]SATURATED[/red]" if gen["saturated"] else "")),
        ("generator send lag p99", _fmt(gen["send_lag_p99_ms"], " ms")
         + (" [yellow]LAGGING[/yellow]" if gen["lagging"] else "")),
        ("load average", " ".join(str(v) for v in s["load_average"])),
    ]
    if s["errors"]:
        rows.append(("error messages received", str(s["errors"])))
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    share = "n/a" if dl["share"] is None else f"{100 * dl['share']:.2f}%"
    print(f"latency p50 {_fmt(lat['p50'])} ms  p95 {_fmt(lat['p95'])} ms  p99 {_fmt(lat['p99'])} ms", flush=True)
    print(f"delivered {share} ({DELIVERY_DEFINITION})", flush=True)
