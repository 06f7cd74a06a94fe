"""Every built-in scenario, investigated offline end to end and scored against its expected.json."""

import re
from datetime import timedelta

import numpy as np
import pytest

import scenarios
from evidence.deploys import summarize_diff
from evidence.kinds import exception_names
from evidence.metrics import BaselineComparison
from models import ACTIONS, CATEGORIES, Finding, RCAReport
from scenarios.scoring import score
from semantics import is_memory, is_pinned, is_request_rate
from sources.telemetry import to_datetime
from tests.helpers import investigate

# Seed 1 in the default suite; 2 and 3 (the same stories, other noise) with -m slow.
SEEDS = [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)]


def _investigate(name, now, seed, tmp_path):
    telemetry, expected = scenarios.get(name).build(now, seed)
    # None when nothing fired: no report, which scores as "no incident"
    return investigate(telemetry, now, tmp_path), expected


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_offline_investigator_gets_every_scenario_right(name, seed, now, tmp_path):
    report, expected = _investigate(name, now, seed, tmp_path)
    result = score(report, expected)
    assert result.passed, result.explain()
    if report is not None:
        assert report.status == "complete" and 0 <= report.confidence <= 1


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenarios_are_well_formed(name, now):
    s = scenarios.get(name)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", s.name)
    assert s.summary and "\n" not in s.summary
    telemetry, expected = s.build(now, 5)
    assert telemetry.name == s.name
    assert telemetry.description == s.summary  # the catalogue repeats each module's SUMMARY
    assert set(expected) == {"incident", "findings", "forbidden_services"}
    assert expected["incident"] == bool(expected["findings"])
    services = set(telemetry.logs().service_names) | {
        m.service for m in telemetry.metrics().values()
    }
    for f in expected["findings"]:
        actions = f["action"] if isinstance(f["action"], list) else [f["action"]]
        assert f["category"] in CATEGORIES and set(actions) <= set(ACTIONS)
        assert f["service"] in services and f["keywords"]
        assert f["service"] not in expected["forbidden_services"]
    assert set(expected["forbidden_services"]) <= services
    # Realistic: an hour or more of data, a scrape every 10 to 30 s, no point after `now`.
    for series in telemetry.metric_series.values():
        steps = np.diff(series.timestamps).astype("timedelta64[ms]").astype(float) / 1000
        assert 10 <= np.median(steps) <= 30 and np.isfinite(series.values).all()
    first = min(to_datetime(s.timestamps[0]) for s in telemetry.metric_series.values())
    assert telemetry.end_time() <= now and now - first >= timedelta(hours=1)


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_every_scenario_carries_a_red_herring_deploy(name, now):
    telemetry, expected = scenarios.get(name).build(now, 3)
    herrings = [
        d
        for d in telemetry.deploys()
        if d.service in expected["forbidden_services"] and now - d.deployed_at <= timedelta(hours=1)
    ]
    assert herrings, "another service deploys within the hour, and must not be blamed"


def test_a_seed_changes_the_noise_but_not_the_story(now):
    a, expected_a = scenarios.get("booking-dependency-down").build(now, 1)
    b, expected_b = scenarios.get("booking-dependency-down").build(now, 2)
    again, _ = scenarios.get("booking-dependency-down").build(now, 1)
    metric = "booking_api_p99_latency_ms"
    assert expected_a == expected_b
    assert not np.array_equal(a.series(metric).values, b.series(metric).values)
    assert np.array_equal(a.series(metric).values, again.series(metric).values)


# The scoring rules of the spec's expected.json, as a table.

EXPECTED = {
    "incident": True,
    "findings": [
        {
            "service": "api",
            "category": "dependency_failure",
            "action": ["failover", "escalate"],
            "keywords": ["ledger-db", "Connection Refused"],
        }
    ],
    "forbidden_services": ["docs"],
}


def _finding(
    service="api",
    category="dependency_failure",
    action="failover",
    summary="api fails because ledger-db is down",
    evidence=("connection refused: ledger-db:5432",),
):
    return Finding(
        service=service,
        category=category,
        action=action,
        summary=summary,
        evidence=list(evidence),
        confidence=0.8,
    )


def _report(*findings):
    return {"findings": [f.model_dump() for f in findings]}


