"""The investigation on incidents nobody here wrote: generated variants, the service map,
stack frames on changed lines, counters, metric meaning, and reports that do not depend on
the hash seed."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from evals.cases import bundle_cases
from evals.generator import CATEGORIES, generate, generate_suite
from evals.suite import run_suite
from evidence.frames import changed_lines, frames, match
from evidence.graph import build_map
from semantics import is_counter, is_memory, is_request_rate
from sources.counters import with_rates
from sources.telemetry import LogTable, MetricInfo, Series, TelemetryStore
from tests.helpers import ROOT, _c

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("seed", [5, pytest.param(6, marks=pytest.mark.slow)])
def test_one_generated_incident_per_category_is_right(tmp_path, seed):
    """Ground truth from the generator, scored by the spec's rules, every category."""
    cases = bundle_cases(generate_suite(1, seed, tmp_path), [])
    assert len(cases) == len(CATEGORIES)
    run = run_suite(cases, "offline")
    failed = {r.name: r.error or r.score.explain() for r in run.results if not r.passed}
    assert not failed


def test_the_report_does_not_depend_on_the_hash_seed(tmp_path):
    bundle = generate("dependency_failure", 11, tmp_path / "b")
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"out{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env.pop("OPENROUTER_API_KEY", None)
        run = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--bundle", str(bundle), "--output-dir", out],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] and outputs[0] == outputs[1]


def _table(rows):
    return LogTable.from_rows(
        [(T0 + timedelta(seconds=s), svc, level, msg) for s, svc, level, msg in rows]
    )


def test_the_service_map_leads_from_the_callers_to_the_expired_certificate():
    cert = "tls: failed to verify certificate: x509: certificate has expired"
    rows = [(s, "api", "INFO", "GET / 200") for s in range(-3000, 0, 60)]
    rows += [(s, "search", "INFO", "query ok") for s in range(-3000, 0, 60)]
    rows += [
        (s, "search", "ERROR", f"call to identity:443 failed: {cert}") for s in range(30, 900, 30)
    ]  # noqa: E501
    rows += [(s, "api", "ERROR", "upstream search returned 503") for s in range(40, 900, 30)]
    onsets = {"api": T0, "search": T0, "identity": None}
    graph = build_map(_table(rows), onsets, T0, T0 + timedelta(minutes=15))
    identity = graph.get("identity")
    assert identity is not None and identity.mechanism == "certificate"
    assert graph.get("api").root == "identity" and graph.get("search").root == "identity"
    assert identity.root == "identity"


def test_a_healthy_dependency_that_times_out_is_not_blamed():
    """Timeouts from a dependency that is fine inside: the caller's own change (a client
    timeout cut by its config) is the cause, not the dependency."""
    rows = [(s, "ledger", "INFO", "ok") for s in range(-3000, 900, 60)]
    rows += [
        (s, "api", "ERROR", "call to ledger:8080 timed out after 50ms") for s in range(30, 900, 20)
    ]  # noqa: E501
    graph = build_map(_table(rows), {"api": T0, "ledger": None}, T0, T0 + timedelta(minutes=15))
    assert graph.get("api").root == "api"


