"""The Prometheus source against a real Prometheus (backfilled), and stand-ins for bad answers."""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest

pytest.register_assert_rewrite("tests.live_servers")  # before its import below

from errors import UsageError  # noqa: E402
from sources.live import open_live  # noqa: E402
from sources.live.config import Auth, HttpSource, MetricConfig, ServiceConfig  # noqa: E402
from sources.live.prometheus import PrometheusClient, choose_step, slices  # noqa: E402
from tests.live_servers import free_port, http_server, prometheus, require_prometheus  # noqa: E402

pytest_plugins = ["tests.live_servers"]


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr("sources.live.http.BACKOFF_SECONDS", (0.01, 0.02))


T0 = datetime(2026, 3, 13, tzinfo=UTC)
TWO_DAYS = 2 * 86_400
HOUR = 3600


class Recording(httpx.HTTPTransport):
    """The real transport, noting every request's query parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.params: list[dict[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.params.append(dict(request.url.params))
        return super().handle_request(request)


def _points() -> dict:
    t0 = T0.timestamp()
    points = {
        ("long_series", (("service", "a"),)): [(t0 + 10 * i, float(i)) for i in range(17_281)],
        ("pair", (("service", "a"),)): [(t0 + 60 * i, 1.0) for i in range(60)],
        ("pair", (("service", "b"),)): [(t0 + 60 * i, 2.0) for i in range(60)],
    }
    for version, revision, first in (("v1", "abc123", 0), ("v2", "def456", HOUR)):
        labels = (("app", "checkout"), ("revision", revision), ("version", version))
        points[("app_build_info", labels)] = [(t0 + first + 10 * i, 1.0) for i in range(360)]
    return points


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_prometheus()
    with prometheus(tmp_path_factory.mktemp("prometheus"), _points()) as running:
        yield running.url


def source(url: str, **changes) -> HttpSource:
    return HttpSource(kind="prometheus", url=url, **changes)


def test_step_and_slices_keep_every_request_under_11000_points():
    start = T0
    assert choose_step(start, start + timedelta(hours=6)) == 10
    assert choose_step(start, start + timedelta(days=7)) == 60
    for days in (1, 2, 7, 30, 400):
        end = start + timedelta(days=days)
        step = choose_step(start, end)
        parts = slices(start, end, step)
        assert all((last - first) / step < 11_000 for first, last in parts)
        assert parts[0][0] == start.timestamp() and parts[-1][1] == end.timestamp()
        # consecutive, on the grid, no point twice
        assert all(b[0] - a[1] == step for a, b in zip(parts, parts[1:], strict=False))


def test_a_long_window_is_read_in_slices_with_every_point(server):
    end = T0 + timedelta(seconds=TWO_DAYS)
    # The limit is real: one request for the whole window is refused.
    whole = {"query": "long_series", "start": T0.timestamp(), "end": end.timestamp(), "step": 10}
    refused = httpx.get(f"{server}/api/v1/query_range", params=whole)
    assert refused.status_code == 400 and "11,000 points" in refused.text
    recording = Recording()
    client = PrometheusClient(source(server), T0, end, recording)
    found = client.series(MetricConfig("long", "a", "long_series"))
    assert client.step == 10 and len(recording.params) == 2
    assert all(p["step"] == "10" for p in recording.params)
    assert np.array_equal(found.values, np.arange(17_281, dtype=float))
    assert found.timestamps[0] == np.datetime64("2026-03-13T00:00:00", "ms")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("pair", "got 2 series (pair{service='a'}; pair{service='b'})"),
        ("absent_metric", "got no series"),
    ],
)
def test_a_query_must_return_exactly_one_series(server, query, expected):
    client = PrometheusClient(source(server), T0, T0 + timedelta(hours=1))
    with pytest.raises(UsageError) as caught:
        client.series(MetricConfig("latency_p99", "a", query))
    assert "metric latency_p99" in str(caught.value) and expected in str(caught.value)


def test_a_bad_query_is_one_line_naming_the_url(server):
    client = PrometheusClient(source(server), T0, T0 + timedelta(hours=1))
    with pytest.raises(UsageError) as caught:
        client.series(MetricConfig("m", "a", "sum(rate(x[5m]"))
    message = str(caught.value)
    assert message.startswith(f"prometheus {server}/api/v1/query_range answered HTTP 400: bad_data")
    assert "\n" not in message and "(metric m)" in message


def test_build_info_labels_become_deploys(server):
    client = PrometheusClient(source(server), T0, T0 + timedelta(hours=2))
    service = ServiceConfig("checkout", build_info='app_build_info{app="checkout"}')
    [deploy] = client.deploys(service)
    assert (deploy.service, deploy.version, deploy.commit) == ("checkout", "v2", "def456")
    assert deploy.deployed_at == T0 + timedelta(hours=1)


SECRET_AUTH = Auth(basic_user="ic", basic_password="hunter2-pass")


def _answers(status: int, body: bytes, delay: float = 0.0, calls: list | None = None):
    def handle(request):
        if calls is not None:
            calls.append(dict(request.headers))
        time.sleep(delay)
        return status, {"Content-Type": "application/json"}, body

    return handle


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (500, b"internal meltdown", "answered HTTP 500: internal meltdown"),
        (200, b"<html>proxy login</html>", "not its API's JSON: <html>proxy login</html>"),
        (200, b'{"status": "success", "data": {"resultType": "vector", "result": []}}', "matrix"),
        (
            200,
            b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},'
            b'"values":[[1, "x"]]}]}}',
            "not a range matrix",
        ),
        (401, b"password=hunter2-pass rejected", "answered HTTP 401"),
    ],
)
def test_bad_answers_are_one_line_without_credentials(status, body, expected):
    calls: list = []
    with http_server(get=_answers(status, body, calls=calls)) as url:
        client = PrometheusClient(source(url, auth=SECRET_AUTH), T0, T0 + timedelta(hours=1))
        with pytest.raises(UsageError) as caught:
            client.series(MetricConfig("m", "a", "up"))
    message = str(caught.value)
    assert expected in message and url in message
    assert "hunter2" not in message and "\n" not in message
    assert calls[0]["Authorization"].startswith("Basic ")
    assert len(calls) == (3 if status == 500 else 1)  # 5xx is retried, a bounded number of times


def test_a_slow_answer_times_out_in_one_line():
    with http_server(get=_answers(200, b"{}", delay=1.5)) as url:
        client = PrometheusClient(source(url, timeout_seconds=0.3), T0, T0 + timedelta(hours=1))
        started = time.monotonic()
        with pytest.raises(UsageError, match=r"did not answer within 0.3 s \(metric m\)"):
            client.series(MetricConfig("m", "a", "up"))
    assert time.monotonic() - started < 1.4


def test_an_unreachable_server_is_one_line():
    url = f"http://127.0.0.1:{free_port()}"
    client = PrometheusClient(source(url), T0, T0 + timedelta(hours=1))
    with pytest.raises(UsageError, match=rf"^prometheus {url}/api/v1/query_range is unreachable"):
        client.series(MetricConfig("m", "a", "up"))


def test_a_5xx_is_retried_then_succeeds():
    calls: list = []
    ok = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[T0.timestamp(), "1.5"]]}]}}  # fmt: skip

    def flaky(request):
        calls.append(1)
        if len(calls) < 3:
            return 503, {}, b"busy"
        return 200, {}, json.dumps(ok).encode()

    with http_server(get=flaky) as url:
        token = HttpSource("prometheus", url, Auth(bearer_token="tok"))
        found = PrometheusClient(token, T0, T0 + timedelta(hours=1)).series(
            MetricConfig("m", "a", "up")
        )
    assert found.values.tolist() == [1.5] and len(calls) == 3


HOSTILE = {
    "alertname": 'X"} or vector(1) #',
    "service": 'a"}\n{__name__=~".+"',
    "job": "}{",
    "severity": "page\nINJECT",
}


def _payload(labels: dict) -> str:
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": '{{ "}" }}\nquery=up'},
        "startsAt": "2026-03-13T01:30:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "0123456789abcdef",
    }
    return json.dumps({"version": "4", "status": "firing", "alerts": [alert]})


def test_alert_labels_never_change_a_query(server, tmp_path: Path):
    config = tmp_path / "live.toml"
    config.write_text(
        f'[prometheus]\nurl = "{server}"\n[alerts]\nlookback = "1h"\n'
        '[[services]]\nname = "a"\nbuild_info = \'app_build_info{app="checkout"}\'\n'
        '[[metrics]]\nname = "long"\nservice = "a"\nquery = \'long_series{service="a"}\'\n'
    )
    end = T0 + timedelta(hours=2)
    sent = []
    for labels in ({"alertname": "HighLatency", "service": "a"}, HOSTILE):
        recording = Recording()
        window = open_live(config, None, end, (_payload(labels), "alert.json"), end, recording)
        sent.append(recording.params)
    assert sent[0] == sent[1]
    assert {p["query"] for p in sent[0]} == {
        'long_series{service="a"}',
        'app_build_info{app="checkout"}',
    }
    assert window.alerts[0].service == HOSTILE["service"]  # kept as data
    assert window.start == datetime(2026, 3, 13, 0, 30, 0, 123456, tzinfo=UTC)
    assert window.provenance["alerts"][0]["fingerprint"] == "0123456789abcdef"


def test_google_application_default_credentials_become_a_bearer_token(monkeypatch):
    import google.auth

    class Credentials:
        valid, token = False, None

        def refresh(self, request):
            self.valid, self.token = True, "ya29.fresh-token"

    monkeypatch.setattr(google.auth, "default", lambda scopes: (Credentials(), "project"))
    seen: list = []
    ok = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[T0.timestamp(), "2"]]}]}}  # fmt: skip
    with http_server(get=_answers(200, json.dumps(ok).encode(), calls=seen)) as url:
        google_source = HttpSource("prometheus", url, Auth(google=True))
        client = PrometheusClient(google_source, T0, T0 + timedelta(hours=1))
        client.series(MetricConfig("m", "a", "up"))
        client.series(MetricConfig("m", "a", "up"))
    assert [h["Authorization"] for h in seen] == ["Bearer ya29.fresh-token"] * 2
