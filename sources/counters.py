"""Counters read through their rates: the step every source's data takes before detection.

A Prometheus counter (`http_requests_total`) only ever climbs, so its raw values look like a
ramp and say nothing of load; its per-second rate does. A counter keeps its name (the name the
user knows) and gets the unit "<unit>/s" and kind "counter".
"""

from dataclasses import replace

from semantics import is_counter, rate
from sources.telemetry import MetricInfo, Series, TelemetryStore


def with_rates(store: TelemetryStore) -> TelemetryStore:
    """The store with every counter series replaced by its per-second rate."""
    infos, series = dict(store.metric_info), dict(store.metric_series)
    changed = False
    for name, s in store.metric_series.items():
        info = s.info
        if info.kind == "counter" and info.unit and info.unit.endswith("/s"):
            continue  # already a rate (a store that went through here before)
        if len(s.values) < 3 or not is_counter(name, s.values, info.kind):
            continue
        unit = f"{info.unit}/s" if info.unit else "/s"
        new = MetricInfo(**{**info.__dict__, "unit": unit, "kind": "counter"})
        t, v = rate(s.timestamps, s.values)
        keep = v == v  # drop the NaN of repeated timestamps
        infos[name], series[name] = new, Series(new, t[keep], v[keep])
        changed = True
    if not changed:
        return store
    return replace(store, metric_info=infos, metric_series=series)
