"""The offline rules on shapes the built-in scenarios lack: late deploys, slow ramps, resets."""

from datetime import timedelta

import numpy as np
import pytest

from evidence.deploys import DeployView
from evidence.kinds import resource
from evidence.logs import Signature
from evidence.metrics import compare
from models import Finding
from offline import rules
from offline.draft import collapse_symptoms, draft
from sources.telemetry import MetricInfo, Series
from tests.helpers import T0, _c, _logs
from triggers import WindowTrigger


def _deploy(at, service="svc", version="v2"):
    """A deploy `at` minutes after T0 (negative: before it)."""
    return DeployView(
        service=service,
        version=version,
        commit=f"c{version}",
        deployed_at=T0 + timedelta(minutes=at),
        author=None,
        description="release",
        minutes_before_onset=-at,
        has_diff=False,
    )


MORNING_RAMP = _c("http_requests_per_second", "ramp", "req/s", ratio=2.7, rise=102)
CPU_FOLLOWS = _c("container_cpu_usage_ratio", "ramp", "ratio", ratio=2.3, rise=73, after_max=0.6)
FAST_SURGE = _c("ingress_requests_per_second", "level_shift", "req/s", ratio=3.2, rise=10)
LATENCY_UP = _c("http_request_duration_seconds_p99", unit="s", ratio=5.0)
REJECTED = _c("http_requests_429_per_second", "spike", "req/s", ratio=1400)


@pytest.mark.parametrize(
    "service_onset, comparisons, logs, deploys, expected",
    [
        # A morning ramp moved the request rate hours before a deploy broke the service: the
        # deploy is timed against the error onset, not the ramp.
        (
            0,
            [
                _c("search_hits", "ramp", "hits/min", ratio=2.1, rise=108),
                _c("search_errors", "ramp", "errors/min", ratio=187, at=111),
            ],
            _logs({"exception": 900}),
            [_deploy(-40, version="v1"), _deploy(109, version="v4.18.0")],
            ("code_regression", "rollback", "v4.18.0"),
        ),
        # The same deploy 40 min before the error onset is too early to blame.
        (
            0,
            [
                _c("search_hits", "ramp", "hits/min", ratio=2.1, rise=108),
                _c("search_errors", "ramp", "errors/min", ratio=187, at=111),
            ],
            _logs({"exception": 900}),
            [_deploy(71, version="v4.18.0")],
            ("unknown", "escalate", None),
        ),
        # A deploy after every onset is not the cause either.
        (0, [LATENCY_UP], _logs({"exception": 9}), [_deploy(5)], ("unknown", "escalate", None)),
        # A normal diurnal ramp: load and CPU climb for hours, latency and errors stay flat.
        (0, [MORNING_RAMP, CPU_FOLLOWS], _logs(errors_after=0), [], None),
        # A fast jump in load with nothing hurting is not an incident either.
        (0, [FAST_SURGE], _logs(errors_after=0), [], None),
        # A fast jump with latency following, rate limiting kicking in: a surge.
        (0, [FAST_SURGE, LATENCY_UP, REJECTED], _logs(), [], ("traffic_surge", "scale_out", None)),
        # Load doubled but errors grew a hundredfold: something broke, it is not the load.
        (
            0,
            [
                _c("api_requests_per_second", unit="req/s", ratio=2.0),
                _c("api_5xx_per_second", unit="req/s", ratio=150),
                LATENCY_UP,
            ],
            _logs(),
            [],
            ("unknown", "escalate", None),
        ),
    ],
)
def test_deploy_timing_and_surges(service_onset, comparisons, logs, deploys, expected):
    ev = rules.ServiceEvidence(
        service="svc",
        onset=T0 + timedelta(minutes=service_onset),
        comparisons=comparisons,
        logs=logs,
        deploys=deploys,
    )
    finding = rules.diagnose(ev)
    if expected is None:
        assert finding is None
        return
    category, action, version = expected
    assert (finding.category, finding.action) == (category, action)
    if version:
        assert version in finding.summary