def test_a_probed_host_and_a_proxys_cluster_join_the_map_and_stray_lines_do_not_date_it():
    """The metrics' declarations say what logs cannot: the vendor host a blackbox probe
    targets is that probe's service, and an edge proxy's upstream cluster is what it calls.
    A stray timeout minutes before does not date the outage."""
    from evidence.graph import declared_links

    metrics = {
        "payment_provider_probe_duration_seconds": MetricInfo(
            "payment_provider_probe_duration_seconds",
            "payment-provider",
            "s",
            "blackbox probe https://api.payprovider.example/v2/health",
        ),
        "envoy_cluster_upstream_rq_5xx_total": MetricInfo(
            "envoy_cluster_upstream_rq_5xx_total", "edge", None, "edge Envoy, cluster=checkout_api"
        ),
        # A caller describing what it calls is no probe: its host stays the caller's peer.
        "checkout_calls": MetricInfo(
            "checkout_calls", "checkout-api", None, "calls to https://tax.example/v1"
        ),
    }
    declared = declared_links(metrics)
    assert declared == (
        {"api.payprovider.example": "payment-provider"},
        {"edge": {"checkout-api"}},
    )
    timeout = "ReadTimeout: POST https://api.payprovider.example/v2/charges timed out after 8000ms"
    rows = [(s, "checkout-api", "INFO", "ok") for s in range(-3600, 900, 60)]
    rows += [(-290, "checkout-api", "ERROR", timeout)]  # a stray one, within the map's lead
    rows += [(s, "checkout-api", "ERROR", timeout) for s in range(30, 900, 15)]
    rows += [(s, "edge", "WARN", '"POST /api/checkout HTTP/1.1" 503') for s in range(40, 900, 15)]
    onsets = {"checkout-api": T0, "edge": T0, "payment-provider": T0}
    graph = build_map(_table(rows), onsets, T0, T0 + timedelta(minutes=15), declared=declared)
    checkout = graph.get("checkout-api")
    assert checkout.calls == {"payment-provider": 59}
    assert checkout.first_call_error["payment-provider"] == T0 + timedelta(seconds=30)
    assert graph.get("edge").root == "payment-provider"
    assert graph.get("payment-provider").example.startswith("12:00:30Z checkout-api")


DIFF = """\
diff --git a/DiscountService.java b/DiscountService.java
--- a/src/main/java/com/acme/pricing/DiscountService.java
+++ b/src/main/java/com/acme/pricing/DiscountService.java
@@ -27,7 +27,8 @@
     }
 
     Region regionOf(HttpServletRequest request) {
-        String region = request.getHeader("X-Region");
+        String zone = request.getHeader("X-Zone");
+        String region = zone.split("/")[1];
         return Region.parse(region);
     }
"""


def test_a_stack_frame_on_a_changed_line_names_the_deploy():
    trace = (
        'level=error msg="threw exception\\njava.lang.ArrayIndexOutOfBoundsException: Index 1\\n'
        '\\tat com.acme.pricing.DiscountService.regionOf(DiscountService.java:31)\\n"'
    )
    assert changed_lines(DIFF)["src/main/java/com/acme/pricing/DiscountService.java"][31] == (
        'String region = zone.split("/")[1];'
    )
    [m] = match([trace], {"a2d01db": DIFF, "other": "+++ b/README.md\n@@ -1 +1 @@\n+x\n"})
    assert (m.commit, m.frame.line, m.exception) == (
        "a2d01db",
        31,
        "java.lang.ArrayIndexOutOfBoundsException",
    )
    assert match([trace.replace(":31)", ":90)")], {"a2d01db": DIFF}) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ('  File "/app/pricing/calc.py", line 25, in total_for\n', ("/app/pricing/calc.py", 25)),
        (
            "goroutine 1 [running]:\nmain.handler()\n\t/src/api/handler.go:42 +0x1d",
            ("/src/api/handler.go", 42),
        ),  # noqa: E501
        ("    at render (/app/src/view.js:17:9)", ("/app/src/view.js", 17)),
    ],
)
def test_stack_frames_of_other_languages(text, expected):
    assert (frames(text)[0].file, frames(text)[0].line) == expected


def test_a_counter_is_read_through_its_rate_across_a_reset():
    t = np.datetime64("2026-05-01T12:00:00", "ms") + np.arange(6) * np.timedelta64(10_000, "ms")
    v = np.array([100.0, 150.0, 200.0, 10.0, 60.0, 110.0])  # restarted after the third point
    info = MetricInfo("http_requests_total", "api")
    store = TelemetryStore("c", {info.name: info}, {info.name: Series(info, t, v)})
    rated = with_rates(store).series(info.name)
    assert rated.info.kind == "counter" and rated.info.unit == "/s"
    assert rated.values.tolist() == [5.0, 5.0, 1.0, 5.0, 5.0]
    assert not is_counter("heap_used_bytes", np.linspace(1, 9, 20))  # a leak is no counter


