"""dependency_failure: a dependency fails and its callers suffer. A database primary fails over
after a network partition, an internal service's TLS certificate expires, a vendor API slows
until the caller's worker threads are all waiting on it, a cache crashes. Callers form chains
of 1-3 hops; the dependency is named by structured attributes (peer.service, db.system,
net.peer.name), by hosts in URLs and addresses, or by its own metrics."""

import numpy as np

from evals.generator.backdrop import surroundings
from evals.generator.common import Scene, step_up
from evals.generator.logs import chatter, log, stream, style_of
from evals.generator.naming import EDGES, app_name, http_service, metric_name

DATABASES = {"postgresql": ("orders-db", "pg-main", "accounts-pg"), "mysql": ("mysql-primary",
             "catalog-mysql", "billing-db")}  # fmt: skip
CACHES = ("session-cache", "redis-cart", "memcached-sessions", "redis-main", "rate-limit-cache")
INTERNAL = ("ledger", "auth-service", "identity", "tokenizer", "risk-engine", "pdf-renderer")
VENDORS = (("paygate", "api.paygate.io"), ("shipfast", "api.shipfast.com"),
           ("geoloc", "geo.geoloc-api.net"), ("smsly", "rest.smsly.io"))  # fmt: skip


def build(scene: Scene, logs: bool = True) -> tuple[str, dict]:
    variant = scene.pick(("db_failover", "cert_expired", "vendor_slow", "cache_crash"))
    onset = scene.at(scene.uniform(0.4, 0.7))
    naming = scene.pick(("attrs", "host", "metrics"))
    dep, builder = {
        "db_failover": (None, _db_failover),
        "cert_expired": (scene.service(INTERNAL), _cert_expired),
        "vendor_slow": (None, _vendor_slow),
        "cache_crash": (scene.service(CACHES), _cache_crash),
    }[variant]
    callers = [app_name(scene) for _ in range(int(scene.rng.integers(1, 3)))]
    dep, actions, keywords, bad, error_of = builder(scene, dep, callers, onset, naming)
    _callers(scene, callers, bad, error_of, onset, naming)
    chain = callers[0]
    for _ in range(int(scene.rng.integers(0, 3))):  # hops above the first caller
        upper = scene.service(EDGES) if scene.chance(0.6) else app_name(scene)
        http_service(scene, upper, slow=lambda t: 1 + 3 * bad(t), errors=lambda t: 0.1 * bad(t))
        chatter(scene, upper, scene.uniform(0.5, 2))
        lines = (f"upstream {chain} returned 503 Service Unavailable",
                 f"call to {chain} failed: 500 Internal Server Error (retries "
                 "exhausted)")  # fmt: skip
        stream(scene, upper, onset + 20, scene.end, scene.uniform(1, 4), "ERROR", lines, load=bad)
        chain = upper
    herrings = surroundings(scene, onset)
    scene.description = f"Errors at {chain}."
    finding = {"service": dep, "category": "dependency_failure", "action": actions}
    finding["keywords"] = keywords
    return variant, {"incident": True, "findings": [finding], "forbidden_services": herrings}


def _callers(scene, callers, bad, error_of, onset, naming) -> None:
    for caller in callers:
        if naming == "attrs":
            style_of(scene, caller, scene.pick(("json", "otel")))
        lang = scene.pick(("java", "go", "python"))
        http_service(scene, caller, slow=lambda t: 1 + 5 * bad(t), errors=lambda t: 0.3 * bad(t))
        chatter(scene, caller, scene.uniform(1, 3))
        lines = error_of(lang)
        stream(scene, caller, onset, scene.end, scene.uniform(1.5, 5), "ERROR", lines, load=bad)


