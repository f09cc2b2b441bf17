"""What ``vrstore loadtest --arrivals`` measured: the waiting line as its shoppers saw it, and the admitted shoppers'
poses (latency and delivery by :func:`loadtest.report.analyse`, over the measuring window only).

Definitions (the same as ``bench/waiting_line.py``, with the server's own admission time instead of a poll's):

- **Admission time** of a ticket: its first ``admitted`` status says ``admitted_for_s``, the seconds left of the
  admission window, so ``received + admitted_for_s`` is the server's admission moment plus the (constant) window.
  The window is the largest ``admitted_for_s`` seen in the run (the freshest answer); the estimate is kept between
  the ticket's last ``waiting`` poll and its first ``admitted`` one. Polls every 1–5 s would blur it by as much.
- **FIFO violation**: a pair of tickets where one was certainly taken first (its ``POST`` answered before the other
  was sent) yet admitted more than 1 s later (the admitter works once a second). Tickets taken in the pre-queue,
  before the sale opens, are exempt: the opening shuffles them on purpose.
- **ETA error**: for each ticket that waited at least ``--eta-after`` seconds, the first estimated wait it was
  given from then on against what it then waited: ``|actual − predicted| / actual`` (actual ≥ 1 s), median.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table
from sortedcontainers import SortedList

from loadtest.report import analyse, server_summary

FIFO_TOLERANCE_S = 1.0


@dataclass(slots=True)
class TicketLog:
    """One shopper's ticket, as its waiting page saw it (wall-clock seconds)."""

    taken_sent: float
    taken_recv: float
    phase: str  # at take: "prequeue" tickets are exempt from FIFO
    position: int | None
    polls: int = 0
    last_waiting: float = 0.0  # when the latest status that was not "admitted" yet was asked for
    eta_at: float | None = None  # when it got the estimate ETA error is judged on (waited ≥ --eta-after)
    eta_s: float | None = None
    eta_position: int | None = None
    admitted_seen: float | None = None  # when its first "admitted" status arrived
    admitted_for_s: float | None = None  # what that status said was left of the admission window
    lapsed: int = 0  # turns that passed unused (the page then takes a new ticket at the back)

    @property
    def admitted_key(self) -> float | None:
        """The server's admission moment plus its admission window (the same for every ticket)."""
        if self.admitted_seen is None or self.admitted_for_s is None:
            return None
        return self.admitted_seen + self.admitted_for_s


def admission_window(tickets: Iterable[TicketLog]) -> float | None:
    """The admission window as the run saw it: the largest ``admitted_for_s`` (the freshest answer)."""
    seen = [t.admitted_for_s for t in tickets if t.admitted_for_s is not None]
    return max(seen) if seen else None


def admitted_at(ticket: TicketLog, window_s: float) -> float | None:
    """When the server admitted this ticket (see the module docstring)."""
    key = ticket.admitted_key
    if key is None or ticket.admitted_seen is None:
        return None
    return min(max(key - window_s, ticket.last_waiting), ticket.admitted_seen)


def fifo_violations(tickets: Sequence[TicketLog], tolerance_s: float = FIFO_TOLERANCE_S) -> int:
    """Pairs (a, b) where a was certainly taken before b (a's answer arrived before b was sent) and a was admitted
    more than ``tolerance_s`` after b; pre-queue tickets and tickets never admitted are left out. O(n log n)."""
    items = [(t.taken_sent, t.taken_recv, key) for t in tickets
             if t.phase != "prequeue" and (key := t.admitted_key) is not None]
    by_recv = sorted(items, key=lambda x: x[1])
    earlier: SortedList = SortedList()  # admission keys of tickets certainly taken before the current one
    j = count = 0
    for sent, _, key in sorted(items, key=lambda x: x[0]):
        while j < len(by_recv) and by_recv[j][1] < sent:
            earlier.add(by_recv[j][2])
            j += 1
        count += len(earlier) - earlier.bisect_right(key + tolerance_s)
    return count


