"""The RCA report as markdown for the person on call: what broke, what to do first, and why.

Findings are ordered by customer impact, so the step that stops what users feel comes first:

1. A finding whose customers see errors or latency: an error, rejection or latency metric
   moved on its service or, for a dependency failure, on a caller that suffers from it (an
   affected service).
2. Among equals, by category: the failures that break requests outright (dependency failure,
   configuration change, code regression, traffic surge) before the slow ones (resource
   saturation, memory leak) and `unknown`.
3. Then by confidence, then by the first anomaly on the finding's service.

A remediation step belongs to the finding whose service it names; a step that names none
follows the step before it. Every text from data goes through `sinks.text.markdown` once, here.
"""

from datetime import datetime
from typing import NamedTuple

from evidence.logs import MAX_ERROR_SERVICES, signature
from models import AnomalyGroup, Finding, LogEntry, RCAReport
from semantics import is_error_rate, is_latency, words
from sinks.text import cut, markdown, number

CATEGORY = {
    "config_change": "configuration change",
    "code_regression": "code regression",
    "memory_leak": "memory leak",
    "resource_saturation": "resource saturation",
    "traffic_surge": "traffic surge",
    "dependency_failure": "dependency failure",
    "unknown": "cause unknown",
}
ACTION = {
    "rollback": "roll back",
    "restart": "restart",
    "scale_out": "scale out",
    "failover": "fail over",
    "escalate": "escalate",
}
# Fast, request-breaking failures first; slow exhaustion after (the module docstring).
_CATEGORY_ORDER = (
    "dependency_failure",
    "config_change",
    "code_regression",
    "traffic_surge",
    "resource_saturation",
    "memory_leak",
    "unknown",
)
RULED_OUT = "ruled out:"
LONG = 300  # characters of one evidence line, log line or step before it is cut


class _Metric(NamedTuple):  # what semantics' predicates read of a metric
    metric: str
    unit: str | None = None


def _md(text: str, limit: int = LONG) -> str:
    return markdown(cut(text, limit))


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%SZ")


def _user_facing(group: AnomalyGroup) -> bool:
    m = _Metric(group.metric)
    return is_error_rate(m) or (is_latency(m) and "cpu" not in words(group.metric))


def order_findings(r: RCAReport) -> list[Finding]:
    """The findings by customer impact (the module docstring)."""
    first = {a.service: a.first for a in sorted(r.anomalies, key=lambda a: a.first, reverse=True)}
    hurting = {a.service for a in r.anomalies if _user_facing(a)}

    def key(f: Finding):
        seen = {f.service} | (
            set(r.affected_services) if f.category == "dependency_failure" else set()
        )
        end = datetime.max.replace(tzinfo=r.triggered_at.tzinfo)
        return (
            not (seen & hurting),
            _CATEGORY_ORDER.index(f.category),
            -f.confidence,
            first.get(f.service, end),
        )

    return sorted(r.findings, key=key)


def steps_by_finding(r: RCAReport, findings: list[Finding]) -> tuple[list[list[str]], list[str]]:
    """Each finding's remediation steps, in the report's order, and the steps of none."""
    mine: list[list[str]] = [[] for _ in findings]
    unowned: list[str] = []
    owner: int | None = None
    pending: list[str] = []  # steps before the first that names a service
    for step in r.remediation_steps:
        named = [i for i, f in enumerate(findings) if f.service and f.service in step]
        if named:
            owner = min(named, key=lambda i: step.index(findings[i].service))
            mine[owner] += pending
            pending = []
        if owner is None:
            pending.append(step)
        else:
            mine[owner].append(step)
    unowned += pending
    return mine, unowned


def _title(r: RCAReport) -> str:
    if r.status == "incomplete":
        return f"# Incident {r.incident_id} (investigation incomplete)"
    if not r.findings:
        return f"# No incident identified ({r.incident_id})"
    return f"# Incident {r.incident_id}"


