"""Lessons from held-out bundles: names in logs, mixed diffs, overload errors, victims' deploys."""

from datetime import timedelta

import pytest

from evidence.deploys import DiffSummary, FileChange
from evidence.logs import dependencies
from models import Finding
from offline import rules
from offline.draft import collapse_symptoms
from tests.helpers import T0, _c, _logs


@pytest.mark.parametrize(
    "message, expected",
    [
        ("upstream timed out (110: Connection timed out) while reading response header", []),
        (
            "HTTPSConnectionPool(host='api.payments-provider.example', port=443): Read timed out.",
            ["api.payments-provider.example"],
        ),
        ("CircuitBreakerError: circuit 'payments-provider' is open", ["payments-provider"]),
        ("GET http://catalog-service:8080/v1/products/batch took 704ms", ["catalog-service"]),
        ("upstream inventory-api returned 503", ["inventory-api"]),
        ("java.lang.NullPointerException at Foo.bar(Foo.java:88)", []),
    ],
)
def test_dependency_names_in_log_lines(message, expected):
    assert dependencies(message, "caller", ()) == expected


def _deploy(minutes=5):
    from evidence.deploys import DeployView

    return DeployView(
        service="svc",
        version="v2",
        commit="abc",
        deployed_at=T0 - timedelta(minutes=minutes),
        author=None,
        description="release",
        minutes_before_onset=minutes,
        has_diff=True,
    )


def test_a_mixed_diff_with_new_exceptions_is_a_code_regression():
    # Code, a config file with no key=value change, and tests: the new panics say code.
    diff = DiffSummary(
        commit="abc",
        kind="mixed",
        settings_changed=[],
        excerpt="",
        files=[
            FileChange(path="internal/handlers/prefs.go", kind="code", added=60, removed=0),
            FileChange(path="config/routes.yaml", kind="config", added=2, removed=0),
            FileChange(path="internal/handlers/prefs_test.go", kind="test", added=30, removed=0),
        ],
    )
    ev = rules.ServiceEvidence(
        service="svc",
        onset=T0,
        comparisons=[_c("http_5xx_per_second")],
        logs=_logs({"exception": 900}),
        deploys=[_deploy()],
        diffs={"abc": diff},
    )
    finding = rules.diagnose(ev)
    assert (finding.category, finding.action) == ("code_regression", "rollback")
    assert "changed code" in finding.summary


@pytest.mark.parametrize("load", [2.1, 4.0])
def test_overload_errors_do_not_veto_a_surge(load):
    comparisons = [
        _c(
            "nginx_requests_per_second",
            unit="req/s",
            ratio=load,
            baseline_median=808,
            after_median=808 * load,
            after_max=900 * load,
        ),
        # 0.47 -> 21 errors/s while requests go 808 -> 3234/s: x45, yet 0.65% of requests.
        _c(
            "nginx_http_5xx_per_second",
            unit="errors/s",
            ratio=45.0,
            baseline_median=0.47,
            after_median=21.0,
            after_max=25.0,
        ),
        _c("upstream_response_time_p99_seconds", unit="s", ratio=7.5),
    ]
    ev = rules.ServiceEvidence(
        service="svc",
        onset=T0,
        comparisons=comparisons,
        logs=_logs({"traffic": 200, "timeout": 300}),
    )
    finding = rules.diagnose(ev)
    assert (finding.category, finding.action) == ("traffic_surge", "scale_out")


def test_a_victim_that_keeps_naming_a_broken_dependency_is_folded_into_it():
    cause_logs, victim_logs = _logs(), _logs()
    victim_logs.dependencies_named = {"catalog": 194}
    evidence = {
        "catalog": rules.ServiceEvidence(
            service="catalog", onset=T0, comparisons=[], logs=cause_logs
        ),
        "recs": rules.ServiceEvidence(
            service="recs", onset=T0 + timedelta(minutes=1), comparisons=[], logs=victim_logs
        ),
    }
    cause = Finding(
        service="catalog",
        category="config_change",
        action="rollback",
        summary="cache TTL cut to 0",
        evidence=["diff"],
        confidence=0.9,
    )
    victim = Finding(
        service="recs",
        category="code_regression",
        action="rollback",
        summary="recs deploy",
        evidence=["deploy recs v2"],
        confidence=0.8,
    )
    kept = collapse_symptoms([cause, victim], evidence)
    assert [f.service for f in kept] == ["catalog"]
    assert any("knock-on: recs" in e for e in kept[0].evidence)
    # The other way round (the victim broke first) nothing is folded.
    evidence["recs"].onset = T0 - timedelta(minutes=5)
    assert len(collapse_symptoms([cause.model_copy(deep=True), victim], evidence)) == 2


