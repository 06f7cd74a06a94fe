"""How the offline investigator reads evidence: plain functions from tool results to findings.

Nothing here knows a scenario, service or metric by name. Metrics are recognised by generic
words and units (heap/memory, request rate, latency, CPU), log errors by the fixed tags of
evidence.logs, deploys by timing, diffs by the kind of files they touch.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from evidence.deploys import DeployView, DiffSummary
from evidence.logs import ServiceLogDetails
from evidence.metrics import BaselineComparison
from models import Finding, RCADraft, TimelineEvent

DEPLOY_WINDOW_MINUTES = 30
MEMORY_UNITS = {"b", "bytes", "kb", "kib", "mb", "mib", "gb", "gib"}
_CLASS_NAME = re.compile(r"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+)\b")


def is_memory(c: BaselineComparison) -> bool:
    name = c.metric.lower()
    return (c.unit or "").lower() in MEMORY_UNITS or any(w in name for w in ("heap", "mem", "rss"))


def is_request_rate(c: BaselineComparison) -> bool:
    name, unit = c.metric.lower(), (c.unit or "").lower()
    if "error" in name or "fail" in name:
        return False
    return (
        any(w in name for w in ("request", "rps", "qps", "throughput", "traffic")) or "req" in unit
    )


def describe(c: BaselineComparison) -> str:
    unit = f" {c.unit}" if c.unit else ""
    when = f"{c.onset:%H:%M}Z" if c.onset else "?"
    if c.shape == "ramp":
        return (
            f"{c.metric} ramps from {c.baseline_median:g} to {c.after_max:g}{unit} over "
            f"{c.rise_minutes:.0f} min from {when}, with {c.sawtooth_drops} sharp drops "
            f"(no GC sawtooth)"
            if c.sawtooth_drops == 0
            else f"{c.metric} ramps to {c.after_max:g}{unit} from {when}"
        )
    return (
        f"{c.metric} {c.shape.replace('_', ' ')} at {when}: median {c.baseline_median:g}"
        f" -> {c.after_median:g}{unit} (x{c.change_ratio:g}, z={c.robust_z:g})"
    )


@dataclass
class ServiceEvidence:
    service: str
    onset: datetime
    comparisons: list[BaselineComparison]  # sustained, non-noise changes of this service
    logs: ServiceLogDetails | None = None
    deploys: list[DeployView] = field(default_factory=list)  # any service, relative to onset
    diffs: dict[str, DiffSummary] = field(default_factory=dict)
    dependency_logs: dict[str, ServiceLogDetails] = field(default_factory=dict)

    def recent_deploys(self) -> list[DeployView]:
        """Deploys of this service that landed within the window before onset, newest first."""
        return sorted(
            (
                d
                for d in self.deploys
                if d.service == self.service
                and 0 <= d.minutes_before_onset <= DEPLOY_WINDOW_MINUTES
            ),
            key=lambda d: d.minutes_before_onset,
        )


def new_errors(logs: ServiceLogDetails | None) -> bool:
    """Errors after onset at well above the rate before it."""
    if logs is None or logs.errors_after < 3:
        return False
    before_rate = logs.errors_before / max(logs.minutes_before, 1)
    return logs.errors_after / max(logs.minutes_after, 1) > 3 * before_rate


def new_trouble(logs: ServiceLogDetails) -> bool:
    """Warnings or errors after onset at well above the rate before it."""
    after = logs.errors_after + logs.warnings_after
    before = logs.errors_before + logs.warnings_before
    return after >= 3 and after / max(logs.minutes_after, 1) > 3 * before / max(
        logs.minutes_before, 1
    )


def _tag(logs: ServiceLogDetails | None, name: str) -> int:
    return logs.tag_counts.get(name, 0) if logs else 0


def _log_evidence(logs: ServiceLogDetails | None, want: set[str] | None = None) -> list[str]:
    if logs is None:
        return []
    lines = []
    if new_errors(logs):
        lines.append(
            f"{logs.errors_after} ERROR/FATAL lines after onset vs "
            f"{logs.errors_before} in the {logs.minutes_before:.0f} min before"
        )
    for s in logs.new_signatures:
        if want is None or want & set(s.tags):
            lines.append(f"{s.count}x {s.level} since {s.first_seen:%H:%M}Z: {s.sample[:160]}")
    return lines[:5]


def _confidence(signals: int) -> float:
    return round(min(0.95, 0.35 + 0.12 * signals), 2)


def diagnose(ev: ServiceEvidence) -> Finding | None:
    """The root cause one service's evidence supports, or None when it supports none."""
    logs, comps = ev.logs, ev.comparisons
    metric_lines = [describe(c) for c in comps]
    strong = any((c.robust_z or 0) >= 6 for c in comps)
    errors = new_errors(logs)
    if not comps and not errors:
        return None

    ramps = [c for c in comps if is_memory(c) and c.shape == "ramp" and c.sawtooth_drops == 0]
    oom, gc = _tag(logs, "oom"), _tag(logs, "gc_pressure")
    recent = ev.recent_deploys()
    if ramps and (oom or gc or not recent):
        hints = sorted(
            {
                m
                for s in (logs.new_signatures if logs else [])
                for m in _CLASS_NAME.findall(s.sample)
            }
        )
        evidence = [describe(c) for c in ramps] + [describe(c) for c in comps if c not in ramps]
        evidence += _log_evidence(logs, {"oom", "gc_pressure"}) or _log_evidence(logs)
        if hints:
            evidence.append("classes named in the new warnings: " + ", ".join(hints[:5]))
        summary = (
            f"Memory leak in {ev.service}: heap grows steadily with no GC sawtooth"
            + (f", {oom} OOM errors/kills" if oom else "")
            + (f", {gc} GC pause warnings" if gc else "")
            + "."
        )
        return Finding(
            service=ev.service,
            category="memory_leak",
            action="restart",
            summary=summary,
            evidence=evidence,
            confidence=_confidence(1 + strong + bool(oom) + bool(gc) + errors),
        )

    for d in recent:
        diff = ev.diffs.get(d.commit)
        if diff is not None and diff.kind in ("docs", "empty"):
            continue  # a docs-only change cannot break a running service
        deploy_line = (
            f"deploy {d.service} {d.version} ({d.commit}) at {d.deployed_at:%H:%M}Z, "
            f"{d.minutes_before_onset:.0f} min before onset"
            + (f": {d.description[:100]}" if d.description else "")
        )
        settings = [
            f"diff: {s.key} {s.old} -> {s.new} ({s.file})"
            for s in (diff.settings_changed if diff else [])
        ]
        exceptions = _tag(logs, "exception")
        if diff is not None:
            config = diff.kind == "config" or (diff.kind == "mixed" and settings and not exceptions)
        else:
            config = not exceptions and "config" in (d.description or "").lower()
        category = "config_change" if config else "code_regression"
        if not config and diff is not None:
            files = [f.path for f in diff.files if f.kind == "code"][:3]
            settings.append(f"diff changes code: {', '.join(files)}")
        evidence = [deploy_line, *settings, *metric_lines, *_log_evidence(logs)]
        what = "configuration" if config else "code"
        pool = " DB connection pool exhausted;" if _tag(logs, "pool_exhaustion") else ""
        changed = (
            "; ".join(f"{s.key} {s.old} -> {s.new}" for s in diff.settings_changed[:3])
            if diff and diff.settings_changed
            else ""
        )
        summary = (
            f"{d.service} {d.version} changed {what} {d.minutes_before_onset:.0f} min "
            f"before onset{': ' + changed if changed else ''}.{pool} roll it back."
        )
        return Finding(
            service=ev.service,
            category=category,
            action="rollback",
            summary=summary,
            evidence=evidence,
            confidence=_confidence(2 + strong + errors + bool(settings)),
        )

    rates = [
        c
        for c in comps
        if is_request_rate(c)
        and c.shape in ("level_shift", "spike", "ramp")
        and (c.change_ratio or 0) >= 1.5
    ]
    if rates:
        others = [c for c in comps if c not in rates]
        evidence = [
            *(describe(c) for c in rates),
            *(describe(c) for c in others),
            "no deploy of this service in the 30 min before onset",
            *_log_evidence(logs),
        ]
        return Finding(
            service=ev.service,
            category="traffic_surge",
            action="scale_out",
            summary=f"Traffic surge on {ev.service}: request rate x"
            f"{rates[0].change_ratio:g} with latency and load following; "
            "no deploy explains it. Scale out.",
            evidence=evidence,
            confidence=_confidence(1 + strong + bool(others) + errors),
        )

    deps = logs.dependencies_named if logs else {}
    if deps and (_tag(logs, "dependency") or _tag(logs, "timeout")) and errors:
        dep = next(iter(deps))
        evidence = [
            f"errors name {dep} {deps[dep]} times after onset",
            *_log_evidence(logs),
            *metric_lines,
            "no deploy of this service in the 30 min before onset",
        ]
        dep_logs = ev.dependency_logs.get(dep)
        if dep_logs and new_errors(dep_logs):
            evidence.append(f"{dep} itself logs {dep_logs.errors_after} errors after onset")
        return Finding(
            service=ev.service,
            category="dependency_failure",
            action="failover",
            summary=f"{ev.service} fails because its dependency {dep} is failing "
            "(connection errors/timeouts); the service itself is unchanged.",
            evidence=evidence,
            confidence=_confidence(1 + errors + strong + bool(dep_logs)),
        )

    pinned = [c for c in comps if (c.unit or "") == "%" and (c.after_max or 0) >= 95]
    saturation = _tag(logs, "saturation") + _tag(logs, "pool_exhaustion")
    if saturation or pinned:
        evidence = [
            *metric_lines,
            *_log_evidence(logs),
            "no deploy and no request-rate increase explains it",
        ]
        return Finding(
            service=ev.service,
            category="resource_saturation",
            action="scale_out",
            summary=f"{ev.service} ran out of a resource"
            f"{' (' + ', '.join(c.metric for c in pinned) + ' pinned)' if pinned else ''}"
            " with no change that explains it. Scale out, then find what holds it.",
            evidence=evidence,
            confidence=_confidence(bool(saturation) + bool(pinned) + strong + errors),
        )

    if strong and errors:
        return Finding(
            service=ev.service,
            category="unknown",
            action="escalate",
            summary=f"{ev.service} changed sharply and logs new errors, but no "
            "pattern explains it: escalate to the owning team.",
            evidence=[*metric_lines, *_log_evidence(logs)],
            confidence=0.3,
        )
    return None


