"""LogTable's columns stay aligned through sorting and selection; attributes are redacted."""

from datetime import UTC, datetime

import numpy as np
import pytest

from errors import IncidentCommanderError, UsageError
from sources.redact import MARKER
from sources.telemetry import LEVELS, LogTable, MetricInfo, Series, TelemetryStore, to_datetime64


def at(second: int) -> datetime:
    return datetime(2026, 3, 15, 14, 0, second, tzinfo=UTC)


def stamps(*seconds: int) -> np.ndarray:
    return np.array([to_datetime64(at(s)) for s in seconds], dtype="datetime64[ms]")


# Out of time order on purpose: from_rows sorts, and every column must follow its line.
ROWS = [
    (at(30), "worker", "ERROR", "job 30 failed", {"job": 30, "tags": ["retry"]}),
    (at(10), "checkout", "INFO", "GET /cart 200", None),
    (at(20), "checkout", "ERROR", "pool timeout", {"pool": {"size": 2, "wait_ms": 5000}}),
    (at(0), "worker", "DEBUG", "tick", {}),
    (at(20), "worker", "WARN", "slow", {"job": 20}),  # same instant as the pool timeout
]


def lines(table: LogTable, idx=None) -> list[tuple]:
    """The table's lines as (second, service, level, message, attributes) for comparison."""
    idx = range(len(table)) if idx is None else idx
    attributes = table.attributes
    return [
        (
            int(table.timestamps[i].astype("datetime64[s]").astype(int) % 60),
            table.service_names[table.services[i]],
            LEVELS[table.levels[i]],
            table.messages[i],
            None if attributes is None else attributes[i],
        )
        for i in idx
    ]


def test_from_rows_sorts_and_keeps_attributes_aligned():
    table = LogTable.from_rows(ROWS)
    assert lines(table) == [
        (0, "worker", "DEBUG", "tick", None),  # an empty dict reads as None
        (10, "checkout", "INFO", "GET /cart 200", None),
        (20, "checkout", "ERROR", "pool timeout", {"pool": {"size": 2, "wait_ms": 5000}}),
        (20, "worker", "WARN", "slow", {"job": 20}),  # equal times keep their given order
        (30, "worker", "ERROR", "job 30 failed", {"job": 30, "tags": ["retry"]}),
    ]
    assert table.attributes.dtype == object and table.attributes.shape == (5,)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"service": "worker"}, ["tick", "slow", "job 30 failed"]),
        ({"min_level": "ERROR"}, ["pool timeout", "job 30 failed"]),
        ({"start": at(20), "end": at(30)}, ["pool timeout", "slow"]),
        ({"service": "worker", "min_level": "WARN", "start": at(5)}, ["slow", "job 30 failed"]),
        ({"service": "nobody"}, []),
    ],
)
def test_select_indices_address_every_column(filters, expected):
    table = LogTable.from_rows(ROWS)
    by_message = {line[3]: line for line in lines(table)}
    idx = table.select(**filters)
    assert [table.messages[i] for i in idx] == expected
    assert lines(table, idx) == [by_message[m] for m in expected]
    assert list(table.attributes[idx]) == [by_message[m][4] for m in expected]


def test_from_columns_keeps_attributes_with_their_line():
    table = LogTable.from_columns(
        timestamps=stamps(3, 1, 2),
        services=np.array([0, 1, 0], dtype=np.int32),
        levels=np.array([1, 3, 1], dtype=np.int8),
        messages=np.array(["c", "a", "b"], dtype=object),
        service_names=["x", "y"],
        attributes=[{"n": 3}, {"n": 1}, None],
    )
    assert table.messages.tolist() == ["a", "b", "c"]
    assert table.attributes.tolist() == [{"n": 1}, None, {"n": 3}]