def _series(values, name="container_memory_working_set_bytes", unit="bytes", step=30):
    start = np.datetime64("2026-03-15T10:00:00", "ms")
    stamps = start + np.arange(len(values)) * np.timedelta64(step * 1000, "ms")
    return Series(MetricInfo(name, "svc", unit), stamps, np.asarray(values, dtype=float))


def test_a_climb_reset_by_an_oom_kill_is_a_ramp_not_a_spike():
    rng = np.random.default_rng(7)
    n = 480  # 4 h at 30 s: climbs from the first point to the limit, then the kill
    climb = np.linspace(4.2e8, 1.07e9, 430) + 2e6 * rng.standard_normal(430)
    after_kill = np.linspace(2.8e8, 3.4e8, n - 430) + 2e6 * rng.standard_normal(n - 430)
    c = compare(_series(np.concatenate([climb, after_kill])), WindowTrigger())
    assert (c.shape, c.sawtooth_drops, c.reset_after_peak) == ("ramp", 0, True)
    assert "reset after the peak" in c.note


def test_a_step_metric_has_a_finite_z():
    values = np.concatenate([np.full(200, 5.0), np.full(100, 9.0)])
    c = compare(_series(values, "kube_hpa_status_current_replicas", "replicas"), WindowTrigger())
    assert c.shape == "level_shift" and c.robust_z is not None and c.robust_z < 1e6


MEMORY_UP = _c("container_memory_working_set_bytes", "level_shift", "bytes", ratio=1.5)


@pytest.mark.parametrize(
    "comparisons, logs, expected",
    [
        # One OOM kill is decisive: the memory rise before it is the leak, whatever its shape.
        ([MEMORY_UP], _logs({"oom": 1}, errors_after=1), ("memory_leak", "restart")),
        # Killed for memory with a ramp reset by the kill.
        (
            [_c("rss_bytes", "ramp", "bytes", ratio=1.5, rise=85, reset_after_peak=True)],
            _logs({"oom": 1}, errors_after=1),
            ("memory_leak", "restart"),
        ),
        # Memory up a little with one unrelated error: nothing to say.
        ([MEMORY_UP], _logs({}, errors_after=1), None),
    ],
)
def test_oom_kills(comparisons, logs, expected):
    ev = rules.ServiceEvidence(service="svc", onset=T0, comparisons=comparisons, logs=logs)
    finding = rules.diagnose(ev)
    assert (finding.category, finding.action) == expected if expected else finding is None


def test_falling_headroom_is_a_drop_with_the_share_left():
    rng = np.random.default_rng(3)
    free = np.linspace(2.6e11, 0.95e11, 300) + 1e8 * rng.standard_normal(300)
    c = compare(_series(free, "node_filesystem_avail_bytes", "bytes", step=60), WindowTrigger())
    assert c.shape == "drop" and c.robust_z < 0 and c.after_max < c.baseline_median
    assert "headroom" in c.note and "lost" in c.note


def _free(left, metric="node_filesystem_avail_bytes"):
    return _c(metric, "drop", "bytes", ratio=0.6, z=-40, after_max=100 * left)


WATERMARK = _logs({"saturation": 17}, errors_after=0, warnings_after=17)


@pytest.mark.parametrize(
    "comparisons, logs, expected",
    [
        # Free disk down to 38% of its baseline, the logs say a disk watermark was exceeded.
        # More replicas free no disk: the action is to escalate (free space, stop the writer).
        ([_free(0.38)], WATERMARK, ("resource_saturation", "escalate")),
        # Down to 2%: gone, whatever the logs say.
        ([_free(0.02)], _logs(errors_after=0), ("resource_saturation", "escalate")),
        # Down to 70% with nothing in the logs: normal use.
        ([_free(0.7)], _logs(errors_after=0), None),
    ],
)
def test_headroom_exhausted(comparisons, logs, expected):
    ev = rules.ServiceEvidence(service="svc", onset=T0, comparisons=comparisons, logs=logs)
    finding = rules.diagnose(ev)
    assert (finding.category, finding.action) == expected if expected else finding is None
    if finding:
        assert "disk" in finding.summary


