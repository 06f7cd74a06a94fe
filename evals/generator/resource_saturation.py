"""resource_saturation: a resource runs out with no deploy that explains it. A disk filled by a
log flood, a worker thread pool or a database connection pool pinned at its maximum under a
busy hour, CPU pinned at the container limit."""

import numpy as np

from evals.generator.backdrop import surroundings
from evals.generator.common import Scene, ramp, step_up
from evals.generator.logs import chatter, log, stream
from evals.generator.naming import app_name, cpu_metric, http_service, metric_name


def build(scene: Scene, logs: bool = True, variant: str | None = None) -> tuple[str, dict]:
    variant = variant or scene.pick(("disk", "threads", "connections", "cpu"))
    service = app_name(scene)
    onset = scene.at(scene.uniform(0.45, 0.75))
    resolved = scene.at(scene.uniform(0.85, 0.95)) if scene.chance(0.25) else None
    if variant == "disk":
        resolved = None  # a full disk stays full
    bad = step_up(onset, resolved, rise=scene.uniform(60, 300), fall=120)
    keywords, actions = _BUILDERS[variant](scene, service, onset, bad, logs)
    if logs:
        chatter(scene, service, scene.uniform(1, 3))
    herrings = surroundings(scene, onset, logs)
    scene.description = f"{service} degraded."
    finding = {"service": service, "category": "resource_saturation", "action": actions}
    finding["keywords"] = keywords
    return variant, {"incident": True, "findings": [finding], "forbidden_services": herrings}


def _disk(scene: Scene, service, onset, bad, logs):
    size = float(scene.pick((20, 50, 100))) * 2**30
    flood_from = scene.at(scene.uniform(0.05, 0.3))
    full_at = onset
    t = scene.grid()
    free = size * scene.uniform(0.35, 0.6)
    avail = free * (1 - ramp(flood_from, full_at)(t)) + 2**20 * scene.uniform(1, 50)
    avail = np.round(avail * scene.noise(len(t), 0.002))
    name = scene.pick(("node_filesystem_avail_bytes", "kubelet_volume_stats_available_bytes",
                       "disk.free", "disk_free_bytes"))  # fmt: skip
    scene.gauge(metric_name(scene, name, service), service, t, avail, "bytes", "falls")
    http_service(scene, service, errors=lambda t: 0.5 * bad(t), slow=lambda t: 1 + bad(t))
    if logs:
        flood = scene.pick(
            (
                "failed to parse event payload, skipping: unexpected end of JSON input",
                "retrying message delivery to partition 7 (attempt 1)",
                "cache miss for key user:session:* falling back to store",
            )
        )
        repeats = tuple(f"{flood} (message repeated {n} times)" for n in (18211, 40307, 77502))
        stream(scene, service, flood_from, onset, 6, "WARN", repeats)
        errors = (
            "write /var/log/app/app.log: no space left on device",
            "java.io.IOException: No space left on device",
            "could not write temp file /tmp/upload-8812.part: [Errno 28] No space left on device",
        )
        stream(scene, service, onset, scene.end, scene.uniform(2, 6), "ERROR", errors)
    return ["disk"], ["escalate", "restart"]


def _threads(scene: Scene, service, onset, bad, logs):
    size = float(scene.pick((50, 100, 200, 400)))
    t = scene.grid()
    busy = np.minimum(size * (0.35 * scene.diurnal(t) * scene.noise(len(t), 0.1) + bad(t)), size)
    name = scene.pick(("tomcat_threads_busy_threads", "executor_active_threads",
                       "jetty_threads_busy"))  # fmt: skip
    scene.gauge(metric_name(scene, name, service), service, t, np.round(busy), "threads")
    queued = np.round(scene.uniform(200, 2000) * bad(t) * scene.noise(len(t), 0.1))
    scene.gauge(metric_name(scene, "executor_queued_tasks", service), service, t, queued)
    http_service(
        scene, service, load=lambda t: 1 + 0.4 * bad(t), slow=lambda t: 1 + 6 * bad(t),
        errors=lambda t: 0.1 * bad(t),
    )  # fmt: skip
    if logs:
        lines = (
            f"Task rejected from java.util.concurrent.ThreadPoolExecutor[Running, pool size = "
            f"{int(size)}, active threads = {int(size)}, queued tasks = 1000]",
            f"Thread pool is EXHAUSTED! Thread Name: worker, Pool Size: {int(size)} (active: "
            f"{int(size)}, core: {int(size)}, max: {int(size)})",
        )
        stream(scene, service, onset, scene.end, scene.uniform(2, 6), "ERROR", lines, load=bad)
    return ["thread"], ["scale_out", "restart"]


def _connections(scene: Scene, service, onset, bad, logs):
    size = float(scene.pick((10, 20, 50)))
    t = scene.grid()
    active = np.minimum(size * (0.3 * scene.diurnal(t) * scene.noise(len(t), 0.1) + bad(t)), size)
    name = scene.pick(("hikaricp_connections_active", "db.client.connections.usage",
                       "pgbouncer_pools_client_active_connections"))  # fmt: skip
    scene.gauge(metric_name(scene, name, service), service, t, np.round(active), "connections")
    pending = np.round(scene.uniform(20, 200) * bad(t) * scene.noise(len(t), 0.2))
    scene.gauge(metric_name(scene, "hikaricp_connections_pending", service), service, t, pending)
    http_service(
        scene, service, load=lambda t: 1 + 0.5 * bad(t), slow=lambda t: 1 + 5 * bad(t),
        errors=lambda t: 0.08 * bad(t),
    )  # fmt: skip
    if logs:
        line = (
            f"HikariPool-1 - Connection is not available, request timed out after 30000ms "
            f"(total={int(size)}, active={int(size)}, idle=0, waiting={int(scene.uniform(20, 90))})"
        )
        stream(scene, service, onset, scene.end, scene.uniform(2, 6), "ERROR", (line,), load=bad)
    return ["pool"], ["scale_out", "restart"]


def _cpu(scene: Scene, service, onset, bad, logs):
    limit = float(scene.pick((1, 2, 4)))
    cpu_metric(scene, service, lambda t: limit * (0.4 * scene.diurnal(t) + bad(t)), limit)
    t = scene.grid()
    throttled = limit * 0.6 * bad(t) * scene.noise(len(t), 0.1)
    name = metric_name(scene, "container_cpu_cfs_throttled_seconds_total", service)
    scene.counter(name, service, t, throttled, "seconds")
    http_service(
        scene, service, load=lambda t: 1 + 0.3 * bad(t), slow=lambda t: 1 + 4 * bad(t),
        errors=lambda t: 0.03 * bad(t),
    )  # fmt: skip
    if logs:
        lines = (
            'Readiness probe failed: Get "http://10.1.7.22:8080/ready": context deadline exceeded',
            "request took 4211ms, over the 2000ms budget",
        )
        stream(scene, service, onset, scene.end, scene.uniform(1, 3), "WARN", lines, load=bad)
        log(scene, onset + 300, service, "WARN", f"CPU throttled: {service} at {limit:g} cores")
    return ["cpu"], ["scale_out"]


_BUILDERS = {"disk": _disk, "threads": _threads, "connections": _connections, "cpu": _cpu}
