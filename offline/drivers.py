"""The offline investigator's three drivers: which tools to call next, then the output.

Each step asks only for calls not asked before, so a driver ends even when a tool refuses
an argument, and it can take over a conversation another model began. Calls that do not need
each other's results go out together (one request), and a driver reads tool results as the
model does: compact JSON (agents.deps.compact), with what was left out restored as empty.
"""

import copy
import re
from datetime import datetime
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo

import offline.rules as rules
from agents.deps import read_data_block
from evidence.deploys import DeployView, DiffSummary
from evidence.frames import CodeMatch
from evidence.graph import ServiceMap
from evidence.logs import LogsView, ServiceLogDetails, Signature
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
M = TypeVar("M", bound=BaseModel)


def _ask(history: History, calls: list[Call]) -> ModelResponse | None:
    missing = [(t, a) for t, a in calls if call_key(t, a) not in history.asked]
    missing = list({call_key(t, a): (t, a) for t, a in missing}.values())
    return ModelResponse(parts=[ToolCallPart(t, a) for t, a in missing]) if missing else None


def _revive(model: type[M], data: Any) -> M:
    """An evidence model from the compact JSON a model read (agents.deps.compact).

    A field left out was empty: None, [], {}, or its default.
    """
    return model.model_validate(_filled(model, data))


def _filled(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for name, field in model.model_fields.items():
        if name in data:
            data[name] = _filled_value(field.annotation, data[name])
        elif field.is_required():
            data[name] = _empty(field.annotation)
    return data


def _filled_value(annotation: Any, value: Any) -> Any:
    for t in _alternatives(annotation):
        if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(value, dict):
            return _filled(t, value)
        if get_origin(t) is list and isinstance(value, list):
            return [_filled_value(get_args(t)[0], v) for v in value]
    return value


def _alternatives(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)


def _empty(annotation: Any) -> Any:
    types = _alternatives(annotation)
    if NoneType in types:
        return None
    kind = get_origin(types[0]) or types[0]
    return {list: [], dict: {}, bool: False, str: "", int: 0, float: 0.0}.get(kind)


def _logs_view(raw: dict[str, Any], service: str | None) -> LogsView:
    """fetch_logs or search_logs as read: a sample that is its signature, and in one service's
    view its signatures' and lines' service, go without saying."""
    raw = copy.deepcopy(raw)
    for sig in raw.get("signatures", []):
        sig.setdefault("sample", sig.get("signature", ""))
        if service is not None:
            sig.setdefault("services", [service])
    for e in raw.get("samples", []):
        e.setdefault("service", service)
    return _revive(LogsView, raw)


def _log_details(raw: dict[str, Any]) -> ServiceLogDetails:
    """get_log_details as read: its lines and new signatures are all the service's own."""
    raw = copy.deepcopy(raw)
    service = raw.get("service")
    for sig in raw.get("new_signatures", []):
        sig.setdefault("signature", sig.get("sample", ""))
        sig.setdefault("services", [service])
    for e in [*raw.get("samples", []), *raw.get("lead_up", [])]:
        e.setdefault("service", service)
    return _revive(ServiceLogDetails, raw)


def _service_map(raw: dict[str, Any]) -> ServiceMap:
    """get_service_map as read: a service without a root is its own."""
    raw = copy.deepcopy(raw)
    for s in raw.get("services", []):
        s.setdefault("root", s.get("service"))
    return _revive(ServiceMap, raw)


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
        c = _revive(BaselineComparison, raw)
        s = h.result("query_metric", metric=m)
        peak = f", peak {_revive(MetricSummary, s).max:g}" if s else ""
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


def _probes(candidates: list[list[Signature]], minutes: int) -> list[Call]:
    """Searches for the top error of each service (its signatures, most frequent first)."""
    probes = []
    for sigs in candidates:
        errors = [s for s in sigs if s.level in ("ERROR", "FATAL")]
        if errors:
            text = errors[0].signature.split("#", 1)[0].strip()[:60]
            if len(text) >= 8:
                probes.append(("search_logs", {"text": text, "minutes": minutes}))
    return probes[:3]


def logs_driver(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    h = read(messages)
    minutes = _window_minutes(h)
    overview_args = {"minutes": minutes, "limit": 0}  # counts and signatures; lines per service
    if step := _ask(h, [("fetch_logs", overview_args)]):
        return step
    overview = _logs_view(h.result("fetch_logs", **overview_args), None)
    anomalous = [a["service"] for a in _anomalies(h)]
    noisy = {s for sig in overview.signatures for s in sig.services}
    services = sorted(
        set(anomalous) | noisy | set(overview.errors_by_service),
        key=lambda s: (-overview.errors_by_service.get(s, 0), s),  # ties by name: any hash seed
    )[:MAX_SERVICES]
    per_service = [("fetch_logs", {"service": s, "minutes": minutes, "limit": 5}) for s in services]
    # Follow the top error of each service across all services: is it local or shared? The
    # overview's signatures tell it, mostly, so the searches go out with the per-service reads.
    guessed = _probes(
        [[g for g in overview.signatures if s in g.services] for s in services], minutes
    )
    if step := _ask(h, per_service + guessed):
        return step
    views = {
        a["service"]: _logs_view(r, a["service"])
        for a, r in h.by_tool("fetch_logs")
        if a.get("service")
    }
    probes = _probes([v.signatures for v in views.values()], minutes)
    if step := _ask(h, probes):  # a service's own top error was not the overview's
        return step
    key_entries: list[LogEntry] = []
    lines = []
    for service, v in views.items():
        if not v.lines:
            continue
        top = "; ".join(f"{s.count}x {s.level} {s.signature[:90]}" for s in v.signatures[:3])
        lines.append(f"{service}: {v.by_level} - {top}")
        key_entries += [e for e in v.samples if e.level in ("ERROR", "FATAL", "WARN")][:3]
    for args in {call_key(t, a): a for t, a in probes}.values():
        if (raw := h.result("search_logs", **args)) is None:
            continue
        found = _logs_view(raw, None)
        if len(found.errors_by_service) > 1:
            lines.append(f"'{args['text']}' appears in {', '.join(found.errors_by_service)}")
    summary = "\n".join(lines) or "No WARN or ERROR lines in the window."
    output = {
        "key_entries": [e.model_dump(mode="json") for e in key_entries[:20]],
        "error_counts": overview.errors_by_service,
        "summary": summary,
    }
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, output)])