BLOCKED = _logs({"saturation": 600}).model_copy(
    update={
        "new_signatures": [
            Signature(
                signature="write blocked: disk usage exceeded flood-stage watermark",
                level="ERROR",
                count=600,
                services=["ingest"],
                first_seen=T0,
                last_seen=T0,
                tags=["saturation"],
                sample="write blocked: disk usage exceeded flood-stage watermark",
            )
        ]
    }
)


def _finding(service, category, summary="x"):
    action = {"unknown": "escalate", "dependency_failure": "failover"}.get(category, "scale_out")
    return Finding(
        service=service,
        category=category,
        action=action,
        summary=summary,
        evidence=["e"],
        confidence=0.5,
    )


def _ev(service, minutes, comparisons=(), logs=None):
    return rules.ServiceEvidence(
        service=service,
        onset=T0 + timedelta(minutes=minutes),
        comparisons=list(comparisons),
        logs=logs,
    )


@pytest.mark.parametrize(
    "findings, evidence, kept",
    [
        # A caller's log-only disk shortage after the store's own disk filled: a knock-on.
        (
            [_finding("store", "resource_saturation"), _finding("ingest", "resource_saturation")],
            {
                "store": _ev("store", 0, [_free(0.38)], WATERMARK),
                "ingest": _ev("ingest", 240, [], BLOCKED),
            },
            ["store"],
        ),
        # An unexplained change next to a concrete root cause is folded into it.
        (
            [_finding("api", "unknown"), _finding("store", "resource_saturation")],
            {"api": _ev("api", 10), "store": _ev("store", 0, [_free(0.02)])},
            ["store"],
        ),
        # Alone, an unknown finding stays.
        ([_finding("api", "unknown")], {"api": _ev("api", 0)}, ["api"]),
    ],
)
def test_symptoms_fold_into_their_cause(findings, evidence, kept):
    result = collapse_symptoms(findings, evidence)
    assert [f.service for f in result] == kept
    if len(findings) > len(kept):
        assert any(e.startswith("knock-on") for e in result[0].evidence)


def test_a_rising_floor_under_a_gc_sawtooth_is_seen():
    rng = np.random.default_rng(5)
    t = np.arange(480)
    floor = np.linspace(0.45e9, 1.9e9, 480)
    sawtooth = floor + 0.25e9 * ((t % 20) / 20) + 1e7 * rng.standard_normal(480)
    c = compare(_series(sawtooth, "jvm_memory_used_bytes_heap"), WindowTrigger())
    assert c.floor_rising and c.floor_end / c.floor_start > 3
    flat = 0.45e9 + 0.25e9 * ((t % 20) / 20) + 1e7 * rng.standard_normal(480)
    assert not compare(_series(flat, "jvm_memory_used_bytes_heap"), WindowTrigger()).floor_rising


HEAP_FLOOR = _c(
    "jvm_memory_used_bytes_heap",
    "noise",
    "bytes",
    ratio=1.0,
    z=0.5,
    sustained=False,
    sawtooth_drops=20,
    floor_start=0.45e9,
    floor_end=1.9e9,
    floor_rising=True,
)
GC_PAUSES = _c("jvm_gc_pause_seconds_max", "spike", "s", ratio=15)


