"""Service names and the metric names of three instrumentation conventions (Prometheus client
libraries, Spring Boot's Micrometer, OpenTelemetry), and the standard RED metrics of a service."""

import numpy as np

from evals.generator.common import Curve, Scene

STEMS = (
    "checkout", "cart", "payments", "orders", "inventory", "search", "catalog", "pricing",
    "ledger", "billing", "shipping", "profile", "accounts", "booking", "quotes", "fraud-check",
    "recommendations", "media", "tax", "loyalty", "fulfillment", "wallet",
)  # fmt: skip
SUFFIXES = ("", "-service", "-api", "-svc", "")
EDGES = ("api-gateway", "edge-proxy", "frontend", "bff-web", "storefront", "mobile-bff")
NEIGHBOURS = (
    "docs-site", "report-builder", "email-digest", "search-indexer", "image-resizer",
    "feature-store", "analytics-export", "admin-portal", "sitemap-builder", "audit-log",
)  # fmt: skip
CONVENTIONS = ("prom", "micrometer", "otel", "otel-prom")


def app_name(scene: Scene) -> str:
    suffix = scene.pick(SUFFIXES)
    options = [stem + suffix for stem in STEMS if not any(stem in s for s in scene.taken)]
    return scene.service(options)


def namespace(service: str) -> str:
    for tail in ("-service", "-svc", "-api"):
        service = service.removesuffix(tail)
    return service.replace("-", "_").replace(".", "_")


def metric_name(scene: Scene, base: str, service: str) -> str:
    """`base`, or the service's namespaced form of it when another service already has it."""
    if base not in scene.manifest:
        return base
    if "." in base:
        return f"{namespace(service)}.{base}"
    return f"{namespace(service)}_{base}"


# name, unit, seconds-or-ms for latency; the request count is always a counter
RED = {
    "prom": {
        "requests": "http_requests_total",
        "latency": ("http_request_duration_seconds_p99", "s"),
        "errors": "http_requests_5xx_total",
    },
    "micrometer": {
        "requests": "http_server_requests_seconds_count",
        "latency": ("http_server_requests_seconds_max", "s"),
        "errors": "http_server_requests_errors_total",
    },
    "otel": {
        "requests": "http.server.request.duration.count",
        "latency": ("http.server.request.duration.p99", "s"),
        "errors": "http.server.error_ratio",
    },
    "otel-prom": {
        "requests": "http_server_duration_milliseconds_count",
        "latency": ("http_server_duration_milliseconds_p99", "ms"),
        "errors": "http_server_errors_total",
    },
}


def http_service(
    scene: Scene,
    service: str,
    *,
    conv: str | None = None,
    rps: float | None = None,
    p99_ms: float | None = None,
    load: Curve | None = None,
    slow: Curve | None = None,
    errors: Curve | None = None,
    restarts: tuple[float, ...] = (),
    parts: tuple[str, ...] = ("requests", "latency", "errors"),
    step: int | None = None,
) -> dict[str, str]:
    """A service's request counter, p99 (or max) latency and errors, shaped by `load` (a
    multiplier of the request rate), `slow` (of latency) and `errors` (an added error ratio).
    Returns the metric name of each part."""
    conv = conv or scene.pick(CONVENTIONS)
    names = RED[conv]
    rps = rps or scene.uniform(15, 400)
    p99_ms = p99_ms or scene.uniform(60, 450)
    t = scene.grid(step)
    base = scene.diurnal(t) * (load(t) if load else 1)
    out = {}
    if "requests" in parts:
        out["requests"] = metric_name(scene, names["requests"], service)
        rate = rps * base * scene.noise(len(t), 0.05)
        scene.counter(out["requests"], service, t, rate, "requests", restarts)
    if "latency" in parts:
        name, unit = names["latency"]
        out["latency"] = metric_name(scene, name, service)
        ms = p99_ms * (slow(t) if slow else 1) * scene.noise(len(t), 0.08)
        ms = ms * (1 + 0.15 * np.clip(base - 1, 0, None))  # queueing at peak load
        scene.gauge(out["latency"], service, t, ms if unit == "ms" else ms / 1000, unit, "rises")
    if "errors" in parts:
        ratio = 0.002 * scene.noise(len(t), 0.5) + (errors(t) if errors else 0)
        ratio = np.clip(ratio, 0, 1)
        out["errors"] = metric_name(scene, names["errors"], service)
        if out["errors"].endswith("ratio"):
            scene.gauge(out["errors"], service, t, ratio, "ratio", "rises")
        else:
            scene.counter(out["errors"], service, t, rps * base * ratio, "errors", restarts)
    return out


def cpu_metric(
    scene: Scene, service: str, cores: Curve, limit: float, conv: str | None = None
) -> str:
    """CPU as Prometheus process_cpu_seconds_total (a counter), a container counter, or a
    utilisation ratio gauge (Micrometer, OpenTelemetry), from `cores` in use over time."""
    conv = conv or scene.pick(CONVENTIONS)
    t = scene.grid()
    used = np.minimum(cores(t) * scene.noise(len(t), 0.06), limit)
    if conv == "prom":
        name = metric_name(scene, "process_cpu_seconds_total", service)
        scene.counter(name, service, t, used, "seconds")
    elif conv == "otel-prom":
        name = metric_name(scene, "container_cpu_usage_seconds_total", service)
        scene.counter(name, service, t, used, "seconds")
    else:
        base = "process_cpu_usage" if conv == "micrometer" else "process.cpu.utilization"
        name = metric_name(scene, base, service)
        scene.gauge(name, service, t, used / limit, "ratio", "rises")
    return name


def memory_metric(scene: Scene, service: str, mb: Curve, conv: str | None = None) -> str:
    conv = conv or scene.pick(CONVENTIONS)
    base = {
        "prom": "process_resident_memory_bytes",
        "micrometer": "jvm_memory_used_bytes",
        "otel": "process.memory.usage",
        "otel-prom": "container_memory_working_set_bytes",
    }[conv]
    t = scene.grid()
    values = mb(t) * scene.noise(len(t), 0.01) * 2**20
    name = metric_name(scene, base, service)
    scene.gauge(name, service, t, np.round(values), "bytes", "rises")
    return name