def _context_metrics(catalogue: dict[str, dict], service: str, read: list[str]) -> list[str]:
    """A service's other metrics worth a look, memory and GC first, at most a few."""
    names = [m for m in catalogue.get(service, {}) if m not in read]
    memory = ("heap", "mem", "gc", "rss", "resident", "oom", "buffer")
    names.sort(key=lambda n: (not any(w in n.lower() for w in memory), n))
    return names[:MAX_CONTEXT_METRICS]


def _log_key(service: str, onset: str) -> str:
    return call_key("get_log_details", {"service": service, "onset": onset})


def _deploy_span(first: datetime, last: datetime) -> dict[str, Any]:
    """Deploys from well before a service's first onset up to its last one.

    A bad deploy can land hours after a normal morning ramp moved the request rate.
    """
    minutes = int((last - first).total_seconds() // 60) + DEPLOY_LOOKBACK_MINUTES
    return {"before": last.isoformat(), "window_minutes": min(minutes, 10080)}


def _onsets(times: list[tuple[str, datetime]]) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """Each service's first and last onset."""
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for service, t in times:
        first[service] = min(first.get(service, t), t)
        last[service] = max(last.get(service, t), t)
    return first, last


def _triage(h: History, metrics: list[str]) -> set[str] | None:
    """The metrics the triage calls noise (as the offline metrics driver writes it), or None
    when it does not speak of every metric read."""
    if '<data name="metrics_triage">' not in h.prompt:
        return None
    text = str(read_data_block(h.prompt, "metrics_triage"))
    if not all(re.search(rf"(?<![\w.:-]){re.escape(m)}(?![\w.:-])", text) for m in metrics):
        return None
    return set(re.findall(r"^- (.+?) \([^()\n]*\): noise:", text, re.MULTILINE))


def _choices(info: AgentInfo, tool: str, param: str) -> set[str]:
    """The values a tool's schema allows for a parameter (its enum)."""
    for t in info.function_tools:
        if t.name == tool:
            prop = t.parameters_json_schema.get("properties", {}).get(param, {})
            options = [prop, *prop.get("anyOf", [])]
            return {v for o in options for v in o.get("enum", [])}
    return set()


def _evidence_calls(
    onsets: dict[str, datetime],
    latest: dict[str, datetime],
    log_services: set[str],
    catalogue: dict[str, dict],
    metrics: list[str],
    others: list[str],
    triggered_at: datetime,
) -> list[Call]:
    """What to read of each service whose trouble began at an onset, and of the bystanders."""
    first = min(onsets.values(), default=triggered_at)
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
        for s in [s for s in others if s not in onsets][:MAX_SERVICES]
    ]
    return calls