@pytest.mark.parametrize(
    "metric, unit, memory, requests",
    [
        ("memcached_items_current", None, False, False),
        ("membership_changes", None, False, False),
        ("jvm_buffer_memory_used_bytes", "bytes", True, False),
        ("container_cpu_usage_seconds_total", "seconds/s", False, False),
        ("http_server_duration_milliseconds_count", "requests/s", False, True),
        ("http_requests_total", "/s", False, True),
        ("queue_depth", None, False, False),
    ],
)
def test_metric_meaning_by_whole_words(metric, unit, memory, requests):
    c = _c(metric, unit=unit)
    assert (is_memory(c), is_request_rate(c)) == (memory, requests)


def test_a_firing_alert_is_an_anomaly_of_its_service_when_the_trigger_is_quiet(tmp_path):
    from agents.llm import choose
    from pipeline.investigate import Investigation, run_investigation
    from sinks.files import LocalFiles
    from sources.live.alerts import Alert

    rng = np.random.default_rng(4)
    t = np.datetime64("2026-05-01T11:00:00", "ms") + np.arange(360) * np.timedelta64(10_000, "ms")
    info = MetricInfo("checkout_latency_p99", "checkout", "ms")
    quiet = Series(info, t, 200 + 5 * rng.standard_normal(360))
    store = TelemetryStore("quiet", {info.name: info}, {info.name: quiet})
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    alert = Alert(
        "CheckoutSlow", "f1", "firing", now - timedelta(minutes=20), None, "checkout", {}, {}
    )
    choice = choose("offline", {})
    assert asyncio.run(run_investigation(Investigation(store, now, choice), [])) is None
    delivery = asyncio.run(
        run_investigation(
            Investigation(store, now, choice, (alert,), {"alerts": [alert.record()]}),
            [LocalFiles(tmp_path)],
        )
    )
    report = delivery.report
    assert [a.service for a in report.anomalies] == ["checkout"]
    assert report.sources == {"alerts": [alert.record()]}


def test_a_service_with_hundreds_of_metrics_is_investigated_within_the_limits(tmp_path):
    from agents.llm import choose
    from pipeline.investigate import Investigation, run_investigation
    from sinks.files import LocalFiles

    rng = np.random.default_rng(2)
    t = np.datetime64("2026-05-01T11:00:00", "ms") + np.arange(240) * np.timedelta64(30_000, "ms")
    infos, series = {}, {}
    for i in range(400):
        info = MetricInfo(f"app_stage_{i}_seconds", "api", "s")
        v = 1 + 0.05 * rng.standard_normal(240)
        if i % 20 == 0:  # twenty of them jump four-fold for the last hour
            v[120:] *= 4
        infos[info.name], series[info.name] = info, Series(info, t, v)
    store = TelemetryStore("wide", infos, series)
    now = datetime(2026, 5, 1, 13, 0, tzinfo=UTC)
    inv = Investigation(store, now, choose("offline", {}))
    report = asyncio.run(run_investigation(inv, [LocalFiles(tmp_path)])).report
    assert report.status == "complete"
    assert [(f.service, f.category, f.action) for f in report.findings] == [
        ("api", "unknown", "escalate")
    ]
    assert "anomalous metrics to fire" in report.metrics_summary


def _tenant_logs(bundle, services: int) -> None:
    """`services` more log-only services, one line each, every 50th an ERROR."""
    import json

    lines = (bundle / "logs.jsonl").read_text().splitlines()
    times = [json.loads(line)["timestamp"] for line in lines]
    extra = [
        json.dumps(
            {
                "timestamp": times[i * 7919 % len(times)],
                "service": f"tenant-{i:06d}-worker",
                "level": "ERROR" if i % 50 == 0 else "INFO",
                "message": f"job {i} " + ("failed: upstream refused" if i % 50 == 0 else "done"),
            }
        )
        for i in range(services)
    ]
    (bundle / "logs.jsonl").write_text("\n".join(extra + lines) + "\n")