def remediation(f: Finding, ev: ServiceEvidence) -> list[str]:
    recent = ev.recent_deploys()
    if f.action == "rollback" and recent:
        d = recent[0]
        return [
            f"Roll back {d.service} from {d.version} (commit {d.commit}) to the previous "
            "version now",
            f"Confirm {f.service} latency and error rate return to baseline",
            "Review the change before redeploying; add a check for the values it changed",
        ]
    if f.category == "memory_leak":
        return [
            f"Capture a heap dump from one {f.service} pod before it is restarted",
            f"Restart {f.service} (rolling) now to restore headroom",
            "Fix the leak in code (unregistered listeners, caches without a TTL or bound), "
            "guided by the heap dump",
        ]
    if f.action == "scale_out":
        return [
            f"Scale out {f.service} now",
            f"Find what consumes the capacity of {f.service} and set alerts before its limit",
        ]
    if f.action == "failover":
        return [
            f"Fail over or route {f.service} around its failing dependency",
            "Escalate to the dependency's owners",
            "Verify error rates recover",
        ]
    return [f"Escalate to the owners of {f.service} with this report"]


def affected(findings: list[Finding], others: list[ServiceLogDetails]) -> list[str]:
    names = [f.service for f in findings]
    names += [d.service for d in others if new_trouble(d)]
    return list(dict.fromkeys(names))


