"""memory_leak: memory grows until the process is killed, restarts, and grows again. A JVM heap
whose GC sawtooth flattens as the floor rises, off-heap (direct buffer) growth seen only in RSS,
a Go heap, a Python worker's RSS; sometimes introduced by a deploy, sometimes long-standing."""

import numpy as np

from evals.generator.backdrop import surroundings
from evals.generator.code import unified
from evals.generator.common import Scene
from evals.generator.logs import chatter, log, stream
from evals.generator.naming import app_name, http_service, metric_name


def build(scene: Scene, logs: bool = True) -> tuple[str, dict]:
    variant = scene.pick(("heap", "offheap", "go", "python"))
    service = app_name(scene)
    limit = float(scene.pick((512, 1024, 2048, 4096)))
    base = limit * scene.uniform(0.25, 0.4)
    begins = scene.at(scene.uniform(0.0, 0.25))
    first_oom = scene.at(scene.uniform(0.6, 0.95))
    rate = (limit - base) / (first_oom - begins)  # MB a second
    kills = _kills(begins, rate, base, limit, scene.end)
    actions: str | list[str] = "restart"
    if scene.chance(0.4):
        scene.deploy(service, begins, _leaky_diff(scene, variant), f"{service}: cache responses")
        actions = ["restart", "rollback"]

    def used(t):  # MB in use: the leak since the process started, never released
        since = np.full(len(t), begins)
        for k in kills:
            since = np.where(t >= k + 20, k + 20, since)
        return base + rate * np.clip(t - since, 0, None)

    def pressure(t):  # 0 .. 1, how close to the limit
        return np.clip((used(t) - base) / (limit - base), 0, 1)

    restarts = tuple(k + 20 for k in kills)
    http_service(scene, service, slow=lambda t: 1 + 4 * pressure(t) ** 4, restarts=restarts)
    t = scene.grid()
    mem = np.minimum(used(t), limit) * scene.noise(len(t), 0.01) * 2**20
    if variant == "heap":
        saw = ((t - scene.start) % scene.uniform(90, 400)) / 400
        heap = mem + (limit * 2**20 - mem) * 0.7 * saw * (1 - pressure(t))
        name = scene.pick(("jvm_memory_used_bytes", "jvm_memory_bytes_used", "jvm.memory.used"))
        scene.gauge(metric_name(scene, name, service), service, t, np.round(heap), "bytes")
        gc = 0.005 + 0.4 * pressure(t) ** 3
        name = metric_name(scene, "jvm_gc_pause_seconds_sum", service)
        scene.counter(name, service, t, gc * 1000, "ms", restarts)
    else:
        rss = scene.pick(("process_resident_memory_bytes", "container_memory_working_set_bytes"))
        if variant == "go":
            rss = "go_memstats_heap_inuse_bytes"
        scene.gauge(metric_name(scene, rss, service), service, t, np.round(mem), "bytes")
        if variant == "offheap":  # the heap itself is healthy: a steady sawtooth
            saw = ((t - scene.start) % scene.uniform(60, 300)) / 300
            heap = limit * (0.2 + 0.25 * saw) * 2**20
            name = metric_name(scene, "jvm_memory_used_bytes", service)
            scene.gauge(name, service, t, np.round(heap), "bytes")
    if logs:
        _logs(scene, service, variant, kills, pressure)
        chatter(scene, service, scene.uniform(1, 3))
    herrings = surroundings(scene, begins, logs)
    scene.description = f"{service} restarts now and then."
    finding = {"service": service, "category": "memory_leak", "action": actions}
    finding["keywords"] = ["memory"]
    return variant, {"incident": True, "findings": [finding], "forbidden_services": herrings}


def _kills(begins, rate, base, limit, end) -> list[float]:
    kills, at = [], begins
    while True:
        at = at + (limit - base) / rate
        if at >= end:
            return kills
        kills.append(float(round(at)))
        at += 20  # the restart


def _logs(scene: Scene, service: str, variant: str, kills: list[float], pressure) -> None:
    for k in kills:
        fatal = {
            "heap": "java.lang.OutOfMemoryError: Java heap space",
            "offheap": "java.lang.OutOfMemoryError: Direct buffer memory",
            "go": "fatal error: runtime: out of memory",
            "python": "MemoryError",
        }[variant]
        log(scene, k - 2, service, "FATAL" if variant == "go" else "ERROR", fatal)
        event = scene.pick(
            (
                f"Container {service} in pod {service}-7d9f8-x2k4q was OOMKilled (exit code 137)",
                f"Back-off restarting failed container {service}: OOMKilled",
            )
        )
        log(scene, k + 5, service, "WARN", event, {"source": "kubelet"})
        log(scene, k + 25, service, "INFO", f"{service} started after restart (uptime 0s)")
    stamps = np.arange(scene.start, scene.end, 60.0)
    for t in stamps:
        p = float(pressure(np.array([t]))[0])
        if variant == "heap" and p > 0.5 and scene.chance(p):
            pause = 0.2 + 3 * p**3
            log(scene, t, service, "WARN", f"GC pause (G1 Evacuation Pause) {pause:.2f}s")
        if variant == "offheap" and scene.chance(0.05):
            log(scene, t, service, "WARN", "LEAK: ByteBuf.release() was not called before it's "
                "garbage-collected. Enable advanced leak reporting to find out where.")  # fmt: skip
        if variant == "python" and p > 0.9 and scene.chance(0.5):
            log(scene, t, service, "WARN", f"Worker (pid:{scene.rng.integers(20, 200)}) was "
                "sent SIGKILL! Perhaps out of memory?")  # fmt: skip
    if variant == "go" and kills:
        stream(scene, service, kills[0] - 600, kills[0], 0.5, "WARN",
               ("memory limit approaching: GOMEMLIMIT soft limit reached, GC running "
                "continuously",))  # fmt: skip


def _leaky_diff(scene: Scene, variant: str) -> str:
    if variant == "python":
        old = ["def render(key):", "    return build_page(key)", ""]
        new = ["_CACHE = {}", "", "def render(key):", "    if key not in _CACHE:",
               "        _CACHE[key] = build_page(key)", "    return _CACHE[key]", ""]  # fmt: skip
        return unified(scene, "app/pages.py", old, new)
    if variant == "go":
        old = ["func (h *Handler) Serve(r *Request) {", "\th.process(r)", "}"]
        new = ["func (h *Handler) Serve(r *Request) {", "\th.seen[r.ID] = r", "\th.process(r)", "}"]
        return unified(scene, "internal/server/handler.go", old, new)
    if variant == "heap":
        old = ["    public Quote price(Request r) {", "        return engine.price(r);", "    }"]
        new = ["    private static final Map<String, Quote> SEEN = new ConcurrentHashMap<>();", "",
               "    public Quote price(Request r) {",
               "        return SEEN.computeIfAbsent(r.id(), id -> engine.price(r));",
               "    }"]  # fmt: skip
        return unified(scene, "src/main/java/com/acme/quote/QuoteService.java", old, new)
    old = ["    ByteBuf frame = alloc.directBuffer(size);", "    try {", "        write(frame);",
           "    } finally {", "        frame.release();", "    }"]  # fmt: skip
    new = ["    ByteBuf frame = alloc.directBuffer(size);", "    pending.add(frame);",
           "    write(frame);"]  # fmt: skip
    return unified(scene, "src/main/java/com/acme/net/FrameWriter.java", old, new)