def test_the_report_states_the_scale_limits_it_applied(tmp_path, now):
    """Past the limits the evidence is ranked and counted, and the report says so."""
    import scenarios
    from sinks.markdown import render_markdown
    from sources.bundle import export_bundle, load_bundle
    from tests.helpers import investigate

    store, expected = scenarios.get("checkout-config-bug").build(now, 42)
    export_bundle(store, tmp_path / "b", expected)
    _tenant_logs(tmp_path / "b", 1500)
    report = investigate(load_bundle(tmp_path / "b"), now, tmp_path / "out")
    assert [(f.service, f.category) for f in report.findings] == [
        ("checkout-service", "config_change")
    ]
    assert report.limits[0].startswith("1,506 services write logs: the service map holds the 2 ")
    assert report.limits[1].startswith("32 services logged errors: the log tables list the 20 ")
    assert len(report.log_summary.error_counts) <= 20
    assert "## Limits" in render_markdown(report)
    plain = investigate(store, now, tmp_path / "plain")  # within the limits: nothing to say
    assert plain.limits == [] and "## Limits" not in render_markdown(plain)


@pytest.mark.slow
def test_a_hundred_thousand_log_services_are_investigated_within_the_limits(tmp_path, now):
    """The real CLI on 100k log-only services: the right finding, a report of readable size."""
    import scenarios
    from sources.bundle import export_bundle
    from tests.helpers import cli, reports

    store, expected = scenarios.get("checkout-config-bug").build(now, 42)
    export_bundle(store, tmp_path / "b", expected)
    _tenant_logs(tmp_path / "b", 100_000)
    run = cli(tmp_path, "--bundle", "b", "--output-dir", "out", "--model", "offline")
    assert run.returncode == 0, run.stderr[-2000:]
    (md,) = [p for p in reports(tmp_path / "out") if p.suffix == ".md"]
    text = md.read_text()
    assert "checkout-service: configuration change, roll back" in text
    assert "100,006 services write logs" in text and "2,002 services logged errors" in text
    assert len(text.splitlines()) < 300  # ranked and counted, not 100k rows


def test_a_version_that_reads_like_a_command_does_not_block_the_rollback(tmp_path, now):
    """The destructive-step filter judges what a step proposes, not the names it quotes."""
    from dataclasses import replace

    import scenarios
    from tests.helpers import investigate

    store, _ = scenarios.get("checkout-config-bug").build(now, 3)
    hostile = [
        replace(d, version="v2.4.1; rm -rf /") if d.service == "checkout-service" else d
        for d in store.deploy_events
    ]
    report = investigate(replace(store, deploy_events=hostile), now, tmp_path)
    assert report.status == "complete"
    assert [(f.service, f.action) for f in report.findings] == [("checkout-service", "rollback")]
    assert any("rm -rf" in step for step in report.remediation_steps)  # quoted, as data


def _anomaly(metric, start_min, end_min):
    from models import MetricAnomaly

    return MetricAnomaly(
        metric=metric,
        service="svc",
        value=2.0,
        threshold=1.0,
        timestamp=T0 + timedelta(minutes=start_min),
        baseline_mean=0.5,
        baseline_std=0.2,
        episode_end=T0 + timedelta(minutes=end_min),
    )


@pytest.mark.parametrize(
    "anomalies, starts_at",
    [
        # The morning ramp (requests, and the CPU they take) two hours before a certificate
        # expired, and a rollout's five-minute blip: the incident starts when requests failed.
        (
            [
                _anomaly("http_requests_total", 0, 240),
                _anomaly("process_cpu_usage", 5, 200),
                _anomaly("recs_latency_p99_seconds", 100, 105),
                _anomaly("http_5xx_total", 120, 150),
                _anomaly("http_latency_p99_seconds", 120, 150),
            ],
            120,
        ),
        # A surge: load first, latency three minutes later: the surge starts it.
        (
            [_anomaly("http_requests_total", 0, 60), _anomaly("http_latency_p99_seconds", 3, 60)],
            0,
        ),
        # A leak: memory climbs for 40 minutes before the OOM errors; memory is no load.
        ([_anomaly("heap_used_bytes", 0, 60), _anomaly("http_5xx_total", 40, 60)], 0),
    ],
)
def test_the_incident_starts_with_what_hurt_not_with_the_morning_load(anomalies, starts_at):
    from agents.deps import _Named, incident_onset
    from semantics import is_work

    load = {a.metric for a in anomalies if is_work(_Named(a.metric, "/s"))}
    assert incident_onset(anomalies, 300, load) == T0 + timedelta(minutes=starts_at)