@pytest.mark.parametrize(
    "report, passed, why",
    [
        (_report(_finding()), True, "passed"),
        (_report(_finding(action="escalate")), True, "passed"),  # any listed action
        (_report(_finding(action="rollback")), False, "wrong action"),
        (_report(_finding(category="unknown")), False, "wrong category"),
        (_report(_finding(service="ledger-db")), False, "wrong service"),
        (
            _report(_finding(summary="api fails", evidence=["timeouts"])),
            False,
            "keywords ledger-db,Connection Refused",
        ),
        (_report(_finding(summary="api fails")), True, "passed"),  # evidence has them
        (_report(_finding(), _finding(service="docs")), False, "blamed docs"),
        (_report(), False, "incident missed"),
        (None, False, "incident missed"),
    ],
)
def test_score_table(report, passed, why):
    result = score(report, EXPECTED)
    assert result.passed is passed
    assert why in result.explain()


def test_score_needs_one_finding_per_expected_one():
    two = {**EXPECTED, "findings": EXPECTED["findings"] * 2}
    assert not score(_report(_finding()), two).passed
    assert score(_report(_finding(), _finding()), two).passed


def test_score_of_a_quiet_bundle_and_of_a_report_object(now):
    quiet = {"incident": False, "findings": [], "forbidden_services": []}
    assert score(None, quiet).passed and score(_report(), quiet).passed
    assert score(_report(_finding()), quiet).explain().startswith("incident reported")
    report = RCAReport(
        incident_id="INC-20260315-001",
        root_cause="x",
        timeline=[],
        affected_services=["api"],
        remediation_steps=["fail over"],
        confidence=0.8,
        findings=[_finding(), _finding(service="worker", category="unknown", action="escalate")],
        triggered_at=now,
        model="offline",
        answered_by=["offline-investigator"],
        anomalies=[],
    )
    result = score(report, EXPECTED)
    assert result.passed and result.unexpected == ("worker/unknown/escalate",)
    [f] = result.findings
    assert f.matched and f.finding == 0 and f.keywords_found == ("ledger-db", "Connection Refused")


# The generic recognisers the scenarios lean on: words and units, never names.


def _comparison(metric, unit, after_max=100.0):
    return BaselineComparison(
        metric=metric,
        service="svc",
        unit=unit,
        onset=None,
        anomalous_points=10,
        sustained=True,
        baseline_median=50,
        after_median=after_max,
        after_max=after_max,
        change_ratio=2,
        robust_z=10,
        shape="level_shift",
        rise_minutes=1,
        monotonic_fraction=0.5,
        sawtooth_drops=0,
        note="",
    )


@pytest.mark.parametrize(
    "metric, unit, memory, requests",
    [
        ("process_resident_memory_bytes", "bytes", True, False),
        ("jvm_old_gen", "MiB", True, False),
        ("pg_wal_size_bytes", "bytes", False, False),  # storage, not memory
        ("node_filesystem_used", "bytes", False, False),
        ("http_requests_per_second", "req/s", False, True),
        ("ingress_rps", None, False, True),
        ("http_request_duration_p95", "s", False, False),  # a latency, not a rate
        ("rejected_requests", "req/s", False, False),
    ],
)
def test_metric_kinds(metric, unit, memory, requests):
    c = _comparison(metric, unit)
    assert (is_memory(c), is_request_rate(c)) == (memory, requests)


@pytest.mark.parametrize(
    "metric, unit, after_max, pinned",
    [
        ("disk_used_percent", "percent", 100, True),
        ("cpu", "%", 97, True),
        ("pool_utilization", "ratio", 0.99, True),
        ("cpu", "%", 80, False),
        ("error_ratio", "%", 100, False),  # errors are a symptom, not a capacity
        ("threads_busy", "threads", 200, False),  # no limit known
    ],
)
def test_pinned_resources(metric, unit, after_max, pinned):
    assert is_pinned(_comparison(metric, unit, after_max)) is pinned


def test_exception_names_and_test_only_diffs():
    assert exception_names("POST /q 500 KeyError: 'promo' in io.grpc.StatusRuntimeException") == [
        "KeyError",
        "io.grpc.StatusRuntimeException",
    ]
    assert exception_names("fatal error: runtime: out of memory") == [
        "fatal error: runtime: out of memory"
    ]
    diff = "--- a/tests/test_x.py\n+++ b/tests/test_x.py\n@@\n+def test_y(): pass\n"
    assert summarize_diff("c1", diff).kind == "test"
