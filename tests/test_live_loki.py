"""The Loki source against a local server implementing Loki's query_range (no Loki runs here)."""

import json
from datetime import datetime, timedelta

import pytest

pytest.register_assert_rewrite("tests.live_servers")  # before its import below

import scenarios  # noqa: E402
from errors import UsageError  # noqa: E402
from sources.bundle.writer import export_bundle  # noqa: E402
from sources.live import open_live  # noqa: E402
from sources.live.config import HttpSource, ServiceConfig  # noqa: E402
from sources.live.loki import level_of, read_logs  # noqa: E402
from sources.telemetry import LEVELS  # noqa: E402
from tests.helpers import NOW  # noqa: E402
from tests.live_servers import LokiStandIn, http_server, loki_lines_from_jsonl  # noqa: E402

pytest_plugins = ["tests.live_servers"]

START, END = NOW - timedelta(hours=1), NOW


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    directory = tmp_path_factory.mktemp("loki") / "bundle"
    store, _ = scenarios.get("checkout-config-bug").build(NOW, 42)
    export_bundle(store, directory)
    return directory


def services(names) -> list[ServiceConfig]:
    return [ServiceConfig(name, logs=f'{{app="{name}"}}') for name in names]


def test_paging_reads_every_line_once(bundle):
    expected = [json.loads(line) for line in (bundle / "logs.jsonl").read_text().splitlines()]
    names = sorted({line["service"] for line in expected})
    loki = LokiStandIn(loki_lines_from_jsonl(bundle / "logs.jsonl"), max_entries=97)
    with http_server(get=loki) as url:
        rows = read_logs(HttpSource("loki", url), services(names), START, END)
    assert len(loki.requests) > len(expected) / 97  # it had to page
    assert all(r["direction"] == "forward" for r in loki.requests)
    got = sorted((r[0], r[1], r[2], r[3]) for r in rows)
    want = sorted(
        (
            datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")),
            e["service"],
            e["level"],
            e["message"],
        )
        for e in expected
    )
    assert got == want


def test_a_page_boundary_inside_one_nanosecond_loses_and_doubles_nothing():
    ns = int(START.timestamp()) * 10**9
    lines = [
        {"ns": ns + (i // 30) * 10**9, "labels": {"app": "a"}, "line": f"line {i}"}
        for i in range(250)
    ]  # 30 lines per nanosecond: pages of 50 end inside one
    loki = LokiStandIn(lines, max_entries=50)
    with http_server(get=loki) as url:
        rows = read_logs(HttpSource("loki", url), services(["a"]), START, END)
    assert sorted(r[3] for r in rows) == sorted(f"line {i}" for i in range(250))


def test_a_server_refusing_our_page_size_is_asked_for_its_cap():
    ns = int(START.timestamp()) * 10**9
    lines = [{"ns": ns + i, "labels": {"app": "a"}, "line": f"line {i}"} for i in range(300)]
    loki = LokiStandIn(lines, max_entries=40, refuse_over_cap=True)
    with http_server(get=loki) as url:
        rows = read_logs(HttpSource("loki", url), services(["a"]), START, END)
    assert len(rows) == 300 and loki.requests[1]["limit"] == "40"


def test_the_tenant_header_is_sent_and_required():
    lines = [{"ns": int(START.timestamp()) * 10**9, "labels": {"app": "a"}, "line": "hello"}]
    loki = LokiStandIn(lines, tenant="team-a")
    with http_server(get=loki) as url:
        rows = read_logs(HttpSource("loki", url, tenant="team-a"), services(["a"]), START, END)
        assert [r[3] for r in rows] == ["hello"]
        assert loki.headers[0]["X-Scope-OrgID"] == "team-a"
        with pytest.raises(UsageError) as caught:
            read_logs(HttpSource("loki", url), services(["a"]), START, END)
    message = str(caught.value)
    assert message == (
        f"loki {url}/loki/api/v1/query_range answered HTTP 401: no org id (logs of a)"
    )


@pytest.mark.parametrize(
    "labels, metadata, line, expected",
    [
        ({"level": "warn"}, {}, "all good", "WARN"),
        ({"severity": "critical"}, {}, "x", "FATAL"),
        ({}, {"detected_level": "error"}, "x", "ERROR"),
        ({}, {}, '{"severity": "debug", "msg": "x"}', "DEBUG"),
        ({}, {}, "2026-03-15 ERROR pool exhausted", "ERROR"),
        ({}, {}, "ts=1 level=warning msg=slow", "WARN"),
        ({}, {}, "[FATAL] out of memory", "FATAL"),
        ({}, {}, "GET /checkout 200 41ms", "INFO"),
        ({"level": "nonsense"}, {}, "Warning: disk at 91%", "WARN"),
    ],
)
def test_levels(labels, metadata, line, expected):
    fields = json.loads(line) if line.startswith("{") else None
    assert level_of(labels, metadata, fields, line) == expected


def test_levels_and_fields_through_the_server():
    ns = int(START.timestamp()) * 10**9
    lines = [
        {"ns": ns, "labels": {"app": "a", "level": "error"}, "line": "boom"},
        {"ns": ns + 1, "labels": {"app": "a"}, "line": "x", "meta": {"detected_level": "warn"}},
        {
            "ns": ns + 2,
            "labels": {"app": "a"},
            "line": '{"level": "fatal", "msg": "oom", "peer": "db"}',
        },
    ]
    with http_server(get=LokiStandIn(lines)) as url:
        rows = read_logs(HttpSource("loki", url), services(["a"]), START, END)
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("ERROR", "boom", None),
        ("WARN", "x", None),
        ("FATAL", "oom", {"peer": "db"}),
    ]
    assert {r[2] for r in rows} <= set(LEVELS)


def test_garbage_from_loki_is_one_line():
    def garbage(request):
        return 200, {}, b'{"status": "success", "data": {"resultType": "matrix", "result": []}}'

    with http_server(get=garbage) as url, pytest.raises(UsageError, match="not a streams result"):
        read_logs(HttpSource("loki", url), services(["a"]), START, END)


def test_open_live_reads_loki_per_service(tmp_path):
    """The whole path with [loki]: metrics from a Prometheus stand-in, logs paged from Loki."""
    values = [[START.timestamp() + 60 * i, "1"] for i in range(61)]
    result = [{"metric": {}, "values": values}]
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    ns = int(START.timestamp()) * 10**9
    lines = [
        {"ns": ns + i * 10**9, "labels": {"app": app}, "line": f"{app} ERROR {i} password=hunter2"}
        for i in range(30)
        for app in ("checkout", "other")
    ]
    with (
        http_server(get=lambda r: (200, {}, json.dumps(matrix).encode())) as prom,
        http_server(get=LokiStandIn(lines, max_entries=7)) as loki,
    ):
        config = tmp_path / "live.toml"
        config.write_text(
            f'[prometheus]\nurl = "{prom}"\n[loki]\nurl = "{loki}"\ntenant = "t1"\n'
            '[[services]]\nname = "checkout-service"\nlogs = \'{app="checkout"}\'\n'
            '[[metrics]]\nname = "m"\nservice = "checkout-service"\nquery = "up"\n'
        )
        window = open_live(config, START, END, None, END)
    logs = window.telemetry.logs()
    assert len(logs) == 30 and logs.service_names == ("checkout-service",)
    assert all("hunter2" not in m for m in logs.messages)  # the store's redaction applies
    assert window.provenance["sources"]["loki"] == loki