def commander_driver(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    h = read(messages)
    anomalies = _anomalies(h)
    metrics = list(dict.fromkeys(a["metric"] for a in anomalies))[:MAX_COMMANDER_METRICS]
    triggered_at = min(_parse_time(a["first"]) for a in anomalies)
    log_summary = read_data_block(h.prompt, "log_summary")
    log_counts = dict(log_summary.get("error_counts", {}))
    for service in log_summary.get("key_entries", {}):  # services with only warnings count too
        log_counts.setdefault(service, 0)
    others = sorted(log_counts, key=lambda s: (-log_counts[s], s))
    catalogue = read_data_block(h.prompt, "metrics") if '<data name="metrics">' in h.prompt else {}
    # INVESTIGATE: what moved, and how.
    first_calls = [("get_service_map", {})]
    first_calls += [("get_metric_details", {"metric": m}) for m in metrics]
    # When the triage tells which of them are noise, the anomalies tell when each service's
    # trouble began: the reads of its logs, deploys and code go out with the first calls, and
    # are checked against the comparisons when they come back (a wrong guess costs a round).
    guessed: list[Call] = []
    if (quiet := _triage(h, metrics)) is not None:
        guess = _onsets(
            [
                (a["service"], _parse_time(a["first"]))
                for a in anomalies
                if a["metric"] in metrics and a["metric"] not in quiet
            ]
        )
        logged = _choices(info, "find_changed_code", "service")
        guessed = _evidence_calls(*guess, logged, catalogue, metrics, others, triggered_at)
    if step := _ask(h, first_calls + guessed):
        return step
    raw_map = h.result("get_service_map")
    graph = _service_map(raw_map) if raw_map is not None else None
    log_services = {s.service for s in graph.services if "logs" in s.telemetry} if graph else set()
    details = {
        a["metric"]: _revive(BaselineComparison, r["comparison"])
        for a, r in h.by_tool("get_metric_details")
    }
    comparisons = [details[m] for m in metrics if m in details]
    real = [c for c in comparisons if c.sustained and c.shape not in ("noise", "flat")]
    onsets, latest = _onsets([(c.service, c.onset) for c in real if c.onset])
    first = min(onsets.values(), default=triggered_at)
    evidence_calls = _evidence_calls(
        onsets, latest, log_services, catalogue, metrics, others, triggered_at
    )
    if step := _ask(h, evidence_calls):
        return step
    # A service can be read twice: around its own onset, and as another's dependency.
    logs = {(a["service"], a["onset"]): _log_details(r) for a, r in h.by_tool("get_log_details")}
    deploys_at = {
        call_key("list_recent_deploys", a): [_revive(DeployView, d) for d in r]
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
                _revive(CodeMatch, m)
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
    # Reads asked on a wrong guess of an onset are not evidence.
    needed = {call_key(t, a) for t, a in [*evidence_calls, *calls]}
    wasted = {call_key(t, a) for t, a in guessed} - needed
    logs = {k: d for k, d in logs.items() if _log_key(*k) not in wasted}
    diffs = {a["commit"]: _revive(DiffSummary, r) for a, r in h.by_tool("get_code_diff")}
    for ev in evidence:
        ev.diffs = diffs
        at_onset = {s: d for (s, t), d in logs.items() if t == ev.onset.isoformat()}
        ev.dependency_logs = {
            s: at_onset.get(s, d) for (s, _), d in logs.items() if s != ev.service
        }
    noise = [c for c in comparisons if c not in real]
    bystanders = [
        logs[(s, first.isoformat())]
        for s in others
        if s not in onsets and (s, first.isoformat()) in logs
    ]
    report = draft(evidence, bystanders, noise, triggered_at, graph)
    return ModelResponse(
        parts=[ToolCallPart(info.output_tools[0].name, report.model_dump(mode="json"))]
    )


DRIVERS = {"metrics": metrics_driver, "logs": logs_driver, "commander": commander_driver}