def eta_errors(tickets: Iterable[TicketLog], window_s: float | None) -> list[float]:
    """``|actual − predicted| / actual`` for every ticket with an estimate and an admission."""
    if window_s is None:
        return []
    out = []
    for t in tickets:
        at = admitted_at(t, window_s)
        if t.eta_at is None or t.eta_s is None or at is None:
            continue
        actual = max(1.0, at - t.eta_at)
        out.append(abs(actual - t.eta_s) / actual)
    return out


Floats = Sequence[float] | NDArray[np.float64]


def percentiles(values: Floats, qs: Sequence[float]) -> list[float | None]:
    if not len(values):
        return [None] * len(qs)
    return [round(float(v), 1) for v in np.percentile(np.asarray(values, dtype=float), qs)]


def overdue(tickets: Iterable[TicketLog], end: float) -> int:
    """Estimates judged by :func:`eta_errors` never could be for tickets still waiting at ``end``; those whose
    predicted admission had already passed by then are counted here (their error is at least that overrun)."""
    return sum(1 for t in tickets if t.admitted_seen is None and t.eta_at is not None and t.eta_s is not None
               and t.eta_at + t.eta_s < end)


def line_summary(tickets: Sequence[TicketLog], status_ms: Floats, status_errors: Counter[str],
                 take_ms: Floats, end: float) -> dict[str, Any]:
    """The waiting line's figures: FIFO, ETA error, waits, and the status endpoint as the pages saw it."""
    window = admission_window(tickets)
    errors = eta_errors(tickets, window)
    waits = [at - t.taken_recv for t in tickets if window is not None and (at := admitted_at(t, window)) is not None]
    p50, p99 = percentiles(status_ms, [50, 99])
    t50, t99 = percentiles(take_ms, [50, 99])
    w50, w90, wmax = percentiles(waits, [50, 90, 100])
    return {
        "fifo_violations": fifo_violations(tickets),
        "fifo_exempt_prequeue": sum(t.phase == "prequeue" for t in tickets),
        "eta_error_median_percent": round(100 * statistics.median(errors), 1) if errors else None,
        "eta_predictions": len(errors),
        "eta_overdue_at_end": overdue(tickets, end),
        "admission_window_s": None if window is None else round(window, 1),
        "wait_s": {"p50": w50, "p90": w90, "max": wmax, "admitted": len(waits)},
        "lapsed": sum(t.lapsed for t in tickets),
        "status_ms": {"p50": p50, "p99": p99, "requests": len(status_ms), "errors": dict(status_errors)},
        "take_ms": {"p50": t50, "p99": t99, "requests": len(take_ms)},
    }


def poses_summary(stats: dict[str, Any]) -> dict[str, Any]:
    """The parts of :func:`loadtest.report.analyse` the arrivals report shows."""
    lat, dl = stats["latency_ms"], stats["delivered"]
    return {"latency_ms": lat, "delivered_share": dl["share"], "delivered": dl["delivered"],
            "expected": dl["expected"]}


def pose_figures(results: Sequence[Any], from_line: set[tuple[str, int, int]], t0: float,
                 t1: float) -> dict[str, Any]:
    """Latency and delivery over ``[t0, t1)`` for every observer inside, and for those admitted from the line."""
    senders = {k: np.frombuffer(v, dtype=np.int64) for r in results for k, v in r.senders.items()}
    observers = [o for r in results for o in r.observers]
    queued = [o for o in observers if (o.store, o.instance, o.peer_id) in from_line]
    return {"observers": len(observers), "observers_from_line": len(queued),
            "inside": poses_summary(analyse(observers, senders, t0 * 1000.0, t1 * 1000.0)),
            "from_line": poses_summary(analyse(queued, senders, t0 * 1000.0, t1 * 1000.0))}


