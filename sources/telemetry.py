"""The one interface every tool reads telemetry through, and its in-memory implementation.

Built-in scenarios and replayed bundles both become a `TelemetryStore`; the agents never see
file formats. Log text, diffs and deploy descriptions are redacted here, once, on the way in,
so nothing downstream (tools, models, reports) can see a secret.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from errors import UsageError
from sources.redact import redact_column, redact_json, redact_store_fields

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_CODE = {name: code for code, name in enumerate(LEVELS)}
ERROR_CODE = LEVEL_CODE["ERROR"]


def to_datetime64(value: datetime) -> np.datetime64:
    """An aware datetime as a naive UTC datetime64[ms], the unit every array here uses."""
    return np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "ms")


def to_datetime(value: np.datetime64) -> datetime:
    """A datetime64 (naive UTC) back to an aware UTC datetime."""
    ms = int(value.astype("datetime64[ms]").astype(np.int64))
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True)
class MetricInfo:
    name: str
    service: str
    unit: str | None = None
    description: str | None = None
    kind: str | None = None  # "gauge" | "counter"; None: decided from the data and the name
    bad_when: str | None = None  # "rises" | "falls"; None: decided from the data and the name


@dataclass(frozen=True)
class Series:
    """One metric's points, sorted by time. timestamps: datetime64[ms] (UTC); values: float64."""

    info: MetricInfo
    timestamps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class Deploy:
    service: str
    version: str
    commit: str
    deployed_at: datetime
    author: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class LogTable:
    """Log lines as columns, sorted by time, so filters and counts are array operations.

    levels holds codes into LEVELS; services holds codes into service_names. attributes holds
    each line's other fields (a bundle line's keys beyond the four it needs) as a dict, or None
    for a line without any; the whole column is None when no line has any, as in most bundles.
    """

    timestamps: np.ndarray
    services: np.ndarray
    levels: np.ndarray
    messages: np.ndarray
    service_names: tuple[str, ...]
    attributes: np.ndarray | None = None
    # Per-line facts derived from the columns above (error signatures, tags, names of
    # dependencies), filled by evidence/logs.py once and read by every later tool call.
    # Not an argument: a table made with dataclasses.replace starts with its own, empty.
    derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def empty(cls) -> "LogTable":
        return cls(
            timestamps=np.array([], dtype="datetime64[ms]"),
            services=np.array([], dtype=np.int32),
            levels=np.array([], dtype=np.int8),
            messages=np.array([], dtype=object),
            service_names=(),
        )

    @classmethod
    def from_rows(cls, rows: Sequence[tuple]) -> "LogTable":
        """Build from (timestamp, service, level, message[, attributes]) rows in any order."""
        if not rows:
            return cls.empty()
        names = tuple(sorted({r[1] for r in rows}))
        code = {n: i for i, n in enumerate(names)}
        return cls.from_columns(
            timestamps=np.array([to_datetime64(r[0]) for r in rows], dtype="datetime64[ms]"),
            services=np.array([code[r[1]] for r in rows], dtype=np.int32),
            levels=np.array([LEVEL_CODE[r[2]] for r in rows], dtype=np.int8),
            messages=np.array([r[3] for r in rows], dtype=object),
            service_names=names,
            attributes=[r[4] if len(r) > 4 else None for r in rows],
        )

    @classmethod
    def from_columns(
        cls,
        timestamps,
        services,
        levels,
        messages,
        service_names,
        attributes: Sequence[dict | None] | None = None,
    ) -> "LogTable":
        """Build from aligned columns in any order; messages and attributes are redacted here.

        attributes: one dict of JSON values (or None) per line; an empty dict reads as None.
        """
        order = np.argsort(timestamps, kind="stable")
        # In time order already (as files usually are): copies, not takes.
        take = slice(None) if (order == np.arange(len(order))).all() else order
        redacted = redact_column(np.asarray(messages, dtype=object)[take])
        return cls(
            timestamps=timestamps[take].copy(),
            services=services[take].copy(),
            levels=levels[take].copy(),
            messages=redacted,
            service_names=tuple(service_names),
            attributes=None if attributes is None else _attribute_column(attributes, order),
        )

    def __len__(self) -> int:
        return len(self.timestamps)

    def select(
        self,
        service: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        min_level: str | None = None,
    ) -> np.ndarray:
        """Indices (into every column) of lines matching every filter; [start, end) on time."""
        lo = 0 if start is None else int(np.searchsorted(self.timestamps, to_datetime64(start)))
        hi = (
            len(self.timestamps)
            if end is None
            else int(np.searchsorted(self.timestamps, to_datetime64(end)))
        )
        mask = np.ones(max(hi - lo, 0), dtype=bool)
        if service is not None:
            if service not in self.service_names:
                return np.array([], dtype=np.int64)
            mask &= self.services[lo:hi] == self.service_names.index(service)
        if min_level is not None:
            mask &= self.levels[lo:hi] >= LEVEL_CODE[min_level]
        return np.nonzero(mask)[0] + lo


class Telemetry(Protocol):
    """What an investigation may read about one incident window.

    Every source (built-in scenarios, bundles, live Prometheus/Loki/git) hands its data over as
    a `TelemetryStore`, which redacts on the way in; agents and evidence read only this.
    """

    name: str
    description: str
    trigger: dict[str, float]  # WindowTrigger overrides of the source

    def end_time(self) -> datetime: ...

    def metrics(self) -> dict[str, MetricInfo]: ...

    def series(self, metric: str) -> Series: ...

    def logs(self) -> LogTable: ...

    def deploys(self) -> list[Deploy]: ...

    def diff(self, commit: str) -> str | None: ...


@dataclass(frozen=True)
class TelemetryStore:
    """The in-memory Telemetry that scenarios and bundles both produce."""

    name: str
    metric_info: dict[str, MetricInfo]
    metric_series: dict[str, Series]
    log_table: LogTable = field(default_factory=LogTable.empty)
    deploy_events: list[Deploy] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)
    trigger: dict[str, float] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        # Redact every text field once on the way in (deploys sorted by time on the way);
        # LogTable.from_columns already did the log messages and attributes.
        for name, value in redact_store_fields(self).items():
            object.__setattr__(self, name, value)

    def metrics(self) -> dict[str, MetricInfo]:
        return self.metric_info

    def series(self, metric: str) -> Series:
        return self.metric_series[metric]

    def logs(self) -> LogTable:
        return self.log_table

    def deploys(self) -> list[Deploy]:
        return self.deploy_events

    def diff(self, commit: str) -> str | None:
        return self.diffs.get(commit)

    def end_time(self) -> datetime:
        """The newest timestamp in the data: the incident's clock when replaying."""
        ends = [s.timestamps[-1] for s in self.metric_series.values() if len(s.timestamps)]
        if not ends:  # load_bundle refuses such a bundle; a store built in code may still be one
            raise UsageError(f"telemetry {self.name!r} has no metric points, so no incident clock")
        return to_datetime(max(ends))


def _attribute_column(attributes: Sequence[dict | None], order: np.ndarray) -> np.ndarray | None:
    """attributes[order], redacted; None when no line has any, to spare memory on big bundles."""
    if len(attributes) != len(order):
        raise ValueError(f"{len(attributes)} attributes for {len(order)} log lines")
    column = None
    for row, line in enumerate(order.tolist()):
        found = attributes[line]
        if found is None or (isinstance(found, dict) and not found):
            continue
        if not isinstance(found, dict):
            raise TypeError(f"log attributes must be a dict or None, got {found!r}")
        if column is None:
            column = np.full(len(order), None, dtype=object)
        column[row] = redact_json(found)
    return column
