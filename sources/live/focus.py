"""A firing alert as an anomaly of its service, for when the trigger stays quiet about it.

The alert names a service, not a metric, so the anomaly is placed on that service's metric that
moved most at the alert's start (robust z of the value at startsAt against the data before it),
at startsAt. Alerts whose service has no configured metric add nothing here; they still focus
the report through the provenance.
"""

from collections.abc import Iterable

import numpy as np

from models import MetricAnomaly
from sources.live.alerts import Alert
from sources.telemetry import Telemetry, to_datetime, to_datetime64


def alert_anomalies(
    telemetry: Telemetry, alerts: Iterable[Alert], detected: Iterable[MetricAnomaly] = ()
) -> list[MetricAnomaly]:
    """One anomaly per firing alert whose service has metrics and none among `detected`."""
    quiet = {a.service for a in alerts if a.status == "firing" and a.service}
    quiet -= {a.service for a in detected}
    out = []
    for alert in alerts:
        if alert.status != "firing" or alert.service not in quiet:
            continue
        quiet.discard(alert.service)  # one per service: the earliest alert comes first
        best = None
        for name, info in telemetry.metrics().items():
            if info.service == alert.service:
                moved = _moved(name, telemetry.series(name), alert)
                if moved is not None and (best is None or moved[0] > best[0]):
                    best = moved
        if best is not None:
            out.append(best[1])
    return out


def _moved(name: str, series, alert: Alert) -> tuple[float, MetricAnomaly] | None:
    """(robust z, anomaly) of `series` at the alert's start; None without points there."""
    stamps, values = series.timestamps, series.values
    at = int(np.searchsorted(stamps, to_datetime64(alert.starts_at)))
    if at >= len(values):
        return None
    before = values[:at] if at else values[:1]
    median = float(np.median(before))
    spread = float(np.median(np.abs(before - median))) * 1.4826 or abs(median) * 0.01 or 1.0
    value = float(values[at:][np.argmax(np.abs(values[at:] - median))])  # worst after start
    score = abs(value - median) / spread
    anomaly = MetricAnomaly(
        metric=name,
        service=series.info.service,
        value=value,
        threshold=value,  # the alert fired, not a threshold: it is met exactly
        timestamp=to_datetime(stamps[at]),
        baseline_mean=median,
        baseline_std=spread,
        direction="above" if value >= median else "below",
    )
    return score, anomaly