@pytest.mark.parametrize(
    "rows",
    [
        [row[:4] for row in ROWS],  # the classic four-field rows
        [(*row[:4], None) for row in ROWS],
        [(*row[:4], {}) for row in ROWS],
    ],
    ids=["four-fields", "all-none", "all-empty"],
)
def test_without_attributes_the_column_is_none(rows):
    table = LogTable.from_rows(rows)
    assert table.attributes is None
    assert len(table) == len(ROWS)


def test_empty_table_has_no_attributes():
    assert LogTable.empty().attributes is None
    assert LogTable.from_rows([]).attributes is None


def test_attribute_values_are_redacted_recursively():
    attributes = {
        "url": "postgres://app:hunter2@db:5432/orders",
        "nested": {"headers": ["Authorization: Bearer abcdef0123456789", "Accept: */*"]},
        "password": "hunter2",  # plain text: only its key says it is a secret
        "db": {"api_key": 123456, "host": "db-1", "ssl": True, "note": None},
        "credentials": {"user": "app", "extra": ["s3cr3t"]},  # all of it, however deep
        "count": 3,
    }
    table = LogTable.from_rows([(at(0), "svc", "INFO", "password=hunter2", attributes)])
    assert table.messages[0] == f"password={MARKER}"
    assert table.attributes[0] == {
        "url": f"postgres://app:{MARKER}@db:5432/orders",
        "nested": {"headers": [f"Authorization: Bearer {MARKER}", "Accept: */*"]},
        "password": MARKER,
        "db": {"api_key": MARKER, "host": "db-1", "ssl": True, "note": None},
        "credentials": {"user": MARKER, "extra": [MARKER]},
        "count": 3,
    }
    assert "hunter2" not in repr(table.attributes) and "s3cr3t" not in repr(table.attributes)


def test_attribute_keys_are_redacted_too():
    table = LogTable.from_rows([(at(0), "svc", "INFO", "m", {"token=abc123": "x", "a": "b"})])
    assert table.attributes[0] == {f"token={MARKER}": MARKER, "a": "b"}  # a secret's key


def test_attributes_are_copied_not_shared():
    attributes = {"tags": ["a"]}
    table = LogTable.from_rows([(at(0), "svc", "INFO", "m", attributes)])
    attributes["tags"].append("password=hunter2")  # a later change must not bypass redaction
    assert table.attributes[0] == {"tags": ["a"]}


@pytest.mark.parametrize(
    ("attributes", "error"),
    [
        ("not a dict", TypeError),
        ({"when": datetime(2026, 1, 1)}, TypeError),  # would not survive JSON
        ({1: "x"}, TypeError),
    ],
)
def test_attributes_must_be_json_objects(attributes, error):
    with pytest.raises(error):
        LogTable.from_rows([(at(0), "svc", "INFO", "m", attributes)])


def test_from_columns_refuses_misaligned_attributes():
    with pytest.raises(ValueError, match="2 attributes for 1 log lines"):
        LogTable.from_columns(
            timestamps=stamps(0),
            services=np.array([0], dtype=np.int32),
            levels=np.array([1], dtype=np.int8),
            messages=np.array(["m"], dtype=object),
            service_names=["svc"],
            attributes=[None, {"a": 1}],
        )


def test_end_time_without_points_is_a_one_line_usage_error():
    info = MetricInfo("latency", "svc")
    empty = np.array([], dtype="datetime64[ms]")
    for series in ({}, {"latency": Series(info, empty, np.array([]))}):
        store = TelemetryStore(name="quiet", metric_info={"latency": info}, metric_series=series)
        with pytest.raises(UsageError, match="'quiet' has no metric points") as caught:
            store.end_time()
        assert isinstance(caught.value, IncidentCommanderError)
        assert "\n" not in str(caught.value)


def test_end_time_is_the_newest_point():
    info = MetricInfo("latency", "svc")
    store = TelemetryStore(
        name="busy",
        metric_info={"latency": info},
        metric_series={"latency": Series(info, stamps(5, 9), np.array([1.0, 2.0]))},
    )
    assert store.end_time() == at(9)
