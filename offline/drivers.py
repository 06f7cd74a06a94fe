"""The offline investigator's three drivers: which tools to call next, then the output.

Each step asks only for calls not asked before, so a driver ends even when a tool refuses
an argument, and it can take over a conversation another model began.
"""

from datetime import datetime
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo

import offline.rules as rules
from agents.deps import read_data_block
from evidence.deploys import DeployView, DiffSummary
from evidence.frames import CodeMatch
from evidence.graph import ServiceMap
from evidence.logs import LogsView, ServiceLogDetails
from evidence.metrics import BaselineComparison, MetricSummary
from models import LogEntry
from offline.draft import draft
from offline.history import History, call_key, read

Call = tuple[str, dict[str, Any]]
MAX_SERVICES = 8
# Scale limits (a Prometheus service has hundreds of metrics): the anomalous metrics read, in
# the order they fired, and the other metrics of an affected service read for corroboration,
# memory and GC first. The triage says when it read fewer than there were.
MAX_METRICS = 15
MAX_COMMANDER_METRICS = 25
MAX_CONTEXT_METRICS = 8
DEPLOY_LOOKBACK_MINUTES = 180


def _ask(history: History, calls: list[Call]) -> ModelResponse | None:
    missing = [(t, a) for t, a in calls if call_key(t, a) not in history.asked]
    missing = list({call_key(t, a): (t, a) for t, a in missing}.values())
    return ModelResponse(parts=[ToolCallPart(t, a) for t, a in missing]) if missing else None