def _header(r: RCAReport) -> list[str]:
    by = ", ".join(r.answered_by) or "nobody"
    fell = f"yes: {_md(r.fallback_reason or '')}" if r.fell_back else "no"
    affected = ", ".join(markdown(s) for s in r.affected_services) or "none identified"
    return [
        f"- **Triggered:** {_when(r.triggered_at)} (onset)",
        f"- **Confidence:** {r.confidence:.0%}",
        f"- **Affected services:** {affected}",
        f"- **Model asked:** {markdown(r.model)}; **answers from:** {markdown(by)}",
        f"- **Fell back:** {fell}",
        *_sources(r.sources),
        "",
    ]


def _sources(p: dict | None) -> list[str]:
    """Where a live investigation's data came from, and the alert that started it."""
    if not p:
        return []
    where = ", ".join(markdown(str(v)) for v in (p.get("sources") or {}).values())
    window = p.get("window") or {}
    lines = [
        f"- **Sources:** {where or 'none'}; window {markdown(str(window.get('from')))} to "
        f"{markdown(str(window.get('to')))}, step {p.get('step_seconds')} s"
    ]
    for a in p.get("alerts") or []:
        lines.append(
            f"- **Alert:** {markdown(str(a.get('alertname')))} ({markdown(str(a.get('status')))}"
            f", since {markdown(str(a.get('startsAt')))}, fingerprint "
            f"{markdown(str(a.get('fingerprint')))})"
        )
    return lines


def _finding(i: int, f: Finding, steps: list[str]) -> list[str]:
    ruled_out = [e for e in f.evidence if e.lower().startswith(RULED_OUT)]
    evidence = [e for e in f.evidence if e not in ruled_out]
    lines = [
        f"### {i}. {markdown(f.service)}: {CATEGORY[f.category]}, {ACTION[f.action]} "
        f"({f.confidence:.0%})",
        "",
        _md(f.summary, 1000),
        "",
    ]
    if evidence:
        lines += ["**Evidence**", "", *[f"- {_md(e)}" for e in evidence], ""]
    if ruled_out:
        lines += ["**Ruled out**", ""]
        lines += [f"- {_md(e[len(RULED_OUT) :].strip())}" for e in ruled_out]
        lines += [""]
    if steps:
        lines += ["**Remediation**", "", *[f"{n}. {_md(s)}" for n, s in enumerate(steps, 1)], ""]
    return lines


def _timeline(r: RCAReport) -> list[str]:
    before = [e for e in r.timeline if e.timestamp < r.triggered_at]
    after = sorted(
        (e for e in r.timeline if e.timestamp >= r.triggered_at), key=lambda e: e.timestamp
    )
    rows = [f"| {_when(e.timestamp)} | {_md(e.event)} |" for e in after]
    if not after or after[0].timestamp != r.triggered_at:
        rows.insert(0, f"| {_when(r.triggered_at)} | onset: anomaly detection fired |")
    lines = ["## Timeline", "", "| time (UTC) | event |", "|---|---|", *rows, ""]
    if before:
        lines += ["Before the onset:", ""]
        lines += [f"- {_when(e.timestamp)}: {_md(e.event)}" for e in before]
        lines += [""]
    return lines


def _anomalies(r: RCAReport) -> list[str]:
    lines = [
        "## Anomalies",
        "",
        "| metric | service | points | first | peak | threshold |",
        "|---|---|--:|---|--:|--:|",
    ]
    for a in r.anomalies:
        worst = number(a.peak, a.metric)
        side = "" if a.direction == "above" else " (low)"
        lines.append(
            f"| {markdown(a.metric)} | {markdown(a.service)} | {a.count} | {_when(a.first)} | "
            f"{worst}{side} | {number(a.threshold, a.metric)} |"
        )
    return [*lines, ""]


def _metrics_triage(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].rstrip(":").lower() == "metrics triage":
        lines = lines[1:]  # the heading says it already
    out = ["## Metrics triage", ""]
    for line in lines:
        if line.startswith(("- ", "* ")):
            out.append(f"- {_md(line[2:])}")
        else:  # a paragraph of its own, never a lazy continuation of a list item
            out += ["", _md(line, 1000)]
    return [*out, ""]


