#!/usr/bin/env python3
"""Deterministic generator for held-out incident bundles, set c.

Run:  /work/main/.venv/bin/python /work/holdout/c/gen.py
Writes five bundle directories next to this file (format: incident-bundle/v1).
"""
import difflib
import json
import math
import os
import sys
import shutil
from datetime import datetime, timedelta, timezone

import numpy as np

OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))  # evals.holdout: the output directory
MB = 1024 * 1024


def parse(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


class Bundle:
    def __init__(self, name, start, hours, description, seed):
        self.name = name
        self.start = parse(start)
        self.dur = hours * 3600.0
        self.description = description
        self.rng = np.random.default_rng(seed)
        self.meta = {}
        self.rows = []
        self.logs = []
        self.deploys = []
        self.diffs = {}
        self.expected = None
        self.trigger = None

    # ---- time helpers -------------------------------------------------
    def sec(self, hms):
        h, m, s = (int(x) for x in hms.split(":"))
        d = self.start.replace(hour=h, minute=m, second=s)
        return (d - self.start).total_seconds()

    def dt(self, s):
        return self.start + timedelta(seconds=float(s))

    def iso(self, s, ms=True):
        d = self.dt(s)
        if ms:
            return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")

    def grid(self, step, offset=None):
        if offset is None:
            offset = int(self.rng.integers(0, min(step, 15)))
        return np.arange(offset, self.dur, step, dtype=float)

    # ---- random helpers -----------------------------------------------
    def pick(self, seq, p=None):
        if p is not None:
            p = np.asarray(p, dtype=float)
            p = p / p.sum()
            return seq[int(self.rng.choice(len(seq), p=p))]
        return seq[int(self.rng.integers(len(seq)))]

    def hexid(self, n):
        return "".join("0123456789abcdef"[x] for x in self.rng.integers(0, 16, n))

    def uuid(self):
        h = self.hexid(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def ln(self, n, sigma):
        return self.rng.lognormal(0.0, sigma, n)

    # ---- metrics ------------------------------------------------------
    def metric(self, name, service, t, values, decimals=3, **meta):
        assert name not in self.meta, name
        values = np.asarray(values, dtype=float)
        assert len(values) == len(t), (name, len(values), len(t))
        assert np.all(np.isfinite(values)), name
        m = {"service": service}
        for k in ("unit", "description", "kind", "bad_when"):
            if meta.get(k) is not None:
                m[k] = meta[k]
        self.meta[name] = m
        for ti, v in zip(t, values):
            if decimals == 0:
                sv = str(int(round(v)))
            else:
                sv = f"{v:.{decimals}f}"
            self.rows.append((float(ti), name, sv))

    def counter(self, t, rate, start=0.0, resets=()):
        """Cumulative counter sampled at t; rate is per-second at each sample.
        resets: (time, keep_fraction) pairs; keep 0 is a full reset to zero."""
        t = np.asarray(t, dtype=float)
        step = t[1] - t[0]
        inc = self.rng.poisson(np.clip(rate, 0, None) * step).astype(float)
        out = np.empty(len(t))
        c = float(start)
        for i, ti in enumerate(t):
            add = inc[i]
            for r, keep in resets:
                if ti - step < r <= ti:
                    c = math.floor(c * keep)
                    add = round(inc[i] * (ti - r) / step)
            c += add
            out[i] = c
        return out

    # ---- logs -----------------------------------------------------------
    def log(self, s, service, level, message, **attrs):
        if s < 0 or s >= self.dur:
            return
        rec = {"timestamp": self.iso(s), "service": service, "level": level, "message": message}
        for k, v in attrs.items():
            assert k not in rec, k
            rec[k] = v
        self.logs.append((float(s), rec))

    def emit(self, service, rate, make, t0=0.0, t1=None, step=60.0):
        """rate: lines per minute (number or function of seconds)."""
        t1 = self.dur if t1 is None else t1
        for m in np.arange(t0, t1, step):
            lam = rate(m) if callable(rate) else rate
            n = self.rng.poisson(max(lam, 0.0) * step / 60.0)
            if n == 0:
                continue
            for s in np.sort(self.rng.uniform(m, min(m + step, t1), n)):
                r = make(s)
                if r is None:
                    continue
                level, msg, attrs = r
                self.log(s, service, level, msg, **attrs)

    # ---- deploys / diffs ------------------------------------------------
    def deploy(self, service, version, commit, at, author, description, diff=None):
        self.deploys.append({"service": service, "version": version, "commit": commit,
                             "deployed_at": self.iso(self.sec(at), ms=False), "author": author,
                             "description": description})
        if diff is not None:
            self.diffs[commit] = diff

    # ---- output ---------------------------------------------------------
    def write(self):
        d = os.path.join(OUT, self.name)
        if os.path.exists(d):
            shutil.rmtree(d)
        os.makedirs(d)
        manifest = {"format": "incident-bundle/v1", "name": self.name,
                    "description": self.description, "metrics": self.meta}
        if self.trigger:
            manifest["trigger"] = self.trigger
        with open(os.path.join(d, "bundle.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        rows = sorted(self.rows, key=lambda r: (r[0], r[1]))
        seen = set()
        with open(os.path.join(d, "metrics.csv"), "w") as f:
            f.write("timestamp,metric,value\n")
            for s, name, v in rows:
                ts = self.iso(s, ms=False)
                assert (name, ts) not in seen, (name, ts)
                seen.add((name, ts))
                f.write(f"{ts},{name},{v}\n")
        logs = sorted(self.logs, key=lambda x: x[0])
        with open(os.path.join(d, "logs.jsonl"), "w") as f:
            for _, rec in logs:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        with open(os.path.join(d, "deploys.json"), "w") as f:
            json.dump(sorted(self.deploys, key=lambda x: x["deployed_at"]), f, indent=2)
            f.write("\n")
        if self.diffs:
            os.makedirs(os.path.join(d, "diffs"))
            for commit, text in self.diffs.items():
                with open(os.path.join(d, "diffs", f"{commit}.diff"), "w") as f:
                    f.write(text)
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(self.expected, f, indent=2)
            f.write("\n")
        print(f"{self.name}: {len(self.meta)} metrics, {len(rows)} points, "
              f"{len(logs)} log lines, {len(self.deploys)} deploys")


# ---------------------------------------------------------------------------
# shared text helpers
# ---------------------------------------------------------------------------

def file_diff(path, before, after, idx):
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    body = "".join(difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}", n=3))
    return f"diff --git a/{path} b/{path}\nindex {idx} 100644\n{body}"


def patch_header(commit, author, email, date, subject, body=""):
    head = (f"From {commit}{'0' * (40 - len(commit))} Mon Sep 17 00:00:00 2001\n"
            f"From: {author} <{email}>\nDate: {date}\nSubject: [PATCH] {subject}\n\n")
    if body:
        head += body.rstrip("\n") + "\n"
    return head + "---\n"


def envoy_line(b, s, method, path, status, flags, rx, tx, dur, ust, xff, ua, authority, upstream):
    return (f'[{b.iso(s)}] "{method} {path} HTTP/1.1" {status} {flags} {rx} {tx} {dur} {ust} '
            f'"{xff}" "{ua}" "{b.uuid()}" "{authority}" "{upstream}"')


def nginx_time(b, s):
    return b.dt(s).strftime("%d/%b/%Y:%H:%M:%S +0000")


def nginx_line(b, s, ip, method, path, status, size, ua, rt, urt, upstream):
    return (f'{ip} - - [{nginx_time(b, s)}] "{method} {path} HTTP/1.1" {status} {size} "-" "{ua}" '
            f'rt={rt:.3f} uct="0.001" urt="{urt}" ups="{upstream}"')


BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0",
]


def client_ip(b):
    r = b.rng.integers(0, 4)
    if r == 0:
        return f"81.{b.rng.integers(2, 250)}.{b.rng.integers(0, 255)}.{b.rng.integers(1, 254)}"
    if r == 1:
        return f"92.{b.rng.integers(2, 250)}.{b.rng.integers(0, 255)}.{b.rng.integers(1, 254)}"
    if r == 2:
        return f"176.{b.rng.integers(2, 250)}.{b.rng.integers(0, 255)}.{b.rng.integers(1, 254)}"
    return f"2a02:{b.hexid(4)}:{b.hexid(4)}::{b.hexid(3)}"


def smooth(t, period, phase=0.0):
    return np.sin(2 * np.pi * (np.asarray(t) / period + phase))


# ===========================================================================
# Case 1: partner-gateway rate-limit config change
# ===========================================================================

RATE_LIMITS_BEFORE = """\
# Per-tier request quotas enforced by partner-gateway.
# Sliding window per API key; values are requests per minute unless noted.
# Owner: #team-partner-platform. Changes need a partner-success sign-off.
defaults:
  window: 60s
  algorithm: sliding_window
  redis_key_prefix: "rl:partner:"
  retry_after_seconds: 30
  fail_open_on_redis_error: true

tiers:
  sandbox:
    requests_per_minute: 60
    burst: 10
  standard:
    requests_per_minute: 6000
    burst: 500
  enterprise:
    requests_per_minute: 20000
    burst: 2000

overrides:
  # negotiated limits, see contracts folder
  - partner: umbrella-mart
    tier: enterprise
  - partner: stark-parts
    tier: enterprise
  - partner: hooli-dev
    tier: sandbox

routes:
  /partner/v2/inventory/batch:
    cost: 1
  /partner/v2/prices:
    cost: 1
  /partner/v2/orders:
    cost: 1
  /partner/v2/catalog/export:
    cost: 5
"""

RATE_LIMITS_AFTER = """\
# Per-tier request quotas enforced by partner-gateway.
# Sliding window per API key; values are requests per minute unless noted.
# Owner: #team-partner-platform. Changes need a partner-success sign-off.
defaults:
  window: 60s
  algorithm: sliding_window
  redis_key_prefix: "rl:partner:"
  retry_after_seconds: 30
  fail_open_on_redis_error: true

tiers:
  sandbox:
    requests_per_minute: 60
    burst: 10
  standard:
    requests_per_minute: 600
    burst: 50
  enterprise:
    requests_per_minute: 20000
    burst: 2000
  enterprise_plus:
    requests_per_minute: 40000
    burst: 4000

overrides:
  # negotiated limits, see contracts folder
  - partner: umbrella-mart
    tier: enterprise
  - partner: stark-parts
    tier: enterprise
  - partner: hooli-dev
    tier: sandbox

routes:
  /partner/v2/inventory/batch:
    cost: 1
  /partner/v2/prices:
    cost: 1
  /partner/v2/orders:
    cost: 1
  /partner/v2/catalog/export:
    cost: 5
"""

PG_CHANGELOG_BEFORE = """\
# Changelog

## 1.18.2
- Log partner id on webhook signature failures.

## 1.18.1
- Bump undici to 6.6.2.
"""

PG_CHANGELOG_AFTER = """\
# Changelog

## 1.18.3
- rate-limits: add enterprise_plus tier for the 2026 contract renewals.
- rate-limits: align standard tier values with the published partner docs.

## 1.18.2
- Log partner id on webhook signature failures.

## 1.18.1
- Bump undici to 6.6.2.
"""

CATALOG_ROUTE_BEFORE = """\
'use strict';

const express = require('express');
const { getProduct, listProducts } = require('../services/products');
const { cacheControl } = require('../middleware/cache');

const router = express.Router();

router.get('/products', cacheControl(60), async (req, res, next) => {
  try {
    const page = Number(req.query.page || 1);
    const items = await listProducts({ page, category: req.query.category });
    res.json({ page, items });
  } catch (err) {
    next(err);
  }
});

router.get('/products/:sku', cacheControl(300), async (req, res, next) => {
  try {
    const product = await getProduct(req.params.sku);
    if (!product) return res.status(404).json({ error: 'not_found' });
    res.json(product);
  } catch (err) {
    next(err);
  }
});

module.exports = router;
"""

CATALOG_ROUTE_AFTER = """\
'use strict';

const express = require('express');
const { getProduct, listProducts } = require('../services/products');
const { cacheControl } = require('../middleware/cache');

const router = express.Router();

const MAX_PAGE_SIZE = 100;

router.get('/products', cacheControl(60), async (req, res, next) => {
  try {
    const page = Number(req.query.page || 1);
    const pageSize = Math.min(Number(req.query.pageSize || 24), MAX_PAGE_SIZE);
    const items = await listProducts({ page, pageSize, category: req.query.category });
    res.json({ page, pageSize, items });
  } catch (err) {
    next(err);
  }
});

router.get('/products/:sku', cacheControl(300), async (req, res, next) => {
  try {
    const product = await getProduct(req.params.sku);
    if (!product) return res.status(404).json({ error: 'not_found' });
    res.json(product);
  } catch (err) {
    next(err);
  }
});

module.exports = router;
"""

AUTH_PKG_BEFORE = """\
{
  "name": "auth-service",
  "version": "3.4.1",
  "private": true,
  "main": "src/server.js",
  "scripts": {
    "start": "node src/server.js",
    "test": "vitest run"
  },
  "dependencies": {
    "fastify": "4.26.0",
    "jose": "5.2.0",
    "ioredis": "5.3.2",
    "pino": "8.17.2"
  }
}
"""

AUTH_PKG_AFTER = AUTH_PKG_BEFORE.replace('"version": "3.4.1"', '"version": "3.4.2"').replace(
    '"jose": "5.2.0"', '"jose": "5.2.2"').replace('"fastify": "4.26.0"', '"fastify": "4.26.1"')


def case1():
    b = Bundle("c-edge-20260211", "2026-02-11T06:00:00Z", 4.5,
               "Partner API edge, partner-gateway and neighbouring services, "
               "2026-02-11 06:00-10:30 UTC.", seed=20260211)
    rng = b.rng
    M = int(b.dur // 60)
    dep = b.sec("08:49:20")
    new_from = 170  # first full minute (08:50) served by pods with the new config

    # name, tier, steady rpm, sync minutes past the hour, sync client rpm, sync length (min)
    partners = [
        ("acme-logistics", "standard", 120, [0], 1800, 9),
        ("northwind-retail", "standard", 170, [0, 30], 1400, 7),
        ("globex-supply", "standard", 90, [15], 2200, 6),
        ("initech-wholesale", "standard", None, [], 0, 0),
        ("soylent-foods", "standard", 60, [45], 1100, 5),
        ("umbrella-mart", "enterprise", 900, [45], 5200, 10),
        ("stark-parts", "enterprise", 450, [20, 50], 3000, 6),
        ("hooli-dev", "sandbox", 35, [], 0, 0),
    ]
    tiers = {p[0]: p[1] for p in partners}
    old = {"sandbox": 60, "standard": 6000, "enterprise": 20000}
    new = {"sandbox": 60, "standard": 600, "enterprise": 20000}
    names = [p[0] for p in partners]
    demand = {n: np.zeros(M) for n in names}
    acc = {n: np.zeros(M) for n in names}
    thr = {n: np.zeros(M) for n in names}
    sync_acc = np.zeros(M)
    sessions = []
    events = []  # (second, partner, kind, info)
    for m in range(M):
        mh = m % 60
        for name, tier, steady, syncs, srate, slen in partners:
            if mh in syncs:
                total = int(srate * slen * rng.uniform(0.85, 1.15))
                sessions.append({"p": name, "start": m, "rate": srate * rng.uniform(0.9, 1.1),
                                 "total": total, "backlog": float(total), "id": b.hexid(12)})
                events.append((m * 60 + rng.uniform(2, 20), name, "open", sessions[-1]))
        for name, tier, steady, syncs, srate, slen in partners:
            if name == "initech-wholesale":
                st = 420 + 330 * np.clip((m - 60) / 150, 0, 1)
            elif name == "hooli-dev":
                st = steady + (rng.uniform(70, 170) if rng.random() < 0.07 else 0)
            else:
                st = steady
            st *= rng.lognormal(0, 0.08)
            act = [s for s in sessions if s["p"] == name and s["backlog"] > 0]
            sends = []
            for s in act:
                ramp = 0.6 if m == s["start"] else 1.0
                sends.append(min(s["rate"] * ramp * rng.lognormal(0, 0.06), s["backlog"]))
            D = st + sum(sends)
            lim = (new if m >= new_from else old)[tier] * rng.uniform(1.0, 1.06)
            A = min(D, lim)
            demand[name][m] = D
            acc[name][m] = A
            thr[name][m] = D - A
            frac = A / D if D > 0 else 1.0
            for s, snd in zip(act, sends):
                s["backlog"] -= snd * frac
                sync_acc[m] += snd * frac
                if s["backlog"] <= 1:
                    s["backlog"] = 0
                    events.append((m * 60 + rng.uniform(20, 59), name, "done", s))
                elif m - s["start"] >= 24:
                    events.append((m * 60 + rng.uniform(20, 59), name, "expired", s))
                    s["backlog"] = -1
    tot = sum(demand.values())
    t429 = sum(thr.values())
    e5xx = rng.poisson(0.5, M).astype(float)
    other4xx = rng.poisson(tot * 0.004)
    catalog_rpm = 2400 * (0.8 + 0.35 * np.clip(np.arange(M) / M, 0, 1)) * b.ln(M, 0.05)
    auth_rpm = 260 * b.ln(M, 0.08)

    # ---- metrics -------------------------------------------------------
    tm = np.arange(1, M + 1) * 60.0  # statsd flush at end of each minute
    tm[-1] -= 1
    b.metric("partner.api.requests.total", "partner-gateway", tm, np.round(tot), 0,
             description="requests received per 60 s flush (statsd counter)")
    b.metric("partner.api.requests.429", "partner-gateway", tm, np.round(t429), 0,
             description="responses with status 429 per 60 s flush")
    ratio = (tot - t429 - e5xx - other4xx * 0.3) / tot
    b.metric("partnerApiSuccessRatio", "partner-gateway", tm, np.clip(ratio, 0, 1), 4,
             unit="ratio", bad_when="falls", description="share of partner API requests answered 2xx")

    t15 = b.grid(15, 7)
    mi = np.minimum((t15 // 60).astype(int), M - 1)
    b.metric("partner_gateway_http_requests_total", "partner-gateway", t15,
             b.counter(t15, tot[mi] / 60, start=1_284_377,
                       resets=[(dep + 6, 0.67), (dep + 31, 0.52), (dep + 57, 0.0)]), 0,
             kind="counter", description="sum over pods")
    accepted = sum(acc.values())
    load = accepted[mi] / 3000.0
    p99 = (0.105 + 0.045 * load) * b.ln(len(t15), 0.09)
    p99[(t15 > dep) & (t15 < dep + 75)] *= 1.6
    b.metric("partner_gateway_http_request_duration_p99_seconds", "partner-gateway", t15, p99, 4,
             unit="s")
    lag = (0.0065 + 0.003 * load) * b.ln(len(t15), 0.15)
    lag[(t15 > dep) & (t15 < dep + 75)] += 0.04
    b.metric("nodejs_eventloop_lag_p99_seconds", "partner-gateway", t15, lag, 5, unit="s")

    t15e = b.grid(15, 3)
    me = np.minimum((t15e // 60).astype(int), M - 1)
    b.metric("envoy_cluster_upstream_rq_4xx_total", "edge-envoy", t15e,
             b.counter(t15e, (t429[me] + other4xx[me] + catalog_rpm[me] * 0.012) / 60, start=8_113_902),
             0, kind="counter", description="edge Envoy upstream 4xx responses, all clusters")
    b.metric("envoy_http_downstream_rq_total", "edge-envoy", t15e,
             b.counter(t15e, (tot[me] + catalog_rpm[me] + auth_rpm[me]) / 60, start=402_551_870), 0,
             description="edge Envoy downstream requests")
    cat_dep = b.sec("07:18:40")
    e5 = (e5xx[me] + 0.3) / 60
    e5 = e5 + np.where((t15e > cat_dep) & (t15e < cat_dep + 90), 0.25, 0)
    b.metric("envoy_cluster_upstream_rq_5xx_total", "edge-envoy", t15e,
             b.counter(t15e, e5, start=55_210), 0, kind="counter",
             description="edge Envoy upstream 5xx responses, all clusters")
    rc = 48 + rng.integers(-2, 3, len(t15)).astype(float)
    rc[(t15 > dep) & (t15 < dep + 70)] -= 16
    b.metric("redis_connected_clients", "redis-ratelimit", t15, rc, 0)

    t15c = b.grid(15, 11)
    cp95 = 0.084 * b.ln(len(t15c), 0.07) + np.where(t15c > cat_dep, 0.005, 0)
    cp95 += np.where((t15c > cat_dep) & (t15c < cat_dep + 120), 0.12, 0)
    b.metric("catalog_api_http_request_duration_p95_seconds", "catalog-api", t15c, cp95, 4, unit="s")
    chr_ = 0.94 - 0.24 * np.exp(-np.clip(tm - cat_dep, 0, None) / 180) * (tm > cat_dep)
    chr_ = chr_ + rng.normal(0, 0.006, M)
    b.metric("catalogApi.cacheHitRatio", "catalog-api", tm, np.clip(chr_, 0, 1), 4, unit="ratio")

    q = np.zeros(M)
    depth = 300.0
    for m in range(M):
        depth = max(60.0, depth + sync_acc[m] * 1.0 + 120 - 9000 * rng.uniform(0.9, 1.1))
        q[m] = depth + rng.normal(0, 25)
    tq = np.arange(M) * 60.0 + 30
    b.metric("inventory_sync_queue_depth", "inventory-sync", tq, np.clip(q, 0, None), 0)
    b.metric("go_goroutines", "inventory-sync", t15, 138 + sync_acc[mi] * 0.012 + rng.normal(0, 4, len(t15)), 0)
    adep = b.sec("09:37:05")
    ta = np.arange(M) * 60.0 + 45
    b.metric("auth.token.issue.p95_ms", "auth-service", ta,
             (22 + np.where(ta > adep, 1.5, 0)) * b.ln(M, 0.1), 2, unit="ms")

    # ---- deploys -------------------------------------------------------
    b.deploy("catalog-api", "v4.12.0", "3f9c2e1", "07:18:40", "ci-bot", "catalog-api v4.12.0",
             patch_header("3f9c2e1", "Priya Raman", "priya.raman@shopwell.example",
                          "Tue, 10 Feb 2026 16:02:11 +0000", "products: support pageSize query parameter")
             + file_diff("src/routes/products.js", CATALOG_ROUTE_BEFORE, CATALOG_ROUTE_AFTER, "8a1d2c4..b7e0f93"))
    b.deploy("partner-gateway", "v1.18.3", "9be41d7", "08:49:20", "ci-bot", "partner-gateway v1.18.3",
             patch_header("9be41d7", "Tomasz Wilk", "tomasz.wilk@shopwell.example",
                          "Tue, 10 Feb 2026 17:41:52 +0000", "rate-limits: add enterprise_plus tier",
                          "Prepares the tier table for the 2026 contract renewals.")
             + file_diff("config/rate-limits.yaml", RATE_LIMITS_BEFORE, RATE_LIMITS_AFTER, "4b1e0c2..a93f7d1")
             + file_diff("CHANGELOG.md", PG_CHANGELOG_BEFORE, PG_CHANGELOG_AFTER, "77c01aa..e40b9d2"))
    b.deploy("auth-service", "v3.4.2", "c0d11aa", "09:37:05", "ci-bot", "auth-service v3.4.2",
             patch_header("c0d11aa", "renovate[bot]", "bot@renovateapp.example",
                          "Wed, 11 Feb 2026 08:55:03 +0000", "chore(deps): update fastify and jose")
             + file_diff("package.json", AUTH_PKG_BEFORE, AUTH_PKG_AFTER, "1c9e3b0..f02a6d8"))

    # ---- logs ----------------------------------------------------------
    pg_pods_old = ["partner-gateway-6d8f7b9c4-2xk4q", "partner-gateway-6d8f7b9c4-9mf7t",
                   "partner-gateway-6d8f7b9c4-tq2ld"]
    pg_pods_new = ["partner-gateway-75c4d9f8b-hv6sn", "partner-gateway-75c4d9f8b-4wpzr",
                   "partner-gateway-75c4d9f8b-x8d2k"]

    def pod_at(s, i=None):
        pods = pg_pods_new if s > dep + 40 else pg_pods_old
        return pods[int(rng.integers(3)) if i is None else i]

    ips = {n: f"198.51.100.{10 + 7 * i}" for i, n in enumerate(names)}
    uas = {"acme-logistics": "acme-sync/3.2.1", "northwind-retail": "NorthwindConnector/2.0 python-requests/2.31.0",
           "globex-supply": "globex-erp-bridge/7.4 (Java/17)", "initech-wholesale": "initech-b2b/1.9.0 Go-http-client/2.0",
           "soylent-foods": "soylent-integrations/0.8.2 node-fetch", "umbrella-mart": "umbrella-partner-sdk/4.1.0",
           "stark-parts": "stark-sync/2.2 okhttp/4.12.0", "hooli-dev": "curl/8.5.0"}

    w_names = names

    def edge_make(s):
        m = min(int(s // 60), M - 1)
        r = rng.random() * (tot[m] + catalog_rpm[m] + auth_rpm[m])
        if r < tot[m]:
            wts = np.array([demand[n][m] for n in w_names])
            p = b.pick(w_names, wts)
            pr = thr[p][m] / max(demand[p][m], 1)
            insync = any(ss["p"] == p and ss["start"] <= m and ss["backlog"] != 0 for ss in sessions[-40:])
            path = ("/partner/v2/inventory/batch" if insync and rng.random() < 0.85 else
                    b.pick(["/partner/v2/orders?since=" + b.iso(s - 900, ms=False),
                            "/partner/v2/prices", "/partner/v2/inventory/batch"]))
            method = "GET" if path.startswith("/partner/v2/orders") else ("PUT" if path.endswith("prices") else "POST")
            u = rng.random()
            if u < pr:
                return "INFO", envoy_line(b, s, method, path, 429, "-", int(rng.integers(900, 48000)), 87,
                                          int(rng.integers(2, 6)), 2, ips[p], uas[p],
                                          "partners.api.shopwell.example", "10.42.7.%d:8080" % rng.integers(10, 40)), \
                    {"source": "envoy-access", "cluster": "partner_gateway", "status": 429}
            st = 200 if rng.random() > 0.004 else b.pick([400, 401, 404])
            dur = int(40 + rng.gamma(2, 25))
            return "INFO", envoy_line(b, s, method, path, st, "-", int(rng.integers(900, 48000)), int(rng.integers(60, 900)),
                                      dur, dur - 2, ips[p], uas[p], "partners.api.shopwell.example",
                                      "10.42.7.%d:8080" % rng.integers(10, 40)), \
                {"source": "envoy-access", "cluster": "partner_gateway", "status": st}
        if r < tot[m] + catalog_rpm[m]:
            sku = "SKU-%06d" % rng.integers(100000, 999999)
            path = b.pick([f"/api/catalog/products/{sku}", "/api/catalog/products?page=%d" % rng.integers(1, 30),
                           "/api/catalog/categories"])
            st = 200 if rng.random() > 0.01 else 404
            if rng.random() < 0.0006:
                st = 503
            dur = int(20 + rng.gamma(2, 20))
            return ("WARN" if st >= 500 else "INFO"), envoy_line(
                b, s, "GET", path, st, "UF" if st == 503 else "-", 0, int(rng.integers(400, 9000)), dur, dur - 1,
                client_ip(b), b.pick(BROWSER_UAS), "www.shopwell.example", "10.42.3.%d:3000" % rng.integers(10, 60)), \
                {"source": "envoy-access", "cluster": "catalog_api", "status": st}
        st = 200 if rng.random() > 0.03 else 401
        dur = int(12 + rng.gamma(2, 6))
        return "INFO", envoy_line(b, s, "POST", "/oauth/token", st, "-", 312, 1180, dur, dur - 1, client_ip(b),
                                  b.pick(BROWSER_UAS), "auth.shopwell.example", "10.42.5.%d:8080" % rng.integers(10, 30)), \
            {"source": "envoy-access", "cluster": "auth_service", "status": st}

    b.emit("edge-envoy", lambda s: (tot[min(int(s // 60), M - 1)] + catalog_rpm[min(int(s // 60), M - 1)]) / 230,
           edge_make)

    # partner-gateway request logs (pino, sampled)
    def pg_req(s):
        m = min(int(s // 60), M - 1)
        p = b.pick(w_names, np.array([acc[n][m] for n in w_names]) + 1)
        rt = float(np.round(30 + rng.gamma(2, 22), 1))
        route = b.pick(["/partner/v2/inventory/batch", "/partner/v2/orders", "/partner/v2/prices"], [6, 2, 1])
        return "INFO", "request completed", {"pid": 1, "hostname": pod_at(s), "reqId": "req-" + b.hexid(8),
                                            "partner": p, "route": route, "statusCode": 200, "responseTime": rt,
                                            "msg": "request completed"}

    b.emit("partner-gateway", 9, pg_req)

    # throttling summaries: once per minute per partner that got 429s
    for n in names:
        for m in range(M):
            k = int(round(thr[n][m]))
            if k <= 0:
                continue
            lim = (new if m >= new_from else old)[tiers[n]]
            s = m * 60 + 59.5 + rng.uniform(0, 0.4)
            b.log(s, "partner-gateway", "WARN",
                  f"rate limit exceeded for partner {n} (tier={tiers[n]}): {k} requests rejected with 429 "
                  f"in the last 60s, limit {lim}/min",
                  pid=1, hostname=pod_at(s), partner=n, tier=tiers[n], limit_rpm=lim, rejected=k,
                  statusCode=429, retryAfter=30, msg="rate limit exceeded")
    for s, n, kind, ses in events:
        if kind == "open":
            b.log(s, "partner-gateway", "INFO", f"sync session opened for partner {n}", pid=1,
                  hostname=pod_at(s), partner=n, sessionId=ses["id"], declaredBatches=ses["total"],
                  msg="sync session opened")
        elif kind == "done":
            mins = int(s // 60) - ses["start"] + 1
            b.log(s, "partner-gateway", "INFO", f"sync session completed for partner {n}", pid=1,
                  hostname=pod_at(s), partner=n, sessionId=ses["id"], batches=ses["total"],
                  durationMin=mins, msg="sync session completed")
        else:
            done = ses["total"] - max(ses["backlog"], 0)
            b.log(s, "partner-gateway", "WARN",
                  f"sync session for partner {n} expired after 25m with batches outstanding", pid=1,
                  hostname=pod_at(s), partner=n, sessionId=ses["id"], declaredBatches=ses["total"],
                  msg="sync session expired")
    # deploy lifecycle
    for i in range(3):
        s = dep + 4 + 25 * i
        b.log(s, "partner-gateway", "INFO", "received SIGTERM, draining connections", pid=1,
              hostname=pg_pods_old[i], msg="received SIGTERM, draining connections")
        b.log(s + 2.1, "partner-gateway", "INFO", "server closed", pid=1, hostname=pg_pods_old[i],
              msg="server closed")
        b.log(s + 6.3, "partner-gateway", "INFO",
              "loaded rate limit policy /etc/partner-gateway/rate-limits.yaml (4 tiers, 3 overrides, 4 routes)",
              pid=1, hostname=pg_pods_new[i], msg="loaded rate limit policy")
        b.log(s + 6.9, "partner-gateway", "INFO", "partner-gateway 1.18.3 listening on 0.0.0.0:8080",
              pid=1, hostname=pg_pods_new[i], version="1.18.3", node="v20.11.1", msg="listening")
    # unrelated partner-gateway errors
    for hms in ["06:41:12", "07:55:40", "09:12:03", "10:02:47"]:
        s = b.sec(hms) + rng.uniform(0, 1)
        b.log(s, "partner-gateway", "ERROR",
              "webhook signature verification failed for partner stark-parts: no key with kid=2025-11 in JWKS",
              pid=1, hostname=pod_at(s), partner="stark-parts", statusCode=401,
              msg="webhook signature verification failed")

    # catalog-api
    def cat_make(s):
        u = rng.random()
        if u < 0.03:
            return "ERROR", ("Error: read ECONNRESET\n    at TLSWrap.onStreamRead (node:internal/stream_base_commons:217:20)"
                             "\n    at fetchImageMeta (/app/src/services/images.js:58:11)"), \
                {"pid": 1, "hostname": "catalog-api-5b7c8d6f9-" + b.hexid(5), "msg": "image metadata fetch failed",
                 "origin": "img-origin.internal"}
        sku = "SKU-%06d" % rng.integers(100000, 999999)
        return "INFO", f"GET /products/{sku} 200", {"pid": 1, "hostname": "catalog-api-5b7c8d6f9-" + b.hexid(5),
                                                   "responseTime": round(float(8 + rng.gamma(2, 9)), 1),
                                                   "msg": "request completed"}

    b.emit("catalog-api", 5.5, cat_make)
    for i in range(4):
        s = cat_dep + 3 + 14 * i
        b.log(s, "catalog-api", "INFO", "catalog-api 4.12.0 listening on :3000", pid=1,
              hostname="catalog-api-7f6c9b5d8-" + b.hexid(5), version="4.12.0", msg="listening")
    b.log(cat_dep + 31, "catalog-api", "WARN", "product cache cold, warming 5000 hottest SKUs", pid=1,
          hostname="catalog-api-7f6c9b5d8-" + b.hexid(5), msg="cache warmup")

    # inventory-sync (Go, zap-ish JSON)
    def inv_make(s):
        m = min(int(s // 60), M - 1)
        if rng.random() < 0.012:
            return "ERROR", "apply stock update: ERROR: deadlock detected (SQLSTATE 40P01); retrying transaction", \
                {"caller": "store/stock.go:212", "attempt": 1, "warehouse": b.pick(["DE-HAM-1", "DE-MUC-2", "PL-WAW-1"])}
        return "INFO", "applied stock updates", {"caller": "consumer/batch.go:88",
                                                  "updates": int(rng.integers(80, 400)),
                                                  "lag_ms": int(rng.integers(200, 4000))}

    b.emit("inventory-sync", lambda s: 2.0 + sync_acc[min(int(s // 60), M - 1)] / 260, inv_make)

    # auth-service
    def auth_make(s):
        if rng.random() < 0.02:
            return "WARN", f"JWKS refresh took {rng.integers(1200, 2600)}ms", {"pid": 1, "msg": "jwks refresh slow"}
        return "INFO", "token issued", {"pid": 1, "grant_type": b.pick(["client_credentials", "refresh_token", "password"]),
                                        "client_id": b.pick(["web", "ios", "android", "partner-portal"]),
                                        "responseTime": round(float(9 + rng.gamma(2, 4)), 1), "msg": "token issued"}

    b.emit("auth-service", 3, auth_make)
    for i in range(2):
        b.log(adep + 5 + 20 * i, "auth-service", "INFO", "auth-service 3.4.2 listening on :8080", pid=1,
              version="3.4.2", msg="listening")

    # redis
    for k in range(0, M, 15):
        s = k * 60 + 12.5
        b.log(s, "redis-ratelimit", "INFO", "Background saving started by pid %d" % (1000 + k), role="master")
        b.log(s + 0.8, "redis-ratelimit", "INFO", "DB saved on disk", role="master")

    b.expected = {"incident": True,
                  "findings": [{"service": "partner-gateway", "category": "config_change", "action": "rollback",
                                "keywords": ["limit"]}],
                  "forbidden_services": ["catalog-api", "auth-service"]}
    b.write()



# ===========================================================================
# Case 2: ws-notifier EventEmitter listener leak -> heap exhaustion, OOM abort
# ===========================================================================

PROFILE_BEFORE = """\
package com.shopwell.profile.api;

import com.shopwell.profile.model.Profile;
import com.shopwell.profile.service.ProfileService;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/v1/profiles")
public class ProfileController {

    private final ProfileService service;

    public ProfileController(ProfileService service) {
        this.service = service;
    }

    @GetMapping("/{id}")
    public ResponseEntity<ProfileDto> get(@PathVariable String id) {
        return service.find(id)
                .map(p -> ResponseEntity.ok(ProfileDto.from(p)))
                .orElse(ResponseEntity.notFound().build());
    }

    public record ProfileDto(String id, String displayName, String avatarUrl, String locale) {
        static ProfileDto from(Profile p) {
            return new ProfileDto(p.getId(), p.getDisplayName(), p.getAvatarUrl(), p.getLocale());
        }
    }
}
"""

PROFILE_AFTER = PROFILE_BEFORE.replace(
    "String avatarUrl, String locale) {", "String avatarUrl, String locale,\n                             String pronouns) {"
).replace("p.getAvatarUrl(), p.getLocale());", "p.getAvatarUrl(), p.getLocale(),\n                    p.getPronouns());")

SYNONYMS_BEFORE = """\
# search-service synonym groups (loaded at startup)
tee, t-shirt, tshirt
hoodie, hooded sweatshirt
sneakers, trainers
trousers, pants
"""

SYNONYMS_AFTER = SYNONYMS_BEFORE + """\
jumper, sweater, pullover
gilet, vest
"""


def case2():
    b = Bundle("c-realtime-20260304", "2026-03-04T12:30:00Z", 5.0,
               "Realtime notification path (edge NGINX, ws-notifier, notifications-api, redis pub/sub) "
               "and neighbours, 2026-03-04 12:30-17:30 UTC.", seed=20260304)
    rng = b.rng
    p1 = b.sec("11:58:10")
    t_oom = b.sec("14:43:52")
    t_up = t_oom + 38
    L = 2048.0
    pod = "ws-notifier-5c9f7d8b6-q7w2m"
    pod_ip = "10.42.3.18"

    tt = np.arange(p1, b.dur + 2, 1.0)
    churn = 1 + 0.18 * np.sin(2 * np.pi * tt / 6100 + 0.3) + 0.05 * np.sin(2 * np.pi * tt / 1300)
    c1 = np.cumsum(churn)
    i_oom = int(t_oom - p1)
    i_up = int(t_up - p1)
    k1 = (2012 - 142) / c1[i_oom]
    floor = 142 + k1 * c1
    floor[i_up:] = 128 + k1 * 0.72 * np.cumsum(churn[i_up:])
    floor[i_oom:i_up] = 0.0

    def heap_mb(t):
        t = np.asarray(t, dtype=float)
        f = np.interp(t, tt, floor)
        fr = np.clip(f / L, 0, 1)
        shrink = 1 - fr ** 6
        base = np.where(t >= t_up, t_up, p1)
        tr = (62 * ((t - base) % 560) / 560 + 24 * ((t - base) % 47) / 47) * shrink
        return np.minimum(f + tr, 2045.0)

    def lag_det(t):
        h = heap_mb(t)
        return 0.011 + 3.2 * np.clip((h / L - 0.55) / 0.45, 0, 1) ** 4

    def dead(t):
        t = np.asarray(t)
        return (t >= t_oom) & (t < t_up + 8)

    def conns(t):
        t = np.asarray(t, dtype=float)
        base = 21500 * (1 - 0.10 * t / b.dur) * (1 + 0.02 * np.sin(2 * np.pi * t / 2900))
        hb = 1 - 0.27 * np.clip((lag_det(t) - 0.8) / 2.4, 0, 1)
        after = base * (1 - np.exp(-np.clip(t - t_up, 0, None) / 85))
        return np.where(t >= t_up, after, np.where(t >= t_oom, 0, base * hb))

    # ---- ws-notifier metrics -------------------------------------------
    t15 = b.grid(15, 4)
    al = ~dead(t15)
    ta = t15[al]
    h = heap_mb(ta) * (1 + rng.normal(0, 0.004, len(ta)))
    b.metric("nodejs_heap_size_used_bytes", "ws-notifier", ta, h * MB, 0, unit="bytes",
             description="V8 heap used, ws-notifier")
    ht = np.minimum(np.ceil((h * 1.07 + 34)), 2090)
    b.metric("nodejs_heap_size_total_bytes", "ws-notifier", ta, ht * MB, 0, unit="bytes")
    lag = lag_det(ta) * b.ln(len(ta), 0.18)
    lag[(ta >= t_up) & (ta < t_up + 40)] += 0.07
    b.metric("nodejs_eventloop_lag_p99_seconds", "ws-notifier", ta, lag, 5, unit="s")
    rss = ht + 150 + conns(ta) * 0.0042 + rng.normal(0, 3, len(ta))
    b.metric("process_resident_memory_bytes", "ws-notifier", ta, rss * MB, 0, unit="bytes")
    rate = 380 * conns(t15) / 21500 / (1 + lag_det(t15) * 0.8)
    rate[dead(t15)] = 0
    msgs = b.counter(t15, rate, start=712_408, resets=[(t_up, 0.0)])
    b.metric("ws_notifier_messages_delivered_total", "ws-notifier", ta, msgs[al], 0, kind="counter")

    t60 = b.grid(60, 21)
    a60 = ~dead(t60)
    tc = t60[a60]
    b.metric("ws.connections.active", "ws-notifier", tc, conns(tc) * (1 + rng.normal(0, 0.006, len(tc))), 0,
             description="open websocket connections (statsd gauge)")
    b.metric("wsNotifier.deliveryLatencyP99Ms", "ws-notifier", tc,
             (42 + 1100 * lag_det(tc)) * b.ln(len(tc), 0.1), 1, unit="ms")
    t60k = b.grid(60, 33)
    b.metric("kube_pod_container_status_restarts_total", "ws-notifier", t60k,
             np.where(t60k >= t_oom + 40, 4, 3), 0, kind="counter",
             description=f"kube-state-metrics, container=ws-notifier pod={pod}")

    # ---- edge-nginx ------------------------------------------------------
    sec = np.arange(0, b.dur, 1.0)
    http = (1500 / 60) * (1 + 0.08 * np.sin(2 * np.pi * sec / 14000))
    dconn = np.clip(-np.diff(conns(np.append(sec, b.dur))), 0, None)
    dconn[dead(sec)] = 0
    ws_up = 260 / 60 + dconn * 0.9
    storm = np.where(sec >= t_up, 21500 / 85 * np.exp(-(sec - t_up) / 85), 0)
    gap = np.where(dead(sec), 54000 / 46 * np.exp(-(sec - t_oom) / 25) * 1.6, 0)
    ws_up = ws_up + storm + gap
    r502 = gap + 0.3 / 60
    t15n = b.grid(15, 9)
    rate_n = np.interp(t15n, sec, np.convolve(http + ws_up, np.ones(15) / 15, mode="same"))
    b.metric("nginx_http_requests_total", "edge-nginx", t15n, b.counter(t15n, rate_n, start=91_552_004), 0,
             description="edge NGINX requests (all vhosts)")
    tm = np.arange(60, b.dur + 1, 60.0)
    tm[-1] -= 1
    per_min = np.add.reduceat(r502, np.arange(0, len(sec), 60))
    b.metric("nginx.upstream.502", "edge-nginx", tm, rng.poisson(per_min[:len(tm)]), 0,
             description="502 responses per 60 s flush")

    # ---- redis-pubsub, notifications-api -----------------------------------
    rc = 64 + rng.integers(-1, 2, len(t15)).astype(float)
    rc[dead(t15)] = 56
    b.metric("redis_connected_clients", "redis-pubsub", t15, rc, 0)
    ch = 40 + 1140 * np.minimum(conns(t60) / 20000, 1) ** 0.3 + rng.normal(0, 12, len(t60))
    b.metric("redis_pubsub_channels", "redis-pubsub", t60, np.clip(ch, 30, None), 0)
    t60b = b.grid(60, 48)
    b.metric("notifications_api_publish_latency_p95_ms", "notifications-api", t60b,
             6.5 * b.ln(len(t60b), 0.12), 2, unit="ms")

    # ---- user-profile (JVM) ------------------------------------------------
    up_dep = b.sec("13:52:30")
    t15u = b.grid(15, 12)
    mem = np.empty(len(t15u))
    gcp = np.empty(len(t15u))
    cur = 700.0
    for i, ti in enumerate(t15u):
        pause = 0.012 * rng.lognormal(0, 0.3)
        if up_dep <= ti < up_dep + 15:
            cur = 310.0
            pause = 0.21
        cur += rng.uniform(60, 140)
        if cur > 1350:
            cur = rng.uniform(540, 600)
            pause = rng.uniform(0.03, 0.07)
        mem[i] = cur
        gcp[i] = pause
    b.metric("jvm_memory_used_bytes", "user-profile", t15u, mem * MB, 0, unit="bytes", description="area=heap")
    b.metric("jvm_gc_pause_seconds_max", "user-profile", t15u, gcp, 4, unit="s")

    # ---- search-service -------------------------------------------------
    s_blip = b.sec("16:20:10")
    t15s = b.grid(15, 2)
    sp = 0.12 * b.ln(len(t15s), 0.08) * np.where((t15s > s_blip) & (t15s < s_blip + 170), 1.55, 1.0)
    b.metric("search_request_duration_p95_seconds", "search-service", t15s, sp, 4, unit="s")

    # ---- deploys --------------------------------------------------------
    b.deploy("user-profile", "v5.8.1", "e2a7c90", "13:52:30", "ci-bot", "user-profile v5.8.1",
             patch_header("e2a7c90", "Jonas Becker", "jonas.becker@shopwell.example",
                          "Wed, 4 Mar 2026 10:14:40 +0000", "profile: expose pronouns in ProfileDto")
             + file_diff("src/main/java/com/shopwell/profile/api/ProfileController.java", PROFILE_BEFORE,
                         PROFILE_AFTER, "5e0b1d2..c81f4a7"))
    b.deploy("search-service", "v2.40.0", "71f0b3e", "16:05:12", "ci-bot", "search-service v2.40.0",
             patch_header("71f0b3e", "Ana Sousa", "ana.sousa@shopwell.example",
                          "Wed, 4 Mar 2026 14:30:02 +0000", "synonyms: add knitwear and outerwear groups")
             + file_diff("config/synonyms.txt", SYNONYMS_BEFORE, SYNONYMS_AFTER, "0a9c3e1..6d2b7f0"))

    # ---- logs: ws-notifier -------------------------------------------------
    tenants = ["t-%s" % x for x in
               ["acme", "bluebird", "cobalt", "dunmore", "elmstreet", "fjord", "granite", "harbor", "ivory",
                "juniper", "kestrel", "lumen", "meridian", "nimbus", "orchard", "pinnacle", "quarry", "redwood",
                "saffron", "tundra", "umber", "vantage", "willow", "xenon", "yarrow", "zephyr"]] + \
              ["t-%05d" % x for x in rng.integers(10000, 99999, 38)]
    versions = ["web/2026.2.3", "web/2026.2.4", "ios/8.14.0", "ios/8.15.1", "android/8.15.0"]

    def ws_make(s):
        if dead(s):
            return None
        if rng.random() < 0.5:
            return "INFO", "ws connection opened", {"pid": 1, "hostname": pod, "tenant": b.pick(tenants),
                                                    "client": b.pick(versions), "connId": b.hexid(10),
                                                    "msg": "ws connection opened"}
        code = b.pick([1000, 1001, 1006], [5, 4, 1])
        return "INFO", "ws connection closed", {"pid": 1, "hostname": pod, "tenant": b.pick(tenants),
                                                "code": code, "connId": b.hexid(10),
                                                "durationS": int(rng.gamma(2, 600)), "msg": "ws connection closed"}

    def ws_rate(s):
        st = 21500 / 85 * math.exp(-(s - t_up) / 85) * 60 if s >= t_up else 0
        return 7 + min(st / 100, 400)

    b.emit("ws-notifier", ws_rate, ws_make, step=15)
    b.emit("ws-notifier", 0.12, lambda s: None if dead(s) else (
        "ERROR", "failed to deliver notification: write EPIPE",
        {"pid": 1, "hostname": pod, "tenant": b.pick(tenants), "code": "EPIPE", "msg": "deliver failed"}))
    warn_txt = ("(node:1) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. "
                "11 message listeners added to [TenantChannel]. Use emitter.setMaxListeners() to increase limit\n"
                "(Use `node --trace-warnings ...` to show where the warning was created)")
    for base, mean, stop in [(p1, 4200, t_oom), (t_up, 3000, b.dur)]:
        for _ in tenants:
            s = base + rng.exponential(mean)
            if 0 <= s < stop:
                b.log(s, "ws-notifier", "WARN", warn_txt, stream="stderr", pod=pod)
    for s in np.arange(0, b.dur, 30.0):
        if dead(s):
            continue
        lv = float(lag_det(s)) * rng.lognormal(0, 0.15)
        if lv > 0.2:
            b.log(s + rng.uniform(0, 1), "ws-notifier", "WARN",
                  f"event loop delay p99 {lv * 1000:.0f}ms over last 30s (threshold 200ms)",
                  pid=1, hostname=pod, lagMs=round(lv * 1000), msg="event loop delay high")
        if lv > 1.0 and s < t_oom:
            n = int((conns(s) - conns(s + 30)) if conns(s) > conns(s + 30) else rng.integers(20, 60))
            b.log(s + rng.uniform(1, 3), "ws-notifier", "WARN",
                  f"terminated {max(n, 12)} sockets that missed 2 consecutive heartbeats",
                  pid=1, hostname=pod, terminated=max(n, 12), msg="heartbeat sweep")
    prev_fail = False
    for s in np.arange(t_oom - 420, t_oom, 10.0):
        fail = (not prev_fail) and lag_det(s) > 2.4 and rng.random() < 0.35
        prev_fail = fail
        if fail:
            b.log(s + rng.uniform(0.002, 0.03), "ws-notifier", "WARN",
                  f'Liveness probe failed: Get "http://{pod_ip}:8080/healthz": context deadline exceeded '
                  f'(Client.Timeout exceeded while awaiting headers)', source="kubelet", pod=pod)
    up_ms = int((t_oom - p1) * 1000)
    b.log(t_oom - 0.35, "ws-notifier", "ERROR",
          "<--- Last few GCs --->\n\n"
          f"[1:0x6a1c2e0] {up_ms - 4310} ms: Mark-Compact 2041.6 (2083.3) -> 2039.8 (2084.1) MB, 1873.44 / 0.00 ms  "
          "(average mu = 0.097, current mu = 0.012) allocation failure; scavenge might not succeed\n"
          f"[1:0x6a1c2e0] {up_ms - 2180} ms: Mark-Compact 2043.1 (2084.1) -> 2041.2 (2085.6) MB, 2012.88 / 0.00 ms  "
          "(average mu = 0.061, current mu = 0.009) allocation failure; scavenge might not succeed\n\n\n"
          "<--- JS stacktrace --->\n", stream="stderr", pod=pod)
    b.log(t_oom - 0.2, "ws-notifier", "FATAL",
          "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n"
          " 1: 0xb85bc0 node::Abort() [node]\n"
          " 2: 0xa94834  [node]\n"
          " 3: 0xd66d40 v8::Utils::ReportOOMFailure(v8::internal::Isolate*, char const*, bool) [node]\n"
          " 4: 0xd670e7 v8::internal::V8::FatalProcessOutOfMemory(v8::internal::Isolate*, char const*, bool) [node]\n"
          " 5: 0xf447c5  [node]\n"
          " 6: 0xf56cad v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace, "
          "v8::internal::GarbageCollectionReason, v8::GCCallbackFlags) [node]\n"
          " 7: 0xf313ae v8::internal::HeapAllocator::AllocateRawWithLightRetrySlowPath(int, "
          "v8::internal::AllocationType, v8::internal::AllocationOrigin, v8::internal::AllocationAlignment) [node]\n"
          " 8: 0xf32777 v8::internal::HeapAllocator::AllocateRawWithRetryOrFailSlowPath(int, "
          "v8::internal::AllocationType, v8::internal::AllocationOrigin, v8::internal::AllocationAlignment) [node]\n"
          " 9: 0xf1394a v8::internal::Factory::NewFillerObject(int, v8::internal::AllocationAlignment, "
          "v8::internal::AllocationType, v8::internal::AllocationOrigin) [node]\n"
          "10: 0x12d8e1f v8::internal::Runtime_AllocateInYoungGeneration(int, unsigned long*, "
          "v8::internal::Isolate*) [node]\n"
          "11: 0x1705b39  [node]", stream="stderr", pod=pod)
    b.log(t_oom + 1.4, "ws-notifier", "WARN",
          f"Container ws-notifier in pod {pod} terminated (exitCode=134, reason=Error), restarting",
          source="kubelet", pod=pod, restartCount=4)
    b.log(t_up - 7.5, "ws-notifier", "INFO", "ws-notifier 4.7.2 starting (node v20.11.1, --max-old-space-size=2048)",
          pid=1, hostname=pod, version="4.7.2", msg="starting")
    b.log(t_up - 1.2, "ws-notifier", "INFO", "subscribed to redis pub/sub (8 connections)", pid=1, hostname=pod,
          msg="redis subscribed")
    b.log(t_up - 0.4, "ws-notifier", "INFO", "listening on :8080", pid=1, hostname=pod, msg="listening")

    # ---- logs: edge-nginx ---------------------------------------------------
    paths = ["/api/notifications?limit=20", "/api/notifications/unread-count", "/api/profile/me",
             "/api/search?q=%s" % "sneakers", "/api/feed", "/realtime/v1/history?since=300"]

    def nx_make(s):
        i = int(s)
        wsr = ws_up[i] / (ws_up[i] + http[i])
        ip = client_ip(b)
        if rng.random() < wsr:
            if dead(s):
                return "ERROR", nginx_line(b, s, ip, "GET", "/realtime/v1/socket", 502, 157, b.pick(BROWSER_UAS),
                                           0.001, "0.000", f"{pod_ip}:8080"), {"source": "nginx-access", "status": 502}
            return "INFO", nginx_line(b, s, ip, "GET", "/realtime/v1/socket", 101, 0, b.pick(BROWSER_UAS),
                                      float(rng.gamma(2, 300)), "-", f"{pod_ip}:8080"), \
                {"source": "nginx-access", "status": 101}
        p = b.pick(paths)
        ups = f"{pod_ip}:8080" if p.startswith("/realtime") else "10.42.%d.%d:8000" % (rng.integers(1, 6), rng.integers(10, 90))
        if p.startswith("/realtime") and dead(s):
            return "ERROR", nginx_line(b, s, ip, "GET", p, 502, 157, b.pick(BROWSER_UAS), 0.001, "0.000", ups), \
                {"source": "nginx-access", "status": 502}
        rt = 0.01 + rng.gamma(2, 0.02)
        if p.startswith("/realtime"):
            rt += float(lag_det(s)) * 1.2
        st = 200 if rng.random() > 0.006 else b.pick([404, 499])
        return "INFO", nginx_line(b, s, ip, "GET", p, st, int(rng.integers(120, 6000)), b.pick(BROWSER_UAS),
                                  rt, f"{max(rt - 0.002, 0):.3f}", ups), {"source": "nginx-access", "status": st}

    b.emit("edge-nginx", lambda s: (http[int(s)] + min(ws_up[int(s)], 40)) * 60 / 130, nx_make, step=15)
    for s in np.sort(rng.uniform(t_oom + 0.5, t_up, 45)):
        b.log(s, "edge-nginx", "ERROR",
              f"{b.dt(s).strftime('%Y/%m/%d %H:%M:%S')} [error] 31#31: *{int(88123310 + s)} connect() failed "
              f"(111: Connection refused) while connecting to upstream, client: {client_ip(b)}, server: "
              f"rt.shopwell.example, request: \"GET /realtime/v1/socket HTTP/1.1\", upstream: "
              f"\"http://{pod_ip}:8080/realtime/v1/socket\", host: \"rt.shopwell.example\"",
              source="nginx-error")
    for s in np.arange(t_oom - 600, t_oom, 20.0):
        if lag_det(s) > 1.6 and rng.random() < 0.5:
            b.log(s + rng.uniform(0, 5), "edge-nginx", "ERROR",
                  f"{b.dt(s).strftime('%Y/%m/%d %H:%M:%S')} [error] 31#31: *{int(88100000 + s)} upstream timed out "
                  f"(110: Connection timed out) while reading response header from upstream, client: {client_ip(b)}, "
                  f"server: rt.shopwell.example, request: \"GET /realtime/v1/history?since=300 HTTP/1.1\", "
                  f"upstream: \"http://{pod_ip}:8080/realtime/v1/history?since=300\", host: \"rt.shopwell.example\"",
                  source="nginx-error")

    # ---- logs: notifications-api (python), user-profile (java), search (go) --
    def na_make(s):
        if rng.random() < 0.012:
            return "WARN", "publish retry", {"logger": "notifications.publisher", "attempt": 2,
                                             "channel": "tenant:" + b.pick(tenants)}
        return "INFO", "event published", {"logger": "notifications.publisher", "channel": "tenant:" + b.pick(tenants),
                                           "event_type": b.pick(["order.shipped", "order.delivered", "chat.message",
                                                                 "price.drop", "review.reply"]),
                                           "latency_ms": round(float(rng.gamma(2, 2.5)), 2)}

    b.emit("notifications-api", 4, na_make)

    def upf_make(s):
        return "INFO", f"GET /v1/profiles/{b.hexid(12)} 200", {
            "logger_name": "o.s.web.servlet.DispatcherServlet", "thread_name": "http-nio-8080-exec-%d" % rng.integers(1, 40),
            "duration_ms": int(rng.gamma(2, 6))}

    b.emit("user-profile", 3, upf_make)
    b.log(up_dep + 2, "user-profile", "INFO", "Commencing graceful shutdown. Waiting for active requests to complete",
          logger_name="o.s.b.w.e.tomcat.GracefulShutdown")
    b.log(up_dep + 27.4, "user-profile", "INFO", "Started ProfileApplication in 21.87 seconds (process running for 23.4)",
          logger_name="c.s.profile.ProfileApplication", version="5.8.1")
    b.log(b.sec("15:58:21"), "user-profile", "WARN",
          "HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m2s83ms).",
          logger_name="com.zaxxer.hikari.pool.HikariPool")
    for hms in ["13:11:09", "16:47:55"]:
        b.log(b.sec(hms), "user-profile", "ERROR",
              "Failed to fetch avatar from s3://sw-avatars-prod: 503 SlowDown (Service: S3, Request ID: %s)" % b.hexid(16).upper(),
              logger_name="c.s.profile.avatar.AvatarClient")

    def srch_make(s):
        return "INFO", "search served", {"caller": "api/search.go:141", "q_len": int(rng.integers(3, 30)),
                                         "hits": int(rng.integers(0, 4000)), "took_ms": int(rng.gamma(2, 30))}

    b.emit("search-service", 3, srch_make)
    for s in np.sort(rng.uniform(s_blip, s_blip + 170, 6)):
        b.log(s, "search-service", "ERROR",
              "elasticsearch shard failure: circuit_breaking_exception: [parent] Data too large, data for "
              "[<http_request>] would be [3102455312/2.8gb], which is larger than the limit of [3060164198/2.8gb]",
              caller="es/client.go:77", index="products-v41", shard=int(rng.integers(0, 6)))
    b.log(b.sec("16:05:40"), "search-service", "INFO", "loaded 6 synonym groups", caller="analysis/synonyms.go:33",
          version="2.40.0")

    b.expected = {"incident": True,
                  "findings": [{"service": "ws-notifier", "category": "memory_leak", "action": "restart",
                                "keywords": ["heap"]}],
                  "forbidden_services": ["user-profile", "search-service"]}
    b.write()


# ===========================================================================
# Case 3: external payment provider times out; red-herring recommendation deploy
# ===========================================================================

RECS_CFG_BEFORE = """\
model:
  name: recs-two-tower
  version: "2026-01-08"
  artifact: s3://sw-ml-models/recs/two-tower/2026-01-08/model.onnx
  embedding_dim: 128
serving:
  max_candidates: 400
  rerank_top_k: 50
  batch_size: 32
  onnx_threads: 4
fallback:
  strategy: popularity
  min_history_events: 3
"""

RECS_CFG_AFTER = RECS_CFG_BEFORE.replace('"2026-01-08"', '"2026-01-20"').replace(
    "2026-01-08/model.onnx", "2026-01-20/model.onnx").replace("embedding_dim: 128", "embedding_dim: 192")

RECS_PY_BEFORE = """\
import numpy as np

from .features import user_vector, item_matrix


def score(user_id, candidates, model):
    u = user_vector(user_id)
    items = item_matrix(candidates)
    logits = model.run(u, items)
    order = np.argsort(-logits)
    return [candidates[i] for i in order]
"""

RECS_PY_AFTER = """\
import numpy as np

from .features import user_vector, item_matrix

DIVERSITY_PENALTY = 0.15


def score(user_id, candidates, model):
    u = user_vector(user_id)
    items = item_matrix(candidates)
    logits = model.run(u, items)
    logits = logits - DIVERSITY_PENALTY * _category_repeats(candidates)
    order = np.argsort(-logits)
    return [candidates[i] for i in order]


def _category_repeats(candidates):
    seen = {}
    out = np.zeros(len(candidates))
    for i, c in enumerate(candidates):
        out[i] = seen.get(c.category, 0)
        seen[c.category] = out[i] + 1
    return out
"""

CART_GO_BEFORE = """\
package cart

import "time"

// Config holds cart-service tunables.
type Config struct {
	MaxItems      int
	SessionTTL    time.Duration
	SaveDebounce  time.Duration
}

func DefaultConfig() Config {
	return Config{
		MaxItems:     100,
		SessionTTL:   30 * 24 * time.Hour,
		SaveDebounce: 250 * time.Millisecond,
	}
}
"""

CART_GO_AFTER = CART_GO_BEFORE.replace("MaxItems:     100,", "MaxItems:     150,")


def case3():
    b = Bundle("c-checkout-20260122", "2026-01-22T18:00:00Z", 3.5,
               "Storefront checkout path behind the edge Envoy, 2026-01-22 18:00-21:30 UTC.", seed=20260122)
    rng = b.rng
    t_on = b.sec("19:42:30")
    better0, better1 = b.sec("20:35:10"), b.sec("20:45:40")
    PHOST, PIP = "api.payprovider.example", "203.0.113.45"

    def p_to(t):
        if t < t_on:
            return 0.0004
        ramp = min((t - t_on) / 90.0, 1.0)
        base = 0.3 if better0 <= t < better1 else 0.62
        return ramp * base * (1 + 0.15 * math.sin(t / 170.0))

    def confirm_rate(t):  # per second
        return 130 / 60 * (1 + 0.22 * math.sin(2 * math.pi * (t - 2400) / 25000))

    # ---- discrete-event simulation of confirm calls ------------------------
    # The breaker wraps each provider attempt (sliding 10 s window, >= 10 calls,
    # >= 50 % failures opens it for 30 s; half-open permits 10 trial calls).
    import heapq
    ev = []
    seq = 0
    tt = 0.0
    while True:
        tt += rng.exponential(1 / confirm_rate(tt))
        if tt >= b.dur:
            break
        ev.append((tt, seq, "arrive", {"t": tt, "retry": 0}))
        seq += 1
    heapq.heapify(ev)
    calls = []
    attempts = []  # (t_end, kind)
    transitions = []
    br = {"state": "closed", "until": 0.0, "permits": 0, "trial": []}
    window = []

    def br_tick(now):
        if br["state"] == "open" and now >= br["until"]:
            br.update(state="half_open", permits=10, trial=[])
            transitions.append((br["until"], "HALF_OPEN"))

    def br_allow(now):
        br_tick(now)
        if br["state"] == "closed":
            return True
        if br["state"] == "half_open" and br["permits"] > 0:
            br["permits"] -= 1
            return True
        return False

    def br_record(now, failed, trial):
        br_tick(now)
        if br["state"] == "half_open" and trial:
            br["trial"].append(failed)
            if len(br["trial"]) >= 10:
                rate = sum(br["trial"]) / len(br["trial"])
                if rate >= 0.5:
                    br.update(state="open", until=now + 30.0)
                    transitions.append((now, "OPEN", round(100 * rate), 10))
                else:
                    br.update(state="closed")
                    window.clear()
                    transitions.append((now, "CLOSED"))
            return
        if br["state"] != "closed":
            return
        window.append((now, failed))
        while window and window[0][0] < now - 10:
            window.pop(0)
        if len(window) >= 10 and sum(f for _, f in window) / len(window) >= 0.5:
            rate = sum(f for _, f in window) / len(window)
            br.update(state="open", until=now + 30.0)
            transitions.append((now, "OPEN", round(100 * rate), len(window)))
            window.clear()

    def finish(c, now):
        nonlocal seq
        calls.append(c)
        if c["outcome"] in ("timeout", "breaker") and c["retry"] < 2 and rng.random() < 0.35:
            r = {"t": now + rng.uniform(20, 150), "retry": c["retry"] + 1}
            if r["t"] < b.dur:
                heapq.heappush(ev, (r["t"], seq, "arrive", r))
                seq += 1

    def start_attempt(now, c, n):
        if not br_allow(now):
            c.update(outcome="breaker", dur=now - c["t"] + 0.003 + rng.exponential(0.003), status=503)
            finish(c, now)
            return
        trial = br["state"] == "half_open"
        if rng.random() < p_to(now):
            kind = "connect" if rng.random() < 0.22 else "read"
            heapq.heappush(ev, (now + 8.0, id(c), "done", (c, n, True, kind, trial)))
        else:
            lat = rng.lognormal(math.log(0.42), 0.35) if now < t_on else rng.lognormal(math.log(2.4), 0.5)
            heapq.heappush(ev, (now + min(lat, 7.9), id(c), "done", (c, n, False, "ok", trial)))

    while ev:
        now, _, kind, payload = heapq.heappop(ev)
        if kind == "arrive":
            c = payload
            start_attempt(now + 0.08 + rng.gamma(2, 0.01), c, 1)
            continue
        c, n, failed, akind, trial = payload
        attempts.append((now, akind))
        br_record(now, failed, trial)
        if failed and n == 1:
            start_attempt(now, c, 2)
        elif failed:
            c.update(outcome="timeout", dur=now - c["t"], status=504)
            finish(c, now)
        else:
            ok = rng.random() >= 0.045
            c.update(outcome="ok" if ok else "declined", dur=now - c["t"] + 0.02, status=200 if ok else 402)
            finish(c, now)
    calls.sort(key=lambda c: c["t"])
    attempts.sort(key=lambda a: a[0])
    transitions.sort(key=lambda x: x[0])
    ct = np.array([c["t"] for c in calls])
    cdur = np.array([min(c["dur"], 15.0) for c in calls])
    cstat = np.array([c["status"] for c in calls])
    cout = np.array([c["outcome"] for c in calls])

    # breaker state as a step function
    def breaker_open(t):
        st = 0
        for tr in transitions:
            if tr[0] > t:
                break
            st = 1 if tr[1] == "OPEN" else 0
        return st

    # other checkout-api requests (cart view, shipping quotes, addresses)
    other_rate = 290 / 60
    n_other = rng.poisson(other_rate * b.dur)
    ot = np.sort(rng.uniform(0, b.dur, n_other))
    od = 0.03 + rng.gamma(2, 0.045, n_other)
    ost = np.where(rng.random(n_other) < 0.0008, 500, 200)

    # ---- metrics ----------------------------------------------------------
    t15 = b.grid(15, 5)
    all_t = np.concatenate([ct + cdur, ot + od])
    all_d = np.concatenate([cdur, od])
    all_s = np.concatenate([cstat, ost])
    order = np.argsort(all_t)
    all_t, all_d, all_s = all_t[order], all_d[order], all_s[order]
    idx = np.searchsorted(all_t, t15)
    p99 = []
    for i, ti in enumerate(t15):
        lo = np.searchsorted(all_t, ti - 60)
        seg = all_d[lo:idx[i]]
        p99.append(np.percentile(seg, 99) if len(seg) else 0.3)
    b.metric("checkout_api_http_request_duration_p99_seconds", "checkout-api", t15, p99, 4, unit="s",
             description="p99 over a 1 m window, all routes")
    cum_all = np.arange(1, len(all_t) + 1)
    cum_5xx = np.cumsum(all_s >= 500)
    b.metric("envoy_cluster_upstream_rq_total", "edge-envoy", t15,
             6_880_113 + np.where(idx > 0, cum_all[np.maximum(idx - 1, 0)], 0), 0,
             description="edge Envoy, cluster=checkout_api")
    b.metric("envoy_cluster_upstream_rq_5xx_total", "edge-envoy", t15,
             3_902 + np.where(idx > 0, cum_5xx[np.maximum(idx - 1, 0)], 0), 0, kind="counter",
             description="edge Envoy, cluster=checkout_api")
    att_t = np.array([a[0] for a in attempts])
    att_to = np.cumsum([a[1] != "ok" for a in attempts])
    ai = np.searchsorted(att_t, t15)
    b.metric("checkout_payprovider_timeouts_total", "checkout-api", t15,
             17 + np.where(ai > 0, att_to[np.maximum(ai - 1, 0)], 0), 0, kind="counter",
             description="payment provider calls that hit the client timeout (connect or read)")
    b.metric("checkoutApi.paymentBreakerOpen", "checkout-api", t15, [breaker_open(x) for x in t15], 0,
             description="1 while the payment circuit breaker is open")
    lag = 0.009 * b.ln(len(t15), 0.2) + np.where(t15 > t_on + 60, 0.007, 0)
    b.metric("nodejs_eventloop_lag_p99_seconds", "checkout-api", t15, lag, 5, unit="s")

    tm = np.arange(60, b.dur + 1, 60.0)
    tm[-1] -= 1
    succ = []
    for x in tm:
        sel = (ct >= x - 60) & (ct < x)
        n = sel.sum()
        succ.append((cout[sel] == "ok").sum() / n if n else 1.0)
    b.metric("checkout.payment.success_ratio", "checkout-api", tm, succ, 4, unit="ratio", bad_when="falls",
             description="authorised / attempted card payments per minute")

    t60p = b.grid(60, 40)
    pd_, ps_ = [], []
    for x in t60p:
        if rng.random() < p_to(x) * 1.05:
            pd_.append(10.0)
            ps_.append(0)
        else:
            pd_.append(rng.lognormal(math.log(0.23), 0.12) if x < t_on else rng.lognormal(math.log(2.2), 0.5))
            ps_.append(1)
    b.metric("payment_provider_probe_duration_seconds", "payment-provider", t60p, np.minimum(pd_, 10.0), 3,
             unit="s", description=f"blackbox probe https://{PHOST}/v2/health (timeout 10 s)")
    b.metric("payment_provider_probe_success", "payment-provider", t60p, ps_, 0, bad_when="falls",
             description=f"blackbox probe https://{PHOST}/v2/health")

    t15c = b.grid(15, 10)
    b.metric("cart_service_request_duration_p95_seconds", "cart-service", t15c, 0.034 * b.ln(len(t15c), 0.08), 4,
             unit="s")
    t60d = b.grid(60, 17)
    b.metric("pg_stat_activity_count", "orders-db", t60d, 38 + rng.normal(0, 2.5, len(t60d)), 0,
             description="connections, datname=orders")
    rdep = b.sec("19:27:10")
    t60r = b.grid(60, 5)
    b.metric("recommendation.latency.p95_ms", "recommendation-service", t60r,
             np.where(t60r > rdep, 97.0, 84.0) * b.ln(len(t60r), 0.06), 1, unit="ms")
    cpu = np.where(t60r > rdep, 0.53, 0.41) + rng.normal(0, 0.02, len(t60r))
    cpu[(t60r > rdep) & (t60r < rdep + 130)] = 0.82
    b.metric("recsCpuUtilization", "recommendation-service", t60r, np.clip(cpu, 0, 1), 3, unit="ratio")
    t15f = b.grid(15, 13)
    fi = np.searchsorted(ct, t15f)
    b.metric("fraud_scoring_requests_total", "fraud-scoring", t15f, 2_551_907 + fi, 0,
             description="fraud scoring calls (one per confirm request)")

    # ---- deploys ----------------------------------------------------------
    b.deploy("cart-service", "v1.33.1", "a41c7e0", "18:22:40", "ci-bot", "cart-service v1.33.1",
             patch_header("a41c7e0", "Lea Hoffmann", "lea.hoffmann@shopwell.example",
                          "Thu, 22 Jan 2026 13:05:00 +0000", "cart: raise item cap for B2B baskets")
             + file_diff("internal/cart/config.go", CART_GO_BEFORE, CART_GO_AFTER, "93d0e11..2b7c4f5"))
    b.deploy("recommendation-service", "v2.14.0", "5d2a9c4", "19:27:10", "ml-deployer",
             "recommendation-service v2.14.0",
             patch_header("5d2a9c4", "Kenji Sato", "kenji.sato@shopwell.example",
                          "Thu, 22 Jan 2026 15:48:31 +0000", "recs: two-tower 2026-01-20, category diversity penalty")
             + file_diff("config/model.yaml", RECS_CFG_BEFORE, RECS_CFG_AFTER, "c8e2a10..5f19b3d")
             + file_diff("recs/ranking.py", RECS_PY_BEFORE, RECS_PY_AFTER, "0d4e7a2..e6b1f08"))

    # ---- logs: checkout-api -------------------------------------------------
    pods = ["checkout-api-7b9d6c5f4-%s" % x for x in ("jx2mw", "p8r4t", "vk9sd", "zt6qn")]
    stack_read = ("ReadTimeout: POST https://%s/v2/charges timed out after 8000ms\n"
                  "    at Timeout._onTimeout (/app/src/payments/payprovider.js:118:21)\n"
                  "    at listOnTimeout (node:internal/timers:573:17)\n"
                  "    at process.processTimers (node:internal/timers:514:7)" % PHOST)
    stack_conn = ("Error: connect ETIMEDOUT %s:443\n"
                  "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1595:16)" % PIP)
    for (at, kind) in attempts:
        if kind == "ok":
            continue
        if at < t_on or rng.random() < 0.2:
            s = at + (8.0 if kind == "read" else 8.0)
            pod = b.pick(pods)
            if kind == "read":
                b.log(s, "checkout-api", "ERROR", "payment provider call failed: " + stack_read, pid=1,
                      hostname=pod, host=PHOST, timeoutMs=8000, err={"type": "ReadTimeout", "code": "ETIMEOUT"},
                      msg="payment provider call failed")
            else:
                b.log(s, "checkout-api", "ERROR", "payment provider call failed: " + stack_conn, pid=1,
                      hostname=pod, host=PHOST, err={"type": "Error", "code": "ETIMEDOUT", "address": PIP,
                                                      "port": 443}, msg="payment provider call failed")
    for c in calls:
        s = c["t"] + c["dur"]
        pod = b.pick(pods)
        o = c["outcome"]
        if o == "ok" and rng.random() < 0.25:
            b.log(s, "checkout-api", "INFO", "order confirmed", pid=1, hostname=pod, orderId="SW-%08d" % rng.integers(1e7, 1e8),
                  paymentMs=int(c["dur"] * 1000), msg="order confirmed")
        elif o == "declined" and rng.random() < 0.5:
            b.log(s, "checkout-api", "INFO", "payment declined by issuer (card_declined)", pid=1, hostname=pod,
                  declineCode=b.pick(["insufficient_funds", "do_not_honor", "expired_card"]), msg="payment declined")
        elif o == "breaker" and rng.random() < 0.08:
            b.log(s, "checkout-api", "ERROR",
                  "confirm failed: PaymentUnavailableError: circuit 'payprovider-charges' is open, "
                  f"failing fast (provider {PHOST})", pid=1, hostname=pod, statusCode=503, host=PHOST,
                  msg="confirm failed")
        elif o == "timeout" and rng.random() < 0.5:
            b.log(s, "checkout-api", "ERROR",
                  f"confirm failed after 2 attempts: payment provider {PHOST} did not respond "
                  f"(timed out after 8000ms per attempt)", pid=1, hostname=pod, statusCode=504, host=PHOST,
                  attempts=2, msg="confirm failed")
    for tr in transitions:
        s = tr[0]
        if tr[1] == "OPEN":
            extra = f" (failure rate {tr[2]}% over last {tr[3]} calls)" if len(tr) > 2 else " (trial request failed)"
            b.log(s, "checkout-api", "WARN", f"circuit breaker 'payprovider-charges' OPEN{extra}", pid=1,
                  hostname=b.pick(pods), breaker="payprovider-charges", state="open", resetTimeoutMs=30000,
                  msg="breaker state change")
        elif tr[1] == "HALF_OPEN":
            b.log(s, "checkout-api", "INFO", "circuit breaker 'payprovider-charges' HALF_OPEN, allowing a trial request",
                  pid=1, hostname=b.pick(pods), breaker="payprovider-charges", state="halfOpen",
                  msg="breaker state change")
        else:
            b.log(s, "checkout-api", "INFO", "circuit breaker 'payprovider-charges' CLOSED", pid=1,
                  hostname=b.pick(pods), breaker="payprovider-charges", state="closed", msg="breaker state change")
    b.emit("checkout-api", 0.03, lambda s: ("ERROR", "order total mismatch between cart and quote, rejecting confirm",
                                            {"pid": 1, "hostname": b.pick(pods), "statusCode": 409,
                                             "msg": "total mismatch"}))

    # ---- logs: edge-envoy ---------------------------------------------------
    def edge_make(s):
        u = rng.random()
        if u < 0.42:
            i = min(np.searchsorted(all_t, s), len(all_t) - 1)
            st, d = int(all_s[i]), float(all_d[i])
            path = b.pick(["/api/checkout/confirm", "/api/checkout/summary", "/api/checkout/shipping-options"],
                          [1, 1.2, 1]) if st < 500 else "/api/checkout/confirm"
            if st >= 500:
                return None
            return "INFO", envoy_line(b, s, "POST" if path.endswith("confirm") else "GET", path, st, "-",
                                      int(rng.integers(200, 2400)), int(rng.integers(300, 4000)), int(d * 1000),
                                      int(d * 1000) - 1, client_ip(b), b.pick(BROWSER_UAS), "www.shopwell.example",
                                      "10.42.2.%d:3000" % rng.integers(20, 60)), \
                {"source": "envoy-access", "cluster": "checkout_api", "status": st}
        if u < 0.80:
            d = int(30 + rng.gamma(2, 30))
            return "INFO", envoy_line(b, s, "GET", "/api/recommendations?slot=%s" % b.pick(["pdp", "home", "cart"]),
                                      200, "-", 0, int(rng.integers(800, 6000)), d, d - 1, client_ip(b),
                                      b.pick(BROWSER_UAS), "www.shopwell.example", "10.42.4.%d:8000" % rng.integers(10, 40)), \
                {"source": "envoy-access", "cluster": "recommendation_service", "status": 200}
        d = int(8 + rng.gamma(2, 8))
        return "INFO", envoy_line(b, s, b.pick(["GET", "POST", "PATCH"]), "/api/cart", 200, "-", int(rng.integers(0, 900)),
                                  int(rng.integers(400, 3000)), d, d - 1, client_ip(b), b.pick(BROWSER_UAS),
                                  "www.shopwell.example", "10.42.1.%d:8080" % rng.integers(10, 40)), \
            {"source": "envoy-access", "cluster": "cart_service", "status": 200}

    b.emit("edge-envoy", 18, edge_make)
    for c in calls:
        if c["status"] < 500 or rng.random() > 0.1:
            continue
        s = c["t"] + min(c["dur"], 15.0)
        if c["status"] == 504:
            line = envoy_line(b, c["t"], "POST", "/api/checkout/confirm", 504, "UT", int(rng.integers(600, 2400)), 24,
                              15000 + int(rng.integers(0, 3)), "-", client_ip(b), b.pick(BROWSER_UAS),
                              "www.shopwell.example", "10.42.2.%d:3000" % rng.integers(20, 60))
            b.log(s, "edge-envoy", "WARN", line + ' "upstream request timeout"', source="envoy-access",
                  cluster="checkout_api", status=504, response_flags="UT",
                  response_code_details="upstream_response_timeout")
        else:
            d = max(int(c["dur"] * 1000), 1)
            line = envoy_line(b, c["t"], "POST", "/api/checkout/confirm", 503, "-", int(rng.integers(600, 2400)), 118,
                              d + 1, d, client_ip(b), b.pick(BROWSER_UAS), "www.shopwell.example",
                              "10.42.2.%d:3000" % rng.integers(20, 60))
            b.log(s, "edge-envoy", "WARN", line, source="envoy-access", cluster="checkout_api", status=503,
                  response_code_details="via_upstream")

    # ---- logs: other services -------------------------------------------------
    def recs_make(s):
        u = rng.random()
        if u < 0.01:
            return "WARN", "cold-start user, falling back to popularity model", {"logger": "recs.ranking",
                                                                                 "user_events": int(rng.integers(0, 3))}
        if u < 0.014:
            return "ERROR", "feature store read failed: StatusCode.DEADLINE_EXCEEDED (deadline 50ms), using cached vector", \
                {"logger": "recs.features"}
        return "INFO", "recommendations served", {"logger": "recs.api", "slot": b.pick(["pdp", "home", "cart"]),
                                                  "n": int(rng.integers(8, 24)),
                                                  "latency_ms": round(float(rng.gamma(4, 18)), 1)}

    b.emit("recommendation-service", 7, recs_make)
    b.log(rdep + 3, "recommendation-service", "INFO", "loading model recs-two-tower 2026-01-20 (412 MB)",
          logger="recs.model", version="2.14.0")
    b.log(rdep + 74, "recommendation-service", "INFO", "model warm, ONNX session ready (4 threads)",
          logger="recs.model", version="2.14.0")
    b.log(rdep + 80, "recommendation-service", "INFO", "Application startup complete.", logger="uvicorn.error")

    def cart_make(s):
        if rng.random() < 0.01:
            return "ERROR", "save cart: context canceled", {"caller": "cart/store.go:144", "cart": b.hexid(10)}
        return "INFO", "cart updated", {"caller": "cart/handler.go:61", "items": int(rng.integers(1, 12)),
                                        "took_ms": int(rng.integers(2, 30))}

    b.emit("cart-service", 4, cart_make)
    b.log(b.sec("18:22:55"), "cart-service", "INFO", "cart-service v1.33.1 starting", caller="main.go:40")

    def fraud_make(s):
        if rng.random() < 0.03:
            return "WARN", "rule VEL-07 velocity threshold reached for card BIN 4571**", {"logger_name": "c.s.fraud.rules.VelocityRule"}
        return "INFO", "scored transaction", {"logger_name": "c.s.fraud.api.ScoreController",
                                               "score": round(float(rng.beta(1, 20)), 3), "took_ms": int(rng.integers(4, 25))}

    b.emit("fraud-scoring", 3, fraud_make)
    for k in range(0, int(b.dur // 60), 5):
        b.log(k * 60 + 31.2, "orders-db", "INFO",
              "LOG:  checkpoint complete: wrote %d buffers (%.1f%%); 0 WAL file(s) added, 0 removed, %d recycled; "
              "write=26.912 s, sync=0.004 s, total=26.947 s" % (rng.integers(800, 3000), rng.uniform(0.5, 2.0),
                                                                 rng.integers(1, 4)), source="postgres")

    b.expected = {"incident": True,
                  "findings": [{"service": "payment-provider", "category": "dependency_failure",
                                "action": ["failover", "escalate"], "keywords": ["timeout"]}],
                  "forbidden_services": ["recommendation-service", "cart-service"]}
    b.write()


# ===========================================================================
# Case 4: pricing v2.3.0 canary then full rollout, TypeError on orders w/o fx
# ===========================================================================

FX_BEFORE = """\
'use strict';

const { roundMinor } = require('../util/money');
const rates = require('./rates');

/**
 * FX handling for quotes.
 *
 * An order may carry an `fx` block when the shopper pays in a currency other
 * than the store currency. Orders without it settle in the store currency.
 */

function describeFx(order) {
  if (!order.fx) return null;
  return {
    currency: order.fx.currency,
    quotedAt: order.fx.quotedAt,
    source: order.fx.source || 'ecb',
  };
}

/**
 * Convert a line amount into the order's settlement currency.
 */
function applyFx(order, line) {
  const storeCurrency = order.store.currency;
  if (!order.fx || order.fx.currency === storeCurrency) {
    return { ...line, settlementCurrency: storeCurrency };
  }
  const rate = rates.lookup(storeCurrency, order.fx.currency, order.fx.quotedAt);
  return {
    ...line,
    amountMinor: roundMinor(line.amountMinor * rate),
    settlementCurrency: order.fx.currency,
  };
}

module.exports = { applyFx, describeFx };
"""

FX_AFTER = """\
'use strict';

const { roundMinor } = require('../util/money');
const rates = require('./rates');
const config = require('../config');

/**
 * FX handling for quotes.
 *
 * An order may carry an `fx` block when the shopper pays in a currency other
 * than the store currency. Orders without it settle in the store currency.
 */

const DEFAULT_MARGIN_BPS = 0;

function marginFor(currency) {
  const table = config.get('pricing.fxMarginBps') || {};
  return table[currency] ?? DEFAULT_MARGIN_BPS;
}

function convert(amountMinor, rate, marginBps) {
  const gross = amountMinor * rate;
  return roundMinor(gross + (gross * marginBps) / 10000);
}

function describeFx(order) {
  if (!order.fx) return null;
  return {
    currency: order.fx.currency,
    quotedAt: order.fx.quotedAt,
    source: order.fx.source || 'ecb',
  };
}

/**
 * Convert a line amount into the order's settlement currency, applying the
 * configured FX margin for that currency.
 */
function applyFx(order, line) {
  const storeCurrency = order.store.currency;
  const settlement = order.fx.currency || storeCurrency;
  if (settlement === storeCurrency) {
    return { ...line, settlementCurrency: storeCurrency, fxMarginMinor: 0 };
  }
  const rate = rates.lookup(storeCurrency, settlement, order.fx.quotedAt);
  const amountMinor = convert(line.amountMinor, rate, marginFor(settlement));
  return {
    ...line,
    amountMinor,
    settlementCurrency: settlement,
    fxMarginMinor: amountMinor - roundMinor(line.amountMinor * rate),
  };
}

module.exports = { applyFx, describeFx, marginFor };
"""

QUOTE_BEFORE = """\
'use strict';

const { applyFx } = require('./fx');
const { applyPromotions } = require('./promotions');
const { taxFor } = require('../clients/tax');
const { sumMinor } = require('../util/money');

async function computeQuote(order) {
  const basePrices = order.lines.map((l) => ({ ...l, amountMinor: l.unitMinor * l.qty }));
  const promoted = await applyPromotions(order, basePrices);
  const lines = promoted.map((line) => applyFx(order, line));
  const tax = await taxFor(order, lines);
  return {
    lines,
    subtotalMinor: sumMinor(lines.map((l) => l.amountMinor)),
    taxMinor: tax.totalMinor,
    currency: lines[0]?.settlementCurrency,
  };
}

module.exports = { computeQuote };
"""

QUOTE_AFTER = QUOTE_BEFORE.replace(
    "    subtotalMinor: sumMinor(lines.map((l) => l.amountMinor)),\n",
    "    subtotalMinor: sumMinor(lines.map((l) => l.amountMinor)),\n"
    "    fxMarginMinor: sumMinor(lines.map((l) => l.fxMarginMinor || 0)),\n")

PRICING_CFG_BEFORE = """\
{
  "pricing": {
    "roundingMode": "half-even",
    "quoteCacheTtlSeconds": 20
  }
}
"""

PRICING_CFG_AFTER = """\
{
  "pricing": {
    "roundingMode": "half-even",
    "quoteCacheTtlSeconds": 20,
    "fxMarginBps": {
      "GBP": 120,
      "CHF": 150,
      "PLN": 200,
      "SEK": 180
    }
  }
}
"""

PROMO_BEFORE = """\
campaigns:
  - id: WINTER26
    active_from: 2026-01-05T00:00:00Z
    active_to: 2026-02-28T23:59:59Z
    discount: {type: percent, value: 15}
    segments: [newsletter]
  - id: FREESHIP50
    active_from: 2026-01-01T00:00:00Z
    active_to: 2026-12-31T23:59:59Z
    discount: {type: free_shipping, min_basket_minor: 5000}
    segments: [all]
"""

PROMO_AFTER = PROMO_BEFORE + """\
  - id: SPRING26
    active_from: 2026-03-01T00:00:00Z
    active_to: 2026-04-15T23:59:59Z
    discount: {type: percent, value: 10}
    segments: [loyalty_gold, loyalty_silver]
"""

TAX_BEFORE = """\
from decimal import Decimal

REDUCED_RATES = {
    "DE": {"food": Decimal("0.07"), "books": Decimal("0.07")},
    "FR": {"food": Decimal("0.055"), "books": Decimal("0.055")},
}
"""

TAX_AFTER = TAX_BEFORE.replace('"FR": {"food": Decimal("0.055"), "books": Decimal("0.055")},',
                               '"FR": {"food": Decimal("0.055"), "books": Decimal("0.055")},\n'
                               '    "AT": {"food": Decimal("0.10"), "books": Decimal("0.10")},')


def _frame(text, needle, offset_in_needle):
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i, line.index(needle) + offset_in_needle + 1
    raise ValueError(needle)


def case4():
    b = Bundle("c-storefront-20260226", "2026-02-26T09:00:00Z", 4.5,
               "Storefront quote and checkout path (edge NGINX, storefront-bff, pricing, promotions, tax, cart), "
               "2026-02-26 09:00-13:30 UTC.", seed=20260226)
    rng = b.rng
    dep_c = b.sec("10:52:40")
    dep_f = b.sec("11:13:05")
    FX_SHARE = 0.16

    fl, fc = _frame(FX_AFTER, "const settlement = order.fx.currency", len("const settlement = order.fx."))
    ql, qc_inner = _frame(QUOTE_AFTER, "applyFx(order, line)", 0)
    _, qc_map = _frame(QUOTE_AFTER, "promoted.map(", len("promoted."))
    stack = ("TypeError: Cannot read properties of undefined (reading 'currency')\n"
             f"    at applyFx (/app/src/pricing/fx.js:{fl}:{fc})\n"
             f"    at /app/src/pricing/quote.js:{ql}:{qc_inner}\n"
             "    at Array.map (<anonymous>)\n"
             f"    at computeQuote (/app/src/pricing/quote.js:{ql}:{qc_map})\n"
             "    at async /app/src/routes/quote.js:27:19")

    def qrate(t):  # quotes per second
        return (650 + 250 * np.clip(np.asarray(t) / 10800, 0, 1)) / 60 * (1 + 0.05 * np.sin(np.asarray(t) / 900))

    # ---- pod-level simulation --------------------------------------------
    def pname(rs):
        return f"pricing-{rs}-{b.hexid(5)}"
    pods = []
    for i in range(10):
        pods.append({"name": pname("6f8d7c9b5"), "v": "2.2.4", "start": -2e5, "ready": -2e5, "end": 1e9,
                     "req": float(rng.integers(180000, 215000)), "err": float(rng.integers(120, 190))})
    pods.append({"name": pname("canary-5b9c8d7f6"), "v": "2.3.0", "start": dep_c, "ready": dep_c + 22,
                 "end": 1e9, "req": 0.0, "err": 0.0})
    pods[9]["end"] = dep_c + 26
    for i in range(9):
        s0 = dep_f + 20 * i
        pods.append({"name": pname("7d4b9f6c8"), "v": "2.3.0", "start": s0, "ready": s0 + 18, "end": 1e9,
                     "req": 0.0, "err": 0.0})
        pods[i]["end"] = s0 + 19
    t15 = b.grid(15, 6)
    req_tot, err_tot, share_bad = [], [], []
    qerr_rate = np.zeros(len(t15))
    for k, ti in enumerate(t15):
        live = [p for p in pods if p["ready"] <= ti < p["end"]]
        per = qrate(ti) * 15 / len(live)
        bad = 0.0
        for p in live:
            n = rng.poisson(per)
            pe = 0.0008 + (FX_SHARE * rng.uniform(0.9, 1.1) if p["v"] == "2.3.0" else 0)
            e = rng.binomial(n, pe)
            p["req"] += n
            p["err"] += e
            bad += e
        qerr_rate[k] = bad / 15
        share_bad.append(sum(1 for p in live if p["v"] == "2.3.0") / len(live))
        ex = [p for p in pods if p["start"] <= ti < p["end"]]
        req_tot.append(sum(p["req"] for p in ex))
        err_tot.append(sum(p["err"] for p in ex))
    share_bad = np.array(share_bad)
    b.metric("pricing_http_requests_total", "pricing", t15, req_tot, 0, kind="counter",
             description="sum over pods, route=/v1/quote")
    b.metric("pricing_http_requests_errors_total", "pricing", t15, err_tot, 0, kind="counter",
             description="sum over pods, route=/v1/quote, status=5xx")
    restarts = [p["start"] for p in pods if p["start"] > 0]
    near = np.array([any(0 <= ti - r < 30 for r in restarts) for ti in t15])
    b.metric("nodejs_eventloop_lag_p99_seconds", "pricing", t15,
             0.006 * b.ln(len(t15), 0.2) + near * 0.035, 5, unit="s", description="max over pods")
    heap = 104 + 38 * ((t15 / 83) % 1) * rng.uniform(0.8, 1.0, len(t15)) - near * 30
    b.metric("nodejs_heap_size_used_bytes", "pricing", t15, heap * MB, 0, unit="bytes", description="mean over pods")
    tm = np.arange(60, b.dur + 1, 60.0)
    tm[-1] -= 1
    b.metric("pricing.quote.latency.p99_ms", "pricing", tm, 48 * b.ln(len(tm), 0.08), 1, unit="ms")

    # ---- storefront-bff, edge ---------------------------------------------
    mi = np.clip(np.searchsorted(t15, tm) - 1, 0, len(t15) - 1)
    err_share = np.array([qerr_rate[max(0, i - 3):i + 1].mean() for i in mi]) / qrate(tm)
    b.metric("storefrontBff.quoteErrorRate", "storefront-bff", tm + 20 - 60 * (tm + 20 > b.dur),
             np.clip(err_share + 0.0015 + rng.normal(0, 0.0006, len(tm)), 0, 1), 5, unit="ratio",
             description="failed quote calls / quote calls")
    chk = 0.991 - 0.85 * err_share + rng.normal(0, 0.003, len(tm))
    tm2 = tm - 30
    b.metric("storefront.checkout.success_ratio", "storefront-bff", tm2, np.clip(chk, 0, 1), 4, unit="ratio",
             bad_when="falls", description="checkouts completed / checkouts started")
    t15b = b.grid(15, 9)
    sb = np.interp(t15b, t15, share_bad)
    b.metric("storefront_bff_http_request_duration_p95_seconds", "storefront-bff", t15b,
             (0.21 + 0.03 * sb) * b.ln(len(t15b), 0.07), 4, unit="s")
    t15n = b.grid(15, 2)
    r5 = np.interp(t15n, t15, qerr_rate) * 0.97 + 0.4 / 60
    b.metric("nginx_http_requests_5xx_total", "edge-nginx", t15n, b.counter(t15n, r5, start=731_044), 0,
             description="edge NGINX responses with status 5xx")

    # ---- promotions, tax, cart ---------------------------------------------
    pdep = b.sec("10:21:15")
    t60p = b.grid(60, 25)
    b.metric("promotions.rules.eval.p95_ms", "promotions", t60p,
             np.where(t60p > pdep, 13.8, 12.1) * b.ln(len(t60p), 0.07), 2, unit="ms")
    thr = 88 + rng.integers(-2, 3, len(t60p)) + np.where(t60p > pdep, 3, 0)
    thr[(t60p > pdep) & (t60p < pdep + 60)] = 41
    b.metric("jvm_threads_live_threads", "promotions", t60p, thr, 0)
    tdep = b.sec("12:06:30")
    t15t = b.grid(15, 14)
    tx = 0.041 * b.ln(len(t15t), 0.09)
    tx[(t15t > tdep) & (t15t < tdep + 45)] *= 2.2
    b.metric("tax_service_request_duration_seconds_p95", "tax-service", t15t, tx, 4, unit="s")
    t15c = b.grid(15, 1)
    b.metric("cart_items_added_total", "cart-service", t15c,
             b.counter(t15c, 6.0 * (0.85 + 0.3 * t15c / b.dur), start=18_342_110), 0, kind="counter")

    # ---- deploys --------------------------------------------------------------
    b.deploy("promotions", "v7.12.0", "0c5e8b2", "10:21:15", "ci-bot", "promotions v7.12.0",
             patch_header("0c5e8b2", "Marta Nowak", "marta.nowak@shopwell.example",
                          "Wed, 25 Feb 2026 15:20:44 +0000", "campaigns: schedule SPRING26 for loyalty tiers")
             + file_diff("src/main/resources/campaigns.yaml", PROMO_BEFORE, PROMO_AFTER, "b03a7d1..f9c4e26"))
    pricing_diff = (patch_header("e71b0c9", "Daniel Okoye", "daniel.okoye@shopwell.example",
                                 "Wed, 25 Feb 2026 11:07:19 +0000", "pricing: per-currency FX margin",
                                 "Adds configurable FX margin (bps) per settlement currency and reports it\n"
                                 "on the quote as fxMarginMinor.")
                    + file_diff("src/pricing/fx.js", FX_BEFORE, FX_AFTER, "2d81f0a..9b6e3c4")
                    + file_diff("src/pricing/quote.js", QUOTE_BEFORE, QUOTE_AFTER, "c47e9a2..1f0b8d5")
                    + file_diff("config/default.json", PRICING_CFG_BEFORE, PRICING_CFG_AFTER, "6a2c0e7..d3e95b1"))
    b.deploy("pricing", "v2.3.0", "e71b0c9", "10:52:40", "argo-rollouts", "pricing v2.3.0 canary 10%",
             pricing_diff)
    b.deploy("pricing", "v2.3.0", "e71b0c9", "11:13:05", "argo-rollouts", "pricing v2.3.0 promoted to 100%")
    b.deploy("tax-service", "v1.9.4", "4aa9d13", "12:06:30", "ci-bot", "tax-service v1.9.4",
             patch_header("4aa9d13", "Sofia Greco", "sofia.greco@shopwell.example",
                          "Thu, 26 Feb 2026 09:41:12 +0000", "rates: add AT reduced rates")
             + file_diff("tax/rates.py", TAX_BEFORE, TAX_AFTER, "5e7f1c3..08ad2b9"))

    # ---- logs: pricing ------------------------------------------------------
    channels_bad = ["marketplace", "marketplace", "marketplace", "app-legacy"]
    for k, ti in enumerate(t15):
        live = [p for p in pods if p["ready"] <= ti < p["end"] and p["v"] == "2.3.0"]
        if not live:
            continue
        n = rng.poisson(qerr_rate[k] * 15 * 0.25)
        for s in rng.uniform(ti - 15, ti, n):
            p = b.pick(live)
            ch = b.pick(channels_bad)
            s = max(s, p["ready"] + rng.uniform(0.1, 3.0))
            b.log(s, "pricing", "ERROR", stack, pid=1, hostname=p["name"], version="2.3.0",
                  reqId="req-" + b.hexid(10), route="POST /v1/quote", statusCode=500,
                  orderId="SW-%08d" % rng.integers(1e7, 1e8), channel=ch,
                  client=("marketplace-connector/3.4.0" if ch == "marketplace" else "ios/8.9.2"),
                  err={"type": "TypeError", "message": "Cannot read properties of undefined (reading 'currency')"},
                  msg="quote computation failed")

    def live_pod(s):
        return b.pick([p for p in pods if p["ready"] <= s < p["end"]])

    def pr_make(s):
        p = live_pod(s)
        if rng.random() < 0.006:
            return "ERROR", ("RangeError: Invalid currency code : XBT\n    at new NumberFormat (<anonymous>)\n"
                             "    at formatMinor (/app/src/util/money.js:19:10)\n"
                             "    at renderQuote (/app/src/routes/quote.js:44:21)"), \
                {"pid": 1, "hostname": p["name"], "version": p["v"], "statusCode": 500, "route": "POST /v1/quote",
                 "msg": "quote rendering failed"}
        return "INFO", "quote computed", {"pid": 1, "hostname": p["name"], "version": p["v"],
                                          "reqId": "req-" + b.hexid(10), "lines": int(rng.integers(1, 9)),
                                          "responseTime": round(float(20 + rng.gamma(2, 8)), 1),
                                          "msg": "quote computed"}

    b.emit("pricing", 6, pr_make)
    for p in pods:
        if p["start"] > 0:
            b.log(p["ready"] - 1.5, "pricing", "INFO", f"pricing {p['v']} listening on :3000 (node v20.11.1)",
                  pid=1, hostname=p["name"], version=p["v"], msg="listening")
        if p["end"] < b.dur:
            b.log(p["end"] - 0.8, "pricing", "INFO", "received SIGTERM, closing server", pid=1,
                  hostname=p["name"], version=p["v"], msg="shutdown")

    # ---- logs: storefront-bff -------------------------------------------------
    bff_pods = ["storefront-bff-84c6d9f7b-%s" % x for x in ("a1k9p", "c7v2m", "h3q8w", "r5t0z", "x9n4d")]
    for k, ti in enumerate(t15):
        n = rng.poisson(qerr_rate[k] * 15 * 0.1)
        for s in rng.uniform(ti - 15, ti, n):
            b.log(s + 0.05, "storefront-bff", "ERROR",
                  "pricing quote failed: POST http://pricing.internal:3000/v1/quote responded 500 (after 1 retry)",
                  pid=1, hostname=b.pick(bff_pods), upstream="pricing", statusCode=502, route="/api/cart/quote",
                  msg="upstream error")

    def bff_make(s):
        u = rng.random()
        if u < 0.012:
            return "ERROR", ("TypeError: Cannot read properties of null (reading 'thumbnailUrl')\n"
                             "    at mapProductCard (/app/src/mappers/product.js:22:31)\n"
                             "    at Array.map (<anonymous>)\n"
                             "    at mapRecommendations (/app/src/mappers/recs.js:9:24)"), \
                {"pid": 1, "hostname": b.pick(bff_pods), "route": "/api/home", "statusCode": 200,
                 "msg": "recommendation card skipped"}
        if u < 0.05:
            return "WARN", f"slow upstream search-service ({rng.integers(1200, 2600)}ms)", \
                {"pid": 1, "hostname": b.pick(bff_pods), "upstream": "search-service", "msg": "slow upstream"}
        route = b.pick(["/api/home", "/api/products", "/api/cart", "/api/cart/quote", "/api/checkout/summary"])
        return "INFO", f"GET {route} 200", {"pid": 1, "hostname": b.pick(bff_pods), "route": route,
                                            "responseTime": round(float(40 + rng.gamma(2, 40)), 1),
                                            "msg": "request completed"}

    b.emit("storefront-bff", 6, bff_make)

    # ---- logs: edge-nginx ---------------------------------------------------
    def nx_make(s):
        k = min(max(np.searchsorted(t15, s), 0), len(t15) - 1)
        quote_share = 0.22
        if rng.random() < quote_share:
            pe = qerr_rate[k] / qrate(s)
            st = 502 if rng.random() < pe else 200
            rt = 0.09 + rng.gamma(2, 0.03)
            return ("ERROR" if st >= 500 else "INFO"), nginx_line(
                b, s, client_ip(b), "POST", "/api/cart/quote", st, 166 if st == 502 else int(rng.integers(900, 4000)),
                b.pick(BROWSER_UAS), rt, f"{rt - 0.002:.3f}", "10.42.6.%d:3000" % rng.integers(10, 40)), \
                {"source": "nginx-access", "status": st}
        path = b.pick(["/", "/api/home", "/api/products?category=shoes", "/api/cart", "/static/app.8c1f2e.js",
                       "/api/checkout/summary", "/api/products/SKU-%06d" % rng.integers(100000, 999999)])
        st = 200 if rng.random() > 0.01 else b.pick([304, 404])
        rt = 0.02 + rng.gamma(2, 0.03)
        return "INFO", nginx_line(b, s, client_ip(b), "GET", path, st, int(rng.integers(300, 30000)),
                                  b.pick(BROWSER_UAS), rt, f"{rt - 0.001:.3f}",
                                  "10.42.6.%d:3000" % rng.integers(10, 40)), {"source": "nginx-access", "status": st}

    b.emit("edge-nginx", 16, nx_make)

    # ---- logs: promotions, tax, cart -----------------------------------------
    def promo_make(s):
        if rng.random() < 0.03:
            return "WARN", "campaign WINTER26: segment newsletter resolved 0 members for customer, skipping", \
                {"logger_name": "c.s.promo.engine.SegmentResolver", "thread_name": "http-nio-8080-exec-%d" % rng.integers(1, 30)}
        return "INFO", "evaluated 14 rules", {"logger_name": "c.s.promo.engine.RuleEngine",
                                              "thread_name": "http-nio-8080-exec-%d" % rng.integers(1, 30),
                                              "duration_ms": int(rng.integers(2, 18))}

    b.emit("promotions", 2, promo_make)
    b.log(pdep + 4, "promotions", "INFO", "Commencing graceful shutdown. Waiting for active requests to complete",
          logger_name="o.s.b.w.e.tomcat.GracefulShutdown")
    b.log(pdep + 38, "promotions", "INFO", "Started PromotionsApplication in 27.4 seconds (process running for 29.1)",
          logger_name="c.s.promo.PromotionsApplication", version="7.12.0")
    b.log(pdep + 39, "promotions", "INFO", "loaded 3 campaigns (1 scheduled)", logger_name="c.s.promo.CampaignLoader")

    def tax_make(s):
        if rng.random() < 0.025:
            return "ERROR", "address validation failed: postal code '0000' invalid for country DE", \
                {"logger": "tax.address", "status": 422}
        return "INFO", "tax computed", {"logger": "tax.api", "country": b.pick(["DE", "FR", "NL", "AT", "PL"]),
                                        "lines": int(rng.integers(1, 9)), "ms": int(rng.integers(3, 40))}

    b.emit("tax-service", 2, tax_make)
    b.log(tdep + 6, "tax-service", "INFO", "Application startup complete.", logger="uvicorn.error", version="1.9.4")

    b.emit("cart-service", 3, lambda s: ("INFO", "item added", {"caller": "cart/handler.go:88",
                                                                "qty": int(rng.integers(1, 4)),
                                                                "took_ms": int(rng.integers(2, 25))}))

    b.expected = {"incident": True,
                  "findings": [{"service": "pricing", "category": "code_regression", "action": "rollback",
                                "keywords": ["TypeError"]}],
                  "forbidden_services": ["promotions", "tax-service"]}
    b.write()


# ===========================================================================
# Case 5: quiet afternoon, one self-healing 2-minute network blip
# ===========================================================================

DOCS_BEFORE = """\
---
title: Webhooks
sidebar_position: 4
---

# Webhooks

Shopwell sends a `POST` request to your endpoint for each subscribed event.

## Retries

Failed deliveries are retried with exponential backoff for up to 24 hours.

## Verifying signatures

Each request carries a `Shopwell-Signature` header. Compute an HMAC-SHA256 of
the raw body with your endpoint secret and compare it in constant time.
"""

DOCS_AFTER = """\
---
title: Webhooks
sidebar_position: 4
---

# Webhooks

Shopwell sends a `POST` request to your endpoint for each subscribed event.
Respond with any `2xx` status within 10 seconds to acknowledge the delivery.

## Retries

Failed deliveries are retried with exponential backoff for up to 24 hours
(8 attempts). After the last attempt the event is marked as failed in the
dashboard and can be replayed manually.

## Verifying signatures

Each request carries a `Shopwell-Signature` header. Compute an HMAC-SHA256 of
the raw body with your endpoint secret and compare it in constant time.
See the [Node.js example](./examples/verify-signature.md).
"""


def case5():
    b = Bundle("c-afternoon-20260312", "2026-03-12T13:00:00Z", 4.0,
               "Storefront platform, edge Envoy and backing services, 2026-03-12 13:00-17:00 UTC.",
               seed=20260312)
    rng = b.rng
    tb = b.sec("15:21:40")
    te = tb + 120
    ddep = b.sec("14:08:30")

    def curve(t):
        return 1 + 0.12 * np.sin(2 * np.pi * (np.asarray(t) - 3600) / 30000)

    def blip(t, peak):
        t = np.asarray(t, dtype=float)
        x = np.clip((t - tb) / 120.0, 0, 1)
        shape = np.where((t >= tb) & (t < te), np.sin(np.pi * x) ** 0.5, 0)
        return 1 + (peak - 1) * shape

    t15 = b.grid(15, 4)
    rpm = 3000 * curve(t15)
    b.metric("envoy_http_downstream_rq_total", "edge-envoy", t15, b.counter(t15, rpm / 60, start=1_208_447_310), 0,
             kind="counter", description="edge Envoy downstream requests")
    r5 = 0.5 / 60 + np.where((t15 >= tb) & (t15 < te + 15), 14 / 135, 0)
    b.metric("envoy_cluster_upstream_rq_5xx_total", "edge-envoy", t15, b.counter(t15, r5, start=88_102), 0,
             description="edge Envoy upstream 5xx, all clusters")
    b.metric("envoy_http_downstream_rq_time_p99_seconds", "edge-envoy", t15,
             0.19 * curve(t15) * b.ln(len(t15), 0.07) * blip(t15, 3.4), 4, unit="s")
    t15o = b.grid(15, 8)
    b.metric("orders_api_http_request_duration_p99_seconds", "orders-api", t15o,
             0.16 * b.ln(len(t15o), 0.08) * blip(t15o, 2.5), 4, unit="s")
    b.metric("nodejs_eventloop_lag_p99_seconds", "orders-api", t15o, 0.008 * b.ln(len(t15o), 0.2), 5, unit="s")

    t60a = b.grid(60, 12)
    logins = rng.poisson(120 * curve(t60a))
    ok = rng.binomial(logins, 0.94)
    b.metric("accountsService.loginSuccessRatio", "accounts-service", t60a, ok / np.maximum(logins, 1), 4,
             unit="ratio", bad_when="falls", description="successful logins / login attempts")
    b.metric("accounts.session.active", "accounts-service", t60a,
             (48000 + 6000 * t60a / b.dur) * (1 + rng.normal(0, 0.004, len(t60a))), 0)

    gc_t = b.sec("14:41:15")
    t15s = b.grid(15, 11)
    gcp = 0.022 * b.ln(len(t15s), 0.35)
    hit = np.argmin(np.abs(t15s - gc_t))
    gcp[hit] = 0.382
    b.metric("jvm_gc_pause_seconds_max", "search-api", t15s, gcp, 4, unit="s")
    sp = 0.14 * b.ln(len(t15s), 0.07)
    sp[hit] = 0.52
    b.metric("search_api_request_duration_p95_seconds", "search-api", t15s, sp, 4, unit="s")

    t60m = b.grid(60, 30)
    q = np.zeros(len(t60m))
    depth = 40.0
    for i, ti in enumerate(t60m):
        depth += rng.poisson(60)
        if any(0 <= ti - b.sec(h) < 60 for h in ("14:00:00", "16:00:00")):
            depth += 1200
        depth = max(0.0, depth - rng.uniform(90, 125))
        q[i] = depth
    b.metric("media_worker_queue_depth", "media-worker", t60m, q, 0, description="pending transcode jobs")

    t60p = b.grid(60, 3)
    free = 412e9 - 0.45e9 * t60p / 3600 + rng.normal(0, 5e7, len(t60p))
    free += np.where(t60p > b.sec("15:40:00"), 1.6e9, 0)  # WAL segments recycled after checkpoint
    b.metric("node_filesystem_avail_bytes", "postgres", t60p, free, 0, unit="bytes", bad_when="falls",
             description="mountpoint=/var/lib/postgresql")
    pg = 45 + rng.normal(0, 3, len(t60p)) + np.where((t60p >= tb) & (t60p < te + 30), 6, 0)
    b.metric("pg_stat_activity_count", "postgres", t60p, pg, 0)

    t60d = b.grid(60, 50)
    of = 30 * b.ln(len(t60d), 0.2) + np.where(t60d > ddep, 900 * np.exp(-np.clip(t60d - ddep, 0, None) / 150), 0)
    b.metric("docs.cdn.origin_fetches", "docs-site", t60d, of, 0, description="CDN cache misses fetched from origin per minute")

    b.deploy("docs-site", "2026.03.12-1", "b5c0e42", "14:08:30", "netlify-bot", "docs-site 2026.03.12-1",
             patch_header("b5c0e42", "Hannah Lee", "hannah.lee@shopwell.example",
                          "Thu, 12 Mar 2026 13:51:07 +0000", "docs(webhooks): document ack timeout and retry count")
             + file_diff("docs/guides/webhooks.md", DOCS_BEFORE, DOCS_AFTER, "7e21c0b..4d9a8f3"))

    # ---- logs ------------------------------------------------------------------
    routes = [("GET", "/api/orders?page=1", "orders_api", "10.42.2"), ("GET", "/api/orders/SW-%08d", "orders_api", "10.42.2"),
              ("POST", "/api/session", "accounts_service", "10.42.5"), ("GET", "/api/search?q=%s", "search_api", "10.42.7"),
              ("GET", "/api/account/me", "accounts_service", "10.42.5"), ("POST", "/api/orders", "orders_api", "10.42.2")]

    def edge_make(s):
        m, path, cl, net = b.pick(routes, [3, 2, 1, 3, 2, 1])
        if "%08d" in path:
            path = path % rng.integers(1e7, 1e8)
        elif "%s" in path:
            path = path % b.pick(["linen+shirt", "running+shoes", "desk+lamp", "rain+jacket"])
        st = 200 if rng.random() > 0.012 else b.pick([400, 401, 404, 409])
        d = int((20 + rng.gamma(2, 25)) * float(blip(s, 3.0)))
        return "INFO", envoy_line(b, s, m, path, st, "-", int(rng.integers(0, 1500)), int(rng.integers(200, 9000)),
                                  d, d - 1, client_ip(b), b.pick(BROWSER_UAS), "www.shopwell.example",
                                  f"{net}.{rng.integers(10, 60)}:8080"), \
            {"source": "envoy-access", "cluster": cl, "status": st}

    b.emit("edge-envoy", 20, edge_make)
    for s in np.sort(rng.uniform(tb + 5, te - 5, 13)):
        m, path, cl, net = b.pick(routes[:3] + routes[4:], [3, 2, 1, 2, 1])
        if "%08d" in path:
            path = path % rng.integers(1e7, 1e8)
        line = envoy_line(b, s, m, path, 503, "UF", 0, 91, int(rng.integers(1000, 1100)), "-", client_ip(b),
                          b.pick(BROWSER_UAS), "www.shopwell.example", f"{net}.{rng.integers(10, 60)}:8080")
        b.log(s, "edge-envoy", "WARN", line + ' "upstream connect error or disconnect/reset before headers. '
              'reset reason: connection timeout"', source="envoy-access", cluster=cl, status=503,
              response_flags="UF")

    op = ["orders-api-6c7f9d8b4-%s" % x for x in ("b2m7q", "f9x1c", "k4r8v")]

    def orders_make(s):
        if rng.random() < 0.01:
            return "ERROR", "order export to ERP failed: 409 Conflict (duplicate external id), will retry in 300s", \
                {"pid": 1, "hostname": b.pick(op), "orderId": "SW-%08d" % rng.integers(1e7, 1e8), "msg": "erp export failed"}
        return "INFO", "request completed", {"pid": 1, "hostname": b.pick(op), "route": b.pick(["GET /api/orders", "GET /api/orders/:id", "POST /api/orders"]),
                                             "statusCode": 200, "responseTime": round(float(15 + rng.gamma(2, 15)), 1),
                                             "msg": "request completed"}

    b.emit("orders-api", 4, orders_make)
    for s in np.sort(rng.uniform(tb + 10, te - 10, 4)):
        b.log(s, "orders-api", "WARN", f"pg pool: acquiring a client took {rng.integers(1100, 1900)}ms", pid=1,
              hostname=b.pick(op), pool="orders", waiting=int(rng.integers(3, 11)), msg="slow pool acquire")

    def acc_make(s):
        if rng.random() < 0.3:
            return "INFO", "login failed: invalid credentials", {"pid": 1, "reason": "bad_password",
                                                                  "msg": "login failed"}
        return "INFO", "login succeeded", {"pid": 1, "mfa": bool(rng.random() < 0.2), "msg": "login succeeded"}

    b.emit("accounts-service", 3, acc_make)
    for s in np.sort(rng.uniform(tb + 15, te - 20, 3)):
        b.log(s, "accounts-service", "WARN", "redis command timed out after 1000ms (GET sess:%s), retrying" % b.hexid(12),
              pid=1, msg="redis timeout")
    for k in range(3):
        b.log(b.sec("16:31:02") + 7 * k + rng.uniform(0, 2), "accounts-service", "ERROR",
              "password reset email not sent: SMTP 421 4.7.0 Try again later (smtp.mailrelay.example)",
              pid=1, msg="smtp send failed")

    def media_make(s):
        if rng.random() < 0.02:
            return "ERROR", ("transcode failed for upload %s\nTraceback (most recent call last):\n"
                             "  File \"/app/media/worker.py\", line 88, in handle\n    out = transcode(src, profile)\n"
                             "  File \"/app/media/ffmpeg.py\", line 41, in transcode\n    raise UnsupportedCodec(codec)\n"
                             "media.ffmpeg.UnsupportedCodec: hevc (profile=Main 10)" % b.hexid(12)), {"logger": "media.worker"}
        return "INFO", "job done", {"logger": "media.worker", "kind": b.pick(["thumbnail", "webp", "transcode"]),
                                    "ms": int(rng.gamma(2, 400))}

    b.emit("media-worker", lambda s: 4 + 20 * float(np.interp(s, t60m, q) > 200), media_make)

    def search_make(s):
        if rng.random() < 0.04:
            return "WARN", f"slow query ({rng.integers(800, 1500)}ms): q=\"{b.pick(['shoes', 'lamp', 'jacket'])}\" facets=5", \
                {"logger_name": "c.s.search.QueryService"}
        return "INFO", "query served", {"logger_name": "c.s.search.QueryService", "took_ms": int(rng.gamma(2, 25))}

    b.emit("search-api", 2, search_make)
    b.log(gc_t - 0.4, "search-api", "INFO",
          "[gc] GC(4187) Pause Young (Mixed) (G1 Evacuation Pause) 1450M->612M(2048M) 382.114ms",
          logger_name="gc", source="jvm-gc-log")
    for k in range(0, int(b.dur // 60), 5):
        b.log(k * 60 + 44.1, "postgres", "INFO",
              "LOG:  checkpoint complete: wrote %d buffers (%.1f%%); 0 WAL file(s) added, 0 removed, %d recycled; "
              "write=26.9 s, sync=0.003 s, total=27.0 s" % (rng.integers(700, 2500), rng.uniform(0.4, 1.8),
                                                              rng.integers(1, 4)), source="postgres")
    b.emit("postgres", 0.05, lambda s: ("INFO", "LOG:  automatic vacuum of table \"orders.public.order_events\": "
                                        "index scans: 1", {"source": "postgres"}))
    b.log(ddep + 2, "docs-site", "INFO", "build 2026.03.12-1 published to s3://docs-site-prod (1284 objects)",
          source="deploy")
    b.log(ddep + 5, "docs-site", "INFO", "CDN invalidation I2X7Q9K3M created for /*", source="deploy")
    b.log(ddep + 96, "docs-site", "INFO", "CDN invalidation I2X7Q9K3M completed", source="deploy")

    b.expected = {"incident": False, "findings": [], "forbidden_services": ["docs-site"]}
    b.write()


def main():
    case1()
    case2()
    case3()
    case4()
    case5()


if __name__ == "__main__":
    main()
