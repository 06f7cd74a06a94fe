#!/usr/bin/env python3
"""Deterministic generator for held-out incident bundles, set "a".

Style: Kubernetes + JVM (Spring Boot) microservices, Prometheus-style metrics
scraped every 15 s, JSON logs with Java stack traces.

Run:  /work/main/.venv/bin/python /work/holdout/a/gen.py
Writes five bundles under the directory of this script.  Ground truth lives in
each bundle's expected.json and in CASES.md; nothing else in a bundle says it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import shutil

import numpy as np

ROOT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))  # evals.holdout: the output directory
STEP = 15  # seconds between scrapes

HEX = np.array(list("0123456789abcdef"))
ALNUM = np.array(list("bcdfghjklmnpqrstvwxz2456789"))


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def iso(t: dt.datetime, ms: bool = True) -> str:
    if ms:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def diurnal(local_hours):
    """Relative traffic by local hour of day (about 0.25 at night, 1.0 at peak)."""
    h = np.asarray(local_hours, dtype=float) % 24
    morning = 0.62 * np.exp(-((h - 11.0) / 2.6) ** 2)
    afternoon = 0.70 * np.exp(-((h - 15.6) / 2.4) ** 2)
    evening = 0.58 * np.exp(-((h - 20.3) / 1.9) ** 2)
    lunch_dip = -0.10 * np.exp(-((h - 13.1) / 0.7) ** 2)
    return 0.24 + morning + afternoon + evening + lunch_dip


def fmt_gauge(v: float) -> str:
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


class Bundle:
    def __init__(self, name, start, hours, seed, description, tz_offset_h):
        self.name = name
        self.dir = os.path.join(ROOT, name)
        self.t0 = start
        self.n = int(hours * 3600 // STEP)
        self.secs = np.arange(self.n) * STEP
        self.rng = np.random.default_rng(seed)
        self.description = description
        self.local_h = ((start.hour + start.minute / 60 + tz_offset_h)
                        + self.secs / 3600.0)
        self.metrics = {}       # name -> dict(meta, values, service)
        self.metric_order = []
        self.global_gaps = []   # (start_sec, end_sec)
        self.service_gaps = {}  # service -> [(start_sec, end_sec)]
        self.logs = []          # (epoch_float, dict)
        self.deploys = []
        self.diffs = {}
        self.expected = None
        self.pods = {}          # service -> list of [name, start, end]
        self.trigger = None

    # ---- time ----
    def at(self, hhmmss: str) -> float:
        """Seconds from window start of an absolute UTC clock time on the same day."""
        parts = [int(p) for p in hhmmss.split(":")]
        while len(parts) < 3:
            parts.append(0)
        t = self.t0.replace(hour=parts[0], minute=parts[1], second=parts[2])
        return (t - self.t0).total_seconds()

    def idx(self, sec: float) -> int:
        return int(np.clip(np.ceil(sec / STEP), 0, self.n))

    def time(self, sec: float) -> dt.datetime:
        return self.t0 + dt.timedelta(seconds=float(sec))

    # ---- noise ----
    def ar1(self, sigma=0.05, phi=0.97):
        e = self.rng.normal(0, sigma * np.sqrt(1 - phi ** 2), self.n)
        x = np.empty(self.n)
        x[0] = self.rng.normal(0, sigma)
        for i in range(1, self.n):
            x[i] = phi * x[i - 1] + e[i]
        return x

    def lognoise(self, sigma=0.06):
        return np.exp(self.rng.normal(0, sigma, self.n))

    def spikes(self, rate_per_hour=1.0, size=(1.4, 2.2)):
        m = np.ones(self.n)
        k = self.rng.poisson(rate_per_hour * self.n * STEP / 3600)
        for _ in range(k):
            i = self.rng.integers(0, self.n)
            m[i] *= self.rng.uniform(*size)
        return m

    def traffic(self, base, sigma=0.04):
        return base * diurnal(self.local_h) * np.exp(self.ar1(sigma, 0.985))

    # ---- metrics ----
    def gauge(self, name, service, values, **meta):
        self._add(name, service, np.asarray(values, float), meta)

    def counter(self, name, service, rate, start_value, resets=(), declare=False,
                **meta):
        inc = self.rng.poisson(np.maximum(np.asarray(rate, float), 0) * STEP)
        vals = np.empty(self.n)
        v = float(start_value)
        reset_idx = {self.idx(s) for s in resets}
        for i in range(self.n):
            if i in reset_idx:
                v = 0.0
                inc_i = int(inc[i] * self.rng.uniform(0.1, 0.6))
            else:
                inc_i = inc[i]
            v += inc_i
            vals[i] = v
        if declare:
            meta["kind"] = "counter"
        self._add(name, service, vals, meta, integer=True)

    def _add(self, name, service, values, meta, integer=False):
        assert name not in self.metrics, name
        assert len(values) == self.n
        assert np.all(np.isfinite(values)), name
        d = {"service": service}
        d.update(meta)
        self.metrics[name] = {"meta": d, "values": values, "integer": integer}
        self.metric_order.append(name)

    def gap(self, start, minutes, service=None):
        end = start + minutes * 60
        if service is None:
            self.global_gaps.append((start, end))
        else:
            self.service_gaps.setdefault(service, []).append((start, end))

    # ---- pods ----
    def add_pods(self, service, count, start=-86400.0, end=1e12, rs=None):
        if rs is None:
            rs = "".join(self.rng.choice(HEX, 9))
        for _ in range(count):
            suffix = "".join(self.rng.choice(ALNUM, 5))
            self.pods.setdefault(service, []).append(
                [f"{service}-{rs}-{suffix}", start, end])

    def rollout(self, service, at, step_s, count, skip=(), rs=None):
        """Replace the live pods of service one by one starting at `at`."""
        skip = {p[0] for p in skip}
        live = [p for p in self.pods[service] if p[1] <= at < p[2] and p[0] not in skip]
        if rs is None:
            rs = "".join(self.rng.choice(HEX, 9))
        new = []
        for k, p in enumerate(live[:count] if count else live):
            t = at + k * step_s
            p[2] = t + step_s * 0.8
            suffix = "".join(self.rng.choice(ALNUM, 5))
            q = [f"{service}-{rs}-{suffix}", t + step_s * 0.5 + self.rng.uniform(0, 1), 1e12]
            self.pods[service].append(q)
            new.append(q)
        return new

    def pod_at(self, service, sec):
        live = [p[0] for p in self.pods[service] if p[1] <= sec < p[2]]
        if not live:
            live = [self.pods[service][-1][0]]
        return live[self.rng.integers(0, len(live))]

    # ---- logs ----
    def trace(self):
        return "".join(self.rng.choice(HEX, 32))

    def span(self):
        return "".join(self.rng.choice(HEX, 16))

    def log(self, sec, service, level, logger, message, thread=None, trace=True,
            pod=None, trace_id=None, **extra):
        if sec == int(sec):
            sec += self.rng.uniform(0.001, 0.999)
        rec = {
            "timestamp": iso(self.time(sec)),
            "service": service,
            "level": level,
            "logger": logger,
            "thread": thread or f"http-nio-8080-exec-{self.rng.integers(1, 201)}",
            "pod": pod or self.pod_at(service, sec),
            "message": message,
        }
        if trace:
            rec["trace_id"] = trace_id or self.trace()
            rec["span_id"] = self.span()
        rec.update(extra)
        self.logs.append((float(sec), rec))

    def background(self, service, per_min, templates, mult=None, start=0.0,
                   end=None, namespace=None):
        """templates: list of (weight, level, logger, thread, fn(rng)->str, traced)."""
        end = self.n * STEP if end is None else end
        w = np.array([t[0] for t in templates], float)
        w /= w.sum()
        mult = np.ones(self.n) if mult is None else mult
        for i in range(self.idx(start), self.idx(end)):
            k = self.rng.poisson(per_min / 4.0 * mult[i])
            for _ in range(k):
                sec = i * STEP + self.rng.uniform(0, STEP)
                if sec >= end:
                    continue
                _, level, logger, thread, fn, traced = templates[
                    self.rng.choice(len(templates), p=w)]
                th = thread(self.rng) if callable(thread) else thread
                extra = {"namespace": namespace} if namespace else {}
                self.log(sec, service, level, logger, fn(self.rng), thread=th,
                         trace=traced, **extra)

    def events(self, service, per_min, start, end, fn, mult=None):
        """Poisson event times between start and end (seconds); fn(sec) logs."""
        mult = np.ones(self.n) if mult is None else mult
        for i in range(self.idx(start), self.idx(end)):
            k = self.rng.poisson(per_min / 4.0 * mult[i])
            for _ in range(k):
                sec = i * STEP + self.rng.uniform(0, STEP)
                if start <= sec < end:
                    fn(sec)

    # ---- output ----
    def write(self):
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        manifest = {
            "format": "incident-bundle/v1",
            "name": self.name,
            "description": self.description,
            "metrics": {m: self.metrics[m]["meta"] for m in self.metric_order},
        }
        if self.trigger:
            manifest["trigger"] = self.trigger
        with open(os.path.join(self.dir, "bundle.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")

        rows = []
        for m in self.metric_order:
            info = self.metrics[m]
            svc = info["meta"]["service"]
            gaps = self.global_gaps + self.service_gaps.get(svc, [])
            keep = np.ones(self.n, bool)
            for a, b in gaps:
                keep &= ~((self.secs >= a) & (self.secs < b))
            vals = info["values"]
            for i in np.nonzero(keep)[0]:
                v = vals[i]
                sv = str(int(round(v))) if info["integer"] else fmt_gauge(v)
                rows.append((i, m, sv))
        rows.sort(key=lambda r: (r[0], r[1]))
        ts_cache = [iso(self.time(s), ms=False) for s in self.secs]
        with open(os.path.join(self.dir, "metrics.csv"), "w") as f:
            f.write("timestamp,metric,value\n")
            for i, m, sv in rows:
                f.write(f"{ts_cache[i]},{m},{sv}\n")

        self.logs.sort(key=lambda x: x[0])
        with open(os.path.join(self.dir, "logs.jsonl"), "w") as f:
            for _, rec in self.logs:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

        with open(os.path.join(self.dir, "deploys.json"), "w") as f:
            json.dump(self.deploys, f, indent=2)
            f.write("\n")
        if self.diffs:
            os.makedirs(os.path.join(self.dir, "diffs"))
            for commit, text in self.diffs.items():
                with open(os.path.join(self.dir, "diffs", f"{commit}.diff"), "w") as f:
                    f.write(text)
        with open(os.path.join(self.dir, "expected.json"), "w") as f:
            json.dump(self.expected, f, indent=2)
            f.write("\n")
        return len(rows), len(self.logs)

    @staticmethod
    def fix_hunks(diff: str) -> str:
        """Recount the line numbers of every hunk header so the diff is well formed."""
        import re
        lines = diff.rstrip("\n").split("\n")
        out, i = [], 0
        while i < len(lines):
            m = re.match(r"@@ -(\d+),\d+ \+(\d+),\d+ @@(.*)$", lines[i])
            if not m:
                out.append(lines[i])
                i += 1
                continue
            j = i + 1
            body = []
            while j < len(lines) and not lines[j].startswith(("@@", "diff --git")):
                body.append(lines[j] if lines[j] else " ")
                j += 1
            old_n = sum(1 for l in body if l[0] in " -")
            new_n = sum(1 for l in body if l[0] in " +")
            out.append(f"@@ -{m[1]},{old_n} +{m[2]},{new_n} @@{m[3]}")
            out.extend(body)
            i = j
        return "\n".join(out) + "\n"

    def deploy(self, service, version, commit, sec, author, description, diff=None):
        d = {"service": service, "version": version, "commit": commit,
             "deployed_at": iso(self.time(sec), ms=False), "author": author,
             "description": description}
        self.deploys.append(d)
        if diff is not None:
            self.diffs[commit] = self.fix_hunks(diff)


# --------------------------------------------------------------------------
# shared log vocabulary
# --------------------------------------------------------------------------

def rid(rng, prefix="", n=8):
    return prefix + "".join(rng.choice(ALNUM, n)).upper()


def uuid(rng):
    h = "".join(rng.choice(HEX, 32))
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def http_thread(rng):
    return f"http-nio-8080-exec-{rng.integers(1, 201)}"


def reactor_thread(rng):
    return f"reactor-http-epoll-{rng.integers(1, 9)}"


def kafka_thread(rng):
    return f"org.springframework.kafka.KafkaListenerEndpointContainer#0-{rng.integers(0, 4)}-C-1"


def sched_thread(rng):
    return f"scheduling-{rng.integers(1, 3)}"


TOMCAT_TAIL = (
    "\tat org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1011)\n"
    "\tat org.springframework.web.servlet.FrameworkServlet.do{verb}(FrameworkServlet.java:914)\n"
    "\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:590)\n"
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n"
    "\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)\n"
    "\tat org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:205)\n"
    "\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:149)\n"
    "\tat org.springframework.web.filter.RequestContextFilter.doFilterInternal(RequestContextFilter.java:100)\n"
    "\tat org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116)\n"
    "\tat org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:167)\n"
    "\tat org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:391)\n"
    "\tat org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1740)\n"
    "\tat org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)\n"
    "\tat org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:840)"
)


def tomcat_tail(verb="Post"):
    return TOMCAT_TAIL.replace("{verb}", verb)


def access_line(rng, routes, status_weights=None, lat_ms=(8, 140)):
    method, path = routes[rng.integers(0, len(routes))]
    path = path.replace("{id}", str(rng.integers(100000, 999999)))
    path = path.replace("{uuid}", uuid(rng))
    statuses = status_weights or [(200, 0.93), (201, 0.03), (204, 0.02), (404, 0.015),
                                  (400, 0.005)]
    codes = [s for s, _ in statuses]
    p = np.array([w for _, w in statuses], float)
    code = codes[rng.choice(len(codes), p=p / p.sum())]
    ms = int(rng.lognormal(np.log((lat_ms[0] * lat_ms[1]) ** 0.5), 0.55))
    return f"{method} {path} -> {code} in {ms}ms"


def generic_spring_templates(pkg, app, extra=(), http=True, http_thread=http_thread):
    """Background templates a typical Spring Boot service emits."""
    t = [
        (2, "INFO", "o.a.k.c.c.internals.ConsumerCoordinator", kafka_thread,
         lambda r: f"[Consumer clientId=consumer-{app}-{r.integers(1, 4)}, groupId={app}] "
                   f"Committed offset {r.integers(1000000, 9999999)} for partition "
                   f"{app}-events-{r.integers(0, 12)}", False),
        (1, "INFO", "o.s.b.a.health.HealthEndpointGroups", "scheduling-1",
         lambda r: "Health check passed: db=UP, diskSpace=UP, livenessState=UP, readinessState=UP",
         False),
        (0.4, "WARN", "com.zaxxer.hikari.pool.PoolBase", http_thread,
         lambda r: f"HikariPool-1 - Failed to validate connection "
                   f"org.postgresql.jdbc.PgConnection@{''.join(r.choice(HEX, 8))} "
                   f"(This connection has been closed.). Possibly consider using a shorter "
                   f"maxLifetime value.", True),
        (0.5 if http else 0.0, "WARN", "o.s.w.s.m.s.DefaultHandlerExceptionResolver", http_thread,
         lambda r: r.choice([
             "Resolved [org.springframework.web.HttpMediaTypeNotSupportedException: "
             "Content-Type 'text/plain;charset=UTF-8' is not supported]",
             "Resolved [org.springframework.web.bind.MissingServletRequestParameterException: "
             "Required request parameter 'page' for method parameter type Integer is not present]",
             "Resolved [org.springframework.http.converter.HttpMessageNotReadableException: "
             "JSON parse error: Unexpected end-of-input: expected close marker for Object]",
         ]), True),
    ]
    if http:
        t.append((0.6, "DEBUG", "o.s.web.servlet.DispatcherServlet", http_thread,
                  lambda r: f"Completed 200 OK", True))
    t.extend(extra)
    return t


# --------------------------------------------------------------------------
# Case 1: expired TLS certificate on identity-service
# --------------------------------------------------------------------------

def ssl_trace_client(not_after: dt.datetime, host, path, caller_frames):
    na = not_after.strftime("%a %b %d %H:%M:%S UTC %Y")
    return (
        f"I/O error on POST request for \"https://{host}:8443{path}\": PKIX path validation "
        f"failed: java.security.cert.CertPathValidatorException: validity check failed\n"
        f"org.springframework.web.client.ResourceAccessException: I/O error on POST request for "
        f"\"https://{host}:8443{path}\": PKIX path validation failed: "
        f"java.security.cert.CertPathValidatorException: validity check failed\n"
        "\tat org.springframework.web.client.RestTemplate.createResourceAccessException(RestTemplate.java:905)\n"
        "\tat org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:885)\n"
        "\tat org.springframework.web.client.RestTemplate.execute(RestTemplate.java:781)\n"
        "\tat org.springframework.web.client.RestTemplate.postForObject(RestTemplate.java:480)\n"
        + caller_frames +
        tomcat_tail("Post") + "\n"
        "Caused by: javax.net.ssl.SSLHandshakeException: PKIX path validation failed: "
        "java.security.cert.CertPathValidatorException: validity check failed\n"
        "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
        "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:383)\n"
        "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:326)\n"
        "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:321)\n"
        "\tat java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts(CertificateMessage.java:1357)\n"
        "\tat java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.onConsumeCertificate(CertificateMessage.java:1232)\n"
        "\tat java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.consume(CertificateMessage.java:1175)\n"
        "\tat java.base/sun.security.ssl.SSLHandshake.consume(SSLHandshake.java:396)\n"
        "\tat java.base/sun.security.ssl.HandshakeContext.dispatch(HandshakeContext.java:480)\n"
        "\tat java.base/sun.security.ssl.SSLSocketImpl.startHandshake(SSLSocketImpl.java:451)\n"
        "\tat org.apache.hc.client5.http.ssl.SSLConnectionSocketFactory.createLayeredSocket(SSLConnectionSocketFactory.java:395)\n"
        "\tat org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator.upgrade(DefaultHttpClientConnectionOperator.java:222)\n"
        "\t... 58 common frames omitted\n"
        "Caused by: sun.security.validator.ValidatorException: PKIX path validation failed: "
        "java.security.cert.CertPathValidatorException: validity check failed\n"
        "\tat java.base/sun.security.validator.PKIXValidator.doValidate(PKIXValidator.java:369)\n"
        "\tat java.base/sun.security.validator.PKIXValidator.engineValidate(PKIXValidator.java:263)\n"
        "\tat java.base/sun.security.validator.Validator.validate(Validator.java:264)\n"
        "\tat java.base/sun.security.ssl.X509TrustManagerImpl.checkTrusted(X509TrustManagerImpl.java:285)\n"
        "\tat java.base/sun.security.ssl.X509TrustManagerImpl.checkServerTrusted(X509TrustManagerImpl.java:144)\n"
        "\t... 70 common frames omitted\n"
        "Caused by: java.security.cert.CertPathValidatorException: validity check failed\n"
        "\tat java.base/sun.security.provider.certpath.PKIXMasterCertPathValidator.validate(PKIXMasterCertPathValidator.java:135)\n"
        "\tat java.base/sun.security.provider.certpath.PKIXCertPathValidator.validate(PKIXCertPathValidator.java:224)\n"
        "\tat java.base/sun.security.validator.PKIXValidator.doValidate(PKIXValidator.java:364)\n"
        "\t... 75 common frames omitted\n"
        f"Caused by: java.security.cert.CertificateExpiredException: NotAfter: {na}\n"
        "\tat java.base/sun.security.x509.CertificateValidity.valid(CertificateValidity.java:277)\n"
        "\tat java.base/sun.security.x509.X509CertImpl.checkValidity(X509CertImpl.java:619)\n"
        "\tat java.base/sun.security.provider.certpath.BasicChecker.verifyValidity(BasicChecker.java:190)\n"
        "\tat java.base/sun.security.provider.certpath.BasicChecker.check(BasicChecker.java:144)\n"
        "\tat java.base/sun.security.provider.certpath.PKIXMasterCertPathValidator.validate(PKIXMasterCertPathValidator.java:125)\n"
        "\t... 77 common frames omitted"
    )


def ssl_trace_gateway(not_after: dt.datetime, host):
    na = not_after.strftime("%a %b %d %H:%M:%S UTC %Y")
    return (
        f"[{{req}}] Token introspection against "
        f"https://{host}:8443/oauth2/introspect failed\n"
        "io.netty.handler.codec.DecoderException: javax.net.ssl.SSLHandshakeException: PKIX path "
        "validation failed: java.security.cert.CertPathValidatorException: validity check failed\n"
        "\tat io.netty.handler.codec.ByteToMessageDecoder.callDecode(ByteToMessageDecoder.java:499)\n"
        "\tat io.netty.handler.codec.ByteToMessageDecoder.channelRead(ByteToMessageDecoder.java:290)\n"
        "\tat io.netty.channel.AbstractChannelHandlerContext.invokeChannelRead(AbstractChannelHandlerContext.java:444)\n"
        "\tat io.netty.channel.epoll.AbstractEpollStreamChannel$EpollStreamUnsafe.epollInReady(AbstractEpollStreamChannel.java:800)\n"
        "\tat io.netty.channel.epoll.EpollEventLoop.processReady(EpollEventLoop.java:509)\n"
        "\tat io.netty.channel.epoll.EpollEventLoop.run(EpollEventLoop.java:407)\n"
        "\tat io.netty.util.concurrent.SingleThreadEventExecutor$4.run(SingleThreadEventExecutor.java:997)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
        "Caused by: javax.net.ssl.SSLHandshakeException: PKIX path validation failed: "
        "java.security.cert.CertPathValidatorException: validity check failed\n"
        "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
        "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:383)\n"
        "\tat java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts(CertificateMessage.java:1357)\n"
        "\tat java.base/sun.security.ssl.SSLEngineImpl$DelegatedTask$DelegatedAction.run(SSLEngineImpl.java:1297)\n"
        "\tat io.netty.handler.ssl.SslHandler.runDelegatedTasks(SslHandler.java:1552)\n"
        "\tat io.netty.handler.ssl.SslHandler.unwrap(SslHandler.java:1398)\n"
        "\tat io.netty.handler.ssl.SslHandler.decode(SslHandler.java:1338)\n"
        "\t... 17 common frames omitted\n"
        "Caused by: sun.security.validator.ValidatorException: PKIX path validation failed: "
        "java.security.cert.CertPathValidatorException: validity check failed\n"
        "\tat java.base/sun.security.validator.PKIXValidator.doValidate(PKIXValidator.java:369)\n"
        "\tat java.base/sun.security.validator.Validator.validate(Validator.java:264)\n"
        "\tat io.netty.handler.ssl.OpenSslX509TrustManagerWrapper$1.checkServerTrusted(OpenSslX509TrustManagerWrapper.java:96)\n"
        "\t... 25 common frames omitted\n"
        f"Caused by: java.security.cert.CertificateExpiredException: NotAfter: {na}\n"
        "\tat java.base/sun.security.x509.CertificateValidity.valid(CertificateValidity.java:277)\n"
        "\tat java.base/sun.security.x509.X509CertImpl.checkValidity(X509CertImpl.java:619)\n"
        "\tat java.base/sun.security.provider.certpath.BasicChecker.verifyValidity(BasicChecker.java:190)\n"
        "\t... 31 common frames omitted"
    )


RECS_DIFF = """diff --git a/src/main/java/com/northwind/recs/ranking/CandidateRanker.java b/src/main/java/com/northwind/recs/ranking/CandidateRanker.java
index 4be91c2..a07d3e5 100644
--- a/src/main/java/com/northwind/recs/ranking/CandidateRanker.java
+++ b/src/main/java/com/northwind/recs/ranking/CandidateRanker.java
@@ -41,14 +41,18 @@ public class CandidateRanker {
     private final FeatureStoreClient featureStore;
     private final RankingProperties props;
 
     public List<ScoredItem> rank(String customerId, List<Item> candidates) {
-        Map<String, Double> affinity = featureStore.categoryAffinity(customerId);
+        Map<String, Double> affinity = featureStore.categoryAffinity(customerId, props.getAffinityWindowDays());
+        double recencyWeight = props.getRecencyWeight();
         return candidates.stream()
-                .map(item -> new ScoredItem(item, score(item, affinity)))
+                .map(item -> new ScoredItem(item, score(item, affinity, recencyWeight)))
                 .sorted(Comparator.comparingDouble(ScoredItem::score).reversed())
                 .limit(props.getMaxResults())
                 .toList();
     }
 
-    private double score(Item item, Map<String, Double> affinity) {
-        return affinity.getOrDefault(item.category(), 0.0) * item.popularity();
+    private double score(Item item, Map<String, Double> affinity, double recencyWeight) {
+        double base = affinity.getOrDefault(item.category(), 0.0) * item.popularity();
+        double ageDays = Math.max(0, item.ageDays());
+        return base * (1.0 + recencyWeight / (1.0 + ageDays));
     }
 }
diff --git a/src/main/resources/application.yml b/src/main/resources/application.yml
index 91d0e2f..c55a8b1 100644
--- a/src/main/resources/application.yml
+++ b/src/main/resources/application.yml
@@ -18,6 +18,8 @@ recs:
   ranking:
     max-results: 24
+    affinity-window-days: 30
+    recency-weight: 0.35
   feature-store:
     base-url: http://feature-store.ml.svc.cluster.local:8080
     timeout: 400ms
"""


def case_cert():
    b = Bundle("prod-eu-20260512", dt.datetime(2026, 5, 12, 5, 30, tzinfo=dt.timezone.utc),
               4.5, 1101, "export from prod-eu, 2026-05-12", tz_offset_h=2)
    rng = b.rng
    T_EXP = b.at("07:42:00")            # certificate notAfter
    T_FIX = b.at("08:49:20")            # identity-service pods rolled with renewed secret
    not_after = b.time(T_EXP)
    T_RECS = b.at("07:21:40")
    s = b.secs

    for svc, k in [("api-gateway", 3), ("orders-service", 3), ("identity-service", 2),
                   ("recommendations-service", 2), ("inventory-service", 2),
                   ("notification-service", 2)]:
        b.add_pods(svc, k)
    b.rollout("recommendations-service", T_RECS + 20, 55, 0)
    b.rollout("identity-service", T_FIX, 40, 0)

    # failure shape: pooled TLS connections keep working until recycled, so
    # failures ramp in over ~2.5 min; they stop as renewed pods become ready.
    fail = smoothstep((s - T_EXP) / 150.0) * (1 - smoothstep((s - T_FIX - 30) / 70.0))
    fail = np.clip(fail * (1 + b.ar1(0.08, 0.9)), 0, 1)

    gw_rate = b.traffic(360.0)
    gw_err_frac = 0.0015 * b.lognoise(0.4) + fail * 0.37 * b.lognoise(0.06)
    b.counter("gateway_requests_seconds_count", "api-gateway", gw_rate, 48_213_907,
              declare=True, unit="requests", description="requests handled by the edge gateway")
    b.counter("gateway_requests_5xx_total", "api-gateway", gw_rate * gw_err_frac, 91_442,
              unit="requests")
    gw_p99 = (0.165 + 0.02 * diurnal(b.local_h)) * b.lognoise(0.07) * b.spikes(0.8)
    gw_p99 = gw_p99 + fail * rng.uniform(0.9, 1.5, b.n)
    b.gauge("api_gateway:request_latency_seconds:p99", "api-gateway", gw_p99, unit="s")
    b.gauge("api_gateway_process_cpu_usage", "api-gateway",
            np.clip(0.08 + 0.22 * gw_rate / 360 * b.lognoise(0.05) + fail * 0.05, 0, 1),
            unit="ratio")

    ord_rate = b.traffic(54.0)
    ord_err = 0.002 * b.lognoise(0.5) + fail * 0.56 * b.lognoise(0.05)
    b.counter("orders_http_server_requests_seconds_count", "orders-service", ord_rate,
              6_120_455)
    b.counter("orders_http_server_requests_errors_total", "orders-service",
              ord_rate * ord_err, 15_877, declare=True, description="5xx responses")
    ord_p99 = 0.24 * b.lognoise(0.08) * b.spikes(1.0) + fail * rng.uniform(1.6, 2.6, b.n)
    b.gauge("orders:http_server_requests_seconds:p99", "orders-service", ord_p99, unit="s")
    b.gauge("orders_hikaricp_connections_active", "orders-service",
            np.clip(np.round(ord_rate * 0.11 * (1 - 0.5 * fail) * b.lognoise(0.2)), 0, 30))
    heap = np.empty(b.n)
    phase = rng.uniform(0, 1)
    for i in range(b.n):
        phase += rng.uniform(0.18, 0.3)
        heap[i] = 520e6 + 40e6 * np.sin(i / 300) + (phase % 1.0) * 610e6
    b.gauge("orders_jvm_memory_used_bytes_heap", "orders-service", heap, unit="bytes")

    id_rate_normal = b.traffic(420.0)
    probes = 2 * 2 / 10.0   # kubelet probes: 2 pods, 2 probes / 10 s, plain http
    id_rate = id_rate_normal * (1 - 0.985 * fail) + probes
    restart = [T_FIX + 25]
    b.counter("identity_http_server_requests_seconds_count", "identity-service", id_rate,
              91_334_210, resets=restart)
    b.gauge("identity_http_server_requests_seconds:p99", "identity-service",
            0.048 * b.lognoise(0.09) * b.spikes(0.7) * (1 - 0.25 * fail), unit="s")
    b.gauge("identity_process_cpu_usage", "identity-service",
            np.clip(0.05 + 0.30 * id_rate / 420 * b.lognoise(0.06), 0, 1), unit="ratio")
    gcm = 0.012 * b.lognoise(0.35) * b.spikes(0.5, (2, 4))
    b.gauge("identity_jvm_gc_pause_seconds_max", "identity-service", gcm, unit="s")

    rec_rate = b.traffic(140.0)
    b.counter("recommendations_http_server_requests_seconds_count", "recommendations-service",
              rec_rate, 22_091_733, resets=[T_RECS + 60])
    warm = np.where((s > T_RECS + 30) & (s < T_RECS + 330),
                    0.25 * np.exp(-(s - T_RECS - 40) / 120.0), 0)
    b.gauge("recommendations:request_latency_seconds:p99", "recommendations-service",
            0.11 * b.lognoise(0.08) * b.spikes(1.0) + warm, unit="s")
    rheap = 900e6 + 250e6 * np.abs(np.sin(s / 97.0)) + 30e6 * b.ar1(1, 0.9)
    rheap[(s > T_RECS + 30) & (s < T_RECS + 200)] *= 0.55
    b.gauge("recommendations_jvm_memory_used_bytes", "recommendations-service", rheap,
            unit="bytes")

    inv_rate = b.traffic(75.0) * (1 - 0.35 * fail)
    b.counter("inventory_http_server_requests_seconds_count", "inventory-service", inv_rate,
              11_873_002)
    b.gauge("inventory:http_latency_seconds:p99", "inventory-service",
            0.062 * b.lognoise(0.09) * b.spikes(1.2), unit="s")

    lag = np.maximum(0, 35 * diurnal(b.local_h) * b.lognoise(0.5))
    b.gauge("notification_kafka_consumer_records_lag_max", "notification-service", lag,
            unit="records")
    b.gauge("notification_jvm_gc_pause_seconds_max", "notification-service",
            0.018 * b.lognoise(0.3) * b.spikes(0.6, (2, 5)), unit="s")
    b.gauge("notification_kube_pod_container_status_restarts_total", "notification-service",
            np.full(b.n, 3.0))

    b.gap(b.at("06:47:30"), 1.5)
    b.gap(b.at("09:21:00"), 2)
    b.gap(T_FIX + 15, 1, service="identity-service")
    b.gap(T_RECS + 45, 0.5, service="recommendations-service")

    # ---------------- deploys ----------------
    b.deploy("recommendations-service", "v4.7.0", "7c2e9d41a0", T_RECS, "ci-bot",
             "recommendations-service v4.7.0", RECS_DIFF)

    # ---------------- logs ----------------
    traffic_mult = diurnal(b.local_h) / diurnal(b.local_h).mean()
    gw_routes = [("GET", "/api/v1/catalog/items/{id}"), ("GET", "/api/v1/recommendations"),
                 ("POST", "/api/v1/orders"), ("GET", "/api/v1/orders/{id}"),
                 ("GET", "/api/v1/inventory/{id}/availability"), ("POST", "/api/v1/cart/items"),
                 ("GET", "/api/v1/account/me")]
    b.background("api-gateway", 14, [
        (10, "INFO", "reactor.netty.http.server.AccessLog", reactor_thread,
         lambda r: access_line(r, gw_routes), True),
        (0.4, "WARN", "o.s.c.g.filter.factory.RequestRateLimiterGatewayFilterFactory",
         reactor_thread, lambda r: f"Rate limit exceeded for key client:{rid(r, 'mob-', 6)}", True),
        (0.15, "ERROR", "o.s.b.a.w.r.e.AbstractErrorWebExceptionHandler", reactor_thread,
         lambda r: f"[{''.join(r.choice(HEX, 8))}-{r.integers(1, 9000)}] 500 Server Error for "
                   f"HTTP GET \"/api/v1/recommendations?limit=24\"\n"
                   "io.netty.channel.AbstractChannel$AnnotatedConnectException: finishConnect(..) "
                   "failed: Connection refused: recommendations-service.recs.svc.cluster.local/10.42.7.19:8080\n"
                   "\tSuppressed: reactor.core.publisher.FluxOnAssembly$OnAssemblyException: \n"
                   "Error has been observed at the following site(s):\n"
                   "\t*__checkpoint ⇢ org.springframework.cloud.gateway.filter.WeightCalculatorWebFilter [DefaultWebFilterChain]\n"
                   "\t*__checkpoint ⇢ HTTP GET \"/api/v1/recommendations\" [ExceptionHandlingWebHandler]\n"
                   "Original Stack Trace:\n"
                   "Caused by: java.net.ConnectException: finishConnect(..) failed: Connection refused\n"
                   "\tat io.netty.channel.unix.Errors.newConnectException0(Errors.java:166)\n"
                   "\tat io.netty.channel.unix.Errors.handleConnectErrno(Errors.java:131)\n"
                   "\tat io.netty.channel.unix.Socket.finishConnect(Socket.java:359)", True),
    ], mult=traffic_mult, namespace="edge")

    ord_routes = [("POST", "/api/v1/orders"), ("GET", "/api/v1/orders/{id}"),
                  ("GET", "/api/v1/orders?customer={id}")]
    b.background("orders-service", 7, generic_spring_templates("com.northwind.orders", "orders-service", [
        (6, "INFO", "c.n.orders.service.OrderService", http_thread,
         lambda r: f"Order {rid(r, 'ORD-')} created for customer {r.integers(10**6, 10**7)}: "
                   f"{r.integers(1, 7)} lines, total EUR {r.uniform(9, 480):.2f}", True),
        (3, "INFO", "c.n.orders.web.RequestLoggingFilter", http_thread,
         lambda r: access_line(r, ord_routes), True),
        (0.1, "ERROR", "c.n.orders.events.OrderEventPublisher", kafka_thread,
         lambda r: f"Failed to publish OrderCreated for {rid(r, 'ORD-')} (attempt 1/5), will retry\n"
                   "org.apache.kafka.common.errors.NotLeaderOrFollowerException: For requests intended only "
                   "for the leader, this error indicates that the broker is not the current leader.", False),
    ]), mult=traffic_mult, namespace="orders")

    def tls_thread(r):
        return f"https-jsse-nio-8443-exec-{r.integers(1, 201)}"

    b.background("identity-service", 9, generic_spring_templates("com.northwind.identity", "identity-service", [
        (6, "INFO", "c.n.identity.oauth.IntrospectionEndpoint", tls_thread,
         lambda r: f"introspect client_id={r.choice(['api-gateway', 'orders-service', 'web-spa'])} "
                   f"active=true scope=\"{r.choice(['orders:write', 'catalog:read', 'account:read'])}\" "
                   f"took {r.integers(2, 30)}ms", True),
        (2, "INFO", "c.n.identity.users.UserLookupController", tls_thread,
         lambda r: f"lookup user id={r.integers(10**6, 10**7)} found=true", True),
        (0.2, "WARN", "c.n.identity.auth.LoginAttemptService", tls_thread,
         lambda r: f"Failed login for user {r.integers(10**6, 10**7)} from 10.{r.integers(0, 255)}."
                   f"{r.integers(0, 255)}.{r.integers(0, 255)} (attempt {r.integers(1, 5)})", True),
    ], http_thread=tls_thread), mult=traffic_mult * np.clip(id_rate / id_rate_normal, 0.05, 1),
        namespace="identity")

    b.background("recommendations-service", 5, generic_spring_templates("com.northwind.recs", "recommendations-service", [
        (5, "INFO", "c.n.recs.web.RecommendationController", http_thread,
         lambda r: f"served {r.integers(8, 25)} recommendations for customer {r.integers(10**6, 10**7)} "
                   f"(model=ranker-v{r.choice([12, 12, 13])}, {r.integers(20, 160)}ms)", True),
        (0.5, "WARN", "c.n.recs.features.FeatureStoreClient", http_thread,
         lambda r: f"feature-store call exceeded 400ms budget ({r.integers(401, 900)}ms), "
                   f"falling back to popularity ranking", True),
    ]), mult=traffic_mult, namespace="recs")

    b.background("inventory-service", 5, generic_spring_templates("com.northwind.inventory", "inventory-service", [
        (5, "INFO", "c.n.inventory.ReservationService", http_thread,
         lambda r: f"reserved {r.integers(1, 5)} x SKU-{r.integers(10000, 99999)} in warehouse "
                   f"{r.choice(['FRA1', 'AMS2', 'WAW1'])}", True),
        (0.3, "WARN", "c.n.inventory.ReservationService", http_thread,
         lambda r: f"insufficient stock for SKU-{r.integers(10000, 99999)}: requested "
                   f"{r.integers(2, 6)}, available {r.integers(0, 2)}", True),
    ]), mult=traffic_mult * (1 - 0.35 * fail), namespace="inventory")

    b.background("notification-service", 3, generic_spring_templates("com.northwind.notify", "notification-service", [
        (5, "INFO", "c.n.notify.mail.MailDispatcher", kafka_thread,
         lambda r: f"sent order-confirmation to customer {r.integers(10**6, 10**7)} via ses "
                   f"(message-id {uuid(r)})", False),
        (0.25, "ERROR", "c.n.notify.sms.SmsGatewayClient", kafka_thread,
         lambda r: "SMS delivery failed: provider returned 429 Too Many Requests; message parked "
                   f"for retry (id {uuid(r)})", False),
    ], http=False), mult=traffic_mult, namespace="notifications")

    # recommendations rollout logs
    for p in [p for p in b.pods["recommendations-service"] if T_RECS < p[1] < T_RECS + 600]:
        t = p[1]
        b.log(t, "recommendations-service", "INFO", "c.n.recs.RecommendationsApplication",
              "Starting RecommendationsApplication v4.7.0 using Java 17.0.11 with PID 1",
              thread="main", trace=False, pod=p[0])
        b.log(t + 9.3, "recommendations-service", "INFO",
              "o.s.b.w.embedded.tomcat.TomcatWebServer",
              "Tomcat started on port 8080 (http) with context path ''", thread="main",
              trace=False, pod=p[0])
        b.log(t + 9.6, "recommendations-service", "INFO", "c.n.recs.RecommendationsApplication",
              f"Started RecommendationsApplication in {rng.uniform(9, 12):.3f} seconds "
              f"(process running for {rng.uniform(10, 13):.3f})", thread="main", trace=False,
              pod=p[0])
        b.log(t + 14, "recommendations-service", "WARN", "c.n.recs.features.FeatureStoreClient",
              "feature-store warmup: 3 of 24 categories returned empty affinity, using defaults",
              thread="main", trace=False, pod=p[0])

    # ---- the incident ----
    host = "identity-service.identity.svc.cluster.local"
    orders_frames = (
        "\tat com.northwind.orders.identity.IdentityClient.lookupUser(IdentityClient.java:74)\n"
        "\tat com.northwind.orders.service.OrderService.createOrder(OrderService.java:118)\n"
        "\tat com.northwind.orders.web.OrderController.create(OrderController.java:52)\n"
        "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n"
        "\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:207)\n"
        "\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)\n"
    )
    gw_trace = ssl_trace_gateway(not_after, host)
    ord_trace = ssl_trace_client(not_after, host, "/internal/v1/users/lookup", orders_frames)
    shared_traces = []

    def gw_err(sec):
        tid = b.trace()
        shared_traces.append((sec, tid))
        req = "".join(rng.choice(HEX, 8)) + f"-{rng.integers(1, 90000)}"
        b.log(sec, "api-gateway", "ERROR", "c.n.gateway.auth.TokenIntrospectionFilter",
              gw_trace.replace("{req}", req),
              thread=reactor_thread(rng), trace_id=tid, namespace="edge")
        if rng.random() < 0.5:
            b.log(sec + 0.004, "api-gateway", "INFO", "reactor.netty.http.server.AccessLog",
                  f"{rng.choice(['GET', 'POST'])} {rng.choice(['/api/v1/orders', '/api/v1/account/me', '/api/v1/cart/items'])} "
                  f"-> 503 in {int(rng.uniform(900, 2300))}ms", thread=reactor_thread(rng),
                  trace_id=tid, namespace="edge")

    def gw_warn(sec):
        b.log(sec, "api-gateway", "WARN", "c.n.gateway.auth.TokenIntrospectionFilter",
              f"introspection unavailable, rejecting request with 503 (circuit "
              f"{rng.choice(['CLOSED', 'HALF_OPEN', 'OPEN'])}): certificate expired on "
              f"{iso(not_after, ms=False)} for {host}", thread=reactor_thread(rng),
              namespace="edge")

    def ord_err(sec):
        b.log(sec, "orders-service", "ERROR",
              "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
              "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw "
              "exception [Request processing failed: " + ord_trace.split("\n", 1)[1].split("\n", 1)[0]
              + "] with root cause\n" + ord_trace.split("\n", 1)[1],
              thread=http_thread(rng), namespace="orders")

    def ord_warn(sec):
        b.log(sec, "orders-service", "WARN", "c.n.orders.identity.IdentityClient",
              f"identity lookup failed after 3 attempts ({int(rng.uniform(1200, 2400))}ms): "
              "PKIX path validation failed: java.security.cert.CertPathValidatorException: "
              "validity check failed", thread=http_thread(rng), namespace="orders")

    def id_debug(sec):
        b.log(sec, "identity-service", "DEBUG", "o.apache.tomcat.util.net.NioEndpoint",
              "Handshake failed during wrap\njavax.net.ssl.SSLHandshakeException: Received fatal "
              "alert: certificate_unknown\n"
              "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
              "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:117)\n"
              "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:365)\n"
              "\tat java.base/sun.security.ssl.Alert$AlertConsumer.consume(Alert.java:287)\n"
              "\tat java.base/sun.security.ssl.TransportContext.dispatch(TransportContext.java:204)\n"
              "\tat java.base/sun.security.ssl.SSLEngineImpl.readRecord(SSLEngineImpl.java:736)\n"
              "\tat org.apache.tomcat.util.net.SecureNioChannel.handshakeUnwrap(SecureNioChannel.java:475)\n"
              "\tat org.apache.tomcat.util.net.SecureNioChannel.handshake(SecureNioChannel.java:238)\n"
              "\tat org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1730)",
              thread=f"https-jsse-nio-8443-exec-{rng.integers(1, 201)}", trace=False,
              namespace="identity")

    fm = fail * traffic_mult
    b.events("api-gateway", 22, T_EXP, T_FIX + 120, gw_err, mult=fm)
    b.events("api-gateway", 6, T_EXP, T_FIX + 120, gw_warn, mult=fm)
    b.events("orders-service", 11, T_EXP, T_FIX + 120, ord_err, mult=fm)
    b.events("orders-service", 7, T_EXP, T_FIX + 120, ord_warn, mult=fm)
    b.events("identity-service", 4, T_EXP, T_FIX + 60, id_debug, mult=fm)

    # identity-service rolled (secret renewed) -> startup logs
    for p in [p for p in b.pods["identity-service"] if p[1] > T_FIX - 10]:
        t = p[1]
        b.log(t, "identity-service", "INFO", "c.n.identity.IdentityServiceApplication",
              "Starting IdentityServiceApplication v2.19.4 using Java 17.0.11 with PID 1",
              thread="main", trace=False, pod=p[0], namespace="identity")
        b.log(t + 11.2, "identity-service", "INFO", "o.s.b.w.embedded.tomcat.TomcatWebServer",
              "Tomcat started on ports 8443 (https), 8081 (http) with context path ''",
              thread="main", trace=False, pod=p[0], namespace="identity")
        b.log(t + 11.5, "identity-service", "INFO", "c.n.identity.IdentityServiceApplication",
              f"Started IdentityServiceApplication in {rng.uniform(11, 13):.3f} seconds "
              f"(process running for {rng.uniform(12, 14):.3f})", thread="main", trace=False,
              pod=p[0], namespace="identity")

    b.expected = {
        "incident": True,
        "findings": [{"service": "identity-service", "category": "dependency_failure",
                      "action": ["escalate", "failover", "restart"],
                      "keywords": ["certificate"]}],
        "forbidden_services": ["recommendations-service"],
    }
    return b


# --------------------------------------------------------------------------
# Case 2: heap leak in report-generator, OOM, restart, leak again
# --------------------------------------------------------------------------

SEARCH_DIFF = """diff --git a/src/main/java/com/acme/search/query/QueryBuilder.java b/src/main/java/com/acme/search/query/QueryBuilder.java
index 0d5e7a1..6c2f9b8 100644
--- a/src/main/java/com/acme/search/query/QueryBuilder.java
+++ b/src/main/java/com/acme/search/query/QueryBuilder.java
@@ -57,9 +57,12 @@ public class QueryBuilder {
     public SearchRequest build(SearchQuery q) {
         BoolQuery.Builder bool = new BoolQuery.Builder();
         bool.must(m -> m.multiMatch(mm -> mm.query(q.text())
-                .fields("title^3", "description", "brand^2")));
+                .fields("title^3", "description", "brand^2", "tags")
+                .fuzziness("AUTO")));
         q.filters().forEach((field, value) -> bool.filter(f -> f.term(t -> t.field(field).value(value))));
+        if (q.inStockOnly()) {
+            bool.filter(f -> f.range(r -> r.field("stock").gt(JsonData.of(0))));
+        }
         return SearchRequest.of(s -> s.index(indexAlias)
                 .query(bool.build()._toQuery())
                 .size(q.pageSize())
diff --git a/src/main/java/com/acme/search/web/SearchController.java b/src/main/java/com/acme/search/web/SearchController.java
index 2b41c90..71aa0de 100644
--- a/src/main/java/com/acme/search/web/SearchController.java
+++ b/src/main/java/com/acme/search/web/SearchController.java
@@ -33,8 +33,9 @@ public class SearchController {
     @GetMapping("/api/v1/search")
     public SearchResponse search(@RequestParam String q,
                                  @RequestParam(defaultValue = "24") int size,
+                                 @RequestParam(defaultValue = "false") boolean inStock,
                                  @RequestParam Map<String, String> filters) {
-        return service.search(new SearchQuery(q, size, filters));
+        return service.search(new SearchQuery(q, size, inStock, filters));
     }
 }
"""


def oom_trace():
    return (
        "Exception in thread \"statement-export-3\" java.lang.OutOfMemoryError: Java heap space\n"
        "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)\n"
        "\tat java.base/java.lang.AbstractStringBuilder.ensureCapacityInternal(AbstractStringBuilder.java:228)\n"
        "\tat java.base/java.lang.AbstractStringBuilder.append(AbstractStringBuilder.java:582)\n"
        "\tat java.base/java.lang.StringBuilder.append(StringBuilder.java:179)\n"
        "\tat com.acme.reports.render.CsvStatementWriter.writeRow(CsvStatementWriter.java:64)\n"
        "\tat com.acme.reports.render.StatementRenderer.render(StatementRenderer.java:211)\n"
        "\tat com.acme.reports.jobs.StatementExportJob.exportAccount(StatementExportJob.java:148)\n"
        "\tat com.acme.reports.jobs.StatementExportJob.lambda$run$2(StatementExportJob.java:97)\n"
        "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)\n"
        "\tat java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:635)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:840)"
    )


def case_leak():
    b = Bundle("prod-us-20260603", dt.datetime(2026, 6, 3, 0, 0, tzinfo=dt.timezone.utc),
               6.0, 2202, "export from prod-us-east, 2026-06-03", tz_offset_h=-4)
    rng = b.rng
    s = b.secs
    T_JOB = b.at("01:00:00")      # nightly statement export starts
    T_OOM1 = b.at("03:11:47")
    T_UP1 = T_OOM1 + 48
    T_OOM2 = b.at("05:14:09")
    T_UP2 = T_OOM2 + 52
    T_SEARCH = b.at("02:36:10")
    MAX_HEAP = 2048 * 2 ** 20

    for svc, k in [("report-generator", 1), ("ledger-service", 3), ("api-gateway", 3),
                   ("search-service", 3), ("notification-service", 2), ("accounts-service", 2)]:
        b.add_pods(svc, k)
    rg0 = b.pods["report-generator"][0]
    # same pod name after an in-place container restart; keep one pod
    b.rollout("search-service", T_SEARCH + 15, 50, 0)

    # ---- report-generator heap ----
    def leak_curve(t_from, t_oom):
        x = np.clip((s - t_from) / (t_oom - t_from), 0, 1)
        return x ** 1.15

    old = np.full(b.n, 430e6) + 25e6 * b.ar1(1, 0.995)
    job_on = (s >= T_JOB).astype(float)
    seg1 = (s >= T_JOB) & (s < T_OOM1)
    seg2 = (s >= T_UP1) & (s < T_OOM2)
    seg3 = s >= T_UP2
    leak = np.zeros(b.n)
    leak[seg1] = 1450e6 * leak_curve(T_JOB + 300, T_OOM1)[seg1]
    leak[seg2] = 1500e6 * leak_curve(T_UP1 + 120, T_OOM2)[seg2]
    slope = 1500e6 / (T_OOM2 - T_UP1 - 120)
    leak[seg3] = np.clip((s[seg3] - T_UP2 - 120) * slope, 0, None) * 1.02
    old = old + leak
    for t_up in (T_UP1, T_UP2):
        w = (s >= t_up) & (s < t_up + 900)
        old[w] *= 0.42 + 0.58 * smoothstep((s[w] - t_up) / 900.0)
    young_cap = np.clip(MAX_HEAP - old - 60e6, 20e6, 420e6)
    young = np.empty(b.n)
    ph = 0.0
    for i in range(b.n):
        ph += rng.uniform(0.15, 0.35) * (1 + 1.5 * job_on[i])
        young[i] = (ph % 1.0) * young_cap[i]
    heap = np.minimum(old + young + 35e6, MAX_HEAP - rng.uniform(1e6, 9e6, b.n))
    occ = old / MAX_HEAP
    b.gauge("report_generator_jvm_memory_used_bytes_heap", "report-generator", heap,
            unit="bytes", description="jvm_memory_used_bytes{area=\"heap\"} summed over pools")
    b.gauge("report_generator_jvm_memory_used_bytes_g1_old_gen", "report-generator", old,
            unit="bytes")
    b.gauge("report_generator_jvm_memory_max_bytes_heap", "report-generator",
            np.full(b.n, float(MAX_HEAP)), unit="bytes")
    pressure = smoothstep((occ - 0.62) / 0.33)
    gc = 0.045 * b.lognoise(0.35) * b.spikes(0.8, (1.5, 3)) + pressure * rng.uniform(0.6, 3.8, b.n) ** 1.3
    b.gauge("report_generator_jvm_gc_pause_seconds_max", "report-generator", gc, unit="s")
    cpu = np.clip(0.06 + 0.22 * job_on + 0.62 * pressure + 0.03 * b.ar1(1, 0.8), 0.01, 0.99)
    b.gauge("report_generator_process_cpu_usage", "report-generator", cpu, unit="ratio")
    down = np.zeros(b.n, bool)
    for a, c in [(T_OOM1, T_UP1), (T_OOM2, T_UP2)]:
        down |= (s >= a) & (s < c)
    rep_rate = (0.15 + 2.4 * job_on) * (1 - 0.8 * pressure) * b.lognoise(0.15)
    rep_rate[down] = 0
    b.counter("report_generator_reports_generated_total", "report-generator", rep_rate,
              1_240_311, resets=[T_UP1, T_UP2], declare=True, unit="reports")
    render = (0.8 + 0.6 * job_on) * b.lognoise(0.12) * (1 + 6 * pressure)
    b.gauge("report_generator:report_render_seconds:p99", "report-generator", render, unit="s")
    restarts = np.zeros(b.n) + (s >= T_OOM1 + 30) + (s >= T_OOM2 + 30)
    b.gauge("report_generator_kube_pod_container_status_restarts_total", "report-generator",
            restarts, kind="counter")
    b.gap(T_OOM1 + 5, 0.75, service="report-generator")
    b.gap(T_OOM2 + 8, 0.75, service="report-generator")

    # ---- ledger-service (read by the export job) ----
    led_rate = b.traffic(38.0) + 55 * job_on * (1 - 0.8 * pressure) * (~down)
    b.counter("ledger_http_server_requests_seconds_count", "ledger-service", led_rate, 31_882_113)
    b.gauge("ledger:http_server_requests_seconds:p99", "ledger-service",
            0.085 * b.lognoise(0.09) * b.spikes(1.0) * (1 + 0.15 * job_on), unit="s")
    b.gauge("ledger_hikaricp_connections_active", "ledger-service",
            np.clip(np.round(led_rate * 0.09 * b.lognoise(0.25)), 0, 40))

    # ---- api-gateway ----
    gw_rate = b.traffic(210.0)
    b.counter("api_gateway_http_server_requests_seconds_count", "api-gateway", gw_rate,
              77_201_664, declare=True)
    gw_err = 0.0012 * b.lognoise(0.5) + 0.004 * down
    b.counter("api_gateway_http_server_requests_5xx_total", "api-gateway", gw_rate * gw_err,
              130_572)
    b.gauge("api_gateway:request_latency_seconds:p99", "api-gateway",
            0.19 * b.lognoise(0.07) * b.spikes(0.8), unit="s")

    # ---- search-service (deploy, red herring) ----
    sr_rate = b.traffic(95.0)
    b.counter("search_http_server_requests_seconds_count", "search-service", sr_rate,
              14_009_877, resets=[T_SEARCH + 60])
    warm = np.where((s > T_SEARCH) & (s < T_SEARCH + 420),
                    0.35 * np.exp(-np.clip(s - T_SEARCH - 30, 0, None) / 150.0), 0)
    b.gauge("search:request_latency_seconds:p99", "search-service",
            0.14 * b.lognoise(0.08) * b.spikes(1.0) + warm, unit="s")
    b.gauge("search_process_cpu_usage", "search-service",
            np.clip(0.12 + 0.25 * sr_rate / 95 * b.lognoise(0.07) + 2 * warm, 0, 1), unit="ratio")

    # ---- notification-service ----
    b.gauge("notification_kafka_consumer_records_lag_max", "notification-service",
            np.maximum(0, 25 * diurnal(b.local_h) * b.lognoise(0.6)), unit="records")

    b.gap(b.at("00:41:15"), 1.0)
    b.gap(b.at("04:02:30"), 2.0)
    b.gap(b.at("05:47:00"), 0.5)

    b.deploy("search-service", "v2.11.0", "b81f3c0e2d", T_SEARCH, "jenkins",
             "search-service v2.11.0", SEARCH_DIFF)

    # ---- logs ----
    tm = diurnal(b.local_h) / diurnal(b.local_h).mean()
    rg = "report-generator"
    b.background(rg, 1.5, generic_spring_templates("com.acme.reports", rg, [
        (2, "INFO", "c.a.reports.web.ReportDownloadController", http_thread,
         lambda r: f"served report {uuid(r)} ({r.integers(20, 900)} KiB) to user {r.integers(10**5, 10**6)}", True),
    ]), mult=tm * (~down), namespace="reporting")

    def job_batch(sec):
        b.log(sec, rg, "INFO", "c.a.reports.jobs.StatementExportJob",
              f"statementExport 2026-06-02: rendered batch {rng.integers(1, 4000)} "
              f"({rng.integers(200, 501)} accounts, {rng.integers(1500, 9000)} ms)",
              thread=f"statement-export-{rng.integers(1, 5)}", trace=False, namespace="reporting")

    def job_skip(sec):
        b.log(sec, rg, "WARN", "c.a.reports.jobs.StatementExportJob",
              f"account {rng.integers(10**7, 10**8)} has no postings for period 2026-05, "
              "writing empty statement", thread=f"statement-export-{rng.integers(1, 5)}",
              trace=False, namespace="reporting")

    active = job_on * (~down) * (1 - 0.7 * pressure)
    b.events(rg, 9, T_JOB, b.n * STEP, job_batch, mult=active)
    b.events(rg, 0.6, T_JOB, b.n * STEP, job_skip, mult=active)

    def starv(sec):
        delta = rng.uniform(2, 75) * (1 + 2 * pressure[min(b.idx(sec), b.n - 1)])
        m, sc = divmod(delta, 60)
        b.log(sec, rg, "WARN", "com.zaxxer.hikari.pool.HikariPool",
              f"HikariPool-1 - Thread starvation or clock leap detected (housekeeper "
              f"delta={int(m)}m{sc:.0f}s{rng.integers(0, 999)}ms).", thread="HikariPool-1 housekeeper",
              trace=False, namespace="reporting")

    b.events(rg, 1.2, T_JOB, b.n * STEP, starv, mult=pressure * (~down))

    def slow_req(sec):
        b.log(sec, rg, "WARN", "c.a.reports.web.ReportDownloadController",
              f"slow request GET /api/v1/reports/{uuid(rng)} took {rng.integers(3000, 14000)}ms",
              thread=http_thread(rng), namespace="reporting")

    b.events(rg, 0.8, T_JOB, b.n * STEP, slow_req, mult=pressure * (~down))

    for t_oom, t_up, n_restart in [(T_OOM1, T_UP1, 1), (T_OOM2, T_UP2, 2)]:
        b.log(t_oom - 41, rg, "WARN", "c.a.reports.jobs.StatementExportJob",
              f"batch {rng.integers(1000, 4000)} exceeded 60000 ms, still running",
              thread="statement-export-2", trace=False, namespace="reporting")
        b.log(t_oom, rg, "ERROR", "c.a.reports.jobs.StatementExportJob",
              "Unhandled exception in export worker\n" + oom_trace(),
              thread="statement-export-3", trace=False, namespace="reporting")
        b.log(t_oom + 0.7, rg, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
              "Servlet.service() for servlet [dispatcherServlet] threw exception\n"
              "java.lang.OutOfMemoryError: Java heap space", thread=http_thread(rng),
              namespace="reporting")
        b.log(t_oom + 1.1, rg, "ERROR", "stderr",
              "Terminating due to java.lang.OutOfMemoryError: Java heap space",
              thread="main", trace=False, stream="stderr", namespace="reporting")
        b.log(t_up - 14, rg, "INFO", "c.a.reports.ReportGeneratorApplication",
              "Starting ReportGeneratorApplication v3.4.2 using Java 17.0.10 with PID 1",
              thread="main", trace=False, namespace="reporting")
        b.log(t_up - 11, rg, "INFO", "c.a.reports.ReportGeneratorApplication",
              "The following 1 profile is active: \"prod\"", thread="main", trace=False,
              namespace="reporting")
        b.log(t_up - 4, rg, "INFO", "com.zaxxer.hikari.HikariDataSource",
              "HikariPool-1 - Start completed.", thread="main", trace=False, namespace="reporting")
        b.log(t_up, rg, "INFO", "c.a.reports.ReportGeneratorApplication",
              f"Started ReportGeneratorApplication in {rng.uniform(13, 16):.3f} seconds "
              f"(process running for {rng.uniform(14, 17):.3f})", thread="main", trace=False,
              namespace="reporting")
        b.log(t_up + 20, rg, "INFO", "c.a.reports.jobs.StatementExportJob",
              "statementExport 2026-06-02: resuming from checkpoint "
              f"(batch {rng.integers(1500, 3000)}), previous run did not complete",
              thread="scheduling-1", trace=False, namespace="reporting")
        for k in range(rng.integers(2, 5)):
            b.log(t_oom + 5 + k * 9, "api-gateway", "ERROR",
                  "o.s.c.g.h.FilteringWebHandler",
                  "503 SERVICE_UNAVAILABLE \"Unable to find instance for report-generator\"",
                  thread=reactor_thread(rng), namespace="edge")

    b.log(T_JOB, rg, "INFO", "c.a.reports.jobs.StatementExportJob",
          "statementExport 2026-06-02: starting scheduled run for 184211 accounts",
          thread="scheduling-1", trace=False, namespace="reporting")

    b.background("ledger-service", 5, generic_spring_templates("com.acme.ledger", "ledger-service", [
        (5, "INFO", "c.a.ledger.web.PostingController", http_thread,
         lambda r: f"GET /api/v1/accounts/{r.integers(10**7, 10**8)}/postings?period=2026-05 -> 200 "
                   f"({r.integers(3, 400)} rows, {r.integers(4, 90)}ms)", True),
        (0.05, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper", http_thread,
         lambda r: "ERROR: deadlock detected\n  Detail: Process 41877 waits for ShareLock on "
                   "transaction 99120331; blocked by process 41902.", True),
    ]), mult=(tm + 1.2 * job_on * (~down)) / 1.5, namespace="ledger")
    gw_routes = [("GET", "/api/v1/accounts/{id}"), ("GET", "/api/v1/search?q=..."),
                 ("GET", "/api/v1/reports/{uuid}"), ("POST", "/api/v1/transfers")]
    b.background("api-gateway", 10, [
        (10, "INFO", "reactor.netty.http.server.AccessLog", reactor_thread,
         lambda r: access_line(r, gw_routes), True),
        (0.3, "WARN", "o.s.c.g.filter.factory.RequestRateLimiterGatewayFilterFactory",
         reactor_thread, lambda r: f"Rate limit exceeded for key client:{rid(r, 'app-', 6)}", True),
    ], mult=tm, namespace="edge")
    b.background("search-service", 4, generic_spring_templates("com.acme.search", "search-service", [
        (5, "INFO", "c.a.search.web.SearchController", http_thread,
         lambda r: f"search q=\"{r.choice(['wire', 'statement', 'card', 'fees', 'savings'])}\" "
                   f"hits={r.integers(0, 800)} took={r.integers(6, 120)}ms", True),
        (0.2, "WARN", "c.a.search.es.ElasticsearchClientConfig", http_thread,
         lambda r: "es node es-data-2 responded slowly (1.2s) to _search, retrying on replica", True),
    ]), mult=tm, namespace="search")
    for p in [p for p in b.pods["search-service"] if p[1] > T_SEARCH]:
        b.log(p[1], "search-service", "INFO", "c.a.search.SearchApplication",
              "Starting SearchApplication v2.11.0 using Java 21.0.3 with PID 1", thread="main",
              trace=False, pod=p[0], namespace="search")
        b.log(p[1] + 8.4, "search-service", "INFO", "c.a.search.SearchApplication",
              f"Started SearchApplication in {rng.uniform(8, 10):.3f} seconds", thread="main",
              trace=False, pod=p[0], namespace="search")
        b.log(p[1] + 25, "search-service", "WARN", "c.a.search.es.IndexAliasResolver",
              "alias products-read resolved to 2 indices during reindex window, using newest",
              thread="main", trace=False, pod=p[0], namespace="search")
    b.background("notification-service", 2, generic_spring_templates("com.acme.notify", "notification-service", [
        (5, "INFO", "c.a.notify.push.PushSender", kafka_thread,
         lambda r: f"push delivered to device {uuid(r)} (apns, {r.integers(40, 300)}ms)", False),
        (0.3, "ERROR", "c.a.notify.push.PushSender", kafka_thread,
         lambda r: "APNs rejected notification: BadDeviceToken; token removed "
                   f"for device {uuid(r)}", False),
    ], http=False), mult=tm, namespace="notifications")
    b.background("accounts-service", 3, generic_spring_templates("com.acme.accounts", "accounts-service", [
        (5, "INFO", "c.a.accounts.web.AccountController", http_thread,
         lambda r: f"GET /api/v1/accounts/{r.integers(10**7, 10**8)} -> 200 ({r.integers(3, 60)}ms)", True),
    ]), mult=tm, namespace="accounts")

    b.expected = {
        "incident": True,
        "findings": [{"service": "report-generator", "category": "memory_leak",
                      "action": ["restart"], "keywords": ["heap"]}],
        "forbidden_services": ["search-service"],
    }
    return b


# --------------------------------------------------------------------------
# Case 3: payments-service config deploy shrinks the Hikari pool
# --------------------------------------------------------------------------

PAYMENTS_DIFF = """diff --git a/src/main/resources/application.yml b/src/main/resources/application.yml
index 5a1c0e3..8d72b9f 100644
--- a/src/main/resources/application.yml
+++ b/src/main/resources/application.yml
@@ -9,16 +9,16 @@ spring:
   datasource:
     url: jdbc:postgresql://payments-db.payments.svc.cluster.local:5432/payments
     username: ${DB_USER}
     password: ${DB_PASSWORD}
     hikari:
-      maximum-pool-size: 50
-      minimum-idle: 10
-      connection-timeout: 30000
+      maximum-pool-size: 5
+      minimum-idle: 5
+      connection-timeout: 3000
       idle-timeout: 600000
       max-lifetime: 1800000
       pool-name: HikariPool-1
   jpa:
     open-in-view: false
     properties:
       hibernate:
-        jdbc.batch_size: 20
+        jdbc.batch_size: 50
         order_inserts: true
@@ -41,7 +41,7 @@ payments:
   psp:
     base-url: https://api.psp-gateway.example/v3
     connect-timeout: 2s
-    read-timeout: 8s
+    read-timeout: 6s
   idempotency:
     ttl: 24h
   three-ds:
diff --git a/helm/values-prod.yaml b/helm/values-prod.yaml
index 11f0b42..3c9e7d5 100644
--- a/helm/values-prod.yaml
+++ b/helm/values-prod.yaml
@@ -3,7 +3,7 @@ replicaCount: 3
 image:
   repository: registry.internal/payments/payments-service
-  tag: v5.13.2
+  tag: v5.14.0
 resources:
   requests:
     cpu: "1"
     memory: 1536Mi
"""

SHIPPING_DIFF = """diff --git a/src/main/java/com/shopline/shipping/labels/LabelService.java b/src/main/java/com/shopline/shipping/labels/LabelService.java
index 77ad01e..e2c4b15 100644
--- a/src/main/java/com/shopline/shipping/labels/LabelService.java
+++ b/src/main/java/com/shopline/shipping/labels/LabelService.java
@@ -88,11 +88,15 @@ public class LabelService {
     public Label createLabel(Shipment shipment) {
         Carrier carrier = carrierSelector.select(shipment);
-        LabelRequest req = LabelRequest.of(shipment, carrier.defaultService());
+        String service = shipment.isExpress() ? carrier.expressService() : carrier.defaultService();
+        LabelRequest req = LabelRequest.of(shipment, service);
+        if (shipment.weightGrams() > carrier.maxWeightGrams()) {
+            throw new LabelRejectedException("parcel exceeds carrier limit: " + shipment.weightGrams() + "g");
+        }
         Label label = carrierClients.get(carrier.code()).create(req);
         labelRepository.save(label);
         events.publish(new LabelCreated(shipment.id(), label.trackingNumber()));
         return label;
     }
"""


def hikari_timeout_trace():
    return (
        "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
        "[Request processing failed: org.springframework.transaction.CannotCreateTransactionException: "
        "Could not open JPA EntityManager for transaction] with root cause\n"
        "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, "
        "request timed out after 3000ms (total=5, active=5, idle=0, waiting={w})\n"
        "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)\n"
        "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)\n"
        "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:144)\n"
        "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:127)\n"
        "\tat org.hibernate.engine.jdbc.connections.internal.DatasourceConnectionProviderImpl.getConnection(DatasourceConnectionProviderImpl.java:122)\n"
        "\tat org.hibernate.internal.NonContextualJdbcConnectionAccess.obtainConnection(NonContextualJdbcConnectionAccess.java:46)\n"
        "\tat org.hibernate.resource.jdbc.internal.LogicalConnectionManagedImpl.acquireConnectionIfNeeded(LogicalConnectionManagedImpl.java:113)\n"
        "\tat org.hibernate.resource.jdbc.internal.LogicalConnectionManagedImpl.getPhysicalConnection(LogicalConnectionManagedImpl.java:143)\n"
        "\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.beginTransaction(HibernateJpaDialect.java:164)\n"
        "\tat org.springframework.orm.jpa.JpaTransactionManager.doBegin(JpaTransactionManager.java:420)\n"
        "\tat org.springframework.transaction.support.AbstractPlatformTransactionManager.startTransaction(AbstractPlatformTransactionManager.java:532)\n"
        "\tat org.springframework.transaction.interceptor.TransactionAspectSupport.invokeWithinTransaction(TransactionAspectSupport.java:382)\n"
        "\tat com.shopline.payments.authorization.AuthorizationService$$SpringCGLIB$$0.authorize(<generated>)\n"
        "\tat com.shopline.payments.web.AuthorizationController.authorize(AuthorizationController.java:61)\n"
        + tomcat_tail("Post")
    )


def case_pool():
    b = Bundle("prod-eu-20260721", dt.datetime(2026, 7, 21, 11, 0, tzinfo=dt.timezone.utc),
               3.75, 3303, "export from prod-eu, 2026-07-21", tz_offset_h=2)
    rng = b.rng
    s = b.secs
    T_DEP = b.at("12:31:40")
    T_SHIP = b.at("12:13:05")
    for svc, k in [("payments-service", 3), ("checkout-service", 4), ("api-gateway", 3),
                   ("payments-db", 1), ("shipping-service", 2), ("catalog-service", 3)]:
        b.add_pods(svc, k)
    b.pods["payments-db"] = [["payments-db-0", -1e9, 1e12]]
    # canary: one new pod gets 10 % of traffic (mesh weight), promoted after a 6 min pause
    T_PROMOTE = T_DEP + 362
    canary = b.rollout("payments-service", T_DEP + 10, 30, 1)
    b.rollout("payments-service", T_PROMOTE, 24, 0, skip=canary,
              rs=canary[0][0].split("-")[-2])
    b.rollout("shipping-service", T_SHIP + 10, 50, 0)
    T_ON = T_PROMOTE + 28        # promoted pods take full traffic with 5 connections each
    hold = 0.148 * (1 + 0.03 * b.ar1(1, 0.95))                 # seconds a tx holds a connection
    d_on = diurnal(b.local_h[b.idx(T_ON)])
    lam = (1.08 * 15.0 / 0.148) / d_on * diurnal(b.local_h) * np.exp(b.ar1(0.012, 0.9))
    rho = lam * hold / 15.0      # utilisation of 3 pods x 5 connections
    # before T_ON the new pods run close to the limit; from T_ON the queue
    # collapses (waits > 3000 ms), checkout retries keep it saturated.
    on = (s >= T_ON).astype(float)
    ramp_in = smoothstep((s - T_ON) / 90.0)
    sat = on * ramp_in * (1 + 1.5 * np.clip(rho - 0.95, 0, 0.3))
    err_frac = np.clip(0.001 * b.lognoise(0.5) + 0.24 * sat * b.lognoise(0.08), 0, 0.6)
    retry = 1 + 0.9 * err_frac
    pay_rate = lam * retry
    demand = lam * hold / 3.0

    b.counter("payments_http_server_requests_seconds_count", "payments-service", pay_rate,
              18_440_201, resets=[T_PROMOTE + 60], declare=True)
    b.counter("payments_http_server_requests_5xx_total", "payments-service",
              pay_rate * err_frac, 21_007, resets=[T_PROMOTE + 60])
    p99 = 0.12 * b.lognoise(0.08) * b.spikes(1.0)
    p99 = np.where(sat > 0.05, np.minimum(3.0 + rng.uniform(0.02, 0.25, b.n),
                                          p99 + 3.2 * sat), p99)
    b.gauge("payments:http_server_requests_seconds:p99", "payments-service", p99, unit="s")
    active = np.round(demand * 3 * (1 + 0.08 * b.ar1(1, 0.5)))
    active = np.where(sat > 0.05, 15.0, np.where(s >= T_PROMOTE, np.minimum(active, 15), active))
    b.gauge("payments_hikaricp_connections_active", "payments-service", active)
    pending = np.where(sat > 0.02, np.round(sat * rng.uniform(14, 46, b.n)),
                       np.round((rng.random(b.n) < 0.01) * rng.uniform(0.6, 2.4, b.n)))
    b.gauge("payments_hikaricp_connections_pending", "payments-service", pending)
    b.counter("payments_hikaricp_connections_timeout_total", "payments-service",
              pay_rate * err_frac * 0.97, 3, resets=[T_PROMOTE + 60])
    b.gauge("payments_jvm_memory_used_bytes_heap", "payments-service",
            640e6 + 380e6 * ((np.cumsum(rng.uniform(0.1, 0.3, b.n))) % 1.0))

    co_rate = b.traffic(52.0, sigma=0.03)
    co_err = 0.0015 * b.lognoise(0.5) + 0.8 * err_frac * (err_frac > 0.01)
    b.counter("checkout_http_server_requests_seconds_count", "checkout-service", co_rate,
              9_770_318)
    b.counter("checkout_http_server_requests_5xx_total", "checkout-service", co_rate * co_err,
              12_554, declare=True)
    b.gauge("checkout:request_latency_seconds:p99", "checkout-service",
            0.31 * b.lognoise(0.08) * b.spikes(1.0) + np.where(sat > 0.05, 3.2 + 3 * sat, 0) * b.lognoise(0.05),
            unit="s")

    gw_rate = b.traffic(300.0)
    b.counter("gateway_requests_seconds_count", "api-gateway", gw_rate, 61_003_552)
    b.counter("gateway_requests_5xx_total", "api-gateway",
              gw_rate * 0.001 * b.lognoise(0.4) + co_rate * co_err * 0.95, 88_113)
    b.gauge("api_gateway:request_latency_seconds:p99", "api-gateway",
            0.21 * b.lognoise(0.07) * b.spikes(0.8) + np.where(sat > 0.05, 2.0 * b.lognoise(0.1), 0),
            unit="s")

    conns = np.where(s >= T_PROMOTE + 30, 15, np.where(s >= T_DEP + 30, 25, 30)) + 6.0
    conns = conns + np.round(2 * b.ar1(1, 0.9))
    b.gauge("payments_db_pg_stat_activity_count", "payments-db", conns,
            kind="gauge", description="pg_stat_activity_count{datname=\"payments\"}")
    b.gauge("payments_db_process_cpu_usage", "payments-db",
            np.clip(0.2 + 0.25 * lam / 70 * b.lognoise(0.06) * (1 - 0.2 * np.clip(sat, 0, 1)), 0, 1),
            unit="ratio")

    sh_rate = b.traffic(22.0)
    b.counter("shipping_http_server_requests_seconds_count", "shipping-service", sh_rate,
              2_330_874, resets=[T_SHIP + 70])
    b.gauge("shipping:request_latency_seconds:p99", "shipping-service",
            0.42 * b.lognoise(0.1) * b.spikes(1.0)
            + np.where((s > T_SHIP) & (s < T_SHIP + 300), 0.4, 0), unit="s")
    b.gauge("shipping_kube_pod_container_status_restarts_total", "shipping-service",
            np.full(b.n, 1.0))

    cat_rate = b.traffic(180.0)
    b.counter("catalog_http_server_requests_seconds_count", "catalog-service", cat_rate,
              40_556_120)
    b.gauge("catalog:request_latency_seconds:p99", "catalog-service",
            0.09 * b.lognoise(0.08) * b.spikes(1.2), unit="s")

    b.gap(b.at("11:52:45"), 1.0)
    b.gap(b.at("13:58:00"), 1.5)
    b.gap(T_PROMOTE + 40, 0.5, service="payments-service")

    b.deploy("shipping-service", "v1.9.2", "f03b7aa912", T_SHIP, "argocd",
             "shipping-service v1.9.2", SHIPPING_DIFF)
    b.deploy("payments-service", "v5.14.0", "e41f09a6c3", T_DEP, "argocd",
             "payments-service v5.14.0", PAYMENTS_DIFF)

    tm = diurnal(b.local_h) / diurnal(b.local_h).mean()
    ps = "payments-service"
    b.background(ps, 8, generic_spring_templates("com.shopline.payments", ps, [
        (6, "INFO", "c.s.payments.authorization.AuthorizationService", http_thread,
         lambda r: f"authorization {rid(r, 'AUTH-', 10)} approved: amount={r.uniform(5, 600):.2f} "
                   f"{r.choice(['EUR', 'EUR', 'GBP', 'PLN'])} psp_ref={uuid(r)}", True),
        (0.8, "INFO", "c.s.payments.authorization.AuthorizationService", http_thread,
         lambda r: f"authorization {rid(r, 'AUTH-', 10)} declined by issuer: "
                   f"{r.choice(['insufficient_funds', 'do_not_honor', 'expired_card'])}", True),
        (0.3, "WARN", "c.s.payments.psp.PspClient", http_thread,
         lambda r: f"PSP responded in {r.integers(2100, 5800)}ms (> 2000ms SLO) for {rid(r, 'AUTH-', 10)}", True),
        (0.04, "ERROR", "c.s.payments.webhooks.PspWebhookController", http_thread,
         lambda r: "webhook signature verification failed for event evt_"
                   f"{''.join(r.choice(HEX, 24))}: timestamp outside tolerance", True),
    ]), mult=tm * (1 - 0.5 * np.clip(sat, 0, 1)), namespace="payments")

    for p in [p for p in b.pods[ps] if p[1] > T_DEP]:
        t = p[1]
        b.log(t, ps, "INFO", "c.s.payments.PaymentsApplication",
              "Starting PaymentsApplication v5.14.0 using Java 17.0.11 with PID 1", thread="main",
              trace=False, pod=p[0], namespace="payments")
        b.log(t + 4.1, ps, "INFO", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Starting...",
              thread="main", trace=False, pod=p[0], namespace="payments")
        b.log(t + 4.4, ps, "INFO", "com.zaxxer.hikari.pool.HikariPool",
              "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@"
              + "".join(rng.choice(HEX, 8)), thread="main", trace=False, pod=p[0],
              namespace="payments")
        b.log(t + 4.5, ps, "INFO", "com.zaxxer.hikari.HikariDataSource",
              "HikariPool-1 - Start completed.", thread="main", trace=False, pod=p[0],
              namespace="payments")
        b.log(t + 12.8, ps, "INFO", "c.s.payments.PaymentsApplication",
              f"Started PaymentsApplication in {rng.uniform(12, 14):.3f} seconds "
              f"(process running for {rng.uniform(13, 15):.3f})", thread="main", trace=False,
              pod=p[0], namespace="payments")

    satm = np.clip(sat, 0, 1.6) * tm

    def pay_err(sec):
        tid = b.trace()
        b.log(sec, ps, "WARN", "o.h.engine.jdbc.spi.SqlExceptionHelper",
              "SQL Error: 0, SQLState: null", thread=http_thread(rng), trace_id=tid,
              namespace="payments")
        b.log(sec + 0.001, ps, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper",
              "HikariPool-1 - Connection is not available, request timed out after 3000ms "
              f"(total=5, active=5, idle=0, waiting={rng.integers(8, 40)})",
              thread=http_thread(rng), trace_id=tid, namespace="payments")
        if rng.random() < 0.45:
            b.log(sec + 0.003, ps, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                  hikari_timeout_trace().replace("{w}", str(rng.integers(8, 40))),
                  thread=http_thread(rng), trace_id=tid, namespace="payments")
        if rng.random() < 0.6:
            b.log(sec + 0.02, "checkout-service", "ERROR", "c.s.checkout.payment.PaymentClient",
                  "payment authorization failed for cart "
                  f"{uuid(rng)}: 500 Internal Server Error from POST "
                  "http://payments-service.payments.svc.cluster.local:8080/api/v2/authorizations "
                  f"after {rng.integers(3010, 3400)}ms (attempt {rng.integers(1, 3)}/2)",
                  thread=http_thread(rng), trace_id=tid, namespace="checkout")

    def pay_debug(sec):
        b.log(sec, ps, "DEBUG", "com.zaxxer.hikari.pool.HikariPool",
              f"HikariPool-1 - Pool stats (total=5, active=5, idle=0, waiting={rng.integers(5, 45)})",
              thread="HikariPool-1 housekeeper", trace=False, namespace="payments")

    b.events(ps, 30, T_DEP, b.n * STEP, pay_err, mult=satm)
    b.events(ps, 2, T_DEP, b.n * STEP, pay_debug, mult=np.clip(sat, 0, 1) * 1.0)

    co_routes = [("POST", "/api/v1/checkout"), ("GET", "/api/v1/checkout/{uuid}"),
                 ("POST", "/api/v1/checkout/{uuid}/confirm")]
    b.background("checkout-service", 7, generic_spring_templates("com.shopline.checkout", "checkout-service", [
        (5, "INFO", "c.s.checkout.web.CheckoutController", http_thread,
         lambda r: access_line(r, co_routes, lat_ms=(60, 400)), True),
        (2, "INFO", "c.s.checkout.CheckoutService", http_thread,
         lambda r: f"checkout {uuid(r)} completed, order {rid(r, 'SO-', 9)}", True),
        (0.2, "WARN", "c.s.checkout.promo.PromoClient", http_thread,
         lambda r: f"promo code {rid(r, '', 6)} not found, ignoring", True),
    ]), mult=tm * (1 - 0.3 * np.clip(sat, 0, 1)), namespace="checkout")
    gw_routes = [("GET", "/api/v1/catalog/products/{id}"), ("POST", "/api/v1/checkout"),
                 ("GET", "/api/v1/shipping/quotes"), ("GET", "/api/v1/catalog/search")]
    b.background("api-gateway", 12, [
        (10, "INFO", "reactor.netty.http.server.AccessLog", reactor_thread,
         lambda r: access_line(r, gw_routes), True),
        (0.3, "WARN", "o.s.c.g.filter.factory.RequestRateLimiterGatewayFilterFactory",
         reactor_thread, lambda r: f"Rate limit exceeded for key client:{rid(r, 'web-', 6)}", True),
    ], mult=tm, namespace="edge")
    b.background("shipping-service", 3, generic_spring_templates("com.shopline.shipping", "shipping-service", [
        (5, "INFO", "c.s.shipping.labels.LabelService", http_thread,
         lambda r: f"label created for shipment {rid(r, 'SHP-', 8)} via "
                   f"{r.choice(['DHL', 'DPD', 'GLS', 'InPost'])}, tracking {rid(r, '', 12)}", True),
        (0.3, "WARN", "c.s.shipping.carriers.DpdClient", http_thread,
         lambda r: f"DPD API slow: {r.integers(1500, 4000)}ms for /shipments", True),
    ]), mult=tm, namespace="shipping")
    for p in [p for p in b.pods["shipping-service"] if p[1] > T_SHIP]:
        b.log(p[1], "shipping-service", "INFO", "c.s.shipping.ShippingApplication",
              "Starting ShippingApplication v1.9.2 using Java 17.0.11 with PID 1", thread="main",
              trace=False, pod=p[0], namespace="shipping")
        b.log(p[1] + 10.1, "shipping-service", "INFO", "c.s.shipping.ShippingApplication",
              f"Started ShippingApplication in {rng.uniform(9, 11):.3f} seconds", thread="main",
              trace=False, pod=p[0], namespace="shipping")

    def ship_err(sec):
        b.log(sec, "shipping-service", "ERROR", "c.s.shipping.labels.LabelController",
              "label creation failed for shipment "
              f"{rid(rng, 'SHP-', 8)}\ncom.shopline.shipping.labels.LabelRejectedException: parcel "
              f"exceeds carrier limit: {rng.integers(31500, 40000)}g\n"
              "\tat com.shopline.shipping.labels.LabelService.createLabel(LabelService.java:94)\n"
              "\tat com.shopline.shipping.web.LabelController.create(LabelController.java:38)\n"
              + tomcat_tail("Post"), thread=http_thread(rng), namespace="shipping")

    b.events("shipping-service", 0.12, T_SHIP + 60, b.n * STEP, ship_err)
    b.background("catalog-service", 6, generic_spring_templates("com.shopline.catalog", "catalog-service", [
        (5, "INFO", "c.s.catalog.web.ProductController", http_thread,
         lambda r: f"GET /api/v1/catalog/products/{r.integers(10**5, 10**6)} -> 200 ({r.integers(2, 50)}ms, cache={r.choice(['hit', 'hit', 'hit', 'miss'])})", True),
        (0.1, "ERROR", "c.s.catalog.images.ImageMetadataClient", http_thread,
         lambda r: f"image metadata fetch failed for asset {uuid(r)}: 404 Not Found from cdn-origin", True),
    ]), mult=tm, namespace="catalog")
    b.background("payments-db", 0.4, [
        (5, "INFO", "postgres", "postmaster",
         lambda r: f"checkpoint complete: wrote {r.integers(800, 9000)} buffers ({r.uniform(0.5, 5):.1f}%); "
                   f"0 WAL file(s) added, 0 removed, {r.integers(1, 4)} recycled; write={r.uniform(20, 200):.3f} s",
         False),
        (1, "WARN", "postgres", "autovacuum",
         lambda r: "automatic vacuum of table \"payments.public.authorization_events\": index scans: 1",
         False),
    ], namespace="payments")

    b.expected = {
        "incident": True,
        "findings": [{"service": "payments-service", "category": "config_change",
                      "action": "rollback", "keywords": ["pool"]}],
        "forbidden_services": ["shipping-service"],
    }
    return b


# --------------------------------------------------------------------------
# Case 4: quiet morning, traffic ramp, harmless docs-portal deploy
# --------------------------------------------------------------------------

DOCS_DIFF = """diff --git a/content/api/orders.md b/content/api/orders.md
index 3e1f0a2..9b7d4c1 100644
--- a/content/api/orders.md
+++ b/content/api/orders.md
@@ -12,9 +12,14 @@ Creates an order from the current cart.
 | Field        | Type   | Required | Notes                              |
 |--------------|--------|----------|------------------------------------|
 | cartId       | string | yes      | UUID of the cart                   |
-| couponCode   | string | no       |                                    |
+| couponCode   | string | no       | Case-insensitive, max 32 chars     |
+| giftMessage  | string | no       | Printed on the packing slip        |
 
-Returns `201 Created` with the order resource.
+Returns `201 Created` with the order resource. Repeating the request with
+the same `Idempotency-Key` header within 24 h returns the original order.
+
+> Rate limit: 20 requests per second per API key.
 
 ## GET /api/v1/orders/{id}
 
diff --git a/site/nav.yaml b/site/nav.yaml
index a40c7e2..d1f55b0 100644
--- a/site/nav.yaml
+++ b/site/nav.yaml
@@ -4,6 +4,7 @@ sections:
   - title: Orders
     pages:
       - api/orders.md
+      - api/idempotency.md
   - title: Catalog
     pages:
       - api/catalog.md
"""


def case_quiet():
    b = Bundle("prod-eu-20260804", dt.datetime(2026, 8, 4, 5, 0, tzinfo=dt.timezone.utc),
               4.0, 4404, "export from prod-eu, 2026-08-04", tz_offset_h=2)
    rng = b.rng
    s = b.secs
    T_DOCS = b.at("07:12:25")
    T_EVICT = b.at("06:41:10")
    T_REINDEX = b.at("05:30:00")
    for svc, k in [("api-gateway", 3), ("catalog-service", 3), ("cart-service", 3),
                   ("search-service", 3), ("docs-portal", 2), ("orders-service", 3),
                   ("notification-service", 2)]:
        b.add_pods(svc, k)
    b.rollout("docs-portal", T_DOCS + 15, 40, 0)
    ev = [p for p in b.pods["search-service"]][0]
    ev[2] = T_EVICT
    b.add_pods("search-service", 1, start=T_EVICT + 35)

    # morning ramp: x1 until 06:00, x2.5 by 09:00
    ramp = 1 + 1.5 * smoothstep((s - b.at("06:00:00")) / (3 * 3600.0))
    load = ramp * np.exp(b.ar1(0.035, 0.985))

    def tr(base):
        return base * load * b.lognoise(0.02)

    gw = tr(150.0)
    b.counter("api_gateway_http_server_requests_seconds_count", "api-gateway", gw, 39_118_204,
              declare=True)
    b.counter("api_gateway_http_server_requests_5xx_total", "api-gateway",
              gw * 0.0011 * b.lognoise(0.5), 70_118)
    b.gauge("api_gateway:request_latency_seconds:p99", "api-gateway",
            (0.17 + 0.02 * ramp) * b.lognoise(0.07) * b.spikes(1.0), unit="s")

    cat = tr(90.0)
    b.counter("catalog_http_server_requests_seconds_count", "catalog-service", cat, 20_400_871)
    b.gauge("catalog:request_latency_seconds:p99", "catalog-service",
            (0.07 + 0.012 * ramp) * b.lognoise(0.09) * b.spikes(1.2), unit="s")
    b.gauge("catalog_cache_hit_ratio", "catalog-service",
            np.clip(0.93 + 0.01 * b.ar1(1, 0.9) - 0.01 * (ramp - 1), 0, 1), bad_when="falls",
            unit="ratio")

    cart = tr(40.0)
    b.counter("cart_http_server_requests_seconds_count", "cart-service", cart, 8_821_552)
    b.counter("cart_http_server_requests_5xx_total", "cart-service",
              cart * 0.0009 * b.lognoise(0.5), 4_120, declare=True)
    b.gauge("cart:request_latency_seconds:p99", "cart-service",
            (0.11 + 0.015 * ramp) * b.lognoise(0.08) * b.spikes(1.0), unit="s")
    b.gauge("cart_hikaricp_connections_active", "cart-service",
            np.clip(np.round(cart * 0.06 * b.lognoise(0.3)), 0, 30))
    b.gauge("cart_jvm_memory_used_bytes_heap", "cart-service",
            700e6 + 400e6 * ((np.cumsum(rng.uniform(0.1, 0.25, b.n) * ramp)) % 1.0))

    sr = tr(35.0)
    reidx = ((s >= T_REINDEX) & (s < T_REINDEX + 740)).astype(float)
    b.counter("search_http_server_requests_seconds_count", "search-service", sr, 6_402_118,
              resets=[T_EVICT + 45])
    b.gauge("search:request_latency_seconds:p99", "search-service",
            (0.13 + 0.02 * ramp + 0.03 * reidx) * b.lognoise(0.08) * b.spikes(1.0), unit="s")
    b.gauge("search_process_cpu_usage", "search-service",
            np.clip(0.1 + 0.08 * ramp + 0.27 * reidx + 0.02 * b.ar1(1, 0.8), 0, 1), unit="ratio")

    orr = tr(12.0)
    b.counter("orders_http_server_requests_seconds_count", "orders-service", orr, 3_870_445)
    b.gauge("orders:http_server_requests_seconds:p99", "orders-service",
            0.26 * b.lognoise(0.09) * b.spikes(1.0), unit="s")

    docs = 3.0 * (1 + 0.6 * (ramp - 1)) * b.lognoise(0.2)
    b.counter("docs_portal_http_requests_total", "docs-portal", docs, 1_455_902,
              resets=[T_DOCS + 60])
    b.gauge("docs_portal:request_latency_seconds:p99", "docs-portal",
            0.035 * b.lognoise(0.15) * b.spikes(1.0)
            + np.where((s > T_DOCS + 20) & (s < T_DOCS + 120), 0.05, 0), unit="s")

    b.gauge("notification_kafka_consumer_records_lag_max", "notification-service",
            np.maximum(0, 12 * ramp * b.lognoise(0.6)), unit="records")
    b.gauge("notification_jvm_gc_pause_seconds_max", "notification-service",
            0.02 * b.lognoise(0.3) * b.spikes(0.6, (2, 4)), unit="s")

    b.gap(b.at("05:44:00"), 1.0)
    b.gap(b.at("08:03:15"), 1.5)
    b.gap(T_EVICT, 0.75, service="search-service")
    b.gap(T_DOCS + 40, 0.5, service="docs-portal")

    b.deploy("docs-portal", "2026.08.04-1", "d0c5e71b3a", T_DOCS, "ci-bot",
             "docs-portal 2026.08.04-1", DOCS_DIFF)

    tm = ramp * np.exp(b.ar1(0.03, 0.9))
    gw_routes = [("GET", "/api/v1/catalog/products/{id}"), ("GET", "/api/v1/search?q=..."),
                 ("POST", "/api/v1/cart/items"), ("GET", "/api/v1/cart"),
                 ("POST", "/api/v1/orders")]
    b.background("api-gateway", 12, [
        (10, "INFO", "reactor.netty.http.server.AccessLog", reactor_thread,
         lambda r: access_line(r, gw_routes), True),
        (0.3, "WARN", "o.s.c.g.filter.factory.RequestRateLimiterGatewayFilterFactory",
         reactor_thread, lambda r: f"Rate limit exceeded for key client:{rid(r, 'web-', 6)}", True),
        (0.05, "ERROR", "o.s.b.a.w.r.e.AbstractErrorWebExceptionHandler", reactor_thread,
         lambda r: f"[{''.join(r.choice(HEX, 8))}-{r.integers(1, 9000)}] 500 Server Error for HTTP "
                   "GET \"/api/v1/search?q=...\"\nio.netty.handler.timeout.ReadTimeoutException: null",
         True),
    ], mult=tm, namespace="edge")
    b.background("catalog-service", 6, generic_spring_templates("com.shopline.catalog", "catalog-service", [
        (5, "INFO", "c.s.catalog.web.ProductController", http_thread,
         lambda r: f"GET /api/v1/catalog/products/{r.integers(10**5, 10**6)} -> 200 ({r.integers(2, 50)}ms, cache={r.choice(['hit', 'hit', 'hit', 'miss'])})", True),
        (0.12, "ERROR", "c.s.catalog.images.ImageMetadataClient", http_thread,
         lambda r: f"image metadata fetch failed for asset {uuid(r)}: 404 Not Found from cdn-origin", True),
    ]), mult=tm, namespace="catalog")
    b.background("cart-service", 5, generic_spring_templates("com.shopline.cart", "cart-service", [
        (5, "INFO", "c.s.cart.web.CartController", http_thread,
         lambda r: f"cart {uuid(r)} updated: {r.integers(1, 9)} items, subtotal EUR {r.uniform(5, 400):.2f}", True),
        (0.3, "WARN", "c.s.cart.pricing.PriceCalculator", http_thread,
         lambda r: f"coupon {rid(r, '', 8)} not applicable: minimum order value not reached", True),
    ]), mult=tm, namespace="cart")
    b.background("search-service", 4, generic_spring_templates("com.shopline.search", "search-service", [
        (5, "INFO", "c.s.search.web.SearchController", http_thread,
         lambda r: f"search q=\"{r.choice(['shoes', 'jacket', 'usb-c', 'lamp', 'desk'])}\" hits={r.integers(0, 2000)} took={r.integers(5, 150)}ms", True),
    ]), mult=tm, namespace="search")
    b.log(T_REINDEX + 2, "search-service", "INFO", "c.s.search.index.ReindexJob",
          "nightly reindex products-v212 -> products-v213 started (1,284,330 documents)",
          thread="scheduling-1", trace=False, namespace="search")
    b.log(T_REINDEX + 735, "search-service", "INFO", "c.s.search.index.ReindexJob",
          "reindex finished in 12m13s, alias products-read switched to products-v213",
          thread="scheduling-1", trace=False, namespace="search")
    np_pod = b.pods["search-service"][-1][0]
    b.log(T_EVICT + 35, "search-service", "INFO", "c.s.search.SearchApplication",
          "Starting SearchApplication v3.0.4 using Java 21.0.3 with PID 1", thread="main",
          trace=False, pod=np_pod, namespace="search")
    b.log(T_EVICT + 44, "search-service", "INFO", "c.s.search.SearchApplication",
          "Started SearchApplication in 8.911 seconds (process running for 9.6)", thread="main",
          trace=False, pod=np_pod, namespace="search")
    b.log(T_EVICT - 2, "search-service", "INFO", "o.s.b.w.embedded.tomcat.GracefulShutdown",
          "Commencing graceful shutdown. Waiting for active requests to complete", thread="SpringApplicationShutdownHook",
          trace=False, pod=ev[0], namespace="search")
    b.log(T_EVICT - 1, "search-service", "INFO", "o.s.b.w.embedded.tomcat.GracefulShutdown",
          "Graceful shutdown complete", thread="tomcat-shutdown", trace=False, pod=ev[0],
          namespace="search")
    b.background("orders-service", 3, generic_spring_templates("com.shopline.orders", "orders-service", [
        (5, "INFO", "c.s.orders.OrderService", http_thread,
         lambda r: f"order {rid(r, 'SO-', 9)} placed, {r.integers(1, 6)} lines", True),
        (0.12, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper", http_thread,
         lambda r: "ERROR: duplicate key value violates unique constraint \"orders_idempotency_key_uq\"\n"
                   f"  Detail: Key (idempotency_key)=({uuid(r)}) already exists.", True),
    ]), mult=tm, namespace="orders")
    b.background("docs-portal", 1.5, [
        (5, "INFO", "c.s.docs.web.PageController", http_thread,
         lambda r: f"GET /docs/{r.choice(['api/orders', 'api/catalog', 'guides/auth', 'changelog'])} -> 200 ({r.integers(2, 30)}ms)", True),
        (0.2, "WARN", "c.s.docs.web.PageController", http_thread,
         lambda r: f"GET /docs/{r.choice(['api/v1-legacy', 'guides/old-auth'])} -> 404", True),
    ], mult=tm, namespace="docs")
    for p in [p for p in b.pods["docs-portal"] if p[1] > T_DOCS]:
        b.log(p[1], "docs-portal", "INFO", "c.s.docs.DocsPortalApplication",
              "Starting DocsPortalApplication v2026.08.04-1 using Java 21.0.3 with PID 1",
              thread="main", trace=False, pod=p[0], namespace="docs")
        b.log(p[1] + 5.2, "docs-portal", "INFO", "c.s.docs.content.SiteIndexer",
              f"indexed 214 pages, 1 new, {rng.integers(2, 6)} changed", thread="main",
              trace=False, pod=p[0], namespace="docs")
        b.log(p[1] + 6.1, "docs-portal", "INFO", "c.s.docs.DocsPortalApplication",
              f"Started DocsPortalApplication in {rng.uniform(5, 7):.3f} seconds", thread="main",
              trace=False, pod=p[0], namespace="docs")
    b.background("notification-service", 2, generic_spring_templates("com.shopline.notify", "notification-service", [
        (5, "INFO", "c.s.notify.mail.MailDispatcher", kafka_thread,
         lambda r: f"sent order-confirmation to customer {r.integers(10**6, 10**7)} (message-id {uuid(r)})", False),
        (0.3, "WARN", "c.s.notify.mail.SmtpRelay", kafka_thread,
         lambda r: "SMTP relay answered 421 4.7.0 Try again later; message requeued", False),
    ], http=False), mult=tm, namespace="notifications")

    b.expected = {"incident": False, "findings": [], "forbidden_services": ["docs-portal"]}
    return b


# --------------------------------------------------------------------------
# Case 5: cart-service v3.2.0 NPE in PriceCalculator.applyCoupon
# --------------------------------------------------------------------------

CART_DIFF = """diff --git a/src/main/java/com/shop/cart/PriceCalculator.java b/src/main/java/com/shop/cart/PriceCalculator.java
index 6f1d2e4..b93a7c0 100644
--- a/src/main/java/com/shop/cart/PriceCalculator.java
+++ b/src/main/java/com/shop/cart/PriceCalculator.java
@@ -77,23 +77,25 @@ public class PriceCalculator {
     /**
      * Applies the customer's coupon, if any, to the cart subtotal.
      */
-    public Money applyCoupon(Money subtotal, String couponCode) {
+    public Money applyCoupon(Money subtotal, String couponCode, CustomerTier tier) {
         if (couponCode == null || couponCode.isBlank()) {
             return subtotal;
         }
-        Optional<Coupon> coupon = couponRepository.findActiveByCode(couponCode);
-        if (coupon.isEmpty()) {
-            log.debug("coupon {} not found or inactive", couponCode);
-            return subtotal;
-        }
-        BigDecimal rate = coupon.get().getRate();
-        if (subtotal.isLessThan(coupon.get().getMinimumOrder())) {
+        Coupon coupon = couponRepository.findActiveByCode(couponCode).orElse(null);
+        // stacking: loyalty tiers get an extra percentage on top of the coupon
+        BigDecimal bonus = tierBonus.getOrDefault(tier, BigDecimal.ZERO);
+
+        BigDecimal rate = coupon.getRate().add(bonus);
+        if (subtotal.isLessThan(coupon.getMinimumOrder())) {
             log.info("coupon {} not applicable: minimum order value not reached", couponCode);
             return subtotal;
         }
-        return subtotal.minus(subtotal.times(rate).min(coupon.get().getMaxDiscount()));
+        Money discount = subtotal.times(rate).min(coupon.getMaxDiscount());
+        return subtotal.minus(discount);
     }
 
     public Money shipping(Cart cart) {
         if (cart.subtotal().isGreaterThanOrEqual(freeShippingThreshold)) {
             return Money.zero(cart.currency());
diff --git a/src/main/java/com/shop/cart/CartService.java b/src/main/java/com/shop/cart/CartService.java
index 18ac4f7..5d0e2b9 100644
--- a/src/main/java/com/shop/cart/CartService.java
+++ b/src/main/java/com/shop/cart/CartService.java
@@ -140,7 +140,8 @@ public class CartService {
     public CartView recalculate(Cart cart) {
         Money subtotal = priceCalculator.subtotal(cart.lines());
-        Money discounted = priceCalculator.applyCoupon(subtotal, cart.couponCode());
+        CustomerTier tier = customerTiers.tierOf(cart.customerId());
+        Money discounted = priceCalculator.applyCoupon(subtotal, cart.couponCode(), tier);
         Money shipping = priceCalculator.shipping(cart);
         return CartView.of(cart, subtotal, discounted, shipping);
     }
diff --git a/src/main/resources/application.yml b/src/main/resources/application.yml
index 0c3b8e1..7a19d52 100644
--- a/src/main/resources/application.yml
+++ b/src/main/resources/application.yml
@@ -31,3 +31,8 @@ cart:
   pricing:
     free-shipping-threshold: 49.00
     currency: USD
+    tier-bonus:
+      SILVER: 0.00
+      GOLD: 0.02
+      PLATINUM: 0.05
"""

LOYALTY_DIFF = """diff --git a/src/main/java/com/shop/loyalty/points/PointsLedger.java b/src/main/java/com/shop/loyalty/points/PointsLedger.java
index a11b0c9..3f2e6d8 100644
--- a/src/main/java/com/shop/loyalty/points/PointsLedger.java
+++ b/src/main/java/com/shop/loyalty/points/PointsLedger.java
@@ -50,8 +50,10 @@ public class PointsLedger {
     @Transactional
     public PointsBalance credit(String customerId, long points, String reason) {
         PointsAccount account = accounts.findForUpdate(customerId)
                 .orElseGet(() -> accounts.save(PointsAccount.open(customerId)));
-        account.credit(points);
+        long capped = Math.min(points, props.getMaxPointsPerOrder());
+        account.credit(capped);
+        entries.save(LedgerEntry.credit(account, capped, reason));
         return account.balance();
     }
"""


def npe_trace():
    return (
        "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
        "[Request processing failed: java.lang.NullPointerException: Cannot invoke "
        "\"com.shop.cart.Coupon.getRate()\" because \"coupon\" is null] with root cause\n"
        "java.lang.NullPointerException: Cannot invoke \"com.shop.cart.Coupon.getRate()\" because "
        "\"coupon\" is null\n"
        "\tat com.shop.cart.PriceCalculator.applyCoupon(PriceCalculator.java:88)\n"
        "\tat com.shop.cart.CartService.recalculate(CartService.java:143)\n"
        "\tat com.shop.cart.CartService.applyCouponCode(CartService.java:97)\n"
        "\tat com.shop.cart.web.CartController.applyCoupon(CartController.java:71)\n"
        "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n"
        "\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)\n"
        "\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)\n"
        "\tat org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:188)\n"
        "\tat org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.invokeHandlerMethod(RequestMappingHandlerAdapter.java:926)\n"
        "\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)\n"
        "\tat org.springframework.web.servlet.DispatcherServlet.doService(DispatcherServlet.java:979)\n"
        + tomcat_tail("Post")
    )


def case_npe():
    b = Bundle("prod-us-20260915", dt.datetime(2026, 9, 15, 14, 0, tzinfo=dt.timezone.utc),
               5.0, 5505, "export from prod-us-east, 2026-09-15", tz_offset_h=-4)
    rng = b.rng
    s = b.secs
    T_DEP = b.at("16:05:30")
    T_LOY = b.at("15:47:50")
    T_REDIS = b.at("14:38:20")
    for svc, k in [("cart-service", 4), ("api-gateway", 3), ("checkout-service", 3),
                   ("catalog-service", 3), ("loyalty-service", 2), ("pricing-rules-service", 2)]:
        b.add_pods(svc, k)
    new_pods = b.rollout("cart-service", T_DEP + 20, 50, 0)
    b.rollout("loyalty-service", T_LOY + 10, 45, 0)
    newfrac = np.zeros(b.n)
    for p in new_pods:
        newfrac += (s >= p[1] + 12).astype(float) / 4.0

    cart = b.traffic(85.0)
    coupon_share = 0.105 * np.exp(b.ar1(0.08, 0.9))          # requests with a coupon code
    invalid = 0.62                                             # of those: unknown/expired code
    npe = cart * coupon_share * invalid * newfrac
    base_err = cart * 0.0008 * b.lognoise(0.5)
    b.counter("cart_http_server_requests_seconds_count", "cart-service", cart, 26_554_310,
              resets=[T_DEP + 120], declare=True)
    b.counter("cart_http_server_requests_5xx_total", "cart-service", base_err + npe, 19_622,
              resets=[T_DEP + 120])
    b.gauge("cart:request_latency_seconds:p99", "cart-service",
            0.095 * b.lognoise(0.08) * b.spikes(1.0) * (1 + 0.12 * newfrac), unit="s")
    b.gauge("cart_process_cpu_usage", "cart-service",
            np.clip(0.1 + 0.25 * cart / 85 * b.lognoise(0.06) + 0.03 * newfrac, 0, 1), unit="ratio")
    heap = 600e6 + 500e6 * ((np.cumsum(rng.uniform(0.12, 0.3, b.n))) % 1.0)
    heap[(s > T_DEP + 20) & (s < T_DEP + 240)] *= 0.7
    b.gauge("cart_jvm_memory_used_bytes_heap", "cart-service", heap, unit="bytes")
    b.gauge("cart_hikaricp_connections_active", "cart-service",
            np.clip(np.round(cart * 0.05 * b.lognoise(0.3)), 0, 40))

    gw = b.traffic(260.0)
    b.counter("gateway_http_server_requests_seconds_count", "api-gateway", gw, 70_331_981)
    b.counter("gateway_http_server_requests_5xx_total", "api-gateway",
              gw * 0.001 * b.lognoise(0.5) + npe * 0.97, 99_210, declare=True)
    b.gauge("api_gateway:request_latency_seconds:p99", "api-gateway",
            0.2 * b.lognoise(0.07) * b.spikes(0.8), unit="s")

    co = b.traffic(21.0) * (1 - 0.05 * newfrac)
    b.counter("checkout_orders_created_total", "checkout-service", co * 0.94, 5_401_229)
    b.gauge("checkout:request_latency_seconds:p99", "checkout-service",
            0.35 * b.lognoise(0.08) * b.spikes(1.0), unit="s")

    cat = b.traffic(200.0)
    redis = ((s >= T_REDIS) & (s < T_REDIS + 50)).astype(float)
    b.counter("catalog_http_server_requests_seconds_count", "catalog-service", cat, 51_200_876)
    b.gauge("catalog:request_latency_seconds:p99", "catalog-service",
            0.08 * b.lognoise(0.08) * b.spikes(1.2) + 0.12 * redis, unit="s")
    b.gauge("catalog_cache_hit_ratio", "catalog-service",
            np.clip(0.94 + 0.01 * b.ar1(1, 0.9) - 0.5 * redis, 0, 1), unit="ratio")

    loy = b.traffic(30.0)
    b.counter("loyalty_http_server_requests_seconds_count", "loyalty-service", loy, 4_993_020,
              resets=[T_LOY + 75])
    b.gauge("loyalty:request_latency_seconds:p99", "loyalty-service",
            0.07 * b.lognoise(0.1) * b.spikes(1.0)
            + np.where((s > T_LOY + 10) & (s < T_LOY + 200), 0.15, 0), unit="s")

    pr = b.traffic(60.0)
    b.counter("pricing_rules_http_server_requests_seconds_count", "pricing-rules-service", pr,
              9_120_554)
    b.gauge("pricing_rules:request_latency_seconds:p99", "pricing-rules-service",
            0.03 * b.lognoise(0.1) * b.spikes(1.0), unit="s")

    b.gap(b.at("15:08:00"), 1.0)
    b.gap(b.at("17:33:45"), 2.0)
    b.gap(b.at("18:20:00"), 0.5)
    b.gap(T_DEP + 110, 0.5, service="cart-service")

    b.deploy("loyalty-service", "v0.18.1", "5e0d7c2b44", T_LOY, "github-actions",
             "loyalty-service v0.18.1", LOYALTY_DIFF)
    b.deploy("cart-service", "v3.2.0", "3f8a2c1d9e", T_DEP, "github-actions",
             "cart-service v3.2.0", CART_DIFF)

    tm = diurnal(b.local_h) / diurnal(b.local_h).mean()
    cs = "cart-service"
    b.background(cs, 9, generic_spring_templates("com.shop.cart", cs, [
        (5, "INFO", "c.s.cart.web.CartController", http_thread,
         lambda r: f"cart {uuid(r)} updated: {r.integers(1, 9)} items, subtotal USD {r.uniform(5, 400):.2f}", True),
        (1.2, "INFO", "c.s.cart.PriceCalculator", http_thread,
         lambda r: f"coupon {rid(r, '', 8)} applied: -{r.integers(5, 25)}%", True),
        (0.4, "INFO", "c.s.cart.PriceCalculator", http_thread,
         lambda r: f"coupon {rid(r, '', 8)} not applicable: minimum order value not reached", True),
    ]), mult=tm, namespace="cart")
    for p in new_pods:
        b.log(p[1], cs, "INFO", "com.shop.cart.CartApplication",
              "Starting CartApplication v3.2.0 using Java 21.0.4 with PID 1", thread="main",
              trace=False, pod=p[0], namespace="cart")
        b.log(p[1] + 10.3, cs, "INFO", "com.shop.cart.CartApplication",
              f"Started CartApplication in {rng.uniform(10, 12):.3f} seconds", thread="main",
              trace=False, pod=p[0], namespace="cart")
    tr_npe = npe_trace()
    newpods = [p[0] for p in new_pods]
    new_start = {p[0]: p[1] + 12 for p in new_pods}

    def npe_log(sec):
        live = [p for p in newpods if new_start[p] <= sec]
        if not live:
            return
        tid = b.trace()
        pod = live[rng.integers(0, len(live))]
        b.log(sec, cs, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]", tr_npe,
              thread=http_thread(rng), trace_id=tid, pod=pod, namespace="cart")
        if rng.random() < 0.5:
            b.log(sec + 0.006, "api-gateway", "INFO", "reactor.netty.http.server.AccessLog",
                  "POST /api/v1/cart/coupon -> 500 in "
                  f"{rng.integers(20, 90)}ms", thread=reactor_thread(rng), trace_id=tid,
                  namespace="edge")

    b.events(cs, 14, T_DEP, b.n * STEP, npe_log, mult=newfrac * tm)

    gw_routes = [("GET", "/api/v1/catalog/products/{id}"), ("POST", "/api/v1/cart/items"),
                 ("GET", "/api/v1/cart"), ("POST", "/api/v1/checkout"),
                 ("GET", "/api/v1/loyalty/balance")]
    b.background("api-gateway", 12, [
        (10, "INFO", "reactor.netty.http.server.AccessLog", reactor_thread,
         lambda r: access_line(r, gw_routes), True),
        (0.3, "WARN", "o.s.c.g.filter.factory.RequestRateLimiterGatewayFilterFactory",
         reactor_thread, lambda r: f"Rate limit exceeded for key client:{rid(r, 'ios-', 6)}", True),
    ], mult=tm, namespace="edge")
    b.background("checkout-service", 4, generic_spring_templates("com.shop.checkout", "checkout-service", [
        (5, "INFO", "c.s.checkout.CheckoutService", http_thread,
         lambda r: f"checkout {uuid(r)} completed, order {rid(r, 'US-', 9)} total USD {r.uniform(10, 700):.2f}", True),
        (0.2, "WARN", "c.s.checkout.tax.TaxClient", http_thread,
         lambda r: f"tax provider slow ({r.integers(800, 2500)}ms), using cached rate for ZIP {r.integers(10000, 99999)}", True),
    ]), mult=tm, namespace="checkout")
    b.background("catalog-service", 7, generic_spring_templates("com.shop.catalog", "catalog-service", [
        (5, "INFO", "c.s.catalog.web.ProductController", http_thread,
         lambda r: f"GET /api/v1/catalog/products/{r.integers(10**5, 10**6)} -> 200 ({r.integers(2, 50)}ms)", True),
        (0.1, "ERROR", "c.s.catalog.images.ImageMetadataClient", http_thread,
         lambda r: f"image metadata fetch failed for asset {uuid(r)}: 404 Not Found from cdn-origin", True),
    ]), mult=tm, namespace="catalog")

    def redis_warn(sec):
        b.log(sec, "catalog-service", "WARN", "i.l.core.protocol.ConnectionWatchdog",
              "Reconnecting, last destination was catalog-redis-master.catalog.svc.cluster.local/10.44.3.12:6379",
              thread=f"lettuce-eventExecutorLoop-1-{rng.integers(1, 5)}", trace=False,
              namespace="catalog")

    b.events("catalog-service", 12, T_REDIS, T_REDIS + 45, redis_warn)
    b.log(T_REDIS + 47, "catalog-service", "INFO", "i.l.core.protocol.ReconnectionHandler",
          "Reconnected to catalog-redis-master.catalog.svc.cluster.local/10.44.3.14:6379",
          thread="lettuce-nioEventLoop-4-2", trace=False, namespace="catalog")
    b.background("loyalty-service", 2.5, generic_spring_templates("com.shop.loyalty", "loyalty-service", [
        (5, "INFO", "c.s.loyalty.points.PointsLedger", kafka_thread,
         lambda r: f"credited {r.integers(10, 900)} points to customer {r.integers(10**6, 10**7)} (order US-{rid(r, '', 9)})", False),
        (0.2, "WARN", "c.s.loyalty.points.PointsLedger", kafka_thread,
         lambda r: f"points credit capped at 5000 for customer {r.integers(10**6, 10**7)}", False),
    ]), mult=tm, start=T_LOY, namespace="loyalty")
    b.background("loyalty-service", 2.5, generic_spring_templates("com.shop.loyalty", "loyalty-service", [
        (5, "INFO", "c.s.loyalty.points.PointsLedger", kafka_thread,
         lambda r: f"credited {r.integers(10, 900)} points to customer {r.integers(10**6, 10**7)} (order US-{rid(r, '', 9)})", False),
    ]), mult=tm, end=T_LOY, namespace="loyalty")
    for p in [p for p in b.pods["loyalty-service"] if p[1] > T_LOY]:
        b.log(p[1], "loyalty-service", "INFO", "com.shop.loyalty.LoyaltyApplication",
              "Starting LoyaltyApplication v0.18.1 using Java 21.0.4 with PID 1", thread="main",
              trace=False, pod=p[0], namespace="loyalty")
        b.log(p[1] + 7.7, "loyalty-service", "INFO", "com.shop.loyalty.LoyaltyApplication",
              f"Started LoyaltyApplication in {rng.uniform(7, 9):.3f} seconds", thread="main",
              trace=False, pod=p[0], namespace="loyalty")
        b.log(p[1] + 9, "loyalty-service", "WARN", "o.f.c.i.l.slf4j.Slf4jLog",
              "DB: Schema \"loyalty\" version 42 is newer than the latest available migration (41)",
              thread="main", trace=False, pod=p[0], namespace="loyalty")
    b.background("pricing-rules-service", 3, generic_spring_templates("com.shop.pricing", "pricing-rules-service", [
        (5, "INFO", "c.s.pricing.rules.RuleEngine", http_thread,
         lambda r: f"evaluated {r.integers(3, 40)} rules for sku batch ({r.integers(1, 12)} ms)", True),
    ]), mult=tm, namespace="pricing")

    b.expected = {
        "incident": True,
        "findings": [{"service": "cart-service", "category": "code_regression",
                      "action": "rollback", "keywords": ["NullPointerException"]}],
        "forbidden_services": ["loyalty-service"],
    }
    return b


def main():
    for make in (case_cert, case_leak, case_pool, case_quiet, case_npe):
        b = make()
        rows, logs = b.write()
        size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(b.dir)
                   for f in fs)
        print(f"{b.name}: {len(b.metrics)} metrics, {rows} rows, {logs} log lines, "
              f"{len(b.deploys)} deploys, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
