"""resource_saturation: a resource ran out (CPU, threads, connections, disk, file
descriptors) with no change that explains it."""

from evidence.statements import describe, log_evidence, new_errors, tag
from models import Finding
from offline.categories.base import Hypothesis
from offline.service import ServiceEvidence, deploy_note
from offline.signals import at_limit, confidence, log_flood, rising, saturated, strong
from semantics import is_harm, is_pinned, is_request_rate

CATEGORY = "resource_saturation"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    logs, comps = ev.logs, ev.comparisons
    pinned, what = saturated(ev)
    saturation = tag(logs, "saturation") + tag(logs, "pool_exhaustion")
    if not (saturation or pinned):
        return None
    if not saturation and not _hurts(ev, pinned):
        return None  # a batch job using all of its CPU is working, not failing
    evidence = [
        *(describe(c) for c in pinned),
        *(describe(c) for c in comps if c not in pinned),
        *log_evidence(logs),
        deploy_note(ev) + _load_note(comps),
    ]
    limit = f" ({at_limit(pinned[0])})" if pinned else ""
    disk = what == "disk space"
    flood = log_flood(logs) if disk else None
    if disk:
        # More replicas do not free a disk: someone must free space and stop the writer.
        cause = f" A log flood filled it: {flood}." if flood else ""
        summary = (
            f"{ev.service} ran out of disk space{limit}: writes fail (no space left on "
            f"device).{cause} Free space now, then stop what fills it."
        )
    else:
        summary = (
            f"{ev.service} ran out of {what or 'a resource'}{limit} with no deploy or "
            "traffic change that explains it. Add capacity, then find what holds it."
        )
    finding = Finding(
        service=ev.service,
        category="resource_saturation",
        action="escalate" if disk else "scale_out",
        summary=summary,
        evidence=evidence + ([f"log flood: {flood}"] if flood else []),
        confidence=confidence(bool(saturation) + bool(pinned) + strong(ev) + new_errors(logs)),
    )
    return Hypothesis(finding, 0.6)


def _hurts(ev: ServiceEvidence, pinned) -> bool:
    """Running out matters when something suffers: errors, latency, a backlog, throttling,
    or headroom (disk, memory) all but gone, which fails the next write by itself."""
    harmed = [c for c in ev.comparisons if is_harm(c) and c not in pinned]
    gone = [c for c in pinned if not is_pinned(c)]  # headroom or throttling, not utilization
    return bool(harmed or gone or new_errors(ev.logs))


def why_not(ev: ServiceEvidence) -> str:
    return "no resource is pinned at its limit or reported exhausted"


def _load_note(comparisons) -> str:
    """Whether the load moved, said only when it did not (the comparisons show it when it did)."""
    if any(is_request_rate(c) and rising(c) for c in comparisons):
        return ""
    return "; no request-rate increase either"