def summarize_arrivals(results: Sequence[Any], *, config: dict[str, Any], t0: float, t1: float,
                       server_before: dict[str, float], server_after: dict[str, float], server_window: float,
                       server_local: dict[str, Any], generator_cpu: dict[str, Any],
                       line_peak: tuple[int | None, int | None],
                       server_extra: dict[str, Any]) -> dict[str, Any]:
    """Everything the report prints and the JSON file holds (``results``: the workers' ``ArrivalResult``)."""
    logs = [a for r in results for a in r.arrivals]
    failures = Counter(str(a.reason) for a in logs if a.outcome == "failed")
    outcomes = Counter(a.outcome for a in logs)
    tickets = [a.ticket for a in logs if a.ticket is not None]
    status_errors: Counter[str] = Counter()
    for r in results:
        status_errors.update(r.status_errors)
    status_ms = np.concatenate([np.zeros(0)] + [np.frombuffer(r.status_ms, dtype=np.float64) for r in results])
    take_ms = np.concatenate([np.zeros(0)] + [np.frombuffer(r.take_ms, dtype=np.float64) for r in results])
    from_line = {a.peer for a in logs if a.outcome == "line" and a.peer is not None}
    lag = np.concatenate([np.asarray(r.send_lag_ms) for r in results]) if results else np.zeros(0)
    lag_p99 = round(float(np.percentile(lag, 99)), 1) if len(lag) else None
    errors: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    for r in results:
        errors.update(r.errors)
        dropped.update(r.dropped)
    return {
        "config": config,
        "window_s": round(t1 - t0, 2),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "arrivals": {
            "scheduled": len(logs),
            "arrived": sum(a.arrived for a in logs),
            "entered_directly": outcomes["direct"],
            "queued": sum(a.busy for a in logs),
            "admitted_from_line": sum(1 for t in tickets if t.admitted_seen is not None),
            "entered_from_line": outcomes["line"],
            "still_waiting": outcomes["waiting"],
            "failures": dict(failures),
            "failures_total": sum(failures.values()),
        },
        "line_peak": line_peak[0],  # from the organizer's view (--organizer), sampled every second
        "admitted_not_entered_peak": line_peak[1],
        "line": line_summary(tickets, status_ms, status_errors, take_ms, t1) | {"http_pool": {
            "waits": sum(r.pool_waits for r in results),
            "wait_s_total": round(sum(r.pool_wait_s for r in results), 1),
            "connections": config.get("http_concurrency")}},
        "poses": pose_figures(results, from_line, t0, t1),
        "dropped": dict(dropped),  # connections the server closed while the shopper was inside
        "errors": dict(errors),  # ``error`` messages received inside, by code
        "sent_poses_per_s": round(sum(r.poses_sent for r in results) / max(1e-9, t1 - t0), 1),
        "server": server_summary(server_before, server_after, server_window, server_local) | server_extra,
        "generator": {**generator_cpu, "send_lag_p99_ms": lag_p99,
                      "arrival_late_ms": dict(zip(("p50", "p99", "max"), percentiles(
                          [1000.0 * a.late_s for a in logs], [50, 99, 100]), strict=True))},
    }


def _fmt(v: Any, unit: str = "") -> str:
    return "n/a" if v is None else f"{v}{unit}"


def _share(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.2f} %"


