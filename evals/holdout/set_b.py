#!/usr/bin/env python3
"""Deterministic generator for held-out incident bundles (set b).

Run: /work/main/.venv/bin/python /work/holdout/b/gen.py
Writes five bundle directories next to this file (format incident-bundle/v1).
"""
import json
import os
import sys
import shutil
from datetime import datetime, timezone

import numpy as np

OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))  # evals.holdout: the output directory
HEX = "0123456789abcdef"
ALNUM = "bcdfghjklmnpqrstvwxz2456789"


# ----------------------------------------------------------------------------- helpers
def epoch(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def iso(t, ms=False):
    d = datetime.fromtimestamp(float(t), tz=timezone.utc)
    if ms:
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def fmtv(v):
    s = "%.4f" % float(v)
    s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def smoothstep(t, a, b):
    x = np.clip((np.asarray(t, float) - a) / (b - a), 0.0, 1.0)
    return x * x * (3 - 2 * x)


def diurnal(t, peak_hour, amp):
    h = (np.asarray(t, float) % 86400) / 3600.0
    return 1.0 + amp * np.cos(2 * np.pi * (h - peak_hour) / 24.0)


class Bundle:
    def __init__(self, name, description, start, end, seed):
        self.name = name
        self.description = description
        self.t0 = epoch(start)
        self.t1 = epoch(end)
        self.rng = np.random.default_rng(seed)
        self.meta = {}
        self.rows = []
        self.logs = []
        self.deploys = []
        self.diffs = {}
        # fine simulation grid (10 s)
        self.ft = np.arange(self.t0 - 600, self.t1 + 600, 10.0)

    # -- random helpers
    def pick(self, seq, p=None):
        if p is None:
            return seq[int(self.rng.integers(len(seq)))]
        return seq[int(self.rng.choice(len(seq), p=p))]

    def hexid(self, n):
        return "".join(HEX[i] for i in self.rng.integers(0, 16, n))

    def uuid(self):
        h = self.hexid(32)
        return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], "8" + h[17:20], h[20:32])

    def pod(self, service, n=3):
        rs = "".join(ALNUM[i] for i in self.rng.integers(0, len(ALNUM), 9))
        pods = []
        for _ in range(n):
            pods.append("%s-%s-%s" % (service, rs, "".join(ALNUM[i] for i in self.rng.integers(0, len(ALNUM), 5))))
        return pods

    def noise(self, n, sd):
        return 1.0 + sd * self.rng.standard_normal(n)

    # -- metric helpers
    def grid(self, step, offset=0.0):
        return np.arange(self.t0 + offset, self.t1, float(step))

    def fine(self, arr, times):
        """interpolate a fine-grid series onto sample times"""
        return np.interp(times, self.ft, arr)

    def cum(self, rate, sd=0.03, poisson=False, start=None):
        """cumulative integral on the fine grid of a per-second rate"""
        rate = np.maximum(np.asarray(rate, float) * np.ones(len(self.ft)), 0)
        if poisson:
            inc = self.rng.poisson(rate * 10.0).astype(float)
        else:
            inc = np.maximum(rate * 10.0 * self.noise(len(self.ft), sd), 0)
        c = np.cumsum(inc)
        if start is None:
            start = float(np.mean(rate)) * 86400 * self.rng.uniform(3, 30)
        return c + start

    def counter(self, times, cumarr, resets=(), integer=False):
        v = self.fine(cumarr, times)
        for r in resets:
            rr = epoch(r)
            base = float(np.interp(rr, self.ft, cumarr))
            v = np.where(times >= rr, v - base, v)
        if integer:
            v = np.floor(v)
        return v

    def metric(self, name, service, times, values, gaps=(), **meta):
        assert name not in self.meta, name
        m = {"service": service}
        for k in ("unit", "description", "kind", "bad_when"):
            if meta.get(k) is not None:
                m[k] = meta[k]
        self.meta[name] = m
        times = np.asarray(times, float)
        values = np.asarray(values, float)
        keep = np.ones(len(times), bool)
        for a, b in gaps:
            keep &= ~((times >= epoch(a)) & (times < epoch(b)))
        for t, v in zip(times[keep], values[keep]):
            assert np.isfinite(v), (name, t)
            self.rows.append((float(t), name, float(v)))

    # -- log helpers
    def log(self, t, service, level, message, **attrs):
        rec = {"timestamp": None, "service": service, "level": level, "message": message}
        for k, v in attrs.items():
            if v is not None:
                rec[k] = v
        self.logs.append((float(t), rec))

    def events(self, rate, t0=None, t1=None):
        """Poisson event times; rate is a constant or a function of an array of times"""
        t0 = self.t0 if t0 is None else t0
        t1 = self.t1 if t1 is None else t1
        if t1 <= t0:
            return np.array([])
        if callable(rate):
            g = np.linspace(t0, t1, 4000)
            rmax = float(np.max(rate(g))) * 1.05 + 1e-12
            n = self.rng.poisson(rmax * (t1 - t0))
            ts = np.sort(self.rng.uniform(t0, t1, n))
            keep = self.rng.uniform(0, 1, n) < rate(ts) / rmax
            return ts[keep]
        n = self.rng.poisson(rate * (t1 - t0))
        return np.sort(self.rng.uniform(t0, t1, n))

    def every(self, period, jitter=0.0, t0=None, t1=None, phase=0.0):
        t0 = self.t0 if t0 is None else t0
        t1 = self.t1 if t1 is None else t1
        ts = np.arange(t0 + phase, t1, period)
        if jitter:
            ts = ts + self.rng.uniform(0, jitter, len(ts))
        return ts[(ts >= t0) & (ts < t1)]

    def deploy(self, service, version, commit, at, description, diff, author="ci-bot"):
        self.deploys.append({"service": service, "version": version, "commit": commit,
                             "deployed_at": at, "author": author, "description": description})
        if diff is not None:
            self.diffs[commit] = diff

    # -- output
    def write(self, expected):
        d = os.path.join(OUT, self.name)
        if os.path.exists(d):
            shutil.rmtree(d)
        os.makedirs(d)
        manifest = {"format": "incident-bundle/v1", "name": self.name,
                    "description": self.description, "metrics": self.meta}
        with open(os.path.join(d, "bundle.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        self.rows.sort(key=lambda r: (r[0], r[1]))
        seen = set()
        with open(os.path.join(d, "metrics.csv"), "w") as f:
            f.write("timestamp,metric,value\n")
            for t, name, v in self.rows:
                ts = iso(t)
                key = (name, ts)
                assert key not in seen, key
                seen.add(key)
                f.write("%s,%s,%s\n" % (ts, name, fmtv(v)))
        self.logs.sort(key=lambda x: x[0])
        with open(os.path.join(d, "logs.jsonl"), "w") as f:
            for t, rec in self.logs:
                assert self.t0 <= t < self.t1, (self.name, iso(t), rec["message"][:60])
                rec["timestamp"] = iso(t, ms=True)
                f.write(json.dumps(rec) + "\n")
        with open(os.path.join(d, "deploys.json"), "w") as f:
            json.dump(sorted(self.deploys, key=lambda x: x["deployed_at"]), f, indent=2)
            f.write("\n")
        if self.diffs:
            os.makedirs(os.path.join(d, "diffs"))
            for commit, text in self.diffs.items():
                with open(os.path.join(d, "diffs", commit + ".diff"), "w") as f:
                    f.write(text)
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(expected, f, indent=2)
            f.write("\n")
        print("%-22s metrics=%d rows=%d logs=%d deploys=%d" % (
            self.name, len(self.meta), len(self.rows), len(self.logs), len(self.deploys)))


def gunicorn_access(b, t, ip, method, path, status, size, ua, secs):
    d = datetime.fromtimestamp(float(t), tz=timezone.utc)
    return '%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "%s" %.3f' % (
        ip, d.strftime("%d/%b/%Y:%H:%M:%S +0000"), method, path, status, size, ua, secs)


def traceback(frames, final, cause=None):
    out = []
    if cause is not None:
        cframes, cfinal = cause
        out.append("Traceback (most recent call last):")
        for fn, ln, func, code in cframes:
            out.append('  File "%s", line %d, in %s' % (fn, ln, func))
            out.append("    " + code)
        out.append(cfinal)
        out.append("")
        out.append("During handling of the above exception, another exception occurred:")
        out.append("")
    out.append("Traceback (most recent call last):")
    for fn, ln, func, code in frames:
        out.append('  File "%s", line %d, in %s' % (fn, ln, func))
        out.append("    " + code)
    out.append(final)
    return "\n".join(out)


def lognormal_ms(b, p50, p95):
    sigma = np.log(p95 / p50) / 1.645
    return float(p50 * np.exp(sigma * b.rng.standard_normal()))


BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
]


def internal_ip(b, prefix="10.12"):
    return "%s.%d.%d" % (prefix, b.rng.integers(0, 32), b.rng.integers(2, 254))


# ============================================================================ case 1
def case_media():
    b = Bundle("media-2026-04-08",
               "Telemetry export for the media upload pipeline (upload-api, image-resizer, "
               "notification-worker, media-db), 2026-04-08 02:00-08:00 UTC.",
               "2026-04-08T02:00:00Z", "2026-04-08T08:00:00Z", seed=4081)
    r = b.rng
    ft = b.ft
    n = len(ft)
    on = epoch("2026-04-08T04:17:30Z")
    full = on + 68 * 60
    heavy = smoothstep(ft, on, full)
    lam = 3.1 * diurnal(ft, 14, 0.12) * b.noise(n, 0.05)          # resize tasks / s
    c = 0.34 * (1 + 4.2 * heavy) * b.noise(n, 0.04)                # cpu-seconds per task
    L = 4.0
    demand = lam * c + 0.08
    mu = np.minimum(lam, 0.975 * L / c)
    backlog = np.zeros(n)
    for i in range(1, n):
        backlog[i] = max(0.0, backlog[i - 1] + (lam[i] - mu[i]) * 10.0)
    util = demand / L
    cpu_rate = np.where(demand < 0.985 * L, demand, 0.985 * L * b.noise(n, 0.006))
    cpu_rate = np.minimum(cpu_rate, L * 0.999)
    thr_rate = 0.004 * b.noise(n, 0.5).clip(0.1) + 1.8 * np.maximum(0, util - 0.78)
    stretch = 1 + np.clip((util - 0.7) / 0.6, 0, 1)
    runtime_p95 = 2300 * c * stretch
    wait_p95 = 120 + 1000 * backlog / np.maximum(mu, 0.1) * 1.1
    body_p95 = 3.2e6 * (1 + 4.9 * heavy) * b.noise(n, 0.05)

    t30 = b.grid(30)
    t30b = b.grid(30, 15)
    t60 = b.grid(60, 5)
    t60b = b.grid(60, 35)
    gap_r = [("2026-04-08T06:31:00Z", "2026-04-08T06:37:30Z")]
    gap_u = [("2026-04-08T02:48:00Z", "2026-04-08T02:52:30Z")]

    # upload-api
    up_rate = lam * 1.0 + 5.5 * diurnal(ft, 14, 0.12)
    b.metric("upload_api_http_requests_total", "upload-api", t30,
             b.counter(t30, b.cum(up_rate), integer=True), gaps=gap_u, kind="counter",
             unit="requests", description="HTTP requests served by upload-api")
    b.metric("upload_api_http_requests_5xx_total", "upload-api", t30,
             b.counter(t30, b.cum(0.003, poisson=True, start=1841)), gaps=gap_u, unit="requests")
    up_p95 = (108 + 55 * heavy) * b.noise(n, 0.08)
    b.metric("upload_api_request_duration_p95_ms", "upload-api", t30, b.fine(up_p95, t30), gaps=gap_u,
             unit="ms", description="p95 latency of upload-api requests")
    b.metric("upload_api_request_body_bytes_p95", "upload-api", t60, b.fine(body_p95, t60), unit="bytes")

    # image-resizer
    b.metric("image_resizer_container_cpu_usage_seconds_total", "image-resizer", t30b,
             b.counter(t30b, b.cum(cpu_rate, sd=0.01)), gaps=gap_r, kind="counter", unit="seconds",
             description="CPU time consumed by image-resizer containers")
    b.metric("image_resizer_container_cpu_cfs_throttled_seconds_total", "image-resizer", t30b,
             b.counter(t30b, b.cum(thr_rate, sd=0.05, start=52311.0)), gaps=gap_r, unit="seconds")
    b.metric("image_resizer_cpu_limit_cores", "image-resizer", t60, np.full(len(t60), 4.0), unit="cores")
    q = b.fine(backlog, t60) + r.poisson(4, len(t60))
    b.metric("celery_queue_length_resize", "image-resizer", t60, np.round(q), unit="tasks",
             description="messages waiting in the resize queue")
    b.metric("image_resizer_tasks_succeeded_total", "image-resizer", t60,
             b.counter(t60, b.cum(mu, sd=0.04), integer=True), kind="counter", unit="tasks")
    b.metric("image_resizer_task_runtime_p95_ms", "image-resizer", t60,
             b.fine(runtime_p95, t60) * b.noise(len(t60), 0.07), unit="ms")
    b.metric("image_resizer_task_queue_wait_p95_ms", "image-resizer", t60,
             b.fine(wait_p95, t60) * b.noise(len(t60), 0.05), unit="ms")
    # rss of the worker pods: sawtooth from max-tasks-per-child recycling, a bit higher with bigger images
    saw = ((ft - b.t0) % 1380) / 1380.0
    rss = (395e6 + 210e6 * heavy + 60e6 * saw) * b.noise(n, 0.01)
    b.metric("image_resizer_process_resident_memory_bytes", "image-resizer", t60b, b.fine(rss, t60b),
             unit="bytes")

    # notification-worker (deployed 03:52)
    dep = epoch("2026-04-08T03:52:14Z")
    gor = 46 + 6 * r.standard_normal(n).clip(-2, 2)
    b.metric("notification_worker_go_goroutines", "notification-worker", t30, np.round(b.fine(gor, t30)))
    b.metric("notification_worker_emails_sent_total", "notification-worker", t60,
             b.counter(t60, b.cum(0.9 * diurnal(ft, 14, 0.3)), resets=["2026-04-08T03:52:14Z"], integer=True))
    nrss = np.where(ft < dep, 64e6, 41e6 + 23e6 * (1 - np.exp(-(ft - dep) / 1500.0))) * b.noise(n, 0.015)
    b.metric("notification_worker_process_resident_memory_bytes", "notification-worker", t60b,
             b.fine(nrss, t60b), unit="bytes")

    # media-db
    conns = 21 + 3 * r.standard_normal(len(t60))
    b.metric("media_db_connections_active", "media-db", t60, np.round(conns.clip(12)))

    # ---- logs
    up_pods = b.pod("upload-api", 3)
    rz_pods = b.pod("image-resizer", 2)
    nw_pod = b.pod("notification-worker", 1)[0]
    nw_pod2 = b.pod("notification-worker", 1)[0]
    app_uas = ["PhotoShareApp/6.3.1 (iPhone; iOS 17.4.1)", "PhotoShareApp/6.3.0 (Android 14; Pixel 8)",
               "PhotoShareApp/6.2.7 (Android 13; SM-A546B)", BROWSER_UAS[0], BROWSER_UAS[1]]
    heavy_at = lambda t: float(np.interp(t, ft, heavy))
    for t in b.events(lambda x: np.interp(x, ft, up_rate) * 0.035):
        rid = b.hexid(16)
        h = heavy_at(t)
        if r.uniform() < 0.62:
            secs = lognormal_ms(b, 45 + 20 * h, 105 + 55 * h) / 1000
            st = 202 if r.uniform() > 0.002 else 413
            msg = gunicorn_access(b, t, internal_ip(b, "10.40"), "POST", "/v1/media/uploads", st,
                                  int(r.integers(120, 180)), b.pick(app_uas), secs)
        else:
            mid = b.hexid(12)
            msg = gunicorn_access(b, t, internal_ip(b, "10.40"), "GET", "/v1/media/%s/status" % mid, 200,
                                  int(r.integers(90, 140)), b.pick(app_uas), lognormal_ms(b, 8, 22) / 1000)
        b.log(t, "upload-api", "INFO", msg, pod=b.pick(up_pods), request_id=rid)
    for t in b.events(1 / 900.0):
        b.log(t, "upload-api", "WARN",
              "[WARNING] Ignoring EPIPE: client closed connection before request body was fully received",
              pod=b.pick(up_pods))
    jw_frames = [
        ("/usr/local/lib/python3.11/site-packages/urllib3/connectionpool.py", 537, "_make_request",
         "response = conn.getresponse()"),
        ("/usr/local/lib/python3.11/site-packages/urllib3/connection.py", 466, "getresponse",
         "httplib_response = super().getresponse()"),
        ("/usr/local/lib/python3.11/ssl.py", 1134, "read", "return self._sslobj.read(len, buffer)"),
    ]
    jw_frames2 = [
        ("/app/upload_api/auth/jwks.py", 41, "refresh", "resp = self._session.get(self.url, timeout=3)"),
        ("/usr/local/lib/python3.11/site-packages/requests/sessions.py", 602, "get",
         'return self.request("GET", url, **kwargs)'),
        ("/usr/local/lib/python3.11/site-packages/requests/adapters.py", 713, "send",
         "raise ReadTimeout(e, request=request)"),
    ]
    for t in b.every(4300, jitter=900, phase=1100):
        b.log(t, "upload-api", "ERROR",
              "Failed to refresh JWKS from https://auth.internal/.well-known/jwks.json\n" +
              traceback(jw_frames2,
                        "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='auth.internal', port=443): "
                        "Read timed out. (read timeout=3)",
                        cause=(jw_frames, "TimeoutError: The read operation timed out")),
              pod=b.pick(up_pods), logger="upload_api.auth.jwks")

    # image-resizer worker logs
    mu_at = lambda x: np.interp(x, ft, mu)
    for t in b.events(lambda x: mu_at(x) * 0.05):
        h = heavy_at(t)
        stretch_t = float(np.interp(t, ft, stretch))
        big = r.uniform() < 0.85 * h
        if big:
            dims, mb = b.pick(["8064x6048", "8160x6120", "8192x5464", "7728x5152"]), r.uniform(13, 29)
            cpu_s = r.lognormal(np.log(1.75), 0.25)
        else:
            dims, mb = b.pick(["4032x3024", "4000x3000", "3024x4032", "4080x3072", "1920x1080"]), r.uniform(1.4, 4.6)
            cpu_s = r.lognormal(np.log(0.3), 0.3)
        el = cpu_s * stretch_t
        tid = b.uuid()
        w = "ForkPoolWorker-%d" % r.integers(1, 9)
        pod = b.pick(rz_pods)
        b.log(t - el - 0.01, "image-resizer", "INFO",
              "resize_image: media_id=%s source=%s (%.1f MB) variants=5" % (b.hexid(12), dims, mb),
              pod=pod, worker=w, task_id=tid)
        b.log(t, "image-resizer", "INFO",
              "Task media.tasks.resize_image[%s] succeeded in %.3fs: None" % (tid, el),
              pod=pod, worker=w, task_id=tid)
        if el > 5.0 and r.uniform() < 0.3:
            b.log(t + 0.002, "image-resizer", "WARN",
                  "resize_image: slow task media_id=%s elapsed=%.1fs" % (b.hexid(12), el), pod=pod, worker=w)
    pil_frames = [
        ("/usr/local/lib/python3.11/site-packages/celery/app/trace.py", 477, "trace_task",
         "R = retval = fun(*args, **kwargs)"),
        ("/app/media/tasks.py", 58, "resize_image", "with Image.open(src) as im:"),
        ("/usr/local/lib/python3.11/site-packages/PIL/Image.py", 3309, "open",
         'raise UnidentifiedImageError(msg)'),
    ]
    for t in b.events(1 / 2400.0):
        tid = b.uuid()
        b.log(t, "image-resizer", "ERROR",
              "Task media.tasks.resize_image[%s] raised unexpected: UnidentifiedImageError(\"cannot identify image file "
              "<_io.BytesIO object at 0x7f%s>\")\n" % (tid, b.hexid(10)) +
              traceback(pil_frames, "PIL.UnidentifiedImageError: cannot identify image file <_io.BytesIO object at 0x7f%s>"
                        % b.hexid(10)),
              pod=b.pick(rz_pods), task_id=tid)

    # notification-worker
    for t in b.events(lambda x: 0.9 * diurnal(x, 14, 0.3) * 0.045):
        p = nw_pod if t < dep else nw_pod2
        tpl = b.pick(["order_shipped", "password_reset", "digest_weekly", "upload_complete", "comment_reply"])
        b.log(t, "notification-worker", "INFO",
              'level=info msg="email sent" template=%s provider=ses duration_ms=%d' % (tpl, r.integers(90, 420)),
              pod=p)
    for t in b.events(1 / 1300.0):
        p = nw_pod if t < dep else nw_pod2
        b.log(t, "notification-worker", "ERROR",
              'level=error msg="send failed" template=%s attempt=1 err="dial tcp 10.9.1.4:587: i/o timeout"'
              % b.pick(["order_shipped", "digest_weekly", "comment_reply"]), pod=p)
    tpanic = epoch("2026-04-08T02:41:09Z")
    b.log(tpanic, "notification-worker", "ERROR",
          'level=error msg="panic recovered" handler=/internal/preview err="runtime error: invalid memory address or nil '
          'pointer dereference" stack="goroutine 1873 [running]:\\nruntime/debug.Stack()\\n\\t/usr/local/go/src/runtime/'
          'debug/stack.go:24 +0x5e\\ngithub.com/acme/notification-worker/internal/render.(*Renderer).Preview(0x0, '
          '{0xc0004a2f30, 0xd})\\n\\t/src/internal/render/render.go:118 +0x3a"', pod=nw_pod)
    for i, line in enumerate([
        'level=info msg="shutting down" signal=terminated',
        'level=info msg="drained in-flight jobs" count=3',
    ]):
        b.log(dep - 8 + i, "notification-worker", "INFO", line, pod=nw_pod)
    for i, line in enumerate([
        'level=info msg="starting notification-worker" version=v1.19.0 commit=3f9c2e71ab go=go1.22.2',
        'level=info msg="loaded templates" count=41 locales=12',
        'level=info msg="connected to queue" url=amqp://rabbitmq.media:5672/notify',
    ]):
        b.log(dep + 14 + i, "notification-worker", "INFO", line, pod=nw_pod2)
    for t in b.events(1 / 780.0, t0=dep + 300):
        b.log(t, "notification-worker", "WARN",
              'level=warn msg="template fallback used" template=digest_weekly locale=%s fallback=en'
              % b.pick(["pt-BR", "es-MX", "fr-CA"]), pod=nw_pod2)

    # media-db
    for t in b.every(300, jitter=2, phase=17):
        b.log(t, "media-db", "INFO", "LOG:  checkpoint starting: time", pod="media-db-0")
        wrote = int(r.integers(300, 2400))
        b.log(t + r.uniform(20, 150), "media-db", "INFO",
              "LOG:  checkpoint complete: wrote %d buffers (%.1f%%); 0 WAL file(s) added, 0 removed, 1 recycled; "
              "write=%.3f s, sync=0.004 s, total=%.3f s" % (wrote, wrote / 163.84, wrote / 20.0, wrote / 20.0 + 0.01),
              pod="media-db-0")
    for t in b.events(1 / 3000.0):
        b.log(t, "media-db", "INFO",
              "LOG:  duration: %.1f ms  statement: SELECT m.id, m.owner_id, v.kind FROM media m JOIN media_variants v "
              "ON v.media_id = m.id WHERE m.owner_id = $1 ORDER BY m.created_at DESC LIMIT 200" % r.uniform(1000, 2400),
              pod="media-db-0")

    b.deploy("notification-worker", "v1.19.0", "3f9c2e71ab", "2026-04-08T03:52:14Z",
             "notification-worker v1.19.0", DIFF_NOTIFY)
    b.write({"incident": True,
             "findings": [{"service": "image-resizer", "category": "resource_saturation",
                           "action": ["scale_out"], "keywords": ["cpu"]}],
             "forbidden_services": ["notification-worker", "media-db"]})


DIFF_NOTIFY = """diff --git a/internal/render/render.go b/internal/render/render.go
index 5a1c0e2..8b7d9f3 100644
--- a/internal/render/render.go
+++ b/internal/render/render.go
@@ -71,18 +71,29 @@ func (r *Renderer) Render(name string, locale string, data any) (Message, error) {
-	tpl, ok := r.templates[key(name, locale)]
-	if !ok {
-		return Message{}, fmt.Errorf("template %s/%s not found", name, locale)
-	}
+	tpl, ok := r.templates[key(name, locale)]
+	if !ok {
+		// fall back to the default locale instead of dropping the message
+		fallback, fok := r.templates[key(name, r.defaultLocale)]
+		if !fok {
+			return Message{}, fmt.Errorf("template %s/%s not found", name, locale)
+		}
+		r.log.Warn("template fallback used", "template", name, "locale", locale, "fallback", r.defaultLocale)
+		tpl = fallback
+	}
 	var body bytes.Buffer
 	if err := tpl.Execute(&body, data); err != nil {
 		return Message{}, fmt.Errorf("render %s: %w", name, err)
 	}
diff --git a/templates/digest_weekly.en.html b/templates/digest_weekly.en.html
index 2b4e118..c90a7d1 100644
--- a/templates/digest_weekly.en.html
+++ b/templates/digest_weekly.en.html
@@ -12,7 +12,8 @@
   <h1>Your week on PhotoShare</h1>
-  <p>{{ .NewFollowers }} new followers</p>
+  <p>{{ .NewFollowers }} new followers, {{ .NewComments }} new comments</p>
+  <p class="muted">Manage email preferences in Settings</p>
"""


# ============================================================================ case 2
def case_search():
    b = Bundle("search-2026-05-13",
               "Telemetry export for storefront search (edge-gateway, search-api, catalog-service, "
               "recommendations-api), 2026-05-13 08:00-14:30 UTC.",
               "2026-05-13T08:00:00Z", "2026-05-13T14:30:00Z", seed=5132)
    r = b.rng
    ft = b.ft
    n = len(ft)
    c_on = epoch("2026-05-13T11:41:40Z")
    c_full = epoch("2026-05-13T11:52:10Z")
    c_off = epoch("2026-05-13T13:31:20Z")
    crawl_shape = smoothstep(ft, c_on, c_full) * (1 - smoothstep(ft, c_off, c_off + 260))
    human = 210 * diurnal(ft, 13, 0.3) * b.noise(n, 0.04)
    crawler = 960 * crawl_shape * b.noise(n, 0.06)
    total = human + crawler
    lim_frac = 0.32 * smoothstep(ft, c_on + 120, c_on + 420)        # per-client limiter catches part of it
    r429 = crawler * lim_frac + 0.02
    served = total - r429
    demand = served * 0.0068 + 0.15
    util = demand / 6.0
    shed_frac = np.clip((util - 0.86) * 0.9, 0, 0.3)
    r503 = served * shed_frac + 0.01
    cpu = np.minimum(demand * (1 - shed_frac * 0.7), 5.93) * b.noise(n, 0.015)
    p95 = (68 + 16 / (1 - np.minimum(util, 0.965))) * b.noise(n, 0.07)
    gor = 58 + served * (p95 / 1000.0) * 0.32 + 5 * r.standard_normal(n)

    t30 = b.grid(30, 3)
    t60 = b.grid(60, 20)
    t60b = b.grid(60, 50)
    gap_s = [("2026-05-13T09:14:00Z", "2026-05-13T09:19:30Z")]
    gap_rec = [("2026-05-13T12:58:00Z", "2026-05-13T13:04:00Z")]
    dep_cat = "2026-05-13T10:05:41Z"

    b.metric("search_api_http_requests_total", "search-api", t30, b.counter(t30, b.cum(total, sd=0.01), integer=True),
             gaps=gap_s, kind="counter", unit="requests", description="requests received by search-api")
    b.metric("search_api_http_requests_5xx_total", "search-api", t30,
             b.counter(t30, b.cum(r503, poisson=True, start=90211)), gaps=gap_s, unit="requests")
    b.metric("search_api_http_requests_429_total", "search-api", t30,
             b.counter(t30, b.cum(r429, poisson=True, start=3310)), gaps=gap_s, unit="requests")
    b.metric("search_api_request_duration_p95_ms", "search-api", t30, b.fine(p95, t30), gaps=gap_s, unit="ms",
             description="p95 latency of /v2/search")
    b.metric("search_api_container_cpu_usage_seconds_total", "search-api", t30,
             b.counter(t30, b.cum(cpu, sd=0.01)), gaps=gap_s, kind="counter", unit="seconds")
    b.metric("search_api_go_goroutines", "search-api", t30, np.round(b.fine(gor, t30)), gaps=gap_s)
    rss = (182e6 + 0.13e6 * (gor - 60) + 14e6 * ((ft - b.t0) % 900) / 900) * b.noise(n, 0.01)
    b.metric("search_api_process_resident_memory_bytes", "search-api", t60, b.fine(rss, t60), unit="bytes")

    edge = total + 520 * diurnal(ft, 13, 0.3)
    b.metric("edge_gateway_http_requests_total", "edge-gateway", t60, b.counter(t60, b.cum(edge), integer=True),
             unit="requests")
    b.metric("edge_gateway_upstream_connections_active", "edge-gateway", t60b,
             np.round(b.fine(140 + 0.18 * edge * b.noise(n, 0.05), t60b)))

    cat_rate = 95 * diurnal(ft, 13, 0.3)
    b.metric("catalog_service_http_requests_total", "catalog-service", t60,
             b.counter(t60, b.cum(cat_rate), resets=[dep_cat], integer=True), kind="counter", unit="requests")
    b.metric("catalog_service_http_requests_5xx_total", "catalog-service", t60,
             b.counter(t60, b.cum(0.004, poisson=True, start=412), resets=[dep_cat]), unit="requests")
    cat_p95 = np.where(ft < epoch(dep_cat), 124, 117) * b.noise(n, 0.08)
    b.metric("catalog_service_request_duration_p95_ms", "catalog-service", t60, b.fine(cat_p95, t60), unit="ms")
    rec_p95 = 205 * b.noise(n, 0.1)
    b.metric("recommendations_api_request_duration_p95_ms", "recommendations-api", t60b, b.fine(rec_p95, t60b),
             gaps=gap_rec, unit="ms")

    # ---- logs
    s_pods = b.pod("search-api", 4)
    c_pods = b.pod("catalog-service", 2)
    c_pods2 = b.pod("catalog-service", 2)
    rec_pods = b.pod("recommendations-api", 2)
    crawler_ua = "Mozilla/5.0 (compatible; Barkrowler/0.9; +https://babbar.tech/crawler)"
    popular = ["running shoes", "iphone 15 case", "air fryer", "wireless earbuds", "office chair", "yoga mat",
               "coffee grinder", "usb c cable", "rain jacket", "standing desk", "kids backpack", "led strip"]
    zipf = np.array([1 / (i + 1) for i in range(len(popular))])
    zipf /= zipf.sum()
    words_a = ["leather", "wool", "linen", "vintage", "compact", "wireless", "organic", "stainless", "kids", "mens",
               "womens", "waterproof", "ergonomic", "foldable", "smart", "cordless", "ceramic", "bamboo"]
    words_b = ["boots", "jacket", "lamp", "kettle", "blender", "headphones", "sofa", "rug", "tent", "drill",
               "watch", "sneakers", "mug", "router", "monitor", "speaker", "backpack", "mattress", "scarf"]
    brands = ["acme", "northpeak", "helio", "tundra", "orbit", "kestrel", "vela", "brightline", "corvo"]
    colors = ["black", "white", "brown", "navy", "green", "red", "grey", "beige"]
    sorts = ["relevance", "price_asc", "price_desc", "newest", "rating"]
    crawl_ips = ["51.222.253.%d" % i for i in range(1, 21)] + ["51.222.254.%d" % i for i in range(40, 58)]

    frac_at = lambda x: np.interp(x, ft, crawler / total)
    for t in b.events(lambda x: np.interp(x, ft, total) / 2500.0):
        is_crawl = r.uniform() < frac_at(t)
        shedp = float(np.interp(t, ft, shed_frac))
        p95_t = float(np.interp(t, ft, p95))
        rid = b.hexid(16)
        pod = b.pick(s_pods)
        if is_crawl:
            qs = "q=%s+%s&brand=%s&color=%s&page=%d&sort=%s" % (
                b.pick(words_a), b.pick(words_b), b.pick(brands), b.pick(colors), r.integers(1, 61), b.pick(sorts))
            ua, ip = crawler_ua, b.pick(crawl_ips)
            if r.uniform() < float(np.interp(t, ft, lim_frac)):
                b.log(t, "search-api", "WARN",
                      'level=warn msg="rate limited" method=GET path=/v2/search query="%s" status=429 remote_ip=%s '
                      'ua="%s" limit=20r/s' % (qs, ip, ua), pod=pod, request_id=rid)
                continue
        else:
            qs = "q=%s&page=%d" % (b.pick(popular, p=zipf).replace(" ", "+"), 1 if r.uniform() < 0.85 else r.integers(2, 5))
            ua, ip = b.pick(BROWSER_UAS), "%d.%d.%d.%d" % (r.integers(24, 200), r.integers(0, 255),
                                                           r.integers(0, 255), r.integers(1, 254))
        if r.uniform() < shedp:
            b.log(t, "search-api", "WARN",
                  'level=warn msg="request shed" method=GET path=/v2/search query="%s" status=503 reason="inflight '
                  'limit reached" inflight=512 limit=512 remote_ip=%s ua="%s"' % (qs, ip, ua), pod=pod, request_id=rid)
            continue
        dur = lognormal_ms(b, p95_t * 0.42, p95_t)
        b.log(t, "search-api", "INFO",
              'level=info msg="http request" method=GET path=/v2/search query="%s" status=200 dur_ms=%d bytes=%d '
              'remote_ip=%s ua="%s"' % (qs, dur, r.integers(4000, 40000), ip, ua), pod=pod, request_id=rid)
        if dur > 1500:
            b.log(t + 0.001, "search-api", "WARN",
                  'level=warn msg="slow search" query="%s" dur_ms=%d hits=%d' % (qs, dur, r.integers(0, 5000)),
                  pod=pod, request_id=rid)
    gen = 88412
    for t in b.every(300, jitter=20, phase=130):
        gen += 1
        b.log(t, "search-api", "INFO",
              'level=info msg="index snapshot refreshed" generation=%d docs=%d took_ms=%d' % (
                  gen, 4_180_000 + int(r.integers(0, 9000)), r.integers(400, 1400)), pod=b.pick(s_pods))

    # catalog-service
    tdep = epoch(dep_cat)
    for t in b.events(lambda x: 95 * diurnal(x, 13, 0.3) / 1500.0):
        pods = c_pods if t < tdep else c_pods2
        pid = b.hexid(10)
        b.log(t, "catalog-service", "INFO",
              gunicorn_access(b, t, internal_ip(b), "GET", "/v1/products/%s" % pid, 200, int(r.integers(900, 6000)),
                              "python-requests/2.31.0", lognormal_ms(b, 35, 120) / 1000),
              pod=b.pick(pods), request_id=b.hexid(16))
    boot = ["[INFO] Starting gunicorn 21.2.0", "[INFO] Listening at: http://0.0.0.0:8000 (1)",
            "[INFO] Using worker: gthread", "[INFO] Booting worker with pid: 8", "[INFO] Booting worker with pid: 9",
            "[INFO] Booting worker with pid: 10", "[INFO] Booting worker with pid: 11"]
    for k, p in enumerate(c_pods2):
        for i, line in enumerate(boot):
            b.log(tdep + 20 + 40 * k + i * 0.3, "catalog-service", "INFO", line, pod=p)
        b.log(tdep + 60 + 40 * k, "catalog-service", "INFO", "[INFO] Handling signal: term", pod=c_pods[k])
    qc_frames = [
        ("/app/catalog/views/products.py", 142, "list_products", "rows = list(qs[offset:offset + limit])"),
        ("/usr/local/lib/python3.11/site-packages/django/db/models/query.py", 400, "__iter__", "self._fetch_all()"),
        ("/usr/local/lib/python3.11/site-packages/django/db/backends/utils.py", 89, "_execute",
         "return self.cursor.execute(sql, params)"),
    ]
    for t in b.events(1 / 2900.0):
        pods = c_pods if t < tdep else c_pods2
        b.log(t, "catalog-service", "ERROR",
              "Internal Server Error: /v1/products\n" +
              traceback(qc_frames, "django.db.utils.OperationalError: canceling statement due to statement timeout"),
              pod=b.pick(pods), request_id=b.hexid(16), logger="django.request")

    # recommendations-api
    rt_frames = [
        ("/app/recs/features.py", 77, "fetch_user_vector", "r = self.session.get(url, timeout=0.25)"),
        ("/usr/local/lib/python3.11/site-packages/requests/sessions.py", 602, "get",
         'return self.request("GET", url, **kwargs)'),
        ("/usr/local/lib/python3.11/site-packages/requests/adapters.py", 713, "send",
         "raise ReadTimeout(e, request=request)"),
    ]
    for t in b.events(1 / 520.0):
        b.log(t, "recommendations-api", "ERROR",
              "feature fetch failed, serving popular items\n" +
              traceback(rt_frames, "requests.exceptions.ReadTimeout: HTTPConnectionPool(host='feature-store', port=8080): "
                        "Read timed out. (read timeout=0.25)"),
              pod=b.pick(rec_pods), request_id=b.hexid(16))
    for t in b.events(1 / 60.0):
        b.log(t, "recommendations-api", "INFO",
              gunicorn_access(b, t, internal_ip(b), "GET", "/v1/recs?user=%s&slot=home" % b.hexid(8), 200,
                              int(r.integers(1500, 4000)), "python-httpx/0.27.0", lognormal_ms(b, 80, 205) / 1000),
              pod=b.pick(rec_pods))
    tdep_rec = epoch("2026-05-13T12:02:33Z")
    b.log(tdep_rec + 25, "recommendations-api", "INFO",
          "recs.model: loaded ranking model two-tower-2026-05-12 (dim=128, items=412331)", pod=rec_pods[0])

    b.deploy("catalog-service", "v3.8.0", "b71d04e9c2", dep_cat, "catalog-service v3.8.0", DIFF_CATALOG)
    b.deploy("recommendations-api", "v2.14.1", "e04a3b77d1", "2026-05-13T12:02:33Z",
             "recommendations-api v2.14.1 (model refresh)", DIFF_RECS)
    b.write({"incident": True,
             "findings": [{"service": "search-api", "category": "traffic_surge", "action": ["scale_out"],
                           "keywords": ["request"]}],
             "forbidden_services": ["catalog-service", "recommendations-api"]})


DIFF_CATALOG = """diff --git a/catalog/serializers.py b/catalog/serializers.py
index 91c2d4e..3f0aa18 100644
--- a/catalog/serializers.py
+++ b/catalog/serializers.py
@@ -38,12 +38,15 @@ class ProductSerializer(serializers.ModelSerializer):
     price = MoneyField()
+    badges = serializers.SerializerMethodField()
 
     class Meta:
         model = Product
-        fields = ["id", "sku", "title", "brand", "price", "images", "stock_status"]
+        fields = ["id", "sku", "title", "brand", "price", "images", "stock_status", "badges"]
+
+    def get_badges(self, obj):
+        return [b.code for b in obj.badges.all()] if hasattr(obj, "badges") else []
diff --git a/catalog/views/products.py b/catalog/views/products.py
index 0c7d1aa..a9b3e21 100644
--- a/catalog/views/products.py
+++ b/catalog/views/products.py
@@ -130,7 +130,7 @@ def list_products(request):
-    qs = Product.objects.filter(active=True).select_related("brand")
+    qs = Product.objects.filter(active=True).select_related("brand").prefetch_related("badges")
"""

DIFF_RECS = """diff --git a/deploy/values.yaml b/deploy/values.yaml
index 4d0b1e2..7a9c3f0 100644
--- a/deploy/values.yaml
+++ b/deploy/values.yaml
@@ -21,7 +21,7 @@ env:
   FEATURE_STORE_URL: http://feature-store:8080
-  RANKING_MODEL: two-tower-2026-05-05
+  RANKING_MODEL: two-tower-2026-05-12
   POPULAR_FALLBACK: "true"
"""


# ============================================================================ case 3
def case_kafka():
    b = Bundle("events-2026-06-21",
               "Telemetry export for the order events pipeline (kafka-broker-1..3, order-events-producer, "
               "audit-consumer), 2026-06-21 17:30 UTC to 2026-06-22 00:00 UTC.",
               "2026-06-21T17:30:00Z", "2026-06-22T00:00:00Z", seed=6213)
    r = b.rng
    ft = b.ft
    n = len(ft)
    stop_del = epoch("2026-06-21T20:33:40Z")   # segments stop being removed on broker-2
    GB = 1e9
    recs = 3400 * diurnal(ft, 19, 0.25) * b.noise(n, 0.03)
    w2 = recs * 10300.0 * b.noise(n, 0.02)          # bytes/s written on broker-2 (leader + follower traffic)

    # broker-2 free space: sawtooth from 5-min retention deletes until stop_del, then steady decline
    avail2 = np.zeros(n)
    a = 238 * GB
    cap_check = 300.0
    for i in range(n):
        a -= w2[i] * 10.0
        t = ft[i]
        if t < stop_del and (t - b.t0) % cap_check < 10:
            a = 238 * GB + r.normal(0, 0.6 * GB)
        a = max(a, 11.5e6 + r.uniform(0, 2e6))
        avail2[i] = a
    full_idx = int(np.argmax(avail2 < 60e6))
    t_full = float(ft[full_idx]) + 5.37
    t_enospc = t_full
    t_down = t_enospc + 12
    # after the broker stops, nothing is written any more: free space stays flat
    avail2 = np.where(ft > t_down, float(np.interp(t_down, ft, avail2)), avail2)

    def sawtooth(level, phase):
        out = np.zeros(n)
        w = recs * 11500.0 * b.noise(n, 0.02)
        w = np.where(ft > t_down, w * 1.45, w)
        a_ = level
        for i in range(n):
            a_ -= w[i] * 10.0
            if (ft[i] - b.t0 + phase) % cap_check < 10:
                a_ = level + r.normal(0, 0.6 * GB)
            out[i] = a_
        return out

    avail1 = sawtooth(311 * GB, 110)
    avail3 = sawtooth(296 * GB, 200)
    t60 = b.grid(60, 10)
    t60b = b.grid(60, 40)
    t30 = b.grid(30, 7)
    t30b = b.grid(30, 22)
    gap_b1 = [("2026-06-21T18:45:00Z", "2026-06-21T18:51:00Z")]
    gap_n3 = [("2026-06-21T19:10:00Z", "2026-06-21T19:14:30Z")]
    after_down = [(iso(t_down + 1), "2026-06-22T00:00:00Z")]

    for k, (svc, av, gaps) in enumerate([("kafka-broker-1", avail1, ()), ("kafka-broker-2", avail2, ()),
                                         ("kafka-broker-3", avail3, gap_n3)]):
        b.metric("kafka_broker_%d_node_filesystem_avail_bytes" % (k + 1), svc, t60, b.fine(av, t60), gaps=gaps,
                 kind="gauge", bad_when="falls", unit="bytes",
                 description="free bytes on /var/lib/kafka (node-exporter)")
    down = ft > t_down
    b1_in = np.where(down, recs * 1100 * 1.5, recs * 1100) * b.noise(n, 0.02)
    b2_in = recs * 1100 * b.noise(n, 0.02)
    b.metric("kafka_broker_1_bytes_in_total", "kafka-broker-1", t30, b.counter(t30, b.cum(b1_in, sd=0.01)),
             gaps=gap_b1, kind="counter", unit="bytes")
    b.metric("kafka_broker_2_bytes_in_total", "kafka-broker-2", t30b, b.counter(t30b, b.cum(b2_in, sd=0.01)),
             gaps=after_down, kind="counter", unit="bytes")
    urp1 = np.where(down, 412, 0) + (r.uniform(0, 1, n) < 0.004) * r.integers(1, 3, n)
    b.metric("kafka_broker_1_under_replicated_partitions", "kafka-broker-1", t30, b.fine(urp1, t30).round(),
             gaps=gap_b1)
    urp2 = (r.uniform(0, 1, n) < 0.004) * r.integers(1, 3, n)
    b.metric("kafka_broker_2_under_replicated_partitions", "kafka-broker-2", t30b, b.fine(urp2, t30b).round(),
             gaps=after_down)

    # producer
    burst = smoothstep(ft, t_enospc, t_enospc + 20) * (1 - smoothstep(ft, t_enospc + 150, t_enospc + 260))
    steady = smoothstep(ft, t_enospc + 120, t_enospc + 240)
    err_frac = 0.55 * burst + 0.061 * steady
    errs = recs * err_frac + 0.0006
    b.metric("order_events_producer_records_sent_total", "order-events-producer", t30,
             b.counter(t30, b.cum(recs * (1 - err_frac), sd=0.01), integer=True), kind="counter", unit="records")
    b.metric("order_events_producer_record_errors_total", "order-events-producer", t30,
             b.counter(t30, b.cum(errs, poisson=True, start=118)), unit="records")
    pl = (9 + 6 * r.random(n)) * (1 + 0.3 * steady * 40) + 29000 * burst
    b.metric("order_events_producer_produce_latency_p95_ms", "order-events-producer", t30, b.fine(pl, t30), unit="ms")

    # audit-consumer (deployed 21:24; crashed once at 19:02)
    dep = epoch("2026-06-21T21:24:05Z")
    panic_t = epoch("2026-06-21T19:02:17Z")
    lag = 300 + 150 * r.random(n) + 42000 * np.exp(-np.clip(ft - dep, 0, None) / 150) * (ft >= dep) \
        + 25000 * np.exp(-np.clip(ft - panic_t, 0, None) / 120) * (ft >= panic_t) \
        + 9000 * steady * (1 - smoothstep(ft, t_enospc + 600, t_enospc + 1500))
    b.metric("audit_consumer_consumer_lag", "audit-consumer", t60b, b.fine(lag, t60b).round(), unit="messages")
    ag = 34 + 4 * r.standard_normal(n)
    b.metric("audit_consumer_go_goroutines", "audit-consumer", t60b, b.fine(ag, t60b).round())
    since = np.where(ft >= dep, ft - dep, np.where(ft >= panic_t, ft - panic_t, ft - b.t0 + 20000))
    arss = (38e6 + 30e6 * (1 - np.exp(-since / 1800.0))) * b.noise(n, 0.01)
    b.metric("audit_consumer_process_resident_memory_bytes", "audit-consumer", t60, b.fine(arss, t60), unit="bytes")

    # ---- logs
    topics = ["order-events", "order-status", "payment-events"]
    def part():
        return "%s-%d" % (b.pick(topics, p=[0.6, 0.25, 0.15]), r.integers(0, 24))
    offsets = {}
    for broker, svc in [(1, "kafka-broker-1"), (2, "kafka-broker-2"), (3, "kafka-broker-3")]:
        tend = t_down if broker == 2 else b.t1
        for t in b.events(lambda x: np.interp(x, ft, recs) / 3400.0 * 0.045, t1=tend):
            p = part()
            off = offsets.get(p, int(r.integers(10_000_000, 90_000_000))) + int(r.integers(40000, 90000))
            offsets[p] = off
            b.log(t, svc, "INFO", "[LocalLog partition=%s, dir=/var/lib/kafka/data] Rolled new log segment at offset "
                  "%d in %d ms. (kafka.log.LocalLog)" % (p, off, r.integers(1, 9)), pod="kafka-%d" % (broker - 1))
        dels_end = stop_del if broker == 2 else b.t1
        ph = {1: 110, 2: 0, 3: 200}[broker]
        for t in b.every(300, t0=b.t0, t1=dels_end, phase=(300 - ph) % 300 + 1.5):
            for _ in range(int(r.integers(2, 5))):
                p = part()
                base = int(r.integers(10_000_000, 80_000_000))
                b.log(t + r.uniform(0, 3), svc, "INFO",
                      "[UnifiedLog partition=%s, dir=/var/lib/kafka/data] Deleting segment LogSegment(baseOffset=%d, "
                      "size=1073741%03d, lastModifiedTime=%d, largestRecordTimestamp=%d) due to log retention time "
                      "604800000ms breach based on the largest record timestamp in the segment (kafka.log.UnifiedLog)"
                      % (p, base, r.integers(0, 999), int((t - 604800 - 3600) * 1000), int((t - 604800 - 60) * 1000)),
                      pod="kafka-%d" % (broker - 1))
    enospc_trace = ("java.io.IOException: No space left on device\n"
                    "\tat java.base/sun.nio.ch.FileDispatcherImpl.write0(Native Method)\n"
                    "\tat java.base/sun.nio.ch.FileDispatcherImpl.write(FileDispatcherImpl.java:62)\n"
                    "\tat java.base/sun.nio.ch.IOUtil.writeFromNativeBuffer(IOUtil.java:132)\n"
                    "\tat java.base/sun.nio.ch.IOUtil.write(IOUtil.java:97)\n"
                    "\tat java.base/sun.nio.ch.FileChannelImpl.write(FileChannelImpl.java:285)\n"
                    "\tat org.apache.kafka.common.record.MemoryRecords.writeFullyTo(MemoryRecords.java:92)\n"
                    "\tat org.apache.kafka.common.record.FileRecords.append(FileRecords.java:188)\n"
                    "\tat kafka.log.LogSegment.append(LogSegment.scala:161)\n"
                    "\tat kafka.log.LocalLog.append(LocalLog.scala:439)\n"
                    "\tat kafka.log.UnifiedLog.append(UnifiedLog.scala:911)")
    for i in range(3):
        b.log(t_enospc + 0.4 * i, "kafka-broker-2", "ERROR",
              "Error while appending records to %s in dir /var/lib/kafka/data "
              "(org.apache.kafka.storage.internals.log.LogDirFailureChannel)\n%s" % (part(), enospc_trace),
              pod="kafka-1")
    b.log(t_enospc + 1.6, "kafka-broker-2", "ERROR",
          "[ReplicaManager broker=2] Error processing append operation on partition order-events-7 "
          "(kafka.server.ReplicaManager)\norg.apache.kafka.common.errors.KafkaStorageException: Error while appending "
          "records to order-events-7 in dir /var/lib/kafka/data\nCaused by: java.io.IOException: No space left on device",
          pod="kafka-1")
    b.log(t_enospc + 2.1, "kafka-broker-2", "WARN",
          "[ReplicaManager broker=2] Stopping serving replicas in dir /var/lib/kafka/data (kafka.server.ReplicaManager)",
          pod="kafka-1")
    b.log(t_enospc + 3.0, "kafka-broker-2", "WARN",
          "[ReplicaManager broker=2] Broker 2 stopped fetcher for partitions order-events-7,order-events-13,"
          "order-status-2,payment-events-5 and stopped moving logs for partitions  because they are in the failed "
          "log directory /var/lib/kafka/data. (kafka.server.ReplicaManager)", pod="kafka-1")
    b.log(t_enospc + 9.5, "kafka-broker-2", "ERROR",
          "Shutdown broker because all log dirs in /var/lib/kafka/data have failed (kafka.log.LogManager)",
          pod="kafka-1")
    for k in range(14):
        p = part()
        b.log(t_down + 3 + k * r.uniform(0.2, 1.5), "kafka-broker-1", "INFO",
              "[Partition %s broker=1] Shrinking ISR from 2,1,3 to 1,3. Leader: (highWatermark: %d, endOffset: %d). "
              "Out of sync replicas: (brokerId: 2, endOffset: %d, lastCaughtUpTimeMs: %d). (kafka.cluster.Partition)"
              % (p, 55_000_000 + k, 55_000_100 + k, 55_000_000 + k, int(t_enospc * 1000)), pod="kafka-0")
    b.log(t_down + 2, "kafka-broker-1", "INFO",
          "[Controller id=1] Broker 2 is no longer registered; triggering leader election for 138 partitions "
          "(kafka.controller.KafkaController)", pod="kafka-0")

    # producer (python, confluent-kafka)
    pp = b.pod("order-events-producer", 2)
    for t in b.every(60, jitter=3, phase=11):
        if t_enospc < t < t_enospc + 260:
            continue
        b.log(t, "order-events-producer", "INFO",
              'level=info msg="delivery report" window=60s delivered=%d failed=%d p95_ms=%d' % (
                  float(np.interp(t, ft, recs)) * 60 * (1 - float(np.interp(t, ft, err_frac))),
                  float(np.interp(t, ft, errs)) * 60, float(np.interp(t, ft, pl))), pod=b.pick(pp))
    for t in b.events(lambda x: np.interp(x, ft, errs) / 1200.0 + 1 / 5000.0):
        if t < t_enospc:
            b.log(t, "order-events-producer", "WARN",
                  'level=warn msg="delivery retried" topic=order-status err="KafkaError{code=REQUEST_TIMED_OUT,val=7,'
                  'str=\\"Broker: Request timed out\\"}"', pod=b.pick(pp))
        elif t < t_enospc + 200:
            b.log(t, "order-events-producer", "ERROR",
                  'level=error msg="delivery failed" topic=order-events partition=%d err="KafkaError{code=_MSG_TIMED_OUT,'
                  'val=-192,str=\\"Local: Message timed out\\"}"' % r.integers(0, 24), pod=b.pick(pp))
        else:
            b.log(t, "order-events-producer", "ERROR",
                  'level=error msg="delivery failed" topic=order-events partition=%d err="KafkaError{code='
                  'NOT_ENOUGH_REPLICAS,val=19,str=\\"Broker: Not enough in-sync replicas\\"}"' % r.choice([7, 13, 19]),
                  pod=b.pick(pp))
    for t in b.every(190, jitter=60, t0=t_down + 1, t1=b.t1):
        b.log(t, "order-events-producer", "WARN",
              "%%3|%d.%03d|FAIL|rdkafka#producer-1| [thrd:kafka-broker-2:9092/2]: kafka-broker-2:9092/2: Connect to "
              "ipv4#10.4.7.12:9092 failed: Connection refused (after 0ms in state CONNECT, %d identical error(s) "
              "suppressed)" % (int(t), int((t % 1) * 1000), r.integers(3, 40)), pod=b.pick(pp))
    pe_frames = [
        ("/app/orders/events.py", 64, "publish", "self._producer.flush(timeout=30)"),
        ("/app/orders/events.py", 91, "_raise_on_error", "raise KafkaException(err)"),
    ]
    for t in b.events(1 / 40.0, t0=t_enospc + 5, t1=t_enospc + 240):
        b.log(t, "order-events-producer", "ERROR",
              "publish failed for order %s\n" % b.hexid(12) +
              traceback(pe_frames, 'confluent_kafka.KafkaException: KafkaError{code=_MSG_TIMED_OUT,val=-192,'
                        'str="Local: Message timed out"}'), pod=b.pick(pp), request_id=b.hexid(16))

    # audit-consumer (go)
    ap1, ap2, ap3 = b.pod("audit-consumer", 1)[0], b.pod("audit-consumer", 1)[0], b.pod("audit-consumer", 1)[0]
    def apod(t):
        return ap1 if t < panic_t else (ap2 if t < dep else ap3)
    for t in b.every(30, jitter=2, phase=4):
        b.log(t, "audit-consumer", "INFO",
              'level=info msg="committed offsets" group=audit-writer partitions=24 lag=%d' %
              float(np.interp(t, ft, lag)), pod=apod(t))
    for t in b.events(1 / 1700.0):
        b.log(t, "audit-consumer", "ERROR",
              'level=error msg="write to audit store failed" store=s3 bucket=acme-audit-archive err="RequestError: send '
              'request failed\\ncaused by: Put \\"https://acme-audit-archive.s3.eu-west-1.amazonaws.com/...\\": context '
              'deadline exceeded" retry=true', pod=apod(t))
    b.log(panic_t - 0.2, "audit-consumer", "ERROR",
          "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 57 [running]:\n"
          "github.com/acme/audit-consumer/internal/decode.headerValue(...)\n"
          "\t/src/internal/decode/headers.go:44\n"
          "github.com/acme/audit-consumer/internal/decode.Record({0xc000a1e000, 0x1f4, 0x200})\n"
          "\t/src/internal/decode/record.go:88 +0x3c5\n"
          "github.com/acme/audit-consumer/internal/consumer.(*Handler).ConsumeClaim(0xc0001b6000, {0x1a2b3c0, 0xc00031e0c0}, "
          "{0x1a2f7e8, 0xc0004c2000})\n\t/src/internal/consumer/handler.go:61 +0x1d4\nexit status 2",
          pod=ap1)
    for i, line in enumerate([
        'level=info msg="starting audit-consumer" version=v2.2.4 commit=a71e0c3',
        'level=info msg="joined consumer group" group=audit-writer generation=%d member=%s' % (912, ap2),
    ]):
        b.log(panic_t + 24 + i, "audit-consumer", "INFO", line, pod=ap2)
    b.log(dep - 3, "audit-consumer", "INFO", 'level=info msg="shutting down" signal=terminated', pod=ap2)
    for i, line in enumerate([
        'level=info msg="starting audit-consumer" version=v2.3.0 commit=c4d1f9e20b',
        'level=info msg="joined consumer group" group=audit-writer generation=%d member=%s' % (913, ap3),
        'level=info msg="partitions assigned" count=24',
    ]):
        b.log(dep + 21 + i, "audit-consumer", "INFO", line, pod=ap3)
    for t in b.events(1 / 25.0, t0=t_down + 1, t1=t_down + 120):
        b.log(t, "audit-consumer", "WARN",
              'level=warn msg="fetch error" topic=order-events partition=%d err="kafka server: Tried to send a message '
              'to a replica that is not the leader for some partition. Your metadata is out of date."' % r.integers(0, 24),
              pod=ap3)
    b.log(t_down + 125, "audit-consumer", "INFO",
          'level=info msg="joined consumer group" group=audit-writer generation=914 member=%s' % ap3, pod=ap3)

    b.deploy("audit-consumer", "v2.3.0", "c4d1f9e20b", "2026-06-21T21:24:05Z", "audit-consumer v2.3.0", DIFF_AUDIT)
    b.write({"incident": True,
             "findings": [{"service": "kafka-broker-2", "category": "resource_saturation",
                           "action": ["escalate", "scale_out"], "keywords": ["disk"]}],
             "forbidden_services": ["audit-consumer", "kafka-broker-3"]})
    return iso(t_enospc)


DIFF_AUDIT = """diff --git a/internal/decode/headers.go b/internal/decode/headers.go
index 7e21c4a..0b9d3f1 100644
--- a/internal/decode/headers.go
+++ b/internal/decode/headers.go
@@ -38,10 +38,13 @@ func headerValue(h []sarama.RecordHeader, key string) string {
-	for i := 0; i <= len(h); i++ {
-		if string(h[i].Key) == key {
-			return string(h[i].Value)
-		}
-	}
+	for _, hdr := range h {
+		if hdr == nil {
+			continue
+		}
+		if string(hdr.Key) == key {
+			return string(hdr.Value)
+		}
+	}
 	return ""
 }
diff --git a/internal/audit/record.go b/internal/audit/record.go
index 3a0f5e2..9c14b7d 100644
--- a/internal/audit/record.go
+++ b/internal/audit/record.go
@@ -12,6 +12,7 @@ type Record struct {
 	OrderID   string    `json:"order_id"`
 	Actor     string    `json:"actor"`
 	Action    string    `json:"action"`
+	TraceID   string    `json:"trace_id,omitempty"`
 	Timestamp time.Time `json:"ts"`
 }
"""


# ============================================================================ case 4
def case_cache():
    b = Bundle("shop-2026-07-02",
               "Telemetry export for the shop backend (session-service, cart-api, redis-cache, promo-service), "
               "2026-07-02 05:30-11:00 UTC.",
               "2026-07-02T05:30:00Z", "2026-07-02T11:00:00Z", seed=7024)
    r = b.rng
    ft = b.ft
    n = len(ft)
    crash = epoch("2026-07-02T08:38:21Z")
    back = epoch("2026-07-02T09:44:12Z")
    out = (ft >= crash) & (ft < back + 25)
    outf = out.astype(float)
    dep_promo = "2026-07-02T08:06:50Z"
    tdp = epoch(dep_promo)

    s_rate = 140 * diurnal(ft, 16, 0.35) * b.noise(n, 0.04)
    c_rate = 90 * diurnal(ft, 16, 0.35) * b.noise(n, 0.04)
    s_5xx = 0.02 + outf * 0.62 * s_rate
    c_5xx = 0.01 + outf * 0.35 * c_rate
    s_p95 = np.where(out, 96, 38) * b.noise(n, 0.08)
    c_p95 = np.where(out, 143, 56) * b.noise(n, 0.08)
    c_gor = np.where(out, 185, 122) + 8 * r.standard_normal(n)

    t30 = b.grid(30, 0)
    t30b = b.grid(30, 12)
    t60 = b.grid(60, 25)
    t60b = b.grid(60, 45)
    gap_s = [("2026-07-02T06:40:00Z", "2026-07-02T06:46:00Z")]
    gap_c = [("2026-07-02T10:12:00Z", "2026-07-02T10:17:00Z")]
    redis_gap = [(iso(crash + 5), iso(back + 8))]

    b.metric("session_service_http_requests_total", "session-service", t30,
             b.counter(t30, b.cum(s_rate, sd=0.01), integer=True), gaps=gap_s, kind="counter", unit="requests")
    b.metric("session_service_http_requests_5xx_total", "session-service", t30,
             b.counter(t30, b.cum(s_5xx, poisson=True, start=2210)), gaps=gap_s, kind="counter", unit="requests")
    b.metric("session_service_request_duration_p95_ms", "session-service", t30, b.fine(s_p95, t30), gaps=gap_s,
             unit="ms")
    b.metric("cart_api_http_requests_total", "cart-api", t60, b.counter(t60, b.cum(c_rate, sd=0.01), integer=True),
             gaps=gap_c, unit="requests")
    b.metric("cart_api_http_requests_5xx_total", "cart-api", t60, b.counter(t60, b.cum(c_5xx, poisson=True, start=977)),
             gaps=gap_c, unit="requests")
    b.metric("cart_api_request_duration_p95_ms", "cart-api", t60, b.fine(c_p95, t60), gaps=gap_c, unit="ms")
    b.metric("cart_api_go_goroutines", "cart-api", t60, b.fine(c_gor, t60).round(), gaps=gap_c)

    up = np.where((ft >= crash) & (ft < back), 0.0, 1.0)
    t_up = b.grid(30, 12)
    b.metric("redis_up", "redis-cache", t_up, np.interp(t_up, ft, up).round(), kind="gauge",
             description="redis_exporter: 1 if the last scrape of redis-cache succeeded")
    clients = 86 + 3 * r.standard_normal(n)
    b.metric("redis_connected_clients", "redis-cache", t30b, b.fine(clients, t30b).round(), gaps=redis_gap)
    mem = np.where(ft < crash, 2.08e9 + 0.9e9 * (ft - b.t0) / (crash - b.t0) * 0.06,
                   5e6 + 6.1e8 * (1 - np.exp(-np.clip(ft - back, 0, None) / 2400.0))) * b.noise(n, 0.004)
    b.metric("redis_memory_used_bytes", "redis-cache", t60, b.fine(mem, t60), gaps=redis_gap, unit="bytes")
    cmd_rate = (s_rate * 3.1 + c_rate * 2.2) * (1 - outf)
    b.metric("redis_commands_processed_total", "redis-cache", t30b,
             b.counter(t30b, b.cum(cmd_rate, sd=0.02), resets=[iso(back)], integer=True), gaps=redis_gap,
             kind="counter")

    p_rate = 41 * diurnal(ft, 16, 0.35) * b.noise(n, 0.05)
    b.metric("promo_service_http_requests_total", "promo-service", t60b,
             b.counter(t60b, b.cum(p_rate), resets=[dep_promo], integer=True), unit="requests")
    p_p95 = np.where(ft < tdp, 64, 69) * b.noise(n, 0.09)
    b.metric("promo_service_request_duration_p95_ms", "promo-service", t60b, b.fine(p_p95, t60b), unit="ms")
    prss = np.where(ft < tdp, 212e6, 148e6 + 66e6 * (1 - np.exp(-np.clip(ft - tdp, 0, None) / 1200))) * b.noise(n, 0.01)
    b.metric("promo_service_process_resident_memory_bytes", "promo-service", t60, b.fine(prss, t60), unit="bytes")

    # ---- logs
    sp = b.pod("session-service", 3)
    cp = b.pod("cart-api", 3)
    pp_old, pp_new = b.pod("promo-service", 2), b.pod("promo-service", 2)
    in_out = lambda t: crash <= t < back + 25

    for t in b.events(lambda x: np.interp(x, ft, s_rate) / 1300.0):
        if in_out(t) and r.uniform() < 0.62:
            continue
        path = b.pick(["/v1/session", "/v1/session/refresh", "/v1/session/validate"], p=[0.5, 0.2, 0.3])
        b.log(t, "session-service", "INFO",
              gunicorn_access(b, t, internal_ip(b, "10.4"), "GET" if "validate" in path else "POST", path, 200,
                              int(r.integers(200, 700)), "Go-http-client/1.1", lognormal_ms(b, 12, 38) / 1000),
              pod=b.pick(sp), request_id=b.hexid(16))
    conn_cause = [
        ("/usr/local/lib/python3.11/site-packages/redis/connection.py", 276, "connect",
         "sock = self.retry.call_with_retry("),
        ("/usr/local/lib/python3.11/site-packages/redis/retry.py", 46, "call_with_retry", "return do()"),
        ("/usr/local/lib/python3.11/site-packages/redis/connection.py", 277, "<lambda>",
         "lambda: self._connect(), lambda error: self.disconnect(error)"),
        ("/usr/local/lib/python3.11/site-packages/redis/connection.py", 639, "_connect", "raise err"),
        ("/usr/local/lib/python3.11/site-packages/redis/connection.py", 627, "_connect", "sock.connect(socket_address)"),
    ]
    conn_frames = [
        ("/app/session_service/views.py", 88, "get_session", 'data = cache.hgetall(f"sess:{sid}")'),
        ("/usr/local/lib/python3.11/site-packages/redis/commands/core.py", 4929, "hgetall",
         'return self.execute_command("HGETALL", name)'),
        ("/usr/local/lib/python3.11/site-packages/redis/client.py", 533, "execute_command",
         "conn = self.connection or pool.get_connection(command_name, **options)"),
        ("/usr/local/lib/python3.11/site-packages/redis/connection.py", 1086, "get_connection", "connection.connect()"),
        ("/usr/local/lib/python3.11/site-packages/redis/connection.py", 282, "connect",
         "raise ConnectionError(self._error_message(e))"),
    ]
    for t in b.events(lambda x: np.interp(x, ft, s_5xx - 0.02) / 330.0, t0=crash, t1=back + 25):
        b.log(t, "session-service", "ERROR",
              "Internal Server Error: /v1/session/validate\n" +
              traceback(conn_frames, "redis.exceptions.ConnectionError: Error 111 connecting to redis-cache:6379. "
                        "Connection refused.", cause=(conn_cause, "ConnectionRefusedError: [Errno 111] Connection refused")),
              pod=b.pick(sp), request_id=b.hexid(16), logger="django.request")
    for t in b.events(1 / 45.0, t0=crash, t1=back + 25):
        b.log(t, "session-service", "WARN",
              "session_service.cache: redis unavailable (Error 111 connecting to redis-cache:6379. Connection refused.), "
              "falling back to signed-cookie validation", pod=b.pick(sp))
    for t in b.events(1 / 600.0):
        b.log(t, "session-service", "WARN", "session_service.auth: JWT expired for sid=%s (exp %ds ago)" % (
            b.hexid(20), r.integers(1, 3600)), pod=b.pick(sp))
    geo_frames = [
        ("/app/session_service/geo.py", 23, "lookup", "return self._reader.city(ip)"),
        ("/usr/local/lib/python3.11/site-packages/geoip2/database.py", 153, "city", 'return self._model_for(geoip2.models.City, "City", ip_address)'),
        ("/usr/local/lib/python3.11/site-packages/geoip2/database.py", 237, "_model_for", "raise geoip2.errors.AddressNotFoundError("),
    ]
    for t in b.events(1 / 1500.0):
        ip = "100.%d.%d.%d" % (r.integers(64, 127), r.integers(0, 255), r.integers(1, 254))
        b.log(t, "session-service", "ERROR",
              "GeoIP lookup failed for %s\n" % ip +
              traceback(geo_frames, "geoip2.errors.AddressNotFoundError: The address %s is not in the database." % ip),
              pod=b.pick(sp), logger="session_service.geo")

    for t in b.events(lambda x: np.interp(x, ft, c_rate) / 900.0):
        if in_out(t) and r.uniform() < 0.35:
            continue
        b.log(t, "cart-api", "INFO",
              'level=info msg="request" method=%s route=%s status=200 dur_ms=%d' % (
                  b.pick(["GET", "POST", "DELETE"], p=[0.7, 0.25, 0.05]),
                  b.pick(["/v1/carts/{id}", "/v1/carts/{id}/items"]), lognormal_ms(b, 18, 56)),
              pod=b.pick(cp), request_id=b.hexid(16))
    for t in b.events(lambda x: np.interp(x, ft, c_5xx - 0.01) / 260.0, t0=crash, t1=back + 25):
        b.log(t, "cart-api", "ERROR",
              'level=error msg="get cart failed" cart_id=%s status=500 err="dial tcp 10.4.2.7:6379: connect: '
              'connection refused"' % b.hexid(12), pod=b.pick(cp), request_id=b.hexid(16))
    for t in b.events(1 / 20.0, t0=crash, t1=back + 25):
        b.log(t, "cart-api", "WARN",
              'level=warn msg="redis: connection pool: failed to dial after 5 attempts: dial tcp 10.4.2.7:6379: '
              'connect: connection refused"', pod=b.pick(cp))
    for t in b.events(1 / 800.0):
        b.log(t, "cart-api", "WARN", 'level=warn msg="inventory lookup slow" sku=%s dur_ms=%d' % (
            b.hexid(8).upper(), r.integers(600, 1600)), pod=b.pick(cp))

    # redis-cache own logs
    def rts(t, role="M", pid=1):
        d = datetime.fromtimestamp(float(t), tz=timezone.utc)
        return "%d:%s %s.%03d" % (pid, role, d.strftime("%d %b %Y %H:%M:%S"), d.microsecond // 1000)
    for t in b.every(300, jitter=20, phase=60):
        if crash - 40 <= t < back + 600:
            continue
        child = int(r.integers(1000, 30000))
        b.log(t, "redis-cache", "INFO", "%s * 10000 changes in 60 seconds. Saving..." % rts(t), pod="redis-cache-0")
        b.log(t + 0.01, "redis-cache", "INFO", "%s * Background saving started by pid %d" % (rts(t + 0.01), child),
              pod="redis-cache-0")
        dt_ = r.uniform(8, 20)
        b.log(t + dt_, "redis-cache", "INFO", "%s * DB saved on disk" % rts(t + dt_, "C", child), pod="redis-cache-0")
        b.log(t + dt_ + 0.01, "redis-cache", "INFO", "%s * Fork CoW for RDB: current %d MB, peak %d MB, average %d MB"
              % (rts(t + dt_ + 0.01, "C", child), r.integers(2, 9), r.integers(9, 20), r.integers(3, 8)),
              pod="redis-cache-0")
        b.log(t + dt_ + 0.1, "redis-cache", "INFO", "%s * Background saving terminated with success" % rts(t + dt_ + 0.1),
              pod="redis-cache-0")
    start_lines = [
        ("C", "WARN", "# WARNING Memory overcommit must be enabled! Without it, a background save or replication may "
         "fail under low memory condition. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf"),
        ("C", "INFO", "* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
        ("C", "INFO", "* Redis version=7.2.4, bits=64, commit=00000000, modified=0, pid=1, just started"),
        ("C", "INFO", "* Configuration loaded"),
        ("M", "INFO", "* monotonic clock: POSIX clock_gettime"),
        ("M", "INFO", "* Running mode=standalone, port=6379."),
        ("M", "INFO", "* Server initialized"),
        ("M", "INFO", "* Ready to accept connections tcp"),
    ]
    for i, (role, lvl, msg) in enumerate(start_lines):
        tt = back - 1.5 + i * 0.05
        b.log(tt, "redis-cache", lvl, "%s %s" % (rts(tt, role), msg), pod="redis-cache-0")

    # promo-service
    for t in b.events(lambda x: np.interp(x, ft, p_rate) / 700.0):
        pods = pp_old if t < tdp else pp_new
        b.log(t, "promo-service", "INFO",
              gunicorn_access(b, t, internal_ip(b, "10.4"), "POST", "/v1/promotions/evaluate", 200,
                              int(r.integers(300, 1500)), "python-requests/2.32.3", lognormal_ms(b, 22, 66) / 1000),
              pod=b.pick(pods), request_id=b.hexid(16))
    for t in b.every(900, jitter=30, phase=200):
        pods = pp_old if t < tdp else pp_new
        n_rules, ver = (37, "promo-rules-v12") if t < tdp else (39, "promo-rules-v13")
        b.log(t, "promo-service", "INFO", "promo.rules: loaded %d promotion rules from %s" % (n_rules, ver),
              pod=b.pick(pods))
    for t in b.events(1 / 500.0):
        pods = pp_old if t < tdp else pp_new
        b.log(t, "promo-service", "WARN", "promo.coupons: coupon code %s not found or expired" % b.hexid(8).upper(),
              pod=b.pick(pods))
    boot = ["[INFO] Starting gunicorn 22.0.0", "[INFO] Listening at: http://0.0.0.0:8080 (1)",
            "[INFO] Using worker: sync", "[INFO] Booting worker with pid: 7", "[INFO] Booting worker with pid: 8",
            "[INFO] Booting worker with pid: 9"]
    for k, p in enumerate(pp_new):
        for i, line in enumerate(boot):
            b.log(tdp + 15 + 35 * k + 0.2 * i, "promo-service", "INFO", line, pod=p)
        b.log(tdp + 50 + 35 * k, "promo-service", "INFO", "[INFO] Handling signal: term", pod=pp_old[k])
        b.log(tdp + 17 + 35 * k, "promo-service", "INFO",
              "promo.rules: loaded 39 promotion rules from promo-rules-v13", pod=p)

    b.deploy("promo-service", "v4.12.0", "9e1d7ac05f", dep_promo, "promo-service v4.12.0", DIFF_PROMO)
    b.write({"incident": True,
             "findings": [{"service": "redis-cache", "category": "dependency_failure",
                           "action": ["restart", "failover", "escalate"], "keywords": ["refused"]}],
             "forbidden_services": ["promo-service"]})


DIFF_PROMO = """diff --git a/promo/rules/loader.py b/promo/rules/loader.py
index 6d2e0a1..f1c93b8 100644
--- a/promo/rules/loader.py
+++ b/promo/rules/loader.py
@@ -17,7 +17,7 @@ log = logging.getLogger("promo.rules")
-RULESET = os.environ.get("PROMO_RULESET", "promo-rules-v12")
+RULESET = os.environ.get("PROMO_RULESET", "promo-rules-v13")
 
 
 def load_rules(store):
@@ -44,6 +44,12 @@ def load_rules(store):
     rules = [Rule.from_dict(d) for d in raw["rules"]]
+    # summer campaign: free shipping over 50 EUR for DE/AT
+    rules.append(Rule(code="SUMMER-FREESHIP", kind="shipping", min_total=Decimal("50.00"),
+                      countries={"DE", "AT"}, starts=date(2026, 7, 2), ends=date(2026, 7, 31)))
     log.info("loaded %d promotion rules from %s", len(rules), RULESET)
     return rules
"""


# ============================================================================ case 5
def case_ledger():
    b = Bundle("payments-2026-08-19",
               "Telemetry export for the payments platform (ledger-api, ledger-db, payments-gateway, "
               "fx-rates-service, reconciliation-worker), 2026-08-19 10:00-17:00 UTC.",
               "2026-08-19T10:00:00Z", "2026-08-19T17:00:00Z", seed=8195)
    r = b.rng
    ft = b.ft
    n = len(ft)
    s_on = epoch("2026-08-19T12:52:30Z")
    s_off = epoch("2026-08-19T14:54:40Z")
    shift = smoothstep(ft, s_on, s_on + 170) * (1 - smoothstep(ft, s_off, s_off + 140))

    l_rate = 320 * diurnal(ft, 14, 0.2) * b.noise(n, 0.03)
    l_p95 = (141 + 146 * shift) * b.noise(n, 0.07)
    l_p50 = (38 + 9 * shift) * b.noise(n, 0.05)
    l_cpu = 1.12 * l_rate / 320 * b.noise(n, 0.04)
    l_gor = 96 + 3 * shift + 6 * r.standard_normal(n)
    gc = ((ft - b.t0) % 170) / 170.0
    l_rss = (236e6 + 30e6 * gc) * b.noise(n, 0.005)
    g_rate = 110 * diurnal(ft, 14, 0.2) * b.noise(n, 0.04)
    g_p95 = (408 + 52 * shift) * b.noise(n, 0.08)

    t30 = b.grid(30, 5)
    t60 = b.grid(60, 15)
    t60b = b.grid(60, 40)
    gap_l = [("2026-08-19T11:20:00Z", "2026-08-19T11:26:00Z")]
    gap_g = [("2026-08-19T15:40:00Z", "2026-08-19T15:45:00Z")]

    b.metric("ledger_api_http_requests_total", "ledger-api", t30, b.counter(t30, b.cum(l_rate, sd=0.01), integer=True),
             kind="counter", unit="requests")
    b.metric("ledger_api_http_requests_5xx_total", "ledger-api", t30,
             b.counter(t30, b.cum(0.006, poisson=True, start=5310)), unit="requests")
    b.metric("ledger_api_request_duration_p95_ms", "ledger-api", t30, b.fine(l_p95, t30), unit="ms",
             description="p95 latency of ledger-api HTTP requests")
    b.metric("ledger_api_request_duration_p50_ms", "ledger-api", t30, b.fine(l_p50, t30), unit="ms")
    b.metric("ledger_api_container_cpu_usage_seconds_total", "ledger-api", t60, b.counter(t60, b.cum(l_cpu, sd=0.02)),
             gaps=gap_l, kind="counter", unit="seconds")
    b.metric("ledger_api_process_resident_memory_bytes", "ledger-api", t60, b.fine(l_rss, t60), gaps=gap_l,
             unit="bytes")
    b.metric("ledger_api_go_goroutines", "ledger-api", t60, b.fine(l_gor, t60).round(), gaps=gap_l)

    db_act = 12 + 2.5 * r.standard_normal(len(t60b))
    b.metric("ledger_db_pg_stat_activity_active", "ledger-db", t60b, db_act.clip(4).round())
    b.metric("ledger_db_pg_xact_commit_total", "ledger-db", t60b,
             b.counter(t60b, b.cum(l_rate * 0.62, sd=0.02), integer=True), kind="counter")
    b.metric("ledger_db_query_duration_p95_ms", "ledger-db", t60b, 6.2 * b.noise(len(t60b), 0.12), unit="ms")

    b.metric("payments_gateway_http_requests_total", "payments-gateway", t60,
             b.counter(t60, b.cum(g_rate, sd=0.02), integer=True), gaps=gap_g, unit="requests")
    b.metric("payments_gateway_request_duration_p95_ms", "payments-gateway", t60, b.fine(g_p95, t60), gaps=gap_g,
             unit="ms")
    b.metric("payments_gateway_http_requests_5xx_total", "payments-gateway", t60,
             b.counter(t60, b.cum(0.012, poisson=True, start=2911)), gaps=gap_g, unit="requests")

    fx_err = np.full(n, 0.001)
    for s, d in [("2026-08-19T10:41:00Z", 420), ("2026-08-19T13:05:30Z", 300), ("2026-08-19T15:51:00Z", 540)]:
        fx_err = fx_err + 0.2 * ((ft >= epoch(s)) & (ft < epoch(s) + d))
    b.metric("fx_rates_upstream_errors_total", "fx-rates-service", t60, b.counter(t60, b.cum(fx_err, poisson=True,
                                                                                          start=77)), kind="counter")
    # reconciliation queue: hourly batch at :05
    qlen = np.zeros(n)
    for i, t in enumerate(ft):
        m = ((t - 300) % 3600)
        qlen[i] = 2400 * np.exp(-m / 420.0) + r.poisson(3)
    b.metric("celery_queue_length_reconciliation", "reconciliation-worker", t60b, b.fine(qlen, t60b).round())

    # ---- logs
    lp = b.pod("ledger-api", 4)
    gp = b.pod("payments-gateway", 3)
    fp = b.pod("fx-rates-service", 1)[0]
    rp = b.pod("reconciliation-worker", 2)
    routes = [("POST", "/v1/entries", 201), ("GET", "/v1/accounts/{id}/balance", 200),
              ("GET", "/v1/accounts/{id}/entries", 200), ("POST", "/v1/transfers", 201)]
    for t in b.events(lambda x: np.interp(x, ft, l_rate) / 2600.0):
        m, route, st = b.pick(routes, p=[0.35, 0.4, 0.15, 0.1])
        dur = lognormal_ms(b, float(np.interp(t, ft, l_p50)), float(np.interp(t, ft, l_p95)))
        b.log(t, "ledger-api", "INFO", 'level=info msg="request completed" method=%s route=%s status=%d dur_ms=%.1f'
              % (m, route, st, dur), pod=b.pick(lp), request_id=b.uuid())
    for t in b.events(1 / 250.0):
        b.log(t, "ledger-api", "ERROR", 'level=error msg="request failed" route=/v1/transfers status=499 '
              'err="context canceled"', pod=b.pick(lp), request_id=b.uuid())
    for t in b.events(1 / 400.0):
        b.log(t, "ledger-api", "WARN", 'level=warn msg="idempotency key replay" key=%s route=/v1/entries' % b.uuid(),
              pod=b.pick(lp))

    for t in b.events(lambda x: np.interp(x, ft, g_rate) / 1100.0):
        b.log(t, "payments-gateway", "INFO",
              gunicorn_access(b, t, "%d.%d.%d.%d" % (r.integers(24, 200), r.integers(0, 255), r.integers(0, 255),
                                                   r.integers(1, 254)),
                              "POST", "/v2/payments", b.pick([201, 201, 201, 402]), int(r.integers(400, 900)),
                              b.pick(BROWSER_UAS), lognormal_ms(b, 180, float(np.interp(t, ft, g_p95))) / 1000),
              pod=b.pick(gp), request_id=b.uuid())
    for t in b.events(1 / 700.0):
        b.log(t, "payments-gateway", "WARN", "payments.3ds: challenge timed out for payment %s after 300s" % b.hexid(16),
              pod=b.pick(gp))

    for t in b.every(60, jitter=2, phase=3):
        bursting = float(np.interp(t, ft, fx_err)) > 0.05
        if bursting:
            b.log(t, "fx-rates-service", "ERROR",
                  'level=error msg="refresh failed" source=ecb err="unexpected status 503 Service Unavailable" '
                  'stale_for=%ds' % r.integers(60, 600), pod=fp)
        else:
            b.log(t, "fx-rates-service", "INFO", 'level=info msg="rates refreshed" source=ecb pairs=31 age_ms=%d'
                  % r.integers(100, 900), pod=fp)
    b.log(epoch("2026-08-19T11:47:03Z"), "fx-rates-service", "ERROR",
          'level=error msg="panic recovered" route=/v1/rates/historical err="runtime error: slice bounds out of range '
          '[:-1]" stack="goroutine 4410 [running]:\\nmain.(*Server).historical(0xc0001a4000, {0x9c3f20, 0xc0003d41c0}, '
          '0xc000512000)\\n\\t/src/cmd/fx-rates/handlers.go:97 +0x4b2"', pod=fp, request_id=b.uuid())

    for t in b.every(3600, jitter=20, phase=300):
        tid = b.uuid()
        b.log(t, "reconciliation-worker", "INFO", "Task recon.tasks.match_settlements[%s] received" % tid,
              pod=rp[0], task_id=tid)
        d = r.uniform(30, 60)
        b.log(t + d, "reconciliation-worker", "INFO",
              "Task recon.tasks.match_settlements[%s] succeeded in %.2fs: {'matched': %d, 'unmatched': %d}"
              % (tid, d, r.integers(15000, 21000), r.integers(0, 9)), pod=rp[0], task_id=tid)
    ser_frames = [
        ("/usr/local/lib/python3.11/site-packages/celery/app/trace.py", 477, "trace_task",
         "R = retval = fun(*args, **kwargs)"),
        ("/app/recon/tasks.py", 133, "apply_adjustment", "cur.execute(UPDATE_BALANCE_SQL, params)"),
    ]
    for t in b.events(1 / 1400.0):
        tid = b.uuid()
        b.log(t, "reconciliation-worker", "ERROR",
              "Task recon.tasks.apply_adjustment[%s] raised: SerializationFailure, retrying in 10s\n" % tid +
              traceback(ser_frames, "psycopg2.errors.SerializationFailure: could not serialize access due to "
                        "concurrent update"), pod=b.pick(rp), task_id=tid)
    for t in b.every(300, jitter=2, phase=44):
        b.log(t, "ledger-db", "INFO", "LOG:  checkpoint starting: time", pod="ledger-db-0")
        w = int(r.integers(800, 5000))
        b.log(t + r.uniform(30, 200), "ledger-db", "INFO",
              "LOG:  checkpoint complete: wrote %d buffers (%.1f%%); 0 WAL file(s) added, 0 removed, 2 recycled; "
              "write=%.3f s, sync=0.006 s, total=%.3f s" % (w, w / 327.68, w / 25.0, w / 25.0 + 0.01), pod="ledger-db-0")
    for s in ["2026-08-19T11:14:22Z", "2026-08-19T15:32:08Z"]:
        b.log(epoch(s), "ledger-db", "INFO",
              'LOG:  automatic vacuum of table "ledger.public.entries": index scans: 1\n'
              "pages: 0 removed, 918233 remain, 41022 scanned (4.47% of total)\n"
              "tuples: 88120 removed, 61220931 remain, 0 are dead but not yet removable", pod="ledger-db-0")

    b.write({"incident": True,
             "findings": [{"service": "ledger-api", "category": "unknown", "action": "escalate", "keywords": []}],
             "forbidden_services": ["fx-rates-service", "reconciliation-worker"]})


if __name__ == "__main__":
    case_media()
    case_search()
    t = case_kafka()
    print("  kafka-broker-2 ENOSPC at", t)
    case_cache()
    case_ledger()
