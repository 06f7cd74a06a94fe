"""unknown: a clear sustained change that hurts (errors, latency, lost headroom, a backlog)
and that no other category explains: reported and escalated, never called quiet."""

from evidence.statements import describe, log_evidence, new_errors
from models import Finding
from offline.categories.base import Hypothesis
from offline.service import ServiceEvidence, deploy_note, held
from semantics import is_error_rate, is_harm

CATEGORY = "unknown"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    # Clear (far beyond its noise), and sustained or errors: a few slow minutes that passed
    # are no incident, a few minutes of failed requests are.
    harm = [
        c
        for c in ev.comparisons
        if is_harm(c) and (c.robust_z or 0) >= 6 and (held(c) or is_error_rate(c))
    ]
    if not harm:
        return None
    worst = max(harm, key=lambda c: abs(c.robust_z or 0))
    seen = "new errors in its logs" if new_errors(ev.logs) else "no error logs"
    finding = Finding(
        service=ev.service,
        category="unknown",
        action="escalate",
        summary=f"{ev.service}: {describe(worst)}, sustained, with {seen}; no deploy, load "
        "change, leak, saturation or failing dependency explains it. Escalate to the "
        "owning team.",
        evidence=[
            *(describe(c) for c in ev.comparisons),
            *log_evidence(ev.logs),
            deploy_note(ev),
        ],
        confidence=0.3,
    )
    return Hypothesis(finding, 0.3)


def why_not(ev: ServiceEvidence) -> str:
    return "no harmful change"
