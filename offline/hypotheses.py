"""The root-cause categories, one module each, weighed against one service's evidence.

Each module's `weigh(ev)` returns a Hypothesis when the evidence supports its category (the
finding it would report and how strongly it holds), and `why_not(ev)` says in a few words why
it does not hold. `diagnose` weighs them all: the strongest wins, and the report names the
alternatives it ruled out. Adding a category is one module in offline/categories/, its
entry in REGISTRY, and its scenarios.

Strengths (0..1) order the categories by how specific their evidence is: a stack frame on a
changed line beats a leak, which beats a deploy's timing, which beats load, a dependency's
errors, a pinned resource, and a change nothing explains.
"""

from models import Finding
from offline.categories import (
    code_regression,
    config_change,
    dependency_failure,
    memory_leak,
    resource_saturation,
    traffic_surge,
    unknown,
)
from offline.service import ServiceEvidence

REGISTRY = (
    code_regression,
    memory_leak,
    config_change,
    traffic_surge,
    dependency_failure,
    resource_saturation,
    unknown,
)


RULED_OUT = 3  # alternatives named in a finding's evidence


def diagnose(ev: ServiceEvidence) -> Finding | None:
    """The root cause one service's evidence supports, or None when it supports none."""
    if not ev.comparisons and not _new_trouble(ev):
        return None
    weighed = [(m, m.weigh(ev)) for m in REGISTRY]
    found = [(m, h) for m, h in weighed if h is not None]
    if not found:
        return None
    best_module, best = max(found, key=lambda mh: mh[1].strength)
    finding = best.finding
    out = []
    for m, h in weighed:
        if m is best_module or m.CATEGORY == finding.category:
            continue
        if h is not None:
            out.append(f"ruled out: {h.finding.category} (weaker: {h.finding.summary[:120]})")
        elif (why := m.why_not(ev)) and m.CATEGORY != "unknown":
            out.append(f"ruled out: {m.CATEGORY}: {why}")
    finding.evidence += out[:RULED_OUT]
    return finding


def _new_trouble(ev: ServiceEvidence) -> bool:
    from evidence.statements import new_errors, tag

    return bool(new_errors(ev.logs) or tag(ev.logs, "oom"))