class _Signature(NamedTuple):
    service: str
    level: str
    first: datetime
    last: datetime
    count: int
    sample: str


def _signatures(entries: list[LogEntry]) -> list[_Signature]:
    groups: dict[tuple[str, str, str], list[LogEntry]] = {}
    for e in sorted(entries, key=lambda e: e.timestamp):
        groups.setdefault((e.service, e.level, signature(e.message)), []).append(e)
    return [
        _Signature(svc, level, g[0].timestamp, g[-1].timestamp, len(g), g[-1].message)
        for (svc, level, _), g in groups.items()
    ]


def _logs(r: RCAReport) -> list[str]:
    logs = r.log_summary
    if logs is None:
        return []
    lines = ["## Logs", ""]
    if logs.error_counts:
        lines += ["| service | ERROR and FATAL lines |", "|---|--:|"]
        ranked = sorted(logs.error_counts.items(), key=lambda kv: -kv[1])
        lines += [f"| {markdown(s)} | {n} |" for s, n in ranked[:MAX_ERROR_SERVICES]]
        if rest := ranked[MAX_ERROR_SERVICES:]:
            lines += [f"| {len(rest):,} more services | {sum(n for _, n in rest):,} |"]
        lines += [""]
    errors = logs.error_counts
    sigs = sorted(_signatures(logs.key_entries), key=lambda s: (-errors.get(s.service, 0), s.first))
    if sigs:
        lines += [
            "Key lines, one row per message signature:",
            "",
            "| service | level | lines quoted | first | last | sample |",
            "|---|---|--:|---|---|---|",
        ]
        lines += [
            f"| {markdown(s.service)} | {s.level} | {s.count} | {s.first:%H:%M:%SZ} | "
            f"{s.last:%H:%M:%SZ} | {_md(s.sample, 200)} |"
            for s in sigs
        ]
        lines += [""]
    if not logs.error_counts and not sigs:
        lines += [_md(logs.summary, 1000), ""]
    return lines


def _usage(r: RCAReport) -> list[str]:
    if not r.usage:
        return []
    lines = [
        "## Usage",
        "",
        "| agent | requests | tool calls | input tokens | output tokens |",
        "|---|--:|--:|--:|--:|",
    ]
    lines += [
        f"| {markdown(name)} | {u.requests} | {u.tool_calls} | {u.input_tokens} | "
        f"{u.output_tokens} |"
        for name, u in r.usage.items()
    ]
    return [*lines, ""]


def render_markdown(r: RCAReport) -> str:
    lines = [_title(r), ""]
    if r.status == "incomplete":
        lines += [
            f"> **INCOMPLETE:** the investigation stopped early: {_md(r.failure or '', 500)}. "
            "Everything gathered before that is below.",
            "",
        ]
    lines += _header(r)
    findings = order_findings(r)
    steps, unowned = steps_by_finding(r, findings)
    lines += ["## Summary", ""]
    if findings:
        lines += [
            f"{i}. **{ACTION[f.action].capitalize()} {markdown(f.service)}**: "
            f"{CATEGORY[f.category]} ({f.confidence:.0%})."
            for i, f in enumerate(findings, 1)
        ]
    else:
        lines += [_md(r.root_cause, 1000) or "No root cause is supported by the evidence."]
    lines += [""]
    if findings:
        lines += ["## Findings, by customer impact", ""]
        for i, (f, mine) in enumerate(zip(findings, steps, strict=True), 1):
            lines += _finding(i, f, mine)
    if unowned:
        lines += ["## Remediation", "", *[f"{n}. {_md(s)}" for n, s in enumerate(unowned, 1)], ""]
    lines += _timeline(r)
    lines += _anomalies(r)
    if r.metrics_summary:
        lines += _metrics_triage(r.metrics_summary)
    lines += _logs(r)
    if r.limits:
        lines += ["## Limits", "", *[f"- {_md(limit)}" for limit in r.limits], ""]
    lines += _usage(r)
    return "\n".join(lines).rstrip("\n") + "\n"
