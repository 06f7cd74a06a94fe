"""From findings to the report: remediation, affected services, symptoms folded, timeline."""

import re
from datetime import datetime

from evidence.graph import ServiceMap
from evidence.logs import ServiceLogDetails
from evidence.metrics import BaselineComparison
from evidence.statements import new_trouble
from models import Finding, RCADraft, TimelineEvent
from offline.localize import callers_of, localize, steps_for
from offline.rules import (
    ServiceEvidence,
    deploy_to_blame,
    diagnose,
    failing_dependency,
    saturated,
)


def remediation(f: Finding, ev: ServiceEvidence | None) -> list[str]:
    if ev is None:
        return [f"Escalate to the owners of {f.service} with this report"]
    d = deploy_to_blame(ev)
    if f.action == "rollback" and d is not None:
        return [
            f"Roll back {d.service} from {d.version} (commit {d.commit}) to the previous "
            "version now",
            f"Confirm {f.service} latency and error rate return to baseline",
            "Review the change before redeploying; add a check for the values it changed",
        ]
    if f.category == "memory_leak":
        return [
            f"Capture a heap dump (or memory profile) from one {f.service} pod before it is "
            "restarted",
            f"Restart {f.service} (rolling) now to restore headroom",
            "Fix the leak in code (unregistered listeners, caches without a TTL or bound, "
            "goroutines or handles never released), guided by the dump",
        ]
    if f.category == "resource_saturation":
        what = saturated(ev)[1] or "the exhausted resource"
        return [
            f"Add capacity to {f.service} now: more {what} (scale out or resize)",
            f"Find what consumes the {what} of {f.service}, free it, and alert well before "
            "the limit",
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


def affected(
    findings: list[Finding],
    diagnosed: list[Finding],
    others: list[ServiceLogDetails],
    ev_of: dict[str, ServiceEvidence],
    graph: ServiceMap | None,
) -> list[str]:
    """The root causes' services, then the services that suffer from them.

    A bystander whose own trouble leads nowhere near a finding (a noisy neighbour logging its
    usual errors) is not affected by this incident.
    """
    names = [f.service for f in findings]
    roots = set(names)
    for f in findings:
        if graph is not None:
            names += [c.service for c in callers_of(graph, f.service)]
        elif f.category == "dependency_failure" and (ev := ev_of.get(f.service)):
            if dep := failing_dependency(ev):
                names.append(dep)
    for f in diagnosed:
        state = graph.get(f.service) if graph else None
        if state is None or state.root in roots or f.service in roots:
            names.append(f.service)
    for d in others:
        state = graph.get(d.service) if graph else None
        if new_trouble(d) and (state is None or state.root in roots):
            names.append(d.service)
    return list(dict.fromkeys(names))


def _names(service: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(service)}(?![\w-])", text) is not None


KNOCK_ON_MENTIONS = 5  # how often a victim's warnings name its broken dependency


def collapse_symptoms(
    findings: list[Finding], evidence: dict[str, ServiceEvidence]
) -> list[Finding]:
    """Findings that are symptoms of another finding's root cause are folded into it.

    - a dependency failure whose dependency has its own root cause;
    - a resource shortage seen only in a caller's logs, when another service ran out of the
      same resource no later and its metrics show it (a full disk blocks its clients' writes);
    - an unexplained ("unknown") change, when a concrete root cause was found elsewhere;
    - any finding of a service whose errors keep naming a service with a root cause of its
      own that broke no later (its own deploy then is a red herring: it is the victim);
    - a saturated service that a freshly changed caller keeps naming (an N+1 query deploy
      pins its database's CPU): the caller's change is the cause.
    The symptom is folded into the cause's evidence, so the report still shows the impact.
    `evidence` holds the ServiceEvidence of every finding's service.
    """
    concrete = [f for f in findings if f.category not in ("dependency_failure", "unknown")]

    def shortage(f: Finding) -> tuple[list[BaselineComparison], str | None]:
        if f.category != "resource_saturation":
            return [], None
        return saturated(evidence[f.service])

    def called_cause(f: Finding, others: list[Finding]) -> Finding | None:
        """A root cause in a service this one's errors keep naming, which broke no later."""
        ev = evidence[f.service]
        named = ev.logs.dependencies_named if ev.logs else {}
        return next(
            (
                c
                for c in others
                if named.get(c.service, 0) >= KNOCK_ON_MENTIONS
                and evidence[c.service].onset <= ev.onset
            ),
            None,
        )

    def overloading_change(f: Finding, others: list[Finding]) -> Finding | None:
        """A deploy of a caller that keeps naming this saturated service and changed first."""
        onset = evidence[f.service].onset
        return next(
            (
                c
                for c in others
                if c.category in ("config_change", "code_regression")
                and (logs := evidence[c.service].logs) is not None
                and logs.dependencies_named.get(f.service, 0) >= KNOCK_ON_MENTIONS
                and evidence[c.service].onset <= onset
            ),
            None,
        )

    def cause_of(f: Finding) -> Finding | None:
        others = [c for c in concrete if c.service != f.service]
        if called := called_cause(f, others):
            return called
        if f.category == "resource_saturation" and (change := overloading_change(f, others)):
            return change
        if f.category == "dependency_failure":
            return next((c for c in others if _names(c.service, f.summary)), None)
        if f.category == "unknown":
            return min(others, key=lambda c: evidence[c.service].onset, default=None)
        pinned, what = shortage(f)
        if f.category != "resource_saturation" or pinned or what is None:
            return None
        return next(
            (
                c
                for c in others
                if shortage(c)[0]
                and shortage(c)[1] == what
                and evidence[c.service].onset <= evidence[f.service].onset
            ),
            None,
        )

    kept = []
    for f in findings:
        cause = cause_of(f)
        if cause is None:
            kept.append(f)
        else:
            cause.evidence.append(f"knock-on: {f.service} fails on it ({f.evidence[0]})")
    return kept


def draft(
    evidence: list[ServiceEvidence],
    others: list[ServiceLogDetails],
    noise: list[BaselineComparison],
    triggered_at: datetime,
    graph: ServiceMap | None = None,
) -> RCADraft:
    found = [(diagnose(ev), ev) for ev in evidence]
    diagnosed = [f for f, _ in found if f is not None]
    ev_of = {ev.service: ev for _, ev in found}
    findings = localize(collapse_symptoms(diagnosed, ev_of), graph)
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
            root_cause="No incident: no metric moved far enough for long enough, with errors "
            "to corroborate it, to support a root cause; what fired was noise or normal drift "
            f"(points past threshold: {blips}).",
            timeline=timeline,
            affected_services=[],
            remediation_steps=["No action needed; keep watching the metrics"],
            confidence=0.1,
            findings=[],
        )
    steps = [
        s for f in findings for s in (steps_for(f, graph) or remediation(f, ev_of.get(f.service)))
    ]
    return RCADraft(
        root_cause=" ".join(f.summary for f in findings),
        timeline=timeline,
        affected_services=affected(findings, diagnosed, others, ev_of, graph),
        remediation_steps=list(dict.fromkeys(steps)),
        confidence=round(sum(f.confidence for f in findings) / len(findings), 2),
        findings=findings,
    )
