"""Prometheus metrics, one registry per app so several apps (tests, workers) never collide."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from server import keys
from server.domain.events import Event, OrderChanged


class Metrics:
    """The app's instruments; other modules add gauges here rather than creating their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, process_resident_memory_bytes
        self.requests = Counter(
            "vrstore_http_requests", "HTTP requests by route and status", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "vrstore_http_request_seconds", "HTTP request latency by route", ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.shoppers = Gauge("vrstore_live_shoppers", "Connected live shoppers", registry=self.registry)
        self.instances = Gauge("vrstore_live_instances", "Open store instances", registry=self.registry)
        self.tick_seconds = Histogram(
            "vrstore_live_tick_seconds", "Time to compute one tick of one instance",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1), registry=self.registry,
        )
        self.queue_drops = Counter(
            "vrstore_live_queue_drops", "Frames dropped from full send queues", registry=self.registry
        )
        self.partial_sends = Counter(
            "vrstore_live_partial_sends", "Tick sends the kernel did not take whole (the transport sends the rest)",
            registry=self.registry,
        )
        self.closes = Counter(
            "vrstore_live_closes", "Live connections closed by code", ["code"], registry=self.registry
        )
        self.live_bus_failures = Counter(
            "vrstore_live_bus_failures", "Cross-worker live operations that failed or were done locally "
            "because Redis was unreachable, by operation", ["op"], registry=self.registry,
        )
        self.live_late_batches = Counter(
            "vrstore_live_late_batches", "Ticks that stopped waiting for another worker's pose batch of the same "
            "tick boundary (that worker is busy, slow or gone)", registry=self.registry,
        )
        self.live_degraded = Gauge(
            "vrstore_live_degraded", "1 while the live bus (Redis) is unreachable", registry=self.registry
        )
        self.builds = Counter(
            "vrstore_builds", "Scene builds by outcome", ["outcome"], registry=self.registry
        )
        self.admission_level = Gauge(
            "vrstore_live_admission_level", "0 normal, 1 fewer peers, 2 slower far peers, 3 closed to newcomers",
            registry=self.registry)
        self.pressure = Gauge("vrstore_live_pressure", "Measured live load, 1.0 = at a limit", registry=self.registry)
        self.room_for = Gauge("vrstore_live_room_for", "More live shoppers this worker can take now",
                              registry=self.registry)
        self.forecast_shoppers = Gauge(
            "vrstore_forecast_shoppers", "Forecast live shoppers of a festival, minutes ahead",
            ["festival", "minutes_ahead"], registry=self.registry)
        self.recommended_workers = Gauge(
            "vrstore_recommended_workers", "Workers the festival's forecast peak needs at the measured capacity",
            ["festival"], registry=self.registry)
        self.capacity_per_worker = Gauge(
            "vrstore_capacity_per_worker", "Live shoppers this worker carries at its target load (measured)",
            registry=self.registry)
        self.checkouts = Counter(
            "vrstore_checkouts", "Checkouts by outcome", ["outcome"], registry=self.registry
        )
        self.orders = Counter(
            "vrstore_orders", "Orders entering a status (paid, ready, shipped, cancelled …)", ["status"],
            registry=self.registry,
        )
        self.revenue = Counter(
            "vrstore_order_revenue_minor", "Paid order totals in minor units", ["currency"], registry=self.registry
        )

    async def on_event(self, event: Event) -> None:
        """Count what services announce (subscribed to the app's EventHooks)."""
        if isinstance(event, OrderChanged):
            self.orders.labels(event.status).inc()
            if event.status == "paid":
                self.revenue.labels(event.currency).inc(event.total)

    def render(self) -> bytes:
        return generate_latest(self.registry)


@web.middleware
async def metrics_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource
        # Label by the route template, never the raw path: raw paths would explode the label set.
        route = resource.canonical if resource is not None else "unmatched"
        metrics = request.app[keys.METRICS]
        metrics.requests.labels(request.method, route, str(status)).inc()
        metrics.latency.labels(request.method, route).observe(time.perf_counter() - started)


async def metrics_handler(request: web.Request) -> web.Response:
    body = request.app[keys.METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
