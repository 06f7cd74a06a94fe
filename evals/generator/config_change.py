"""config_change: a deploy shortly before onset changes a setting (a connection pool size, a
client timeout, a concurrency or rate limit, a feature flag) and the service misbehaves."""

import numpy as np

from evals.generator.backdrop import surroundings
from evals.generator.code import unified
from evals.generator.common import Scene, step_up
from evals.generator.logs import chatter, log, stream
from evals.generator.naming import EDGES, app_name, http_service, metric_name

DATABASES = ("orders-db", "pg-main", "accounts-postgres", "mysql-primary", "catalog-db")


def build(scene: Scene, logs: bool = True) -> tuple[str, dict]:
    variant = scene.pick(("pool", "timeout", "limit", "flag"))
    service = app_name(scene)
    onset = scene.at(scene.uniform(0.45, 0.75))
    deployed = float(round(onset - scene.uniform(90, 1500)))
    lang = scene.pick(("java", "go", "python"))
    bad = step_up(onset, rise=scene.uniform(30, 240))
    herrings, keyword = [], variant
    if variant == "pool":
        herrings.append(_pool(scene, service, lang, deployed, onset, bad))
    elif variant == "timeout":
        herrings.append(_timeout(scene, service, lang, deployed, onset, bad))
    elif variant == "limit":
        _limit(scene, service, lang, deployed, onset, bad)
    else:
        _flag(scene, service, lang, deployed, onset, bad)
    chatter(scene, service, scene.uniform(1, 3))
    if scene.chance(0.5):  # a caller that passes the errors on
        edge = scene.service(EDGES)
        http_service(scene, edge, slow=lambda t: 1 + 2 * bad(t), errors=lambda t: 0.1 * bad(t))
        stream(
            scene, edge, onset + 30, scene.end, scene.uniform(1, 4), "ERROR",
            (f"upstream {service} returned 503 Service Unavailable",
             f"proxy error: {service}:8080 responded 500 after 4980ms"),
        )  # fmt: skip
    herrings += surroundings(scene, onset)
    scene.description = f"{service} misbehaves after a configuration deploy."
    finding = {"service": service, "category": "config_change", "action": "rollback"}
    finding["keywords"] = [keyword]
    return variant, {"incident": True, "findings": [finding], "forbidden_services": herrings}


def _config_diff(scene: Scene, service: str, settings: list[tuple[str, str, str]]) -> str:
    """A config file diff changing each (key, old, new) in the format a stack would use."""
    fmt = scene.pick(("yaml", "properties", "env", "helm", "json"))
    keep = [("log_level", "info", "info"), ("http_port", "8080", "8080")]
    rows = keep[:1] + settings + keep[1:]
    if fmt in ("yaml", "helm"):
        path = f"deploy/helm/{service}/values.yaml" if fmt == "helm" else "config/application.yaml"
        head = (
            ["replicaCount: 6", "config:"] if fmt == "helm" else ["server:", "  shutdown: graceful"]
        )
        old = head + [f"  {k}: {o}" for k, o, _ in rows]
        new = head + [f"  {k}: {n}" for k, _, n in rows]
    elif fmt == "properties":
        path = "src/main/resources/application.properties"
        old = [f"{service}.{k.replace('_', '-')}={o}" for k, o, _ in rows]
        new = [f"{service}.{k.replace('_', '-')}={n}" for k, _, n in rows]
    elif fmt == "env":
        path = f"deploy/{service}.env"
        old = [f"{k.upper()}={o}" for k, o, _ in rows]
        new = [f"{k.upper()}={n}" for k, _, n in rows]
    else:
        path = f"config/{service}.json"
        old = ["{"] + [f'  "{k}": {_json(o)},' for k, o, _ in rows] + ['  "version": 3', "}"]
        new = ["{"] + [f'  "{k}": {_json(n)},' for k, _, n in rows] + ['  "version": 3', "}"]
    return unified(scene, path, old, new)


def _json(text: str) -> str:
    return text if text.replace(".", "").isdigit() or text in ("true", "false") else f'"{text}"'


def _deploy(scene, service, at, settings, what):
    diff = _config_diff(scene, service, settings)
    scene.deploy(service, at, diff, f"{service} config: {what}")