@pytest.mark.parametrize(
    "comparisons, context, logs, expected",
    [
        # GC pauses up, the heap barely fired, but its floor climbs and the JVM complains.
        ([GC_PAUSES], [HEAP_FLOOR], _logs({"gc_pressure": 10}), ("memory_leak", "restart")),
        # The same floor with OutOfMemoryError and no GC warnings.
        ([GC_PAUSES], [HEAP_FLOOR], _logs({"oom": 2}), ("memory_leak", "restart")),
        # A rising floor with nothing in the logs is not enough (a cache warming up).
        ([GC_PAUSES], [HEAP_FLOOR], _logs({}, errors_after=0), None),
    ],
)
def test_rising_gc_floor(comparisons, context, logs, expected):
    ev = rules.ServiceEvidence(
        service="svc", onset=T0, comparisons=comparisons, logs=logs, context_comparisons=context
    )
    finding = rules.diagnose(ev)
    assert (finding.category, finding.action) == expected if expected else finding is None
    if finding:
        assert "heap" in finding.summary and any("floor" in e for e in finding.evidence)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("renderPool saturated: 64/64 busy, queueing request", "threads"),
        ("worker pool full, rejecting task", "threads"),
        ("HikariPool-1 - Connection is not available, request timed out", "connections"),
        ("connection pool exhausted", "connections"),
    ],
)
def test_thread_pools_are_threads_not_connections(text, kind):
    assert resource([text]) == kind


def test_a_failing_dependency_is_affected():
    logs = _logs({"dependency": 30}).model_copy(update={"dependencies_named": {"ledger-db": 30}})
    ev = rules.ServiceEvidence(
        service="svc", onset=T0, comparisons=[_c("errors", ratio=20)], logs=logs
    )
    report = draft([ev], [], [], T0)
    assert [f.category for f in report.findings] == ["dependency_failure"]
    assert report.affected_services == ["svc", "ledger-db"]


WARM_UP = _c("http_p99_seconds", "spike", "s", ratio=1.7, z=9, lasted_minutes=5.0)
SLOW_FOR_AN_HOUR = _c("http_p99_seconds", unit="s", ratio=1.7, z=9, lasted_minutes=60.0)


@pytest.mark.parametrize(
    "comparisons, logs, expected",
    [
        # Pods restarting and warming their JIT: latency up for five minutes after the rollout,
        # then back to normal. A rollout's blip, not a regression to roll back.
        ([WARM_UP], _logs(errors_after=0), None),
        # ... and a trickle of errors from a new validation (19 in 2.5 h) does not make it one.
        (
            [WARM_UP],
            _logs({"exception": 19}, errors_after=19).model_copy(update={"minutes_after": 150}),
            None,
        ),
        # Slow for an hour after the deploy: roll it back.
        ([SLOW_FOR_AN_HOUR], _logs(errors_after=0), ("code_regression", "rollback")),
        # Still slow at the end of the data, however short it has been so far.
        (
            [WARM_UP.model_copy(update={"ongoing": True, "shape": "level_shift"})],
            _logs(errors_after=0),
            ("code_regression", "rollback"),
        ),
        # A blip with errors customers notice (50 in 30 min) is blamed on the deploy.
        ([WARM_UP], _logs({"exception": 50}), ("code_regression", "rollback")),
    ],
)
def test_a_rollouts_own_blip_is_not_blamed_on_the_deploy(comparisons, logs, expected):
    ev = rules.ServiceEvidence(
        service="svc",
        onset=T0,
        comparisons=comparisons,
        logs=logs,
        deploys=[_deploy(-1)],
    )
    finding = rules.diagnose(ev)
    assert ((finding.category, finding.action) if finding else None) == expected


@pytest.mark.parametrize(
    "comparison, expected",
    [
        # Slow for two minutes, then fine again, no errors: a blip, no incident.
        (_c("edge_p99_seconds", "spike", "s", ratio=3.0, z=24, lasted_minutes=2.0), None),
        # Slow for an hour with nothing to explain it: escalate.
        (_c("edge_p99_seconds", unit="s", ratio=3.0, z=24, lasted_minutes=60.0), "unknown"),
        # Eight minutes of 30% failed requests, over by itself: still an incident.
        (_c("http_error_ratio", unit="ratio", ratio=140, z=300, lasted_minutes=8.0), "unknown"),
    ],
)
def test_an_unexplained_change_must_hold_or_fail_requests(comparison, expected):
    ev = rules.ServiceEvidence(
        service="svc", onset=T0, comparisons=[comparison], logs=_logs(errors_after=0)
    )
    finding = rules.diagnose(ev)
    assert (finding.category if finding else None) == expected
