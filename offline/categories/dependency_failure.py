"""dependency_failure: the service's new errors name a dependency that is in trouble (or
time out and are refused by it) while the service itself is unchanged. The finding is moved
to the failing dependency itself by offline.localize, which follows the service map."""

from evidence.statements import describe, log_evidence, new_errors, tag
from models import Finding
from offline.categories.base import Hypothesis
from offline.service import (
    ServiceEvidence,
    deploy_note,
    failing_dependency,
    troubled_dependencies,
)
from offline.signals import confidence, strong

CATEGORY = "dependency_failure"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    logs = ev.logs
    deps = logs.dependencies_named if logs else {}
    troubled = troubled_dependencies(ev)
    errors = new_errors(logs)
    if not (deps and errors and (troubled or tag(logs, "dependency") or tag(logs, "timeout"))):
        return None
    dep = failing_dependency(ev) or next(iter(deps))
    evidence = [
        f"errors name {dep} {deps[dep]} times after onset",
        *log_evidence(logs),
        *troubled.get(dep, []),
        *(describe(c) for c in ev.comparisons),
        deploy_note(ev),
    ]
    finding = Finding(
        service=ev.service,
        category="dependency_failure",
        action="failover",
        summary=f"{ev.service} fails because its dependency {dep} is failing "
        "(connection errors/timeouts); the service itself is unchanged.",
        evidence=evidence,
        confidence=confidence(1 + errors + strong(ev) + bool(troubled.get(dep))),
    )
    return Hypothesis(finding, 0.65)


def why_not(ev: ServiceEvidence) -> str:
    return "its errors name no failing dependency"