def _db_failover(scene: Scene, _, callers, onset, naming):
    system = scene.pick(("postgresql", "mysql"))
    db = scene.service(DATABASES[system])
    outage = scene.uniform(60, 400)
    stale = scene.chance(0.5)  # callers keep a pool of connections to the demoted primary
    ends = None if stale else onset + outage + scene.uniform(60, 300)
    bad = step_up(onset, ends, rise=20, fall=60)
    port = 5432 if system == "postgresql" else 3306
    attrs = {"db.system": system, "net.peer.name": db, "net.peer.port": port}
    named = naming != "attrs"

    def error_of(lang):
        at = f" ({db}:{port})" if named else ""
        if system == "postgresql":
            lines = [f"FATAL: terminating connection due to administrator command{at}",
                     f"connection to server at \"{db}\" ({'10.0.3.' + str(port % 250)}), port "
                     f"{port} failed: Connection refused" if named else
                     "could not connect to server: Connection refused"]  # fmt: skip
            if stale:
                lines.append(f"ERROR: cannot execute INSERT in a read-only transaction{at}")
        else:
            lines = [f"Lost connection to MySQL server during query{at}",
                     f"Can't connect to MySQL server on '{db}:{port}' (111)" if named else
                     "Can't connect to MySQL server (111)"]  # fmt: skip
            if stale:
                lines.append(f"The MySQL server is running with the --read-only option so it "
                             f"cannot execute this statement{at}")  # fmt: skip
        return tuple((line, attrs) for line in lines)

    if naming == "metrics" or scene.chance(0.5):
        t = scene.grid(gaps=False)
        up = np.where((t >= onset) & (t < onset + outage), 0.0, 1.0)
        scene.gauge(f"{'pg' if system == 'postgresql' else 'mysql'}_up", db, t, up, None, "falls")
        http_service(scene, db, load=lambda t: 1 - 0.8 * bad(t), parts=("requests",))
    keywords = ["read-only"] if stale else ["connection"]
    if scene.chance(0.7):
        replica = f"{db}-1"
        log(scene, onset + 8, db, "WARN", f"{db}-0: lost connection to DCS (etcd), demoting")
        log(
            scene,
            onset + outage * 0.6,
            db,
            "INFO",
            f"{replica}: promoted self to leader by acquiring session lock (failover)",
        )
        keywords = ["failover"]
    return db, ["failover", "escalate"], keywords, bad, error_of


def _cert_expired(scene: Scene, dep, callers, onset, naming):
    bad = step_up(onset, rise=10)
    port = scene.pick((443, 8443, 9443))
    when = scene.stamp(onset).replace("+00:00", "Z")
    attrs = {"peer.service": dep, "server.address": dep, "server.port": port}

    def error_of(lang):
        url = f"https://{dep}:{port}/v1/{scene.pick(('entries', 'tokens', 'verify'))}"
        host = url if naming != "attrs" else "upstream"
        line = {
            "go": f'Post "{host}": tls: failed to verify certificate: x509: certificate has '
            f"expired or is not yet valid: current time is after {when}",
            "java": f'I/O error on POST request for "{host}": PKIX path validation failed: '
            "java.security.cert.CertPathValidatorException: validity check failed; Caused by: "
            f"java.security.cert.CertificateExpiredException: NotAfter: {when}",
            "python": f"requests.exceptions.SSLError: HTTPSConnectionPool(host='{dep}', port="
            f"{port}): Max retries exceeded (Caused by SSLError(SSLCertVerificationError(1, "
            "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has "
            "expired (_ssl.c:1006)')))",
        }[lang]
        return ((line, attrs),)

    http_service(scene, dep, load=lambda t: 1 - 0.95 * bad(t))  # its callers cannot reach it
    if naming == "metrics" or scene.chance(0.5):
        t = scene.grid(gaps=False)
        scene.gauge("probe_success", dep, t, 1 - np.round(bad(t)), None, "falls")
        scene.gauge("probe_ssl_earliest_cert_expiry", dep, t, np.full(len(t), onset), "seconds")
    chatter(scene, dep, scene.uniform(0.5, 1.5), load=lambda t: 1 - 0.95 * bad(t))
    return dep, "escalate", ["certificate", "expired"], bad, error_of