def _anomalies(history: History) -> list[dict[str, Any]]:
    return read_data_block(history.prompt, "anomalies")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def metrics_driver(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    h = read(messages)
    fired = list(dict.fromkeys(a["metric"] for a in _anomalies(h)))
    metrics = fired[:MAX_METRICS]
    if step := _ask(
        h, [(tool, {"metric": m}) for m in metrics for tool in ("compare_baseline", "query_metric")]
    ):
        return step
    lines, affected = [], []
    for m in metrics:
        raw = h.result("compare_baseline", metric=m)
        if raw is None:
            lines.append(f"- {m}: no data (the tool refused it)")
            continue
        c = BaselineComparison.model_validate(raw)
        s = h.result("query_metric", metric=m)
        peak = f", peak {MetricSummary.model_validate(s).max:g}" if s else ""
        if c.shape in ("noise", "flat"):
            lines.append(f"- {m} ({c.service}): noise: {c.note}; not an incident signal")
        else:
            lines.append(f"- {c.service}: {rules.describe(c)}{peak}")
            affected.append(c.service)
    tail = (
        f"Affected services: {', '.join(dict.fromkeys(affected))}."
        if affected
        else "No metric shows a sustained change: isolated noise only."
    )
    if len(fired) > len(metrics):
        tail += f" Read the first {len(metrics)} of {len(fired)} anomalous metrics to fire."
    return ModelResponse(parts=[TextPart("Metrics triage:\n" + "\n".join(lines) + "\n" + tail)])


def _window_minutes(h: History) -> int:
    """From an hour before the first anomaly to the end of the data, within tool limits."""
    window = read_data_block(h.prompt, "window")
    first, end = _parse_time(window["triggered_at"]), _parse_time(window["data_ends_at"])
    return max(60, min(1440, int((end - first).total_seconds() // 60) + 60))


def logs_driver(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    h = read(messages)
    minutes = _window_minutes(h)
    overview_args = {"minutes": minutes}
    if step := _ask(h, [("fetch_logs", overview_args)]):
        return step
    overview = LogsView.model_validate(h.result("fetch_logs", **overview_args))
    anomalous = [a["service"] for a in _anomalies(h)]
    noisy = {s for sig in overview.signatures for s in sig.services}
    services = sorted(
        set(anomalous) | noisy | set(overview.errors_by_service),
        key=lambda s: (-overview.errors_by_service.get(s, 0), s),  # ties by name: any hash seed
    )[:MAX_SERVICES]
    per_service = [("fetch_logs", {"service": s, "minutes": minutes, "limit": 5}) for s in services]
    if step := _ask(h, per_service):
        return step
    views = {
        a["service"]: LogsView.model_validate(r)
        for a, r in h.by_tool("fetch_logs")
        if a.get("service")
    }
    # Follow the top error of each service across all services: is it local or shared?
    probes = []
    for v in views.values():
        errors = [s for s in v.signatures if s.level in ("ERROR", "FATAL")]
        if errors:
            text = errors[0].signature.split("#", 1)[0].strip()[:60]
            if len(text) >= 8:
                probes.append(("search_logs", {"text": text, "minutes": minutes}))
    if step := _ask(h, probes[:3]):
        return step
    key_entries: list[LogEntry] = []
    lines = []
    for service, v in views.items():
        if not v.lines:
            continue
        top = "; ".join(f"{s.count}x {s.level} {s.signature[:90]}" for s in v.signatures[:3])
        lines.append(f"{service}: {v.by_level} - {top}")
        key_entries += [e for e in v.samples if e.level in ("ERROR", "FATAL", "WARN")][:3]
    for args, raw in h.by_tool("search_logs"):
        found = LogsView.model_validate(raw)
        if len(found.errors_by_service) > 1:
            lines.append(f"'{args['text']}' appears in {', '.join(found.errors_by_service)}")
    summary = "\n".join(lines) or "No WARN or ERROR lines in the window."
    output = {
        "key_entries": [e.model_dump(mode="json") for e in key_entries[:20]],
        "error_counts": overview.errors_by_service,
        "summary": summary,
    }
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, output)])


def _context_metrics(catalogue: list[dict], service: str, read: list[str]) -> list[str]:
    """A service's other metrics worth a look, memory and GC first, at most a few."""
    names = [m["metric"] for m in catalogue if m["service"] == service and m["metric"] not in read]
    memory = ("heap", "mem", "gc", "rss", "resident", "oom", "buffer")
    names.sort(key=lambda n: (not any(w in n.lower() for w in memory), n))
    return names[:MAX_CONTEXT_METRICS]


def _deploy_span(first: datetime, last: datetime) -> dict[str, Any]:
    """Deploys from well before a service's first onset up to its last one.

    A bad deploy can land hours after a normal morning ramp moved the request rate.
    """
    minutes = int((last - first).total_seconds() // 60) + DEPLOY_LOOKBACK_MINUTES
    return {"before": last.isoformat(), "window_minutes": min(minutes, 10080)}


def commander_driver(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    h = read(messages)
    anomalies = _anomalies(h)
    metrics = list(dict.fromkeys(a["metric"] for a in anomalies))[:MAX_COMMANDER_METRICS]
    triggered_at = min(_parse_time(a["first"]) for a in anomalies)
    # INVESTIGATE: what moved, and how.
    first_calls = [("get_service_map", {})]
    first_calls += [("get_metric_details", {"metric": m}) for m in metrics]
    if step := _ask(h, first_calls):
        return step
    raw_map = h.result("get_service_map")
    graph = ServiceMap.model_validate(raw_map) if raw_map is not None else None
    log_services = {s.service for s in graph.services if "logs" in s.telemetry} if graph else set()
    details = {
        a["metric"]: BaselineComparison.model_validate(r["comparison"])
        for a, r in h.by_tool("get_metric_details")
    }
    comparisons = [details[m] for m in metrics if m in details]
    real = [c for c in comparisons if c.sustained and c.shape not in ("noise", "flat")]
    onsets: dict[str, datetime] = {}
    latest: dict[str, datetime] = {}
    for c in real:
        if c.onset and (c.service not in onsets or c.onset < onsets[c.service]):
            onsets[c.service] = c.onset
        if c.onset and (c.service not in latest or c.onset > latest[c.service]):
            latest[c.service] = c.onset
    log_summary = read_data_block(h.prompt, "log_summary")
    log_counts = dict(log_summary.get("error_counts", {}))
    for e in log_summary.get("key_entries", []):  # services with only warnings count too
        log_counts.setdefault(e["service"], 0)
    first = min(onsets.values(), default=triggered_at)
    others = [s for s in sorted(log_counts, key=lambda s: (-log_counts[s], s)) if s not in onsets]
    catalogue = read_data_block(h.prompt, "metrics") if '<data name="metrics">' in h.prompt else []
    # Every metric of an affected service: a leaking heap may fire once, its GC pauses often.
    calls = [
        ("get_metric_details", {"metric": m})
        for s in onsets
        for m in _context_metrics(catalogue, s, metrics)
    ]
    calls += [
        ("get_log_details", {"service": s, "onset": t.isoformat()}) for s, t in onsets.items()
    ]
    calls += [("list_recent_deploys", _deploy_span(onsets[s], latest[s])) for s in onsets]
    calls += [
        ("find_changed_code", {"service": s, "onset": t.isoformat()})
        for s, t in onsets.items()
        if s in log_services
    ]
    calls += [
        ("get_log_details", {"service": s, "onset": first.isoformat()})
        for s in others[:MAX_SERVICES]
    ]
    if step := _ask(h, calls):
        return step
    # A service can be read twice: around its own onset, and as another's dependency.
    logs = {
        (a["service"], a["onset"]): ServiceLogDetails.model_validate(r)
        for a, r in h.by_tool("get_log_details")
    }
    deploys_at = {
        call_key("list_recent_deploys", a): [DeployView.model_validate(d) for d in r]
        for a, r in h.by_tool("list_recent_deploys")
    }
    evidence = [
        rules.ServiceEvidence(
            service=s,
            onset=t,
            comparisons=[c for c in real if c.service == s],
            context_comparisons=[c for c in details.values() if c.service == s and c not in real],
            logs=logs.get((s, t.isoformat())),
            deploys=deploys_at.get(call_key("list_recent_deploys", _deploy_span(t, latest[s])), []),
            code_matches=[
                CodeMatch.model_validate(m)
                for m in h.result("find_changed_code", service=s, onset=t.isoformat()) or []
            ],
        )
        for s, t in onsets.items()
    ]
    # Read the diffs of this service's deploys just before onset; follow named dependencies.
    calls = [
        ("get_code_diff", {"commit": d.commit})
        for ev in evidence
        for d in ev.recent_deploys()
        if d.has_diff
    ]
    calls += [
        ("get_log_details", {"service": dep, "onset": ev.onset.isoformat()})
        for ev in evidence
        if ev.logs
        for dep in list(ev.logs.dependencies_named)[:2]  # also those that went silent
    ]
    if step := _ask(h, calls):
        return step
    diffs = {a["commit"]: DiffSummary.model_validate(r) for a, r in h.by_tool("get_code_diff")}
    for ev in evidence:
        ev.diffs = diffs
        at_onset = {s: d for (s, t), d in logs.items() if t == ev.onset.isoformat()}
        ev.dependency_logs = {
            s: at_onset.get(s, d) for (s, _), d in logs.items() if s != ev.service
        }
    noise = [c for c in comparisons if c not in real]
    bystanders = [logs[(s, first.isoformat())] for s in others if (s, first.isoformat()) in logs]
    report = draft(evidence, bystanders, noise, triggered_at, graph)
    return ModelResponse(
        parts=[ToolCallPart(info.output_tools[0].name, report.model_dump(mode="json"))]
    )


DRIVERS = {"metrics": metrics_driver, "logs": logs_driver, "commander": commander_driver}