def _pool(scene, service, lang, deployed, onset, bad) -> str:
    db = scene.service(DATABASES)
    old, new = int(scene.rng.integers(20, 80)), int(scene.rng.integers(2, 6))
    key = {"java": "hikari_maximum_pool_size", "go": "db_max_open_conns", "python": "pool_size"}
    _deploy(scene, service, deployed, [(key[lang], str(old), str(new))], "database pool tuning")
    http_service(scene, service, slow=lambda t: 1 + 8 * bad(t), errors=lambda t: 0.2 * bad(t))
    t = scene.grid()
    limit = np.where(t >= deployed + 60, new, old)
    busy = np.minimum(old * 0.3 * scene.diurnal(t) * scene.noise(len(t), 0.1) + 40 * bad(t), limit)
    if lang == "java":
        scene.gauge(metric_name(scene, "hikaricp_connections_active", service), service, t, busy)
        pending = 30 * bad(t) * scene.noise(len(t), 0.2)
        scene.gauge(
            metric_name(scene, "hikaricp_connections_pending", service), service, t, pending
        )
    else:
        name = metric_name(scene, "db.client.connections.usage", service)
        scene.gauge(name, service, t, busy, "connections")
    errors = {
        "java": "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        "go": f"query orders: failed to acquire connection from pool ({db}:5432): context "
        "deadline exceeded",
        "python": f"sqlalchemy.exc.TimeoutError: QueuePool limit of size {new} overflow 0 "
        "reached, connection timed out, timeout 30.00",
    }[lang]
    attrs = {"db.system": "postgresql", "net.peer.name": db}
    stream(scene, service, onset, scene.end, scene.uniform(2, 6), "ERROR", (errors,), attrs)
    http_service(scene, db, rps=scene.uniform(200, 900), parts=("requests",))  # db is fine
    return db


def _timeout(scene, service, lang, deployed, onset, bad) -> str:
    down = app_name(scene)
    p99 = scene.uniform(300, 900)
    old, new = f"{int(scene.rng.integers(3, 30))}s", f"{int(p99 * scene.uniform(0.3, 0.7))}ms"
    key = f"clients_{down.split('-')[0]}_read_timeout"
    _deploy(scene, service, deployed, [(key, old, new)], f"tighten {down} client timeout")
    http_service(scene, service, errors=lambda t: scene.uniform(0.1, 0.4) * bad(t))
    http_service(scene, down, p99_ms=p99)  # the downstream is as slow as it always was
    chatter(scene, down, scene.uniform(0.5, 2))
    url = f"http://{down}:8080/v1/{scene.pick(('quote', 'stock', 'lookup'))}"
    error = {
        "java": f'I/O error on GET request for "{url}": Read timed out; nested exception is '
        "java.net.SocketTimeoutException: Read timed out",
        "go": f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting '
        "headers)",
        "python": f"requests.exceptions.ReadTimeout: HTTPConnectionPool(host='{down}', port=8080):"
        f" Read timed out. (read timeout={float(new[:-2]) / 1000})",
    }[lang]
    stream(scene, service, onset, scene.end, scene.uniform(2, 6), "ERROR", (error,))
    return down


def _limit(scene, service, lang, deployed, onset, bad) -> None:
    key = scene.pick(("max_concurrent_requests", "ratelimit_requests_per_second", "max_inflight"))
    old = int(scene.rng.integers(200, 1000))
    new = int(old * scene.uniform(0.05, 0.2))
    _deploy(scene, service, deployed, [(key, str(old), str(new))], f"set {key}")
    http_service(scene, service, errors=lambda t: scene.uniform(0.15, 0.5) * bad(t))
    lines = (
        f"rejecting request: concurrency limit reached ({new}/{new} in flight)",
        f"429 Too Many Requests: rate limit exceeded ({new} req/s) for client {scene.hexid(6)}",
    )
    stream(scene, service, onset, scene.end, scene.uniform(3, 8), "WARN", lines)


def _flag(scene, service, lang, deployed, onset, bad) -> None:
    flag = scene.pick(("new_pricing_engine", "async_ledger_writes", "checkout_v2", "batch_reads"))
    _deploy(scene, service, deployed, [(f"flags_{flag}", "false", "true")], f"enable {flag}")
    http_service(scene, service, slow=lambda t: 1 + bad(t), errors=lambda t: 0.25 * bad(t))
    error = {
        "java": f"java.lang.IllegalStateException: {flag}: rule set not loaded for market 'de'",
        "go": f"{flag}: unsupported region eu-central-1: no handler registered",
        "python": f"NotImplementedError: {flag} path has no adapter for legacy carts",
    }[lang]
    log(scene, deployed + 45, service, "INFO", f"feature flag {flag} changed: false -> true")
    stream(scene, service, onset, scene.end, scene.uniform(2, 6), "ERROR", (error,))
