"""Findings moved to where the root cause lies on the service map.

A caller that fails because its dependency fails is a victim: its finding (a dependency
failure, an unexplained change, a worker pool exhausted by slow calls) moves to the root the
service map leads to, and the callers become the affected services. A root with a concrete
root cause of its own (a bad deploy, a leak, a full disk) keeps that finding, with its
callers' trouble as knock-on evidence.
"""

from evidence.graph import ServiceMap, ServiceState
from evidence.mechanisms import BY_NAME, DATABASE_DOWN, DATABASES, Mechanism
from models import Finding

MOVABLE = ("dependency_failure", "unknown", "resource_saturation")
SYMPTOMS = ("dependency_failure", "unknown")


def localize(findings: list[Finding], graph: ServiceMap | None) -> list[Finding]:
    if graph is None:
        return findings
    concrete = {f.service: f for f in findings if f.category not in SYMPTOMS}
    victims: dict[str, list[Finding]] = {}
    kept: list[Finding] = []
    for f in findings:
        state = graph.get(f.service)
        root = state.root if state and state.root else f.service
        if f.category in MOVABLE and root != f.service:
            victims.setdefault(root, []).append(f)
        else:
            kept.append(f)
    for root, moved in victims.items():
        if root in concrete and concrete[root].category not in MOVABLE:
            cause = concrete[root]
            cause.evidence += [
                f"knock-on: {v.service} fails on it ({v.evidence[0]})" for v in moved
            ]
            continue
        # The root's own symptom finding (its metrics moved too) merges into the new one.
        own = [f for f in kept if f.service == root and f.category in MOVABLE]
        kept = [f for f in kept if f not in own]
        kept.append(dependency_finding(graph, root, moved + own))
    return kept


def callers_of(graph: ServiceMap, root: str) -> list[ServiceState]:
    """The services whose trouble leads to `root`, in the order they began to suffer."""
    return [s for s in graph.services if s.root == root and s.service != root]


def mechanism(state: ServiceState | None) -> Mechanism | None:
    """How the dependency fails; a database primary that is down is failed over."""
    mech = BY_NAME.get(state.mechanism) if state and state.mechanism else None
    if mech is not None and mech.name == "down" and state.db_system in DATABASES:
        return DATABASE_DOWN
    return mech


def dependency_finding(graph: ServiceMap, root: str, moved: list[Finding]) -> Finding:
    state = graph.get(root)
    mech = mechanism(state)
    callers = callers_of(graph, root) or [graph.get(f.service) for f in moved]
    names = [c.service for c in callers if c is not None]
    direct = [c for c in callers if c is not None and root in c.calls]
    how = mech.phrase if mech else "is failing"
    began = {c.service: c.first_call_error.get(root) or c.first_error for c in direct}
    first = min((t for t in began.values() if t), default=None)
    since = f" since {first:%H:%M}Z" if first else ""
    summary = (
        f"{root} {how}{since}; "
        + (
            f"{', '.join(names)} {'fails' if len(names) == 1 else 'fail'} on it"
            if names
            else "its callers fail on it"
        )
        + " (the callers are victims, not the cause)."
    )
    evidence = [
        f"{c.service}: {c.calls[root]} warnings/errors naming {root}"
        + (f", steadily from {began[c.service]:%H:%M}Z" if began[c.service] else "")
        for c in direct
    ]
    if state and state.example:
        evidence.append(f"log: {state.example[:300]}")
    evidence.append(_own_state(state, root))
    for f in moved:
        evidence += [e for e in f.evidence[:2] if e not in evidence]
    action = mech.action if mech else ("restart" if state and state.silent_since else "escalate")
    return Finding(
        service=root,
        category="dependency_failure",
        action=action,  # type: ignore[arg-type]
        summary=summary,
        evidence=evidence,
        confidence=0.85 if mech else 0.6,
    )


def _own_state(state: ServiceState | None, root: str) -> str:
    if state is None or not state.telemetry:
        return (
            f"{root} is outside our telemetry (an external or managed dependency): only its "
            "callers' errors show it"
        )
    if state.silent_since:
        return f"{root} stopped logging at {state.silent_since:%H:%M}Z"
    if state.onset:
        return f"{root}'s own metrics changed at {state.onset:%H:%M}Z"
    return f"{root}'s own metrics and logs look normal: the fault shows only at its edge"


def steps_for(f: Finding, graph: ServiceMap | None) -> list[str] | None:
    """Remediation for a dependency finding, fitted to how the dependency fails."""
    if f.category != "dependency_failure" or graph is None:
        return None
    mech = mechanism(graph.get(f.service))
    callers = ", ".join(c.service for c in callers_of(graph, f.service)) or "its callers"
    if mech is None:
        return None
    return [step.format(dep=f.service, callers=callers) for step in mech.steps]