def test_errors_that_are_a_large_share_of_requests_are_not_a_surge():
    comparisons = [
        _c(
            "http_requests_per_second",
            unit="req/s",
            ratio=2.0,
            baseline_median=100,
            after_median=200,
            after_max=220,
        ),
        _c(
            "http_5xx_per_second",
            unit="errors/s",
            ratio=80.0,
            baseline_median=0.5,
            after_median=40.0,
            after_max=45.0,
        ),  # a fifth of all requests fail
        _c("latency_p99_ms", unit="ms", ratio=3.0),
    ]
    ev = rules.ServiceEvidence(
        service="svc", onset=T0, comparisons=comparisons, logs=_logs({"exception": 500})
    )
    finding = rules.diagnose(ev)
    assert finding is None or finding.category != "traffic_surge"


def test_structured_log_attributes_name_the_dependency(now):
    from evidence.logs import service_details
    from sources.telemetry import LogTable

    rows = [
        (
            now - timedelta(minutes=m),
            "wallet",
            "ERROR",
            "top-up failed: provider timed out",
            {"url": "https://api.topup-provider.example/v2/charge", "trace_id": "abc"},
        )
        for m in range(1, 20)
    ]
    table = LogTable.from_rows(rows)
    details = service_details(
        table, "wallet", now - timedelta(minutes=30), now, table.service_names
    )
    assert details.dependencies_named == {"api.topup-provider.example": 19}


def test_a_database_pinned_by_a_callers_new_code_is_a_knock_on():
    caller_logs = _logs()
    caller_logs.dependencies_named = {"reports-db": 40}
    evidence = {
        "reports-api": rules.ServiceEvidence(
            service="reports-api", onset=T0, comparisons=[], logs=caller_logs
        ),
        "reports-db": rules.ServiceEvidence(
            service="reports-db", onset=T0 + timedelta(minutes=2), comparisons=[], logs=_logs()
        ),
    }
    change = Finding(
        service="reports-api",
        category="code_regression",
        action="rollback",
        summary="N+1 queries",
        evidence=["deploy v9"],
        confidence=0.9,
    )
    pinned = Finding(
        service="reports-db",
        category="resource_saturation",
        action="scale_out",
        summary="CPU pinned",
        evidence=["cpu 99%"],
        confidence=0.7,
    )
    kept = collapse_symptoms([change, pinned], evidence)
    assert [f.service for f in kept] == ["reports-api"]
    # A database that saturated before the caller changed is the cause, the caller its victim.
    evidence["reports-db"].onset = T0 - timedelta(minutes=10)
    kept = collapse_symptoms([change.model_copy(deep=True), pinned.model_copy(deep=True)], evidence)
    assert [f.service for f in kept] == ["reports-db"]


@pytest.mark.parametrize(
    "message, expected",
    [
        # What was thrown, not the thread's last frame.
        (
            "Unhandled exception in export worker\njava.lang.OutOfMemoryError: Java heap space\n"
            "\tat java.util.Arrays.copyOf(Arrays.java:3512)\n"
            "\tat java.base/java.lang.Thread.run(Thread.java:840)",
            "Unhandled exception in export worker ... java.lang.OutOfMemoryError: Java heap space",
        ),
        # A chain: its root cause.
        (
            "Request failed\norg.x.WebException: wrapped\n\tat a.b(C.java:1)\n"
            "Caused by: java.sql.SQLTransientConnectionException: pool timed out\n"
            "\tat d.e(F.java:2)\n\t... 12 more",
            "Request failed ... "
            "Caused by: java.sql.SQLTransientConnectionException: pool timed out",
        ),
        # Python closes with what it raised.
        (
            'Traceback (most recent call last):\n  File "/app/x.py", line 3, in f\n'
            "    return d[k]\nKeyError: 'promo_code'",
            "Traceback (most recent call last): ... KeyError: 'promo_code'",
        ),
        # Thrown on the first line: then where, the top frame.
        (
            'java.lang.NullPointerException: Cannot invoke "Coupon.getRate()"\n'
            "\tat com.shop.PriceCalculator.applyCoupon(PriceCalculator.java:88)\n"
            "\tat java.base/java.lang.Thread.run(Thread.java:840)",
            'java.lang.NullPointerException: Cannot invoke "Coupon.getRate()" ... '
            "at com.shop.PriceCalculator.applyCoupon(PriceCalculator.java:88)",
        ),
        ("one line only", "one line only"),
    ],
)
def test_a_trace_on_one_line_keeps_what_was_thrown(message, expected):
    from evidence.statements import one_line

    assert one_line(message, width=200) == expected
