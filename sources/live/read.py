"""Read one live window from the sources a config names, into a TelemetryStore (see __init__)."""

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from errors import UsageError
from sources.live.alerts import Alert, alert_window, parse_payload
from sources.live.config import LiveConfig, load_config, public_url
from sources.live.files import read_deploys_file, read_logs_file
from sources.live.git import read_diff
from sources.live.loki import read_logs
from sources.live.prometheus import PrometheusClient
from sources.telemetry import LogTable, MetricInfo, Series, TelemetryStore


@dataclass(frozen=True)
class LiveWindow:
    telemetry: TelemetryStore
    start: datetime
    end: datetime  # the incident's clock
    step_seconds: int
    alerts: list[Alert] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)

    @property
    def alert_services(self) -> list[str]:
        """Services named by firing alerts, in payload order: the investigation's focus."""
        named = [a.service for a in self.alerts if a.status == "firing" and a.service]
        return list(dict.fromkeys(named))


def open_live(
    config_path: Path,
    start: datetime | None,
    end: datetime | None,
    alert: tuple[str, str] | None,
    now: datetime,
    transport=None,
) -> LiveWindow:
    """Read [start, end] (or the alert's window) from the configured sources; end defaults to now.

    alert: (payload JSON, where it came from) or None. transport: an httpx transport for tests.
    """
    config = load_config(config_path)
    end = end or now
    alerts: list[Alert] = []
    if alert is not None:
        alerts = parse_payload(alert[0], alert[1], config.alerts.service_labels)
        start, end = alert_window(alerts, config.alerts.lookback, end)
    if start is None or start >= end:
        raise UsageError(f"the window [{start}, {end}] is empty")
    prometheus = PrometheusClient(config.prometheus, start, end, transport)
    try:
        found = prometheus.all_series(list(config.metrics))
        series = {m.name: _series(m, found[m.name]) for m in config.metrics}
        built = [d for s in config.services if s.build_info for d in prometheus.deploys(s)]
    finally:
        prometheus.close()
    deploys = _deploys(config, start, end, built)
    repos = {s.name: s.repo for s in config.services}
    diffs = {}
    for d in deploys:
        text = read_diff(d.commit, config.diffs_dir, repos.get(d.service))
        if text is not None:
            diffs[d.commit] = text
    store = TelemetryStore(
        name=f"live-{start:%Y%m%d-%H%M%S}",
        description=f"live window {_iso(start)} to {_iso(end)} from {config.path.name}",
        metric_info={name: s.info for name, s in series.items()},
        metric_series=series,
        log_table=_logs(config, start, end, transport),
        deploy_events=deploys,
        diffs=diffs,
        trigger=config.trigger,
    )
    return LiveWindow(
        telemetry=store,
        start=start,
        end=end,
        step_seconds=prometheus.step,
        alerts=alerts,
        provenance=_provenance(config, start, end, prometheus.step, alerts),
    )


_INFO_FIELDS = {f.name for f in fields(MetricInfo)}


def _series(metric, found) -> Series:
    extra = {"kind": metric.kind, "bad_when": metric.bad_when}
    info = MetricInfo(
        name=metric.name,
        service=metric.service,
        unit=metric.unit,
        description=metric.description,
        # kind/bad_when travel as soon as MetricInfo carries them (bundle.json has them).
        **{k: v for k, v in extra.items() if k in _INFO_FIELDS and v is not None},
    )
    return Series(info=info, timestamps=found.timestamps, values=found.values)


def _deploys(config: LiveConfig, start: datetime, end: datetime, built: list) -> list:
    listed = read_deploys_file(config.deploys_file) if config.deploys_file else []
    inside = [d for d in listed if start <= d.deployed_at <= end]
    known = {(d.service, d.commit) for d in inside}
    return inside + [d for d in built if (d.service, d.commit) not in known]


def _logs(config: LiveConfig, start: datetime, end: datetime, transport) -> LogTable:
    if config.loki is not None:
        rows = read_logs(config.loki, list(config.services), start, end, transport)
        return LogTable.from_rows(rows)
    if config.logs_file is None:
        return LogTable.empty()
    return read_logs_file(config.logs_file, start, end)


def _provenance(config: LiveConfig, start, end, step: int, alerts: list[Alert]) -> dict:
    sources = {
        "prometheus": public_url(config.prometheus.url),
        "loki": public_url(config.loki.url) if config.loki else None,
        "logs_file": str(config.logs_file) if config.logs_file else None,
        "deploys_file": str(config.deploys_file) if config.deploys_file else None,
        "diffs_dir": str(config.diffs_dir) if config.diffs_dir else None,
        "repos": {s.name: str(s.repo) for s in config.services if s.repo} or None,
    }
    return {
        "config": str(config.path),
        "sources": {k: v for k, v in sources.items() if v},
        "window": {"from": _iso(start), "to": _iso(end)},
        "step_seconds": step,
        "alerts": [a.record() for a in alerts],
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
