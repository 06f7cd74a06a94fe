"""Alertmanager webhook payloads: a real Alertmanager posts to a receiver here, and it parses."""

import json
import queue
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest

pytest.register_assert_rewrite("tests.live_servers")  # before its import below

from errors import UsageError  # noqa: E402
from sources.live.alerts import alert_window, parse_payload  # noqa: E402
from tests.live_servers import alertmanager, require_alertmanager, webhook_receiver  # noqa: E402

pytest_plugins = ["tests.live_servers"]

LABELS = ("service", "job", "app")
STARTS = datetime(2026, 3, 15, 14, 5, tzinfo=UTC)
NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)


def alert(**changes) -> dict:
    base = {
        "status": "firing",
        "labels": {"alertname": "CheckoutLatencyHigh", "service": "checkout-service"},
        "annotations": {"summary": "p99 over 2 s"},
        "startsAt": "2026-03-15T14:05:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "a1b2c3d4e5f60718",
    }
    return base | changes


def payload(*alerts: dict, **changes) -> str:
    return json.dumps({"version": "4", "status": "firing", "alerts": list(alerts)} | changes)


@pytest.fixture(scope="module")
def posted(tmp_path_factory):
    """The payloads a real Alertmanager posts for one alert: firing, then resolved."""
    require_alertmanager()
    with (
        webhook_receiver() as receiver,
        alertmanager(tmp_path_factory.mktemp("alertmanager"), receiver.url) as server,
    ):
        labels = {"alertname": "CheckoutLatencyHigh", "app": "checkout-service", "team": "pay"}
        sent = {"labels": labels, "annotations": {"summary": "p99 over 2 s"}}
        sent |= {"startsAt": "2026-03-15T14:05:00Z", "generatorURL": "http://prometheus/graph"}
        httpx.post(f"{server.url}/api/v2/alerts", json=[sent]).raise_for_status()
        firing = receiver.payloads.get(timeout=15).decode()
        sent["endsAt"] = "2026-03-15T14:25:00Z"
        httpx.post(f"{server.url}/api/v2/alerts", json=[sent]).raise_for_status()
        resolved = None
        while resolved is None:
            try:
                body = receiver.payloads.get(timeout=15).decode()
            except queue.Empty:
                pytest.fail("Alertmanager sent no resolved notification within 15 s")
            resolved = body if json.loads(body)["status"] == "resolved" else None
        yield firing, resolved


def test_a_real_firing_payload_gives_window_and_service(posted):
    firing, _ = posted
    doc = json.loads(firing)
    assert doc["version"] == "4" and doc["externalURL"].startswith("http://127.0.0.1:")
    [parsed] = parse_payload(firing, "alert.json", LABELS)
    assert (parsed.name, parsed.status, parsed.service) == (
        "CheckoutLatencyHigh",
        "firing",
        "checkout-service",
    )
    assert parsed.starts_at == STARTS and parsed.ends_at is None
    assert parsed.fingerprint == doc["alerts"][0]["fingerprint"]
    start, end = alert_window([parsed], timedelta(minutes=35), NOW)
    assert (start, end) == (STARTS - timedelta(minutes=35), NOW)  # firing: --to or now
    assert parsed.record() == {
        "alertname": "CheckoutLatencyHigh",
        "fingerprint": doc["alerts"][0]["fingerprint"],
        "status": "firing",
        "startsAt": "2026-03-15T14:05:00Z",
    }


def test_a_real_resolved_payload_ends_at_its_endsat(posted):
    _, resolved = posted
    [parsed] = parse_payload(resolved, "alert.json", LABELS)
    assert parsed.status == "resolved"
    assert parsed.ends_at == datetime(2026, 3, 15, 14, 25, tzinfo=UTC)
    far_later = NOW + timedelta(days=3)
    assert alert_window([parsed], timedelta(hours=1), far_later) == (
        STARTS - timedelta(hours=1),
        datetime(2026, 3, 15, 14, 25, tzinfo=UTC),
    )