def _vendor_slow(scene: Scene, _, callers, onset, naming):
    short, host = scene.pick(VENDORS)
    dep = short if naming in ("attrs", "metrics") else host
    bad = step_up(onset, rise=scene.uniform(60, 300))
    pool = int(scene.pick((50, 100, 200)))
    attrs = {"net.peer.name": host, "http.method": "POST"}
    if naming != "host":  # callers that know the vendor by its service name say so
        attrs = {"peer.service": short, **attrs}

    def error_of(lang):
        url = f"https://{host}/v2/{scene.pick(('charges', 'labels', 'lookup', 'messages'))}"
        shown = url if naming != "attrs" else "vendor API"
        line = {
            "java": f'I/O error on POST request for "{shown}": Read timed out; nested exception '
            "is java.net.SocketTimeoutException: Read timed out",
            "go": f'Post "{shown}": context deadline exceeded (Client.Timeout exceeded while '
            "awaiting headers)",
            "python": f"requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='{host}', "
            "port=443): Read timed out. (read timeout=10)",
        }[lang]
        if naming == "attrs" and lang == "python":
            line = "requests.exceptions.ReadTimeout: Read timed out. (read timeout=10)"
        starved = f"Thread pool exhausted: {pool}/{pool} workers busy, rejecting request"
        return ((line, attrs), starved)

    for caller in callers:
        t = scene.grid()
        busy = np.minimum(pool * (0.2 * scene.diurnal(t) + bad(t)), pool)
        name = metric_name(scene, "tomcat_threads_busy_threads", caller)
        scene.gauge(name, caller, t, np.round(busy), "threads")
    if naming == "metrics":
        t = scene.grid()
        seconds = (0.25 + scene.uniform(8, 25) * bad(t)) * scene.noise(len(t), 0.1)
        scene.gauge("probe_duration_seconds", dep, t, seconds, "s", "rises")
    return dep, ["escalate", "failover"], ["timeout"], bad, error_of


def _cache_crash(scene: Scene, dep, callers, onset, naming):
    back = onset + scene.uniform(600, 1500) if scene.chance(0.35) else None
    bad = step_up(onset, back, rise=10, fall=30)
    system = "memcached" if "memcached" in dep else "redis"
    port = 11211 if system == "memcached" else 6379
    attrs = {"db.system": system, "net.peer.name": dep, "net.peer.port": port}
    named = naming != "attrs"

    def error_of(lang):
        at = f"{dep}:{port}" if named else f"10.0.{scene.rng.integers(1, 9)}.17:{port}"
        line = {
            "go": f"dial tcp {at}: connect: connection refused",
            "java": f"io.lettuce.core.RedisConnectionException: Unable to connect to {at}; "
            "Caused by: java.net.ConnectException: Connection refused",
            "python": f"redis.exceptions.ConnectionError: Error 111 connecting to {at}. "
            "Connection refused.",
        }[lang]
        return ((line, attrs),)

    if naming == "metrics" or scene.chance(0.5):
        t = scene.grid(gaps=False)
        up = 1 - np.round(bad(t))
        scene.gauge(f"{system}_up", dep, t, up, None, "falls")
        clients = np.round(len(callers) * 40 * up * scene.noise(len(t), 0.05))
        scene.gauge(f"{system}_connected_clients", dep, t, clients, "clients")
    log(scene, onset - 3, dep, "WARN", scene.pick(
        ("# WARNING: 38 clients evicted for exceeding maxmemory-clients",
         "Background saving error: Cannot allocate memory")))  # fmt: skip
    log(scene, onset + 40, dep, "WARN", f"Back-off restarting failed container {dep} "
        "(CrashLoopBackOff)", {"source": "kubelet"})  # fmt: skip
    actions = ["restart", "escalate"] if back else "restart"
    return dep, actions, ["refused"], bad, error_of