def collapse_symptoms(findings: list[Finding]) -> list[Finding]:
    """A dependency failure whose dependency has its own root cause is a symptom of it."""
    causes = {f.service for f in findings if f.category != "dependency_failure"}
    kept = []
    for f in findings:
        dep = next(
            (s for s in causes if f.category == "dependency_failure" and s in f.summary), None
        )
        if dep is None:
            kept.append(f)
    return kept


def draft(
    evidence: list[ServiceEvidence],
    others: list[ServiceLogDetails],
    noise: list[BaselineComparison],
    triggered_at: datetime,
) -> RCADraft:
    found = [(diagnose(ev), ev) for ev in evidence]
    findings = collapse_symptoms([f for f, _ in found if f is not None])
    ev_of = {ev.service: ev for _, ev in found}
    timeline = [TimelineEvent(timestamp=triggered_at, event="anomaly detection fired")]
    for ev in evidence:
        for d in ev.deploys:
            if -10 <= d.minutes_before_onset <= 60:
                timeline.append(
                    TimelineEvent(
                        timestamp=d.deployed_at, event=f"{d.service} {d.version} deployed"
                    )
                )
        for c in ev.comparisons:
            if c.onset:
                timeline.append(
                    TimelineEvent(timestamp=c.onset, event=f"{c.metric} onset ({c.shape})")
                )
        if ev.logs and ev.logs.first_error_after_onset:
            timeline.append(
                TimelineEvent(
                    timestamp=ev.logs.first_error_after_onset,
                    event=f"first {ev.service} error after onset",
                )
            )
    timeline = sorted(
        {(e.timestamp, e.event): e for e in timeline}.values(), key=lambda e: e.timestamp
    )
    if not findings:
        blips = ", ".join(f"{c.metric} ({c.anomalous_points})" for c in noise) or "none"
        return RCADraft(
            root_cause="No incident: the anomalies were isolated excursions with no sustained "
            f"change and no corroborating errors (points above threshold: {blips}).",
            timeline=timeline,
            affected_services=[],
            remediation_steps=["No action needed; keep watching the metrics"],
            confidence=0.1,
            findings=[],
        )
    steps = [s for f in findings for s in remediation(f, ev_of[f.service])]
    return RCADraft(
        root_cause=" ".join(f.summary for f in findings),
        timeline=timeline,
        affected_services=affected(findings, others),
        remediation_steps=list(dict.fromkeys(steps)),
        confidence=round(sum(f.confidence for f in findings) / len(findings), 2),
        findings=findings,
    )