def test_the_first_service_label_wins_and_labels_are_redacted():
    labels = {"alertname": "A", "app": "web", "job": "api", "dsn": "postgres://u:hunter2@db/x"}
    [parsed] = parse_payload(payload(alert(labels=labels)), "-", LABELS)
    assert parsed.service == "api"
    assert "hunter2" not in json.dumps(parsed.labels)
    [other] = parse_payload(payload(alert(labels={"alertname": "A"})), "-", LABELS)
    assert other.service is None


def test_the_window_spans_every_alert():
    early = alert(startsAt="2026-03-15T13:50:00.5Z", fingerprint="01")
    late = alert(status="resolved", startsAt="2026-03-15T14:10:00Z", endsAt="2026-03-15T14:20:00Z")
    alerts = parse_payload(payload(early, late), "-", LABELS)
    start, end = alert_window(alerts, timedelta(hours=1), NOW)
    assert start == datetime(2026, 3, 15, 12, 50, 0, 500000, tzinfo=UTC)
    assert end == NOW  # one alert still fires


@pytest.mark.parametrize(
    "text, expected",
    [
        ("not json", "not JSON"),
        ("[]", "must be a JSON object"),
        (payload(alert(), version="3"), 'version = "3"'),
        (payload(), "alerts = []: must be a non-empty list"),
        (payload(alert(startsAt="yesterday")), 'alerts[0].startsAt = "yesterday"'),
        (payload(alert(status="pending")), 'alerts[0].status = "pending"'),
        (payload(alert(labels={"a": 1})), "alerts[0].labels"),
        (payload(alert(status="resolved")), "a resolved alert needs it"),
        (payload(alert(fingerprint="../../x")), "not a fingerprint"),
    ],
)
def test_bad_payloads_are_one_line(text, expected):
    with pytest.raises(UsageError) as caught:
        parse_payload(text, "alert.json", LABELS)
    message = str(caught.value)
    assert message.startswith("alert.json: ") and expected in message and "\n" not in message


def test_an_alert_after_the_window_end_is_refused():
    alerts = parse_payload(payload(alert()), "-", LABELS)
    with pytest.raises(UsageError, match="is empty"):
        alert_window(alerts, timedelta(0), STARTS - timedelta(hours=1))


def test_a_firing_alert_is_an_anomaly_of_its_service_when_the_trigger_is_quiet():
    import numpy as np

    from models import MetricAnomaly
    from sources.live.focus import alert_anomalies
    from sources.telemetry import MetricInfo, Series, TelemetryStore

    stamps = np.datetime64("2026-03-15T13:30:00", "ms") + np.arange(361) * np.timedelta64(10, "s")
    flat = np.full(361, 100.0)
    step = np.where(stamps >= np.datetime64("2026-03-15T14:05:00", "ms"), 130.0, 100.0)
    infos = {
        "queue_depth": MetricInfo("queue_depth", "checkout-service"),
        "latency": MetricInfo("latency", "checkout-service", "ms"),
        "other": MetricInfo("other", "search"),
    }
    values = {"queue_depth": flat, "latency": step, "other": step}
    store = TelemetryStore(
        name="t",
        metric_info=infos,
        metric_series={n: Series(infos[n], stamps, values[n]) for n in infos},
    )
    alerts = parse_payload(payload(alert(), alert(fingerprint="02")), "-", LABELS)
    [found] = alert_anomalies(store, alerts)
    assert (found.metric, found.service, found.timestamp) == ("latency", "checkout-service", STARTS)
    assert found.value == 130.0 and found.direction == "above"
    fired = MetricAnomaly(
        metric="latency",
        service="checkout-service",
        value=1,
        threshold=1,
        timestamp=STARTS,
        baseline_mean=0,
        baseline_std=1,
    )
    assert alert_anomalies(store, alerts, [fired]) == []  # the trigger already saw it
    resolved = parse_payload(
        payload(alert(status="resolved", endsAt="2026-03-15T14:20:00Z")), "-", LABELS
    )
    assert alert_anomalies(store, resolved) == []