def render(console: Console, s: dict[str, Any]) -> None:
    """The rich table, then plain lines scripts can grep (``p99 <n> ms``, ``fifo violations <n>``)."""
    cfg, a, line, srv, gen = s["config"], s["arrivals"], s["line"], s["server"], s["generator"]
    poses = s["poses"]
    table = Table(title=f"vrstore loadtest: {cfg['arrivals']} arrivals over {cfg['over']:g} s in "
                  f"{', '.join(cfg['stores'])}, then {cfg['duration']:g} s measured; {cfg['processes']} process(es)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    failed = f" {a['failures']}" if a["failures"] else ""
    st, tk, wait = line["status_ms"], line["take_ms"], line["wait_s"]
    inside, queued = poses["inside"], poses["from_line"]
    rows = [
        ("arrivals (scheduled / arrived)", f"{a['scheduled']} / {a['arrived']}"),
        ("entered directly", str(a["entered_directly"])),
        ("queued (told busy, took a ticket)", str(a["queued"])),
        ("admitted from the line / entered", f"{a['admitted_from_line']} / {a['entered_from_line']}"),
        ("still waiting at the end", str(a["still_waiting"])),
        ("refused / failed", f"{a['failures_total']}{failed}"),
        ("line peak / admitted not entered peak", f"{_fmt(s['line_peak'])} / {_fmt(s['admitted_not_entered_peak'])}"
         " (organizer view)"),
        ("wait p50 / p90 / max", f"{_fmt(wait['p50'])} / {_fmt(wait['p90'])} / {_fmt(wait['max'])} s"),
        ("FIFO violations", f"{line['fifo_violations']}"
         + (f" ({line['fifo_exempt_prequeue']} pre-queue tickets exempt)" if line["fifo_exempt_prequeue"] else "")),
        ("ETA error median", _fmt(line["eta_error_median_percent"], " %")
         + f" of {line['eta_predictions']} (waited ≥ {cfg['eta_after']:g} s)"
         + (f"; {line['eta_overdue_at_end']} overdue at the end" if line["eta_overdue_at_end"] else "")),
        ("status p50 / p99 (requests)", f"{_fmt(st['p50'])} / {_fmt(st['p99'])} ms ({st['requests']}"
         + (f", errors {st['errors']}" if st["errors"] else "") + ")"),
        ("ticket take p50 / p99", f"{_fmt(tk['p50'])} / {_fmt(tk['p99'])} ms ({tk['requests']})"),
        ("generator HTTP pool waits", f"{line['http_pool']['waits']} calls, {line['http_pool']['wait_s_total']} s "
         f"(left out of the latencies; {line['http_pool']['connections']} connections)"),
        ("admitted shoppers: pose p50/p99", f"{_fmt(queued['latency_ms']['p50'])} / "
         f"{_fmt(queued['latency_ms']['p99'])} ms ({poses['observers_from_line']} observers)"),
        ("admitted shoppers: delivered", _share(queued["delivered_share"]) + f" of {queued['expected']}"),
        ("everyone inside: pose p50/p99", f"{_fmt(inside['latency_ms']['p50'])} / "
         f"{_fmt(inside['latency_ms']['p99'])} ms ({poses['observers']} observers)"),
        ("everyone inside: delivered", _share(inside["delivered_share"]) + f" of {inside['expected']}"),
        ("server CPU arrivals / window", f"{_fmt(srv['cpu_percent_arrivals'], ' %')} / "
         f"{_fmt(srv['cpu_percent'], ' %')}"),
        ("server RSS end / peak", f"{_fmt(srv['rss_mib'], ' MiB')} / {_fmt(srv['rss_peak_mib'], ' MiB')}"
         + f" ({srv['measured_by']})"),
        ("server tick mean / p99", f"{_fmt(srv['tick_mean_ms'])} / ≤{_fmt(srv['tick_p99_ms_bucket'])} ms"),
        ("generator CPU arrivals / window", f"{gen['cpu_percent_arrivals']} / {gen['cpu_percent']} % "
         f"(busiest process {gen['max_process_percent']} %)" + (" [red]SATURATED[/red]" if gen["saturated"] else "")),
        ("generator send lag p99", _fmt(gen["send_lag_p99_ms"], " ms")),
        ("arrivals late p50 / p99 / max", " / ".join(_fmt(gen["arrival_late_ms"][k]) for k in ("p50", "p99", "max"))
         + " ms (behind the curve)"),
        ("load average", " ".join(str(v) for v in s["load_average"])),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    print(f"admitted shoppers: pose p99 {_fmt(queued['latency_ms']['p99'])} ms  delivered "
          f"{_share(queued['delivered_share'])}", flush=True)
    print(f"fifo violations {line['fifo_violations']}  eta error median "
          f"{_fmt(line['eta_error_median_percent'], ' %')}  status p99 {_fmt(st['p99'])} ms", flush=True)
